"""Nothing one cell holds stops the checker (issue 15, point 1).

A valid register is built once; its sheets are read once into memory. Each example puts one
bad value (a far date, text in a date cell, a formula, an Excel error, a huge number, …)
into one cell of one sheet, and the checker's reading and finding (:func:`xlflow.checker.find_for_check`,
through the same ``load_current`` path a run takes, its sheet reader swapped for the
mutated rows) must then:

* return (never raise);
* still find every breach of every item the cell does not belong to, for the same people;
* name the cell (sheet!cell) among its problems when the value cannot be read there.

A few end-to-end runs on files check the rest of the promise: the log and the directors'
summary name the cell and the value, and the exit code (65) says a problem was found.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import math
import shutil
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings as hsettings, strategies as st

from test_checks import SOMYING, at, do, make_register, reg, script, walk
from xlflow import book as bk
from xlflow import schema
from xlflow.checker import EX_DATAERR, find_for_check, run_check
from xlflow.errors import CellError
from xlflow.process import col_letter
from xlflow.schema import SHEETS, Formula
from xlflow.settings import Settings

NOW = at(2026, 11, 26, 11, 0)  # Thursday, in office hours
REG, LOG, PROC, CAL, PEOPLE = (SHEETS[k] for k in ("register", "log", "process", "calendar", "people"))


def build(path: Path) -> Path:
    """Seven letters in every state the checker knows, as of 11:00 on Thursday 26 November 2026."""
    make_register(path)
    return script(
        path,
        reg(at(2026, 11, 26, 9, 0), "เชิญประชุม ILO"),  # 1: overdue at 1.2, nobody assigned
        reg(at(2026, 11, 25, 9, 0), "ขอข้อมูลแรงงาน", reply_by=date(2026, 11, 25)),  # 2: overdue at 2.1, reply-by passed
        reg(at(2026, 11, 26, 9, 0), "สรุปท่าที ASEAN"),  # 3: due soon at 2.3
        reg(at(2026, 11, 25, 9, 0), "รอกรม", reply_by=date(2026, 11, 27)),  # 4: paused, reply-by near
        reg(at(2026, 11, 25, 9, 0), "เสร็จแล้ว"),  # 5: done
        reg(at(2026, 11, 26, 9, 0), "ลับ: ท่าทีการเจรจา", secrecy="ลับ"),  # 6: secret, overdue at 3.1
        reg(at(2026, 11, 26, 10, 0), "ส่งออก"),  # 7: at 2.2, a clerk's sub-step with an officer set
        walk("2/2569", "2.1", at(2026, 11, 25, 9, 30)),
        walk("3/2569", "2.3", at(2026, 11, 26, 10, 30), officer=SOMYING),
        walk("4/2569", "2.3", at(2026, 11, 25, 9, 30)),
        do("4/2569", "pause", at(2026, 11, 25, 10, 0), note="รอคำตอบจากกรมการจัดหางาน"),
        walk("5/2569", "5.2", at(2026, 11, 25, 9, 10)),
        do("5/2569", "advance", at(2026, 11, 25, 9, 20)),
        walk("6/2569", "3.1", at(2026, 11, 26, 9, 30)),
        walk("7/2569", "2.2", at(2026, 11, 26, 10, 15), officer=SOMYING),
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("cells") / "Coordination_Register.xlsx")


class Memory:
    """A sheet reader over rows held in memory (what :data:`xlflow.book.sheet_reader` returns)."""

    def __init__(self, sheets: dict[str, list[list]]):
        self.sheets = sheets

    @property
    def names(self) -> list[str]:
        return list(self.sheets)

    def rows(self, name: str) -> list[list]:
        return self.sheets[name]


@contextlib.contextmanager
def reading(sheets: dict[str, list[list]]):
    old = bk.sheet_reader
    bk.sheet_reader = lambda path: Memory(sheets)
    try:
        yield
    finally:
        bk.sheet_reader = old


@pytest.fixture(scope="module")
def world(base):
    """The base register's sheets in memory, its settings, and what the checker finds in it."""
    src = bk.LazySheets(base)
    sheets = {n: [list(r) for r in src.rows(n)] for n in src.names}
    s = Settings(book_path=base)
    with reading(sheets):
        b, f = find_for_check(base, NOW, s)
    return sheets, s, b, f


def summary(f) -> dict:
    """Breach and follow-up keys → their addresses."""
    return {**{k: sorted(v) for k, v in f.to.items()}, **{k: sorted(v) for k, v in f.followup_to.items()}}


def test_the_base_register_has_every_kind_of_breach_and_reads_the_same_from_memory(base, world):
    sheets, s, b, f = world
    _, file_f = find_for_check(base, NOW, s)
    assert summary(file_f) == summary(f) and [n.en for n in file_f.notices] == [n.en for n in f.notices]
    kinds = {x.key: x.kind for x in f.breaches}
    assert {"1/2569|1.2|0|overdue", "2/2569|2.1|0|overdue", "2/2569|reply-by:2026-11-25|0|reply_overdue",
            "3/2569|2.3|0|due_soon", "4/2569|reply-by:2026-11-27|0|reply_soon", "6/2569|3.1|0|overdue",
            "7/2569|2.2|0|due_soon"} == set(kinds)
    assert "2/2569|2.1|0|overdue#r1" in f.followup_to  # a working day late: reminded
    assert f.to["7/2569|2.2|0|due_soon"] == ["wilai@mol.go.th"]  # the clerk's sub-step: the clerk
    assert f.to["4/2569|reply-by:2026-11-27|0|reply_soon"] == ["somchai@mol.go.th"]  # paused: its officer
    assert f.unread == []


# -- the bad values ------------------------------------------------------------------------------
def _far_datetime():
    early = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1989, 12, 31, 23, 59))
    late = st.datetimes(min_value=datetime(2101, 1, 1), max_value=datetime(9999, 12, 31, 23, 59))
    return st.one_of(early, late)


def _far_date():
    return st.one_of(st.dates(max_value=date(1989, 12, 31)), st.dates(min_value=date(2101, 1, 1)))


DATE_TEXT = ["15/12/2699", "๑๕/๑๒/๒๖๙๙", "31/02/2569", "25/11/2569 25:00", "1/1/2200", "1/1/1900", "เมื่อวาน", "2569-13-01",
             "25/11/569", "วันจันทร์ที่ 25 พ.ย. 2569", "0/0/0", "99999999999999999999/1/2569"]
ERRORS = ["#REF!", "#VALUE!", "#N/A", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!"]
FORMULAS = [Formula("=A1"), Formula("=#REF!+1"), Formula("=TODAY()"), Formula('="x"&B2')]
HUGE = [1e308, -1e308, math.inf, -math.inf, math.nan, 10**30, -(10**30), 2958466, 1e7, -1, 0.5, 2**63]


def _text():
    not_an_item = lambda t: not schema._ITEM.match(t)  # noqa: E731 (another letter's number would be a real edit)
    return st.text(max_size=24).filter(not_an_item)


VALUES = st.one_of(
    _far_datetime().map(lambda v: ("far datetime", v)),
    _far_date().map(lambda v: ("far date", v)),
    st.sampled_from(DATE_TEXT).map(lambda v: ("date-like text", v)),
    _text().map(lambda v: ("text", v)),
    st.sampled_from(ERRORS).map(lambda v: ("Excel error", v)),
    st.sampled_from(FORMULAS).map(lambda v: ("formula", v)),
    st.sampled_from(HUGE).map(lambda v: ("huge number", v)),
    st.sampled_from([None, "", "   ", True, False]).map(lambda v: ("empty or boolean", v)),
)
MUTABLE = (REG, LOG, PROC, CAL, PEOPLE)


def affected(sheets, b, sheet: str, r: int, col: int) -> set[str]:
    """The items a cell belongs to: a Register or Log row's item; for the Process sheet, the
    items whose current sub-step that row times."""
    rows = sheets[sheet]
    if sheet == REG or schema.log_sheet_number(sheet):
        hm = schema.header_map(sheet, rows[0], schema.REGISTER_COLUMNS if sheet == REG else schema.LOG_COLUMNS)
        row = rows[r - 1] if r - 1 < len(rows) else []
        item = row[hm["item"]] if hm["item"] < len(row) else None
        return {str(item).strip()} if item else set()
    if sheet == PROC and r - 1 < len(rows):
        hm = schema.header_map(sheet, rows[0], schema.PROCESS_HEADERS)
        code = str(rows[r - 1][hm["code"]] or "").strip()
        states = b.current_states()[0]
        return {i for i, st_ in states.items() if st_.substep == code}
    return set()


def unreadable(sheets, sheet: str, r: int, col: int, value) -> bool:
    """Whether ``value`` cannot be read in that cell of a row that holds data (the checker
    must then name the cell)."""
    rows = sheets[sheet]
    if not 2 <= r <= len(rows) or not any(v not in (None, "") for v in rows[r - 1]):
        return False
    columns = {REG: [c for c in schema.REGISTER_COLUMNS if not c.derived], LOG: [c for c in schema.LOG_COLUMNS if c.field != "hash"],
               CAL: [schema.CALENDAR_COLUMNS[0]]}.get(sheet)
    if columns is None:
        return False
    hm = schema.header_map(sheet, rows[0], tuple(columns))
    kind = next((c.kind for c in columns if hm.get(c.field) == col), None)
    if kind is None:
        return False
    try:
        schema.read_value(sheet, col, r, value, kind)
    except CellError:
        return True
    return False


@hsettings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_one_bad_cell_makes_at_most_its_item_unreadable_and_is_named(world, base, data):
    sheets, s, b0, f0 = world
    sheet = data.draw(st.sampled_from(MUTABLE), label="sheet")
    rows = sheets[sheet]
    width = max(len(x) for x in rows)
    r = data.draw(st.integers(min_value=2, max_value=len(rows) + 2), label="row")  # the header is a column's name, not a cell's value
    col = data.draw(st.integers(min_value=0, max_value=width), label="column")
    what, value = data.draw(VALUES, label="value")
    event(f"{sheet}: {what}")
    mutated = dict(sheets)
    new_rows = [list(x) for x in rows]
    while len(new_rows) < r:
        new_rows.append([None] * width)
    row = new_rows[r - 1]
    row += [None] * (col + 1 - len(row))
    row[col] = value
    mutated[sheet] = new_rows

    with reading(mutated):
        b, f = find_for_check(base, NOW, s)  # whatever the cell holds, this returns

    gone = affected(sheets, b0, sheet, r, col)
    known = {k.split("|", 1)[0] for k in summary(f0)} | set(b0.current_states()[0]) | b0.current_states()[2]
    before = {k: v for k, v in summary(f0).items() if k.split("|", 1)[0] not in gone}
    after = {k: v for k, v in summary(f).items() if k.split("|", 1)[0] not in gone}
    for k in [k for k in after if k.split("|", 1)[0] not in known]:  # the cell made a Log row another item's
        item = k.split("|", 1)[0]
        assert any(item in n.en for n in f.unread), (item, [n.en for n in f.notices])
        del after[k]
    if sheet in (REG, LOG):
        assert after == before, (sheet, f"{col_letter(col)}{r}", value)
    else:  # a Process, Calendar or People cell may change whom to tell, never what is announced
        assert set(after) == set(before), (sheet, f"{col_letter(col)}{r}", value)
    if unreadable(sheets, sheet, r, col, value):
        ref = f"{sheet}!{col_letter(col)}{r}:"
        assert any(ref in n.en for n in f.unread), (ref, value, [n.en for n in f.notices])
        event("the cell was named")


# -- end to end, on files ------------------------------------------------------------------------
def _set(path: Path, sheet: str, ref: str, value) -> None:
    wb = openpyxl.load_workbook(path)
    wb[sheet][ref] = value
    wb.save(path)


def _col(sheet_rows, field: str, columns) -> str:
    return col_letter(schema.header_map("x", sheet_rows[0], columns)[field])


CASES = {
    # (sheet, field or cell, row of item, value, the item it belongs to)
    "reply-by typed as 2699": (REG, "reply_by", "2/2569", "15/12/2699", '"15/12/2699" is not a date (15/12/2699 is 2156-12-15, outside the calendar'),
    "a BE year in a Log date cell": (LOG, "at", "6/2569", datetime(2569, 11, 26, 9, 30), "is a date in the year 2569 of the Christian Era"),
    # python-calamine reads a formula's cached value and an error cell as empty: so do these
    "a formula as a Log time": (LOG, "at", "3/2569", "=NOW()", "(empty) is empty"),
    "a huge number as the received time": (REG, "received_at", "1/2569", 1e308, "is not a date and time"),
    "an Excel error in the Calendar": (CAL, "A2", None, "#REF!", 'has no date for the holiday "ชดเชยวันพ่อแห่งชาติ"'),
    "text as a standard": (PROC, "F9", None, "หกสิบ", '"หกสิบ" is not a positive whole number of working minutes'),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_run_on_a_file_with_one_bad_cell_names_it_and_announces_the_rest(base, world, tmp_path, case):
    sheets, s, b0, f0 = world
    sheet, where, item, value, words = CASES[case]
    path = Path(shutil.copy(base, tmp_path / "Coordination_Register.xlsx"))
    if item is None:
        ref = where
    else:
        rows = sheets[sheet]
        columns = schema.REGISTER_COLUMNS if sheet == REG else schema.LOG_COLUMNS
        hm = schema.header_map(sheet, rows[0], columns)
        r = next(i for i, x in enumerate(rows, start=1) if i > 1 and x[hm["item"]] == item and (sheet == REG or x[hm["action"]] != "register"))
        ref = f"{col_letter(hm[where])}{r}"
    _set(path, sheet, ref, value)
    report = run_check(path, NOW, outbox=tmp_path / "out")
    assert report.exit_code == EX_DATAERR and report.error == "", report.lines
    named = [p for p in report.problems if f"{sheet}!{ref}:" in p]
    assert named and words in named[0], report.problems
    log = (tmp_path / "xlflow-check.log").read_text(encoding="utf-8")
    assert "problem: " in log and f"{sheet}!{ref}:" in log and "(exit 65)" in log
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted((tmp_path / "out").glob("*.eml"))]
    director = next(m for m in mails if m["To"] == "dir.wt@mol.go.th").get_body(("plain",)).get_content()
    assert f"{sheet}!{ref}:" in director
    # every other item's breaches still reach the directors
    for b in f0.breaches:
        if b.item != item:
            assert f"{b.item} — " in director, (b.key, case)


def test_the_check_command_says_a_problem_was_found_with_exit_65(base, tmp_path):
    from click.testing import CliRunner

    from xlflow.cli import main

    path = Path(shutil.copy(base, tmp_path / "Coordination_Register.xlsx"))
    _set(path, LOG, "E5", "#VALUE!")
    res = CliRunner().invoke(main, ["check", str(path), "--now", "2026-11-26T11:00", "--outbox", str(tmp_path / "out")])
    assert res.exit_code == 65, res.output
    # row 5 registers 4/2569; python-calamine reads the error cell as empty
    assert f"problem: item 4/2569 was not checked: a row of its Log cannot be read: {LOG}!E5: " in res.output
    assert "done: " in res.output and "(exit 65)" in res.output
