"""The ribbon's buttons: one function per button of the xlflow add-in (``xlflow.xlam``).

Each button runs a VBA Sub of ``addin/xlflow.bas`` that calls xlwings, e.g.
``RunPython "import xlflow.macros; xlflow.macros.advance()"``. The function here is the
thin door of DESIGN.md: it reads the sheets it needs once from the workbook the clerk is
looking at (``xw.Book.caller()``), hands their values to the same core as the command line
(:func:`xlflow.book.parse` and the planners of :mod:`xlflow.service`) and writes what the
core planned back once per sheet: the new Log rows as one block below the last Log row
(hash-chained), the Register rows that changed as one block per run of adjacent rows, with
the Status formula of :func:`xlflow.book.status_formula`. It holds no process rule.

What the clerk does (README.md, "Excel on Windows", says it for the office):

* **Register letter** -- type the letter (เรื่อง at least; ที่, ลงวันที่, จาก, ถึง,
  ชั้นความเร็ว ... as known; วันเวลาที่รับ only when it arrived earlier than now) into
  the empty row just below the table, keep a cell of that row selected, click. xlflow
  gives the row its registration number, the receipt stamp and the workflow columns.
* **Advance / Approve / Send back / Resume / Undo** -- select a cell in the row of each
  letter (several rows at once is fine), click.
* **Assign unit / Assign officer** -- type the unit into หน่วยงานที่รับผิดชอบ (or pick the
  officer from the list in เจ้าหน้าที่ผู้รับผิดชอบ) of the row, click. xlwings has no
  input box on every engine (its remote engine has none), so the typed cell is the input.
* **Pause** -- type what the work waits for into หมายเหตุ (remarks) of the row, click;
  that text is the logged reason (the core requires one).
* **Cancel registration / Close** -- type the reason into หมายเหตุ (remarks) of the row, click.
  Close is the director's: the People sheet must give the Windows user ผอ.วท. or ผอ.สปร.
* **Forward** -- type the bureau or department into ส่งต่อถึง of the row (a reason into
  หมายเหตุ if any), click.
* **Link scan** -- type the scanned letter's file path or web address into
  ไฟล์หนังสือที่สแกน, click: the Log records it (the digests show that cell as a link).
* **Advance at 5.2** -- type the answer's own number and date into เลขที่หนังสือตอบ and
  ลงวันที่หนังสือตอบ first: they are recorded as 5.2 finishes.
* **Refresh** -- re-time every item (after a holiday was added to the Calendar).
* **Fill forms** -- fill the two appendix form sheets.

A refused row changes nothing; all refused rows are listed in one message box, in the
command line's words, and the rows that could act still act. The person stamped in the Log
is the Windows user, as the People sheet names them (column ชื่อผู้ใช้ Windows); a login
the People sheet does not know is stamped as the login itself.

Every function takes ``at`` (default: now in Bangkok), so tests run at fixed times.
"""

from __future__ import annotations

import getpass
import importlib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

import xlwings as xw

from . import book as bk
from . import schema, service
from .errors import IllegalAction, MissingField, NotPermitted, WorkbookError, XlflowError
from .schema import SHEETS
from .worktime import BKK, local
from .addin.version import check_addin_xlwings
from .apply import apply
from .ports.xlwings import MOVED, Sheet, XlwingsPort, to_excel

TITLE = "xlflow"
#: The sheets every action reads (Info and the forms are read only by Fill forms).
ACTION_SHEETS = ("register", "process", "calendar", "people")  # and the Log sheets, see _read_logs
#: Sheets a register may lack (``book.parse`` reads none from them then).
OPTIONAL_SHEETS = ("people", "info")
EXCEL_ROWS = 1_048_576
#: Refused rows shown in full in one message box; beyond it, only their row numbers.
ALERT_FULL_ROWS = 20

_CELL = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d+)?$")


# -- what was read ---------------------------------------------------------------------------
@dataclass
class Session:
    """One click: the workbook, what was read from it, the parsed book, who and when."""

    xl: object
    sheets: dict[str, Sheet]
    book: bk.Book
    at: datetime
    by: str
    refused: list[str] = field(default_factory=list)
    logs: list[Sheet] = field(default_factory=list)  # the Log sheets read, oldest first (the last one is the newest)
    selection: list[int] | None = None  # the selected Register rows, once read
    writes: int = 0  # .value writes of this click

    @property
    def register(self) -> Sheet:
        return self.sheets["register"]

    def register_header(self) -> dict[str, int]:
        return schema.header_map(SHEETS["register"], self.register.values[0], schema.REGISTER_COLUMNS)


# -- the buttons -------------------------------------------------------------------------------
def register_letter(at: datetime | None = None) -> None:
    """Register the letter(s) typed into the selected row(s): number, receipt stamp, 1.1 done."""
    _click(_register, at, log="last")


def advance(at: datetime | None = None) -> None:
    """Finish the current sub-step of the selected row(s) and start the next. At 5.2 the
    answer's own number and date typed into เลขที่หนังสือตอบ and ลงวันที่หนังสือตอบ are recorded."""
    _click(_item_action("advance", cells={"reply_no": "reply_no", "reply_date": "reply_date"}), at, log="selection")


def assign_unit(at: datetime | None = None) -> None:
    """Assign the unit typed into each selected row's หน่วยงานที่รับผิดชอบ cell (at 1.2)."""
    _click(_item_action("assign", from_cell="unit", button="Assign unit"), at, log="selection")


def assign_officer(at: datetime | None = None) -> None:
    """Assign the officer chosen in each selected row's เจ้าหน้าที่ผู้รับผิดชอบ cell (at 1.5)."""
    _click(_item_action("assign", from_cell="officer", button="Assign officer"), at, log="selection")


def approve(at: datetime | None = None) -> None:
    """Approve the selected row(s) at the executives' decision (5.1)."""
    _click(_item_action("approve"), at, log="selection")


def send_back(at: datetime | None = None) -> None:
    """Send the selected row(s) back from the decision (5.1) to 3.1; the round rises."""
    _click(_item_action("reject"), at, log="selection")


def pause(at: datetime | None = None) -> None:
    """Stop the clock of the selected row(s); the reason is the row's หมายเหตุ (remarks)."""
    _click(_item_action("pause", note_from="remarks", button="Pause"), at, log="selection")


def resume(at: datetime | None = None) -> None:
    """Start the clock of the selected paused row(s) again."""
    _click(_item_action("resume"), at, log="selection")


def cancel(at: datetime | None = None) -> None:
    """Cancel the registration of the selected row(s), made by mistake, at step 1; the reason
    is the row's หมายเหตุ. The number is never reused; the row shows ยกเลิก."""
    _click(_item_action("cancel", note_from="remarks", hints=False), at, log="selection")


def close(at: datetime | None = None) -> None:
    """Close the selected row(s) early (เพื่อทราบ, ไม่ต้องดำเนินการ, merged): the director's
    decision, clicked by the director; the reason is the row's หมายเหตุ."""
    _click(_item_action("close", note_from="remarks", hints=False), at, log="selection")


def forward(at: datetime | None = None) -> None:
    """Send the selected row(s) on to the bureau or department typed into ส่งต่อถึง; a reason
    may be typed into หมายเหตุ."""
    _click(_item_action("forward", note_from="remarks", cells={"to": "forwarded_to"}, hints=False), at, log="selection")


def link_scan(at: datetime | None = None) -> None:
    """Record in the Log the scanned letter typed into ไฟล์หนังสือที่สแกน of the selected row(s)."""
    _click(_item_action("link", cells={"scan": "scan"}, hints=False), at, log="selection")


def undo(at: datetime | None = None) -> None:
    """Undo the last action of the selected row(s) (logged as a correction of its own)."""
    _click(_item_action("correct"), at, log="selection")


def refresh(at: datetime | None = None) -> None:
    """Re-time every item from the Log and the Calendar; list the rows that cannot be read."""

    def run(s: Session) -> None:
        change = service.Change()
        service.plan_refresh(s.book, change, s.at)
        s.refused.extend(f"{th} / {en}" for th, en in change.warnings)  # the Calendar runs out: said in the same box
        _write(s, change)
        s.refused.extend(str(p) for p in s.book.problems)

    _click(run, at, log="all")


def fill_forms(at: datetime | None = None) -> None:
    """Fill the two appendix form sheets from the Process sheet and the info sheet.

    The forms are made by :func:`xlflow.forms.fill_form_sheets` (the same as ``xlflow
    forms``) in a workbook in memory; their values, column widths, row heights, merged
    cells, wrapping, font and bold rows are then written into the open register. Borders,
    fills and the page setup of the print-ready forms come from ``xlflow forms`` (run with
    the register closed). ``at`` is unused: the forms do not depend on the time.
    """
    xl = _caller()
    try:
        check_addin_xlwings()
        from openpyxl import Workbook

        from .process import Process

        fill_form_sheets = _form_filler()

        process = _read_sheet(xl, "process")
        info_sheet = _read_sheet(xl, "info")
        proc = Process.from_rows(schema.read_process_rows(process.values), sheet=SHEETS["process"])
        info = {}
        for r in (info_sheet.values[1:] if info_sheet else []):
            if r and r[0] not in (None, ""):
                info[str(r[0]).strip()] = "" if len(r) < 3 or r[2] is None else str(r[2])
        wb = Workbook()
        fill_form_sheets(wb, proc, info)
        for code in ("form_design", "form_steps"):
            _put_form(xl, wb[SHEETS[code]])
    except XlflowError as e:
        _alert(xl, [worded(e)])


def _form_filler():
    """:func:`xlflow.forms.fill_form_sheets`, or a clear refusal where it is not installed."""
    try:
        forms = importlib.import_module("xlflow.forms")
    except ImportError:
        forms = None
    fill = getattr(forms, "fill_form_sheets", None)
    if fill is None:
        raise XlflowError(
            "Fill forms needs xlflow.forms (fill_form_sheets), which this installation does not have — "
            "update xlflow (pip install --upgrade) and click again; the register was not changed"
        )
    return fill


def _put_form(xl, ws) -> None:
    """One form sheet of an openpyxl workbook into the open workbook (made if missing)."""
    try:
        sh = xl.sheets[ws.title]
    except Exception:
        sh = xl.sheets.add(ws.title, after=xl.sheets[len(xl.sheets) - 1])
    sh.clear()  # the old form: contents, formats and merged cells
    nrows, ncols = ws.max_row, ws.max_column
    grid = [[to_excel(c.value) for c in row] for row in ws.iter_rows(min_row=1, max_row=nrows, max_col=ncols)]
    whole = sh.range((1, 1), (nrows, ncols))
    whole.value = grid
    whole.wrap_text = True
    whole.font.name = bk.FONT
    whole.font.size = 14
    for r, row in enumerate(ws.iter_rows(min_row=1, max_row=nrows, max_col=ncols), start=1):
        first = next((c for c in row if c.value not in (None, "")), None)
        if first is not None and first.font is not None and first.font.b:
            sh.range((r, 1), (r, ncols)).font.bold = True
    for letter, dim in sorted(ws.column_dimensions.items()):
        if dim.width:
            sh.range(f"{letter}1").column_width = dim.width
    for r, dim in sorted(ws.row_dimensions.items()):
        if dim.height:
            sh.range(f"A{r}").row_height = dim.height
    for merged in ws.merged_cells.ranges:
        sh.range(merged.coord).merge()


# -- one click ---------------------------------------------------------------------------------
def _click(run: Callable[[Session], None], at: datetime | None, sheets: tuple[str, ...] = ACTION_SHEETS, log: str = "all") -> None:
    """Read, run, write; every refusal (or a workbook that cannot be read) in one message box."""
    xl = _caller()
    try:
        check_addin_xlwings()  # an add-in built with another xlwings than this Python's: said in words
        s = _session(xl, at, sheets, log)
        run(s)
        messages = s.refused
    except XlflowError as e:
        messages = [worded(e)]
    if messages:
        _alert(xl, messages)


def _caller():
    try:
        return xw.Book.caller()
    except Exception:
        raise XlflowError(
            "xlflow.macros runs from the xlflow ribbon in Excel (xlwings RunPython); "
            "outside Excel use the command line, e.g. xlflow advance REGISTER.xlsx 12/2569"
        ) from None


def _session(xl, at: datetime | None, codes: tuple[str, ...], log: str = "all") -> Session:
    """Read what a click needs, parse it once.

    ``log`` says which Log sheets: ``all`` (Refresh re-times every item), ``last`` (a new
    letter needs only the last row's number and hash) or ``selection`` (the newest sheets
    back to the one holding the registration of every selected letter): a click reads the
    Log sheets its letters live on, not a Log that grows with the years.
    """
    if log in ("selection", "last") and codes == ACTION_SHEETS:
        narrow = _narrow_session(xl, at, log)
        if narrow is not None:
            return narrow
    sheets = {code: _read_sheet(xl, code) for code in codes}
    selection = None
    wanted: set[str] | None = None  # None: every Log sheet
    if log == "last":
        wanted = set()
    elif log == "selection":
        selection = _selected_rows(xl)
        wanted = _items_at(sheets["register"], selection)
    logs = _read_logs(xl, sheets.get("process"), wanted)
    rows = {s.name: s.values for s in [*sheets.values(), *logs] if s is not None}
    b = bk.parse(rows)
    people = b.people
    return Session(xl, {k: v for k, v in sheets.items() if v is not None}, b, local(at) if at else local(datetime.now(BKK)),
                   person(people, windows_login()), logs=logs, selection=selection)


#: A click on more rows than this reads the sheets whole (one transfer beats hundreds).
NARROW_ROWS = 200
#: Log rows read at a time when looking back for the newest registration of the year.
TAIL = 64


def _narrow_session(xl, at: datetime | None, log: str) -> Session | None:
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
    selection = _selected_rows(xl)
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
        if not _read_back_to_registration(names, sheet_rows, read, local(at) if at else local(datetime.now(BKK))):
            return None
    rows = {SHEETS["register"]: reg_values, **{v.name: v.values for v in small.values() if v is not None},
            **{n: logs[n] for n in names if n in logs}}
    b = bk.parse(rows, partial=True)
    for item, r in items.items():
        if not service.index_agrees(b, item, reg_values[r - 1], hm):
            return None
    sheets = {"register": Sheet(reg_sh, SHEETS["register"], reg_values), **{k: v for k, v in small.items() if v is not None}}
    log_sheets = [Sheet(log_xl[n][0], n, logs[n]) for n in names if n in logs]
    return Session(xl, sheets, b, local(at) if at else local(datetime.now(BKK)), person(b.people, windows_login()),
                   logs=log_sheets, selection=selection)


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


# -- who ---------------------------------------------------------------------------------------
def windows_login() -> str:
    """The Windows user running Excel (``%USERNAME%``), else the login Python sees."""
    login = os.environ.get("USERNAME", "").strip()
    if login:
        return login
    try:
        return getpass.getuser()
    except Exception:  # no login name at all (a service account): say so in the log
        return "unknown"


def person(people, login: str) -> str:
    """The People sheet's name for ``login`` (case and ``DOMAIN\\`` ignored), else the login."""
    key = login.rsplit("\\", 1)[-1].strip().casefold()
    for p in people:
        if p.login and p.login.rsplit("\\", 1)[-1].strip().casefold() == key:
            return p.name
    return login


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


def _selection(s: Session) -> list[int]:
    """The selected Register rows below the header (hidden, filtered-out rows left out in Excel)."""
    if s.selection is None:
        s.selection = _selected_rows(s.xl)
    return s.selection


def _selected_rows(xl) -> list[int]:
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


def _problems_by_row(s: Session) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for p in s.book.problems:
        if getattr(p, "sheet", None) == SHEETS["register"]:
            m = re.search(r"(\d+)$", str(getattr(p, "cell", "")))
            if m:
                out.setdefault(int(m.group(1)), []).append(str(p))
    return out


# -- register a letter -------------------------------------------------------------------------
def _register(s: Session) -> None:
    rows = _selection(s)
    hm = s.register_header()
    reg = s.register
    kinds = {c.field: c.kind for c in schema.REGISTER_COLUMNS}
    item_of_row = {r: it for it, r in s.book.register_rows.items()}
    change = service.Change()
    typed = [r for r in rows if not _blank_typed(reg, r, hm)]
    if not typed:
        raise IllegalAction(
            "the selected row is empty — type the letter (เรื่อง at least) into the empty row below the table, "
            "keep a cell of that row selected and click Register letter again"
        )
    for r in typed:
        item = item_of_row.get(r) or _text(reg.cell(r, hm["item"]))
        if item:
            s.refused.append(f"row {r}: already registered as {item} — type a new letter into the empty row below the table")
            continue
        try:
            letter = {}
            for f in service.LETTER_FIELDS:
                if f in hm:
                    v = schema.read_value(reg.name, hm[f], r, reg.cell(r, hm[f]), kinds[f])
                    if v not in (None, ""):
                        letter[f] = v
            received = schema.read_value(reg.name, hm["received_at"], r, reg.cell(r, hm["received_at"]), "datetime")
            service.plan_register(s.book, change, at=s.at, by=s.by, received_at=received, row=r, **letter)
        except (XlflowError, ValueError) as e:  # ValueError: Letter's own check (urgency, secrecy)
            s.refused.append(f"row {r}: {worded(e)}")
    _write(s, change, table=True)


def _blank_typed(reg: Sheet, r: int, hm: dict[str, int]) -> bool:
    """A row with nothing typed in the clerk's columns (the workflow columns may hold a formula)."""
    typed = [hm[c.field] for c in schema.REGISTER_COLUMNS if not c.derived and c.field in hm]
    return all(_text(reg.cell(r, c)) == "" for c in typed)


# -- act on selected items ---------------------------------------------------------------------
_HINTS = {
    "unit": 'type the unit into the column "หน่วยงานที่รับผิดชอบ" of this row, then click {button} again',
    "officer": 'choose the officer in the column "เจ้าหน้าที่ผู้รับผิดชอบ" of this row, then click {button} again',
    "remarks": 'type what the work waits for into the column "หมายเหตุ" of this row, then click {button} again',
}


def _item_action(action: str, from_cell: str | None = None, note_from: str | None = None, button: str = "",
                 cells: dict[str, str] | None = None, hints: bool = True):
    """A button that runs one core action on every selected item row. ``cells``: the action's
    arguments typed into the row (argument → Register field), given when not empty. ``hints``:
    a refusal with the source cell empty says where to type it (:data:`_HINTS`); the actions
    of issue 18 raise :class:`MissingField`, which says so itself."""
    kinds = {c.field: c.kind for c in schema.REGISTER_COLUMNS}

    def run(s: Session) -> None:
        rows = _selection(s)
        hm = s.register_header()
        reg = s.register
        item_of_row = {r: it for it, r in s.book.register_rows.items()}
        problems = _problems_by_row(s)
        change = service.Change()
        acted_on = [r for r in rows if r in item_of_row or r in problems or not _blank_row(reg.values[r - 1] if r <= len(reg.values) else [])]
        if not acted_on:
            raise IllegalAction(f'the selected row is empty — select a cell in the row of the letter in the sheet "{SHEETS["register"]}" and click again')
        for r in acted_on:
            item = item_of_row.get(r)
            if item is None:
                why = problems.get(r) or [f"row {r} has no registration number — register the letter first (type it into the empty row below the table and click Register letter)"]
                s.refused.extend(f"row {r}: {w}" for w in why)
                continue
            kw: dict = {}
            given = ""
            if from_cell:
                given = _text(reg.cell(r, hm[from_cell])) if from_cell in hm else ""
                kw[from_cell] = given
            if note_from:
                given = s.book.letters[item].remarks
                kw["note"] = given
            try:
                for arg, f in (cells or {}).items():
                    v = schema.read_value(reg.name, hm[f], r, reg.cell(r, hm[f]), kinds[f]) if f in hm else None
                    if v not in (None, ""):
                        kw[arg] = v
                service.plan_action(s.book, change, item, action, at=s.at, by=s.by, **kw)
            except XlflowError as e:
                msg = f"row {r}: {worded(e)}"
                hint = _HINTS.get(from_cell or note_from or "") if hints else None
                if hint and not given:
                    msg += f" — {hint.format(button=button)}"
                s.refused.append(msg)
        _write(s, change)

    return run


# -- writing ------------------------------------------------------------------------------------
def _write(s: Session, change: service.Change, table: bool = False) -> None:
    """Write a :class:`~xlflow.service.Change` through the one applier (:func:`xlflow.apply.apply`),
    as the command line does: the Log first (append-only, the truth), then the Register
    (derived from it; a Refresh rewrites it if Excel stopped between the two writes).
    ``table``: the click may add rows below the Register's Table, which then grows."""
    if not change.log and not change.rows:
        return
    if change.log:
        service.refuse_unsafe_log(s.book)
    port = XlwingsPort(s.xl, {sh.name: sh for sh in [s.register, *s.logs]})
    where = service.where_of(s.book)
    if table:
        where.table = port.table(SHEETS["register"])
    apply(port, where, change.log, change.rows)
    s.writes += port.writes


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _blank_row(row: list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


# -- telling the clerk ------------------------------------------------------------------------
#: The library's remedies that name a command-line command, as a clerk in Excel does them.
RIBBON_WORDS = (
    ("(xlflow init makes a fresh sheet to copy them from)", "(a new, empty register has them, to copy from)"),
    ("(xlflow init makes a fresh register)", "(a new, empty register has it)"),
    ("or copy it from a fresh register made by xlflow init", "or copy it from a new, empty register"),
    ("xlflow init writes the manual's 15 sub-steps there", "a new, empty register has the manual's 15 sub-steps there"),
    ("xlflow init fills it", "a new, empty register has it filled"),
    ("or run xlflow refresh if only the Register was edited", "or click Refresh status if only the Register was edited"),
    ("— run xlflow verify", "— ask whoever looks after the register to check the Log"),
    ("make a register with: xlflow init", "ask whoever looks after the register for it"),
)


def worded(e: Exception) -> str:
    """A library error in the ribbon's words: a missing field is typed into the row, and no
    remedy names a command-line option or command."""
    if isinstance(e, MissingField):
        text = e.worded(f"type {e.label} into the row, then click again")
    elif isinstance(e, NotPermitted):
        text = e.worded("ask one of them to select the row and click the button in their own Excel (the People sheet "
                        "names each by their Windows user name)")
    else:
        text = str(e)
    return ribbon_words(text)


def ribbon_words(text: str) -> str:
    for cli, ribbon in RIBBON_WORDS:
        text = text.replace(cli, ribbon)
    return text


def alert_text(messages: list[str]) -> str:
    """Every message, one per line; past :data:`ALERT_FULL_ROWS` only the rows are named."""
    messages = [ribbon_words(m) for m in messages]
    shown = messages[:ALERT_FULL_ROWS]
    rest = messages[ALERT_FULL_ROWS:]
    text = "\n".join(shown)
    if rest:
        rows = [m.split(":", 1)[0] for m in rest]
        text += f"\n… and {len(rest)} more: " + ", ".join(rows)
    return text


def _alert(xl, messages: list[str]) -> None:
    """A message box in Excel (xlwings ``App.alert``: MsgBox on Windows, an action remotely)."""
    xl.app.alert(alert_text(messages), title=TITLE, mode="critical")
