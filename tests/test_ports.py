"""One applier, three ports: a sequence of actions gives the same cells through the file (the
OOXML package port), the open workbook (the xlwings port, on xlwings' remote engine) and the
in-memory port — every write rule lives in :func:`xlflow.apply.apply`, once.

Each driver reads the register the way its door does, plans with the same planners of
:mod:`xlflow.service`, and writes through its port. The xlwings driver feeds what one click
wrote back into the payload of the next, as Excel would hold it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from xlflow import book as bk
from xlflow import macros, schema, service
from xlflow.apply import Formula, apply
from xlflow.errors import WorkbookError
from xlflow.ports.memory import MemoryPort
from xlflow.ports.package import register_table
from xlflow.ports.xlwings import XlwingsPort
from xlwings_payload import payload, remote_book, rows_from_xlsx, use_remote_engine

REG, LOG = schema.SHEETS["register"], schema.SHEETS["log"]


def T(h: int, m: int, day: int = 25) -> datetime:
    return datetime(2026, 11, day, h, m)


#: The actions, in order: each a planner (book, change) → None, as the doors call them.
STEPS = [
    lambda b, c: service.plan_register(b, c, at=T(9, 0), by="สารบรรณ", subject="ขอเชิญประชุม ILO", sender="ILO",
                                       urgency="ด่วน", reply_by=date(2026, 12, 15)),
    lambda b, c: service.plan_register(b, c, at=T(9, 5), by="สารบรรณ", subject="=ขอข้อมูลแรงงาน", letter_no="ที่ รง 0201/15"),
    lambda b, c: service.plan_action(b, c, "1/2569", "assign", at=T(9, 10), by="เลขานุการ", unit="วท."),
    lambda b, c: service.plan_action(b, c, "1/2569", "advance", at=T(9, 20), by="เลขานุการ"),
    lambda b, c: service.plan_action(b, c, "2/2569", "assign", at=T(9, 25), by="เลขานุการ", unit="วท."),
    lambda b, c: service.plan_action(b, c, "2/2569", "pause", at=T(9, 30), by="เลขานุการ", note="รอคำตอบจากกรมการจัดหางาน"),
    lambda b, c: service.plan_action(b, c, "1/2569", "advance", at=T(10, 0), by="เลขานุการ"),
    lambda b, c: service.plan_action(b, c, "1/2569", "correct", at=T(10, 5), by="เลขานุการ"),
    lambda b, c: service.plan_register(b, c, at=T(10, 10), by="สารบรรณ", subject="ขอความเห็นร่าง MOU"),
    lambda b, c: service.plan_refresh(b, c, T(11, 0)),
]


def norm(v):
    """A value as every port's reader agrees on it."""
    if v is None or v == "":
        return None
    if isinstance(v, Formula):
        return "=" + v.text
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, datetime):
        return v.replace(microsecond=0, tzinfo=None)
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    return v


def grid(rows: list[list], formulas: dict[tuple[int, int], str] | None = None) -> dict[tuple[int, int], object]:
    out = {}
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            v = (formulas or {}).get((r, c), v)
            if norm(v) is not None:
                out[(r, c)] = norm(v)
    return out


# -- the three drivers ---------------------------------------------------------------------------------
def by_file(start: Path, tmp_path: Path) -> dict[str, dict]:
    path = tmp_path / "file" / start.name
    path.parent.mkdir()
    path.write_bytes(start.read_bytes())
    for step in STEPS:
        service.commit(path, step)
    rows = rows_from_xlsx(path)
    wb = openpyxl.load_workbook(path)  # the formulas themselves (calamine gives their values)
    formulas = {(c.row, c.column - 1): c.value for r in wb[REG].iter_rows() for c in r if c.data_type == "f"}
    return {REG: grid(rows[REG], formulas), LOG: grid(rows[LOG])}


def by_memory(start: Path) -> dict[str, dict]:
    port = MemoryPort.from_rows(rows_from_xlsx(start), {REG: register_table(start)})
    for step in STEPS:
        b = bk.parse(port.rows(), table=port.table(REG))
        service.refuse_unsafe_log(b)
        change = service.Change()
        step(b, change)
        apply(port, service.where_of(b), change.log, change.rows)
    formulas = {(r, c): v for (r, c), v in port.sheets[REG].items() if isinstance(v, Formula)}
    return {REG: grid(port.values(REG), formulas), LOG: grid(port.values(LOG))}


def _from_excel(v):
    """What a setValues action carried, as the cell then holds it (the client's view)."""
    if isinstance(v, str) and v.startswith("'"):
        return v[1:]
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d([ T]\d\d:\d\d(:\d\d(\.\d+)?)?)?Z?", v):
        return datetime.fromisoformat(v.replace("Z", ""))  # a date or time, as the remote engine sends it
    return v


def by_xlwings(start: Path, monkeypatch) -> dict[str, dict]:
    use_remote_engine(monkeypatch)
    rows = rows_from_xlsx(start)
    formulas: dict[tuple[int, int], str] = {}
    for step in STEPS:
        book = remote_book(payload(rows))
        sheets = {n: macros._read_named(book, n) for n in rows}
        b = bk.parse({n: s.values for n, s in sheets.items()})
        service.refuse_unsafe_log(b)
        change = service.Change()
        step(b, change)
        port = XlwingsPort(book, {REG: sheets[REG], LOG: sheets[LOG]})
        where = service.where_of(b)
        where.table = port.table(REG)
        apply(port, where, change.log, change.rows)
        names = list(rows)
        for a in book.json()["actions"]:  # Excel now holds what the click wrote
            if a["func"] != "setValues":
                continue
            values = rows[names[a["sheet_position"]]]
            for i, line in enumerate(a["values"]):
                r = a["start_row"] + i
                while len(values) <= r:
                    values.append([None] * len(values[0]))
                for j, v in enumerate(line):
                    c = a["start_column"] + j
                    while len(values[r]) <= c:
                        values[r].append(None)
                    if isinstance(v, str) and v.startswith("="):
                        formulas[(r + 1, c)] = v
                        values[r][c] = None  # the client sends the result; the parse never needs it
                    else:
                        values[r][c] = _from_excel(v)
                        formulas.pop((r + 1, c), None)
    return {REG: grid(rows[REG], formulas), LOG: grid(rows[LOG])}


@pytest.fixture(scope="module")
def start(tmp_path_factory) -> Path:
    from xlflow import template

    return template.init(tmp_path_factory.mktemp("ports") / "Coordination_Register.xlsx", today=date(2026, 11, 25))


def test_the_same_actions_give_the_same_cells_through_every_port(start, tmp_path, monkeypatch):
    file, memory, excel = by_file(start, tmp_path), by_memory(start), by_xlwings(start, monkeypatch)
    for sheet in (REG, LOG):
        assert memory[sheet] == file[sheet], sheet
        assert excel[sheet] == file[sheet], sheet
    # and the actions really landed: 3 letters, the 12 Log rows, one paused, a formula per Status cell
    hm = schema.header_map(REG, [file[REG].get((1, c)) for c in range(30)], schema.REGISTER_COLUMNS)
    assert [file[REG][(r, hm["item"])] for r in (2, 3, 4)] == ["1/2569", "2/2569", "3/2569"]
    assert max(r for r, _ in file[LOG]) == 1 + 10 - 1  # ten steps, the refresh writes no Log row
    assert file[REG][(3, hm["subject"])] == "=ขอข้อมูลแรงงาน"  # text, never a formula
    assert all(str(file[REG][(r, hm["status"])]).startswith("=IF(") for r in (2, 3, 4))


def test_a_log_out_of_order_is_refused_by_every_door_before_anything_is_written(start, tmp_path):
    port = MemoryPort.from_rows(rows_from_xlsx(start), {REG: register_table(start)})
    for step in STEPS[:3]:
        b = bk.parse(port.rows(), table=port.table(REG))
        change = service.Change()
        step(b, change)
        apply(port, service.where_of(b), change.log, change.rows)
    log = port.sheets[LOG]
    seq = schema.header_map(LOG, [log.get((1, c)) for c in range(9)], schema.LOG_COLUMNS)["seq"]
    log[(2, seq)], log[(3, seq)] = log[(3, seq)], log[(2, seq)]  # sorted by hand, descending
    before = {k: dict(v) for k, v in port.sheets.items()}
    b = bk.parse(port.rows(), table=port.table(REG))
    with pytest.raises(WorkbookError) as e:
        service.refuse_unsafe_log(b)
    assert "the Log is not in ลำดับ order" in str(e.value) and "sort it by ลำดับ, smallest first" in str(e.value)
    assert port.sheets == before
