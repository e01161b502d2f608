"""``xlflow init``: the register workbook, the shipped copy, and a Status that LibreOffice computes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl

from xlflow.ports.package import REGISTER_ID
import pytest

from xlflow import book, schema, template
from xlflow.book import FONT
from xlflow.process import Process
from xlflow.schema import REGISTER_COLUMNS, SHEETS, TABLE_NAME
from xlflow.worktime import BKK

HERE = Path(__file__).parent
SHIPPED = HERE.parent / "workbook" / "Coordination_Register.xlsx"
REG = SHEETS["register"]
COL = {c.field: schema.col_letter(i) for i, c in enumerate(REGISTER_COLUMNS)}


def snapshot(path) -> dict:
    """The CONTENT of a workbook: per sheet, its cell values, merged ranges, tables, data
    validations, conditional formatting and frozen panes — not its bytes."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames, "defined_names": sorted(wb.defined_names)}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "tables": {n: ws.tables[n].ref for n in ws.tables},
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation),
            "conditional": sorted((str(cf.sqref), tuple(tuple(r.formula or ()) for r in cf.rules)) for cf in ws.conditional_formatting),
            "freeze": ws.freeze_panes,
        }
    return out


# -- the workbook init makes ---------------------------------------------------------------------------
def test_init_writes_every_sheet_in_order(register_book):
    assert openpyxl.load_workbook(register_book).sheetnames == [
        "ทะเบียนหนังสือรับ", "บันทึกการดำเนินงาน", "ขั้นตอนการปฏิบัติงาน", "วันหยุดราชการ", "ผู้รับผิดชอบ",
        "ข้อมูลกระบวนการ", "แบบฟอร์มการออกแบบกระบวนการ", "แบบฟอร์มขั้นตอนการปฏิบัติงาน",
    ]


def test_register_is_an_excel_table_with_autofilter_and_frozen_header(register_book):
    ws = openpyxl.load_workbook(register_book)[REG]
    table = ws.tables[TABLE_NAME]
    last = schema.col_letter(len(REGISTER_COLUMNS) - 1)
    assert table.ref == f"A1:{last}2"
    assert table.autoFilter is not None and table.autoFilter.ref == f"A1:{last}2"
    assert [c.value for c in ws[1]] == [c.th for c in REGISTER_COLUMNS]
    assert ws.freeze_panes == "B2"  # the header row and the registration number stay in view


def test_register_has_validation_lists_for_urgency_secrecy_status_and_officer(register_book):
    ws = openpyxl.load_workbook(register_book)[REG]
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert lists == {
        f"{COL['urgency']}2": '"ด่วนที่สุด,ด่วนมาก,ด่วน"',
        f"{COL['secrecy']}2": '"ลับที่สุด,ลับมาก,ลับ"',
        f"{COL['status']}2": '"ตามกำหนด,ใกล้ครบกำหนด,เกินกำหนด,พักเรื่อง,เสร็จสิ้น,ยกเลิก,ปิดเรื่อง,ส่งต่อ"',
        f"{COL['officer']}2": "'ผู้รับผิดชอบ'!$A$2:$A$1000",
    }
    assert all(str(dv.sqref).endswith("1048576") for dv in ws.data_validations.dataValidation)


def test_register_has_conditional_formatting_for_due_soon_and_overdue(register_book):
    ws = openpyxl.load_workbook(register_book)[REG]
    rules = {tuple(r.formula): str(cf.sqref) for cf in ws.conditional_formatting for r in cf.rules}
    assert rules[('$T2="เกินกำหนด"',)] == f"A2:{schema.col_letter(len(REGISTER_COLUMNS) - 1)}1048576"
    assert rules[('$T2="ใกล้ครบกำหนด"',)] == f"A2:{schema.col_letter(len(REGISTER_COLUMNS) - 1)}1048576"
    overdue = next(r for cf in ws.conditional_formatting for r in cf.rules if r.formula == ['$T2="เกินกำหนด"'])
    assert overdue.dxf.fill.bgColor.rgb.endswith("F8CBAD")


def test_register_uses_th_sarabun_new_also_in_rows_xlflow_writes(register_book, xlflow):
    xlflow("register", register_book, "--subject", "ทดสอบ", "--at", "2026-11-25T09:00", "--by", "c")
    wb = openpyxl.load_workbook(register_book)
    ws = wb[REG]
    assert {c.font.name for c in ws[1]} == {FONT}
    assert {c.font.name for c in ws[2]} == {FONT}  # a row written after init, not only the styled header
    assert {c.font.name for c in wb[SHEETS["log"]][2]} == {FONT}
    assert all(ws.column_dimensions[COL[f]].font.name == FONT for f in COL)


def test_register_status_cell_is_a_formula_on_the_stored_due_times(register_book):
    ws = openpyxl.load_workbook(register_book)[REG]
    assert ws[f"{COL['status']}2"].value == (
        '=IF($W2<>"",IF($Y2<>"",$Y2,"เสร็จสิ้น"),IF($V2<>"","พักเรื่อง",IF($S2="","",IF(NOW()>=$S2,"เกินกำหนด",'
        'IF(NOW()>=$R2,"ใกล้ครบกำหนด","ตามกำหนด")))))'
    )


def test_process_sheet_holds_the_manual_and_its_inconsistencies(register_book):
    ws = openpyxl.load_workbook(register_book)[SHEETS["process"]]
    assert [ws[f"A{r}"].value for r in range(2, 17)] == [s.code for s in Process.default()]
    lines = Process.default().inconsistencies()
    notes = [ws[f"A{r}"].value for r in range(19, 19 + len(lines) + 1)]
    assert notes == ["• " + line for line in lines] + [None]
    assert any(line.startswith("Follow-up: the evaluation system (section ๘") for line in lines)  # section ๘ against section ๖


def test_people_sheet_lists_every_role_and_the_forms_are_a4(register_book):
    wb = openpyxl.load_workbook(register_book)
    roles = [wb[SHEETS["people"]][f"B{r}"].value for r in range(2, 13)]
    assert roles == [r.name_th for r in Process.default().roles]
    for code in ("form_design", "form_steps"):
        assert wb[SHEETS[code]].page_setup.paperSize == 9  # A4


def test_info_sheet_records_the_calendars_fiscal_year(register_book):
    assert book.load(register_book).info["calendar_fy"] == "2570"


def test_init_is_repeatable_content_for_content(tmp_path):
    a = template.init(tmp_path / "a.xlsx", today=date(2026, 11, 25))
    b = template.init(tmp_path / "b.xlsx", today=date(2026, 10, 1))  # the same fiscal year, 2570
    assert snapshot(a) == snapshot(b)


# -- the shipped workbook ------------------------------------------------------------------------------------
def test_shipped_workbook_is_what_init_makes(tmp_path):
    shipped = openpyxl.load_workbook(SHIPPED)
    info = {r[0]: r[2] for r in shipped[SHEETS["info"]].iter_rows(min_row=2, values_only=True) if r[0]}
    fy = int(info["calendar_fy"])
    fresh = template.init(tmp_path / "Coordination_Register.xlsx", today=date(fy - 543 - 1, 10, 1))
    made = snapshot(fresh)
    # init gives each register its own id; the shipped file has none, so that every office's copy
    # gets its own at its first write (a shared id would make registers silence each other)
    assert REGISTER_ID in made["defined_names"] and REGISTER_ID not in snapshot(SHIPPED)["defined_names"]
    made["defined_names"] = [n for n in made["defined_names"] if n != REGISTER_ID]
    assert snapshot(SHIPPED) == made, (
        "workbook/Coordination_Register.xlsx has drifted from the template — regenerate it (without a register id) with: "
        f".venv/bin/python -c \"from datetime import date; from xlflow.template import init; "
        f"init('workbook/Coordination_Register.xlsx', date({fy - 543 - 1}, 10, 1), force=True, with_id=False)\""
    )


def test_shipped_workbook_is_empty_and_reads_clean():
    b = book.load(SHIPPED)
    assert (b.letters, b.log, b.problems) == ({}, [], [])


# -- init refuses to overwrite ---------------------------------------------------------------------------------
def test_init_prints_what_it_created(tmp_path, xlflow):
    path = tmp_path / "ทะเบียน.xlsx"
    r = xlflow("init", path, "--today", "2026-11-25")
    assert (r.exit_code, r.output) == (0, f"created {path}\n")
    assert book.load(path).info["calendar_fy"] == "2570"


def test_init_onto_an_existing_file_refuses_without_force(register_book, xlflow):
    before = register_book.read_bytes()
    r = xlflow("init", register_book, "--today", "2026-11-25")
    assert (r.exit_code, r.output) == (
        1, f"Error: {register_book} already exists — nothing was changed; use --force to replace it (a backup is kept in .xlflow-backups)\n",
    )
    assert register_book.read_bytes() == before


def test_init_with_force_replaces_the_file_and_keeps_a_backup(register_book, xlflow):
    xlflow("register", register_book, "--subject", "ของเดิม", "--at", "2026-11-25T09:00", "--by", "c")
    before = register_book.read_bytes()
    r = xlflow("init", register_book, "--force", "--today", "2026-11-25")
    assert (r.exit_code, r.output) == (0, f"created {register_book}\n")
    assert book.load(register_book).letters == {}
    newest = sorted((register_book.parent / ".xlflow-backups").iterdir())[-1]
    assert newest.read_bytes() == before
    assert list(book.load(newest).letters) == ["1/2569"]


def test_init_refuses_a_name_that_is_not_xlsx_and_a_missing_folder(tmp_path, xlflow):
    r = xlflow("init", tmp_path / "register.xls", "--today", "2026-11-25")
    assert (r.exit_code, r.output) == (1, "Error: register.xls: the register must be an .xlsx file — give a name ending in .xlsx\n")
    missing = tmp_path / "ไม่มีโฟลเดอร์"
    r = xlflow("init", missing / "r.xlsx", "--today", "2026-11-25")
    assert (r.exit_code, r.output) == (1, f"Error: {missing}: no such folder — create it first\n")


def test_init_with_a_bad_today_says_how_to_type_it(tmp_path, xlflow):
    r = xlflow("init", tmp_path / "r.xlsx", "--today", "พรุ่งนี้")
    assert (r.exit_code, r.output) == (
        1, 'Error: --today "พรุ่งนี้" is not a date and time — use ISO 8601, e.g. 2026-11-25T09:30 (Bangkok time), or 25/11/2569 09:30\n',
    )


# -- the Status cell without Python: LibreOffice recalculates it -------------------------------------------------
def lo_recalc(path: Path, *cells: str) -> dict:
    """Computed values of ``cells`` after LibreOffice headless recalculated the workbook."""
    env = {**os.environ, "TZ": "Asia/Bangkok"}
    done = subprocess.run(
        ["/usr/bin/python3", str(HERE / "lo_recalc.py"), str(path), *cells],
        capture_output=True, text=True, env=env, timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.libreoffice
def test_status_formula_is_computed_by_libreoffice_without_python(register_book, xlflow):
    for s in ("เลยกำหนด", "ยังไม่ถึงกำหนด", "ใกล้กำหนด", "เสร็จแล้ว", "พักไว้"):
        xlflow("register", register_book, "--subject", s, "--at", "2026-11-25T09:00", "--by", "c")
    now = datetime.now(BKK).replace(tzinfo=None, microsecond=0)  # the real time: LibreOffice's NOW()
    wb = openpyxl.load_workbook(register_book)
    ws = wb[REG]
    soon, due, done, paused = COL["due_soon_at"], COL["due_at"], COL["completed_at"], COL["paused_since"]
    ws[f"{soon}2"], ws[f"{due}2"] = now - timedelta(days=3), now - timedelta(days=2)  # past
    ws[f"{soon}3"], ws[f"{due}3"] = now + timedelta(days=1), now + timedelta(days=2)  # future
    ws[f"{soon}4"], ws[f"{due}4"] = now - timedelta(days=1), now + timedelta(days=2)  # warned, not yet due
    ws[f"{done}5"] = now - timedelta(days=1)
    ws[f"{paused}6"] = now - timedelta(days=1)
    wb.save(register_book)
    cells = [f"{REG}!{COL['status']}{r}" for r in range(2, 7)]
    got = lo_recalc(register_book, *cells)
    assert [got[c]["string"] for c in cells] == ["เกินกำหนด", "ตามกำหนด", "ใกล้ครบกำหนด", "เสร็จสิ้น", "พักเรื่อง"]
    assert all(got[c]["error"] == 0 for c in cells)


def test_the_register_prints_landscape_its_official_columns_on_two_pages_width_with_its_header_on_every_page(register_book):
    ws = openpyxl.load_workbook(register_book)[SHEETS["register"]]
    assert (ws.page_setup.orientation, ws.page_setup.paperSize) == ("landscape", 9)  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (2, 0)
    assert (ws.print_title_rows, ws.print_title_cols, ws.page_setup.pageOrder) == ("$1:$1", "$A:$A", "overThenDown")
    assert ws.print_area == f"'{SHEETS['register']}'!$A$1:$L$1048576"
    assert [ws.cell(row=1, column=c).value.split("\n")[0] for c in (1, 12)] == ["เลขทะเบียนรับ", "หมายเหตุ"]
    assert "&P" in ws.oddFooter.center.text


def test_libreoffice_prints_the_register_readably_the_registration_number_on_both_halves(register_book, tmp_path):
    """Each printed page's text is at least 9 pt (thirty columns on one page's width were 3 pt);
    the first half has the sender, the second the subject, both the registration number."""
    from pypdf import PdfReader
    from pypdf.generic import ContentStream

    from xlflow.render import to_pdf

    wb = openpyxl.load_workbook(register_book)
    for name in wb.sheetnames:  # the Register alone (a copy for the printer, not the register)
        if name != SHEETS["register"]:
            del wb[name]
    ws = wb[SHEETS["register"]]
    for r in range(2, 40):
        ws.cell(row=r, column=1, value=f"{r - 1}/2570")
        ws.cell(row=r, column=5, value="องค์การแรงงานระหว่างประเทศ (ILO)")
        ws.cell(row=r, column=7, value="ขอเชิญเข้าร่วมการประชุมไตรภาคีระดับภูมิภาคว่าด้วยแรงงานข้ามชาติ")
    wb.save(tmp_path / "print.xlsx")
    (pdf,) = to_pdf([tmp_path / "print.xlsx"], tmp_path / "pdf")
    reader = PdfReader(str(pdf))
    assert len(reader.pages) == 2
    for page in reader.pages:
        sizes = [float(ops[1]) for ops, op in ContentStream(page.get_contents(), reader).operations if op == b"Tf"]
        assert min(sizes) >= 9, min(sizes)
    halves = [p.extract_text() for p in reader.pages]
    assert "38/2570" in halves[0] and "38/2570" in halves[1]  # the last letter on both halves
    assert "องค์การแรงงาน" in halves[0] and "ขอเชิญเข้าร่วม" in halves[1]
