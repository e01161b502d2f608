"""The two appendix forms: filled from the Process and info sheets, printable, rendered by LibreOffice."""

from __future__ import annotations

import re

import time
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook

from xlflow import book as bk
from xlflow import template
from xlflow.cli import main
from xlflow.errors import WorkbookBusy
from xlflow.forms import SYMBOLS, duration_th, fill_form_sheets, flowchart_anchors, write_forms
from xlflow.process import Process
from xlflow.render import RenderError, find_soffice, to_pdf
from xlflow.schema import SHEETS

from test_evaluation import assert_pdf_thai_complete

DESIGN, STEPS = SHEETS["form_design"], SHEETS["form_steps"]


def _cells(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _row_starting(ws, first: str) -> list:
    return next(r for r in _cells(ws) if r and r[0] == first)


@pytest.fixture
def filled():
    wb = Workbook()
    fill_form_sheets(wb, Process.default(), {})
    return wb


@pytest.fixture
def register(tmp_path) -> Path:
    return template.init(tmp_path / "Coordination_Register.xlsx", today=date(2026, 11, 25))


def test_duration_is_written_in_the_manuals_thai_units():
    assert [duration_th(m) for m in (5, 50, 60, 180, 90, 0)] == ["5 นาที", "50 นาที", "1 ชม.", "3 ชม.", "1 ชม. 30 นาที", "0 นาที"]


def test_design_form_has_one_row_per_step_with_flow_duration_budget_details_standard_and_roles(filled):
    ws = filled[DESIGN]
    assert ws["A1"].value == "แบบฟอร์มการออกแบบกระบวนการ"
    head = next(r for r in _cells(ws) if r[0] == "ลำดับที่")
    assert head == ["ลำดับที่", "ผังกระบวนการ", "ระยะเวลา", "งบประมาณ", "รายละเอียดของงาน", "มาตรฐานคุณภาพงาน", "ผู้รับผิดชอบ/หน่วยงาน"]
    rows = {r[0]: r for r in _cells(ws) if r[0] in ("๑", "๒", "๓", "๔", "๕")}
    assert [rows[k][2] for k in "๑๒๓๔๕"] == ["50 นาที", "3 ชม.", "3 ชม.", "3 ชม.", "3 ชม."]  # sums of the sub-steps
    assert all(rows[k][3] == "-" for k in rows)
    assert all(rows[k][1] in (None, "") for k in rows)  # the flow chart is drawn there as shapes
    names = [n for a in flowchart_anchors(ws, Process.default()) for n in re.findall(r'name="xlflow ([^"]*)"', a)]
    assert names[:3] == ["start", "→ 1.1", "1.1"] or names[:2] == ["start", "1.1"]
    assert {s.code for s in Process.default()} <= set(names) and {"start", "end", "ไม่เห็นชอบ 5.1 → 3.1", "label 5.1"} <= set(names)
    anchors = flowchart_anchors(ws, Process.default())
    assert any('prst="flowChartDecision"' in a and 'name="xlflow 5.1"' in a for a in anchors)
    assert sum('prst="flowChartTerminator"' in a for a in anchors) == 3  # start, end, and the legend's
    assert any("<a:t>ไม่เห็นชอบ</a:t>" in a and "<a:t>→ 3.1</a:t>" in a for a in anchors)  # two lines by the loop
    assert rows["๑"][4].split("\n")[:2] == ["รับเรื่องจากหน่วยงานภายนอก", "1.1 สปร. ลงทะเบียนรับหนังสือ"]
    assert rows["๑"][5].split("\n")[0] == "1.1 ความสำเร็จในการลงทะเบียนรับหนังสือ (ภายใน 5 นาที)"
    assert rows["๕"][6].split("\n")[0] == "5.1 ผู้บริหารของกระทรวงแรงงาน"
    # the manual's own flow chart disagrees for steps 3 and 4: said on the form, not hidden
    note = next(r[0] for r in _cells(ws) if r[0] and str(r[0]).startswith("หมายเหตุ"))
    assert "ขั้นตอนที่ ๓ ผังกระบวนการระบุ 20 ชม." in note and "ขั้นตอนที่ ๔ ผังกระบวนการระบุ 5 ชม." in note


def test_every_arrow_of_the_flow_chart_is_attached_to_the_shape_it_leaves_and_the_one_it_enters(filled):
    """So that Excel keeps the arrows on the boxes when the office moves one."""
    anchors = flowchart_anchors(filled[DESIGN], Process.default())
    ids = {m[2]: m[1] for a in anchors for m in re.finditer(r'<xdr:cNvPr id="(\d+)" name="xlflow ([^"]*)"', a)}
    arrows = [a for a in anchors if "<xdr:cxnSp" in a and "legend" not in a]
    order = ["start", *(s.code for s in Process.default()), "end"]
    assert len(arrows) == len(order) - 1
    for a in arrows:
        into = re.search(r'name="xlflow → ([^"]*)"', a)[1]
        came = order[order.index(into) - 1]
        assert f'<a:stCxn id="{ids[came]}" idx="2"/>' in a and f'<a:endCxn id="{ids[into]}" idx="0"/>' in a, a
    assert len(set(ids.values())) == len(ids)  # every shape its own id


def test_design_form_carries_the_legend_of_the_flow_chart_symbols(filled):
    ws = filled[DESIGN]
    labels = [label for _, _, label in SYMBOLS]
    legend = [r[1] for r in _cells(ws) if r[1] in labels]
    assert legend == labels
    # each legend row's symbol is drawn with the shape the chart uses
    shapes = {m.group(1): a for a in flowchart_anchors(ws, Process.default()) if (m := re.search(r'name="xlflow legend (\w+)"', a))}
    assert set(shapes) == {k for k, _, _ in SYMBOLS}
    assert 'prst="flowChartTerminator"' in shapes["terminal"] and 'prst="flowChartDecision"' in shapes["decision"]
    assert 'prst="straightConnector1"' in shapes["direction"] and 'prst="flowChartConnector"' in shapes["connector"]


def test_steps_form_has_a_row_per_substep_with_the_step_on_its_first(filled):
    ws = filled[STEPS]
    head = next(r for r in _cells(ws) if r[0] == "ลำดับ")
    assert head == ["ลำดับ", "ขั้นตอนการปฏิบัติงาน", "รายละเอียดวิธีการปฏิบัติงาน", "ผู้รับผิดชอบ", "ตัวชี้วัด", "ระยะเวลา", "แบบฟอร์ม", "เอกสารอ้างอิง"]
    body = [r for r in _cells(ws)[_cells(ws).index(head) + 1:] if r[2]]
    assert [r[2].split(" ")[0] for r in body] == [s.code for s in Process.default()]
    assert body[0] == ["1", "รับเรื่องจากหน่วยงานภายนอก", "1.1 สปร. ลงทะเบียนรับหนังสือ", "เจ้าหน้าที่งานสารบรรณ สปร.",
                       "ความสำเร็จในการลงทะเบียนรับหนังสือ", "5 นาที", "ทะเบียนหนังสือรับ", "ทะเบียนหนังสือรับของ สปร."]
    assert body[1][:2] == ["", ""]  # 1.2 sits under step 1
    assert body[6][:2] == ["2", "ประสานหน่วยงานที่เกี่ยวข้องเพื่อรับทราบ/พิจารณาดำเนินการ"] and body[6][5] == "1 ชม."


def test_header_fields_default_to_the_manual_and_follow_the_info_sheet(filled):
    ws = filled[DESIGN]
    assert _row_starting(ws, "ชื่อกระบวนการ")[2] == "กระบวนการประสานความร่วมมือระหว่างประเทศ"
    assert _row_starting(ws, "ประเด็นยุทธศาสตร์/กลยุทธ์")[2] == "การบริหารความสัมพันธ์และเครือข่ายด้านแรงงาน"
    for label in ("พันธกิจ", "ความต้องการของลูกค้า/ผู้มีส่วนได้ส่วนเสีย", "ตัวชี้วัดที่สำคัญของกระบวนการ", "ข้อจำกัดที่สำคัญ"):
        assert _row_starting(ws, label)[2]
    assert _row_starting(filled[STEPS], "จัดทำโดย")[2] == "กลุ่มวิเทศสัมพันธ์"
    wb = Workbook()
    fill_form_sheets(wb, Process.default(), {"prepared_by": "นางสาวทดสอบ ใจดี", "mission": "=SUM(1,2)", "unit": "  "})
    assert _row_starting(wb[STEPS], "จัดทำโดย")[2] == "นางสาวทดสอบ ใจดี"
    assert _row_starting(wb[STEPS], "หน่วยงาน")[2] == "สำนักประสานความร่วมมือระหว่างประเทศ สำนักงานปลัดกระทรวงแรงงาน"
    cell = next(c for row in wb[DESIGN].iter_rows() for c in row if c.value == "=SUM(1,2)")
    assert cell.data_type == "s"  # text typed into the info sheet is never a formula here


def test_forms_print_on_a4_landscape_fit_to_width_with_the_table_header_on_every_page(filled):
    for name in (DESIGN, STEPS):
        ws = filled[name]
        head_row = next(i for i, r in enumerate(_cells(ws), start=1) if r[0] in ("ลำดับที่", "ลำดับ"))
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == f"${head_row}:${head_row}"
        assert ws.page_margins.left >= 0.5 and ws.page_margins.top >= 0.5
        fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
        assert fonts == {"TH Sarabun New"}


def test_filling_twice_replaces_the_forms_and_keeps_other_sheets(register):
    wb = load_workbook(register)
    names = wb.sheetnames
    fill_form_sheets(wb, Process.default(), {})
    fill_form_sheets(wb, Process.default(), {})
    assert wb.sheetnames == names
    assert sum(1 for r in _cells(wb[DESIGN]) if r[0] == "ลำดับที่") == 1


def test_forms_follow_the_process_sheet_and_the_info_sheet_the_office_edited(register):
    wb = load_workbook(register)
    pr = wb[SHEETS["process"]]
    row = next(r for r in range(2, 17) if pr.cell(row=r, column=1).value == "2.1")
    pr.cell(row=row, column=6).value = 90  # 2.1 now 90 working minutes
    info = wb[SHEETS["info"]]
    r = next(r for r in range(2, 12) if info.cell(row=r, column=1).value == "prepared_by")
    info.cell(row=r, column=3).value = "นายแก้ไข ในแผ่นงาน"
    wb.save(register)
    assert write_forms(register) == [register]
    sheets = CalamineWorkbook.from_path(str(register))
    design = sheets.get_sheet_by_name(DESIGN).to_python()
    assert next(r for r in design if r[0] == "๒")[2] == "3 ชม. 30 นาที"
    steps = sheets.get_sheet_by_name(STEPS).to_python()
    assert next(r for r in steps if r[0] == "จัดทำโดย")[2] == "นายแก้ไข ในแผ่นงาน"
    assert next(r for r in steps if str(r[2]).startswith("2.1 "))[5] == "1 ชม. 30 นาที"
    assert bk.load(register).problems == []  # the register still reads


def test_forms_are_not_written_while_the_register_is_open_in_excel(register):
    owner = register.with_name("~$" + register.name)
    owner.write_bytes(b"\x05somsi" + b" " * 50)
    before = bk.file_sha256(register)
    with pytest.raises(WorkbookBusy) as e:
        write_forms(register)
    assert str(e.value).startswith(f"{register.name} is open in Excel by somsi (found ~${register.name})")
    assert bk.file_sha256(register) == before


def test_forms_command_fills_the_register_and_prints_each_form_to_pdf_in_thai(register, tmp_path):
    out = tmp_path / "pdf"
    r = CliRunner().invoke(main, ["forms", str(register), "--pdf", str(out)])
    assert r.exit_code == 0, r.output
    design_pdf, steps_pdf = out / f"{DESIGN}.pdf", out / f"{STEPS}.pdf"
    assert r.stdout == f"filled the forms in {register}\nwrote {design_pdf}\nwrote {steps_pdf}\n"
    from xlflow.render import font_stand_in

    stand_in = font_stand_in()  # here TH Sarabun New is drawn by its metric twin Laksaman: said, not hidden
    assert stand_in and "the PDF is set in Laksaman instead" in stand_in
    assert r.stderr == f"xlflow: PDF by LibreOffice ({find_soffice()})\nxlflow: {stand_in}\n"  # which program, which font
    text = assert_pdf_thai_complete(design_pdf, [
        "แบบฟอร์มการออกแบบกระบวนการ", "ชื่อกระบวนการ กระบวนการประสานความร่วมมือระหว่างประเทศ",
        "ลำดับที่ ผังกระบวนการ ระยะเวลา งบประมาณ รายละเอียดของงาน มาตรฐานคุณภาพงาน ผู้รับผิดชอบ/หน่วยงาน",
        "ไม่เห็นชอบ\n→ 3.1", "จุดเริ่มต้นและสิ้นสุดของกระบวนการ", "การตัดสินใจ", "ทิศทาง/การเคลื่อนไหวของงาน", "เริ่มต้น", "สิ้นสุด",
        "จุดเชื่อมต่อระหว่างขั้นตอน (เช่น การเขียนกระบวนการไม่สามารถจบได้ภายใน ๑ หน้า)",
    ])
    assert all(f"\n{s.code}\n" in text for s in Process.default())  # a drawn box per sub-step, with its code
    assert text.count("ลำดับที่ ผังกระบวนการ") == text.count("\f")  # the header on every page
    assert_pdf_thai_complete(steps_pdf, [
        "แบบฟอร์มขั้นตอนการปฏิบัติงาน", "จัดทำโดย กลุ่มวิเทศสัมพันธ์",
        "ลำดับ ขั้นตอนการปฏิบัติงาน รายละเอียดวิธีการปฏิบัติงาน ผู้รับผิดชอบ ตัวชี้วัด ระยะเวลา แบบฟอร์ม เอกสารอ้างอิง",
        "1.1 สปร. ลงทะเบียนรับหนังสือ",
    ])
    sheets = CalamineWorkbook.from_path(str(register)).sheet_names
    assert DESIGN in sheets and STEPS in sheets


def test_without_libreoffice_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    import xlflow.render as render

    src = tmp_path / "a.xlsx"
    Workbook().save(src)
    monkeypatch.setenv("XLFLOW_SOFFICE", str(tmp_path / "nowhere" / "soffice"))
    with pytest.raises(RenderError, match=r"^XLFLOW_SOFFICE is \".*nowhere/soffice\", which is not a program"):
        to_pdf([src], tmp_path)
    monkeypatch.delenv("XLFLOW_SOFFICE")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(render, "KNOWN_PLACES", ())
    with pytest.raises(RenderError) as e:
        to_pdf([src], tmp_path)
    assert str(e.value).startswith("LibreOffice is not installed (no soffice on the PATH) — PDFs are made with LibreOffice headless")


def test_a_hanging_libreoffice_is_stopped_at_the_timeout(tmp_path, monkeypatch):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\nsleep 60 &\nwait\n")
    fake.chmod(0o755)
    src = tmp_path / "a.xlsx"
    Workbook().save(src)
    monkeypatch.setenv("XLFLOW_SOFFICE", str(fake))
    t0 = time.monotonic()
    with pytest.raises(RenderError, match=r"^LibreOffice did not finish converting a.xlsx within 1 s — it was stopped"):
        to_pdf([src], tmp_path / "out", timeout=1)
    assert time.monotonic() - t0 < 15


def test_a_file_libreoffice_cannot_read_is_named(tmp_path, monkeypatch):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 0\n")
    fake.chmod(0o755)
    src = tmp_path / "broken.xlsx"
    src.write_bytes(b"not a workbook")
    monkeypatch.setenv("XLFLOW_SOFFICE", str(fake))
    with pytest.raises(RenderError) as e:
        to_pdf([src], tmp_path / "out")
    assert str(e.value) == ("LibreOffice did not convert broken.xlsx to PDF (exit code 0: Error: source file could not be loaded)"
                            " — open the file in LibreOffice to see whether it is damaged")
