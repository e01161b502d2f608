"""The register workbook's sheets and columns, and reading their rows into typed records.

Pure: it takes rows of plain Python values (as python-calamine, openpyxl or xlwings give
them) and returns records, or errors that name the sheet, the cell and the value in words a
clerk understands (``ทะเบียนหนังสือรับ!D12: "31/02/2569" is not a date …``). Columns are
found by their header text (Thai or English), so a reordered sheet still reads.
"""

from __future__ import annotations

import itertools
import operator
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

from . import thaidate
from .errors import CalendarError, CellError, DateError, LogRowError, WorkbookError
from .model import ACTIONS, SECRECIES, URGENCIES, Letter, LogEntry, Person, as_row, data_of
from .worktime import FIRST_YEAR, LAST_YEAR, Holiday
from .process import COLUMNS as PROCESS_COLUMNS
from .process import col_letter  # noqa: F401  (one definition, used across the adapters)

# Sheet names as the office sees them (Thai), keyed by the program's code names.
SHEETS = {
    "register": "ทะเบียนหนังสือรับ",
    "log": "บันทึกการดำเนินงาน",
    "process": "ขั้นตอนการปฏิบัติงาน",
    "calendar": "วันหยุดราชการ",
    "people": "ผู้รับผิดชอบ",
    "info": "ข้อมูลกระบวนการ",
    "form_design": "แบบฟอร์มการออกแบบกระบวนการ",
    "form_steps": "แบบฟอร์มขั้นตอนการปฏิบัติงาน",
}
TABLE_NAME = "Register"

#: Data rows per Log sheet. The Log goes on in "บันทึกการดำเนินงาน (2)", "(3)", …: an Excel
#: sheet holds 1,048,576 rows, a finished letter leaves some 17 Log rows, and a reader holds
#: one sheet in memory at a time, so a register of 100,000 letters (1.8 million Log rows)
#: fits in Excel and is checked in bounded memory.
LOG_SHEET_ROWS = 200_000
_LOG_PART = re.compile(r"^\s*\((\d{1,4})\)\s*$")


def log_sheet_name(n: int) -> str:
    """The name of the ``n``-th Log sheet (1 is the Log itself)."""
    return SHEETS["log"] if n == 1 else f"{SHEETS['log']} ({n})"


def log_sheet_number(name: str) -> int | None:
    """``n`` if ``name`` is the ``n``-th Log sheet, else ``None``."""
    base = SHEETS["log"]
    if name == base:
        return 1
    if name.startswith(base):
        m = _LOG_PART.match(name[len(base):])
        if m and int(m.group(1)) > 1:
            return int(m.group(1))
    return None


def log_sheets(names) -> list[str]:
    """The Log sheets among ``names``, oldest first (the order the Log was written in)."""
    found = [(n, name) for name in names if (n := log_sheet_number(name)) is not None]
    return [name for _, name in sorted(found)]


@dataclass(frozen=True)
class Col:
    field: str
    th: str
    en: str
    kind: str = "text"  # text, date, datetime, int, choice, formula
    width: float = 14
    derived: bool = False  # written by xlflow from the log; not typed by people
    aliases: tuple[str, ...] = ()  # headers of earlier versions, still read


REGISTER_COLUMNS: tuple[Col, ...] = (
    Col("item", "เลขทะเบียนรับ", "Registration no.", "text", 13),
    Col("received_at", "วันเวลาที่รับ", "Received at", "datetime", 17),
    Col("letter_no", "ที่", "Letter no.", "text", 16),
    Col("letter_date", "ลงวันที่", "Letter date", "date", 12),
    Col("sender", "จาก", "From", "text", 24),
    Col("addressee", "ถึง", "To", "text", 16),
    Col("subject", "เรื่อง", "Subject", "text", 40),
    Col("urgency", "ชั้นความเร็ว", "Urgency", "choice", 11),
    Col("secrecy", "ชั้นความลับ", "Secrecy", "choice", 11),
    Col("reply_by", "กำหนดตอบภายใน", "Reply by", "date", 13),
    Col("action", "การปฏิบัติ", "Action", "text", 20),
    Col("remarks", "หมายเหตุ", "Remarks", "text", 20),
    Col("unit", "หน่วยงานที่รับผิดชอบ", "Assigned unit", "text", 14, True),
    Col("officer", "เจ้าหน้าที่ผู้รับผิดชอบ", "Officer in charge", "choice", 20, True),
    Col("substep", "ขั้นตอนปัจจุบัน", "Sub-step", "text", 9, True),
    Col("substep_name", "ชื่อขั้นตอน", "Sub-step name", "text", 30, True),
    Col("started_at", "เริ่มขั้นตอน", "Started at", "datetime", 17, True),
    Col("due_soon_at", "เตือนเมื่อ", "Due soon from", "datetime", 17, True),
    Col("due_at", "กำหนดเสร็จ", "Due at", "datetime", 17, True),
    Col("status", "สถานะ", "Status", "formula", 13, True),
    Col("round", "ส่งกลับ (ครั้ง)", "Send-backs", "int", 8, True),
    Col("paused_since", "พักเรื่องตั้งแต่", "Paused since", "datetime", 17, True),
    Col("completed_at", "เสร็จสิ้นเมื่อ", "Completed at", "datetime", 17, True),
    Col("last_by", "ผู้ดำเนินการล่าสุด", "Last action by", "text", 18, True),
    # issue 18: how an item ended before its last sub-step (the Status formula shows it), the
    # reason, whom it was sent on to (typed before the Forward button, like the unit), the
    # answer's own number and date (written from the Log row that finished 5.2: typed before
    # Advance there), and the scanned letter (typed by the clerk, a file path or web address)
    Col("ended", "การยุติเรื่อง", "Ended as", "text", 11, True),
    Col("end_reason", "เหตุผลการยุติเรื่อง", "Reason ended", "text", 24, True),
    Col("forwarded_to", "ส่งต่อถึง", "Forwarded to", "text", 20, True),
    Col("reply_no", "เลขที่หนังสือตอบ", "Reply no.", "text", 18, True),
    Col("reply_date", "ลงวันที่หนังสือตอบ", "Reply date", "date", 12, True),
    Col("scan", "ไฟล์หนังสือที่สแกน", "Scanned letter", "text", 30),
    # where the letter's rows are in the Log ("1:2,5,9;2:3": sheet 1 rows 2, 5, 9, sheet 2 row 3),
    # so that a button reads those rows, not the Log; checked against the Log when read
    Col("log_rows", "แถวในบันทึก", "Log rows", "text", 12, True),
)

#: The last column the Register prints (from its first): the official register's columns
#: (ระเบียบงานสารบรรณ: เลขทะเบียนรับ, ที่, ลงวันที่, จาก, ถึง, เรื่อง, การปฏิบัติ, หมายเหตุ) with the
#: receipt, urgency, secrecy and reply-by date among them; the workflow's columns stay on screen.
PRINTED_THROUGH = "remarks"

LOG_COLUMNS: tuple[Col, ...] = (
    Col("seq", "ลำดับ", "Seq", "int", 8),
    Col("item", "เลขทะเบียนรับ", "Item", "text", 13),
    Col("substep", "ขั้นตอน", "Sub-step", "text", 9),
    Col("action", "การดำเนินการ", "Action", "text", 11),
    Col("at", "เมื่อ", "At", "datetime", 17),
    Col("by", "โดย", "By", "text", 18),
    Col("note", "หมายเหตุ", "Note", "text", 30),
    Col("data", "ข้อมูล", "Data", "text", 30),
    # a SHA-256 chain, not a signature: anyone can recompute it; the checker's witnesses kept outside
    # the workbook are what make a rewritten history visible (xlflow.witness). Registers made before
    # this header was honest say "ลายมือชื่อดิจิทัล (hash)"; they are read the same.
    Col("hash", "แฮชลูกโซ่ (chain hash)", "Chain hash", "text", 20, aliases=("ลายมือชื่อดิจิทัล (hash)", "Hash")),
)

PEOPLE_COLUMNS: tuple[Col, ...] = (
    Col("name", "ชื่อ-สกุล", "Name", "text", 24),
    Col("role", "บทบาท", "Role", "choice", 28),
    Col("unit", "หน่วยงาน", "Unit", "text", 12),
    Col("email", "อีเมล", "Email", "text", 28),
    Col("login", "ชื่อผู้ใช้ Windows", "Windows user", "text", 16),
)

CALENDAR_COLUMNS: tuple[Col, ...] = (
    Col("day", "วันที่", "Date", "date", 13),
    Col("name", "ชื่อวันหยุด", "Holiday", "text", 40),
    Col("off", "หยุดราชการ", "Day off", "choice", 11),
    Col("source", "ที่มา", "Source", "text", 22),
)
#: Office hours live to the right of the holidays: header in HOURS_COL, periods below.
HOURS_COL = 5  # 0-based: column F the label, G the start, H the end
YES, NO = "ใช่", "ไม่ใช่"
#: The source (ที่มา) of a Calendar row waiting for its date: a day the office must add once it
#: is announced (วันพืชมงคล of a year past the holidays library's table). Such a row without a
#: date is not a problem; once its date is typed it is a holiday like any other.
TO_ANNOUNCE = "รอประกาศ — พิมพ์วันที่เมื่อประกาศ / to be announced: type the date"

INFO_FIELDS: tuple[tuple[str, str], ...] = (
    ("process_name", "ชื่อกระบวนการ"),
    ("strategy", "ประเด็นยุทธศาสตร์/กลยุทธ์"),
    ("mission", "พันธกิจ"),
    ("needs", "ความต้องการของลูกค้า/ผู้มีส่วนได้ส่วนเสีย"),
    ("indicators", "ตัวชี้วัดที่สำคัญของกระบวนการ"),
    ("constraints", "ข้อจำกัดที่สำคัญ"),
    ("prepared_by", "จัดทำโดย"),
    ("unit", "หน่วยงาน"),
    # document control, printed in the header of both forms on every page (issue 17)
    ("doc_code", "รหัสเอกสาร"),
    ("revision", "แก้ไขครั้งที่"),
    ("effective_date", "วันที่มีผลบังคับใช้"),
    ("approved_by", "ผู้อนุมัติ"),
)

#: What a new register's info sheet holds for the document-control fields: what an office
#: would write on a work instruction (WI) of วท. approved by ผอ.สปร.; an empty effective
#: date prints as "-".
DOC_CONTROL_DEFAULTS: dict[str, str] = {
    "doc_code": "WI-วท.-01",
    "revision": "00",
    "effective_date": "",
    "approved_by": "ผอ.สปร.",
}

PROCESS_HEADERS = tuple(Col(f, th, en) for f, th, en in PROCESS_COLUMNS)




def header_map(sheet: str, header: list, columns: tuple[Col, ...], required: tuple[str, ...] = ()) -> dict[str, int]:
    """Find each column by its header text (Thai or English, case and space tolerant).

    A missing required column is an error that names it; unknown columns are kept and
    ignored (offices add their own).
    """
    norm = lambda v: " ".join(str(v).split()).casefold() if v is not None else ""  # noqa: E731
    found: dict[str, int] = {}
    names = [norm(h) for h in header]
    for c in columns:
        for key in (norm(c.th), norm(c.en), norm(c.field), *map(norm, c.aliases)):
            if key in names:
                found[c.field] = names.index(key)
                break
    missing = [c for c in columns if c.field in required and c.field not in found]
    if missing:
        cols = ", ".join(f'"{c.th}" ({c.en})' for c in missing)
        raise WorkbookError(
            f"{sheet}!1: the column(s) {cols} are missing from the header row — "
            f"restore them (xlflow init makes a fresh sheet to copy them from)"
        )
    return found


def _cell(sheet: str, col: int, row: int) -> str:
    return f"{sheet}!{col_letter(col)}{row}"


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, (datetime, date)):
        return v.isoformat()
    return str(v).strip()


_ERRORS = ("#REF!", "#VALUE!", "#NAME?", "#DIV/0!", "#N/A", "#NUM!", "#NULL!")


class Formula(str):
    """A cell's formula text (``=TODAY()``), as the openpyxl reader marks it.

    Text a person typed that merely begins with ``=`` is a plain ``str`` and stays text:
    only a real formula where a value belongs is a problem.
    """


def _is_error_value(v) -> bool:
    if isinstance(v, Formula):  # a formula that lost its reference: =#REF!+1
        return any(e in v.upper() for e in _ERRORS)
    return isinstance(v, str) and v.strip().upper() in _ERRORS


_PLAIN_TEXT = frozenset(("text", "choice"))


def read_value(sheet: str, col: int, row: int, value, kind: str):
    """One cell as its kind, or :class:`CellError` naming the cell, the value and the fix."""
    # Fast paths for the ordinary cells of a 100,000-row register (plain text, a naive
    # date-time or a whole number as calamine and openpyxl return them): the same result as
    # the general code below, without its checks for errors, formulas and typed text.
    t = type(value)
    if t is str:
        if kind in _PLAIN_TEXT:
            s = value.strip()
            if not s:
                return None
            if s[0] not in "#=":
                return s
    elif t is datetime:
        if value.tzinfo is None and FIRST_YEAR <= value.year <= LAST_YEAR:
            if kind == "datetime":
                return value
            if kind == "date":
                return value.date()
    elif t is date:  # python-calamine's value of a cell formatted as a date alone
        if FIRST_YEAR <= value.year <= LAST_YEAR:
            if kind == "date":
                return value
            if kind == "datetime":
                return datetime(value.year, value.month, value.day)
    elif t is float:
        if kind == "int" and value.is_integer():
            return int(value)
    elif t is int:
        if kind == "int":
            return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if _is_error_value(value):
        raise CellError(sheet, f"{col_letter(col)}{row}", value, "is an Excel error, not a value", "retype the value (a formula there lost its reference)")
    if isinstance(value, Formula) and kind != "formula":
        raise CellError(sheet, f"{col_letter(col)}{row}", value, "is a formula where a value belongs", "type the value itself")
    try:
        if kind in ("date", "datetime"):
            if isinstance(value, (date, datetime)) and value.year > LAST_YEAR and FIRST_YEAR <= value.year - 543 <= LAST_YEAR:
                got = value  # a real date value: BE typed into a cell Excel reads as CE
                raise CellError(sheet, f"{col_letter(col)}{row}", value, f"is a date in the year {got.year} of the Christian Era (a Buddhist-Era year typed into a cell Excel reads as Christian Era)",
                                f"retype it as {got.day}/{got.month}/{got.year} in a cell formatted as text or as a Thai date, or as {got.day}/{got.month}/{got.year - 543}")
            # the one range of years (the calendar's) is checked by the reading itself
            return thaidate.parse_date(value) if kind == "date" else thaidate.parse_datetime(value)
    except DateError as e:
        what = "a date" if kind == "date" else "a date and time"
        raise CellError(sheet, f"{col_letter(col)}{row}", value, f"is not {what}{_reason(e)}",
                        "type it as day/month/BE year, e.g. 25/11/2569" + (" 09:30" if kind == "datetime" else "")) from None
    if kind == "int":
        try:
            f = float(value)
            if f != int(f):
                raise ValueError
            return int(f)
        except (TypeError, ValueError, OverflowError):  # OverflowError: infinity
            raise CellError(sheet, f"{col_letter(col)}{row}", value, "is not a whole number", "type a number such as 3") from None
    return _text(value)


def _reason(e: DateError) -> str:
    msg = str(e)
    if "(" in msg and ")" in msg:
        return " " + msg[msg.index("(") : msg.index(")") + 1]
    return ""


@dataclass
class Rows:
    """Records read from one sheet, with the problems of the rows that could not be read."""

    records: list = field(default_factory=list)
    row_of: dict = field(default_factory=dict)  # key → sheet row number
    problems: list[CellError | WorkbookError] = field(default_factory=list)
    skipped: dict = field(default_factory=dict)  # key of a row that could not be read → its problem
    last_row: int = 1  # the last row with anything typed in it, read or not (a new row goes below it)
    occupied: dict = field(default_factory=dict)  # rows below the Register's Table that are not letters: row → 'A57 "…"'
    index: dict = field(default_factory=dict)  # item → its Log rows as the Register's แถวในบันทึก column holds them


def log_rows_text(positions) -> str:
    """Log positions [(sheet number, row), …] as the แถวในบันทึก column holds them: ``1:2,5,9;2:3``."""
    out: list[tuple[int, list[int]]] = []
    for n, r in positions:
        if out and out[-1][0] == n:
            out[-1][1].append(r)
        else:
            out.append((n, [r]))
    return ";".join(f"{n}:{','.join(map(str, rows))}" for n, rows in out)


def parse_log_rows(text) -> list[tuple[int, int]] | None:
    """The positions of a แถวในบันทึก cell, or None when it is empty or not what xlflow wrote."""
    text = "" if text is None else str(text).strip()
    if not text:
        return None
    out = []
    try:
        for part in text.split(";"):
            n, _, rows = part.partition(":")
            out += [(int(n), int(r)) for r in rows.split(",")]
    except ValueError:
        return None
    return out if all(n >= 1 and r >= 2 for n, r in out) else None


_ITEM = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{4})\s*$")  # 12/2569, as workflow.parse_item reads it


def read_register(rows: list[list], sheet: str = SHEETS["register"], keep=None, table=None) -> Rows:
    """Register rows → :class:`Letter` records. A bad row is reported and skipped; the rest read.

    Blank rows in the middle are passed over; duplicate registration numbers are problems
    (the second one is not read). With ``keep``, every row is still read and checked, but
    only the letters ``keep(letter)`` wants are kept (the checker keeps the open ones).

    With the Register's ``table`` (an :class:`xlflow.apply.Table`), its Total Row is never a
    letter, and a row below the Table with no registration number (a signature line) is the
    office's own: kept in ``occupied``, not reported.
    """
    out = Rows()
    it = iter(rows) if rows else iter(())
    header = next(it, None)
    if header is None:
        raise WorkbookError(f"{sheet}: the sheet is empty — its header row is missing (xlflow init makes a fresh register)")
    hm = header_map(sheet, header, REGISTER_COLUMNS, required=("item", "received_at", "subject"))
    kinds = {c.field: c.kind for c in REGISTER_COLUMNS}
    typed = [c.field for c in REGISTER_COLUMNS if not c.derived]
    totals = range(table.data_end + 1, table.last_row + 1) if table is not None else range(0)
    below = table.last_row if table is not None else None
    for r, row in enumerate(it, start=2):
        if not row or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        if r in totals:
            continue
        get = lambda f: row[hm[f]] if f in hm and hm[f] < len(row) else None  # noqa: E731
        if below is not None and r > below and not _ITEM.match(_text(get("item"))):  # not a letter: the office's own line
            c = next(i for i, v in enumerate(row) if not (v is None or (isinstance(v, str) and not v.strip())))
            out.occupied[r] = f'{col_letter(c)}{r} "{_text(row[c])[:40]}"'
            continue
        try:
            vals = {f: read_value(sheet, hm[f], r, get(f), kinds[f]) for f in typed if f in hm}
            item = vals.get("item")
            if not item:
                raise CellError(sheet, f"{col_letter(hm['item'])}{r}", None, "has no registration number", "register letters with xlflow so each gets its number")
            number = _ITEM.match(item)
            if not number:
                raise CellError(sheet, f"{col_letter(hm['item'])}{r}", get("item"), "is not a registration number",
                                "type it as number/BE year, e.g. 12/2569 (if Excel turned it into a date, format the column as Text and retype it)")
            if 1900 <= int(number[2]) <= 2200:
                raise CellError(sheet, f"{col_letter(hm['item'])}{r}", item, f"has a Christian-Era year ({number[2]})",
                                f"registration numbers carry the Buddhist-Era year: {int(number[1])}/{int(number[2]) + 543}")
            if item in out.row_of:
                raise CellError(sheet, f"{col_letter(hm['item'])}{r}", item, f"is a duplicate registration number (also row {out.row_of[item]})",
                                "give this letter its own number, or delete the copied row")
            if vals.get("received_at") is None:
                raise CellError(sheet, f"{col_letter(hm['received_at'])}{r}", None, "has no received time", "type when the letter arrived, e.g. 25/11/2569 09:30")
            for f, allowed in (("urgency", URGENCIES), ("secrecy", SECRECIES)):
                if vals.get(f) and vals[f] not in allowed:
                    raise CellError(sheet, f"{col_letter(hm[f])}{r}", vals[f], f"is not one of {', '.join(allowed)}", "pick one from the list or leave it empty")
            letter = Letter(**{k: (v if v is not None else ("" if kinds[k] in ("text", "choice") else None)) for k, v in vals.items()})
        except CellError as e:
            out.problems.append(e)
            number = _text(get("item"))
            if number and number not in out.row_of:
                out.skipped.setdefault(number, e)
            if any(not (v is None or (isinstance(v, str) and not v.strip())) for v in map(get, typed)):
                out.last_row = r  # a row of derived cells only (the Table's formula row) is free
            continue
        if keep is None or keep(letter):
            out.records.append(letter)
        out.row_of[letter.item] = r
        if "log_rows" in hm:
            out.index[letter.item] = get("log_rows")
    if out.row_of:
        out.last_row = max(out.last_row, max(out.row_of.values()))
    return out


def read_log(rows: list[list], sheet: str = SHEETS["log"]) -> Rows:
    """Log rows → :class:`LogEntry` records (hash as stored; :func:`verify_chain` checks it)."""
    out = Rows()
    for entries, rows_of in iter_log(rows, sheet, out.problems):
        out.records += entries
        out.row_of.update(zip([e.seq for e in entries], rows_of))
    return out


def iter_log(rows, sheet: str, problems: list, same: dict | None = None, hashes: bool = True, raw: bool = False,
             tail: dict | None = None):
    """A Log sheet's entries in chunks, each with the sheet rows they came from; a row that
    cannot be read is added to ``problems`` (naming its cell) and left out. ``hashes=False``
    leaves the hash column unread (the checker does not verify the chain; verify does).

    Nothing is kept between chunks but ``same`` (equal texts made one string object), so a
    reader may fold the entries and drop them.
    """
    if not rows:
        raise WorkbookError(f"{sheet}: the sheet is empty — its header row is missing")
    rows_it = iter(rows)
    header = next(rows_it, None)
    if header is None:
        raise WorkbookError(f"{sheet}: the sheet is empty — its header row is missing")
    hm = header_map(sheet, header, LOG_COLUMNS, required=tuple(c.field for c in LOG_COLUMNS))
    idx = [hm[c.field] for c in LOG_COLUMNS]
    pick, width = operator.itemgetter(*idx), max(idx) + 1
    first = 2
    same = {} if same is None else same
    out = Rows(problems=problems)
    # Rows come in chunks: a chunk of ordinary rows (what xlflow wrote) is read column by
    # column; a chunk with any other row in it — blank, damaged, typed over — is read row
    # by row, and a row that is not ordinary takes the general path, which names the problem.
    while chunk := list(itertools.islice(rows_it, _CHUNK)):
        if tail is not None:  # the hash of the sheet's last row, also where the hash column is left unread
            last = next((row for row in reversed(chunk) if any(v not in (None, "") for v in row)), None)
            if last is not None:
                tail["hash"] = str(last[hm["hash"]]).strip() if len(last) > hm["hash"] and last[hm["hash"]] is not None else ""
        entries = _plain_log_chunk(chunk, idx, same, hashes, raw)
        if entries is not None:
            yield entries, range(first, first + len(chunk))
        else:
            got, at = [], []
            for r, row in enumerate(chunk, start=first):
                e = _plain_log_row(pick(row)) if len(row) >= width else None
                if e is None:
                    e = _read_log_row(sheet, hm, r, row, out)
                if e is not None:
                    got.append(as_row(e) if raw else e)
                    at.append(r)
            yield got, at
        first += len(chunk)


_CHUNK = 2048


def _read_log_row(sheet: str, hm: dict[str, int], r: int, row, out: Rows) -> LogEntry | None:
    """One Log row the general way: its entry, or ``None`` (blank, or a problem added to ``out``).

    A row that cannot be read becomes a :class:`~xlflow.errors.LogRowError` naming its cell and,
    when its item cell can still be read, the item whose history it leaves incomplete."""
    if not row or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
        return None
    cell = lambda f: row[hm[f]] if hm[f] < len(row) else None  # noqa: E731
    try:
        vals = {c.field: read_value(sheet, hm[c.field], r, cell(c.field), c.kind) for c in LOG_COLUMNS}
        raw = vals["data"] or ""
        try:
            data = data_of(raw)
        except ValueError:  # not JSON, or JSON that is not an object of fields
            raise CellError(sheet, f"{col_letter(hm['data'])}{r}", raw, "is not the data xlflow wrote", "the Log must not be edited by hand — restore it from a backup") from None
        if vals["at"] is None or vals["seq"] is None:
            raise CellError(sheet, f"{col_letter(hm['at' if vals['at'] is None else 'seq'])}{r}", None, "is empty", "the Log must not be edited by hand — restore it from a backup")
        return LogEntry(vals["seq"], vals["item"] or "", vals["substep"] or "", vals["action"] or "", vals["at"], vals["by"] or "", vals["note"] or "", data, vals["hash"] or "")
    except (CellError, ValueError) as ex:  # a cell that cannot be read; LogEntry's own checks (an unknown action)
        if isinstance(ex, CellError):
            where, value, problem, fix = ex.cell, ex.value, ex.problem, ex.fix
        else:
            where, value = f"{col_letter(hm['action'])}{r}", cell("action")
            problem, fix = str(ex).split('"')[-1].strip() or "is not an action", "the Log must not be edited by hand"
        try:
            item = read_value(sheet, hm["item"], r, cell("item"), "text") or ""
        except CellError:
            item = ""
        out.problems.append(LogRowError(sheet, where, value, problem, fix, item=item))
        return None


def _plain_text(v) -> str | None:
    """``read_value(…, "text") or ""`` for an ordinary cell; ``None`` when it needs the general path."""
    if type(v) is str:
        s = v.strip()
        return s if not s or s[0] not in "#=" else None
    return "" if v is None else None


def _plain_log_row(vals: tuple) -> LogEntry | None:
    """The entry of an ordinary Log row (as :func:`read_log`'s general path reads it), or ``None``."""
    seq, item, substep, action, at, by, note, data, h = vals
    if type(seq) is float and seq.is_integer():
        seq = int(seq)
    elif type(seq) is not int:
        return None
    if type(at) is not datetime or at.tzinfo is not None or not FIRST_YEAR <= at.year <= LAST_YEAR:
        return None
    item, substep, action, by, note, data, h = texts = tuple(map(_plain_text, (item, substep, action, by, note, data, h)))
    if None in texts:
        return None
    try:
        return LogEntry(seq, item, substep, action, at, by, note, data_of(data), h)
    except ValueError:  # not JSON, an unknown action: the general path says which cell
        return None


_NUMBER = frozenset((int, float))
_ACTIONS = frozenset(ACTIONS)
_TEXT = frozenset((str, type(None)))


def _plain_texts(col: tuple, same: dict | None = None) -> list[str] | None:
    """A column of ordinary text cells as :func:`_plain_text` reads them, or ``None``.

    With ``same``, equal texts become one string object (an item's number, a sub-step, a
    name repeat on every row: at 1.5 million rows that is hundreds of megabytes).
    """
    if not set(map(type, col)) <= _TEXT:
        return None
    if None in col:
        col = ["" if v is None else v for v in col]
    got = list(map(str.strip, col))
    joined = "\x00" + "\x00".join(got)
    if "\x00#" in joined or "\x00=" in joined:  # an Excel error, a formula: the general path
        return None
    if same is not None:
        got = list(map(same.setdefault, got, got))
    return got


def _plain_log_chunk(chunk: list, idx: list[int], same: dict | None = None, hashes: bool = True, raw: bool = False) -> list | None:
    """The entries of a chunk of ordinary Log rows, read column by column; ``None`` if any
    row is not ordinary (then :func:`_plain_log_row` and the general path read it row by row).

    ``raw``: plain rows (:func:`~xlflow.model.as_row` order), not entries: the checker
    makes entries only of the items still open.
    """
    if min(map(len, chunk)) <= max(idx):
        return None
    cols = list(zip(*chunk))
    seq, item, substep, action, at, by, note, data, h = (cols[i] for i in idx)
    if not set(map(type, seq)) <= _NUMBER or set(map(type, at)) != {datetime}:
        return None
    try:
        seqs = list(map(int, seq))
    except (ValueError, OverflowError):  # NaN, infinity
        return None
    if seqs != list(seq) or any(t.tzinfo is not None or not FIRST_YEAR <= t.year <= LAST_YEAR for t in at):
        return None
    texts = [_plain_texts(c, same) for c in (item, substep, action, by, note)] + [_plain_texts(data), _plain_texts(h) if hashes else [""] * len(h)]
    if None in texts:
        return None
    items, substeps, actions, bys, notes, datas, hashes = texts
    try:
        datas = list(map(data_of, datas))  # a data cell that is not JSON: the general path names it
        if raw:
            return list(zip(seqs, items, substeps, actions, at, bys, notes, datas, hashes)) if set(actions) <= _ACTIONS else None
        return list(map(LogEntry, seqs, items, substeps, actions, at, bys, notes, datas, hashes))
    except ValueError:  # not JSON, an unknown action
        return None


def verify_chain(entries: list[LogEntry], where=None) -> str | None:
    """The first log row that was edited, inserted or deleted by hand, in words; ``None`` if intact.

    ``where(i)`` names the sheet and row of the ``i``-th entry (default: one Log sheet,
    entry ``i`` on row ``i + 2``); the chain runs on across the Log's continuation sheets.
    """
    prev = ""
    for i, e in enumerate(entries):
        where_ = where(i) if where else f"{SHEETS['log']} row {i + 2}"
        expected_seq = i + 1
        if e.seq != expected_seq:
            if e.seq > expected_seq:
                gone = f"{expected_seq}" if e.seq == expected_seq + 1 else f"{expected_seq}–{e.seq - 1}"
                return f"{where_}: the row(s) numbered {gone} before it were deleted (found {e.seq}, expected {expected_seq})"
            return f"{where_}: a row was inserted here (it is numbered {e.seq}, expected {expected_seq})"
        if e.chained(prev).hash != e.hash:
            return (f"{where_}: this row was edited by hand or inserted (its hash does not match its content) — item {e.item}, "
                    f"{e.action} at {thaidate.format_datetime(e.at)}")
        prev = e.hash
    return None


def read_people(rows: list[list], sheet: str = SHEETS["people"]) -> Rows:
    """People rows → :class:`Person` records."""
    out = Rows()
    if not rows:
        return out
    hm = header_map(sheet, rows[0], PEOPLE_COLUMNS, required=("name", "role"))
    for r, row in enumerate(rows[1:], start=2):
        vals = {c.field: _text(row[hm[c.field]]) if c.field in hm and hm[c.field] < len(row) else "" for c in PEOPLE_COLUMNS}
        if not vals["name"] and not vals["email"]:
            continue  # a role listed with nobody in it yet (the shipped sheet lists every role)
        if not vals["name"]:
            out.problems.append(CellError(sheet, f"{col_letter(hm['name'])}{r}", None, "has no name", "type the person's name or delete the row"))
            continue
        if vals["email"] and ("@" not in vals["email"] or any(ch in vals["email"] for ch in "\r\n ,;")):
            out.problems.append(CellError(sheet, f"{col_letter(hm['email'])}{r}", vals["email"], "is not an email address", "type one address such as name@mol.go.th"))
            vals["email"] = ""
        p = Person(**vals)
        out.records.append(p)
        out.row_of[p.name] = r
    return out


def read_process_rows(rows: list[list], sheet: str = SHEETS["process"]) -> list[dict]:
    """Process sheet rows → dicts keyed by field, for :meth:`Process.from_rows`."""
    if not rows:
        raise WorkbookError(f"{sheet}: the sheet is empty — xlflow init writes the manual's 15 sub-steps there")
    hm = header_map(sheet, rows[0], PROCESS_HEADERS, required=("code", "role", "standard", "next"))
    out = []
    for row in rows[1:]:  # the table ends at its first empty row; notes may follow below it
        if not row or all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            break
        out.append({f: (row[i] if i < len(row) else None) for f, i in hm.items()})
    return out


def read_calendar(rows: list[list], sheet: str = SHEETS["calendar"]):
    """Calendar rows → (holidays, office hours). Every problem is listed at once."""
    if not rows:
        raise CalendarError(f"The {sheet} sheet cannot be read", [f"{sheet}: the sheet is empty — xlflow init fills it"])
    hm = header_map(sheet, rows[0], CALENDAR_COLUMNS, required=("day",))
    problems: list[str] = []
    days: list[Holiday] = []
    first_row: dict[date, tuple[int, int]] = {}  # day → (its first row, its index in days)
    for r, row in enumerate(rows[1:], start=2):
        get = lambda f: row[hm[f]] if f in hm and hm[f] < len(row) else None  # noqa: E731
        raw = get("day")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if _text(get("source")) == TO_ANNOUNCE:
                continue  # a day waiting for its date (the checker and refresh remind the office)
            if _text(get("name")):  # a holiday whose date was lost (#REF!, deleted): it would silently not count
                problems.append(str(CellError(sheet, f"{col_letter(hm['day'])}{r}", None, f'has no date for the holiday "{_text(get("name"))}"',
                                              "type its date, e.g. 5/12/2569, or delete the row")))
            continue
        try:
            d = read_value(sheet, hm["day"], r, raw, "date")
        except CellError as e:
            problems.append(str(e))
            continue
        off_raw = _text(get("off")).casefold()
        if off_raw in {NO.casefold(), "no", "false", "0", "n"}:
            off = False
        elif off_raw in {"", YES.casefold(), "yes", "true", "1", "y"}:  # a row added with no answer is a day off
            off = True
        else:
            problems.append(str(CellError(sheet, f"{col_letter(hm['off'])}{r}", _text(get("off")), f"is not {YES} or {NO}",
                                          f"pick {YES} (a day off) or {NO} (the office works that day) from the list")))
            continue
        if d in first_row and days[first_row[d][1]].off != off:
            problems.append(str(CellError(sheet, f"{col_letter(hm['day'])}{r}", f"{d.day}/{d.month}/{d.year + 543}", f"is listed again, with {YES if off else NO} where row {first_row[d][0]} says {NO if off else YES}",
                                          "keep one row for the day")))
            continue
        first_row.setdefault(d, (r, len(days)))
        days.append(Holiday(d, _text(get("name")), off, _text(get("source"))))
    hours = []
    for r, row in enumerate(rows[1:], start=2):
        if len(row) < HOURS_COL + 3:
            continue
        s, e = row[HOURS_COL + 1], row[HOURS_COL + 2]
        if s in (None, "") and e in (None, ""):
            continue
        try:
            start, end = _time(s, sheet, HOURS_COL + 1, r), _time(e, sheet, HOURS_COL + 2, r)
        except CellError as ex:
            problems.append(str(ex))
            continue
        if not start < end:
            problems.append(str(CellError(sheet, f"{col_letter(HOURS_COL + 2)}{r}", f"{end:%H:%M}", f"does not end after the start ({start:%H:%M})",
                                          "the end of a period of office hours must be later than its start")))
            continue
        if hours and start < hours[-1][1]:
            problems.append(str(CellError(sheet, f"{col_letter(HOURS_COL + 1)}{r}", f"{start:%H:%M}", f"starts before the period above ends ({hours[-1][1]:%H:%M})",
                                          "periods of office hours must not overlap: list them in order, e.g. 08:30–12:00 then 13:00–16:30")))
            continue
        hours.append((start, end))
    if problems:
        raise CalendarError(f"The {sheet} sheet has {len(problems)} problem(s)", problems)
    return days, hours


#: The day Excel's time-only values carry when read as a date and time (its day 0 and day 1).
_TIME_EPOCH = (date(1899, 12, 30), date(1899, 12, 31), date(1900, 1, 1))


def _time(v, sheet: str, col: int, row: int) -> time:
    if isinstance(v, time):
        return v
    if isinstance(v, datetime):
        if v.date() in _TIME_EPOCH:
            return v.time()
        raise CellError(sheet, f"{col_letter(col)}{row}", v, "is a date and time, not a time of day", "type it as 08:30")
    if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 1:
        m = min(round(v * 24 * 60), 24 * 60 - 1)  # 0.9999 is 23:59, not 24:00
        return time(m // 60, m % 60)
    s = thaidate.to_arabic_digits(_text(v)).replace(".", ":").replace("น", "").strip()
    try:
        h, m = s.split(":")[:2]
        return time(int(h), int(m))
    except (ValueError, TypeError):
        raise CellError(sheet, f"{col_letter(col)}{row}", v, "is not a time of day", "type it as 08:30") from None
