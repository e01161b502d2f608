"""The Log goes on over continuation sheets: บันทึกการดำเนินงาน, บันทึกการดำเนินงาน (2), …

Each sheet holds at most ``schema.LOG_SHEET_ROWS`` rows (200,000 in the product; 3 here, so
that a few actions cross several sheets). What must hold: the rows go on, numbered and chained
across the sheets; the new sheet looks like the first (header, widths, format, colour); every
reader sees one Log; ``verify`` names the sheet and row of a row edited on a continuation
sheet; LibreOffice opens the result.
"""

from __future__ import annotations

import json
from datetime import datetime

import openpyxl
import pytest

from xlflow import book, schema
from xlflow.model import LogEntry
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


# -- the ribbon (xlwings' remote engine; Windows Excel cannot run here) -----------------------
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import xlwings as xw  # noqa: E402

from xlflow import macros  # noqa: E402
from xlwings_payload import CLICK, Register, excel_opener, walk  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from ribbon_calls import counting  # noqa: E402

WORKED = datetime(2026, 11, 24, 8, 30)


@pytest.fixture
def excel(monkeypatch):
    """``excel(payload)`` opens a register "in Excel" (xlwings' remote engine) as the macros' caller."""
    return excel_opener(monkeypatch)


def _register(fillers: int) -> tuple[Register, str]:
    """``fillers`` letters just registered, then one letter walked to 1.3 (its 3 rows last)."""
    reg = Register()
    reg.add_filler(fillers, WORKED)
    item = reg.register_letter(WORKED.replace(hour=9), subject="หนังสือทดสอบ")
    walk(reg, item, "1.3", [WORKED.replace(hour=10)])
    return reg, item


def _sheet_positions(book) -> dict[str, int]:
    return {s["name"]: i for i, s in enumerate(book.json()["sheets"])} if "sheets" in book.json() else {}


def _log_writes(book) -> dict[int, list]:
    """Sheet position → [(first row, values)] of the setValues actions."""
    out: dict[int, list] = {}
    for a in book.json()["actions"]:
        if a["func"] == "setValues":
            out.setdefault(a["sheet_position"], []).append((a["start_row"] + 1, a["values"]))
    return out


def _click(excel, reg: Register, button: str, item: str, log_rows: int, monkeypatch) -> tuple[xw.Book, int]:
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", log_rows)
    book = excel(reg.payload(selection=f"C{reg.row_of(item)}"))
    with counting() as calls:
        getattr(macros, button)(at=CLICK)
    return book, sum(calls.values())


def test_an_advance_on_the_newest_log_sheet_costs_the_calls_of_a_one_sheet_log(excel, monkeypatch):
    reg, item = _register(fillers=4)  # 7 Log rows: one sheet of 100, or sheets of 4 with the item's 3 rows on the second
    one, calls_one = _click(excel, reg, "advance", item, 100, monkeypatch)
    two, calls_two = _click(excel, reg, "advance", item, 4, monkeypatch)
    assert [a["func"] for a in two.json()["actions"] if a["func"] == "alert"] == []
    assert calls_two == calls_one
    # the new row: row 9 of the one sheet; row 5 (after 3 rows) of the second, which stands at position 2
    assert [r for r, _ in _log_writes(one)[1]] == [9]
    assert [r for r, _ in _log_writes(two)[2]] == [5]
    # an item whose rows begin on the sheet before costs the reading of that sheet, no more
    old = reg.book().log[0].item  # a filler: registered on the first sheet
    reg.act(old, "assign", WORKED.replace(hour=11), unit="วท.")  # row 8: the second sheet is full now
    reg.register_letter(WORKED.replace(hour=11, minute=5), subject="อีกเรื่อง")  # row 9, on a third sheet
    _, calls_single = _click(excel, reg, "advance", old, 100, monkeypatch)
    book, calls_old = _click(excel, reg, "advance", old, 4, monkeypatch)
    assert not [a for a in book.json()["actions"] if a["func"] == "alert"]
    assert [r for r, _ in _log_writes(book)[3]] == [3]
    assert calls_single < calls_old <= calls_single + 2 * 10  # sheets 3, 2 and 1 read instead of one: 10 calls each


def test_an_item_registered_on_an_older_sheet_is_read_back_to_its_registration(excel, monkeypatch):
    reg = Register()
    item = reg.register_letter(WORKED, subject="หนังสือเก่า")
    reg.add_filler(5, WORKED.replace(hour=9))  # the item's registration on sheet 1 of 3-row sheets; 6 rows
    book, _ = _click(excel, reg, "advance", item, 3, monkeypatch)
    alerts = [a["args"][0] for a in book.json()["actions"] if a["func"] == "alert"]
    assert alerts and "no หน่วยงาน (unit) is assigned" in alerts[0]  # the core's own refusal: the item was found and replayed
    reg.act(item, "assign", WORKED.replace(hour=10), unit="วท.")  # row 7: a third sheet
    book, _ = _click(excel, reg, "advance", item, 3, monkeypatch)
    assert not [a for a in book.json()["actions"] if a["func"] == "alert"]
    writes = _log_writes(book)
    [(row, [values])] = writes[3]  # the third Log sheet, row 3 (after its one row)
    assert row == 3 and values[0] == 8 and values[3].lstrip("'") == "advance"


def test_a_full_log_sheet_goes_on_in_a_copy_of_itself(excel, monkeypatch):
    reg, item = _register(fillers=0)  # 3 Log rows: the sheet of 3 is full
    before = reg.book().log[-1]
    book, _ = _click(excel, reg, "advance", item, 3, monkeypatch)
    acts = book.json()["actions"]
    assert not [a for a in acts if a["func"] == "alert"]
    copy = next(a for a in acts if a["func"] == "copySheet")
    assert copy["sheet_position"] == 1 and copy["args"][:2] == ["After", 1]
    renamed = next(a for a in acts if a["func"] == "setSheetName")
    assert renamed["args"] == [f"{LOG} (2)"] or renamed["args"][-1] == f"{LOG} (2)"
    cleared = next(a for a in acts if a["func"] == "rangeClearContents")
    assert cleared["sheet_position"] == 2 and cleared["start_row"] + 1 == 2
    [(row, [values])] = _log_writes(book)[2]
    assert row == 2 and values[0] == 4
    e = LogEntry(4, item, "1.3", "advance", CLICK, values[5].lstrip("'"), "", {})
    assert values[8].lstrip("'") == e.chained(before.hash).hash  # the chain runs on from the full sheet's last row


# -- the checker's reading: one Log sheet at a time, open items only ---------------------------
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import generate  # noqa: E402

from xlflow import checks  # noqa: E402


def _findings(b, now):
    f = checks.find(b, now)
    return (
        [(x.key, x.kind, x.item, x.officer, x.due_at, round(x.late_minutes, 6), x.subject) for x in f.breaches],
        sorted(n.en for n in f.notices),
        f.totals,
        {k: sorted(v) for k, v in f.to.items()},
    )


def test_the_checker_reading_finds_what_the_full_reading_finds(tmp_path, monkeypatch):
    """A generated register of 1,500 letters (send-backs, pauses, 27,000 Log rows) over Log
    sheets of 4,000 rows: the same breaches, notices, totals and addressees either way."""
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", 4_000)
    path = tmp_path / "big.xlsx"
    meta = generate.generate(path, 1_500, seed=7, progress=False)
    assert len(meta.get("log_sheets", [])) >= 6
    full, current = book.load(path), book.load_current(path)
    assert current.log == [] and len(full.log) == meta["log_rows"]
    open_, bad, done = current.current_states()
    assert len(done) == meta["done"] and len(open_) == meta["open"] + meta["paused"] and bad == []
    assert set(current.letters) == set(open_)  # only the open items' letters are kept
    assert current.current_states() == full.current_states()
    now = generate.NOW
    assert _findings(current, now) == _findings(full, now)
    assert _findings(current, now)[0], "the register has breaches to compare"


def test_a_correction_of_a_finished_item_is_read_again(register_book, xlflow, small_sheets):
    """The fold drops a finished item's entries; its later correction makes the checker's
    reading go back for them (a second reading of the Log sheets)."""
    add = [("register", "--subject", "ก", "--at", "2026-11-25T08:40")]
    assert xlflow(*add[0][:1], register_book, *add[0][1:], "--by", "c").exit_code == 0
    b = book.load(register_book)
    steps = len(b.process.substeps) - 1
    t = [f"2026-11-{26 + k // 7:02d}T{9 + k % 7:02d}:00" for k in range(steps + 3)]
    k = 0
    for sub in b.process.substeps[1:]:
        if sub.requires == "unit":
            assert xlflow("assign", register_book, "1/2569", "--unit", "วท.", "--at", t[k], "--by", "c").exit_code == 0
            k += 1
        if sub.requires == "officer":
            r = xlflow("assign", register_book, "1/2569", "--officer", "นายสมชาย ใจดี", "--at", t[k], "--by", "c")
            assert r.exit_code == 0, r.output
            k += 1
        verb = "approve" if sub.is_decision else "advance"
        r = xlflow(verb, register_book, "1/2569", "--at", t[k], "--by", "c")
        assert r.exit_code == 0, r.output
        k += 1
    assert book.load_current(register_book).current_states()[2] == {"1/2569"}
    r = xlflow("correct", register_book, "1/2569", "--at", t[k], "--by", "c")
    assert r.exit_code == 0, r.output
    current, full = book.load_current(register_book), book.load(register_book)
    assert len(schema.log_sheets(openpyxl.load_workbook(register_book, read_only=True).sheetnames)) > 3
    open_, bad, done = current.current_states()
    assert done == set() and open_["1/2569"].substep == b.process.substeps[-1].code
    assert current.current_states() == full.current_states()
