"""What a ribbon click reads from the workbook open in Excel (the xlwings door's reading).

A click reads only what it acts on where it can (:func:`_narrow`: the Register's header and
selected rows, the small sheets, the last Log row and the Log rows the selected letters'
แถวในบันทึก index names, checked against the Log), else the sheets it needs whole, each
with one ``.value``; and it reads the selection (a filtered-out row left out in Windows
Excel). Every cell read is counted in :data:`~xlflow.ports.xlwings.MOVED`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .. import book as bk
from .. import schema, service
from ..errors import IllegalAction, WorkbookError, XlflowError
from ..schema import SHEETS
from .xlwings import MOVED, Sheet

#: The sheets every action reads (Info and the forms are read only by Fill forms).
ACTION_SHEETS = ("register", "process", "calendar", "people")  # and the Log sheets, see _read_logs
#: Sheets a register may lack (``book.parse`` reads none from them then).
OPTIONAL_SHEETS = ("people", "info")
EXCEL_ROWS = 1_048_576

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d+)?$")


@dataclass
class Read:
    """What one click read: the sheets by code, the parsed book, the Log sheets read (oldest
    first), the selected Register rows (when the click reads them)."""

    sheets: dict[str, Sheet]
    book: bk.Book
    logs: list[Sheet] = field(default_factory=list)
    selection: list[int] | None = None


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _blank_row(row: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def read_click(xl, at: datetime, codes: tuple[str, ...], log: str = "all") -> Read:
    """Read what a click needs, parse it once.

    ``log`` says which Log sheets: ``all`` (Refresh re-times every item), ``last`` (a new
    letter needs only the last row's number and hash) or ``selection`` (the newest sheets
    back to the one holding the registration of every selected letter): a click reads the
    Log sheets its letters live on, not a Log that grows with the years.
    """
    if log in ("selection", "last") and codes == ACTION_SHEETS:
        narrow = _narrow(xl, at, log)
        if narrow is not None:
            return narrow
    sheets = {code: _read_sheet(xl, code) for code in codes}
    selection = None
    wanted: set[str] | None = None  # None: every Log sheet
    if log == "last":
        wanted = set()
    elif log == "selection":
        selection = selected_rows_of(xl)
        wanted = _items_at(sheets["register"], selection)
    logs = _read_logs(xl, sheets.get("process"), wanted)
    rows = {s.name: s.values for s in [*sheets.values(), *logs] if s is not None}
    return Read({k: v for k, v in sheets.items() if v is not None}, bk.parse(rows), logs, selection)


#: A click on more rows than this reads the sheets whole (one transfer beats hundreds).
NARROW_ROWS = 200
#: Log rows read at a time when looking back for the newest registration of the year.
TAIL = 64


def _narrow(xl, at: datetime, log: str) -> Read | None:
    """A click that reads only what it acts on: the Register's header and selected rows, the
    small sheets, the last Log row, and the Log rows the selected letters' แถวในบันทึก cells
    name — so a click moves as many cells at 100,000 letters as at 10.

    The index is trusted only as far as it checks out: every row it names holds that letter,
    the first is its registration, and the state replayed from them is what the Register row
    shows. Otherwise (and for a register made before the column existed) None: the click
    reads the sheets whole, as before.
    """
    try:
        reg_sh = xl.sheets[SHEETS["register"]]
    except Exception:  # noqa: BLE001 — the whole reading names what is missing
        return None
    top, left, bottom, right = _extent(reg_sh.used_range.address)
    if (top, left) != (1, 1):
        return None
    header = _read_block(reg_sh, 1, 1, right)[0]
    try:
        hm = schema.header_map(SHEETS["register"], header, schema.REGISTER_COLUMNS)
    except XlflowError:
        return None
    if "log_rows" not in hm:
        return None
    selection = selected_rows_of(xl)
    if not selection or len(selection) > NARROW_ROWS:
        return None
    reg_values: list[list] = [list(header)] + [[] for _ in range(max(bottom, *selection) - 1)]
    for r0, r1 in _runs(selection):
        for r, row in enumerate(_read_block(reg_sh, r0, r1, right), start=r0):
            reg_values[r - 1] = row
    small = {code: _read_sheet(xl, code) for code in ("process", "calendar", "people")}
    names = _log_names(xl, small["process"])
    if not names:
        return None
    logs: dict[str, list[list]] = {}
    log_xl: dict[str, object] = {}

    def sheet_rows(name: str) -> list[list]:
        if name not in logs:
            sh = xl.sheets[name]
            _, _, last, width = _extent(sh.used_range.address)
            log_xl[name] = (sh, max(width, len(schema.LOG_COLUMNS)))
            logs[name] = [_read_block(sh, 1, 1, log_xl[name][1])[0]] + [[] for _ in range(last - 1)]
        return logs[name]

    def read(name: str, rows: list[int]) -> None:
        values = sheet_rows(name)
        sh, width = log_xl[name]
        for r0, r1 in _runs([r for r in rows if r >= 2], GAP):
            while len(values) < r1:
                values.append([])
            for r, row in enumerate(_read_block(sh, r0, r1, width), start=r0):
                values[r - 1] = row

    # the last row written (its number and hash continue the Log), on the newest sheet that has one
    for name in reversed(names):
        values = sheet_rows(name)
        if len(values) > 1:
            read(name, [len(values)])
            if _blank_row(values[-1]):
                return None  # formatted rows below the Log: the whole reading finds the last one
            break
    items: dict[str, int] = {}
    if log == "selection":
        for r in selection:
            row = reg_values[r - 1] if r <= len(reg_values) else []
            item = _text(row[hm["item"]]) if len(row) > hm["item"] else ""
            if not item:
                continue
            positions = schema.parse_log_rows(row[hm["log_rows"]] if len(row) > hm["log_rows"] else None)
            if positions is None or any(n > len(names) for n, _ in positions):
                return None
            items[item] = r
            for n, rows in _by_sheet(positions).items():
                read(schema.log_sheet_name(n), rows)
    else:  # a new letter: the newest registration of the year gives the next number
        if not _read_back_to_registration(names, sheet_rows, read, at):
            return None
    rows = {SHEETS["register"]: reg_values, **{v.name: v.values for v in small.values() if v is not None},
            **{n: logs[n] for n in names if n in logs}}
    b = bk.parse(rows, partial=True)
    for item, r in items.items():
        if not service.index_agrees(b, item, reg_values[r - 1], hm):
            return None
    sheets = {"register": Sheet(reg_sh, SHEETS["register"], reg_values), **{k: v for k, v in small.items() if v is not None}}
    log_sheets = [Sheet(log_xl[n][0], n, logs[n]) for n in names if n in logs]
    return Read(sheets, b, log_sheets, selection)


def _read_back_to_registration(names, sheet_rows, read, at: datetime) -> bool:
    """Read the newest Log sheet back from its end until a registration of ``at``'s year is
    among the rows read; False if the sheet has none (the whole reading decides then)."""
    year = str(at.year + 543)
    name = names[-1]
    values = sheet_rows(name)
    end = len(values)
    step = TAIL
    while end > 1:
        start = max(2, end - step + 1)
        read(name, list(range(start, end + 1)))
        for row in values[start - 1:end]:
            if len(row) > 3 and _text(row[3]) == "register" and _text(row[1]).endswith("/" + year):
                return True
        end, step = start - 1, step * 2
    return False


def _by_sheet(positions) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for n, r in positions:
        out.setdefault(n, []).append(r)
    return out


#: Rows between two runs read as one block rather than two (a call costs more than a few rows).
GAP = 16


def _runs(rows, gap: int = 1) -> list[tuple[int, int]]:
    """Sorted rows as runs, rows less than ``gap`` apart joined: [2, 3, 4, 9] → [(2, 4), (9, 9)]."""
    out: list[list[int]] = []
    for r in sorted(set(rows)):
        if out and r <= out[-1][1] + gap:
            out[-1][1] = r
        else:
            out.append([r, r])
    return [(a, b) for a, b in out]


def _read_block(sh, r0: int, r1: int, width: int) -> list[list]:
    """Rows ``r0``–``r1`` of ``sh``, columns A to ``width``, in one read."""
    v = sh.range((r0, 1), (r1, width)).options(ndim=2).value
    MOVED["read"] += (r1 - r0 + 1) * width
    return [list(r) for r in (v or [[None] * width])]


def _extent(address: str) -> tuple[int, int, int, int]:
    """(top row, left column, bottom row, right column) of a used range's address."""
    first, _, last = address.split(",")[0].replace("$", "").partition(":")
    top, left = _top_left(first)
    bottom, right = _top_left(last or first)
    return top, left, bottom, right


def _items_at(register: Sheet, rows: list[int]) -> set[str]:
    """The registration numbers typed in the Register's item column at ``rows``."""
    try:
        hm = schema.header_map(register.name, register.values[0], schema.REGISTER_COLUMNS)
    except XlflowError:
        return set()  # parse names the problem
    return {t for r in rows if (t := _text(register.cell(r, hm["item"])))}


def _log_names(xl, process: Sheet | None) -> list[str]:
    """The Log sheets' names, oldest first, in a number of calls that does not grow with them.

    xlflow places every continuation sheet right after the one before, so the newest Log
    sheet stands just before the Process sheet; that is checked (and that no later one
    exists), and only a workbook whose sheets were moved is asked for all its sheet names.
    """
    try:
        if process is not None:
            before = xl.sheets[process.xl.index - 2]
            k = schema.log_sheet_number(before.name)
            if k is not None and not _has_sheet(xl, schema.log_sheet_name(k + 1)):
                return [schema.log_sheet_name(j) for j in range(1, k + 1)]
    except Exception:  # noqa: BLE001 — an engine without sheet positions: ask for the names
        pass
    return schema.log_sheets(xl.sheet_names)


def _has_sheet(xl, name: str) -> bool:
    try:
        xl.sheets[name]
    except Exception:  # COM and the remote engine raise different errors for a missing sheet
        return False
    return True


def _read_logs(xl, process: Sheet | None, wanted: set[str] | None) -> list[Sheet]:
    """The Log sheets a click needs, newest first until ``wanted`` is met, returned oldest first.

    ``wanted`` is the items whose registration must be among the rows read (an empty set:
    just the last row written; ``None``: every sheet).
    """
    names = _log_names(xl, process)
    if not names:
        raise WorkbookError(
            f'the sheet "{SHEETS["log"]}" is missing — rename the sheet back to "{SHEETS["log"]}", '
            f"or copy it from a fresh register made by xlflow init"
        )
    out: list[Sheet] = []
    missing = None if wanted is None else set(wanted)
    for name in reversed(names):
        sheet = _read_named(xl, name)
        if sheet is None:  # a sheet of the sequence is gone: every Log sheet there is, and verify will say what is missing
            return [s for n in schema.log_sheets(xl.sheet_names) if (s := _read_named(xl, n)) is not None]
        out.append(sheet)
        if missing is None:
            continue
        registered, written = _registrations(sheet)
        missing -= registered
        if not missing and written:
            break
    return out[::-1]


def _registrations(sheet: Sheet) -> tuple[set[str], bool]:
    """Items registered on a Log sheet as read, and whether it holds any row at all."""
    try:
        hm = schema.header_map(sheet.name, sheet.values[0], schema.LOG_COLUMNS)
    except XlflowError:
        return set(), True  # parse names the problem
    i, a = hm["item"], hm["action"]
    found, written = set(), False
    for row in sheet.values[1:]:
        if _blank_row(row):
            continue
        written = True
        if len(row) > max(i, a) and _text(row[a]) == "register":
            found.add(_text(row[i]))
    return found, written


def _read_sheet(xl, code: str) -> Sheet | None:
    """One ``.value`` read of the sheet's used range, padded so that row 1 column A is [0][0]."""
    name = SHEETS[code]
    sheet = _read_named(xl, name)
    if sheet is None and code not in OPTIONAL_SHEETS:
        raise WorkbookError(
            f'the sheet "{name}" is missing — rename the sheet back to "{name}", '
            f"or copy it from a fresh register made by xlflow init"
        ) from None
    return sheet


def _read_named(xl, name: str) -> Sheet | None:
    try:
        sh = xl.sheets[name]
    except Exception:  # COM and the remote engine raise different errors for a missing sheet
        return None
    used = sh.used_range
    top, left = _top_left(used.address)
    values = [list(r) for r in (used.options(ndim=2).value or [[None]])]
    MOVED["read"] += sum(len(r) for r in values)
    if left > 1:
        values = [[None] * (left - 1) + r for r in values]
    if top > 1:
        width = len(values[0]) if values else 0
        values = [[None] * width for _ in range(top - 1)] + values
    return Sheet(sh, name, values)


def _top_left(address: str) -> tuple[int, int]:
    first = address.split(",")[0].split(":")[0]
    m = _CELL.match(first)
    if not m or (m.group(1) is None and m.group(2) is None):
        return 1, 1
    col = m.group(1)
    c = 1
    if col:
        c = 0
        for ch in col.upper():
            c = c * 26 + ord(ch) - 64
    return int(m.group(2) or 1), c


# -- which rows --------------------------------------------------------------------------------
def selected_rows(address: str) -> list[int]:
    """The sheet rows an A1 address covers (``"$A$5:$X$7,$B$9"`` → 5, 6, 7, 9), in order.

    Whole columns are refused: a click must never act on every row by accident.
    """
    rows: set[int] = set()
    for area in address.replace("$", "").split(","):
        area = area.strip().rsplit("!", 1)[-1]
        if not area:
            continue
        ends = area.split(":")
        nums = []
        for end in ends:
            m = _CELL.match(end)
            if not m or m.group(2) is None:
                raise IllegalAction(
                    "whole columns are selected — select a cell in the row of each letter (or drag over the rows) and click again"
                )
            nums.append(int(m.group(2)))
        lo, hi = min(nums), max(nums)
        if lo <= 1 and hi >= EXCEL_ROWS:
            raise IllegalAction("the whole sheet is selected — select a cell in the row of each letter and click again")
        rows.update(range(lo, hi + 1))
    return sorted(rows)


def selected_rows_of(xl) -> list[int]:
    try:
        sel = xl.app.selection
        sheet_name = sel.sheet.name if sel is not None else None
        address = sel.address if sel is not None else None
    except Exception:
        sel, sheet_name, address = None, None, None
    if not address:
        raise IllegalAction(f'no cell is selected — select the row of the letter in the sheet "{SHEETS["register"]}" and click again')
    if sheet_name != SHEETS["register"]:
        raise IllegalAction(f'the selection is in the sheet "{sheet_name}" — select the row of the letter in the sheet "{SHEETS["register"]}" and click again')
    rows = selected_rows(address)
    if len(rows) > 1:
        rows = selected_rows(_visible(sel, address))
    return [r for r in rows if r >= 2]


def _visible(sel, address: str) -> str:
    """In Windows Excel, only the cells a filter shows (``SpecialCells(xlCellTypeVisible)``).

    A clerk who filters the register and drags over rows must not act on the hidden ones.
    Other engines (the remote engine of the tests) have no COM object: the address as is.
    """
    try:
        return str(sel.api.SpecialCells(12).Address)
    except Exception:
        return address
