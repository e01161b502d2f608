"""The command line: every action with --at and --by, show/list --json, verify, refresh, bad input.

Every call passes a fixed Bangkok ``--at`` (or ``--now``); errors are asserted word for
word with their exit codes, and the workbook is then read back through the library or
openpyxl. Expected due times are worked out by hand from office hours 08:30–12:00 and
13:00–16:30 (Monday–Friday; 5, 7 and 10 December 2026 are days off in the Calendar).
"""

from __future__ import annotations

import json
from datetime import datetime

import click
import openpyxl
import pytest

from xlflow import book
from click.testing import CliRunner

from xlflow.cli import main
from xlflow.schema import SHEETS

REG, LOG, PEOPLE, CAL = SHEETS["register"], SHEETS["log"], SHEETS["people"], SHEETS["calendar"]
FIELDS = ("item", "substep", "started_at", "due_at", "status", "round", "unit", "officer", "reply_by")
OFFICER = "สมชาย ใจดี"


#: "Now" for the command line's check that an action is not dated ahead: after every time these
#: tests type, so that they do not depend on the day they run.
CLOCK = datetime(2027, 1, 31, 12, 0)


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr("xlflow.cli._now", lambda: CLOCK)


def add_people(path, *people) -> None:
    """Type people into the People sheet below the listed roles: (name, role, unit, email)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[PEOPLE]
    for p in people:
        ws.append(list(p))
    wb.save(path)


def view(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def fields(v: dict) -> dict:
    return {k: v[k] for k in FIELDS}


def log_rows(path) -> list[tuple]:
    ws = openpyxl.load_workbook(path)[LOG]
    return [r[:7] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] is not None]


def register_row(path, item: str) -> dict:
    ws = openpyxl.load_workbook(path)[REG]
    head = [c.value for c in ws[1]]
    for r in ws.iter_rows(min_row=2, values_only=True):
        if r[0] == item:
            return dict(zip(head, r))
    raise AssertionError(f"{item} not in the Register")


@pytest.fixture
def book_with_item(register_book, xlflow):
    """A register holding item 1/2569, registered Wednesday 25 November 2026 09:00."""
    add_people(register_book, (OFFICER, "เจ้าหน้าที่ วท. ที่รับผิดชอบ", "วท.", "somchai@mol.go.th"))
    r = xlflow("register", register_book, "--subject", "ขอเชิญประชุม ILO", "--from", "สถานเอกอัครราชทูต",
               "--reply-by", "15/12/2569", "--at", "2026-11-25T09:00", "--by", "สารบรรณ สปร.")
    assert (r.exit_code, r.output) == (0, "1/2569\n")
    return register_book


# -- help -----------------------------------------------------------------------------------------
def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path, cmd", list(_commands(main)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help_text(xlflow, path, cmd):
    assert (cmd.help or "").strip(), f"xlflow {' '.join(path)} has no help text"
    result = xlflow(*path, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: main {' '.join(path)}")
    for p in cmd.params:
        if isinstance(p, click.Option) and p.name != "help":
            assert (p.help or "").strip(), f"xlflow {' '.join(path)} {p.opts[0]} has no help text"


def test_every_action_takes_at_and_by():
    for name in ("register", "advance", "assign", "approve", "reject", "pause", "resume", "correct"):
        opts = {o for p in main.commands[name].params for o in p.opts}
        assert {"--at", "--by"} <= opts, name


# -- register ---------------------------------------------------------------------------------------
def test_register_prints_the_new_number_and_numbers_run_on(register_book, xlflow):
    assert xlflow("register", register_book, "--subject", "a", "--at", "2026-11-25T09:00", "--by", "c").output == "1/2569\n"
    assert xlflow("register", register_book, "--subject", "b", "--at", "2026-11-25T09:01", "--by", "c").output == "2/2569\n"
    assert sorted(book.load(register_book).letters) == ["1/2569", "2/2569"]


def test_registration_numbers_restart_on_1_january(register_book, xlflow):
    assert xlflow("register", register_book, "--subject", "a", "--at", "2026-12-30T09:00", "--by", "c").output == "1/2569\n"
    assert xlflow("register", register_book, "--subject", "b", "--at", "2026-12-30T10:00", "--by", "c").output == "2/2569\n"
    assert xlflow("register", register_book, "--subject", "c", "--at", "2027-01-04T09:00", "--by", "c").output == "1/2570\n"
    # 20:00 UTC on 3 January is 03:00 on the 4th in Bangkok
    assert xlflow("register", register_book, "--subject", "d", "--at", "2027-01-03T20:00:00Z", "--by", "c").output == "2/2570\n"


def test_register_stamps_the_register_row_and_the_log(book_with_item):
    row = register_row(book_with_item, "1/2569")
    assert row["วันเวลาที่รับ"] == datetime(2026, 11, 25, 9, 0)
    assert (row["เรื่อง"], row["จาก"], row["ขั้นตอนปัจจุบัน"], row["กำหนดเสร็จ"]) == (
        "ขอเชิญประชุม ILO", "สถานเอกอัครราชทูต", "1.2", datetime(2026, 11, 25, 9, 15),
    )
    assert row["ส่งกลับ (ครั้ง)"] == 0 and row["ผู้ดำเนินการล่าสุด"] == "สารบรรณ สปร."
    assert log_rows(book_with_item) == [(1, "1/2569", "1.1", "register", datetime(2026, 11, 25, 9, 0), "สารบรรณ สปร.", None)]


def test_register_back_entered_with_received_at(register_book, xlflow):
    r = xlflow("register", register_book, "--subject", "a", "--received-at", "2026-11-24T16:00", "--at", "2026-11-25T08:40", "--by", "c")
    assert r.output == "1/2569\n"
    assert register_row(register_book, "1/2569")["วันเวลาที่รับ"] == datetime(2026, 11, 24, 16, 0)


def test_register_without_a_subject_is_refused(register_book, xlflow):
    r = xlflow("register", register_book, "--subject", "  ", "--at", "2026-11-25T09:00", "--by", "c")
    assert (r.exit_code, r.output) == (1, "Error: a letter needs its subject (เรื่อง) — give --subject\n")


# -- show and list --------------------------------------------------------------------------------------
def test_show_json_prints_the_items_derived_state_in_bangkok_iso(book_with_item, xlflow):
    v = view(xlflow("show", book_with_item, "1/2569", "--json", "--now", "2026-11-25T09:08"))  # 1.2's 15 minutes: due soon from 7.5
    assert fields(v) == {
        "item": "1/2569",
        "substep": "1.2",
        "started_at": "2026-11-25T09:00:00+07:00",
        "due_at": "2026-11-25T09:15:00+07:00",
        "status": "due_soon",
        "round": 0,
        "unit": None,
        "officer": None,
        "reply_by": "2026-12-15",
    }


@pytest.mark.parametrize("typed", ["๑/๒๕๖๙", "01/2569", " 1 / 2569"])
def test_a_registration_number_in_thai_digits_with_a_zero_or_spaces_is_the_same_letter(book_with_item, xlflow, typed):
    r = xlflow("show", book_with_item, typed, "--now", "2026-11-25T09:20")
    assert (r.exit_code, r.output.split()[0]) == (0, "1/2569")


def test_show_without_json_prints_one_line(book_with_item, xlflow):
    r = xlflow("show", book_with_item, "1/2569", "--now", "2026-11-25T09:20")
    assert (r.exit_code, r.output) == (0, "1/2569  1.2  overdue  due 25 พ.ย. 2569 09:15 น.  round 0  officer -\n")


def test_list_json_and_status_filter(book_with_item, xlflow):
    xlflow("register", book_with_item, "--subject", "b", "--at", "2026-11-25T10:00", "--by", "c")
    items = view(xlflow("list", book_with_item, "--json", "--now", "2026-11-25T10:08"))
    assert [fields(v) for v in items] == [
        {"item": "1/2569", "substep": "1.2", "started_at": "2026-11-25T09:00:00+07:00", "due_at": "2026-11-25T09:15:00+07:00",
         "status": "overdue", "round": 0, "unit": None, "officer": None, "reply_by": "2026-12-15"},
        {"item": "2/2569", "substep": "1.2", "started_at": "2026-11-25T10:00:00+07:00", "due_at": "2026-11-25T10:15:00+07:00",
         "status": "due_soon", "round": 0, "unit": None, "officer": None, "reply_by": None},
    ]
    overdue = view(xlflow("list", book_with_item, "--json", "--status", "overdue", "--now", "2026-11-25T10:08"))
    assert [v["item"] for v in overdue] == ["1/2569"]


# -- the journey --------------------------------------------------------------------------------------------
def test_full_journey_with_one_send_back_and_one_pause_stamps_every_step(book_with_item, xlflow):
    b = book_with_item

    def do(*args, at, by="สมชาย"):
        r = xlflow(*args[:1], b, "1/2569", *args[1:], "--at", at, "--by", by, "--json")
        return view(r)

    # (action, options, at, expected sub-step after, its due time) — due times worked out by hand
    steps = [
        (("assign", "--unit", "กลุ่มวิเทศสัมพันธ์"), "2026-11-25T09:05", "1.2", "2026-11-25T09:15"),
        (("advance",), "2026-11-25T09:12", "1.3", "2026-11-25T09:17"),
        (("advance",), "2026-11-25T09:20", "1.4", "2026-11-25T09:25"),
        (("advance",), "2026-11-25T09:30", "1.5", "2026-11-25T09:45"),
        (("assign", "--officer", OFFICER), "2026-11-25T09:40", "1.5", "2026-11-25T09:45"),
        (("advance",), "2026-11-25T09:44", "1.6", "2026-11-25T09:49"),
        (("advance",), "2026-11-25T09:50", "2.1", "2026-11-25T10:50"),
        (("advance",), "2026-11-25T11:30", "2.2", "2026-11-25T13:30"),  # 30 min before lunch, 30 after
        (("pause", "--reason", "รอความเห็นกรมการจัดหางาน"), "2026-11-25T13:10", "2.2", None),  # 40 min worked
        (("resume",), "2026-11-26T10:00", "2.2", "2026-11-26T10:20"),  # the 20 min left
        (("advance",), "2026-11-26T10:15", "2.3", "2026-11-26T11:15"),
        (("advance",), "2026-11-26T11:00", "3.1", "2026-11-26T12:00"),  # due as the morning ends
        (("advance",), "2026-11-26T15:00", "3.2", "2026-11-27T09:00"),  # 90 min Thursday, 30 Friday
        (("advance",), "2026-11-27T09:00", "4.1", "2026-11-27T11:00"),
        (("advance",), "2026-11-27T11:00", "4.2", "2026-11-27T12:00"),
        (("advance",), "2026-11-27T11:45", "5.1", "2026-11-27T14:45"),  # 15 min, lunch, 105 min
        (("reject", "--reason", "ขอปรับท่าที"), "2026-11-27T14:00", "3.1", "2026-11-27T15:00"),
        (("advance",), "2026-11-27T16:00", "3.2", "2026-11-30T10:00"),  # 30 min Friday, 90 Monday
        (("advance",), "2026-11-30T10:00", "4.1", "2026-11-30T12:00"),
        (("advance",), "2026-11-30T11:30", "4.2", "2026-11-30T13:30"),
        (("advance",), "2026-11-30T13:30", "5.1", "2026-11-30T15:30"),
        (("approve",), "2026-12-04T16:00", "5.2", "2026-12-08T09:00"),  # 30 min Friday; Mon 7 Dec is a day off
        (("advance",), "2026-12-08T08:50", "done", None),
    ]
    for args, at, substep, due in steps:
        v = do(*args, at=at)
        assert (v["substep"], v["due_at"]) == (substep, due and due + ":00+07:00"), (args, at)
        if args[0] == "pause":
            assert (v["status"], v["paused_since"]) == ("paused", "2026-11-25T13:10:00+07:00")
        if args[0] == "reject":
            assert (v["round"], v["started_at"]) == (1, "2026-11-27T14:00:00+07:00")

    final = view(xlflow("show", b, "1/2569", "--json", "--now", "2026-12-08T09:00"))
    assert {**fields(final), "completed_at": final["completed_at"]} == {
        "item": "1/2569", "substep": "done", "started_at": None, "due_at": None, "status": "done", "round": 1,
        "unit": "กลุ่มวิเทศสัมพันธ์", "officer": OFFICER, "reply_by": "2026-12-15", "completed_at": "2026-12-08T08:50:00+07:00",
    }
    expected_log = [(1, "1/2569", "1.1", "register", datetime(2026, 11, 25, 9, 0), "สารบรรณ สปร.", None)]
    substep = "1.2"
    for seq, (args, at, after, _) in enumerate(steps, start=2):
        note = args[2] if args[0] in ("pause", "reject") else None
        expected_log.append((seq, "1/2569", substep, args[0], datetime.fromisoformat(at), "สมชาย", note))
        substep = after
    assert log_rows(b) == expected_log

    row = register_row(b, "1/2569")
    assert (row["ขั้นตอนปัจจุบัน"], row["เสร็จสิ้นเมื่อ"], row["ส่งกลับ (ครั้ง)"], row["กำหนดเสร็จ"], row["หน่วยงานที่รับผิดชอบ"]) == (
        "เสร็จสิ้น", datetime(2026, 12, 8, 8, 50), 1, None, "กลุ่มวิเทศสัมพันธ์",
    )
    assert xlflow("verify", b).output.startswith("the log is intact\n")


def test_paused_item_shows_no_due_time(book_with_item, xlflow):
    xlflow("pause", book_with_item, "1/2569", "--reason", "รอเอกสาร", "--at", "2026-11-25T09:10", "--by", "c")
    v = view(xlflow("show", book_with_item, "1/2569", "--json", "--now", "2026-12-25T09:00"))
    assert (v["status"], v["due_at"], v["paused_since"]) == ("paused", None, "2026-11-25T09:10:00+07:00")


def test_correct_undoes_the_last_action_and_logs_it(book_with_item, xlflow):
    xlflow("assign", book_with_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c")
    xlflow("advance", book_with_item, "1/2569", "--at", "2026-11-25T09:10", "--by", "c")
    r = xlflow("correct", book_with_item, "1/2569", "--reason", "กดผิด", "--at", "2026-11-25T09:11", "--by", "หัวหน้า")
    assert (r.exit_code, r.output) == (0, "1/2569  1.2  due_soon  due 25 พ.ย. 2569 09:15 น.  round 0  officer -\n")
    assert log_rows(book_with_item)[-2:] == [
        (3, "1/2569", "1.2", "advance", datetime(2026, 11, 25, 9, 10), "c", None),
        (4, "1/2569", "1.3", "correct", datetime(2026, 11, 25, 9, 11), "หัวหน้า", "กดผิด"),
    ]


# -- illegal actions through the CLI ------------------------------------------------------------------------
def test_illegal_action_prints_error_and_leaves_the_workbook_unchanged(book_with_item, xlflow):
    before = book.file_sha256(book_with_item)
    r = xlflow("approve", book_with_item, "1/2569", "--at", "2026-11-25T09:10", "--by", "c")
    assert (r.exit_code, r.output) == (
        1,
        "Error: item 1/2569 at 1.2 (เสนอ ผอ.สปร. พิจารณามอบหมายหน่วยงานที่เกี่ยวข้องในสังกัด สปร.): "
        "approve is only possible at a decision (5.1) — use advance here\n",
    )
    assert book.file_sha256(book_with_item) == before


def test_an_action_dated_after_now_is_refused_unless_future_is_given(register_book, xlflow, monkeypatch):
    monkeypatch.setattr("xlflow.cli._now", lambda: datetime(2026, 11, 25, 9, 0))
    before = book.file_sha256(register_book)
    r = xlflow("register", register_book, "--subject", "a", "--at", "2026-11-25T09:30", "--by", "c")
    assert (r.exit_code, r.output) == (1, "Error: --at 25 พ.ย. 2569 09:30 น. is after now (25 พ.ย. 2569 09:00 น.): an action is dated when it was done, "
                                          "and a later date would take the next registration number ahead of the letters in between"
                                          " — check the date, or give --future to enter it ahead on purpose\n")
    r = xlflow("register", register_book, "--subject", "a", "--received-at", "2026-11-26T09:00", "--by", "c")
    assert r.exit_code == 1 and r.output.startswith("Error: --received-at 26 พ.ย. 2569 09:00 น. is after now")
    assert book.file_sha256(register_book) == before
    # a clock a few minutes apart is not "ahead"
    assert xlflow("register", register_book, "--subject", "a", "--at", "2026-11-25T09:04", "--by", "c").output == "1/2569\n"
    r = xlflow("advance", register_book, "1/2569", "--at", "2026-11-26T09:00", "--by", "c")
    assert r.exit_code == 1 and "give --future" in r.output
    r = xlflow("assign", register_book, "1/2569", "--unit", "วท.", "--at", "2026-11-26T09:00", "--by", "c")
    assert r.exit_code == 1 and "give --future" in r.output
    # on purpose
    assert xlflow("register", register_book, "--subject", "b", "--at", "2026-11-30T09:00", "--by", "c", "--future").output == "2/2569\n"


def test_a_reply_by_date_typed_with_a_wrong_year_is_refused_where_it_is_typed(register_book, xlflow):
    r = xlflow("register", register_book, "--subject", "a", "--reply-by", "15/12/2699", "--at", "2026-11-25T09:00", "--by", "c")
    assert (r.exit_code, r.output) == (1, 'Error: --reply-by "15/12/2699" is the year 2156 (BE 2699), outside the working calendar '
                                          "(BE 2533–2643 / 1990–2100) — check the year\n")


def test_assign_without_unit_or_officer_is_refused(book_with_item, xlflow):
    r = xlflow("assign", book_with_item, "1/2569", "--at", "2026-11-25T09:10", "--by", "c")
    assert (r.exit_code, r.output) == (1, "Error: say whom to assign: --unit NAME or --officer NAME\n")


# -- bad input ---------------------------------------------------------------------------------------------------
FIX = "use ISO 8601, e.g. 2026-11-25T09:30 (Bangkok time), or 25/11/2569 09:30"


@pytest.mark.parametrize(
    "typed, message",
    [
        ("yesterday", f'--at "yesterday" is not a date and time — {FIX}'),
        ("25/11/2569", '--at "25/11/2569" has no time — an action is stamped to the minute: give the time too, e.g. 25/11/2569 09:30 or 2026-11-25T09:30'),
        ("2026-11-25", '--at "2026-11-25" has no time — an action is stamped to the minute: give the time too, e.g. 25/11/2569 09:30 or 2026-11-25T09:30'),
        ("", f'--at "" is not a date and time (it is empty) — {FIX}'),
        ("31/02/2569 09:00", f'--at "31/02/2569 09:00" is not a date and time (February 2569 has no day 31) — {FIX}'),
        ("2026-13-01T09:00", f'--at "2026-13-01T09:00" is not a date and time (there is no month 13) — {FIX}'),
        ("25/11/2569 25:00", f'--at "25/11/2569 25:00" is not a date and time (there is no time 25:00) — {FIX}'),
        ("25/11/2659 09:00", '--at "25/11/2659 09:00" is the year 2116 (BE 2659), outside the working calendar (BE 2533–2643 / 1990–2100) — check the year'),
        ("1900-01-02T09:00", '--at "1900-01-02T09:00" is the year 1900 (BE 2443), outside the working calendar (BE 2533–2643 / 1990–2100) — check the year'),
        ("2026-11-25T08:00", "item 1/2569 at 1.2 (เสนอ ผอ.สปร. พิจารณามอบหมายหน่วยงานที่เกี่ยวข้องในสังกัด สปร.): "
                             "the time 25 พ.ย. 2569 08:00 น. is before the item's last action (register at 25 พ.ย. 2569 09:00 น.) — give a later time"),
    ],
)
def test_bad_at_gets_a_message_with_the_fix(book_with_item, xlflow, typed, message):
    r = xlflow("assign", book_with_item, "1/2569", "--unit", "วท.", "--at", typed, "--by", "c")
    assert (r.exit_code, r.output) == (1, f"Error: {message}\n")


def test_thai_typed_at_is_accepted(book_with_item, xlflow):
    v = view(xlflow("assign", book_with_item, "1/2569", "--unit", "วท.", "--at", "25/11/2569 9.30 น.", "--by", "c", "--json"))
    assert v["unit"] == "วท."
    assert log_rows(book_with_item)[-1][4] == datetime(2026, 11, 25, 9, 30)


def test_bad_now_is_named_as_now(book_with_item, xlflow):
    r = xlflow("show", book_with_item, "1/2569", "--now", "tomorrow")
    assert (r.exit_code, r.output) == (1, f'Error: --now "tomorrow" is not a date and time — {FIX}\n')


@pytest.mark.parametrize(
    "typed, message",
    [
        ("9/2569", "item 9/2569 is not in the register — check the number"),
        ("1/2026", "item 1/2026 is not in the register — registration numbers carry the Buddhist Era year: try 1/2569"),
        ("หนึ่ง", '"หนึ่ง" is not a registration number — type it as number/BE year, e.g. 12/2569'),
        ("1-2569", '"1-2569" is not a registration number — type it as number/BE year, e.g. 12/2569'),
    ],
)
def test_unknown_or_malformed_item_gets_a_message_with_the_fix(book_with_item, xlflow, typed, message):
    for args in (("show", book_with_item, typed, "--now", "2026-11-25T10:00"),
                 ("advance", book_with_item, typed, "--at", "2026-11-25T10:00", "--by", "c")):
        r = xlflow(*args)
        assert (r.exit_code, r.output) == (1, f"Error: {message}\n"), args


def test_officer_not_in_people_sheet_gets_a_message_with_the_fix(book_with_item, xlflow):
    xlflow("assign", book_with_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:01", "--by", "c")
    for at in ("09:02", "09:03", "09:04"):
        assert xlflow("advance", book_with_item, "1/2569", "--at", f"2026-11-25T{at}", "--by", "c").exit_code == 0
    r = xlflow("assign", book_with_item, "1/2569", "--officer", "สมชาย", "--at", "2026-11-25T09:05", "--by", "c")
    assert (r.exit_code, r.output) == (
        1,
        'Error: item 1/2569 at 1.5 (เสนอ ผอ.วท. พิจารณามอบหมายเจ้าหน้าที่ที่เกี่ยวข้องในสังกัด วท.): "สมชาย" is not in the People sheet — '
        "add the officer there first, or check the spelling\n",
    )


def test_missing_workbook_says_how_to_make_one(tmp_path, xlflow):
    missing = tmp_path / "ไม่มี.xlsx"
    r = xlflow("list", missing, "--now", "2026-11-25T10:00")
    assert (r.exit_code, r.output) == (1, f"Error: {missing}: no such file — check the path, or make a register with: xlflow init {missing}\n")


# -- a register row that cannot be read ------------------------------------------------------------------------
def test_unreadable_register_row_is_named_and_the_rest_still_works(book_with_item, xlflow):
    for s in ("b", "c"):
        xlflow("register", book_with_item, "--subject", s, "--at", "2026-11-25T09:30", "--by", "c")
    wb = openpyxl.load_workbook(book_with_item)
    wb[REG]["B3"] = "31/02/2569"  # 2/2569's received time, mistyped by hand
    wb.save(book_with_item)
    warning = (
        f'Warning: {REG}!B3: "31/02/2569" is not a date and time (February 2569 has no day 31) — '
        "type it as day/month/BE year, e.g. 25/11/2569 09:30\n"
    )
    r = xlflow("list", book_with_item, "--now", "2026-11-25T10:00")
    assert r.exit_code == 0
    assert r.stderr == warning
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["1/2569", "2/2569", "3/2569"]

    r = xlflow("advance", book_with_item, "2/2569", "--at", "2026-11-25T10:00", "--by", "c")
    assert (r.exit_code, r.output) == (1, f"Error: item 2/2569: its Register row cannot be read — {warning[9:]}")
    assert xlflow("assign", book_with_item, "3/2569", "--unit", "วท.", "--at", "2026-11-25T10:00", "--by", "c").exit_code == 0
    # a new letter gets a new number and a new row: the unreadable row is neither reused nor overwritten
    assert xlflow("register", book_with_item, "--subject", "d", "--at", "2026-11-25T10:01", "--by", "c").output == "4/2569\n"
    ws = openpyxl.load_workbook(book_with_item)[REG]
    assert [ws[f"A{r}"].value for r in range(2, 6)] == ["1/2569", "2/2569", "3/2569", "4/2569"]
    assert ws["B3"].value == "31/02/2569"


def test_unreadable_last_register_row_is_not_overwritten(book_with_item, xlflow):
    wb = openpyxl.load_workbook(book_with_item)
    wb[REG]["B2"] = "ไม่ทราบ"
    wb.save(book_with_item)
    assert xlflow("register", book_with_item, "--subject", "b", "--at", "2026-11-25T10:00", "--by", "c").output == "2/2569\n"
    ws = openpyxl.load_workbook(book_with_item)[REG]
    assert (ws["A2"].value, ws["B2"].value, ws["A3"].value) == ("1/2569", "ไม่ทราบ", "2/2569")


# -- the log's hash chain ----------------------------------------------------------------------------------------------
@pytest.fixture
def book_with_log(book_with_item, xlflow):
    xlflow("assign", book_with_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c")
    xlflow("advance", book_with_item, "1/2569", "--at", "2026-11-25T09:10", "--by", "c")
    xlflow("advance", book_with_item, "1/2569", "--at", "2026-11-25T09:15", "--by", "c")
    return book_with_item


def test_verify_says_an_untouched_log_is_intact(book_with_log, xlflow):
    r = xlflow("verify", book_with_log)
    assert (r.exit_code, r.output.splitlines()[0]) == (0, "the log is intact")


def test_verify_names_a_row_edited_by_hand(book_with_log, xlflow):
    wb = openpyxl.load_workbook(book_with_log)
    wb[LOG]["F3"] = "ผอ.วท."  # who assigned it, rewritten
    wb.save(book_with_log)
    r = xlflow("verify", book_with_log)
    assert (r.exit_code, r.output) == (
        1, f"Error: {LOG} row 3: this row was edited by hand or inserted (its hash does not match its content) — item 1/2569, assign at 25 พ.ย. 2569 09:05 น.\n",
    )


def test_verify_json_gives_the_same_words_and_the_exit_code_says_it_too(book_with_log, xlflow):
    r = xlflow("verify", book_with_log, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 0 and out["intact"] is True and out["report"]
    wb = openpyxl.load_workbook(book_with_log)
    wb[LOG]["F3"] = "ผอ.วท."
    wb.save(book_with_log)
    r = xlflow("verify", book_with_log, "--json")
    out = json.loads(r.stdout)
    assert r.exit_code == 1 and out["intact"] is False
    assert out["report"].startswith(f"{LOG} row 3: this row was edited by hand or inserted")


def test_verify_names_a_row_inserted_by_hand(book_with_log, xlflow):
    wb = openpyxl.load_workbook(book_with_log)
    ws = wb[LOG]
    copy = [c.value for c in ws[3]]
    ws.insert_rows(4)
    for i, v in enumerate(copy, start=1):
        ws.cell(row=4, column=i, value=v)
    wb.save(book_with_log)
    r = xlflow("verify", book_with_log)
    assert (r.exit_code, r.output) == (1, f"Error: {LOG} row 4: a row was inserted here (it is numbered 2, expected 3)\n")


def test_verify_names_where_a_row_was_deleted(book_with_log, xlflow):
    wb = openpyxl.load_workbook(book_with_log)
    wb[LOG].delete_rows(3)
    wb.save(book_with_log)
    r = xlflow("verify", book_with_log)
    assert (r.exit_code, r.output) == (1, f"Error: {LOG} row 3: the row(s) numbered 2 before it were deleted (found 3, expected 2)\n")


# -- a holiday added later ---------------------------------------------------------------------------------------------
def test_holiday_added_later_re_times_open_items_and_refresh_writes_it(register_book, xlflow):
    xlflow("register", register_book, "--subject", "a", "--at", "2026-11-25T16:25", "--by", "c")
    before = view(xlflow("show", register_book, "1/2569", "--json", "--now", "2026-11-25T16:25"))
    assert before["due_at"] == "2026-11-26T08:40:00+07:00"  # 5 min Wednesday, 10 Thursday

    wb = openpyxl.load_workbook(register_book)
    ws = wb[CAL]
    ws.append([datetime(2026, 11, 26), "วันหยุดพิเศษ (มติ ครม.)", "ใช่", "ประกาศสำนักนายกรัฐมนตรี"])
    wb.save(register_book)

    after = view(xlflow("show", register_book, "1/2569", "--json", "--now", "2026-11-25T16:25"))
    assert after["due_at"] == "2026-11-27T08:40:00+07:00"  # Thursday is off now
    assert register_row(register_book, "1/2569")["กำหนดเสร็จ"] == datetime(2026, 11, 26, 8, 40)  # not yet rewritten

    r = xlflow("refresh", register_book, "--now", "2026-11-25T16:30")
    assert (r.exit_code, r.output) == (0, "refreshed 1 item(s)\n")
    row = register_row(register_book, "1/2569")
    assert row["กำหนดเสร็จ"] == datetime(2026, 11, 27, 8, 40)
    assert xlflow("verify", register_book).output.startswith("the log is intact\n")  # refresh writes no log rows


def test_pause_without_a_reason_is_refused_in_words_with_exit_1(book_with_item, xlflow):
    r = xlflow("pause", book_with_item, "1/2569", "--at", "2026-11-25T09:10", "--by", "c")
    assert r.exit_code == 1
    assert r.output.startswith("Error: item 1/2569 at 1.2 (")
    assert "a reason is required to pause — say what the work waits for" in r.output


def test_without_by_the_login_is_stamped_as_the_people_sheet_names_its_holder(register_book):
    """As the ribbon stamps a click: the column ชื่อผู้ใช้ Windows maps a login to its name, so one
    person is one name in the Log whichever door they used (and a director may close)."""
    import openpyxl

    wb = openpyxl.load_workbook(register_book)
    ws = wb[SHEETS["people"]]
    ws.append(["นางสาวศิริพร มั่นคง", "ผอ.วท.", "วท.", "siriporn.m@mol.go.th", r"MOL\siriporn.m"])
    wb.save(register_book)
    runner = CliRunner(env={"LOGNAME": "Siriporn.M", "USER": "Siriporn.M", "LNAME": "", "USERNAME": ""})
    r = runner.invoke(main, ["register", str(register_book), "--subject", "ขอเชิญประชุม", "--at", "2026-11-25T09:00"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["close", str(register_book), "1/2569", "--reason", "เพื่อทราบ", "--at", "2026-11-25T09:10"])
    assert r.exit_code == 0, r.output  # her role is known by her name: a director may close
    h = json.loads(runner.invoke(main, ["history", str(register_book), "1/2569", "--json", "--now", "2026-11-25T10:00"]).output)
    assert [a["by"] for a in h["actions"]] == ["นางสาวศิริพร มั่นคง", "นางสาวศิริพร มั่นคง"]


@pytest.mark.parametrize("name", ["register.ods", "register copy.xls", "register"])
def test_a_workbook_named_otherwise_is_told_to_be_renamed_by_every_command(register_book, tmp_path, name, xlflow):
    import shutil

    other = tmp_path / name
    shutil.copy(register_book, other)
    for args in (("list", other), ("show", other, "1/2569"), ("verify", other)):
        r = xlflow(*args)
        assert r.exit_code == 1 and f"rename the file to {other.stem}.xlsx, then try again; nothing was changed" in r.output, (args, r.output)


def test_registering_a_letter_number_twice_or_a_past_reply_by_date_is_done_and_warned(register_book):
    runner = CliRunner()
    base = ["register", str(register_book), "--subject", "ขอเชิญประชุม", "--letter-no", "ที่ ILO/2569/15", "--sender", "ILO",
            "--by", "สารบรรณ"]
    r = runner.invoke(main, [*base, "--at", "2026-11-25T09:00"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, "1/2569\n", "")
    r = runner.invoke(main, [*base[:5], " ที่ ILO/2569/15 ", *base[6:], "--at", "2026-11-25T09:30", "--reply-by", "20/11/2569"])
    assert (r.exit_code, r.stdout) == (0, "2/2569\n")  # registered: the clerk decides
    assert r.stderr == ('Warning: 2/2569: letter no. " ที่ ILO/2569/15 " from "ILO" is already registered as 1/2569 — '
                        "if it is the same letter, cancel this registration (xlflow cancel)\n"
                        "Warning: 2/2569: the reply-by date 20 พฤศจิกายน 2569 is already past — check it against the letter\n")
