"""The one applier: a planned change written into a workbook through a port.

The planners of :mod:`xlflow.service` decide *what* an action writes (a
:class:`~xlflow.service.Change`: Log entries and Register fields). This module decides *how*
it lands in a workbook, once, for every door: the guards that refuse a write before
anything is written (a Log row that cannot be read, a Log sorted by hand, a sheet past
Excel's last row, a letter that would overwrite what the office typed below the Table),
the hash chain continued from the last row written, the continuation Log sheet every
:data:`~xlflow.schema.LOG_SHEET_ROWS` rows, the Status formula with its value, the
Register's Table grown over a new letter (above its Total Row, with its calculated columns
filled).

A :class:`Port` only moves cells: the OOXML package of a file
(:mod:`xlflow.ports.package`), or a dictionary in tests (:mod:`xlflow.ports.memory`).
Nothing here imports openpyxl, xlwings or click.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from . import schema
from .errors import WorkbookError
from .model import LogEntry

#: Excel's last row: a sheet cannot hold more (a file with more does not open in Excel).
EXCEL_ROWS = 1_048_576

#: Number formats for the values xlflow writes, used only where the cell's own style
#: has no date format (the office's own date format wins).
FORMATS = {"datetime": "[$-107041E]d/mm/yyyy hh:mm", "date": "[$-107041E]d/mm/yyyy"}
LOG_AT_FORMAT = "yyyy-mm-dd hh:mm:ss"


@dataclass(frozen=True)
class Formula:
    """A formula to write (``text`` without the leading ``=``) and the value it gives now,
    stored with it so that a reader that does not calculate still sees the result."""

    text: str
    cached: object = None


@dataclass(frozen=True)
class Table:
    """An Excel Table's extent: 1-based rows, 0-based columns."""

    name: str
    first_col: int
    header_row: int
    last_col: int
    last_row: int
    totals: int = 0  # rows of the Total Row (0 or 1)
    calculated: dict[int, str] = field(default_factory=dict)  # sheet column → calculated column formula

    @property
    def data_end(self) -> int:
        """The last data row (above the Total Row)."""
        return self.last_row - self.totals


class Port(Protocol):
    """What the applier needs of a workbook: write cells, add a sheet, grow the Table."""

    def sheet_names(self) -> list[str]: ...

    def table(self, sheet: str) -> Table | None: ...

    def write(self, sheet: str, cells: dict[int, dict[int, object]], formats: dict[int, str] | None = None) -> None:
        """Set cells (row → 0-based column → value: str, int, float, bool, datetime, date,
        :class:`Formula` or None); ``formats`` gives a column's number format for a value
        whose cell has no date format yet."""

    def add_sheet_like(self, name: str, model: str, after: str) -> None:
        """A new sheet ``name`` right after ``after``, dressed like ``model``'s header row."""

    def grow_table(self, sheet: str, table: Table, data_end: int) -> None:
        """Make ``table``'s data rows end at ``data_end``; its Total Row moves down below them."""


@dataclass
class Where:
    """What the applier must know of the workbook as it was read (by the door, once)."""

    register_header: list
    log_headers: dict[str, list]  # Log sheet → its header row (the sheets read, oldest first)
    log_last_row: dict[str, int]  # Log sheet → its last written row (1: only the header)
    last_hash: str = ""
    table: Table | None = None
    occupied: dict[int, str] = field(default_factory=dict)  # Register rows below the whole Table with something in them: row → 'A57 "ลงชื่อ…"'
    rows_of: dict[str, int] = field(default_factory=dict)  # item → its Register row (as read)
    log_index: dict[str, object] = field(default_factory=dict)  # item → its แถวในบันทึก cell as read


def check_log_order(log: list[LogEntry], where) -> None:
    """Refuse a Log whose rows are not in ลำดับ order (sorted or filtered and re-pasted by
    hand): new rows would be numbered and chained to the wrong row."""
    for i in range(1, len(log)):
        if log[i].seq < log[i - 1].seq:  # a row pasted twice (equal numbers) is verify's to name; it chains nothing wrongly
            raise WorkbookError(
                f"{where(i)}: the Log is not in ลำดับ order (ลำดับ {log[i].seq} comes after {log[i - 1].seq}) — "
                f"sort it by ลำดับ, smallest first (Data → Sort), save, and try again; nothing was written"
            )


def status_formula(r: int, hm: dict[str, int]) -> str:
    """The Status cell's formula (without ``=``): right while Python is not running, from the
    stored due times."""
    from .model import STATUS_TH

    L = lambda f: f"${schema.col_letter(hm[f])}{r}"  # noqa: E731
    # an item ended early (cancelled, closed, sent on) shows how (the การยุติเรื่อง cell); a
    # register made before that column shows เสร็จสิ้น for it, as before
    done = f'IF({L("ended")}<>"",{L("ended")},"{STATUS_TH["done"]}")' if "ended" in hm else f'"{STATUS_TH["done"]}"'
    return (
        f'IF({L("completed_at")}<>"",{done},IF({L("paused_since")}<>"","{STATUS_TH["paused"]}",'
        f'IF({L("due_at")}="","",IF(NOW()>={L("due_at")},"{STATUS_TH["overdue"]}",'
        f'IF(NOW()>={L("due_soon_at")},"{STATUS_TH["due_soon"]}","{STATUS_TH["on_time"]}")))))'
    )


def log_cells(e: LogEntry, hm: dict[str, int]) -> dict[int, object]:
    """One chained Log entry as cells of a Log row."""
    vals = {"seq": e.seq, "item": e.item, "substep": e.substep, "action": e.action, "at": e.at, "by": e.by, "note": e.note,
            "data": e.data_json(), "hash": e.hash}
    return {hm[f]: (v if v != "" else None) for f, v in vals.items()}


def apply(port: Port, where: Where, log: list[LogEntry], rows: dict[int, dict[str, object]], *, fill_calculated: bool = True) -> None:
    """Write planned Log entries and Register fields through ``port``; refuse before writing.

    ``rows`` maps a Register row to its fields (names of :data:`schema.REGISTER_COLUMNS`;
    ``status`` is the status's value now, written as the cached result of the formula).
    """
    reg = schema.SHEETS["register"]
    hm = schema.header_map(reg, where.register_header, schema.REGISTER_COLUMNS)
    if rows and max(rows) > EXCEL_ROWS:
        raise WorkbookError(
            f"{reg}: the sheet is full (Excel holds {EXCEL_ROWS:,} rows) — nothing was written; start a new "
            f"register for the new fiscal year and keep this one as the archive of the closed years"
        )
    table = where.table
    grow_to = None
    if table is not None and rows and max(rows) > table.data_end:
        grow_to = max(rows)
        for r in range(table.last_row + 1, grow_to + table.totals + 1):  # rows the grown Table (and its Total Row) takes
            if r in where.occupied and (table.totals or r not in rows):
                raise WorkbookError(
                    f"{reg}!{where.occupied[r]} is directly below the Table, where the new letter must go — "
                    f"insert an empty row above it in Excel (or move it down), then try again; nothing was written"
                )
    # the Log: the chain runs on from the last row written, a full sheet goes on in a new one
    if log:
        placed = _append_log(port, where, log)
        if "log_rows" in hm:  # each letter's Register row says where its new Log rows are
            rows = {r: dict(v) for r, v in rows.items()}
            for item, positions in placed.items():
                r = next((r for r, v in rows.items() if v.get("item") == item), where.rows_of.get(item))
                if r is None or r not in rows or "log_rows" in rows[r]:
                    continue
                before = schema.parse_log_rows(where.log_index.get(item))
                if rows[r].get("item") == item:  # registered in this change
                    rows[r]["log_rows"] = schema.log_rows_text(positions)
                elif before:
                    rows[r]["log_rows"] = schema.log_rows_text([*before, *positions])
                elif where.log_index.get(item) not in (None, ""):
                    rows[r]["log_rows"] = None  # not what xlflow wrote: cleared (a refresh writes it anew)
    if rows:
        kinds = {c.field: c.kind for c in schema.REGISTER_COLUMNS}
        cells: dict[int, dict[int, object]] = {}
        new_rows = {r for r in rows if r > table.data_end} if table else set()
        for r, values in rows.items():
            row = {hm[f]: v for f, v in values.items() if f in hm and f != "status"}
            if "status" in hm:
                row[hm["status"]] = Formula(status_formula(r, hm), values.get("status"))
            if fill_calculated and table is not None and r in new_rows:
                for c, formula in table.calculated.items():
                    row.setdefault(c, Formula(formula))
            cells[r] = row
        formats = {hm[f]: FORMATS[k] for f, k in kinds.items() if f in hm and k in FORMATS}
        if grow_to is not None:
            port.grow_table(reg, table, grow_to)
        port.write(reg, cells, formats)


def _append_log(port: Port, where: Where, log: list[LogEntry]) -> dict[str, list[tuple[int, int]]]:
    names = list(where.log_headers)
    sheet = names[-1]
    last = where.log_last_row[sheet]
    prev = where.last_hash
    first_hm = schema.header_map(names[0], where.log_headers[names[0]], schema.LOG_COLUMNS)
    entries = list(log)
    placed: dict[str, list[tuple[int, int]]] = {}
    while entries:
        room = schema.LOG_SHEET_ROWS - (last - 1)
        if room <= 0:
            n = schema.log_sheet_number(sheet) + 1
            new = schema.log_sheet_name(n)
            if new in port.sheet_names():
                raise WorkbookError(f'the sheet "{new}" exists but is not after "{sheet}" — move it back right after "{sheet}"; nothing was written')
            port.add_sheet_like(new, names[0], sheet)
            where.log_headers[new] = list(where.log_headers[names[0]])
            where.log_last_row[new] = 1
            names.append(new)
            sheet, last, room = new, 1, schema.LOG_SHEET_ROWS
        hm = schema.header_map(sheet, where.log_headers[sheet], schema.LOG_COLUMNS) if sheet != names[0] else first_hm
        cells = {}
        number = schema.log_sheet_number(sheet)
        for i, e in enumerate(entries[:room]):
            e = e.chained(prev)
            prev = e.hash
            cells[last + 1 + i] = log_cells(e, hm)
            placed.setdefault(e.item, []).append((number, last + 1 + i))
        port.write(sheet, cells, {hm["at"]: LOG_AT_FORMAT})
        last += len(cells)
        where.log_last_row[sheet] = last
        entries = entries[room:]
    where.last_hash = prev
    return placed

