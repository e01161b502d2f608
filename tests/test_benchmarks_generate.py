"""The benchmark generator splits the Log over sheets as xlflow does.

``benchmarks/generate.py`` writes the sheet XML itself, so these tests read its files with
python-calamine and openpyxl rather than through xlflow's own reader: each Log sheet holds
at most ``schema.LOG_SHEET_ROWS`` rows, the sheets follow the Log in order, and the rows
read across them are the rows of an unsplit Log (numbers and hash chain running on).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from xlflow import book as bk
from xlflow import schema, service

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import generate  # noqa: E402

ITEMS = 200


def _log_rows(path: Path) -> tuple[list[str], list[str], dict[str, list[list]]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    logs = schema.log_sheets(wb.sheet_names)
    return wb.sheet_names, logs, {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in logs}


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> tuple[Path, dict]:
    """The register with its Log on one sheet (the limit well above its rows)."""
    path = tmp_path_factory.mktemp("whole") / "r.xlsx"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(schema, "LOG_SHEET_ROWS", 100_000)
        return path, generate.generate(path, ITEMS, progress=False)


def test_the_log_is_split_over_sheets_and_reads_as_the_whole_log(whole, tmp_path, monkeypatch):
    import openpyxl

    per = 500
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", per)
    path = tmp_path / "split.xlsx"
    meta = generate.generate(path, ITEMS, progress=False)
    total = whole[1]["log_rows"]
    assert total > 3 * per  # the test needs several sheets
    expected = [per] * (total // per) + ([total % per] if total % per else [])
    assert meta["log_rows"] == total and meta["log_sheets"] == expected and meta["log_sheet_rows"] == per
    assert meta["fits_in_excel"] and generate.fits_in_excel(meta)

    names, logs, rows = _log_rows(path)
    assert logs == [schema.log_sheet_name(n) for n in range(1, len(expected) + 1)]
    at = names.index(logs[0])
    assert names[at:at + len(logs)] == logs  # right after the Log, in order
    assert [n for n in names if n not in logs] == [n for n in _log_rows(whole[0])[0] if n not in logs]
    header = rows[logs[0]][0]
    body = []
    for name, count in zip(logs, expected):
        assert rows[name][0] == header
        assert len(rows[name]) == count + 1 <= per + 1
        body += rows[name][1:]
    assert [r[0] for r in body] == list(range(1, total + 1))  # the sequence runs on across sheets
    _, _, one = _log_rows(whole[0])
    assert body == one[logs[0]][1:]  # the same rows, in the same order, as the unsplit Log

    entries = []
    for name in logs:
        got = schema.read_log(rows[name])
        assert got.problems == []
        entries += got.records
    assert schema.verify_chain(entries) is None  # the hash chain runs on across sheets
    # and xlflow itself reads it as the one Log of the unsplit register
    b, one_book = bk.load(path), bk.load(whole[0])
    assert b.problems == []
    assert b.log == one_book.log == entries and b.letters == one_book.letters
    assert service.verify(path) is None

    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == names
    base = wb[logs[0]]
    for name in logs[1:]:
        ws = wb[name]
        assert ws.freeze_panes == base.freeze_panes == "A2"
        assert ws.sheet_properties.tabColor.rgb == base.sheet_properties.tabColor.rgb
        assert [c.value for c in ws[1]] == [c.value for c in base[1]]
        assert [c.style_id for c in ws[1]] == [c.style_id for c in base[1]]
        assert {k: d.width for k, d in ws.column_dimensions.items()} == {k: d.width for k, d in base.column_dimensions.items()}
        assert ws.auto_filter.ref == base.auto_filter.ref
        assert ws["A1"].comment.text == base["A1"].comment.text
        assert ws.max_row <= per + 1


@pytest.mark.parametrize("extra", [0, -1])
def test_a_full_last_sheet_opens_no_empty_one(whole, tmp_path, monkeypatch, extra):
    total = whole[1]["log_rows"]
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", total + extra)
    meta = generate.generate(tmp_path / "r.xlsx", ITEMS, progress=False)
    assert meta["log_sheets"] == ([total] if extra == 0 else [total - 1, 1])
    _, logs, rows = _log_rows(tmp_path / "r.xlsx")
    assert [len(rows[n]) - 1 for n in logs] == meta["log_sheets"]


def test_sheets_after_the_log_keep_their_print_titles_and_the_active_tab(tmp_path, monkeypatch):
    """Names tied to a sheet by its index (localSheetId) move with it past the new Log sheets."""
    import openpyxl

    plain = generate.template_bytes
    process_sheet = schema.SHEETS["process"]

    def with_titles(today, process):
        wb = openpyxl.load_workbook(io.BytesIO(plain(today, process)))
        wb[process_sheet].print_title_rows = "1:1"
        wb.active = wb.sheetnames.index(process_sheet)
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue()

    monkeypatch.setattr(generate, "template_bytes", with_titles)
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", 1000)
    path = tmp_path / "r.xlsx"
    meta = generate.generate(path, ITEMS, progress=False)
    assert len(meta["log_sheets"]) > 1
    wb = openpyxl.load_workbook(path)
    assert wb[process_sheet].print_title_rows == "$1:$1"
    assert wb.active.title == process_sheet
    assert wb[schema.SHEETS["register"]].print_title_rows == "$1:$1"  # the template's own, before the Log: unmoved
    assert all(not wb[n].print_title_rows for n in wb.sheetnames if schema.log_sheet_number(n))  # none slid onto a Log sheet


def test_a_cached_register_split_at_another_limit_is_made_again(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", 1000)
    path, meta = generate.cached(50, data_dir=tmp_path, progress=False)
    assert meta["log_sheet_rows"] == 1000
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", 300)
    again, meta2 = generate.cached(50, data_dir=tmp_path, progress=False)
    assert again == path and meta2["log_sheet_rows"] == 300 and len(meta2["log_sheets"]) > len(meta["log_sheets"])


def test_fits_in_excel_looks_at_the_largest_sheet(monkeypatch):
    monkeypatch.setattr(generate, "EXCEL_ROWS", 11)
    assert generate.fits_in_excel({"items": 10, "log_rows": 30, "log_sheets": [10, 10, 10]})
    assert not generate.fits_in_excel({"items": 10, "log_rows": 30, "log_sheets": [10, 11, 9]})
    assert not generate.fits_in_excel({"items": 11, "log_rows": 30, "log_sheets": [10, 10, 10]})
    assert not generate.fits_in_excel({"items": 10, "log_rows": 30})  # a sidecar from before the split
