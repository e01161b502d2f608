"""An in-memory workbook port: sheets as ``{(row, column): value}``, for tests.

It implements :class:`xlflow.apply.Port` with the same meaning as the package and xlwings
ports, so the applier's rules are exercised without a file or Excel; :meth:`values` gives
the sheet back as rows of plain values, as a reader would see them (a formula as its
cached value).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..apply import Formula, Table


@dataclass
class MemoryPort:
    """Sheets in order; each a dictionary of cells, and optionally the Register's Table."""

    sheets: dict[str, dict[tuple[int, int], object]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    formats: dict[tuple[str, int, int], str] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: dict[str, list[list]], tables: dict[str, Table] | None = None) -> "MemoryPort":
        sheets = {}
        for name, values in rows.items():
            sheets[name] = {(r, c): v for r, row in enumerate(values, start=1) for c, v in enumerate(row) if v not in (None, "")}
        return cls(sheets, dict(tables or {}))

    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def table(self, sheet: str) -> Table | None:
        return self.tables.get(sheet)

    def write(self, sheet: str, cells: dict[int, dict[int, object]], formats: dict[int, str] | None = None) -> None:
        grid = self.sheets[sheet]
        for r, row in cells.items():
            for c, v in row.items():
                if v is None or v == "":
                    grid.pop((r, c), None)
                else:
                    grid[(r, c)] = v
                if formats and c in formats:
                    self.formats[(sheet, r, c)] = formats[c]

    def add_sheet_like(self, name: str, model: str, after: str) -> None:
        order = list(self.sheets.items())
        at = [n for n, _ in order].index(after) + 1
        header = {(r, c): v for (r, c), v in self.sheets[model].items() if r == 1}
        order.insert(at, (name, header))
        self.sheets = dict(order)

    def grow_table(self, sheet: str, table: Table, data_end: int) -> None:
        grid = self.sheets[sheet]
        shift = data_end - table.data_end
        if table.totals and shift:
            totals = {(r, c): v for (r, c), v in grid.items() if table.data_end < r <= table.last_row}
            for key in totals:
                del grid[key]
            for (r, c), v in totals.items():
                grid[(r + shift, c)] = v
        self.tables[sheet] = Table(table.name, table.first_col, table.header_row, table.last_col, data_end + table.totals, table.totals, table.calculated)

    def values(self, sheet: str) -> list[list]:
        """The sheet as rows from A1, formulas as their cached values (what a reader sees)."""
        grid = self.sheets[sheet]
        if not grid:
            return []
        height = max(r for r, _ in grid)
        width = max(c for _, c in grid) + 1
        out = [[None] * width for _ in range(height)]
        for (r, c), v in grid.items():
            out[r - 1][c] = v.cached if isinstance(v, Formula) else v
        return out

    def rows(self) -> dict[str, list[list]]:
        return {name: self.values(name) for name in self.sheets}
