"""Issue 18: what an office does with a letter besides the fifteen sub-steps.

Cancel a registration made by mistake, close an item early (the director's), send a letter
on to the bureau it belongs to, record the answer's own number and date at 5.2, link the
scanned letter. Each is an action of the core (logged, chained, undone by ``correct``),
reachable from the command line and a ribbon button; the rules are rows of
``workflow.ENDINGS`` with their source; an ended item is done, so the checker never
announces it; the evaluation counts each under its own heading.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from xlflow import book as bk
from xlflow import macros, schema, service
from xlflow.errors import IllegalAction, MissingField, NotPermitted
from xlflow.evaluation import summarize, write_workbook
from xlflow.model import ACTIONS, STATUS_TH, Letter, LogEntry, Person, as_row
from xlflow.process import Process
from xlflow.schema import SHEETS
from xlflow.thaidate import format_date, format_datetime
from xlflow.workflow import ANSWER, ENDINGS, RULES, CurrentFold, act, current_states, register, replay
from xlflow.worktime import WorkCalendar

from test_checks import PEOPLE as CHECK_PEOPLE
from test_checks import make_register
from test_current_fold import expected
from test_macros import CLI_WORDS, LOG, alerts, click, log_rows, register_row, written
from xlwings_payload import CLICK, PEOPLE, Register, excel_opener, template_rows, walk

P = Process.default()
T0 = datetime(2026, 11, 20, 9, 0)
DIRECTOR = "อำนวย วิเทศ"  # ผอ.วท. in test_checks.PEOPLE
CLERK = "วิไล สารบรรณ"


# -- the core ----------------------------------------------------------------------------------------
def walked(to: str, item: str = "1/2569", at: datetime = T0) -> tuple[list[LogEntry], datetime]:
    """``item`` registered at ``at`` and moved on a minute per action until ``to`` starts."""
    entries = [register(item, at=at, by="clerk", process=P, seq=1)]
    while True:
        state = replay(entries, P)
        if state.substep == to:
            return entries, at
        sub = P[state.substep]
        at += timedelta(minutes=1)
        kw = {}
        if sub.requires and not getattr(state, sub.requires):
            kw = {sub.requires: "วท." if sub.requires == "unit" else "สมชาย"}
            e, _ = act(state, entries, "assign", at=at, by="clerk", process=P, seq=len(entries) + 1, **kw)
            entries.append(e)
            continue
        e, _ = act(state, entries, "approve" if sub.is_decision else "advance", at=at, by="clerk", process=P, seq=len(entries) + 1)
        entries.append(e)


def do(entries: list[LogEntry], action: str, at: datetime, by: str = "clerk", **kw):
    """One action on the item of ``entries``: (its entry, the state after); the entries grow."""
    e, new = act(replay(entries, P), entries, action, at=at, by=by, process=P, seq=len(entries) + 1, **kw)
    entries.append(e)
    return e, new


def refused(entries: list[LogEntry], action: str, at: datetime, by: str = "clerk", **kw) -> Exception:
    before = replay(entries, P)
    with pytest.raises(IllegalAction) as e:
        act(before, entries, action, at=at, by=by, process=P, seq=len(entries) + 1, **kw)
    assert replay(entries, P) == before  # nothing changed
    return e.value


def test_each_ending_is_a_row_of_the_table_with_its_source_and_a_status_the_register_shows():
    for action, ending in ENDINGS.items():
        assert action in ACTIONS and action in RULES
        assert ending.status in STATUS_TH
        assert "section ๖ page ๕" in ending.source and ending.source.startswith("office practice (สารบรรณ)")
        assert set(ending.steps) <= {s.step for s in P}
        assert not ending.role or any(getattr(r, ending.role) for r in P.roles)
    assert ENDINGS["close"].role == "director" and ENDINGS["close"].steps == ()  # the director, at any open sub-step
    assert ENDINGS["cancel"].steps == (1,) and ENDINGS["forward"].steps == (1, 2)
    assert [s.code for s in P if getattr(s, ANSWER["at"])] == ["5.2"]


def test_cancel_at_step_1_ends_the_item_with_its_reason_and_correct_undoes_it():
    entries, at = walked("1.4")
    e, new = do(entries, "cancel", at + timedelta(minutes=5), note="ลงทะเบียนซ้ำกับ 2/2569")
    assert (e.substep, e.action, e.note) == ("1.4", "cancel", "ลงทะเบียนซ้ำกับ 2/2569")
    assert (new.done, new.ended, new.end_note, new.completed_at) == (True, "cancelled", "ลงทะเบียนซ้ำกับ 2/2569", at + timedelta(minutes=5))
    assert new.segments[-1].outcome == "cancel" and new.segments[-1].finished == at + timedelta(minutes=5)
    _, back = do(entries, "correct", at + timedelta(minutes=6))
    assert (back.substep, back.done, back.ended, back.end_note) == ("1.4", False, "", "")


def test_cancel_without_a_reason_names_the_field():
    entries, at = walked("1.2")
    e = refused(entries, "cancel", at + timedelta(minutes=1))
    assert isinstance(e, MissingField) and (e.field, e.label) == ("reason", "หมายเหตุ")
    assert str(e) == "a reason is needed to cancel a registration (หมายเหตุ)"


def test_cancel_after_step_1_is_refused_with_what_to_do_instead():
    entries, at = walked("2.1")
    e = refused(entries, "cancel", at + timedelta(minutes=1), note="ซ้ำ")
    assert str(e) == (f"item 1/2569 at 2.1 ({P['2.1'].name_th}): xlflow can cancel a registration only at step 1 (1.1–1.6) — "
                      "the work on it has begun: close it instead (the director's decision)")


@pytest.mark.parametrize("code", ["1.2", "3.2", "5.1", "5.2"])
def test_the_director_may_close_an_item_at_any_open_substep(code):
    entries, at = walked(code)
    _, new = do(entries, "close", at + timedelta(minutes=1), by=DIRECTOR, note="เพื่อทราบ", roles=["ผอ.วท."])
    assert (new.done, new.ended, new.end_note) == (True, "closed", "เพื่อทราบ")
    assert new.segments[-1].substep == code and new.segments[-1].outcome == "close"


def test_closing_is_refused_to_whom_the_people_sheet_gives_no_director_s_role():
    entries, at = walked("3.1")
    e = refused(entries, "close", at + timedelta(minutes=1), by=CLERK, note="เพื่อทราบ", roles=["เจ้าหน้าที่งานสารบรรณ วท."])
    assert isinstance(e, NotPermitted) and e.roles == ("ผอ.วท.", "ผอ.สปร.") and e.by == CLERK
    assert str(e) == (f'item 1/2569 at 3.1 ({P["3.1"].name_th}): only ผอ.วท. or ผอ.สปร. may close an item early, '
                      f'and "{CLERK}" is not one of them in the People sheet')
    refused(entries, "close", at + timedelta(minutes=1), by=DIRECTOR, note="เพื่อทราบ", roles=None)  # no People sheet: nobody is known


def test_a_director_closing_without_a_reason_is_told_the_field():
    entries, at = walked("3.1")
    e = refused(entries, "close", at + timedelta(minutes=1), by=DIRECTOR, roles=["ผอ.สปร."])
    assert isinstance(e, MissingField) and e.field == "reason"


def test_forward_needs_the_recipient_and_ends_the_item_as_sent_on():
    entries, at = walked("2.2")
    e = refused(entries, "forward", at + timedelta(minutes=1))
    assert isinstance(e, MissingField) and (e.field, e.label) == ("to", "ส่งต่อถึง")
    entry, new = do(entries, "forward", at + timedelta(minutes=2), to=" กรมการจัดหางาน ", note="ไม่ใช่ภารกิจของ สปร.")
    assert entry.data == {"to": "กรมการจัดหางาน"}
    assert (new.ended, new.forwarded_to, new.end_note, new.completed_at) == ("forwarded", "กรมการจัดหางาน", "ไม่ใช่ภารกิจของ สปร.", at + timedelta(minutes=2))


def test_forward_once_the_ministry_s_own_work_began_is_refused():
    entries, at = walked("3.1")
    e = refused(entries, "forward", at + timedelta(minutes=1), to="กรมการจัดหางาน")
    assert "xlflow can send a letter on only at steps 1–2 (1.1–2.3)" in str(e)


def test_a_paused_item_may_end_and_its_pause_ends_with_it():
    entries, at = walked("2.2")
    do(entries, "pause", at + timedelta(minutes=1), note="รอคำตอบ")
    _, new = do(entries, "forward", at + timedelta(hours=2), to="กรมการจัดหางาน")
    assert new.paused_since is None and new.segments[-1].pauses[-1].end == at + timedelta(hours=2)


def test_an_ended_item_refuses_every_action_but_link_and_correct():
    entries, at = walked("1.2")
    do(entries, "cancel", at + timedelta(minutes=1), note="ผิดทะเบียน")
    for action in ("advance", "assign", "pause", "close", "forward", "cancel"):
        e = refused(entries, action, at + timedelta(minutes=2), unit="วท.", note="x", to="y", roles=["ผอ.วท."])
        assert str(e).startswith(f"item 1/2569 is done (cancelled {format_datetime(at + timedelta(minutes=1))}): it cannot")
    _, new = do(entries, "link", at + timedelta(minutes=3), scan="https://saraban.mol.go.th/doc/1")
    assert new.done and new.scan == "https://saraban.mol.go.th/doc/1"


def test_the_answer_s_number_and_date_are_recorded_as_5_2_finishes_and_only_then():
    entries, at = walked("4.2")
    e = refused(entries, "advance", at + timedelta(minutes=1), reply_no="ที่ รง 0301/1234")
    assert str(e) == (f"item 1/2569 at 4.2 ({P['4.2'].name_th}): the answer's number and date are recorded when 5.2 "
                      "(the answer sent out) is finished — leave them empty until then")
    entries, at = walked("5.2")
    e = refused(entries, "advance", at, reply_date=(at + timedelta(days=1)).date())
    assert str(e).endswith(f"the answer is dated {format_date((at + timedelta(days=1)).date())}, after it was sent ({format_datetime(at)}) — check its date")
    entry, new = do(entries, "advance", at + timedelta(minutes=1), reply_no="ที่ รง 0301/1234", reply_date=at.date())
    assert entry.data == {"reply_no": "ที่ รง 0301/1234", "reply_date": at.date().isoformat()}
    assert (new.done, new.ended, new.reply_no, new.reply_date) == (True, "", "ที่ รง 0301/1234", at.date())
    _, back = do(entries, "correct", at + timedelta(minutes=2))
    assert (back.substep, back.reply_no, back.reply_date) == ("5.2", "", None)


def test_link_records_the_scan_and_correct_brings_back_the_one_before():
    entries, at = walked("1.3")
    e = refused(entries, "link", at + timedelta(minutes=1), scan="  ")
    assert isinstance(e, MissingField) and e.field == "scan" and e.label == "ไฟล์หนังสือที่สแกน"
    do(entries, "link", at + timedelta(minutes=1), scan=r"\\server\scan\2569\1.pdf")
    _, new = do(entries, "link", at + timedelta(minutes=2), scan=r"\\server\scan\2569\1-rescan.pdf")
    assert new.scan == r"\\server\scan\2569\1-rescan.pdf" and new.substep == "1.3"
    _, back = do(entries, "correct", at + timedelta(minutes=3))
    assert back.scan == r"\\server\scan\2569\1.pdf"


# -- the checker's fold: what replaying every item says, with every action of the table ---------------
ITEMS = ("1/2569", "2/2569", "3/2569")
DRAWN = st.sampled_from(["advance"] * 6 + list(ACTIONS))
DATA = {"assign": {"unit": "วท.", "officer": "สมชาย"}, "forward": {"to": "กรมการจัดหางาน"}, "link": {"scan": "a.pdf"},
        "advance": {"reply_no": "ที่ รง 1", "reply_date": "2026-10-02"}}


@st.composite
def logs(draw):
    per_item = {}
    for item in draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=3, unique=True)):
        first = ["register"] if draw(st.integers(0, 9)) else []
        per_item[item] = first + draw(st.lists(DRAWN, max_size=40))
    order = draw(st.permutations([i for i, acts in per_item.items() for _ in acts]))
    at, out, cursor = datetime(2026, 10, 1, 9, 0), [], {i: 0 for i in per_item}
    for seq, item in enumerate(order, start=1):
        action = per_item[item][cursor[item]]
        cursor[item] += 1
        at += timedelta(minutes=draw(st.integers(1, 600)))
        data = DATA.get(action, {}) if draw(st.booleans()) or action != "advance" else {}
        out.append(LogEntry(seq, item, "1.1", action, at, "x", "เหตุผล" if action in ("pause", "cancel", "close") else "", dict(data)))
    return out


@settings(max_examples=400, deadline=None)
@given(logs())
def test_the_current_fold_equals_replaying_every_item_with_every_action(log):
    open_, bad, done = current_states(log, P)
    assert (open_, sorted(bad), done) == expected(log)


@settings(max_examples=200, deadline=None)
@given(logs(), st.integers(1, 5), st.integers(0, 8))
def test_fed_in_pieces_the_fold_still_agrees(log, pieces, keep):
    fold = CurrentFold(P)
    fold.KEEP_FINISHED = keep
    size = max(1, len(log) // pieces)
    for k in range(0, len(log), size):
        fold.feed(map(as_row, log[k : k + size]))
    for item in fold.again:
        fold.replace(item, [e for e in log if e.item == item])
    open_, bad = fold.states()
    assert (open_, sorted(bad), fold.done) == expected(log)


# -- the command line ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_register(tmp_path_factory) -> Path:
    """A register with People (ผอ.วท. อำนวย วิเทศ, ผอ.สปร. อำนวย สำนัก) and four letters of 20 Nov 2026."""
    from xlflow.cli import main
    from click.testing import CliRunner

    path = make_register(tmp_path_factory.mktemp("endings") / "Coordination_Register.xlsx")
    runner = CliRunner()
    for k, subject in enumerate(("ขอเชิญประชุม ILO", "สำเนาเพื่อทราบ", "เรื่องของกรมการจัดหางาน", "ขอความเห็นร่างปฏิญญา")):
        r = runner.invoke(main, ["register", str(path), "--subject", subject, "--reply-by", "30/11/2569",
                                 "--at", f"2026-11-20T09:0{k}", "--by", "สารบรรณ"], catch_exceptions=False)
        assert r.exit_code == 0, r.output
    return path


@pytest.fixture
def reg_file(base_register, tmp_path) -> Path:
    return Path(shutil.copy(base_register, tmp_path / "Coordination_Register.xlsx"))


def run(xlflow, *args, code: int = 0) -> str:
    r = xlflow(*args)
    assert r.exit_code == code, r.output
    return r.output


def register_cells(path: Path, item: str) -> dict:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(SHEETS["register"]).to_python()
    hm = schema.header_map(SHEETS["register"], rows[0], schema.REGISTER_COLUMNS)
    row = next(r for r in rows[1:] if r[hm["item"]] == item)
    return {f: row[i] for f, i in hm.items()}


def test_cancel_close_and_forward_from_the_command_line_and_what_the_register_shows(reg_file, xlflow):
    out = run(xlflow, "cancel", reg_file, "1/2569", "--reason", "ลงทะเบียนซ้ำกับ 4/2569", "--at", "2026-11-20T10:00", "--by", "สารบรรณ")
    assert out == "1/2569  done  cancelled  due -  round 0  officer -  reason ลงทะเบียนซ้ำกับ 4/2569\n"
    out = run(xlflow, "close", reg_file, "2/2569", "--reason", "เพื่อทราบ", "--at", "2026-11-20T10:01", "--by", DIRECTOR)
    assert out == "2/2569  done  closed  due -  round 0  officer -  reason เพื่อทราบ\n"
    out = run(xlflow, "forward", reg_file, "3/2569", "--to", "กรมการจัดหางาน", "--reason", "ไม่ใช่ภารกิจของ สปร.", "--at", "2026-11-20T10:02")
    assert out == "3/2569  done  forwarded  due -  round 0  officer -  to กรมการจัดหางาน  reason ไม่ใช่ภารกิจของ สปร.\n"
    cells = {item: register_cells(reg_file, item) for item in ("1/2569", "2/2569", "3/2569")}
    assert [(c["status"], c["substep"], c["ended"], c["end_reason"], c["forwarded_to"] or None) for c in cells.values()] == [
        ("ยกเลิก", "ยกเลิก", "ยกเลิก", "ลงทะเบียนซ้ำกับ 4/2569", None),
        ("ปิดเรื่อง", "ปิดเรื่อง", "ปิดเรื่อง", "เพื่อทราบ", None),
        ("ส่งต่อ", "ส่งต่อ", "ส่งต่อ", "ไม่ใช่ภารกิจของ สปร.", "กรมการจัดหางาน"),
    ]
    assert cells["3/2569"]["completed_at"] == datetime(2026, 11, 20, 10, 2)
    assert run(xlflow, "verify", reg_file).startswith("the log is intact")
    listed = json.loads(run(xlflow, "list", reg_file, "--status", "cancelled", "--json", "--now", "2026-11-25T11:00"))
    assert [(v["item"], v["status"], v["end_reason"]) for v in listed] == [("1/2569", "cancelled", "ลงทะเบียนซ้ำกับ 4/2569")]
    for status, item in (("closed", "2/2569"), ("forwarded", "3/2569"), ("overdue", "4/2569")):
        assert [v["item"] for v in json.loads(run(xlflow, "list", reg_file, "--status", status, "--json", "--now", "2026-11-25T11:00"))] == [item]
    assert json.loads(run(xlflow, "list", reg_file, "--status", "done", "--json")) == []  # none was answered through 5.2


def test_a_cancelled_letter_keeps_its_number_and_it_is_never_given_again(reg_file, xlflow):
    run(xlflow, "cancel", reg_file, "4/2569", "--reason", "ผิดทะเบียน", "--at", "2026-11-20T10:00")
    assert run(xlflow, "register", reg_file, "--subject", "หนังสือใหม่", "--at", "2026-11-20T10:05") == "5/2569\n"
    assert register_cells(reg_file, "4/2569")["status"] == "ยกเลิก"


def test_the_command_line_words_each_refusal(reg_file, xlflow):
    name = P["1.2"].name_th
    cases = [
        (("cancel", reg_file, "1/2569"), "Error: a reason is needed to cancel a registration (หมายเหตุ) — give --reason\n"),
        (("close", reg_file, "2/2569", "--reason", "เพื่อทราบ", "--by", CLERK),
         f'Error: item 2/2569 at 1.2 ({name}): only ผอ.วท. or ผอ.สปร. may close an item early, and "{CLERK}" is not one of them '
         "in the People sheet — give --by with the name of one of them, as the People sheet has it\n"),
        (("close", reg_file, "2/2569", "--by", DIRECTOR), "Error: a reason is needed to close an item early (หมายเหตุ) — give --reason\n"),
        (("forward", reg_file, "3/2569"), "Error: say to whom the letter is sent on (ส่งต่อถึง) — give --to\n"),
        (("link", reg_file, "4/2569"), "Error: the scanned letter's file path or web address is needed to link it (ไฟล์หนังสือที่สแกน) — give --scan\n"),
        (("advance", reg_file, "4/2569", "--reply-no", "ที่ รง 0301/1"),
         f"Error: item 4/2569 at 1.2 ({name}): the answer's number and date are recorded when 5.2 (the answer sent out) is finished — "
         "leave them empty until then\n"),
        (("advance", reg_file, "4/2569", "--reply-date", "31/02/2569"), 'Error: --reply-date "31/02/2569" is not a date — type it as 25/11/2569 or 2026-11-25\n'),
        (("list", reg_file, "--status", "ended"), None),
    ]
    for args, message in cases:
        r = xlflow(*args)
        if message is None:  # a status click does not know: click's own usage error, naming the new states
            assert r.exit_code == 2 and "'cancelled', 'closed', 'forwarded'" in r.output
            continue
        assert (r.exit_code, r.output) == (1, message), args
    run(xlflow, "cancel", reg_file, "1/2569", "--reason", "ซ้ำ", "--at", "2026-11-20T10:00")
    r = xlflow("advance", reg_file, "1/2569", "--at", "2026-11-20T10:05")
    assert (r.exit_code, r.output) == (1, "Error: item 1/2569 is done (cancelled 20 พ.ย. 2569 10:00 น.): it cannot advance — use correct to "
                                          "undo the last action if it was a mistake\n")


@pytest.mark.parametrize("action, args", [
    ("cancel", ("--reason", "ซ้ำ")),
    ("close", ("--reason", "เพื่อทราบ", "--by", DIRECTOR)),
    ("forward", ("--to", "กรมการจัดหางาน")),
])
def test_correct_undoes_each_ending_and_the_register_shows_the_item_open_again(reg_file, xlflow, action, args):
    run(xlflow, action, reg_file, "2/2569", *args, "--at", "2026-11-20T10:00")
    out = run(xlflow, "correct", reg_file, "2/2569", "--at", "2026-11-20T10:01", "--json")
    view = json.loads(out)
    assert (view["substep"], view["status"], view["end_reason"], view["forwarded_to"], view["completed_at"]) == ("1.2", "overdue", None, None, None)
    cells = register_cells(reg_file, "2/2569")
    assert (cells["substep"], cells["ended"], cells["end_reason"], cells["forwarded_to"], cells["completed_at"]) == ("1.2", "", "", "", "")
    assert run(xlflow, "verify", reg_file).startswith("the log is intact")


def test_the_answer_at_5_2_from_the_command_line_is_in_the_register_show_and_history(reg_file, xlflow):
    from test_checks import SOMCHAI, script, walk

    script(reg_file, walk("4/2569", "5.2", datetime(2026, 11, 24, 9, 0)))
    out = run(xlflow, "advance", reg_file, "4/2569", "--reply-no", "ที่ รง 0301/1234", "--reply-date", "25/11/2569",
              "--at", "2026-11-25T10:00", "--by", "สารบรรณ")
    assert out == f"4/2569  done  done  due -  round 0  officer {SOMCHAI}  reply ที่ รง 0301/1234  dated 25 พ.ย. 2569\n"
    cells = register_cells(reg_file, "4/2569")
    assert cells["reply_no"] == "ที่ รง 0301/1234" and cells["reply_date"] in (date(2026, 11, 25), datetime(2026, 11, 25))
    assert cells["status"] == "เสร็จสิ้น" and cells["ended"] == ""
    view = json.loads(run(xlflow, "show", reg_file, "4/2569", "--json"))
    assert (view["reply_no"], view["reply_date"], view["status"]) == ("ที่ รง 0301/1234", "2026-11-25", "done")
    h = json.loads(run(xlflow, "history", reg_file, "4/2569", "--json"))
    assert (h["reply_no"], h["reply_date"], h["ended"]) == ("ที่ รง 0301/1234", "2026-11-25", None)
    assert "answer ที่ รง 0301/1234 dated 25 พฤศจิกายน 2569" in run(xlflow, "history", reg_file, "4/2569")
    assert run(xlflow, "verify", reg_file).startswith("the log is intact")


def test_history_shows_how_an_item_ended_and_the_substep_it_ended_at(reg_file, xlflow):
    run(xlflow, "forward", reg_file, "3/2569", "--to", "กรมการจัดหางาน", "--reason", "ไม่ใช่ภารกิจของ สปร.", "--at", "2026-11-20T10:02")
    h = json.loads(run(xlflow, "history", reg_file, "3/2569", "--json"))
    assert (h["ended"], h["forwarded_to"], h["end_reason"]) == ("forwarded", "กรมการจัดหางาน", "ไม่ใช่ภารกิจของ สปร.")
    last = h["substeps"][-1]
    assert (last["substep"], last["outcome"], last["within_standard"], last["over_minutes"]) == ("1.2", "forward", None, None)
    text = run(xlflow, "history", reg_file, "3/2569")
    assert "forwarded 20 พ.ย. 2569 10:02 น. to กรมการจัดหางาน: ไม่ใช่ภารกิจของ สปร." in text
    assert "ended here (forward)" in text


def test_link_from_the_command_line_fills_the_scan_column_and_correct_empties_it(reg_file, xlflow):
    out = run(xlflow, "link", reg_file, "4/2569", "--scan", r"\\server\scan\2569\4.pdf", "--at", "2026-11-20T10:00")
    assert out.endswith(r"scan \\server\scan\2569\4.pdf" + "\n")
    assert register_cells(reg_file, "4/2569")["scan"] == r"\\server\scan\2569\4.pdf"
    assert bk.load(reg_file).letters["4/2569"].scan == r"\\server\scan\2569\4.pdf"  # read back as the letter's
    run(xlflow, "correct", reg_file, "4/2569", "--at", "2026-11-20T10:01")
    assert register_cells(reg_file, "4/2569")["scan"] == ""
    assert run(xlflow, "verify", reg_file).startswith("the log is intact")


def test_the_checker_never_announces_a_cancelled_closed_or_forwarded_letter(reg_file, xlflow, tmp_path):
    before = xlflow("check", reg_file, "--now", "2026-11-25T11:00", "--dry-run").output
    assert all(f"{item}|1.2|0|overdue" in before for item in ("1/2569", "2/2569", "3/2569", "4/2569"))
    run(xlflow, "cancel", reg_file, "1/2569", "--reason", "ซ้ำ", "--at", "2026-11-20T10:00")
    run(xlflow, "close", reg_file, "2/2569", "--reason", "เพื่อทราบ", "--by", DIRECTOR, "--at", "2026-11-20T10:01")
    run(xlflow, "forward", reg_file, "3/2569", "--to", "กรมการจัดหางาน", "--at", "2026-11-20T10:02")
    after = xlflow("check", reg_file, "--now", "2026-11-25T11:00", "--dry-run").output
    assert "4/2569|1.2|0|overdue" in after
    assert not any(item in after for item in ("1/2569", "2/2569", "3/2569")), after
    # and what a run would mail: the .eml files name the open letter only (also its reply-by date)
    r = xlflow("check", reg_file, "--now", "2026-11-30T11:00", "--outbox", tmp_path / "out")
    mails = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "out").glob("*.eml"))
    assert r.exit_code in (0, 65) and mails
    import email

    bodies = [email.message_from_bytes(p.read_bytes()) for p in (tmp_path / "out").glob("*.eml")]
    text = "".join(part.get_payload(decode=True).decode("utf-8") for m in bodies for part in m.walk() if part.get_content_type() == "text/plain")
    assert "4/2569" in text and not any(item in text for item in ("1/2569", "2/2569", "3/2569"))


# -- the ribbon --------------------------------------------------------------------------------------
RIBBON_DIRECTOR = ("นางอำนวย ผู้อำนวยการ", "ผอ.วท.", "วท.", "amnuay@mol.go.th", "amnuay")


@pytest.fixture
def excel(monkeypatch):
    return excel_opener(monkeypatch)


@pytest.fixture(scope="module")
def ribbon():
    """Letters at 1.2 (to cancel, close, forward, link) and one at 5.2 (to answer), with a director in People."""
    reg = Register(template_rows(people=(*PEOPLE, RIBBON_DIRECTOR)))
    at = datetime(2026, 11, 24, 8, 30)
    items = {k: reg.register_letter(at, subject=f"หนังสือ {k}", sender="ILO") for k in ("cancel", "close", "forward", "link", "answer")}
    walk(reg, items["answer"], "5.2", [at])
    return reg, {k: reg.row_of(it) for k, it in items.items()}, items


def fresh(ribbon) -> tuple[Register, dict, dict]:
    import copy

    reg, rows, items = ribbon
    return Register(copy.deepcopy(reg.rows)), rows, items


def test_the_cancel_button_takes_the_reason_typed_into_remarks(excel, ribbon):
    reg, rows, items = fresh(ribbon)
    r = rows["cancel"]
    reg.set(r, "remarks", "ลงทะเบียนซ้ำ")
    book = click(excel, reg, "cancel", r)
    assert alerts(book) == []
    [log] = log_rows(book, reg)
    assert (log["item"], log["action"], log["note"], log["by"]) == (items["cancel"], "cancel", "ลงทะเบียนซ้ำ", "นายสมชาย ใจดี")
    got = register_row(book, reg, r)
    assert (got["ended"], got["end_reason"], got["substep"]) == ("ยกเลิก", "ลงทะเบียนซ้ำ", "ยกเลิก")
    assert got["status"].startswith("=IF(") and got["completed_at"] is not None


def test_the_cancel_button_without_a_reason_says_where_to_type_it(excel, ribbon):
    reg, rows, _ = fresh(ribbon)
    r = rows["cancel"]
    book = click(excel, reg, "cancel", r)
    assert alerts(book) == [f"row {r}: a reason is needed to cancel a registration (หมายเหตุ) — type หมายเหตุ into the row, then click again"]
    assert written(book, LOG) == {}


def test_the_close_button_clicked_by_a_clerk_says_who_may_in_the_ribbon_s_words(excel, ribbon):
    reg, rows, items = fresh(ribbon)
    r = rows["close"]
    reg.set(r, "remarks", "เพื่อทราบ")
    book = click(excel, reg, "close", r)
    [msg] = alerts(book)
    assert msg == (f'row {r}: item {items["close"]} at 1.2 ({P["1.2"].name_th}): only ผอ.วท. or ผอ.สปร. may close an item early, '
                   'and "นายสมชาย ใจดี" is not one of them in the People sheet — ask one of them to select the row and click the '
                   "button in their own Excel (the People sheet names each by their Windows user name)")
    assert not CLI_WORDS.search(msg) and written(book, LOG) == {}


def test_the_close_button_clicked_by_the_director_closes_the_item(excel, ribbon, monkeypatch):
    reg, rows, items = fresh(ribbon)
    r = rows["close"]
    reg.set(r, "remarks", "เพื่อทราบ")
    book = excel(reg.payload(selection=f"C{r}"))
    monkeypatch.setenv("USERNAME", "amnuay")
    macros.close(at=CLICK)
    assert alerts(book) == []
    [log] = log_rows(book, reg)
    assert (log["action"], log["by"], log["note"]) == ("close", RIBBON_DIRECTOR[0], "เพื่อทราบ")
    assert register_row(book, reg, r)["ended"] == "ปิดเรื่อง"


def test_the_forward_button_takes_the_recipient_typed_into_the_row(excel, ribbon):
    reg, rows, items = fresh(ribbon)
    r = rows["forward"]
    book = click(excel, reg, "forward", r)
    assert alerts(book) == [f"row {r}: say to whom the letter is sent on (ส่งต่อถึง) — type ส่งต่อถึง into the row, then click again"]
    reg.set(r, "forwarded_to", "กรมการจัดหางาน")
    book = click(excel, reg, "forward", r)
    assert alerts(book) == []
    [log] = log_rows(book, reg)
    assert (log["action"], log["data"]) == ("forward", '{"to":"กรมการจัดหางาน"}')
    got = register_row(book, reg, r)
    assert (got["ended"], got["forwarded_to"]) == ("ส่งต่อ", "กรมการจัดหางาน")


def test_the_link_scan_button_logs_the_scan_typed_into_the_row(excel, ribbon):
    reg, rows, items = fresh(ribbon)
    r = rows["link"]
    reg.set(r, "scan", "https://saraban.mol.go.th/doc/4")
    book = click(excel, reg, "link_scan", r)
    assert alerts(book) == []
    [log] = log_rows(book, reg)
    assert (log["item"], log["action"], log["data"]) == (items["link"], "link", '{"scan":"https://saraban.mol.go.th/doc/4"}')
    assert register_row(book, reg, r)["substep"] == "1.2"  # a link moves nothing


def test_advance_at_5_2_takes_the_answer_typed_into_the_row(excel, ribbon):
    reg, rows, items = fresh(ribbon)
    r = rows["answer"]
    reg.set(r, "reply_no", "ที่ รง 0301/1234")
    reg.set(r, "reply_date", date(2026, 11, 25))
    book = click(excel, reg, "advance", r)
    assert alerts(book) == []
    [log] = log_rows(book, reg)
    assert json.loads(log["data"]) == {"reply_no": "ที่ รง 0301/1234", "reply_date": "2026-11-25"}
    got = register_row(book, reg, r)
    assert got["reply_no"] == "ที่ รง 0301/1234" and got["reply_date"].startswith("2026-11-25")
    assert got["completed_at"] is not None


def test_advance_with_the_answer_typed_before_5_2_is_refused_in_the_ribbon_s_words(excel, ribbon):
    reg, rows, items = fresh(ribbon)
    r = rows["link"]
    reg.set(r, "reply_no", "ที่ รง 0301/1234")
    reg.set(r, "unit", "วท.")
    book = click(excel, reg, "advance", r)
    [msg] = alerts(book)
    assert msg.endswith("the answer's number and date are recorded when 5.2 (the answer sent out) is finished — leave them empty until then")
    assert not CLI_WORDS.search(msg)


def test_no_refusal_of_the_new_buttons_names_a_command_line_option_or_command(excel, ribbon):
    reg, rows, _ = fresh(ribbon)
    shown = []
    for button in ("cancel", "close", "forward", "link_scan"):
        for row in (rows["answer"], rows["link"], rows["answer"] + 20):  # at 5.2 (too late to cancel or send on), nothing typed, an empty row
            shown += alerts(click(excel, reg, button, row))
    assert len(shown) >= 8, shown
    assert [m for m in shown if CLI_WORDS.search(m)] == []


def test_the_undo_button_undoes_a_cancel(excel, ribbon):
    reg, rows, items = fresh(ribbon)
    r = rows["cancel"]
    reg.set(r, "remarks", "ซ้ำ")
    reg.plan(lambda b, c: service.plan_action(b, c, items["cancel"], "cancel", at=CLICK - timedelta(minutes=5), by="somchai", note="ซ้ำ"))
    book = click(excel, reg, "undo", r)
    assert alerts(book) == []
    got = register_row(book, reg, r)
    assert (got["substep"], got["ended"], got["completed_at"]) == ("1.2", None, None)


# -- the evaluation ------------------------------------------------------------------------------------
def _letter_log(item: str, received: datetime, to: str, ending: tuple | None, seq0: int, **finish):
    entries, at = walked(to, item=item, at=received)
    if ending is not None:
        action, kw = ending
        do(entries, action, at + timedelta(minutes=30), **kw)
    elif finish:
        do(entries, "advance", at + timedelta(minutes=30), **finish)
    return [LogEntry(seq0 + e.seq, e.item, e.substep, e.action, e.at, e.by, e.note, dict(e.data)) for e in entries]


def eval_book() -> bk.Book:
    """Five letters of 5 October 2026 (fiscal year 2570): A cancelled at 1.2, B closed at 3.1 by the director, C
    sent on at 1.5, D answered through 5.2 with its own date (5 Oct, by its reply-by date 6 Oct), E answered
    on 5 Oct (no date of its own: the day 5.2 finished), after its reply-by date 2 Oct."""
    day = datetime(2026, 10, 5, 9, 0)
    log = []
    plan = [
        ("1/2570", day, "1.2", ("cancel", {"note": "ซ้ำ"}), {}),
        ("2/2570", day, "3.1", ("close", {"note": "เพื่อทราบ", "by": DIRECTOR, "roles": ["ผอ.วท."]}), {}),
        ("3/2570", day, "1.5", ("forward", {"to": "กรมการจัดหางาน"}), {}),
        ("4/2570", day, "5.2", None, {"reply_no": "ที่ รง 0301/1", "reply_date": date(2026, 10, 5)}),
        ("5/2570", day, "5.2", None, {"note": ""}),
    ]
    for item, received, to, ending, finish in plan:
        log += _letter_log(item, received, to, ending, len(log), **finish)
    reply_by = {"4/2570": date(2026, 10, 6), "5/2570": date(2026, 10, 2)}
    letters = {item: Letter(item=item, received_at=day, subject=f"หนังสือ {item}", reply_by=reply_by.get(item)) for item, *_ in plan}
    return bk.Book(path=None, process=P, calendar=WorkCalendar(), holidays=[], people=[Person(DIRECTOR, "ผอ.วท.")],
                   letters=letters, log=log, register_rows={}, log_rows={}, sha256="0" * 64)


def test_the_evaluation_counts_each_ending_under_its_heading_and_leaves_cancelled_letters_out():
    s = summarize(eval_book(), 2570, 6, datetime(2027, 4, 20, 9, 0))
    t = s["totals"]
    assert (t["cancelled"], t["closed"], t["forwarded"]) == (1, 1, 1)
    assert (t["received"], t["completed"], t["open"]) == (4, 2, 0)  # the cancelled registration is no letter; closed and sent on are not "completed"
    cases = {x["code"]: x["cases"] for x in s["substeps"]}
    # D and E every sub-step; B 1.1–2.3 (not 3.1, where it was closed); C 1.1–1.4 (not 1.5); A nothing
    assert cases == {**{c: 4 for c in ("1.1", "1.2", "1.3", "1.4")}, **{c: 3 for c in ("1.5", "1.6", "2.1", "2.2", "2.3")},
                     **{c: 2 for c in ("3.1", "3.2", "4.1", "4.2", "5.1", "5.2")}}
    assert t["cases"] == 43
    ended = {x["item"]: (x["status"], x["substep"], x["reason"], x["to"], x["by"]) for x in s["ended"]}
    assert ended == {"1/2570": ("cancelled", "1.2", "ซ้ำ", "", "clerk"), "2/2570": ("closed", "3.1", "เพื่อทราบ", "", DIRECTOR),
                     "3/2570": ("forwarded", "1.5", "", "กรมการจัดหางาน", "clerk")}
    # reply-by compliance: D answered by its own date (6 Oct, on time); E on the day 5.2 finished (after 6 Oct)
    replies = {x["item"]: (x["answered"], x["own_date"], x["on_time"]) for x in s["replies"]}
    assert replies == {"4/2570": (date(2026, 10, 5), True, True), "5/2570": (date(2026, 10, 5), False, False)}
    assert (t["reply_by_total"], t["reply_by_met"], t["reply_by_met_pct"], t["reply_own_date"]) == (2, 1, 50.0, 1)


def test_a_cancelled_registration_counts_in_the_round_it_was_registered_not_received():
    """Received 30 September 2026 (fiscal year 2569) at 16:00, registered and cancelled on
    1 October (2570): the number was taken in 2570's first round, and so is the cancellation."""
    log = _letter_log("6/2570", datetime(2026, 10, 1, 9, 0), "1.2", ("cancel", {"note": "ซ้ำ"}), 0)
    reg = log[0]
    log[0] = LogEntry(reg.seq, reg.item, reg.substep, reg.action, reg.at, reg.by, reg.note,
                      {**reg.data, "received_at": "2026-09-30T16:00:00"})
    b = dataclasses.replace(eval_book(), letters={"6/2570": Letter(item="6/2570", received_at=datetime(2026, 9, 30, 16, 0), subject="ซ้ำ")},
                            log=log)
    before = summarize(b, 2569, 12, datetime(2026, 10, 5, 9, 0), compare=False)
    after = summarize(b, 2570, 6, datetime(2027, 4, 20, 9, 0), compare=False)
    assert (before["totals"]["cancelled"], before["ended"]) == (0, [])
    assert after["totals"]["cancelled"] == 1 and [x["item"] for x in after["ended"]] == ["6/2570"]
    assert before["totals"]["received"] == after["totals"]["received"] == 0  # a cancelled registration is no letter


def test_a_letter_still_open_past_its_reply_by_date_is_missed_not_left_out(tmp_path):
    """F, received 5 October 2026 with a reply-by date of 9 October, is still at 3.1 when the
    round ends: the sender's date has passed unanswered. G, open too, is asked for by 2 May
    2027, after the round: not judged yet."""
    b = eval_book()
    day = datetime(2026, 10, 5, 9, 0)
    log = list(b.log)
    for item in ("6/2570", "7/2570"):
        log += _letter_log(item, day, "3.1", None, len(log))
    letters = {**b.letters, "6/2570": Letter(item="6/2570", received_at=day, subject="หนังสือ 6/2570", reply_by=date(2026, 10, 9)),
               "7/2570": Letter(item="7/2570", received_at=day, subject="หนังสือ 7/2570", reply_by=date(2027, 5, 2))}
    b = dataclasses.replace(b, letters=letters, log=log)
    s = summarize(b, 2570, 6, datetime(2027, 4, 20, 9, 0))
    replies = {x["item"]: (x["answered"], x["on_time"], x["unanswered"]) for x in s["replies"]}
    assert replies == {"4/2570": (date(2026, 10, 5), True, False), "5/2570": (date(2026, 10, 5), False, False),
                       "6/2570": (None, False, True)}
    t = s["totals"]
    assert (t["reply_by_total"], t["reply_by_met"], t["open"]) == (3, 1, 2)
    wb = write_workbook(s, b, tmp_path / "r.xlsx", datetime(2027, 4, 20, 9, 0))
    row = next(r for r in wb["ตอบตามกำหนด"].iter_rows(min_row=4, max_col=8, values_only=True) if r[0] == "6/2570")
    assert row[3:5] == ("-", "ยังไม่ตอบ ณ สิ้นรอบ (not answered at the round's end)") and row[6] == "ไม่ (no)"


def test_a_secret_letters_subject_sender_and_notes_stay_in_the_register_not_in_the_evaluation(tmp_path):
    """The evaluation workbook is mailed to the PMQA team and the directors: a letter classed
    ลับมาก shows its class in brackets where its subject, sender and notes would be."""
    import json
    from dataclasses import replace as with_

    from xlflow.evaluation import to_json

    b = eval_book()
    secret = {k: with_(v, subject="ท่าทีลับการเจรจาการค้า", sender="สถานเอกอัครราชทูตลับ", secrecy="ลับมาก") for k, v in b.letters.items()}
    b = dataclasses.replace(b, letters=secret)
    s = summarize(b, 2570, 6, datetime(2027, 4, 20, 9, 0))
    wb = write_workbook(s, b, tmp_path / "r.xlsx", datetime(2027, 4, 20, 9, 0))
    cells = [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    text = "\n".join(cells) + json.dumps(to_json(s, b), ensure_ascii=False, default=str)
    for word in ("ท่าทีลับการเจรจาการค้า", "สถานเอกอัครราชทูตลับ"):  # the subject, the sender
        assert word not in text, word
    assert "[ลับมาก]" in cells and any(x["subject"] == "[ลับมาก]" for x in s["ended"])
    assert sorted(x["reason"] for x in s["ended"]) == ["", "[ลับมาก]", "[ลับมาก]"]  # "ซ้ำ", "เพื่อทราบ" hidden; none stays none


def test_the_evaluation_workbook_has_the_headings_and_the_cover_counts(tmp_path):
    b = eval_book()
    s = summarize(b, 2570, 6, datetime(2027, 4, 20, 9, 0))
    wb = write_workbook(s, b, tmp_path / "r.xlsx", datetime(2027, 4, 20, 9, 0))
    cover = {r[0]: r[1] for r in wb["ปก"].iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert cover["ยกเลิกเลขทะเบียน (ลงทะเบียนผิดพลาด) (Registrations cancelled (made by mistake))"] == 1
    assert cover["ปิดเรื่องก่อนครบขั้นตอน (Closed early)"] == 1
    assert cover["ส่งต่อหน่วยงานอื่น (Sent on to another bureau or department)"] == 1
    assert cover["ตอบภายในวันที่ผู้ส่งกำหนด (Answered by the sender's reply-by date)"] == "1 / 2 (50.0%)"
    item = re.compile(r"^\d+/\d{4}$")
    rows = [r for r in wb["ยุติก่อนครบขั้นตอน"].iter_rows(min_row=4, max_col=8, values_only=True) if item.match(str(r[0]))]
    assert [(r[0], r[2]) for r in rows] == [("1/2570", "ยกเลิก (cancelled)"), ("3/2570", "ส่งต่อ (sent on)"), ("2/2570", "ปิดเรื่อง (closed)")]  # in time order
    replies = [r for r in wb["ตอบตามกำหนด"].iter_rows(min_row=4, max_col=8, values_only=True) if item.match(str(r[0]))]
    assert {r[0]: r[6] for r in replies} == {"4/2570": "ใช่ (yes)", "5/2570": "ไม่ (no)"}


# -- the template and the Status cell without Python ----------------------------------------------------
def test_the_template_colours_and_lists_the_new_states(register_book):
    import openpyxl

    ws = openpyxl.load_workbook(register_book)[SHEETS["register"]]
    formulas = {r.formula[0] for cf in ws.conditional_formatting for r in cf.rules}
    for word in ("ยกเลิก", "ปิดเรื่อง", "ส่งต่อ"):
        assert f'$T2="{word}"' in formulas
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert any("ยกเลิก,ปิดเรื่อง,ส่งต่อ" in f for f in lists)
    hm = schema.header_map(SHEETS["register"], [c.value for c in ws[1]], schema.REGISTER_COLUMNS)
    assert {"ended", "end_reason", "forwarded_to", "reply_no", "reply_date", "scan"} <= set(hm)
    assert not next(c for c in schema.REGISTER_COLUMNS if c.field == "scan").derived  # typed by clerks


@pytest.mark.libreoffice
def test_the_status_formula_shows_how_an_item_ended_without_python(reg_file, xlflow):
    from test_template import lo_recalc

    run(xlflow, "cancel", reg_file, "1/2569", "--reason", "ซ้ำ", "--at", "2026-11-20T10:00")
    run(xlflow, "close", reg_file, "2/2569", "--reason", "เพื่อทราบ", "--by", DIRECTOR, "--at", "2026-11-20T10:01")
    run(xlflow, "forward", reg_file, "3/2569", "--to", "กรมการจัดหางาน", "--at", "2026-11-20T10:02")
    hm = {c.field: i for i, c in enumerate(schema.REGISTER_COLUMNS)}
    cells = [f"{SHEETS['register']}!{schema.col_letter(hm['status'])}{r}" for r in (2, 3, 4, 5)]
    got = lo_recalc(reg_file, *cells)
    assert [got[c]["string"] for c in cells] == ["ยกเลิก", "ปิดเรื่อง", "ส่งต่อ", "เกินกำหนด"]
