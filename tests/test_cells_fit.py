"""Nothing clipped (issue 17, point 2): printed by LibreOffice, every line of every cell of
the two appendix forms and of the evaluation workbooks is inside its cell, page headers and
footers included. Read from the PDF's own drawing (``pdf_cells``): a line LibreOffice cuts
off is still in the PDF, under a clip that does not hold it.

The registers are the demo's (120 letters of a year, with long Thai names, pause reasons,
send-backs, and the evaluation's witness line), the forms those of the manual's process.
"""

from __future__ import annotations

import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from pdf_cells import cut_lines, lines_and_clips
from xlflow.demo import make_demo
from xlflow.forms import _lines_needed
from xlflow.render import to_pdf
from xlflow.schema import SHEETS
from xlflow.worktime import BKK

WITNESS = ("xlflow-witness/1 id=ab870d45bafc421aa4998f06f9a5bf3f at=2026-10-05T10:00 rows=2106 "
           "log=1:2106:7c0947e7ec8227711e209261984550d309582bc46d324c3f7b06c0d168b44734")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    """The demo of a year ended on 5 October 2026: forms printed, rounds 9 and 12 evaluated."""
    return make_demo(tmp_path_factory.mktemp("fit") / "demo", now=datetime(2026, 10, 5, 10, 0, tzinfo=BKK), pdf=True, progress=False)


def _clipped(pdf: Path) -> int:
    return sum(1 for _, _, clip, _ in lines_and_clips(pdf) if clip is not None)


def test_no_line_of_either_appendix_form_is_cut(demo):
    pdfs = [demo[k] for k in demo if str(k).startswith("pdf:")]
    assert len(pdfs) == 2
    for pdf in pdfs:
        assert cut_lines(pdf) == [], pdf.name
        assert _clipped(pdf) >= 3 * 5, pdf.name  # the check read clipped lines: each page's header and footer


def test_no_line_of_the_evaluation_workbooks_is_cut_and_the_witness_prints_whole(demo, tmp_path):
    books = sorted((demo["folder"] / "evaluations").glob("*.xlsx"))
    assert [b.name for b in books] == ["FY2569-R12.xlsx", "FY2569-R9.xlsx"]
    for pdf in to_pdf(books, tmp_path):
        assert cut_lines(pdf) == [], pdf.name
        assert _clipped(pdf) > 20, pdf.name
        witness = _witness(books[[b.stem for b in books].index(pdf.stem)])
        text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert "".join(witness.split()) in "".join(text.split())  # every character of the hash is printed


def _witness(book: Path) -> str:
    wb = load_workbook(book, read_only=True)
    return next(v for ws in wb for row in ws.iter_rows(values_only=True) for v in row
                if isinstance(v, str) and v.startswith("xlflow-witness/1"))


def _form_with_a_short_row(tmp_path: Path) -> tuple[Path, str]:
    """The work-steps form with sub-step 2.1's row made 20 pt high: its texts (the manual's
    indicator and details, several lines) no longer fit."""
    from xlflow.forms import fill_form_sheets
    from xlflow.process import Process

    wb = Workbook()
    fill_form_sheets(wb, Process.default(), {})
    for name in list(wb.sheetnames):
        if name != SHEETS["form_steps"]:
            del wb[name]
    ws = wb[SHEETS["form_steps"]]
    row = next(c.row for c in ws["C"] if str(c.value).startswith("2.1 "))
    assert ws.row_dimensions[row].height > 60
    ws.row_dimensions[row].height = 20
    wb.save(tmp_path / "short.xlsx")
    return tmp_path / "short.xlsx", " ".join(str(c.value) for c in ws[row] if c.value)


def test_the_check_sees_a_row_too_short_for_its_text(tmp_path):
    book, row_text = _form_with_a_short_row(tmp_path)
    (pdf,) = to_pdf([book], tmp_path / "pdf")
    cuts = cut_lines(pdf)
    assert cuts, "a 20 pt row of several lines must be seen cut"
    assert all(c.page == 1 for c in cuts)
    assert all(c.line.y0 < c.clip.y0 for c in cuts)  # cut off below the cell's bottom edge
    named = [w for c in cuts for w in c.text.split() if len(w) >= 5]
    assert named and sum(w in row_text for w in named) >= len(named) / 2, [str(c) for c in cuts]  # the row's own words


def test_a_word_without_thai_breaks_only_after_a_hyphen_and_a_long_one_takes_its_own_lines():
    assert _lines_needed(WITNESS, 70, words=True) == 4  # as LibreOffice printed it: the hash on lines 3 and 4
    assert _lines_needed("Coordination_Register.xlsx", 70, words=True) == 1
    assert _lines_needed("a" * 61 + " " + "b" * 10, 70, words=True) == 2


def test_a_column_titled_blank_is_spanned_by_the_one_on_its_left():
    from xlflow.evaluation import _Writer

    wb = Workbook()
    ws = wb.active
    name = "นางสาวพิมพ์ชนก ใจดีมากมายยิ่งกว่าใครในสำนักงาน"
    _Writer(wb).table(ws, 3, [("เจ้าหน้าที่", "Officer", 10, None), ("", "", 60, None), ("ครั้ง", "Cases", 14, "#,##0")],
                      [[name, "", 5]])
    assert {str(r) for r in ws.merged_cells.ranges} == {"A3:B3", "A4:B4"}
    assert (ws["A3"].value, ws["A4"].value, ws["C4"].value) == ("เจ้าหน้าที่\nOfficer", name, 5)
    assert ws.row_dimensions[4].height == ws.row_dimensions[3].height / 2 + 3  # one line, in 70 units (two in the header)
