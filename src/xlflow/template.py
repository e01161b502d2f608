"""``xlflow init``: a new, empty but complete register workbook.

Sheets as in DESIGN.md: the Register as an Excel Table (autofilter, frozen header,
validation lists, conditional formatting for due soon and overdue, a Status formula that
stays right without Python), the Log, the Process (the manual's 15 sub-steps from
``data/process.toml``), the Calendar (Thai PUBLIC + GOVERNMENT holidays of the previous,
current and next fiscal year, editable), People (every role, names to fill) and the two
appendix form sheets. TH Sarabun New throughout; where it is not installed, fontconfig
and Excel substitute a metric-compatible face (Laksaman from fonts-thai-tlwg).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from . import schema
from .book import DATE_FORMAT, DATETIME_FORMAT, FONT, backup_dir, save_atomic, status_formula
from .errors import WorkbookError
from .model import SECRECIES, STATUS_TH, URGENCIES
from .process import Process
from .schema import SHEETS, YES, NO
from .thaidate import fiscal_year
from .worktime import ANNOUNCED_LATE, OFFICE_HOURS, library_tables, thai_holidays

DATA_ROWS = 1048576  # validation and formatting cover the whole column: the table grows into it


def build(today: date, process: Process | None = None):
    """The register as an openpyxl workbook; ``today`` picks the fiscal years of the calendar."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.formatting.rule import FormulaRule
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableStyleInfo

    process = process or Process.default()
    wb = Workbook()
    # The workbook's default font (font 0 and the Normal style) is TH Sarabun New, so that the
    # cells xlflow writes later (a new Register row, a Log row) show in it too, not in Calibri.
    from openpyxl.utils.indexed_list import IndexedList

    base_font = Font(name=FONT, size=14, family=2)
    wb._fonts = IndexedList([base_font])
    wb._named_styles["Normal"].font = base_font
    head_font = Font(name=FONT, size=14, bold=True, color="FFFFFF")
    head_fill = PatternFill("solid", fgColor="1F4E78")
    body_font = Font(name=FONT, size=14)
    thin = Side(style="thin", color="A6A6A6")
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(ws, cols, title_comment=None):
        for i, c in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=i, value=c.th)
            cell.font, cell.fill = head_font, head_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            cell.comment = Comment(f"{c.en}" + (" — เขียนโดย xlflow / written by xlflow" if c.derived else ""), "xlflow")
            ws.column_dimensions[schema.col_letter(i - 1)].width = c.width
            ws.column_dimensions[schema.col_letter(i - 1)].font = body_font
        ws.freeze_panes = "B2" if ws.title == SHEETS["register"] else "A2"
        ws.row_dimensions[1].height = 42

    # Register -------------------------------------------------------------------------
    ws = wb.active
    ws.title = SHEETS["register"]
    cols = schema.REGISTER_COLUMNS
    sheet(ws, cols)
    last = schema.col_letter(len(cols) - 1)
    table = Table(displayName=schema.TABLE_NAME, ref=f"A1:{last}2")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    hm = {c.field: i for i, c in enumerate(cols)}
    L = lambda f: schema.col_letter(hm[f])  # noqa: E731
    for f in ("received_at", "started_at", "due_soon_at", "due_at", "paused_since", "completed_at"):
        ws.column_dimensions[L(f)].number_format = DATETIME_FORMAT
    for f in ("letter_date", "reply_by", "reply_date"):
        ws.column_dimensions[L(f)].number_format = DATE_FORMAT
    ws.column_dimensions[L("log_rows")].hidden = True  # xlflow's index into the Log: nobody needs to see it
    dvs = [
        ("urgency", '"' + ",".join(URGENCIES) + '"', "ชั้นความเร็ว / Urgency"),
        ("secrecy", '"' + ",".join(SECRECIES) + '"', "ชั้นความลับ / Secrecy"),
        ("status", '"' + ",".join(STATUS_TH.values()) + '"', "สถานะ / Status"),
        ("officer", f"'{SHEETS['people']}'!$A$2:$A$1000", "เจ้าหน้าที่ / Officer (from the People sheet)"),
    ]
    for f, formula, title in dvs:
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                            errorTitle=title, error="เลือกจากรายการ / pick a value from the list")
        dv.add(f"{L(f)}2:{L(f)}{DATA_ROWS}")
        ws.add_data_validation(dv)
    rng = f"A2:{last}{DATA_ROWS}"
    st = f"${L('status')}2"
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{st}="{STATUS_TH["overdue"]}"'], fill=PatternFill("solid", bgColor="F8CBAD"), font=Font(color="9C0006")))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{st}="{STATUS_TH["due_soon"]}"'], fill=PatternFill("solid", bgColor="FFEB9C")))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{st}="{STATUS_TH["paused"]}"'], fill=PatternFill("solid", bgColor="D9D9D9")))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{st}="{STATUS_TH["done"]}"'], font=Font(color="548235")))
    # ended early (issue 18): cancelled struck through in grey, closed green like done, sent on in blue
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{st}="{STATUS_TH["cancelled"]}"'], font=Font(color="808080", strike=True)))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{st}="{STATUS_TH["closed"]}"'], font=Font(color="548235", italic=True)))
    ws.conditional_formatting.add(rng, FormulaRule(formula=[f'{st}="{STATUS_TH["forwarded"]}"'], font=Font(color="2F5597", italic=True)))
    ws.cell(row=2, column=hm["status"] + 1, value=status_formula(2, hm))
    # printed as an office prints its register: A4 landscape, the header row on every page, the
    # page number in the footer, and the official register's columns (เลขทะเบียนรับ … หมายเหตุ,
    # with the receipt, urgency, secrecy and reply-by date) on two pages' width, side by side
    # (across, then down), the registration number on both. The workflow's columns are the
    # screen's: all thirty on one page's width print at 3 pt, the twelve at 6; two pages hold
    # them at 10 to 11 pt
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 2, 0
    ws.page_setup.pageOrder = "overThenDown"
    ws.print_title_rows, ws.print_title_cols = "1:1", "A:A"
    ws.print_area = f"A1:{L(schema.PRINTED_THROUGH)}1048576"  # every row, as the register grows
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom, ws.page_margins.footer = 0.6, 0.7, 0.3
    ws.oddFooter.center.text = "&P / &N"
    ws.oddFooter.center.font = f"{FONT},Regular"
    ws.oddFooter.center.size = 12

    # Log --------------------------------------------------------------------------------
    lg = wb.create_sheet(SHEETS["log"])
    sheet(lg, schema.LOG_COLUMNS)
    lg.auto_filter.ref = f"A1:{schema.col_letter(len(schema.LOG_COLUMNS) - 1)}1"
    lg.column_dimensions["E"].number_format = "yyyy-mm-dd hh:mm:ss"
    lg.sheet_properties.tabColor = "7F7F7F"

    # Process ----------------------------------------------------------------------------
    pr = wb.create_sheet(SHEETS["process"])
    pcols = schema.PROCESS_HEADERS
    for i, c in enumerate(pcols, start=1):
        cell = pr.cell(row=1, column=i, value=c.th)
        cell.font, cell.fill = head_font, head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.comment = Comment(c.en, "xlflow")
    widths = {"code": 7, "step": 8, "name_th": 45, "name_en": 35, "role": 28, "standard": 12, "indicator": 35, "reference": 30, "form": 18, "next": 10, "reject_to": 12, "requires": 12, "follow_up": 30, "source": 26, "target": 12}
    for i, c in enumerate(pcols):
        pr.column_dimensions[schema.col_letter(i)].width = widths.get(c.field, 14)
    from .forms import TEXT_LINE_PT, fit_height

    for r, s in enumerate(process.substeps, start=2):
        for i, c in enumerate(pcols, start=1):
            v = getattr(s, c.field)
            cell = pr.cell(row=r, column=i, value=v if v != "" else None)
            cell.font, cell.alignment = body_font, wrap
            cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        # the manual's texts run long (2.1, 4.1): each row as tall as its longest wrapped cell
        fit_height(pr, r, [(getattr(s, c.field), widths.get(c.field, 14)) for c in pcols], TEXT_LINE_PT, words=True)
    pr.freeze_panes = "C2"
    note_r = len(process.substeps) + 3
    pr.cell(row=note_r, column=1, value="ความไม่สอดคล้องในคู่มือ / Where the manual contradicts itself (xlflow times the work instruction, section ๖):").font = Font(name=FONT, size=14, bold=True)
    for k, line in enumerate(process.inconsistencies(), start=1):
        pr.cell(row=note_r + k, column=1, value="• " + line).font = body_font

    # Calendar ---------------------------------------------------------------------------
    ca = wb.create_sheet(SHEETS["calendar"])
    sheet(ca, schema.CALENDAR_COLUMNS)
    fy = fiscal_year(today)
    years = range(fy - 1 - 543 - 1, fy + 1 - 543 + 1)  # CE years spanning FY-1 .. FY+1
    start, end = date(fy - 1 - 543 - 1, 10, 1), date(fy + 1 - 543, 9, 30)
    days = [h for h in thai_holidays(years) if start <= h.day <= end]
    rows = [(h.day, h.day, h.name, YES if h.off else NO, h.source + ("" if h.off else " — วันหยุดภาคเอกชน ราชการเปิดทำการ (private-sector holiday)"))
            for h in days]
    # a day the holidays library does not table for a year (วันพืชมงคล after 2026): a row to fill in
    for y in years:
        for en_part, _, name_th, name_en, month in ANNOUNCED_LATE:
            first = date(y, month, 1)
            if start <= first <= end and not library_tables(en_part, y):
                rows.append((first, None, f"{name_th} {y + 543} ({name_en} {y})", YES, schema.TO_ANNOUNCE))
    rows.sort(key=lambda x: x[0])
    for r, (_, day, name, off, source) in enumerate(rows, start=2):
        if day is not None:
            ca.cell(row=r, column=1, value=day).number_format = DATE_FORMAT
        else:
            ca.cell(row=r, column=1).number_format = DATE_FORMAT
        ca.cell(row=r, column=2, value=name)
        ca.cell(row=r, column=3, value=off)
        ca.cell(row=r, column=4, value=source)
        for c in range(1, 5):
            ca.cell(row=r, column=c).font = body_font
    dv = DataValidation(type="list", formula1=f'"{YES},{NO}"', allow_blank=True)
    dv.add(f"C2:C{DATA_ROWS}")
    ca.add_data_validation(dv)
    hc = schema.HOURS_COL + 1
    for i, (txt, w) in enumerate((("ช่วงเวลาทำการ / Office hours", 26), ("เริ่ม / From", 10), ("ถึง / To", 10))):
        cell = ca.cell(row=1, column=hc + i, value=txt)
        cell.font, cell.fill = head_font, head_fill
        ca.column_dimensions[schema.col_letter(hc - 1 + i)].width = w
    for r, (label, (s, e)) in enumerate(zip(("เช้า / morning", "บ่าย / afternoon"), OFFICE_HOURS), start=2):
        ca.cell(row=r, column=hc, value=label).font = body_font
        for k, t in enumerate((s, e), start=1):
            c = ca.cell(row=r, column=hc + k, value=t)
            c.number_format = "hh:mm"
            c.font = body_font
    ca.cell(row=5, column=hc, value="วันทำการ: จันทร์–ศุกร์ เว้นวันหยุดที่ 'หยุดราชการ' = ใช่ / Working days: Mon–Fri except days marked ใช่").font = Font(name=FONT, size=12, italic=True)
    ca.cell(row=6, column=hc, value=f"ปีงบประมาณ {fy - 1}–{fy + 1}: เพิ่มวันหยุดที่ ครม. ประกาศเพิ่มได้ในตารางนี้ / add cabinet days here").font = Font(name=FONT, size=12, italic=True)

    # People -----------------------------------------------------------------------------
    pe = wb.create_sheet(SHEETS["people"])
    sheet(pe, schema.PEOPLE_COLUMNS)
    for r, role in enumerate(process.roles, start=2):
        pe.cell(row=r, column=2, value=role.name_th).font = body_font
    # Info (process facts, form header fields, role list for validation) -----------------
    inf = wb.create_sheet(SHEETS["info"])
    for i, (txt, w) in enumerate((("key", 14), ("รายการ / Field", 36), ("ค่า / Value", 90)), start=1):
        cell = inf.cell(row=1, column=i, value=txt)
        cell.font, cell.fill = head_font, head_fill
        inf.column_dimensions[schema.col_letter(i - 1)].width = w
    fd = process.form_defaults
    defaults = {
        "process_name": process.meta.get("name_th", ""),
        "strategy": fd.get("strategy_th", ""),
        "mission": fd.get("mission_th", ""),
        "needs": fd.get("needs_th", ""),
        "indicators": fd.get("indicators_th", ""),
        "constraints": fd.get("constraints_th", ""),
        "prepared_by": fd.get("prepared_by_th", ""),
        "unit": fd.get("unit_th", ""),
        **schema.DOC_CONTROL_DEFAULTS,
    }
    rows = [*((k, th, defaults[k]) for k, th in schema.INFO_FIELDS), ("calendar_fy", "ปีงบประมาณของปฏิทิน (calendar made for FY)", str(fy))]
    for r, (k, th, v) in enumerate(rows, start=2):
        inf.cell(row=r, column=1, value=k).font = body_font
        inf.cell(row=r, column=2, value=th).font = body_font
        c = inf.cell(row=r, column=3, value=v)
        c.font, c.alignment = body_font, wrap
    inf.cell(row=1, column=5, value="บทบาท / Roles").font = Font(name=FONT, size=14, bold=True)
    for r, role in enumerate(process.roles, start=2):
        inf.cell(row=r, column=5, value=role.name_th).font = body_font
    inf.column_dimensions["E"].width = 30
    dvr = DataValidation(type="list", formula1=f"'{SHEETS['info']}'!$E$2:$E${len(process.roles) + 1}", allow_blank=True)
    dvr.add(f"B2:B{DATA_ROWS}")
    pe.add_data_validation(dvr)

    # Appendix forms: filled by `xlflow forms` ------------------------------------------
    for code in ("form_design", "form_steps"):
        f = wb.create_sheet(SHEETS[code])
        f.cell(row=1, column=1, value=SHEETS[code]).font = Font(name=FONT, size=16, bold=True)
        f.cell(row=2, column=1, value="กรอกโดยคำสั่ง xlflow forms / filled by `xlflow forms`").font = body_font
        f.page_setup.paperSize = f.PAPERSIZE_A4
    for w in wb.worksheets:
        w.sheet_view.zoomScale = 90
    wb.properties.creator = "xlflow"
    wb.properties.title = "ทะเบียนหนังสือรับ — " + process.meta.get("name_th", "")
    return wb


def init(path: Path, today: date | None = None, force: bool = False, with_id: bool = True) -> Path:
    """Write a new register at ``path``. An existing file is refused unless ``force``;
    even then its old content is copied into the backups folder first.

    ``with_id=False`` leaves the register without its id, as the shipped workbook is (every
    office's copy of it gets an id of its own at its first write)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{path.name}: the register must be an .xlsx file — give a name ending in .xlsx")
    if path.exists():
        if not force:
            raise WorkbookError(f"{path} already exists — nothing was changed; use --force to replace it (a backup is kept in {backup_dir(path).name})")
    if not path.parent.exists():
        raise WorkbookError(f"{path.parent}: no such folder — create it first")
    wb = build(today or date.today())
    wb.properties.created = datetime(2026, 1, 1)  # fixed, so the same init makes the same content
    from openpyxl.workbook.defined_name import DefinedName

    from .ports.package import REGISTER_ID, new_register_id

    if with_id:
        wb.defined_names[REGISTER_ID] = DefinedName(REGISTER_ID, attr_text=f'"{new_register_id()}"', hidden=True)
    save_atomic(wb, path)  # keeps a backup of a replaced file
    return path
