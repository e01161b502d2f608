"""Generate the corpus of broken registers that ``tests/test_corpus.py`` runs every command on.

Nothing binary is committed: every file is made here, from a good register built with
xlflow itself (``xlflow init`` and three registered letters), then broken the way offices
break them — dates typed as text (some valid, some not), merged cells, blank rows, renamed
sheets, moved or missing columns, duplicate numbers, formulas and ``#REF!`` where values
belong, a Process sheet with a loop, a Calendar with text for a date, a Log edited by hand,
files that are not workbooks at all (empty, cut off, password-protected, ``.xls`` or ``.ods``
renamed to ``.xlsx``), a workbook Excel has open, a read-only file and a Thai path with
spaces.

Usage::

    python tests/corpus/make_corpus.py OUTDIR            # every case, LibreOffice ones too
    python tests/corpus/make_corpus.py OUTDIR --no-soffice

The password-protected workbook is real ECMA-376 Agile encryption (what Excel writes for
File → Info → Protect Workbook → Encrypt with Password), made with ``msoffcrypto-tool``.
The ``.xls`` and ``.ods`` files are made by LibreOffice headless (``soffice --convert-to``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

TODAY = date(2026, 11, 25)
SUBJECTS = ("เชิญประชุมคณะทำงานความร่วมมือด้านแรงงาน", "ขอข้อมูลแรงงานต่างด้าว", "ขอความเห็นร่างบันทึกความเข้าใจ")
OFFICER = "นางสาวสมศรี ใจดี"
OFFICER_EMAIL = "somsri@mol.go.th"

# Sheet XML members as openpyxl writes them, in the template's sheet order.
XML = {
    "register": "xl/worksheets/sheet1.xml",
    "log": "xl/worksheets/sheet2.xml",
    "process": "xl/worksheets/sheet3.xml",
    "calendar": "xl/worksheets/sheet4.xml",
    "people": "xl/worksheets/sheet5.xml",
}


@dataclass(frozen=True)
class Case:
    """One broken (or surprisingly fine) input: its file and what was done to it."""

    name: str
    path: Path
    what: str


# -- the good register everything starts from ----------------------------------------------
def make_base(path: Path) -> Path:
    """A register with People filled and three letters: 1/2569 at 1.3, 2/2569 and 3/2569 at 1.2."""
    import openpyxl

    from xlflow import service
    from xlflow.schema import SHEETS
    from xlflow.template import init

    init(path, today=TODAY)
    wb = openpyxl.load_workbook(path)
    pe = wb[SHEETS["people"]]
    for r in range(2, pe.max_row + 1):
        if pe.cell(r, 2).value == "เจ้าหน้าที่ วท. ที่รับผิดชอบ":
            pe.cell(r, 1).value = OFFICER
            pe.cell(r, 3).value = "วท."
            pe.cell(r, 4).value = OFFICER_EMAIL
        if pe.cell(r, 2).value == "ผอ.วท.":
            pe.cell(r, 1).value = "นายวิชัย รักงาน"
            pe.cell(r, 4).value = "wichai@mol.go.th"
    wb.save(path)
    for i, subject in enumerate(SUBJECTS):
        service.register_letter(path, at=datetime(2026, 11, 25, 9, 5 * i), by="clerk", subject=subject, sender="สถานเอกอัครราชทูต")
    service.perform(path, "1/2569", "assign", at=datetime(2026, 11, 25, 9, 20), by="ผอ.สปร.", unit="วท.")
    service.perform(path, "1/2569", "advance", at=datetime(2026, 11, 25, 9, 30), by="clerk")
    shutil.rmtree(path.with_name(".xlflow-backups"), ignore_errors=True)
    return path


# -- helpers that break a copy ---------------------------------------------------------------
def _edit(src: Path, dst: Path, fn) -> Path:
    """Copy ``src`` to ``dst`` through openpyxl, calling ``fn(wb)`` to break it."""
    import openpyxl

    wb = openpyxl.load_workbook(src)
    fn(wb)
    wb.save(dst)
    return dst


def _cells(sheet: str, **values):
    """An edit that sets cells of one sheet: ``_cells("register", B3="31/02/2569")``."""

    def fn(wb):
        from xlflow.schema import SHEETS

        ws = wb[SHEETS[sheet]]
        for ref, v in values.items():
            ws[ref].value = v
            if isinstance(v, str) and v.startswith("="):
                ws[ref].data_type = "s"

    return fn


def _patch_xml(path: Path, member: str, fn) -> Path:
    """Rewrite one part of the zip in place with ``fn(text) -> text``."""
    with zipfile.ZipFile(path) as z:
        parts = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in parts:
            if info.filename == member:
                data = fn(data.decode("utf-8")).encode("utf-8")
            z.writestr(info, data)
    return path


def _set_cell_xml(path: Path, sheet: str, ref: str, inner: str, attrs: str = "") -> Path:
    """Replace cell ``ref`` of a sheet with raw XML, as Excel saves it (formula + cached value)."""

    def fn(text: str) -> str:
        pat = re.compile(rf'<c r="{ref}"(?P<a>[^>]*?)(?:/>|>.*?</c>)', re.S)
        m = pat.search(text)
        if not m:
            raise ValueError(f"cell {ref} not in {sheet}")
        style = re.search(r'\bs="\d+"', m["a"])
        new = f'<c r="{ref}"{" " + style.group(0) if style else ""}{attrs}>{inner}</c>'
        return text[: m.start()] + new + text[m.end():]

    return _patch_xml(path, XML[sheet], fn)


def _rename_sheet(old_code: str, new: str):
    def fn(wb):
        from xlflow.schema import SHEETS

        wb[SHEETS[old_code]].title = new

    return fn


def _delete_sheet(code: str):
    def fn(wb):
        from xlflow.schema import SHEETS

        del wb[SHEETS[code]]

    return fn


def _swap_columns(code: str, a: int, b: int):
    """Swap two whole columns (1-based) of a sheet: a reordered register."""

    def fn(wb):
        from xlflow.schema import SHEETS

        ws = wb[SHEETS[code]]
        for r in range(1, ws.max_row + 1):
            ca, cb = ws.cell(r, a), ws.cell(r, b)
            va, vb = ca.value, cb.value
            fa, fb = ca.number_format, cb.number_format
            ca.value, cb.value = vb, va
            ca.number_format, cb.number_format = fb, fa

    return fn


def _clear_row(code: str, row: int):
    def fn(wb):
        from xlflow.schema import SHEETS

        ws = wb[SHEETS[code]]
        for c in range(1, ws.max_column + 1):
            ws.cell(row, c).value = None

    return fn


def _move_rows_down(code: str, first: int, by: int):
    """Blank rows in the middle: rows from ``first`` moved ``by`` rows down."""

    def fn(wb):
        from xlflow.schema import SHEETS

        ws = wb[SHEETS[code]]
        ws.move_range(f"A{first}:X{ws.max_row}", rows=by)
        for t in ws.tables.values():
            t.ref = f"A1:X{ws.max_row}"
            t.autoFilter.ref = t.ref

    return fn


def _delete_cols(code: str, idx: int):
    def fn(wb):
        from xlflow.schema import SHEETS

        ws = wb[SHEETS[code]]
        ws.tables.clear() if code == "register" else None
        ws.delete_cols(idx)

    return fn


def _merge(code: str, rng: str):
    def fn(wb):
        from xlflow.schema import SHEETS

        wb[SHEETS[code]].merge_cells(rng)

    return fn


def _seq(*fns):
    def fn(wb):
        for f in fns:
            f(wb)

    return fn


def _process_edit(code: str, field: str, value):
    """Set one field of one sub-step row in the Process sheet."""

    def fn(wb):
        from xlflow import schema
        from xlflow.schema import SHEETS

        ws = wb[SHEETS["process"]]
        col = [c.field for c in schema.PROCESS_HEADERS].index(field) + 1
        for r in range(2, ws.max_row + 1):
            if ws.cell(r, 1).value == code:
                ws.cell(r, col).value = value
                return
        raise ValueError(code)

    return fn


def _append_log_row(values: list):
    def fn(wb):
        from xlflow.schema import SHEETS

        ws = wb[SHEETS["log"]]
        ws.append(values)

    return fn


def _insert_log_copy(row: int):
    """A log row copied by hand and pasted again below (an inserted row)."""

    def fn(wb):
        from xlflow.schema import SHEETS

        ws = wb[SHEETS["log"]]
        vals = [c.value for c in ws[row]]
        ws.insert_rows(row + 1)
        for c, v in enumerate(vals, start=1):
            ws.cell(row + 1, c).value = v

    return fn


# -- the corpus ------------------------------------------------------------------------------
def make_corpus(out: Path, soffice: bool = True) -> dict[str, Case]:
    """Write every case into ``out``; returns them by name."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    base = make_base(out / "_base.xlsx")
    cases: dict[str, Case] = {}

    def add(name: str, what: str, fn=None, *, xml: list[tuple] = (), path: Path | None = None) -> Path:
        p = path or (out / f"{name}.xlsx")
        if fn is not None or xml:
            _edit(base, p, fn or (lambda wb: None))
        for sheet, ref, inner, attrs in xml:
            _set_cell_xml(p, sheet, ref, inner, attrs)
        cases[name] = Case(name, p, what)
        return p

    R = "register"
    # Dates typed as text: these must work.
    add("date_text_be", "received time typed as text, BE year", _cells(R, B3="25/11/2569 09:07"))
    add("date_text_ce", "received time typed as text, CE year", _cells(R, B3="25/11/2026 09:07"))
    add("date_text_thai_digits", "received time in Thai digits", _cells(R, B3="๒๕/๑๑/๒๕๖๙ ๐๙:๐๗"))
    add("date_text_thai_month", "received time with a Thai month name and น.", _cells(R, B3="25 พ.ย. 2569 9.07 น."))
    add("date_text_iso", "received time typed as ISO text", _cells(R, B3="2026-11-25 09:07"))
    add("date_text_short_be", "reply-by with a two-digit BE year", _cells(R, J3="30/11/69"))
    add("letter_date_thai_words", "letter date in words", _cells(R, D3="วันที่ 20 พฤศจิกายน 2569"))
    add("reply_by_thai_digits", "reply-by in Thai digits", _cells(R, J3="๓๐/๑๑/๒๕๖๙"))
    add("reply_by_ce_text", "reply-by typed with a CE year", _cells(R, J3="30/11/2026"))
    add("reply_by_serial", "reply-by as a bare Excel serial number", _cells(R, J3=46356))
    # Dates typed as text: these must be refused, naming the cell.
    add("date_31_feb", "received 31/02/2569", _cells(R, B3="31/02/2569 09:00"))
    add("date_31_feb_thai_digits", "letter date ๓๑/๐๒/๒๕๖๙", _cells(R, D3="๓๑/๐๒/๒๕๖๙"))
    add("date_30_feb_reply", "reply-by 30/02/2570", _cells(R, J3="30/02/2570"))
    add("date_month_13", "letter date 12/13/2569 (month and day swapped)", _cells(R, D3="12/13/2569"))
    add("date_words", "received 'เมื่อวาน'", _cells(R, B3="เมื่อวาน"))
    add("date_three_digit_year", "letter date 25/11/569", _cells(R, D3="25/11/569"))
    add("date_year_2300", "letter date in year 2300", _cells(R, D3="25/11/2300"))
    add("date_wrong_weekday", "letter date with the wrong weekday", _cells(R, D3="วันจันทร์ที่ 25 พ.ย. 2569"))
    add("date_be_as_ce_value", "a real date in year 2569 CE: a BE year typed into a CE date cell", _cells(R, J3=datetime(2569, 11, 30)))
    add("received_be_as_ce_value", "received time stored as a date in 2569 CE", _cells(R, B3=datetime(2569, 11, 25, 9, 7)))
    add("item_ce_year", "a registration number with a CE year (4/2026)",
        _cells(R, A5="4/2026", B5=datetime(2026, 11, 25, 10), G5="พิมพ์เพิ่มเอง"))
    add("received_empty", "received time deleted", _cells(R, B3=None))
    add("item_empty", "registration number deleted", _cells(R, A3=None))
    add("urgency_unknown", "urgency not in the list", _cells(R, H3="ด่วนจี๋"))
    add("item_as_date", "Excel turned the registration number into a date", _cells(R, A3=datetime(2569, 2, 1)))
    # Table structure.
    add("merged_subject", "two subjects merged (G3:G4)", _merge(R, "G3:G4"))
    add("merged_derived", "the sub-step cells of two items merged (O3:O4)", _merge(R, "O3:O4"))
    add("merged_items", "registration numbers of two rows merged (A3:A4)", _merge(R, "A3:A4"))
    add("merged_header", "header cells merged (A1:B1)", _merge(R, "A1:B1"))
    add("blank_rows", "three blank rows in the middle of the table", _move_rows_down(R, 3, 3))
    add("blank_row_cleared", "a row emptied by hand (its letter still in the Log)", _clear_row(R, 3))
    add("sheet_renamed", "the Register sheet renamed to 'Register'", _rename_sheet(R, "Register"))
    add("sheet_renamed_space", "the Log sheet renamed with a trailing space", _rename_sheet("log", "บันทึกการดำเนินงาน "))
    add("sheet_missing_log", "the Log sheet deleted", _delete_sheet("log"))
    add("sheet_missing_process", "the Process sheet deleted", _delete_sheet("process"))
    add("sheet_missing_calendar", "the Calendar sheet deleted", _delete_sheet("calendar"))
    add("sheet_missing_people", "the People sheet deleted", _delete_sheet("people"))
    add("column_missing_subject", "the subject column deleted", _delete_cols(R, 7))
    add("column_missing_log_hash", "the Log's hash column deleted", _delete_cols("log", 9))
    add("columns_reordered", "subject and letter-number columns swapped; sub-step and unit swapped",
        _seq(_swap_columns(R, 3, 7), _swap_columns(R, 13, 15)))
    add("columns_reordered_log", "the Log's note and by columns swapped", _swap_columns("log", 6, 7))
    add("header_english", "Register headers retyped in English", _cells(R, A1="Registration no.", B1="Received at", G1="Subject"))
    add("duplicate_number", "a row copied: 2/2569 twice", _cells(R, A4="2/2569"))
    add("officer_not_in_people", "the officer assigned to 1/2569 was deleted from People",
        _seq(lambda wb: None))  # filled below, once the officer is assigned
    add("people_bad_email", "an email address with a space in People", _cells("people", D7="somsri at mol.go.th"))
    add("people_no_name", "a People row with an email but no name", _cells("people", A2=None, D2="x@mol.go.th"))
    # Formulas and errors where values belong (as Excel saves them: formula and cached value).
    add("formula_received", "=TODAY() in the received time (cached value)", _cells(R),
        xml=[(R, "B3", "<f>TODAY()</f><v>46351</v>", "")])
    add("formula_subject", "a formula in the subject (cached text)", _cells(R),
        xml=[(R, "G3", "<f>\"ขอข้อมูล\"&amp;\"แรงงาน\"</f><v>ขอข้อมูลแรงงาน</v>", ' t="str"')])
    add("ref_error_received", "#REF! in the received time", _cells(R),
        xml=[(R, "B3", "<f>#REF!+1</f><v>#REF!</v>", ' t="e"')])
    add("ref_error_log", "#REF! in a Log time", _cells("log"),
        xml=[("log", "E3", "<f>#REF!</f><v>#REF!</v>", ' t="e"')])
    add("ref_error_calendar", "#REF! in a Calendar date", _cells("calendar"),
        xml=[("calendar", "A3", "<f>#REF!</f><v>#REF!</v>", ' t="e"')])
    # Process and Calendar edited into nonsense.
    add("process_loop", "4.2 sends the work back to 3.1: a loop with no way out", _process_edit("4.2", "next", "3.1"))
    add("process_unknown_next", "1.3 continues to 9.9, which does not exist", _process_edit("1.3", "next", "9.9"))
    add("process_standard_text", "a time standard typed in words", _process_edit("2.1", "standard", "สองชั่วโมง"))
    add("process_missing_column", "the Process sheet lost its Next column", _delete_cols("process", 10))
    add("calendar_text_date", "text in the Calendar's date column", _cells("calendar", A3="วันหยุดพิเศษ"))
    add("calendar_31_april", "31/04/2569 in the Calendar", _cells("calendar", A4="31/04/2569"))
    add("calendar_text_date_valid", "a holiday typed as Thai text (valid)", _cells("calendar", A60="๓๐/๑๒/๒๕๖๙", B60="วันหยุดพิเศษ (ครม.)", C60="ใช่"))
    add("calendar_hours_text", "office hours typed in words", _cells("calendar", G2="แปดโมงครึ่ง"))
    # The Log edited by hand.
    add("log_edited", "a Log row's note edited", _cells("log", G3="แก้ไขเอง"))
    add("log_deleted", "a Log row deleted", lambda wb: wb[__import__("xlflow.schema").schema.SHEETS["log"]].delete_rows(3))
    add("log_inserted", "a Log row pasted twice", _insert_log_copy(3))
    add("log_bad_action", "a Log action retyped", _cells("log", D3="approve?"))
    add("log_bad_data", "a Log data cell retyped", _cells("log", H5="หน่วยงาน วท."))
    add("log_text_time", "a Log time typed as text", _cells("log", E3="25/11/2569 09:05"))
    add("register_row_deleted", "a Register row deleted (its letter still in the Log)",
        lambda wb: wb[__import__("xlflow.schema").schema.SHEETS["register"]].delete_rows(3))
    add("register_row_typed", "a letter typed into the Register by hand (not in the Log)",
        _cells(R, A5="4/2569", B5=datetime(2026, 11, 25, 10), G5="พิมพ์เอง"))
    add("register_header_only", "an empty register (header row only)", lambda wb: None)
    add("register_empty_sheet", "the Register sheet emptied, header and all",
        lambda wb: wb[__import__("xlflow.schema").schema.SHEETS["register"]].delete_rows(1, 10))
    # Files that are not workbooks, or not as expected.
    p = out / "zero_byte.xlsx"
    p.write_bytes(b"")
    cases["zero_byte"] = Case("zero_byte", p, "a zero-byte file")
    p = out / "truncated.xlsx"
    p.write_bytes(base.read_bytes()[: base.stat().st_size // 2])
    cases["truncated"] = Case("truncated", p, "a zip cut off half way")
    p = out / "text_file.xlsx"
    p.write_text("เลขทะเบียนรับ,เรื่อง\n1/2569,ทดสอบ\n", encoding="utf-8")
    cases["text_file"] = Case("text_file", p, "a CSV file named .xlsx")
    p = out / "docx_zip.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    cases["docx_zip"] = Case("docx_zip", p, "a Word document named .xlsx")
    p = out / "broken_xml.xlsx"
    shutil.copy(base, p)
    _patch_xml(p, XML["register"], lambda t: t[: len(t) // 2])
    cases["broken_xml"] = Case("broken_xml", p, "the Register's XML cut off inside an intact zip")
    p = out / "password.xlsx"
    _encrypt(base, p, "1234")
    cases["password"] = Case("password", p, "a workbook encrypted with a password (ECMA-376 Agile, msoffcrypto-tool)")
    p = out / "folder.xlsx"
    p.mkdir(exist_ok=True)
    cases["folder"] = Case("folder", p, "a folder named .xlsx")
    cases["missing_file"] = Case("missing_file", out / "ไม่มีไฟล์นี้.xlsx", "a path to no file")
    # Open in Excel / LibreOffice; read-only; Thai path with spaces.
    p = add("open_in_excel", "Excel has it open (~$ owner file)", lambda wb: None)
    p.with_name("~$" + p.name).write_bytes(_excel_owner_file("somsri"))
    p = add("open_in_libreoffice", "LibreOffice has it open (.~lock file)", lambda wb: None)
    p.with_name(".~lock." + p.name + "#").write_text("somsri,somsri,PC-01,25.11.2026 09:40,file:///home/somsri/.config/libreoffice/4;\n", encoding="utf-8")
    p = add("read_only", "the file is marked read-only", lambda wb: None)
    p.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    thai = out / "ทะเบียน สปร วท" / "ทะเบียนหนังสือรับ ปี 2569.xlsx"
    thai.parent.mkdir(exist_ok=True)
    shutil.copy(base, thai)
    cases["thai_path"] = Case("thai_path", thai, "a path with Thai letters and spaces")

    # The officer assigned to 1/2569 at 1.5 is not in People: assign through xlflow, then delete the person.
    _officer_case(cases["officer_not_in_people"].path, base)

    if soffice:
        for name, p in _libreoffice_copies(base, out).items():
            cases[name] = Case(name, p, f"an .{name.split('_')[0]} file renamed to .xlsx (LibreOffice --convert-to)")
    return cases


def _officer_case(p: Path, base: Path) -> None:
    import openpyxl

    from xlflow import service
    from xlflow.schema import SHEETS

    shutil.copy(base, p)
    for at in ((9, 40), (9, 50)):
        service.perform(p, "1/2569", "advance", at=datetime(2026, 11, 25, *at), by="clerk")  # 1.3 → 1.4 → 1.5
    service.perform(p, "1/2569", "assign", at=datetime(2026, 11, 25, 10, 0), by="ผอ.วท.", officer=OFFICER)
    wb = openpyxl.load_workbook(p)
    pe = wb[SHEETS["people"]]
    for r in range(2, pe.max_row + 1):
        if pe.cell(r, 1).value == OFFICER:
            pe.cell(r, 1).value = None
            pe.cell(r, 4).value = None
    wb.save(p)
    shutil.rmtree(p.with_name(".xlflow-backups"), ignore_errors=True)


def _excel_owner_file(user: str) -> bytes:
    """The ``~$`` owner file Excel writes beside an open workbook (165 bytes, user name twice)."""
    a = user.encode("latin-1")[:53]
    head = bytes([len(a)]) + a.ljust(53, b" ")
    wide = user.encode("utf-16-le")
    tail = bytes([len(user), 0]) + (wide + " ".encode("utf-16-le") * 55)[:110]
    return (head + tail).ljust(165, b" ")


def _encrypt(src: Path, dst: Path, password: str) -> None:
    """Encrypt with a password as Excel does (ECMA-376 Agile encryption in a CFB container)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(src, "rb") as f:
        plain = OOXMLFile(f)
        buf = io.BytesIO()
        plain.encrypt(password, buf)
    dst.write_bytes(buf.getvalue())


def _libreoffice_copies(base: Path, out: Path) -> dict[str, Path]:
    """``.xls`` and ``.ods`` made from the base by LibreOffice headless, renamed to ``.xlsx``."""
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    made: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "register.xlsx"
        shutil.copy(base, src)
        profile = Path(tmp) / "profile"
        for fmt in ("xls", "ods"):
            subprocess.run(
                [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore", "--convert-to", fmt, "--outdir", tmp, str(src)],
                check=True, capture_output=True, timeout=240,
            )
            dst = out / f"{fmt}_renamed.xlsx"
            shutil.copy(Path(tmp) / f"register.{fmt}", dst)
            made[f"{fmt}_renamed"] = dst
    return made


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    cases = make_corpus(Path(argv[0]), soffice="--no-soffice" not in argv)
    for c in cases.values():
        print(f"{c.name:32} {c.what}")
    print(f"{len(cases)} cases in {argv[0]}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
