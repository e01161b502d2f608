"""Print-ready forms and evaluation (issue 17, point 5): the appendix forms carry the info
sheet's document control on every printed page, and the evaluation's page footer is drawn whole."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image

from xlflow import book as bk
from xlflow import template
from xlflow.forms import doc_control_line, fill_form_sheets, form_fields, write_forms
from xlflow.process import Process
from xlflow.render import to_pdf
from xlflow.schema import DOC_CONTROL_DEFAULTS, INFO_FIELDS, SHEETS

FORMS = (SHEETS["form_design"], SHEETS["form_steps"])
DEFAULT_LINE = "รหัสเอกสาร WI-วท.-01   แก้ไขครั้งที่ 00   วันที่มีผลบังคับใช้ -   ผู้อนุมัติ ผอ.สปร."


def test_info_fields_hold_the_document_control_with_an_offices_defaults():
    keys = [k for k, _ in INFO_FIELDS]
    assert keys[-4:] == ["doc_code", "revision", "effective_date", "approved_by"]
    assert DOC_CONTROL_DEFAULTS == {"doc_code": "WI-วท.-01", "revision": "00", "effective_date": "", "approved_by": "ผอ.สปร."}


def test_a_new_registers_info_sheet_has_the_document_control_rows(tmp_path):
    path = template.init(tmp_path / "r.xlsx", today=date(2026, 11, 25))
    rows = {r[0]: r for r in load_workbook(path)[SHEETS["info"]].iter_rows(min_row=2, max_col=3, values_only=True) if r[0]}
    assert rows["doc_code"][1:] == ("รหัสเอกสาร", "WI-วท.-01")
    assert rows["revision"][1:] == ("แก้ไขครั้งที่", "00")
    assert rows["effective_date"][1] == "วันที่มีผลบังคับใช้" and not rows["effective_date"][2]
    assert rows["approved_by"][1:] == ("ผู้อนุมัติ", "ผอ.สปร.")
    assert bk.load(path).info["calendar_fy"] == "2570"  # still read after the new rows


def test_both_forms_print_the_document_control_in_the_page_header():
    wb = Workbook()
    fill_form_sheets(wb, Process.default(), {})
    for name in FORMS:
        assert wb[name].oddHeader.right.text == DEFAULT_LINE
        assert wb[name].oddFooter.center.text == "หน้า &P / &N"  # the page number stays
    assert doc_control_line(form_fields(Process.default(), {})) == DEFAULT_LINE


def test_the_document_control_follows_the_info_sheet_and_an_ampersand_prints_as_itself():
    wb = Workbook()
    info = {"doc_code": "QP-สปร.-07", "revision": "02", "effective_date": "1 ต.ค. 2569", "approved_by": "ผอ.สปร. & ชช.สปร."}
    fill_form_sheets(wb, Process.default(), info)
    for name in FORMS:
        assert wb[name].oddHeader.right.text == (
            "รหัสเอกสาร QP-สปร.-07   แก้ไขครั้งที่ 02   วันที่มีผลบังคับใช้ 1 ต.ค. 2569   ผู้อนุมัติ ผอ.สปร. && ชช.สปร.")


def _pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def test_every_printed_page_of_both_forms_carries_the_document_control(tmp_path):
    reg = template.init(tmp_path / "Coordination_Register.xlsx", today=date(2026, 11, 25))
    _, design, steps = write_forms(reg, tmp_path / "pdf")
    for pdf in (design, steps):
        pages = _pages(pdf)
        assert len(pages) >= 2
        for page in pages:  # pdftotext reorders Thai marks of "ครั้ง": the code and the approver are read
            assert re.search(r"รหัสเอกสาร WI-วท\.-01 .* 00 .*วันที่มีผลบังคับใช้ - .*ผู้อนุมัติ ผอ\.สปร\.", page), page[:300]


def _pages_with_cut_footer(pdf: Path, tmp_path: Path) -> list[int]:
    """Pages whose footer "หน้า n / N" is cut: its words found by pdftotext, but no ink drawn
    in the lower half of their box (LibreOffice clips a footer taller than its space)."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = bbox.split("<page ")[1:]
    cut = []
    for n, page in enumerate(pages, start=1):
        words = [tuple(float(v) for v in m.groups()) for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">หน้า</word>', page)]
        assert words, f"page {n}: no footer"
        x0, y0, x1, y1 = max(words, key=lambda w: w[1])  # the lowest: the footer
        png = tmp_path / f"p{n}"
        subprocess.run(["pdftoppm", "-f", str(n), "-l", str(n), "-r", "144", "-gray", "-singlefile", "-png", str(pdf), str(png)], check=True)
        img = Image.open(f"{png}.png").convert("L")
        s = 2  # 144 dpi / 72 pt
        lower = img.crop((int(x0 * s), int((y0 + y1) / 2 * s), int(x1 * s) + 1, int(y1 * s) + 1))
        if lower.getextrema()[0] > 128:  # no dark pixel
            cut.append(n)
    return cut


def _evaluation_pages(tmp_path: Path, old_margins: bool = False) -> Path:
    """Two sheets of a long Thai table set up for print as the evaluation sets up each of its
    sheets (``evaluation._Writer.page``), rendered by LibreOffice; ``old_margins``: the page
    setup before issue 17 (0.1 in for the footer)."""
    from xlflow.evaluation import _Writer

    wb = Workbook()
    w = _Writer(wb)
    for k, ws in enumerate([wb.active, wb.create_sheet("รายขั้นตอนย่อย")]):
        ws.append(["รหัส", "ขั้นตอนย่อย", "ผู้รับผิดชอบ"])
        for i in range(70):
            ws.append([f"{k}.{i}", "ศึกษาวิเคราะห์ผลการดำเนินงาน/ความเห็นของหน่วยงาน", "เจ้าหน้าที่ วท. ที่รับผิดชอบ"])
        w.page(ws, 1, landscape=bool(k))
        if old_margins:
            ws.page_margins.bottom, ws.page_margins.footer = 0.6, 0.5
    wb.save(tmp_path / "evaluation.xlsx")
    (pdf,) = to_pdf([tmp_path / "evaluation.xlsx"], tmp_path / "pdf")
    return pdf


def test_libreoffice_draws_the_evaluations_page_footer_whole_on_every_page(tmp_path):
    pdf = _evaluation_pages(tmp_path)
    assert len(_pages(pdf)) >= 3
    assert _pages_with_cut_footer(pdf, tmp_path) == []


def test_the_footer_check_sees_a_clipped_footer(tmp_path):
    assert _pages_with_cut_footer(_evaluation_pages(tmp_path, old_margins=True), tmp_path)


def test_the_forms_page_footer_is_drawn_whole(tmp_path):
    reg = template.init(tmp_path / "Coordination_Register.xlsx", today=date(2026, 11, 25))
    for pdf in write_forms(reg, tmp_path / "pdf")[1:]:
        assert _pages_with_cut_footer(pdf, tmp_path) == [], pdf.name


@pytest.mark.parametrize("typed", [date(2026, 10, 1), datetime(2026, 10, 1), "2026-10-01"])
def test_an_effective_date_prints_in_the_buddhist_era_however_it_was_typed(typed):
    wb = Workbook()
    fill_form_sheets(wb, Process.default(), {"effective_date": typed})
    assert "วันที่มีผลบังคับใช้ 1 ตุลาคม 2569 " in wb[FORMS[0]].oddHeader.right.text
    assert "2026" not in wb[FORMS[1]].oddHeader.right.text
