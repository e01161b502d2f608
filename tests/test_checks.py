"""The checker's pure part: breaches, whom to tell, digests, their words, rounds due.

Registers are built through the library (template.init, then service.commit with the
planners, one write per scenario) with People rows and fixed holidays written by openpyxl.
The helpers at the top are shared with test_checker.py and test_rounds.py.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from xlflow import book as bk
from xlflow import checks, service, template
from xlflow.model import Person
from xlflow.process import Process
from xlflow.schema import SHEETS
from xlflow.workflow import replay
from xlflow.worktime import WorkCalendar

OFFICER_ROLE = "เจ้าหน้าที่ วท. ที่รับผิดชอบ"
SOMCHAI, SOMYING = "สมชาย ใจดี", "สมหญิง รักงาน"
#: People rows: name, role (Thai, from process.toml), unit, email, Windows user.
PEOPLE = [
    (SOMCHAI, OFFICER_ROLE, "วท.", "somchai@mol.go.th", "somchai"),
    (SOMYING, OFFICER_ROLE, "วท.", "somying@mol.go.th", "somying"),
    ("วิไล สารบรรณ", "เจ้าหน้าที่งานสารบรรณ วท.", "วท.", "wilai@mol.go.th", ""),
    ("ประยุทธ บริหาร", "หัวหน้างานบริหาร สปร.", "สปร.", "head@mol.go.th", ""),
    ("เลขา ไร้อีเมล", "เลขานุการ ผอ.สปร.", "สปร.", "", ""),
    ("อำนวย วิเทศ", "ผอ.วท.", "วท.", "dir.wt@mol.go.th", ""),
    ("อำนวย สำนัก", "ผอ.สปร.", "สปร.", "dir.spr@mol.go.th", ""),
    ("คุณภาพ ทีม", "ทีม PMQA", "สปร.", "pmqa@mol.go.th", ""),
]
#: Fixed days off for every test register (not the holidays library): the 2026 Father's Day
#: substitute, Constitution Day, and a day off on Friday 3 July 2026 for the round tests.
HOLIDAYS = [(date(2026, 12, 7), "ชดเชยวันพ่อแห่งชาติ"), (date(2026, 12, 10), "วันรัฐธรรมนูญ"), (date(2026, 7, 3), "วันหยุดพิเศษ (ทดสอบ)")]


def at(*parts) -> datetime:
    """A naive Bangkok time, as the register keeps it."""
    return datetime(*parts)


def write_people(path: Path, people=PEOPLE, holidays=HOLIDAYS) -> None:
    """Replace the People rows (and the Calendar's holidays) of a register with openpyxl."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEETS["people"]]
    for r in range(2, ws.max_row + 1):
        for c in range(1, 6):
            ws.cell(r, c).value = None
    for r, row in enumerate(people, start=2):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c).value = v
    if holidays is not None:
        ca = wb[SHEETS["calendar"]]
        for r in range(2, ca.max_row + 1):
            for c in range(1, 5):
                ca.cell(r, c).value = None
        for r, (d, name) in enumerate(holidays, start=2):
            ca.cell(r, 1).value, ca.cell(r, 2).value, ca.cell(r, 3).value = d, name, "ใช่"
    wb.save(path)


def make_register(path: Path, today: date = date(2026, 11, 25), people=PEOPLE) -> Path:
    """A new register with People and fixed holidays."""
    template.init(path, today=today)
    write_people(path, people)
    return path


def reg(when: datetime, subject: str, by: str = "สารบรรณ สปร.", **letter):
    """A planner step: register a letter at ``when``."""
    step = lambda b, c: service.plan_register(b, c, at=when, by=by, subject=subject, **letter)  # noqa: E731
    step.registers = True
    return step


def do(item: str, action: str, when: datetime, by: str = "somchai", **kw):
    """A planner step: one action on one item."""
    return lambda b, c: service.plan_action(b, c, item, action, at=when, by=by, **kw)


def walk(item: str, code: str, when: datetime, officer: str = SOMCHAI, unit: str = "วท."):
    """A planner step: move ``item`` on (assigning on the way) until ``code`` starts at ``when``."""

    def step(b, c):
        for _ in range(60):
            st = replay([e for e in (*b.log, *c.log) if e.item == item], b.process)
            if st.substep == code:
                return
            sub = b.process[st.substep]
            if sub.requires == "unit" and not st.unit:
                service.plan_action(b, c, item, "assign", at=when, by="clerk", unit=unit)
            elif sub.requires == "officer" and not st.officer:
                service.plan_action(b, c, item, "assign", at=when, by="clerk", officer=officer)
            else:
                service.plan_action(b, c, item, "approve" if sub.is_decision else "advance", at=when, by="clerk")
        raise AssertionError(f"{item} never reached {code}")

    return step


def script(path: Path, *steps) -> Path:
    """Apply planner steps to the register: the registrations in one write, then the actions
    in another (an action finds its item among the registered letters)."""
    for batch in ([s for s in steps if getattr(s, "registers", False)], [s for s in steps if not getattr(s, "registers", False)]):
        if batch:
            service.commit(path, lambda b, c, batch=batch: [s(b, c) for s in batch])
    return path


@pytest.fixture(scope="module")
def base_register(tmp_path_factory) -> Path:
    """Made once per module: a register for 25 Nov 2026 with People and fixed holidays."""
    return make_register(tmp_path_factory.mktemp("base") / "Coordination_Register.xlsx")


@pytest.fixture
def book_path(base_register, tmp_path) -> Path:
    """A fresh copy of the base register for one test."""
    return Path(shutil.copy(base_register, tmp_path / "Coordination_Register.xlsx"))


def found(path: Path, now: datetime, **kw) -> checks.Findings:
    b = bk.load(path)
    return checks.find(b, now, people_rows=_rows(path), **kw)


def _rows(path: Path) -> dict[str, int]:
    from xlflow.checker import read_people_sheet

    return read_people_sheet(path).row_of


def kinds(f: checks.Findings) -> dict[str, str]:
    return {b.key: b.kind for b in f.breaches}


# -- breaches -----------------------------------------------------------------------------------
def test_overdue_item_is_found_with_its_key_and_working_hours_late(book_path):
    script(book_path, reg(at(2026, 11, 25, 9, 0), "เชิญประชุม ILO"), walk("1/2569", "2.1", at(2026, 11, 25, 9, 30)))
    f = found(book_path, at(2026, 11, 25, 11, 0))
    (b,) = f.breaches
    assert b.key == "1/2569|2.1|0|overdue"
    assert (b.item, b.substep, b.round, b.kind, b.subject) == ("1/2569", "2.1", 0, "overdue", "เชิญประชุม ILO")
    assert b.due_at == at(2026, 11, 25, 10, 30)
    assert b.late_minutes == pytest.approx(30.0)
    assert b.substep_name == Process.default()["2.1"].name_th


def test_overdue_is_counted_in_working_time_over_lunch_and_the_weekend(book_path):
    # 2.1 (60 working minutes) starts Friday 16:00: 30 minutes on Friday, 30 on Monday.
    script(book_path, reg(at(2026, 11, 27, 16, 0), "ขอข้อมูล"), walk("1/2569", "2.1", at(2026, 11, 27, 16, 0)))
    assert kinds(found(book_path, at(2026, 11, 28, 12, 0))) == {"1/2569|2.1|0|due_soon": "due_soon"}  # Saturday: not late
    f = found(book_path, at(2026, 11, 30, 13, 30))  # Monday 13:30: due 09:00; 3 h of morning, lunch off, 30 min
    (b,) = f.breaches
    assert b.kind == "overdue" and b.due_at == at(2026, 11, 30, 9, 0)
    assert b.late_minutes == pytest.approx(210)
    assert checks.hours(b.late_minutes) == "3.5"


def test_due_soon_warns_from_the_larger_of_60_working_minutes_and_25_percent_of_the_standard(book_path):
    # 3.2 has a standard of 120 working minutes: default warning 60 minutes before due.
    script(book_path, reg(at(2026, 11, 25, 8, 30), "วิเคราะห์"), walk("1/2569", "3.2", at(2026, 11, 25, 8, 30)))
    assert found(book_path, at(2026, 11, 25, 9, 29)).breaches == []
    (b,) = found(book_path, at(2026, 11, 25, 9, 31)).breaches
    assert b.kind == "due_soon" and b.left_minutes == pytest.approx(59)
    # With a 10-minute margin configured, 25 % of 120 = 30 minutes is the larger one.
    assert found(book_path, at(2026, 11, 25, 9, 59), soon_minutes=10).breaches == []
    (b,) = found(book_path, at(2026, 11, 25, 10, 1), soon_minutes=10).breaches
    assert b.kind == "due_soon" and b.key == "1/2569|3.2|0|due_soon"
    # and a fraction of one half moves it to 60 minutes again
    assert found(book_path, at(2026, 11, 25, 9, 31), soon_minutes=10, soon_fraction=0.5).breaches[0].kind == "due_soon"


def test_a_paused_letter_is_announced_for_its_reply_by_date_only_and_a_done_one_never(book_path):
    script(
        book_path,
        reg(at(2026, 11, 25, 8, 30), "รอคำตอบ", reply_by=date(2026, 11, 20)),
        reg(at(2026, 11, 25, 8, 30), "เสร็จแล้ว", reply_by=date(2026, 11, 20)),
        reg(at(2026, 11, 25, 8, 30), "รอนาน", reply_by=date(2026, 12, 31)),
        walk("1/2569", "2.3", at(2026, 11, 25, 8, 30)),
        do("1/2569", "pause", at(2026, 11, 25, 8, 31), note="รอคำตอบจากกรมการจัดหางาน"),
        walk("2/2569", "5.2", at(2026, 11, 25, 8, 30)),
        do("2/2569", "advance", at(2026, 11, 25, 8, 40)),
        walk("3/2569", "2.3", at(2026, 11, 25, 8, 30), officer=SOMYING),
        do("3/2569", "pause", at(2026, 11, 25, 8, 31), note="รอ"),
    )
    f = found(book_path, at(2026, 12, 2, 10, 0))
    # the sender's date passed while the letter waits on a department: its officer hears of it
    (b,) = f.breaches
    assert (b.key, b.paused, b.reply_days) == ("1/2569|reply-by:2026-11-20|0|reply_overdue", True, 8)
    assert f.to == {b.key: ["somchai@mol.go.th"]}
    assert f.totals["paused"] == 2 and f.totals["done"] == 1
    # ... and near: on Tuesday 29 December, Thursday 31 December is 2 working days away
    (near,) = found(book_path, at(2026, 12, 29, 10, 0)).breaches[1:]
    assert (near.item, near.kind, near.paused) == ("3/2569", "reply_soon", True)
    d = next(d for d in checks.plan_digests(f, lambda k, e: list(k)) if d.email == "somchai@mol.go.th")
    assert "พักเรื่องรอหน่วยงานอื่นอยู่ / paused, waiting on another agency" in checks.render(d, f, "r.xlsx")[1]


def test_reply_by_date_passed_or_near_is_a_breach_of_the_letter_not_of_the_sub_step(book_path):
    script(book_path, reg(at(2026, 11, 25, 8, 30), "ขอความเห็น", reply_by=date(2026, 11, 27)), walk("1/2569", "3.1", at(2026, 11, 25, 8, 30)))
    # Wednesday: Friday is 2 working days away (the default warning): near.
    f = found(book_path, at(2026, 11, 25, 8, 45))
    assert kinds(f)["1/2569|reply-by:2026-11-27|0|reply_soon"] == "reply_soon"
    reply = next(b for b in f.breaches if b.kind == "reply_soon")
    assert reply.reply_days == 2 and reply.reply_by == date(2026, 11, 27)
    # with 1 day of warning it is not near yet
    assert all(b.kind != "reply_soon" for b in found(book_path, at(2026, 11, 25, 8, 45), reply_warn_days=1).breaches)
    # the item moves on: the reply breach keeps its key (announced once per date)
    script(book_path, walk("1/2569", "3.2", at(2026, 11, 30, 9, 0)))
    f = found(book_path, at(2026, 12, 1, 9, 0))  # Tuesday: 2 working days past Friday
    reply = next(b for b in f.breaches if b.kind.startswith("reply"))
    assert reply.key == "1/2569|reply-by:2026-11-27|0|reply_overdue"
    assert reply.reply_days == 2
    assert reply.substep == "3.2"


def test_a_reply_by_date_on_a_saturday_is_not_said_to_be_due_today_on_the_friday(book_path):
    script(book_path, reg(at(2026, 11, 25, 8, 30), "ขอความเห็น", reply_by=date(2026, 11, 28)), walk("1/2569", "3.1", at(2026, 11, 25, 8, 30)))
    reply = next(b for b in found(book_path, at(2026, 11, 27, 9, 0)).breaches if b.kind == "reply_soon")  # Friday
    assert reply.reply_days == 0
    lines = checks._detail(reply)
    assert "กำหนดตอบภายใน / reply by: 28 พ.ย. 2569" in lines
    assert "วันนี้เป็นวันทำการสุดท้ายที่จะตอบได้ทันกำหนด / today is the last working day to answer in time" in lines
    assert not any("วันนี้" in x and "ครบกำหนด" in x for x in lines)


def test_a_reply_by_date_is_told_to_the_officer_in_charge_even_at_a_clerks_sub_step(book_path):
    # paused at 2.2 (the group clerk's) waiting on a department: the sender's date is the officer's to answer
    script(
        book_path,
        reg(at(2026, 11, 25, 8, 30), "ขอความเห็น", reply_by=date(2026, 11, 26)),
        walk("1/2569", "2.2", at(2026, 11, 25, 8, 30), officer=SOMYING),
        do("1/2569", "pause", at(2026, 11, 25, 8, 40), note="รอกรมการจัดหางาน"),
    )
    f = found(book_path, at(2026, 11, 30, 9, 0))
    assert f.to == {"1/2569|reply-by:2026-11-26|0|reply_overdue": ["somying@mol.go.th"]}
    # and reminded as she was told (the clerks of 2.2 never had it: a reminder is no first notice)
    f = found(book_path, at(2026, 12, 3, 9, 0))
    assert {x.key: f.followup_to[x.key] for x in f.followups} == {"1/2569|reply-by:2026-11-26|0|reply_overdue#r5": ["somying@mol.go.th"]}


def test_a_breach_after_a_send_back_has_its_own_round(book_path):
    script(
        book_path,
        reg(at(2026, 11, 25, 8, 30), "ร่างท่าที"),
        walk("1/2569", "5.1", at(2026, 11, 25, 8, 30)),
        do("1/2569", "reject", at(2026, 11, 25, 8, 35), note="แก้ไขท่าที"),
    )
    (b,) = found(book_path, at(2026, 11, 26, 9, 0)).breaches
    assert b.key == "1/2569|3.1|1|overdue"


# -- whom to tell ----------------------------------------------------------------------------------
def test_the_officer_in_charge_is_told_at_the_officers_sub_steps(book_path):
    script(book_path, reg(at(2026, 11, 25, 8, 30), "ก"), walk("1/2569", "2.1", at(2026, 11, 25, 8, 30), officer=SOMYING))
    f = found(book_path, at(2026, 11, 25, 9, 0))
    # 2.1's role is the officer in charge: the item's officer, not the other officers
    assert f.to == {"1/2569|2.1|0|due_soon": ["somying@mol.go.th"]}


def test_at_a_clerks_sub_step_the_clerks_are_told_not_the_officer(book_path):
    # 2.2 (and 1.5, 1.6, 4.2, 5.2) are the clerks': once an officer is set they are still told
    script(book_path, reg(at(2026, 11, 25, 8, 30), "ก"), walk("1/2569", "2.2", at(2026, 11, 25, 8, 30), officer=SOMYING))
    f = found(book_path, at(2026, 11, 25, 9, 0))
    assert f.to == {"1/2569|2.2|0|due_soon": ["wilai@mol.go.th"]}
    # 4.2 is shared: the group clerk and the officer in charge
    script(book_path, walk("1/2569", "4.2", at(2026, 11, 25, 9, 0)))
    f = found(book_path, at(2026, 11, 25, 10, 30))
    assert f.to == {"1/2569|4.2|0|overdue": ["wilai@mol.go.th", "somying@mol.go.th"]}


def test_the_roles_come_from_the_process_sheet(base_register, tmp_path):
    # the office gives 2.2 to the officer in charge in its Process sheet: then the officer is told
    path = Path(shutil.copy(base_register, tmp_path / "r.xlsx"))
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEETS["process"]]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "2.2")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value == "ผู้รับผิดชอบ")  # the role column
    ws.cell(row, col).value = OFFICER_ROLE
    wb.save(path)
    script(path, reg(at(2026, 11, 25, 8, 30), "ก"), walk("1/2569", "2.2", at(2026, 11, 25, 8, 30), officer=SOMYING))
    assert found(path, at(2026, 11, 25, 9, 0)).to == {"1/2569|2.2|0|due_soon": ["somying@mol.go.th"]}


def test_without_an_officer_the_people_of_the_responsible_roles_are_told(book_path):
    script(book_path, reg(at(2026, 11, 25, 8, 30), "ก"))
    f = found(book_path, at(2026, 11, 25, 10, 0))
    # 1.2: หัวหน้างานบริหาร สปร. / เลขานุการ ผอ.สปร. — the secretary has no e-mail.
    assert f.to == {"1/2569|1.2|0|overdue": ["head@mol.go.th"]}
    assert [n.en for n in f.notices] == ["no email for เลขา ไร้อีเมล in the People sheet, row 6 — add one so that they are told"]


def test_an_officer_role_stands_for_the_items_officer_only(base_register, tmp_path):
    # Nobody but officers in People, and an item at 1.2 has no officer yet: nobody to tell,
    # and the directors hear of it. (The two officers are not told about an item not theirs.)
    people = [p for p in PEOPLE if p[1] in (OFFICER_ROLE, "ผอ.วท.")]
    path = make_register(tmp_path / "r.xlsx", people=people)
    script(path, reg(at(2026, 11, 25, 8, 30), "ก"))
    f = found(path, at(2026, 11, 25, 10, 0))
    assert f.to == {"1/2569|1.2|0|overdue": []}
    assert [n.en for n in f.notices] == [
        "nobody to tell about item 1/2569 at sub-step 1.2: no one in the People sheet has the role หัวหน้างานบริหาร สปร. / เลขานุการ ผอ.สปร."
    ]
    p = Process.default()
    st = replay(bk.load(path).log, p)
    assert checks.responsible(st, p["2.1"], [Person(n, r, u, e) for n, r, u, e, _ in people], p) == []


def test_an_officer_missing_from_people_falls_back_to_the_roles_and_is_reported(book_path):
    script(book_path, reg(at(2026, 11, 25, 8, 30), "ก"), walk("1/2569", "2.2", at(2026, 11, 25, 8, 30)))
    wb = openpyxl.load_workbook(book_path)
    ws = wb[SHEETS["people"]]
    ws.delete_rows(2)  # สมชาย leaves the People sheet
    wb.save(book_path)
    f = found(book_path, at(2026, 11, 25, 9, 0))
    assert f.to == {"1/2569|2.2|0|due_soon": ["wilai@mol.go.th"]}  # the group clerk, 2.2's role
    assert f'the officer "{SOMCHAI}" of item 1/2569 is not in the People sheet — add the name and e-mail there' in [n.en for n in f.notices]


def test_directors_and_pmqa_come_from_the_role_flags():
    people = [Person(n, r, u, e) for n, r, u, e, _ in PEOPLE]
    p = Process.default()
    assert [x.name for x in checks.directors(people, p)] == ["อำนวย วิเทศ", "อำนวย สำนัก"]
    assert [x.name for x in checks.pmqa_team(people, p)] == ["คุณภาพ ทีม"]


def test_a_director_without_email_is_a_notice_with_the_row(base_register, tmp_path):
    people = [p if p[1] != "ผอ.สปร." else (*p[:3], "", "") for p in PEOPLE]
    path = make_register(tmp_path / "r.xlsx", people=people)
    f = found(path, at(2026, 11, 25, 10, 0))
    assert [n.en for n in f.notices] == ["no email for อำนวย สำนัก (ผอ.สปร.) in the People sheet, row 8 — add one"]
    assert f.directors == ["dir.wt@mol.go.th"]


# -- digests ---------------------------------------------------------------------------------------
def _three_items(path: Path) -> Path:
    """1/2569 overdue at 1.2 (no officer), 2/2569 overdue at 2.1 and 3/2569 due soon at 2.3 (สมชาย)."""
    return script(
        path,
        reg(at(2026, 11, 25, 9, 0), "เชิญประชุม ILO"),
        reg(at(2026, 11, 25, 9, 0), "ขอข้อมูลแรงงานต่างด้าว"),
        reg(at(2026, 11, 25, 9, 0), "สรุปท่าที ASEAN"),
        walk("2/2569", "2.1", at(2026, 11, 25, 9, 0)),
        walk("3/2569", "2.3", at(2026, 11, 25, 10, 30)),
    )


def test_one_digest_per_person_with_only_what_is_pending(book_path):
    _three_items(book_path)
    f = found(book_path, at(2026, 11, 25, 11, 0))
    everything = checks.plan_digests(f, lambda keys, email: list(keys))
    assert [d.email for d in everything] == ["head@mol.go.th", "somchai@mol.go.th", "dir.wt@mol.go.th", "dir.spr@mol.go.th"]
    somchai = everything[1]
    assert [b.key for b in somchai.own] == ["2/2569|2.1|0|overdue", "3/2569|2.3|0|due_soon"]
    assert somchai.summary == () and somchai.notices == ()
    director = everything[2]
    assert director.own == ()
    assert [b.key for b in director.summary] == ["1/2569|1.2|0|overdue", "2/2569|2.1|0|overdue", "3/2569|2.3|0|due_soon"]
    assert [n.en for n in director.notices] == ["no email for เลขา ไร้อีเมล in the People sheet, row 6 — add one so that they are told"]
    # what was sent is not sent again; a person with nothing new gets nothing
    sent = {("somchai@mol.go.th", "2/2569|2.1|0|overdue")} | {("head@mol.go.th", k) for k in f.to}
    later = checks.plan_digests(f, lambda keys, email: [k for k in keys if (email, k) not in sent])
    assert [(d.email, [b.key for b in d.own]) for d in later][:1] == [("somchai@mol.go.th", ["3/2569|2.3|0|due_soon"])]
    assert "head@mol.go.th" not in [d.email for d in later]


def test_a_director_with_items_of_their_own_gets_one_message(base_register, tmp_path):
    # ผอ.วท. is also the officer of an item: own items and the summary in one digest.
    people = [*PEOPLE, ("อำนวย วิเทศ", OFFICER_ROLE, "วท.", "dir.wt@mol.go.th", "")]
    path = make_register(tmp_path / "r.xlsx", people=people)
    script(path, reg(at(2026, 11, 25, 9, 0), "ก"), reg(at(2026, 11, 25, 9, 0), "ข"), walk("2/2569", "2.1", at(2026, 11, 25, 9, 0), officer="อำนวย วิเทศ"))
    f = found(path, at(2026, 11, 25, 11, 0))
    ds = [d for d in checks.plan_digests(f, lambda k, e: list(k)) if d.email == "dir.wt@mol.go.th"]
    assert len(ds) == 1
    assert [b.key for b in ds[0].own] == ["2/2569|2.1|0|overdue"]
    assert [b.key for b in ds[0].summary] == ["1/2569|1.2|0|overdue"]


def test_subject_line_counts_in_thai_and_english():
    b = lambda k, kind: checks.Breach(key=k, item=k, kind=kind, substep="2.1", substep_name="", round=0)  # noqa: E731
    d = checks.Digest("a@b.c", ("ก",), own=(b("1", "overdue"), b("2", "overdue"), b("3", "due_soon")))
    assert checks.subject_line(d) == "xlflow: เกินกำหนด 2 เรื่อง ใกล้ครบกำหนด 1 เรื่อง / 2 overdue, 1 due soon"
    d = checks.Digest("a@b.c", ("ก",), summary=(b("1", "reply_overdue"), b("2", "overdue")), notices=(checks.Notice("n", "ก", "x"),),
                      director=True, new=frozenset({"2", "n"}))
    assert checks.subject_line(d) == (
        "xlflow สรุปสำหรับผู้อำนวยการ: เกินกำหนด 1 เรื่อง เลยวันกำหนดตอบ 1 เรื่อง ปัญหาที่ต้องแก้ 1 รายการ (ใหม่ 2) / "
        "directors' summary: 1 overdue, 1 past the reply-by date, 1 problem to fix, 2 new"
    )  # new: the overdue breach and the problem, as the body marks them
    x = checks.FollowUp("1#r2", b("1", "overdue"), "reminder", 2)
    assert checks.subject_line(checks.Digest("a@b.c", ("ก",), followups=(x,))) == "xlflow: เตือนซ้ำ 1 เรื่อง / 1 reminder"


def test_a_breach_is_listed_once_with_all_that_follows_it_up_and_the_subject_counts_letters():
    b = checks.Breach(key="9/2569|4.1|0|overdue", item="9/2569", kind="overdue", substep="4.1", substep_name="", round=0,
                      due_at=datetime(2026, 11, 25, 10, 0), late_minutes=1400)
    r = checks.Breach(key="9/2569|reply-by:2026-11-27|0|reply_overdue", item="9/2569", kind="reply_overdue", substep="4.1",
                      substep_name="", round=0, reply_by=date(2026, 11, 27), reply_days=3)
    ups = (checks.FollowUp(b.key + "#r3", b, "reminder", 3), checks.FollowUp(b.key + "#e2", b, "escalation", 2, "ผอ.วท."),
           checks.FollowUp(r.key + "#r3", r, "reminder", 3))
    d = checks.Digest("a@b.c", ("ก",), followups=ups)
    assert checks.subject_line(d) == "xlflow: เตือนซ้ำ 1 เรื่อง ยกระดับ 1 เรื่อง / 1 reminder, 1 escalated"  # one letter
    entries = checks._entries(d, "own")
    assert [e[0].key for e in entries] == [b.key, r.key]  # the overdue breach once, its reminder and escalation together
    assert entries[0][1].split("\n") == ["เตือนครั้งที่ 3: ยังค้างอยู่ / reminder 3: still open",
                                         "ยกระดับถึง ผอ.วท.: ใช้เวลาแล้ว 2 เท่าของมาตรฐานหรือกว่า / escalated to ผอ.วท.: 2 times the standard or more spent"]
    text = "\n".join(checks._section_text("t", entries, False))
    assert text.count("- 9/2569") == 2 and "overdue (1)" in text  # once under overdue, once under the reply-by date


def test_digest_lists_number_subject_sub_step_due_time_in_be_and_hours_late(book_path):
    _three_items(book_path)
    f = found(book_path, at(2026, 11, 25, 11, 0))
    somchai = next(d for d in checks.plan_digests(f, lambda k, e: list(k)) if d.email == "somchai@mol.go.th")
    subject, text, page = checks.render(somchai, f, "Coordination_Register.xlsx")
    assert subject == "xlflow: เกินกำหนด 1 เรื่อง ใกล้ครบกำหนด 1 เรื่อง / 1 overdue, 1 due soon"
    assert f"เรียน {SOMCHAI} / Dear {SOMCHAI}," in text
    assert "- 2/2569 — ขอข้อมูลแรงงานต่างด้าว" in text
    assert f"ขั้นตอน / sub-step 2.1 {checks.brief(Process.default()['2.1'].name_th)}" in text  # 213 characters: cut short
    assert "กำหนดเสร็จ / due: 25 พ.ย. 2569 10:00 น." in text
    assert "เกินกำหนด 1.0 ชั่วโมงทำการ / 1.0 working hours late" in text
    assert "เหลือเวลา 0.5 ชั่วโมงทำการ / 0.5 working hours left" in text
    assert "2/2569" in page and "ขอข้อมูลแรงงานต่างด้าว" in page and "25 พ.ย. 2569 10:00 น." in page


def test_register_text_is_escaped_in_html_and_cannot_add_lines_to_the_text(book_path):
    evil = '<script>alert("x")</script>\r\nBcc: spy@evil.example'
    script(book_path, reg(at(2026, 11, 25, 9, 0), evil))
    f = found(book_path, at(2026, 11, 25, 11, 0))
    d = next(d for d in checks.plan_digests(f, lambda k, e: list(k)) if d.email == "head@mol.go.th")
    subject, text, page = checks.render(d, f, 'A&B <reg>.xlsx')
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Bcc: spy@evil.example" in page
    assert "A&amp;B &lt;reg&gt;.xlsx" in page
    assert "\nBcc:" not in text and '- 1/2569 — <script>alert("x")</script> Bcc: spy@evil.example' in text
    assert "spy" not in subject and "\n" not in subject


# -- rounds ----------------------------------------------------------------------------------------
CAL = WorkCalendar(holidays=[d for d, _ in HOLIDAYS])


def test_a_round_is_due_from_the_first_working_day_after_its_last_day():
    never = lambda key: False  # noqa: E731
    since = date(2026, 1, 5)
    # FY2569's 9-month round ends Tuesday 30 June 2026; Wednesday 1 July is the first working day.
    assert checks.rounds_due(date(2026, 6, 30), CAL, (9, 12), never, since) == []
    assert checks.rounds_due(date(2026, 7, 1), CAL, (9, 12), never, since) == [(2569, 9)]
    assert checks.rounds_due(date(2026, 7, 20), CAL, (9, 12), never, since) == [(2569, 9)]  # missed days catch up
    assert checks.rounds_due(date(2026, 7, 1), CAL, (9, 12), lambda k: k == "FY2569-R9", since) == []
    # the 12-month round ends Wednesday 30 September; it is delivered in the new fiscal year
    assert checks.rounds_due(date(2026, 10, 1), CAL, (9, 12), lambda k: k == "FY2569-R9", since) == [(2569, 12)]
    # the 6-month round only when configured
    assert checks.rounds_due(date(2026, 4, 1), CAL, (9, 12), never, since) == []
    assert checks.rounds_due(date(2026, 4, 1), CAL, (6, 9, 12), never, since) == [(2569, 6)]


def test_rounds_closed_before_the_checker_first_ran_wait_for_redeliver():
    never = lambda key: False  # noqa: E731
    assert checks.rounds_due(date(2026, 11, 25), CAL, (9, 12), never, since=date(2026, 11, 25)) == []
    assert checks.rounds_due(date(2026, 11, 25), CAL, (9, 12), never, since=date(2026, 6, 1)) == [(2569, 9), (2569, 12)]


def test_round_delivery_skips_a_holiday_after_the_close():
    # A round closing on Thursday 2 July would be delivered on Monday 6 July past Friday's day off.
    assert CAL.next_working_day(date(2026, 7, 2)) == date(2026, 7, 6)


def test_round_stats_count_letters_completions_and_sub_steps_within_standard(book_path):
    script(
        book_path,
        reg(at(2026, 11, 25, 8, 30), "ก"),
        walk("1/2569", "5.2", at(2026, 11, 25, 8, 30)),  # every sub-step in 0 minutes
        do("1/2569", "advance", at(2026, 11, 25, 10, 0)),  # 5.2: 90 minutes against 60
    )
    s = checks.round_stats(bk.load(book_path), 2570, 12)
    assert (s.start, s.end) == (date(2026, 10, 1), date(2027, 9, 30))
    assert (s.received, s.completed, s.steps, s.within) == (1, 1, 15, 14)
    assert s.percent == pytest.approx(100 * 14 / 15)
    assert checks.round_stats(bk.load(book_path), 2569, 12).steps == 0
    subject, text, page = checks.render_round(s, Path("/srv/evaluations/FY2570-R12.xlsx"), "Coordination_Register.xlsx", at(2027, 10, 1, 9, 0))
    assert subject == "xlflow: ผลการประเมินรอบ 12 เดือน ปีงบประมาณ 2570 / evaluation of fiscal year 2570, 12-month round"
    assert "ช่วงเวลา / period: 1 ตุลาคม 2569 – 30 กันยายน 2570" in text
    assert "ภายในมาตรฐานเวลา / within the time standard: 14 (93.3%)" in text
    assert "ไฟล์เก็บไว้ที่ / the file is kept at: /srv/evaluations/FY2570-R12.xlsx" in text


def test_a_long_digest_lists_the_first_items_and_counts_the_rest(book_path, monkeypatch):
    _three_items(book_path)
    monkeypatch.setattr(checks, "LIST_LIMIT", 1)
    f = found(book_path, at(2026, 11, 25, 11, 0))
    d = next(d for d in checks.plan_digests(f, lambda k, e: list(k)) if d.email == "dir.wt@mol.go.th")
    _, text, page = checks.render(d, f, "r.xlsx")
    assert "… และอีก 1 เรื่อง ดูได้ในทะเบียน (กรองคอลัมน์สถานะ) / … and 1 more: filter the register by status" in text
    assert "- [ใหม่ / new] 1/2569 — เชิญประชุม ILO" in text and "2/2569" not in text
    assert "and 1 more" in page
    assert len(d.keys) == 4  # all announced (and recorded): the register shows the rest


def test_letters_typed_into_the_register_by_hand_are_one_notice(book_path):
    script(book_path, reg(at(2026, 11, 25, 9, 0), "ก"))
    wb = openpyxl.load_workbook(book_path)
    ws = wb[SHEETS["register"]]
    for r, n in enumerate(range(2, 14), start=3):  # twelve rows typed by hand, no Log rows
        ws.cell(r, 1).value, ws.cell(r, 2).value, ws.cell(r, 7).value = f"{n}/2569", at(2026, 11, 25, 9, 0), "พิมพ์เอง"
    wb.save(book_path)
    f = found(book_path, at(2026, 11, 25, 9, 10))
    assert [n.en for n in f.notices if "no registration" in n.en] == [
        "12 item(s) in the Register have no registration in the Log, so they were not checked "
        "(2/2569, 3/2569, 4/2569, 5/2569, 6/2569, 7/2569, 8/2569, 9/2569, 10/2569, 11/2569 … (+2)) — register letters with xlflow"
    ]


def test_a_long_sub_step_name_is_cut_short_at_a_phrase_in_mails_and_a_short_one_kept_whole():
    p = Process.default()
    assert checks.brief(p["1.2"].name_th) == p["1.2"].name_th  # 61 characters: whole
    long = p["4.1"].name_th  # 215 characters
    got = checks.brief(long)
    assert got.endswith("…") and len(got) <= checks.BRIEF + 1 and long.startswith(got[:-1])
    assert long[len(got) - 1] in " /"  # it stops where a phrase ends, not inside a Thai word
    assert checks.brief("ก" * 200).startswith("ก" * 90) and checks.brief("กั" * 100)[-2] == "ั"  # no mark cut from its letter
