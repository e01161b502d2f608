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
* **Advance / Approve / Resume / Undo** -- select a cell in the row of each letter
  (several rows at once is fine), click.
* **Send back** -- type what must be done again into หมายเหตุ (remarks) of the row, click;
  that text is the logged reason (the core requires one; the evaluation lists it).
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
from .errors import IllegalAction, MissingField, NotPermitted, XlflowError
from .model import person
from .schema import SHEETS
from .workflow import RULES
from .worktime import BKK, local
from .addin.version import check_addin_xlwings
from .apply import apply
from .ports.xlwings import Sheet, XlwingsPort, to_excel
from .ports.xlwings_read import (  # noqa: F401  (re-exported: tests and the benchmark read through them)
    ACTION_SHEETS, EXCEL_ROWS, OPTIONAL_SHEETS, _blank_row, _read_named, _read_sheet, _text, read_click, selected_rows,
    selected_rows_of,
)

TITLE = "xlflow"
#: Refused rows shown in full in one message box; beyond it, only their row numbers.
ALERT_FULL_ROWS = 20



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
    """Send the selected row(s) back from the decision (5.1) to 3.1; the round rises. Why is
    the row's หมายเหตุ (remarks), as for a pause: the evaluation lists each send-back's reason."""
    _click(_item_action("reject", note_from="remarks", button="Send back"), at, log="selection")


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
def _session(xl, at: datetime | None, codes: tuple[str, ...], log: str = "all") -> Session:
    """Read what a click needs (:func:`xlflow.ports.xlwings_read.read_click`), parse it once;
    who clicks and when."""
    when = local(at) if at else local(datetime.now(BKK))
    r = read_click(xl, when, codes, log)
    return Session(xl, r.sheets, r.book, when, person(r.book.people, windows_login()), logs=r.logs, selection=r.selection)



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




# -- which rows --------------------------------------------------------------------------------
def _selection(s: Session) -> list[int]:
    """The selected Register rows below the header (hidden, filtered-out rows left out in Excel)."""
    if s.selection is None:
        s.selection = selected_rows_of(s.xl)
    return s.selection


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
    "remarks": 'type {why} into the column "หมายเหตุ" of this row, then click {button} again',
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
                    msg += f" — {hint.format(button=button, why=RULES.get(action, {}).get('why', 'the reason'))}"
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
