"""Registers as xlwings sees them from Excel: the JSON payload of xlwings' remote engine.

Windows Excel cannot run here (and xlwings on Linux cannot open a workbook), so the tests of
``xlflow.macros`` hand the macros a real ``xw.Book(json=payload)`` instead of the book that
``RunPython`` would give them. The payload is what xlwings' own clients send (read from
``xlwings/js/xlwings.ts``, ``runPython``)::

    {"client": ..., "version": xlwings.__version__,
     "book": {"name": ..., "active_sheet_index": 0, "selection": "A5:X5"},
     "names": [],
     "sheets": [{"name": ..., "values": [[...], ...], "pictures": [], "tables": [...]}, ...]}

``values`` are the used range from A1, rectangular; an empty cell is ``""``; a date or time
is an ISO string ending in ``Z`` (the client turns Excel's serial number into one); the
remote engine turns them back into ``None`` and naive ``datetime``. What the macros write
comes back from ``book.json()["actions"]``: ``setValues`` with ``sheet_position``,
``start_row``/``start_column`` (0-based) and ``values``; ``alert`` with its text in ``args``.

Building registers: :func:`template_rows` (``template.build``'s values), :class:`Register`
(the service planners applied to those values through the one applier and the memory port,
as every door writes) and :meth:`Register.add_filler` (many registered letters at once, for
the call counts).

The remote engine needs an xlwings PRO key; ``XLWINGS_LICENSE_KEY=noncommercial`` is the
free noncommercial one. It is a test and benchmark fixture only: the product calls Excel
through VBA ``RunPython`` and never needs a key. :func:`use_remote_engine` registers the
engine when xlwings was imported before the key was set.
"""

from __future__ import annotations

import copy
import os
from datetime import date, datetime, time
from pathlib import Path

import xlwings as xw

from xlflow import book as bk
from xlflow import schema, service, template
from xlflow.model import LogEntry
from xlflow.schema import SHEETS
from xlflow.workflow import register, replay, timing

TODAY = date(2026, 11, 25)
BOOK_NAME = "Coordination_Register.xlsx"
PEOPLE = (
    # name, role, unit, email, Windows login
    ("นายสมชาย ใจดี", "เจ้าหน้าที่งานสารบรรณ สปร.", "สปร.", "somchai@mol.go.th", "somchai"),
    ("นางสาวสุภาพร แก้วมณี", "เจ้าหน้าที่ วท. ที่รับผิดชอบ", "วท.", "supaporn@mol.go.th", "supaporn.k"),
)


# -- the remote engine (a fixture, never the product's path) -----------------------------------
def use_remote_engine(monkeypatch=None) -> None:
    """Set ``XLWINGS_LICENSE_KEY=noncommercial`` and make sure xlwings has its remote engine.

    With pytest's ``monkeypatch`` both are undone after the test; a script (the benchmark)
    sets them for its own process. xlwings registers the engine at import time only when
    the key is there, so it is added here when xlwings was imported before the key was set.
    """
    if monkeypatch is not None:
        monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    else:
        os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"
    if "remote" not in xw.engines.engines_by_name:
        from xlwings.pro import _xlremote  # validates the key it now finds in the environment

        engine = xw.main.Engine(impl=_xlremote.engine)
        if monkeypatch is not None:
            monkeypatch.setitem(xw.engines.engines_by_name, "remote", engine)
        else:
            xw.engines.engines_by_name["remote"] = engine


def remote_book(payload: dict) -> xw.Book:
    """A real xlwings Book (remote engine) over ``payload``."""
    return xw.Book(json=copy.deepcopy(payload))


# -- values → payload ------------------------------------------------------------------------
def js_value(v):
    """A cell value as xlwings' JavaScript client sends it."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day).isoformat(timespec="milliseconds") + "Z"
    if isinstance(v, time):
        return datetime(1899, 12, 30, v.hour, v.minute, v.second).isoformat(timespec="milliseconds") + "Z"
    if isinstance(v, str) and v.startswith("="):
        return ""  # a formula: the client sends its result; these (Status) are empty until Excel computes
    return v


def payload(rows: dict[str, list[list]], *, selection: str | None = "A2", active: str = SHEETS["register"],
            table_last_row: int | None = None, name: str = BOOK_NAME) -> dict:
    """The payload for a workbook whose sheets hold ``rows`` (in order), as Excel would send it.

    The Register sheet carries its Excel Table ``Register`` over A1 to ``table_last_row``
    (default: its last row that is not empty).
    """
    sheets = []
    for sheet_name, values in rows.items():
        width = max((len(r) for r in values), default=0) or 1
        grid = [[js_value(v) for v in r] + [""] * (width - len(r)) for r in values] or [[""]]
        tables = []
        if sheet_name == SHEETS["register"]:
            last = table_last_row or max(2, _last_filled(values))
            end = schema.col_letter(width - 1)
            tables.append({
                "name": schema.TABLE_NAME,
                "range_address": f"$A$1:${end}${last}",
                "header_row_range_address": f"$A$1:${end}$1",
                "data_body_range_address": f"$A$2:${end}${last}",
                "total_row_range_address": None,
                "show_headers": True,
                "show_totals": False,
                "table_style": "TableStyleMedium2",
                "show_autofilter": True,
            })
        sheets.append({"name": sheet_name, "values": grid, "pictures": [], "tables": tables})
    index = list(rows).index(active)
    return {
        "client": "Microsoft Office Scripts",
        "version": xw.__version__,
        "book": {"name": name, "active_sheet_index": index, "selection": selection},
        "names": [],
        "sheets": sheets,
    }


def _last_filled(values: list[list]) -> int:
    last = 1
    for i, r in enumerate(values, start=1):
        if any(v not in (None, "") and not (isinstance(v, str) and v.startswith("=")) for v in r):
            last = i
    return last


def rows_from_xlsx(path: Path) -> dict[str, list[list]]:
    """Every sheet's values of a register file (python-calamine, as ``book.load`` reads it)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def template_rows(today: date = TODAY, people=PEOPLE) -> dict[str, list[list]]:
    """The values of a new register (``template.build``), with ``people`` in the People sheet."""
    rows = bk.sheet_rows_openpyxl(template.build(today))
    pe = rows[SHEETS["people"]]
    for i, p in enumerate(people, start=1):
        if i >= len(pe):
            pe.append([None] * len(schema.PEOPLE_COLUMNS))
        pe[i][: len(p)] = list(p)
    return rows


# -- a register built with the core ----------------------------------------------------------
class Register:
    """Register values changed by the service planners, as ``write_change`` changes a file."""

    def __init__(self, rows: dict[str, list[list]] | None = None):
        self.rows = rows if rows is not None else template_rows()

    @property
    def register(self) -> list[list]:
        return self.rows[SHEETS["register"]]

    @property
    def log(self) -> list[list]:
        return self.rows[SHEETS["log"]]

    def book(self) -> bk.Book:
        return bk.parse(self.rows)

    def header(self) -> dict[str, int]:
        return schema.header_map(SHEETS["register"], self.register[0], schema.REGISTER_COLUMNS)

    def plan(self, planner) -> service.Change:
        """``planner(book, change)`` on the values as they are now, then the change applied."""
        change = service.Change()
        planner(self.book(), change)
        self.apply(change)
        return change

    def register_letter(self, at: datetime, by: str = "somchai", **letter) -> str:
        out = {}
        self.plan(lambda b, c: out.setdefault("item", service.plan_register(b, c, at=at, by=by, **letter)))
        return out["item"]

    def act(self, item: str, action: str, at: datetime, by: str = "somchai", **kw) -> None:
        self.plan(lambda b, c: service.plan_action(b, c, item, action, at=at, by=by, **kw))

    def row_of(self, item: str) -> int:
        hm = self.header()
        return next(i for i, r in enumerate(self.register, start=1) if i > 1 and r[hm["item"]] == item)

    def set(self, row: int, field: str, value) -> None:
        """Type ``value`` into the Register cell of ``field`` in ``row`` (as a clerk would)."""
        hm = self.header()
        while len(self.register) < row:
            self.register.append([None] * len(self.register[0]))
        self.register[row - 1][hm[field]] = value

    def apply(self, change: service.Change) -> None:
        """The cells of ``change`` into the values, through the one applier and the memory port
        (the same rules as the file and Excel: the chain, the Status formula, the Table)."""
        from xlflow.apply import apply
        from xlflow.ports.memory import MemoryPort

        from unittest import mock

        b = self.book()
        port = MemoryPort.from_rows(self.rows)
        # This fixture keeps the Log as one list and splits it into sheets of the size a test
        # asks for only when it makes a payload (sheets()), so the applier's own rollover is
        # not wanted here; every other rule is the applier's.
        with mock.patch.object(schema, "LOG_SHEET_ROWS", 10**9):
            apply(port, service.where_of(b), change.log, change.rows)
        values = port.rows()
        for name, rows in values.items():
            width = max((len(r) for r in self.rows.get(name, rows[:1]) or [[]]), default=0)
            self.rows[name] = [r + [None] * (width - len(r)) for r in rows] if width else rows

    def add_filler(self, n: int, at: datetime, by: str = "somchai") -> None:
        """``n`` more letters, registered at ``at`` (numbers from 1 of ``at``'s year), in one go.

        What ``register`` of each would write, without ``n`` parses: one state and timing
        serve every letter (they differ only in their number), the Log rows chained.
        """
        b = self.book()
        hm = self.header()
        lhm = schema.header_map(SHEETS["log"], self.log[0], schema.LOG_COLUMNS)
        width, lwidth = len(self.register[0]), len(self.log[0])
        entry = register("0/0", at=at, by=by, process=b.process)
        state = replay([entry], b.process)
        derived = bk.derived_values(state, timing(state, b.process, b.calendar, at), b.process)
        seq = max((e.seq for e in b.log), default=0)
        last = len(self.log)
        while last > 1 and all(v in (None, "") for v in self.log[last - 1]):
            last -= 1
        del self.log[last:]
        prev = self.log[last - 1][lhm["hash"]] if last > 1 else ""
        year = at.year + 543
        start = 1 + max((int(str(it).split("/")[0]) for it in b.letters if str(it).endswith(f"/{year}")), default=0)
        while len(self.register) > 1 and all(v in (None, "") or (isinstance(v, str) and v.startswith("=")) for v in self.register[-1]):
            self.register.pop()
        for k in range(n):
            item = f"{start + k}/{year}"
            row = [None] * width
            for f, v in {"item": item, "received_at": at, "subject": f"หนังสือที่ {start + k}", **derived}.items():
                if f in hm:
                    row[hm[f]] = v
            self.register.append(row)
            seq += 1
            e = LogEntry(seq, item, entry.substep, "register", entry.at, by, "", dict(entry.data)).chained(prev or "")
            prev = e.hash
            lrow = [None] * lwidth
            for f, v in {"seq": e.seq, "item": e.item, "substep": e.substep, "action": e.action, "at": e.at,
                         "by": e.by, "note": e.note, "data": e.data_json(), "hash": e.hash}.items():
                lrow[lhm[f]] = v
            self.log.append(lrow)

    def sheets(self) -> dict[str, list[list]]:
        """The sheets as xlflow writes them: the Log goes on in continuation sheets of
        ``schema.LOG_SHEET_ROWS`` rows, each right after the one before."""
        out: dict[str, list[list]] = {}
        size = schema.LOG_SHEET_ROWS
        split = len(self.log) - 1 > size
        for name, values in self.rows.items():
            if name == SHEETS["register"] and split:  # the แถวในบันทึก index names the split sheets' rows
                out[name] = self._index_for_sheets(values, size)
                continue
            if name != SHEETS["log"] or not split:
                out[name] = values
                continue
            for k, start in enumerate(range(1, len(values), size), start=1):
                out[schema.log_sheet_name(k)] = [values[0], *values[start : start + size]]
        return out

    def _index_for_sheets(self, values: list[list], size: int) -> list[list]:
        hm = self.header()
        if "log_rows" not in hm:
            return values
        out = [list(r) for r in values]
        for row in out[1:]:
            positions = schema.parse_log_rows(row[hm["log_rows"]] if len(row) > hm["log_rows"] else None)
            if positions:  # row r of the one list is row (r - 2) % size + 2 of sheet (r - 2) // size + 1
                row[hm["log_rows"]] = schema.log_rows_text([((r - 2) // size + 1, (r - 2) % size + 2) for _, r in positions])
        return out

    def payload(self, **kw) -> dict:
        return payload(self.sheets(), **kw)


# -- one register with a row ready for every button -------------------------------------------
#: When the prepared letters were worked, the filler letters registered, and the clerk clicks.
WORKED = datetime(2026, 11, 24, 8, 30)
FILLER_AT = datetime(2026, 11, 24, 14, 0)
CLICK = datetime(2026, 11, 25, 10, 0)
UNIT = "วท."
OFFICER = PEOPLE[1][0]
WAITS_FOR = "รอหนังสือตอบจากสถานเอกอัครราชทูตญี่ปุ่น"


def walk(reg: Register, item: str, to: str, clock: list[datetime], by: str = "somchai") -> None:
    """Advance ``item`` to sub-step ``to``, assigning the unit/officer where the process asks.

    ``clock`` is a one-element list whose time moves on a minute per action.
    """
    from datetime import timedelta

    def tick() -> datetime:
        clock[0] += timedelta(minutes=1)
        return clock[0]

    while True:
        b = reg.book()
        state = replay([e for e in b.log if e.item == item], b.process)
        if state.substep == to:
            return
        sub = b.process[state.substep]
        if sub.requires == "unit" and not state.unit:
            reg.act(item, "assign", tick(), by, unit=UNIT)
        if sub.requires == "officer" and not state.officer:
            reg.act(item, "assign", tick(), by, officer=OFFICER)
        reg.act(item, "approve" if sub.is_decision else "advance", tick(), by)


def ribbon_register(n_rows: int) -> tuple[Register, dict[str, int]]:
    """A register of ``n_rows`` letters with one row ready for each button, and those rows.

    ``advance``/``undo``: at 1.2 with its unit assigned; ``assign_unit``: at 1.2, ``วท.``
    typed into its unit cell; ``assign_officer``: at 1.5, an officer chosen in its cell;
    ``approve``/``send_back``: at the decision 5.1; ``pause``: at 2.2 with what it waits for
    typed into หมายเหตุ; ``resume``: paused at 2.2; ``register_letter``: a new letter typed
    into the row below the last. The rest (``n_rows`` − 6) are letters just registered.
    """
    reg = Register()
    clock = [WORKED]
    names = ("advance", "assign_unit", "assign_officer", "decide", "pause", "resume")
    items = {k: reg.register_letter(WORKED, subject=f"หนังสือสำหรับปุ่ม {k}", sender="สถานเอกอัครราชทูตญี่ปุ่น") for k in names}
    walk(reg, items["advance"], "1.2", clock)
    reg.act(items["advance"], "assign", WORKED.replace(hour=9), unit=UNIT)
    walk(reg, items["assign_officer"], "1.5", clock)
    walk(reg, items["decide"], "5.1", clock)
    walk(reg, items["pause"], "2.2", clock)
    walk(reg, items["resume"], "2.2", clock)
    reg.act(items["resume"], "pause", clock[0], note=WAITS_FOR)
    reg.add_filler(max(0, n_rows - len(names)), FILLER_AT)
    rows = {k: reg.row_of(it) for k, it in items.items()}
    reg.set(rows["assign_unit"], "unit", UNIT)
    reg.set(rows["assign_officer"], "officer", OFFICER)
    reg.set(rows["pause"], "remarks", WAITS_FOR)
    new = len(reg.register) + 1
    for f, v in {"letter_no": "กต 0803/5120", "letter_date": date(2026, 11, 20), "sender": "กระทรวงการต่างประเทศ",
                 "addressee": "ปลัดกระทรวงแรงงาน", "subject": "ขอเชิญประชุมคณะทำงานอาเซียนด้านแรงงาน", "urgency": "ด่วน"}.items():
        reg.set(new, f, v)
    rows = {
        "register_letter": new, "advance": rows["advance"], "assign_unit": rows["assign_unit"],
        "assign_officer": rows["assign_officer"], "approve": rows["decide"], "send_back": rows["decide"],
        "pause": rows["pause"], "resume": rows["resume"], "undo": rows["advance"],
        "refresh": rows["advance"], "fill_forms": rows["advance"],
    }
    return reg, rows


def excel_opener(monkeypatch):
    """``open(payload)`` opens a register "in Excel" and makes it the macros' caller.

    The Windows user is ``somchai`` (the People sheet of these registers names him). The
    remote engine needs ``XLWINGS_LICENSE_KEY=noncommercial``: a test fixture only.
    """
    import xlwings as xw

    use_remote_engine(monkeypatch)
    monkeypatch.setenv("USERNAME", "somchai")

    def open_book(p: dict):
        book = remote_book(p)
        monkeypatch.setattr(xw.Book, "caller", staticmethod(lambda: book))
        return book

    return open_book
