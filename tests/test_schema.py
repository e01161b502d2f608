"""The register's sheets read into records: cells named in every problem; the Calendar sheet."""

from __future__ import annotations

import json
from datetime import date, datetime, time

import openpyxl
import pytest

from xlflow import book
from xlflow.errors import CalendarError, CellError, WorkbookError
from xlflow.model import LogEntry
from xlflow.schema import (
    CALENDAR_COLUMNS,
    HOURS_COL,
    REGISTER_COLUMNS,
    SHEETS,
    col_letter,
    read_calendar,
    read_people,
    read_register,
    verify_chain,
)
from xlflow.worktime import Holiday

REG, CAL, PEOPLE, LOG = SHEETS["register"], SHEETS["calendar"], SHEETS["people"], SHEETS["log"]
HEAD_TH = [c.th for c in REGISTER_COLUMNS]


def reg_row(**values) -> list:
    """One Register row in the shipped column order."""
    return [values.get(c.field) for c in REGISTER_COLUMNS]


GOOD = dict(item="1/2569", received_at=datetime(2026, 11, 25, 9, 0), subject="ขอเชิญประชุม")


# -- the Register -----------------------------------------------------------------------------------
def test_col_letter_counts_like_excel():
    assert [col_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_register_rows_read_into_letters_with_thai_dates():
    rows = [HEAD_TH, reg_row(**GOOD, letter_date="20/11/2569", urgency="ด่วนมาก", reply_by="15 ธ.ค. 2569")]
    out = read_register(rows)
    assert out.problems == []
    (letter,) = out.records
    assert (letter.item, letter.received_at, letter.letter_date, letter.urgency, letter.reply_by) == (
        "1/2569", datetime(2026, 11, 25, 9, 0), date(2026, 11, 20), "ด่วนมาก", date(2026, 12, 15),
    )
    assert out.row_of == {"1/2569": 2}


def test_register_columns_are_found_by_header_in_any_order_and_language():
    head = ["Subject", "เลขทะเบียนรับ", "my own notes", "Received at"]
    out = read_register([head, ["เรื่องทดสอบ", "7/2569", "ของสำนักงาน", "25/11/2569 09:30"]])
    assert [(l.item, l.subject, l.received_at) for l in out.records] == [("7/2569", "เรื่องทดสอบ", datetime(2026, 11, 25, 9, 30))]


def test_register_missing_required_column_names_it():
    with pytest.raises(WorkbookError) as exc:
        read_register([["เลขทะเบียนรับ", "เรื่อง"], ["1/2569", "x"]])
    assert str(exc.value) == (
        f'{REG}!1: the column(s) "วันเวลาที่รับ" (Received at) are missing from the header row — '
        "restore them (xlflow init makes a fresh sheet to copy them from)"
    )


def test_bad_register_row_is_named_by_its_cell_and_the_others_still_read():
    rows = [
        HEAD_TH,
        reg_row(**GOOD),
        reg_row(**{**GOOD, "item": "2/2569", "received_at": "31/02/2569 09:00"}),
        reg_row(**{**GOOD, "item": "3/2569", "urgency": "ด่วนมากๆ"}),
        reg_row(**{**GOOD, "item": "1/2569"}),
        reg_row(**{**GOOD, "item": "5/2569", "received_at": None}),
        [None] * len(HEAD_TH),
        reg_row(**{**GOOD, "item": "6/2569"}),
    ]
    out = read_register(rows)
    assert [l.item for l in out.records] == ["1/2569", "6/2569"]
    assert out.row_of == {"1/2569": 2, "6/2569": 8}
    assert [str(p) for p in out.problems] == [
        f'{REG}!B3: "31/02/2569 09:00" is not a date and time (February 2569 has no day 31) — type it as day/month/BE year, e.g. 25/11/2569 09:30',
        f'{REG}!H4: "ด่วนมากๆ" is not one of ด่วนที่สุด, ด่วนมาก, ด่วน — pick one from the list or leave it empty',
        f'{REG}!A5: "1/2569" is a duplicate registration number (also row 2) — give this letter its own number, or delete the copied row',
        f"{REG}!B6: (empty) has no received time — type when the letter arrived, e.g. 25/11/2569 09:30",
    ]
    assert all(isinstance(p, CellError) for p in out.problems)
    assert sorted(out.skipped) == ["2/2569", "3/2569", "5/2569"]  # known numbers, never to be reused
    assert out.last_row == 8


def test_register_row_without_a_number_is_a_problem():
    out = read_register([HEAD_TH, reg_row(received_at=datetime(2026, 11, 25, 9, 0), subject="พิมพ์เอง")])
    assert [str(p) for p in out.problems] == [
        f"{REG}!A2: (empty) has no registration number — register letters with xlflow so each gets its number"
    ]


def test_excel_error_in_a_register_cell_is_named():
    out = read_register([HEAD_TH, reg_row(**{**GOOD, "letter_date": "#REF!"})])
    assert [str(p) for p in out.problems] == [
        f'{REG}!D2: "#REF!" is an Excel error, not a value — retype the value (a formula there lost its reference)'
    ]


# -- People ---------------------------------------------------------------------------------------------
def test_people_rows_skip_roles_without_names_and_name_a_bad_email():
    rows = [
        ["ชื่อ-สกุล", "บทบาท", "หน่วยงาน", "อีเมล"],
        [None, "ผอ.วท.", None, None],
        ["สมชาย ใจดี", "เจ้าหน้าที่ วท. ที่รับผิดชอบ", "วท.", "somchai@mol.go.th"],
        ["สมหญิง รักงาน", "เจ้าหน้าที่ วท. ที่รับผิดชอบ", "วท.", "somying at mol"],
        [None, "ผอ.สปร.", None, "director@mol.go.th"],
    ]
    out = read_people(rows)
    assert [(p.name, p.email) for p in out.records] == [("สมชาย ใจดี", "somchai@mol.go.th"), ("สมหญิง รักงาน", "")]
    assert [str(p) for p in out.problems] == [
        f'{PEOPLE}!D4: "somying at mol" is not an email address — type one address such as name@mol.go.th',
        f"{PEOPLE}!A5: (empty) has no name — type the person's name or delete the row",
    ]


# -- the Log's chain, pure ---------------------------------------------------------------------------------
def _chain(n: int) -> list[LogEntry]:
    out, prev = [], ""
    for i in range(1, n + 1):
        e = LogEntry(i, "1/2569", "1.2", "register" if i == 1 else "assign", datetime(2026, 11, 25, 9, i), "c", data={"unit": str(i)} if i > 1 else {})
        e = e.chained(prev)
        prev = e.hash
        out.append(e)
    return out


def test_verify_chain_accepts_an_intact_log_and_names_the_first_break():
    log = _chain(4)
    assert verify_chain(log) is None
    edited = [*log[:2], LogEntry(3, "1/2569", "1.2", "assign", log[2].at, "someone else", "", log[2].data, log[2].hash), log[3]]
    assert verify_chain(edited) == (
        f"{LOG} row 4: this row was edited by hand or inserted (its hash does not match its content) — item 1/2569, assign at 25 พ.ย. 2569 09:03 น."
    )
    assert verify_chain([log[0], log[2], log[3]]) == f"{LOG} row 3: the row(s) numbered 2 before it were deleted (found 3, expected 2)"
    assert verify_chain([log[0], log[3]]) == f"{LOG} row 3: the row(s) numbered 2–3 before it were deleted (found 4, expected 2)"
    assert verify_chain([log[0], log[1], log[1], log[2]]) == f"{LOG} row 4: a row was inserted here (it is numbered 2, expected 3)"


# -- the Calendar sheet, pure ---------------------------------------------------------------------------------
CAL_HEAD = [c.th for c in CALENDAR_COLUMNS] + [None, "ช่วงเวลาทำการ", "เริ่ม", "ถึง"]


def cal_row(day=None, name=None, off=None, source=None, label=None, start=None, end=None) -> list:
    return [day, name, off, source, None, label, start, end]


def test_calendar_reads_days_off_days_kept_open_and_office_hours():
    rows = [
        CAL_HEAD,
        cal_row(date(2026, 12, 10), "วันรัฐธรรมนูญ", "ใช่", None, "เช้า", time(8, 30), time(12, 0)),
        cal_row("1/5/2570", "วันแรงงานแห่งชาติ", "ไม่ใช่", None, "บ่าย", "13.00 น.", "16:30"),
        cal_row("27/11/2569", "วันหยุดพิเศษ"),  # added by the office, no answer: a day off
    ]
    days, hours = read_calendar(rows)
    assert days == [
        Holiday(date(2026, 12, 10), "วันรัฐธรรมนูญ", True, ""),
        Holiday(date(2027, 5, 1), "วันแรงงานแห่งชาติ", False, ""),
        Holiday(date(2026, 11, 27), "วันหยุดพิเศษ", True, ""),
    ]
    assert hours == [(time(8, 30), time(12, 0)), (time(13, 0), time(16, 30))]


def test_calendar_in_nonsense_lists_every_problem_with_its_cell():
    rows = [
        CAL_HEAD,
        cal_row(date(2026, 12, 10), "วันรัฐธรรมนูญ", "ใช่", None, "เช้า", time(8, 30), time(7, 0)),
        cal_row("31/02/2569", "วันที่ไม่มีจริง", "ใช่", None, "บ่าย", time(13, 0), "ห้าโมง"),
        cal_row(date(2026, 12, 31), "วันสิ้นปี", "บางที"),
        cal_row(None, "วันหยุดที่ลืมใส่วันที่", "ใช่"),
        cal_row(date(2026, 12, 10), "วันรัฐธรรมนูญ (ซ้ำ)", "ไม่ใช่"),
    ]
    with pytest.raises(CalendarError) as exc:
        read_calendar(rows)
    assert exc.value.problems == [
        f'{CAL}!A3: "31/02/2569" is not a date (February 2569 has no day 31) — type it as day/month/BE year, e.g. 25/11/2569',
        f'{CAL}!C4: "บางที" is not ใช่ or ไม่ใช่ — pick ใช่ (a day off) or ไม่ใช่ (the office works that day) from the list',
        f'{CAL}!A5: (empty) has no date for the holiday "วันหยุดที่ลืมใส่วันที่" — type its date, e.g. 5/12/2569, or delete the row',
        f'{CAL}!A6: "10/12/2569" is listed again, with ไม่ใช่ where row 2 says ใช่ — keep one row for the day',
        f'{CAL}!H2: "07:00" does not end after the start (08:30) — the end of a period of office hours must be later than its start',
        f'{CAL}!H3: "ห้าโมง" is not a time of day — type it as 08:30',
    ]


def test_overlapping_office_hours_are_a_problem_at_the_later_start():
    rows = [CAL_HEAD, cal_row(label="เช้า", start=time(8, 30), end=time(12, 0)), cal_row(label="บ่าย", start=time(11, 0), end=time(16, 30))]
    with pytest.raises(CalendarError) as exc:
        read_calendar(rows)
    assert exc.value.problems == [
        f'{CAL}!G3: "11:00" starts before the period above ends (12:00) — periods of office hours must not overlap: '
        "list them in order, e.g. 08:30–12:00 then 13:00–16:30"
    ]


# -- the Calendar sheet of a register: the office's edits take effect --------------------------------------------
@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """The command line refuses an action dated after now: "now" is after every time typed here."""
    monkeypatch.setattr("xlflow.cli._now", lambda: datetime(2027, 1, 31, 12, 0))


def _due(xlflow, path, at: str) -> str:
    """Register a letter at ``at`` and return its 1.2 due time (15 working minutes)."""
    item = xlflow("register", path, "--subject", "ทดสอบปฏิทิน", "--at", at, "--by", "c").output.strip()
    r = xlflow("show", path, item, "--json", "--now", at)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["due_at"]


def _calendar_row(ws, day: date) -> int:
    for r in range(2, ws.max_row + 1):
        v = ws.cell(row=r, column=1).value
        if isinstance(v, datetime) and v.date() == day:
            return r
    raise AssertionError(f"{day} is not in the Calendar sheet")


def test_calendar_sheet_lists_the_days_off_of_three_fiscal_years(register_book):
    b = book.load(register_book)
    off = {h.day for h in b.holidays if h.off}
    assert {date(2026, 12, 7), date(2026, 12, 10), date(2026, 12, 31), date(2027, 1, 1)} <= off
    assert min(h.day for h in b.holidays) >= date(2025, 10, 1) and max(h.day for h in b.holidays) <= date(2028, 9, 30)
    labour = [h for h in b.holidays if h.day == date(2027, 5, 1)]
    assert [h.off for h in labour] == [False]  # a private-sector holiday: the office works
    assert not b.calendar.is_working_day(date(2026, 12, 10))


def test_office_marks_a_listed_holiday_as_a_working_day(register_book, xlflow):
    wb = openpyxl.load_workbook(register_book)
    ws = wb[CAL]
    ws.cell(row=_calendar_row(ws, date(2026, 12, 10)), column=3, value="ไม่ใช่")
    wb.save(register_book)
    # Wednesday 9 December 16:25: 5 min, then 10 min on Thursday the 10th, which is worked now
    assert _due(xlflow, register_book, "2026-12-09T16:25") == "2026-12-10T08:40:00+07:00"


def test_office_adds_a_day_off_as_a_new_row(register_book, xlflow):
    assert _due(xlflow, register_book, "2026-11-25T16:25") == "2026-11-26T08:40:00+07:00"
    wb = openpyxl.load_workbook(register_book)
    wb[CAL].append([datetime(2026, 11, 26), "วันหยุดราชการเพิ่มเป็นกรณีพิเศษ", "ใช่", "มติ ครม."])
    wb.save(register_book)
    assert _due(xlflow, register_book, "2026-11-25T16:25") == "2026-11-27T08:40:00+07:00"


def test_office_adds_a_day_typed_as_thai_text(register_book, xlflow):
    wb = openpyxl.load_workbook(register_book)
    wb[CAL].append(["26 พ.ย. 2569", "วันหยุดพิเศษ"])
    wb.save(register_book)
    assert _due(xlflow, register_book, "2026-11-25T16:25") == "2026-11-27T08:40:00+07:00"


def test_office_deletes_a_holiday_row(register_book, xlflow):
    wb = openpyxl.load_workbook(register_book)
    ws = wb[CAL]
    ws.delete_rows(_calendar_row(ws, date(2026, 12, 10)))
    wb.save(register_book)
    assert _due(xlflow, register_book, "2026-12-09T16:25") == "2026-12-10T08:40:00+07:00"


def test_office_changes_its_hours(register_book, xlflow):
    wb = openpyxl.load_workbook(register_book)
    ws = wb[CAL]
    ws.cell(row=3, column=HOURS_COL + 3, value=time(16, 0))  # the afternoon ends at 16:00
    wb.save(register_book)
    assert _due(xlflow, register_book, "2026-11-25T15:55") == "2026-11-26T08:40:00+07:00"


def test_calendar_sheet_edited_into_nonsense_lists_every_problem_and_exits_1(register_book, xlflow):
    wb = openpyxl.load_workbook(register_book)
    ws = wb[CAL]
    ws["A2"] = "สงกรานต์"
    ws["C3"] = "หยุด"
    ws.cell(row=2, column=HOURS_COL + 3, value="8 โมง")
    wb.save(register_book)
    r = xlflow("list", register_book, "--now", "2026-11-25T10:00")
    assert (r.exit_code, r.output) == (
        1,
        f"Error: The {CAL} sheet has 3 problem(s):\n"
        f'  - {CAL}!A2: "สงกรานต์" is not a date — type it as day/month/BE year, e.g. 25/11/2569\n'
        f'  - {CAL}!C3: "หยุด" is not ใช่ or ไม่ใช่ — pick ใช่ (a day off) or ไม่ใช่ (the office works that day) from the list\n'
        f'  - {CAL}!H2: "8 โมง" is not a time of day — type it as 08:30\n',
    )
