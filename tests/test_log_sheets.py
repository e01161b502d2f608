"""The Log goes on over continuation sheets: บันทึกการดำเนินงาน, บันทึกการดำเนินงาน (2), …

Each sheet holds at most ``schema.LOG_SHEET_ROWS`` rows (200,000 in the product; 3 here, so
that a few actions cross several sheets). What must hold: the rows go on, numbered and chained
across the sheets; the new sheet looks like the first (header, widths, format, colour); every
reader sees one Log; ``verify`` names the sheet and row of a row edited on a continuation
sheet; LibreOffice opens the result.
"""

from __future__ import annotations

import json

import openpyxl
import pytest

from xlflow import book, schema
from xlflow.schema import SHEETS

LOG = SHEETS["log"]
ROWS = 3


@pytest.fixture
def small_sheets(monkeypatch):
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", ROWS)


def _advance_times(n):
    return [f"2026-11-25T{9 + k // 6:02d}:{(k % 6) * 10:02d}" for k in range(n)]


@pytest.fixture
def worked(register_book, xlflow, small_sheets):
    """Two letters registered and one walked on: 8 Log rows, over 3 sheets of 3 rows."""
    for subject, at in (("ก", "2026-11-25T08:40"), ("ข", "2026-11-25T08:45")):
        r = xlflow("register", register_book, "--subject", subject, "--at", at, "--by", "สารบรรณ")
        assert r.exit_code == 0, r.output
    steps = [("assign", "--unit", "วท."), ("advance",), ("advance",), ("advance",), ("pause", "--note", "รอเอกสาร"), ("resume",)]
    for step, at in zip(steps, _advance_times(len(steps))):
        r = xlflow(step[0], register_book, "1/2569", *step[1:], "--at", at, "--by", "ผอ.วท.")
        assert r.exit_code == 0, r.output
    return register_book


def test_the_log_goes_on_in_numbered_sheets_placed_after_the_first(worked):
    wb = openpyxl.load_workbook(worked)
    names = wb.sheetnames
    logs = schema.log_sheets(names)
    assert logs == [LOG, f"{LOG} (2)", f"{LOG} (3)"]
    first = names.index(LOG)
    assert names[first : first + 3] == logs, "continuation sheets sit right after the Log, before the Process sheet"
    seqs = [[r[0] for r in wb[n].iter_rows(min_row=2, values_only=True) if r[0] is not None] for n in logs]
    assert seqs == [[1, 2, 3], [4, 5, 6], [7, 8]]


def test_a_continuation_sheet_looks_like_the_first(worked):
    wb = openpyxl.load_workbook(worked)
    a, b = wb[LOG], wb[f"{LOG} (3)"]
    assert [c.value for c in b[1]] == [c.value for c in a[1]]
    assert [c.font.b for c in b[1]] == [c.font.b for c in a[1]] and all(c.font.b for c in b[1])
    assert b["A1"].fill.fgColor.rgb == a["A1"].fill.fgColor.rgb
    assert b.freeze_panes == a.freeze_panes == "A2"
    assert b.sheet_properties.tabColor.rgb == a.sheet_properties.tabColor.rgb
    for col in "ABCDEFGHI":
        assert b.column_dimensions[col].width == a.column_dimensions[col].width, col
    assert b["E2"].number_format == a["E2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert b["A1"].comment is not None and b["A1"].comment.text == a["A1"].comment.text


def test_every_reader_sees_one_log_and_one_chain(worked, xlflow):
    b = book.load(worked)
    assert [e.seq for e in b.log] == list(range(1, 9))
    assert schema.verify_chain(b.log, b.log_where) is None
    assert xlflow("verify", worked).exit_code == 0
    shown = xlflow("show", worked, "1/2569", "--json", "--now", "2026-11-25T10:30")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["substep"] == "1.5"


def test_verify_names_the_continuation_sheet_and_row_of_an_edited_row(worked, xlflow):
    wb = openpyxl.load_workbook(worked)
    ws = wb[f"{LOG} (2)"]
    ws["F3"] = "someone else"  # row 3 of the second sheet: the Log's 5th row
    wb.save(worked)
    r = xlflow("verify", worked)
    assert r.exit_code != 0
    assert f"{LOG} (2) row 3: this row was edited by hand or inserted" in r.output


def test_a_deleted_continuation_sheet_is_named_by_verify(worked, xlflow):
    wb = openpyxl.load_workbook(worked)
    del wb[f"{LOG} (2)"]
    wb.save(worked)
    r = xlflow("verify", worked)
    assert r.exit_code != 0
    assert f"{LOG} (3) row 2: the row(s) numbered 4–6 before it were deleted" in r.output


def test_an_action_that_fills_a_sheet_and_overflows_writes_both(register_book, xlflow, small_sheets):
    """A batch of rows larger than the room left: the rest goes to the next sheet, chain intact."""
    for k in range(7):
        r = xlflow("register", register_book, "--subject", f"เรื่อง {k}", "--at", f"2026-11-25T09:{k:02d}", "--by", "c")
        assert r.exit_code == 0, r.output
    b = book.load(register_book)
    assert len(b.log) == 7 and schema.verify_chain(b.log, b.log_where) is None
    assert [name for _, name in b.log_parts] == [LOG, f"{LOG} (2)", f"{LOG} (3)"]
    assert b.log_where(6) == f"{LOG} (3) row 2"


def test_libreoffice_opens_a_register_with_continuation_sheets(worked, tmp_path):
    import subprocess

    out = tmp_path / "lo"
    r = subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "ods",
                        "--outdir", str(out), str(worked)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    ods = out / (worked.stem + ".ods")
    assert ods.exists() and ods.stat().st_size > 0
    import zipfile

    content = zipfile.ZipFile(ods).read("content.xml").decode()
    for name in (LOG, f"{LOG} (2)", f"{LOG} (3)"):
        assert f'table:name="{name}"' in content
