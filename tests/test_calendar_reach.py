"""The calendar says when it runs out (issue 15, point 5): the checker warns when the Calendar
sheet ends within 60 days or lacks a day the office must add (the Royal Ploughing Ceremony of
a year past the holidays library's table), and a new register lists such days as rows to fill in.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from xlflow import book as bk
from xlflow import checks, schema, template
from xlflow.checker import run_check
from xlflow.schema import SHEETS, TO_ANNOUNCE
from xlflow.worktime import Holiday, calendar_gaps, library_tables, listed_until, thai_holidays


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    """A register made by xlflow init in fiscal year 2570: its Calendar lists FY2569–FY2571 (to 30 Sep 2028)."""
    return template.init(tmp_path_factory.mktemp("reach") / "Coordination_Register.xlsx", today=date(2026, 11, 25))


def test_the_library_tables_the_ploughing_ceremony_only_to_2026():
    # the premise (holidays 0.x): if a later release tables 2027, the rows and warnings go by themselves
    assert library_tables("Ploughing", 2026) and not library_tables("Ploughing", 2027)


def test_a_new_register_lists_the_days_to_fill_in_and_reads_them_without_a_problem(fresh):
    rows = list(openpyxl.load_workbook(fresh)[SHEETS["calendar"]].iter_rows(min_row=2, max_col=4, values_only=True))
    waiting = [r for r in rows if r[3] == TO_ANNOUNCE]
    assert [(r[0], r[1], r[2]) for r in waiting] == [(None, "วันพืชมงคล 2570 (Royal Ploughing Ceremony 2027)", "ใช่"),
                                                    (None, "วันพืชมงคล 2571 (Royal Ploughing Ceremony 2028)", "ใช่")]
    b = bk.load(fresh)  # a row waiting for its date is no problem
    assert b.problems == [] and all("พืชมงคล" not in h.name or h.day.year == 2026 for h in b.holidays)
    assert listed_until(b.holidays) == date(2028, 9, 30)


def test_the_checker_asks_for_the_ceremony_from_january_until_it_is_typed(fresh, tmp_path):
    b = bk.load(fresh)
    assert checks.calendar_notices(b.holidays, date(2026, 12, 31)) == []
    (th, en), = checks.calendar_notices(b.holidays, date(2027, 1, 4))
    assert en.startswith("Royal Ploughing Ceremony 2027 (วันพืชมงคล) is not in the Calendar sheet, and the holidays library does not list it")
    assert th.startswith("วันพืชมงคล ปี 2570 ยังไม่อยู่ในแผ่นงานวันหยุดราชการ")
    # the office types the announced date into the row waiting for it
    path = Path(tmp_path / "r.xlsx")
    path.write_bytes(fresh.read_bytes())
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEETS["calendar"]]
    r = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 4).value == TO_ANNOUNCE)
    ws.cell(r, 1).value = "10/5/2570"
    wb.save(path)
    b = bk.load(path)
    assert Holiday(date(2027, 5, 10), "วันพืชมงคล 2570 (Royal Ploughing Ceremony 2027)", True, TO_ANNOUNCE) in b.holidays
    assert checks.calendar_notices(b.holidays, date(2027, 1, 4)) == []


def test_the_end_of_the_calendar_is_announced_60_days_ahead_and_after():
    days = thai_holidays(range(2025, 2028))  # to 30 September 2027
    assert [g.kind for g in calendar_gaps(days, date(2027, 7, 31))] == []  # 61 days ahead
    assert [g.kind for g in calendar_gaps(days, date(2027, 8, 1))] == ["ends"]  # 60 days ahead
    (th, en), = checks.calendar_notices(days, date(2027, 10, 5))
    assert en.startswith("the Calendar sheet lists holidays only until 2027-09-30 (30 กันยายน 2570) — due times after it count no day off: "
                         "add the holidays of fiscal year 2571")
    assert th.startswith("แผ่นงานวันหยุดราชการสิ้นสุดไปแล้วเมื่อ 30 กันยายน 2570")


def test_a_run_warns_in_its_log_and_the_directors_summary(fresh, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from test_checks import PEOPLE, write_people

    path = Path(tmp_path / "Coordination_Register.xlsx")
    path.write_bytes(fresh.read_bytes())
    write_people(path, PEOPLE, holidays=None)  # People, the library's calendar kept
    r = run_check(path, datetime(2027, 1, 4, 9, 0))
    assert r.exit_code == 0  # advice, not a cell that cannot be read
    assert any(line.startswith("problem: Royal Ploughing Ceremony 2027 (วันพืชมงคล) is not in the Calendar sheet") for line in r.lines)
    assert "Royal Ploughing Ceremony 2027" in (tmp_path / "xlflow-check.log").read_text(encoding="utf-8")
    text = "".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "outbox").glob("*.eml"))
    assert "dir.wt@mol.go.th" in text
    import email
    import email.policy

    mail = next(email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in (tmp_path / "outbox").glob("*.eml")
                if "dir.wt" in p.name)
    assert "Royal Ploughing Ceremony 2027 (วันพืชมงคล) is not in the Calendar sheet" in mail.get_body(("plain",)).get_content()


def test_a_holiday_row_without_a_date_is_still_a_problem_unless_it_waits_for_one():
    header = [c.th for c in schema.CALENDAR_COLUMNS]
    ok = [header, [None, "วันพืชมงคล 2571", "ใช่", TO_ANNOUNCE]]
    assert schema.read_calendar(ok) == ([], [])
    from xlflow.errors import CalendarError

    with pytest.raises(CalendarError, match='has no date for the holiday "วันพืชมงคล 2571"'):
        schema.read_calendar([header, [None, "วันพืชมงคล 2571", "ใช่", "ครม."]])


def test_refresh_says_when_the_calendar_runs_out(register_book, xlflow):
    """An office refreshes after editing the Calendar: the refresh says what it still lacks."""
    from xlflow import book as bk

    last = max(h.day for h in bk.load(register_book).holidays)
    near = last.replace(day=1).isoformat() + "T10:00"  # within 60 days of the Calendar's end
    r = xlflow("refresh", register_book, "--now", near)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("refreshed 0 item(s)")
    assert "Warning: the Calendar sheet" in r.stderr
