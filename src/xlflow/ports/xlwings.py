"""The open workbook in Excel as a port of :func:`xlflow.apply.apply` (the ribbon's door).

Cells go over COM (or xlwings' remote engine in the tests) as few ``.value`` writes as can
carry them: adjacent rows make one block, and the columns a block does not change are
written back with the values the click read when they are xlflow's own columns, so that
the block stays one rectangle (an office's own column in between, which may hold a
formula, splits it). Excel must be handed values the way a person types them: a string is
written with a leading apostrophe so that ``1/2569`` stays text, a formula with its ``=``.

Excel itself keeps the Table's formats and fills its calculated columns as it grows, so
:meth:`XlwingsPort.table` reports no calculated columns and a Table's Total Row moves
down on its own when the Table is resized.
"""

from __future__ import annotations

import collections
import re
from dataclasses import dataclass, field
from datetime import datetime

from .. import schema
from ..apply import Formula, Table


@dataclass
class Sheet:
    """One sheet as a click read it: the xlwings sheet and its values from A1."""

    xl: object
    name: str
    values: list[list]

    def cell(self, r: int, c: int):
        """The value read at 1-based row ``r``, 0-based column ``c`` (``None`` outside)."""
        if 1 <= r <= len(self.values):
            row = self.values[r - 1]
            if 0 <= c < len(row):
                return row[c]
        return None


def to_excel(v):
    """A value as Excel must receive it so that it stays what it is."""
    if v is None or (isinstance(v, str) and v == ""):
        return None
    if isinstance(v, Formula):
        return "=" + v.text
    if isinstance(v, str):
        return "'" + v
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    return v


#: Cells moved between Python and Excel by this process: ``read`` and ``written`` (what the
#: benchmark reports as ``ribbon_cells``; the doors add their reads, :func:`write_blocks` its writes).
MOVED: collections.Counter = collections.Counter()

_ADDR = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


@dataclass
class XlwingsPort:
    """The workbook of a click (``xw.Book``) and the sheets the click read."""

    book: object
    sheets: dict[str, Sheet]
    writes: int = 0  # .value writes made (the benchmark counts them)
    _tables: dict = field(default_factory=dict)

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def table(self, sheet: str) -> Table | None:
        """The sheet's Excel Table as Excel sees it now (no table: None)."""
        if sheet in self._tables:
            return self._tables[sheet][1]
        found = None
        try:
            tables = self.sheets[sheet].xl.tables
            t = tables[schema.TABLE_NAME] if schema.TABLE_NAME in [x.name for x in tables] else (tables[0] if len(tables) else None)
            if t is not None:
                first, _, last = str(t.range.address).replace("$", "").partition(":")
                m1, m2 = _ADDR.match(first), _ADDR.match(last or first)
                totals = 1 if bool(getattr(t, "show_totals", False)) else 0
                c1, c2 = _col(m1.group(1)), _col(m2.group(1))
                found = (t, Table(t.name, c1, int(m1.group(2)), c2, int(m2.group(2)), totals, {}))
        except Exception:  # noqa: BLE001 — no tables on this engine, or none on the sheet
            found = None
        self._tables[sheet] = found
        return found[1] if found else None

    def grow_table(self, sheet: str, table: Table, data_end: int) -> None:
        t = self._tables.get(sheet, (None,))[0]
        if t is None:
            return
        sh = self.sheets[sheet].xl
        last = schema.col_letter(table.last_col)
        first = f"{schema.col_letter(table.first_col)}{table.header_row}"
        t.resize(sh.range(f"{first}:{last}{data_end + table.totals}"))

    def add_sheet_like(self, name: str, model: str, after: str) -> None:
        """A copy of the full sheet ``after`` (dressed as the Log is), emptied below its header."""
        full = self.sheets[after]
        new = full.xl.copy(after=full.xl, name=name)
        height = max(len(full.values), 2)
        width = max(len(full.values[0]) if full.values else 1, 1)
        new.range((2, 1), (height, width)).clear_contents()
        order = list(self.sheets.items())
        at = [n for n, _ in order].index(after) + 1
        order.insert(at, (name, Sheet(new, name, [list(full.values[0])])))
        self.sheets = dict(order)

    def write(self, sheet: str, cells: dict[int, dict[int, object]], formats: dict[int, str] | None = None) -> None:
        """``cells`` in one ``.value`` write per block of adjacent rows (see the module)."""
        read = self.sheets[sheet]
        header = read.values[0] if read.values else []
        known = {*schema.REGISTER_COLUMNS, *schema.LOG_COLUMNS}
        names = {" ".join(str(n).split()).casefold() for c in known for n in (c.th, c.en, c.field)}
        fillable = {i for i, h in enumerate(header) if h is not None and " ".join(str(h).split()).casefold() in names}
        self.writes += write_blocks(read.xl, cells, read, fillable)
        for r, row in cells.items():  # what a later write of this click reads back
            while len(read.values) < r:
                read.values.append([None] * len(header))
            for c, v in row.items():
                line = read.values[r - 1]
                while len(line) <= c:
                    line.append(None)
                line[c] = v.cached if isinstance(v, Formula) else v


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def write_blocks(sheet, cells: dict[int, dict[int, object]], read: Sheet, fillable: set[int]) -> int:
    """Write ``cells`` (row → 0-based column → value) with as few ``.value`` writes as possible.

    Adjacent rows make one block; within a block, columns the block does not change are
    rewritten with what was read when they are xlflow's own columns (``fillable``), so the
    block stays one rectangle; an office's own column in between splits it. Returns the
    number of writes.
    """
    if not cells:
        return 0
    rows = sorted(cells)
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    writes = 0
    for run in runs:
        r0, r1 = run[0], run[-1]
        cols = sorted({c for r in run for c in cells[r]})
        segments: list[list[int]] = [[cols[0], cols[0]]]
        for c in cols[1:]:
            if all(g in fillable for g in range(segments[-1][1] + 1, c)):
                segments[-1][1] = c
            else:
                segments.append([c, c])
        for c0, c1 in segments:
            block = []
            for r in range(r0, r1 + 1):
                mine = cells.get(r, {})
                block.append([to_excel(mine[c]) if c in mine else to_excel(read.cell(r, c)) for c in range(c0, c1 + 1)])
            sheet.range((r0, c0 + 1), (r1, c1 + 1)).value = block
            MOVED["written"] += len(block) * len(block[0])
            writes += 1
    return writes
