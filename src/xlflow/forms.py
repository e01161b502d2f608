"""The manual's two appendix forms, filled from the Process sheet, printable on A4.

Why: PMQA category 6 asks for แบบฟอร์มการออกแบบกระบวนการ (the process-design form) and
แบบฟอร์มขั้นตอนการปฏิบัติงาน (the work-step form). Both are generated from the one source of
the process — the register's Process sheet as the office has edited it — so a changed time
standard or role is in the forms the next time they are filled, and they cannot drift.
Their header fields (process name, strategic issue, mission, customer and stakeholder
needs, key indicators, key constraints, prepared by, unit) are read from the register's
info sheet (ข้อมูลกระบวนการ), where the office edits them; an empty field falls back to the
manual's sections 1, 2 and 7 (``data/process.toml``, ``[forms]``).

Layout follows the manual's appendix: landscape A4, margins, the table's header row
repeated on every printed page, fit to the page width, TH Sarabun New, and under the design
form the legend of the flow-chart symbols. The flow chart is written as text with Unicode
shapes (see :data:`SYMBOLS`). The page header of every printed page carries the document
control of the info sheet (code, revision, effective date, approved by:
:func:`doc_control_line`).

>>> from openpyxl import Workbook
>>> wb = Workbook()
>>> fill_form_sheets(wb, Process.default(), {})
>>> wb["แบบฟอร์มการออกแบบกระบวนการ"]["A1"].value
'แบบฟอร์มการออกแบบกระบวนการ'

openpyxl is used here: this is an adapter module, not a domain one.
"""

from __future__ import annotations

import math
import re
import tempfile
import unicodedata
from pathlib import Path

from . import book as bk
from . import flowchart, schema
from .process import END, Process
from .schema import DOC_CONTROL_DEFAULTS, INFO_FIELDS, SHEETS
from .thaidate import to_thai_digits

#: The flow-chart symbols of the manual's appendix and their Thai labels (the appendix's
#: wording). The start/end terminator is a rounded rectangle; U+2B2D (⬭) would be the
#: oval, but no font that LibreOffice or a stock Linux install carries has it, and it prints
#: as an empty box, so the rounded square ▢ (U+25A2, in DejaVu Sans and Segoe UI Symbol)
#: stands for it.
SYMBOLS: tuple[tuple[str, str, str], ...] = (
    ("terminal", "▢", "จุดเริ่มต้นและสิ้นสุดของกระบวนการ"),
    ("activity", "▭", "กิจกรรมและการปฏิบัติงาน"),
    ("decision", "◇", "การตัดสินใจ"),
    ("direction", "→", "ทิศทาง/การเคลื่อนไหวของงาน"),
    ("connector", "○", "จุดเชื่อมต่อระหว่างขั้นตอน (เช่น การเขียนกระบวนการไม่สามารถจบได้ภายใน ๑ หน้า)"),
)
SYM = {k: s for k, s, _ in SYMBOLS}

#: Defaults of the header fields: the info sheet's key → the process table's value.
_DEFAULT_KEYS = {
    "strategy": "strategy_th",
    "mission": "mission_th",
    "needs": "needs_th",
    "indicators": "indicators_th",
    "constraints": "constraints_th",
    "prepared_by": "prepared_by_th",
    "unit": "unit_th",
}

DESIGN_COLUMNS = (
    ("ลำดับที่", 7),
    ("ผังกระบวนการ", 24),
    ("ระยะเวลา", 11),
    ("งบประมาณ", 10),
    ("รายละเอียดของงาน", 48),
    ("มาตรฐานคุณภาพงาน", 40),
    ("ผู้รับผิดชอบ/หน่วยงาน", 28),
)
STEPS_COLUMNS = (
    ("ลำดับ", 6),
    ("ขั้นตอนการปฏิบัติงาน", 24),
    ("รายละเอียดวิธีการปฏิบัติงาน", 42),
    ("ผู้รับผิดชอบ", 24),
    ("ตัวชี้วัด", 34),
    ("ระยะเวลา", 10),
    ("แบบฟอร์ม", 17),
    ("เอกสารอ้างอิง", 26),
)
DESIGN_HEADER = ("process_name", "strategy", "mission", "needs", "indicators", "constraints")
STEPS_HEADER = ("prepared_by", "unit", "process_name")

BODY_PT = 14
LINE_PT = 22.0  # one line of 14 pt TH Sarabun New (or its stand-in Laksaman; symbols from DejaVu Sans), with leading
TEXT_LINE_PT = 23.0  # measured: a tall cell of the manual's texts (12 lines) needs 23 pt a line in LibreOffice, not 22


# -- words -------------------------------------------------------------------------------------
def duration_th(minutes: float) -> str:
    """Working minutes in the manual's Thai units: ``50 นาที``, ``3 ชม.``, ``1 ชม. 30 นาที``."""
    m = int(round(minutes))
    h, rest = divmod(m, 60)
    if not h:
        return f"{rest} นาที"
    return f"{h} ชม." + (f" {rest} นาที" if rest else "")


def form_fields(process: Process, info: dict) -> dict[str, str]:
    """The header fields of both forms: the info sheet's value, or the manual's default."""
    fd = process.form_defaults
    out = {}
    for key, _label in INFO_FIELDS:
        given = _field_text(info.get(key))
        if given:
            out[key] = given
        elif key == "process_name":
            out[key] = process.meta.get("name_th", "")
        elif key in DOC_CONTROL_DEFAULTS:
            out[key] = DOC_CONTROL_DEFAULTS[key] or "-"
        else:
            out[key] = fd.get(_DEFAULT_KEYS.get(key, ""), "")
    return out


def _field_text(v: object) -> str:
    """An info-sheet value as the forms print it: a date (a date cell, or typed as
    2026-10-01) in the Buddhist Era, as official documents date themselves."""
    from datetime import date, datetime

    from .thaidate import format_date

    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00)?)?", v.strip()):
        try:
            v = datetime.fromisoformat(v.strip())
        except ValueError:
            pass
    if isinstance(v, (date, datetime)):
        return format_date(v)
    return str(v or "").strip()


#: The document-control fields, in the order the forms' page header prints them.
DOC_CONTROL = tuple(DOC_CONTROL_DEFAULTS)


def doc_control_line(fields: dict[str, str]) -> str:
    """The forms' document control as one line (code, revision, effective date, approved by),
    printed in the page header so that every printed page of a form carries it."""
    labels = dict(INFO_FIELDS)
    return "   ".join(f"{labels[k]} {fields.get(k) or '-'}" for k in DOC_CONTROL)


def flow_lines(process: Process, step: int) -> list[str]:
    """The flow chart of one step as text: each sub-step with its shape, the decision with
    where approval and rejection go, and the start and end of the process."""
    subs = [s for s in process if s.step == step]
    lines: list[str] = []
    codes = [s.code for s in process]
    if subs and subs[0].code == process.first.code:
        lines.append(f"{SYM['terminal']} เริ่มต้น")
    for i, s in enumerate(subs):
        arrow = f"{SYM['direction']} " if lines else ""
        if s.is_decision:
            lines.append(f"{arrow}{SYM['decision']} {s.code} ผู้พิจารณา")
            lines.append(f"   เห็นชอบ {SYM['direction']} {s.next if s.next != END else 'สิ้นสุด'}")
            lines.append(f"   ไม่เห็นชอบ {SYM['direction']} {s.reject_to}")
        else:
            lines.append(f"{arrow}{SYM['activity']} {s.code}")
        follows_in_order = s.next != END and codes.index(s.code) + 1 < len(codes) and codes[codes.index(s.code) + 1] == s.next
        if s.next == END:
            lines.append(f"{SYM['direction']} {SYM['terminal']} สิ้นสุด")
        elif i == len(subs) - 1 and follows_in_order and not s.is_decision:
            lines.append(f"{SYM['direction']} {s.next}")
    return lines


def _step_name(process: Process, step: int) -> str:
    st = process.step(step)
    return st.name_th if st else f"ขั้นตอนที่ {step}"


def _steps(process: Process) -> list[int]:
    out: list[int] = []
    for s in process:
        if s.step not in out:
            out.append(s.step)
    return out


# -- sheets --------------------------------------------------------------------------------------
def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    thin = Side(style="thin", color="000000")
    return {
        "title": Font(name=bk.FONT, size=18, bold=True),
        "head": Font(name=bk.FONT, size=BODY_PT, bold=True),
        "body": Font(name=bk.FONT, size=BODY_PT),
        "small": Font(name=bk.FONT, size=12, italic=True),
        "fill": PatternFill("solid", fgColor="D9E1F2"),
        "box": Border(left=thin, right=thin, top=thin, bottom=thin),
        "sides": Border(left=thin, right=thin),
        "top": Border(left=thin, right=thin, top=thin),
        "bottom": Border(left=thin, right=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "center": Alignment(wrap_text=True, vertical="center", horizontal="center"),
        "topcenter": Alignment(wrap_text=True, vertical="top", horizontal="center"),
    }


def _text_width(s: str) -> int:
    """Columns a line needs: Thai vowel and tone marks above or below take no width."""
    return sum(1 for ch in s if not unicodedata.combining(ch) and unicodedata.category(ch) != "Mn")


def _lines_needed(text: str, width: float, words: bool = False) -> int:
    per_line = max(1.0, width * 0.82)  # measured: LibreOffice fits ~0.88 base characters of 14 pt TH Sarabun New per width unit; words do not split
    text = _shown(text)
    if len(text) <= per_line and "\n" not in text:  # every character counted, marks too: one line, whatever the wrapping
        return 1
    if words:  # the waste at each line's end is counted word by word, so the measured width is used
        return sum(_word_lines(part, max(1.0, width * 0.86)) for part in text.split("\n"))
    return sum(max(1, math.ceil(_text_width(part) / per_line)) for part in text.split("\n"))


def _word_lines(part: str, per_line: float) -> int:
    """Lines of one paragraph of the manual's Thai, wrapped as LibreOffice and Excel wrap it:
    at a space, or between two Thai words, but never inside a run joined by "/" up to the
    word after its last slash ("ความสำเร็จในการจัดส่งความเห็น/ข้อเสนอ/ท่าที…"). Such a run
    that does not fit in what is left of a line starts the next one ("5.2" stays alone).
    A word with no Thai in it (a hash, a file name) breaks only after a hyphen; a piece
    longer than a line starts a line of its own and is cut where the line ends."""
    lines, used = 1, 0.0
    for word in part.split():
        if not _THAI.search(word):
            for k, piece in enumerate(re.findall(r"[^-]*-|[^-]+", word)):
                size, space = _text_width(piece), 1 if used and not k else 0
                if used and used + space + size > per_line:
                    lines, used, space = lines + 1, 0.0, 0
                used += space + size
                while used > per_line:
                    lines, used = lines + 1, used - per_line
            continue
        cut = word.rfind("/") + 1
        cut = cut + len(re.match(r"[\u0E00-\u0E7F]{0,6}", word[cut:])[0]) if cut else 0
        head, tail = _text_width(word[:cut]), _text_width(word[cut:])
        if not cut and tail <= 8:  # a short word is not broken either
            head, tail = tail, 0
        space = 1 if used else 0
        if head and used and used + space + head > per_line:
            lines, used, space = lines + 1, 0.0, 0
        used += space + head + tail
        while used > per_line:  # the rest breaks between words, anywhere on the line
            lines, used = lines + 1, used - per_line
    return lines


_THAI = re.compile(r"[\u0E00-\u0E7F]")


def _shown(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}"
    return str(v)


def fit_height(ws, row: int, cells: list[tuple[object, float]], line_pt: float = LINE_PT, words: bool = False) -> None:
    """Set a row's height for its tallest wrapped cell, from ``(text, column width)`` pairs.

    Neither LibreOffice nor Excel re-measures a wrapped row of a generated file when it
    opens it, so the height is estimated here from the text and written. ``words``: wrap
    word by word (the manual's texts, whose lines are seldom full), not character by
    character.
    """
    n = max((_lines_needed(t, w, words) for t, w in cells if t not in (None, "")), default=1)
    ws.row_dimensions[row].height = round(n * line_pt + 6, 1)


_fit_height = fit_height


def _fresh_sheet(wb, code: str):
    """The form sheet emptied: the old one (if any) is replaced at the same place."""
    title = SHEETS[code]
    idx = None
    if title in wb.sheetnames:
        old = wb[title]
        idx = wb.index(old)
        wb.remove(old)
    return wb.create_sheet(title, idx)


def _page_setup(ws, last_col: str, last_row: int, title_row: int, control: str = "") -> None:
    from openpyxl.worksheet.properties import PageSetupProperties

    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as it takes
    ws.page_margins.left = 0.7
    ws.page_margins.right = 0.5
    # LibreOffice gives the header (document control) and the footer (page number) the space
    # between the header/footer margin and the top/bottom margin: 0.5 in holds a 12 pt line whole
    ws.page_margins.top = 0.8
    ws.page_margins.bottom = 0.8
    ws.page_margins.header = 0.3
    ws.page_margins.footer = 0.3
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = f"{title_row}:{title_row}"
    ws.print_area = f"A1:{last_col}{last_row}"
    ws.oddFooter.center.text = "หน้า &P / &N"
    ws.oddFooter.center.font = f"{bk.FONT},Regular"
    ws.oddFooter.center.size = 12
    if control:  # document control on every printed page ("&" is a code in a header: doubled)
        ws.oddHeader.right.text = control.replace("&", "&&")
        ws.oddHeader.right.font = f"{bk.FONT},Regular"
        ws.oddHeader.right.size = 12
    ws.sheet_view.zoomScale = 90
    ws.sheet_view.showGridLines = False


def _header_block(ws, st, fields: dict[str, str], keys: tuple[str, ...], first_row: int, label_cols: int, ncols: int, widths: list[float]) -> int:
    labels = dict(INFO_FIELDS)
    r = first_row
    from openpyxl.utils import get_column_letter

    label_w = sum(widths[:label_cols])
    value_w = sum(widths[label_cols:ncols])
    for key in keys:
        lab = ws.cell(row=r, column=1, value=labels[key])
        lab.font, lab.alignment = st["head"], st["wrap"]
        val = ws.cell(row=r, column=label_cols + 1)
        bk.set_text(val, fields.get(key, ""))
        val.font, val.alignment = st["body"], st["wrap"]
        if label_cols > 1:
            ws.merge_cells(f"A{r}:{get_column_letter(label_cols)}{r}")
        ws.merge_cells(f"{get_column_letter(label_cols + 1)}{r}:{get_column_letter(ncols)}{r}")
        _fit_height(ws, r, [(labels[key], label_w), (fields.get(key, ""), value_w)])
        r += 1
    return r


def _table_header(ws, st, row: int, columns) -> None:
    from openpyxl.utils import get_column_letter

    for i, (name, width) in enumerate(columns, start=1):
        c = ws.cell(row=row, column=i, value=name)
        c.font, c.fill, c.border, c.alignment = st["head"], st["fill"], st["box"], st["center"]
        ws.column_dimensions[get_column_letter(i)].width = width
    _fit_height(ws, row, [(n, w) for n, w in columns])


def _form_top(ws, st, code: str, cols, header_spec, fields: dict[str, str]):
    """The part both forms share: the title across the table, the header fields, the table's
    header row. Returns (widths, column count, last column letter, the header row)."""
    from openpyxl.utils import get_column_letter

    widths = [w for _, w in cols]
    n = len(cols)
    last = get_column_letter(n)
    t = ws.cell(row=1, column=1, value=SHEETS[code])
    t.font, t.alignment = st["title"], st["center"]
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    head_row = _header_block(ws, st, fields, header_spec, 2, 2, n, widths) + 1
    _table_header(ws, st, head_row, cols)
    return widths, n, last, head_row


def fill_design(ws, process: Process, fields: dict[str, str]) -> None:
    """แบบฟอร์มการออกแบบกระบวนการ on ``ws`` (an empty sheet): one row per main step."""
    from openpyxl.utils import get_column_letter

    st = _styles()
    cols = DESIGN_COLUMNS
    widths, n, last, head_row = _form_top(ws, st, "form_design", cols, DESIGN_HEADER, fields)
    r = head_row + 1
    for step in _steps(process):
        subs = [s for s in process if s.step == step]
        values = [
            to_thai_digits(str(step)),
            "",  # the flow chart is drawn over this column as shapes (xlflow.flowchart)
            duration_th(sum(s.standard for s in subs)),
            "-",
            "\n".join([_step_name(process, step), *(f"{s.code} {s.name_th}" for s in subs)]),
            "\n".join(f"{s.code} {s.indicator or '-'} (ภายใน {duration_th(s.standard)})" for s in subs),
            "\n".join(f"{s.code} {s.role}" for s in subs),
        ]
        for i, v in enumerate(values, start=1):
            c = ws.cell(row=r, column=i)
            bk.set_text(c, v)
            c.font, c.border = st["body"], st["box"]
            c.alignment = st["topcenter"] if i in (1, 3, 4) else st["wrap"]
        ws.cell(row=r, column=5).font = st["body"]
        _fit_height(ws, r, list(zip(values, widths)), TEXT_LINE_PT, words=True)  # the manual's texts
        ws.row_dimensions[r].height = max(ws.row_dimensions[r].height or 0, flowchart.row_height_pt(process, step))
        r += 1
    # Where the flow chart of the manual gives other times than the sub-steps add up to.
    notes = []
    for step_no, minutes in sorted(process.flowchart.get("step_minutes", {}).items(), key=lambda kv: int(kv[0])):
        total = sum(s.standard for s in process if s.step == int(step_no))
        if total != minutes:
            notes.append(f"ขั้นตอนที่ {to_thai_digits(step_no)} ผังกระบวนการระบุ {duration_th(minutes)}")
    note = (
        "หมายเหตุ: ระยะเวลา = ผลรวมมาตรฐานเวลาของขั้นตอนย่อย (แผ่นงาน ขั้นตอนการปฏิบัติงาน)"
        + (" — คู่มือ หัวข้อ ๕ " + "; ".join(notes) if notes else "")
    )
    r += 1
    c = ws.cell(row=r, column=1, value=note)
    c.font, c.alignment = st["small"], st["wrap"]
    ws.merge_cells(f"A{r}:{last}{r}")
    _fit_height(ws, r, [(note, sum(widths))])
    r += 2
    c = ws.cell(row=r, column=1, value="สัญลักษณ์ในผังกระบวนการ")
    c.font = st["head"]
    ws.merge_cells(f"A{r}:{last}{r}")
    r += 1
    for _key, sym, label in SYMBOLS:
        s = ws.cell(row=r, column=1)  # the symbol is drawn here as the shape the chart uses
        s.font, s.alignment = st["head"], st["topcenter"]
        lab = ws.cell(row=r, column=2, value=label)
        lab.font, lab.alignment = st["body"], st["wrap"]
        ws.merge_cells(f"B{r}:{get_column_letter(5)}{r}")
        _fit_height(ws, r, [(label, sum(widths[1:5]))])
        r += 1
    _page_setup(ws, last, r - 1, head_row, doc_control_line(fields))


def flowchart_anchors(ws, process: Process) -> list[str]:
    """The design form's flow chart (and its legend's shapes) for the sheet ``ws`` as
    :func:`fill_design` filled it: its step rows found by their numbers, its legend rows by
    their labels."""
    steps = set(_steps(process))
    digits = {to_thai_digits(str(k)): k for k in steps}
    labels = {label: key for key, _, label in SYMBOLS}
    step_rows: dict[int, tuple[int, float]] = {}
    legend: dict[str, int] = {}
    below_head = False
    for row in ws.iter_rows(min_col=1, max_col=2):
        a, b = row[0].value, row[1].value
        r = row[0].row
        if a == DESIGN_COLUMNS[0][0]:
            below_head = True
        elif below_head and isinstance(a, str) and a in digits and digits[a] not in step_rows:
            step_rows[digits[a]] = (r, ws.row_dimensions[r].height or 15)
        elif isinstance(b, str) and b in labels:
            legend[labels[b]] = r
    return flowchart.anchors(process, step_rows, legend)


def add_flowchart(xlsx: Path, process: Process, ws) -> Path:
    """The workbook file ``xlsx`` (made from the openpyxl workbook holding ``ws``) with the flow
    chart drawn into its design form, as a new file beside it (``xlsx`` is removed); returns it."""
    from .ports.package import PackagePort

    xlsx = Path(xlsx)
    port = PackagePort(xlsx)
    port.set_xlflow_shapes(SHEETS["form_design"], flowchart_anchors(ws, process))
    drawn = xlsx.with_name(xlsx.stem + ".chart" + xlsx.suffix)
    port.save_to(drawn)
    xlsx.unlink()
    return drawn


def fill_steps(ws, process: Process, fields: dict[str, str]) -> None:
    """แบบฟอร์มขั้นตอนการปฏิบัติงาน on ``ws`` (an empty sheet): one row per sub-step, the main
    step's number and name on its first sub-step."""
    st = _styles()
    cols = STEPS_COLUMNS
    widths, n, last, head_row = _form_top(ws, st, "form_steps", cols, STEPS_HEADER, fields)
    r = head_row + 1
    for step in _steps(process):
        subs = [s for s in process if s.step == step]
        for k, s in enumerate(subs):
            first, final = k == 0, k == len(subs) - 1
            values = [
                str(step) if first else "",
                _step_name(process, step) if first else "",
                f"{s.code} {s.name_th}",
                s.role,
                s.indicator or "-",
                duration_th(s.standard),
                s.form or "-",
                s.reference or "-",
            ]
            for i, v in enumerate(values, start=1):
                c = ws.cell(row=r, column=i)
                bk.set_text(c, v)
                c.font = st["body"]
                c.alignment = st["topcenter"] if i in (1, 6) else st["wrap"]
                if i <= 2:  # the main step's cells read as one box over its sub-steps
                    c.border = st["box"] if first and final else st["top"] if first else st["bottom"] if final else st["sides"]
                else:
                    c.border = st["box"]
            _fit_height(ws, r, list(zip(values, widths)), TEXT_LINE_PT, words=True)  # the manual's texts
            r += 1
    _page_setup(ws, last, r - 1, head_row, doc_control_line(fields))


def fill_form_sheets(wb, process: Process, info: dict) -> None:
    """Fill the two appendix form sheets of an openpyxl workbook (made if missing, emptied
    and rewritten if present) from ``process`` and the header fields in ``info``.

    Used by ``xlflow forms`` on the register, by the evaluation workbook and by the
    ribbon's "Fill forms" button. Text from the register is stored as text, never as a
    formula.
    """
    fields = form_fields(process, info)
    fill_design(_fresh_sheet(wb, "form_design"), process, fields)
    fill_steps(_fresh_sheet(wb, "form_steps"), process, fields)


# -- the register's forms --------------------------------------------------------------------
def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def read_process_and_info(wb, path: Path | None = None) -> tuple[Process, dict[str, str]]:
    """The Process sheet (as the office edited it) and the info sheet of a loaded workbook."""
    from .errors import WorkbookError

    name = SHEETS["process"]
    if name not in wb.sheetnames:
        raise WorkbookError(
            f'{Path(path).name if path else "the workbook"}: the sheet "{name}" is missing — '
            f"the forms are made from it; copy it from a fresh register made by xlflow init"
        )
    process = Process.from_rows(schema.read_process_rows(_rows(wb[name])), sheet=name)
    info: dict[str, str] = {}
    if SHEETS["info"] in wb.sheetnames:
        for row in _rows(wb[SHEETS["info"]])[1:]:
            if row and row[0] not in (None, ""):
                info[str(row[0]).strip()] = "" if len(row) < 3 or row[2] is None else str(row[2])
    return process, info


def forms_only_workbook(process: Process, info: dict, which: str):
    """A new workbook holding only one form sheet (``form_design`` or ``form_steps``), for PDF."""
    from openpyxl import Workbook

    wb = Workbook()
    blank = wb.active
    fill_form_sheets(wb, process, info)
    wb.remove(blank)
    for code in ("form_design", "form_steps"):
        if code != which:
            wb.remove(wb[SHEETS[code]])
    wb.active = 0
    return wb


def write_forms(book_path: Path, pdf_dir: Path | None = None) -> list[Path]:
    """``xlflow forms``: fill the register's two form sheets; with ``pdf_dir``, also one PDF
    per form (made by LibreOffice from a temporary copy holding only that form).

    The forms are made in a new workbook and their sheets put into the register as parts
    (:meth:`~xlflow.ports.package.PackagePort.put_sheet`): every other part of the register
    is kept byte for byte, and what the office added to a form sheet (a signature line
    below it, a logo) stays. The register is written the safe way (refused while open in
    Excel, one xlflow writer at a time, replaced atomically with a backup). Returns the
    files written: the register, then the PDFs.
    """
    from openpyxl import Workbook

    from .ports.package import PackagePort

    book_path = Path(book_path)
    bk.check_readable(book_path)
    bk.refuse_if_open(book_path)
    bk.refuse_if_read_only(book_path)
    with bk.writer_lock(book_path), tempfile.TemporaryDirectory(prefix="xlflow-forms-") as tmp:
        port = PackagePort(book_path)
        process, info = read_process_and_info_file(book_path)
        wb = Workbook()
        blank = wb.active
        fill_form_sheets(wb, process, info)
        wb.remove(blank)
        made = Path(tmp) / "forms.xlsx"
        wb.save(made)
        source = PackagePort(made)
        for code in ("form_design", "form_steps"):
            name = SHEETS[code]
            if name not in port.sheet_names():
                port.add_sheet_part(name, source.read(source.sheet(name).part), port.sheet_names()[-1])
            port.put_sheet(name, source)
        port.set_xlflow_shapes(SHEETS["form_design"], flowchart_anchors(wb[SHEETS["form_design"]], process))
        bk.save_atomic(port, book_path)
    written = [book_path]
    if pdf_dir is not None:
        written += render_forms_pdf(process, info, Path(pdf_dir))
    return written


def read_process_and_info_file(path: Path) -> tuple[Process, dict[str, str]]:
    """The Process and info sheets of a register file (python-calamine; nothing else is read)."""
    from .errors import WorkbookError

    try:
        src = bk.LazySheets(path)
        rows = {n: src.rows(n) for n in (SHEETS["process"], SHEETS["info"]) if n in src.names}
    except WorkbookError:
        raise
    except Exception as e:  # calamine's own errors: a damaged part
        bk.check_readable(path)
        raise WorkbookError(f"{Path(path).name}: the workbook cannot be read ({type(e).__name__}: {e}) — open it in Excel and save it again, or restore a backup") from None
    name = SHEETS["process"]
    if name not in rows:
        raise WorkbookError(
            f'{Path(path).name}: the sheet "{name}" is missing — the forms are made from it; copy it from a fresh register made by xlflow init'
        )
    process = Process.from_rows(schema.read_process_rows(rows[name]), sheet=name)
    info: dict[str, str] = {}
    for row in list(rows.get(SHEETS["info"], []))[1:]:
        if row and row[0] not in (None, ""):
            info[str(row[0]).strip()] = "" if len(row) < 3 or row[2] in (None, "") else str(row[2])
    return process, info


def render_forms_pdf(process: Process, info: dict, pdf_dir: Path) -> list[Path]:
    """One PDF per form in ``pdf_dir``, named after the form (LibreOffice, or Excel on a
    Windows PC without LibreOffice: :func:`xlflow.render.to_pdf`).

    Called after the forms were filled into the register, so every refusal says that the
    register is done and only the PDFs are missing. The folder is made first, before the
    PDF program starts; a PDF held open in a viewer (Windows) is retried briefly and then
    named.
    """
    from .render import RenderError, to_pdf
    from .sharing import IN_USE, call_retrying_sharing, is_sharing_violation, make_folder

    done = "the forms were filled in the register; no PDF was written"
    pdf_dir = Path(pdf_dir)
    make_folder(pdf_dir, lambda e: RenderError(f"{pdf_dir}: cannot make the PDF folder ({e.strerror or e}) — {done}; "
                                                "give --pdf a folder you can write"),
                lambda: RenderError(f"{pdf_dir}: not a folder — {done}; give --pdf a folder"))
    with tempfile.TemporaryDirectory(prefix="xlflow-forms-") as tmp:
        srcs = []
        for code in ("form_design", "form_steps"):
            p = Path(tmp) / f"{code}.xlsx"  # ASCII names for LibreOffice; renamed below
            only = forms_only_workbook(process, info, code)
            only.save(p)
            if code == "form_design":
                add_flowchart(p, process, only[SHEETS[code]]).rename(p)
            srcs.append(p)
        made = to_pdf(srcs, Path(tmp) / "pdf")
        out = []
        for code, pdf in zip(("form_design", "form_steps"), made):
            target = pdf_dir / f"{SHEETS[code]}.pdf"
            try:
                call_retrying_sharing(target.write_bytes, pdf.read_bytes())
            except OSError as e:
                if is_sharing_violation(e):
                    raise RenderError(f"{target.name}: {IN_USE} — the forms were filled in the register; "
                                      "close the PDF (a PDF viewer?) and run the command again") from None
                raise RenderError(f"{target}: the PDF could not be written ({e.strerror or e}) — "
                                  "the forms were filled in the register; check the folder and the disk") from None
            out.append(target)
    return out
