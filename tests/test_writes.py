"""Writing the register safely: atomic saves, rolling backups, one writer at a time, hands off
a workbook a person has open, and nothing xlflow does not understand lost on save."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName

from xlflow import book
from xlflow.schema import REGISTER_COLUMNS, SHEETS, col_letter

REG, LOG = SHEETS["register"], SHEETS["log"]
COL = {c.field: col_letter(i) for i, c in enumerate(REGISTER_COLUMNS)}
LASTCOL = col_letter(len(REGISTER_COLUMNS) - 1)
XLFLOW = Path(sys.executable).with_name("xlflow")
NAME = "Coordination_Register.xlsx"


@pytest.fixture
def one_item(register_book, xlflow):
    r = xlflow("register", register_book, "--subject", "ขอเชิญประชุม", "--at", "2026-11-25T09:00", "--by", "สารบรรณ")
    assert r.output == "1/2569\n"
    return register_book


def log_count(path) -> int:
    return len(book.load(path).log)


# -- atomic save and backups --------------------------------------------------------------------------------
@pytest.mark.parametrize("stage, lands", [("before-save", False), ("after-temp-written", False), ("before-rename", False), ("after-rename", True)])
def test_a_writer_killed_at_any_stage_leaves_a_whole_workbook(one_item, xlflow, stage, lands):
    before = one_item.read_bytes()
    killed = subprocess.run(
        [str(XLFLOW), "assign", str(one_item), "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c"],
        env={**os.environ, "XLFLOW_FAULT": stage}, capture_output=True, timeout=120,
    )
    assert killed.returncode == -9  # SIGKILL, mid-write
    b = book.load(one_item)  # whole: it opens and reads
    assert b.problems == []
    if lands:
        assert b.states()["1/2569"].unit == "วท."
    else:
        assert one_item.read_bytes() == before
    # the dead writer's lock is taken over: the next action goes through
    r = xlflow("advance", one_item, "1/2569", "--at", "2026-11-25T09:10", "--by", "c") if lands else \
        xlflow("assign", one_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c")
    assert r.exit_code == 0, r.output
    assert xlflow("verify", one_item).output.startswith("the log is intact\n")


def test_every_save_keeps_a_backup_and_only_the_last_five_stay(one_item, xlflow):
    versions = [one_item.read_bytes()]
    xlflow("assign", one_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:01", "--by", "c")
    versions.append(one_item.read_bytes())
    for minute in range(2, 8):
        assert xlflow("advance" if minute % 2 == 0 else "correct", one_item, "1/2569", "--at", f"2026-11-25T09:0{minute}", "--by", "c").exit_code == 0
        versions.append(one_item.read_bytes())
    backups = sorted((one_item.parent / ".xlflow-backups").iterdir())
    assert len(backups) == 5
    assert [p.read_bytes() for p in backups] == versions[-6:-1]  # the five versions before the current one
    assert all(p.name.startswith("Coordination_Register.") and p.suffix == ".xlsx" for p in backups)


def test_a_refused_action_writes_nothing_and_keeps_no_backup(one_item, xlflow):
    backups = one_item.parent / ".xlflow-backups"
    before_backups = sorted(backups.iterdir()) if backups.exists() else []
    before = one_item.read_bytes()
    assert xlflow("approve", one_item, "1/2569", "--at", "2026-11-25T09:05", "--by", "c").exit_code == 1
    assert one_item.read_bytes() == before
    assert (sorted(backups.iterdir()) if backups.exists() else []) == before_backups
    assert not list(one_item.parent.glob(".~xlflow-tmp-*"))


# -- one writer at a time -------------------------------------------------------------------------------------
def test_second_writer_is_refused_clearly_while_the_lock_is_held(one_item, xlflow, monkeypatch):
    monkeypatch.setattr(book, "LOCK_WAIT", 0.3)
    before = one_item.read_bytes()
    with book.writer_lock(one_item):
        r = xlflow("assign", one_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c")
    assert (r.exit_code, r.output) == (
        1,
        f"Error: {NAME} is being written by another xlflow ({os.getpid()}@{socket.gethostname()}) — try again in a moment; "
        f"if no xlflow is running, delete .~xlflow-{NAME}.lock\n",
    )
    assert one_item.read_bytes() == before
    # released: the same action now goes through
    assert xlflow("assign", one_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c").exit_code == 0
    assert not book.lock_path(one_item).exists()


def test_lock_is_released_when_the_action_is_refused(one_item, xlflow):
    assert xlflow("approve", one_item, "1/2569", "--at", "2026-11-25T09:05", "--by", "c").exit_code == 1
    assert not book.lock_path(one_item).exists()


# -- a workbook a person has open -----------------------------------------------------------------------------------
def excel_owner_file(user: str) -> bytes:
    """What Excel writes into ~$name.xlsx: the user name, length-prefixed and space-padded."""
    raw = user.encode("latin-1")
    return bytes([len(raw)]) + raw + b" " * (53 - len(raw)) + bytes([len(raw), 0]) + user.encode("utf-16-le") + b"\x00" * 4


@pytest.mark.parametrize(
    "owner, content, program",
    [
        (f"~${NAME}", excel_owner_file("somchai"), "Excel"),
        (f"~${NAME[2:]}", excel_owner_file("somchai"), "Excel"),  # Excel shortens long names
        (f".~lock.{NAME}#", b",somchai,PC-WT-01,25.11.2026 09:00,file:///C:/Users/somchai/AppData/Roaming/LibreOffice/4;", "LibreOffice"),
    ],
)
def test_workbook_open_in_excel_or_libreoffice_is_refused(one_item, xlflow, owner, content, program):
    (one_item.parent / owner).write_bytes(content)
    before = one_item.read_bytes()
    r = xlflow("assign", one_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c")
    assert (r.exit_code, r.output) == (
        1,
        f"Error: {NAME} is open in {program} by somchai (found {owner}) — close it there first, "
        f"or use the xlflow buttons inside Excel; if nobody has it open, delete {owner}\n",
    )
    assert one_item.read_bytes() == before
    assert xlflow("show", one_item, "1/2569", "--now", "2026-11-25T09:05").exit_code == 0  # reading is fine


# -- nothing xlflow does not understand is lost -----------------------------------------------------------------------
def decorate(path) -> None:
    """What an office does to its register in Excel: a sheet, a name, a comment, a width, a fill."""
    wb = openpyxl.load_workbook(path)
    extra = wb.create_sheet("สรุปของสำนักงาน")
    extra["A1"], extra["B1"] = "จำนวนเรื่อง", f"=COUNTA('{REG}'!A:A)-1"
    wb.defined_names["OfficeHead"] = DefinedName("OfficeHead", attr_text=f"'{SHEETS['people']}'!$A$2")
    ws = wb[REG]
    ws[f"{COL['substep']}2"].comment = Comment("ตามเรื่องด่วน", "ผอ.วท.")
    ws[f"{COL['substep']}2"].fill = PatternFill("solid", fgColor="FFFF00")
    ws.column_dimensions[COL["subject"]].width = 55
    wb.save(path)


def decorations(path) -> dict:
    """Everything a save must keep, as plain values."""
    wb = openpyxl.load_workbook(path)
    ws = wb[REG]
    cell = ws[f"{COL['substep']}2"]
    return {
        "sheets": wb.sheetnames,
        "extra": [[c.value for c in r] for r in wb["สรุปของสำนักงาน"].iter_rows()],
        "name": wb.defined_names["OfficeHead"].attr_text,
        "comment": (cell.comment.text.strip(), cell.comment.author) if cell.comment else None,
        "fill": cell.fill.fgColor.rgb,
        "width": round(ws.column_dimensions[COL["subject"]].width),
        "tables": {n: ws.tables[n].ref for n in ws.tables},
        "validations": sorted(str(dv.sqref) for dv in ws.data_validations.dataValidation),
        "conditional": sorted(str(cf.sqref) for cf in ws.conditional_formatting),
        "widths": {k: d.width for k, d in ws.column_dimensions.items() if k != COL["subject"]},
        "fonts": sorted({c.font.name for c in ws[1]}),
    }


def check_action_landed(path) -> None:
    b = book.load(path)
    assert b.states()["1/2569"].unit == "กลุ่มวิเทศสัมพันธ์"
    assert b.problems == []
    ws = openpyxl.load_workbook(path)[REG]
    assert ws[f"{COL['unit']}2"].value == "กลุ่มวิเทศสัมพันธ์"
    assert [e.action for e in b.log] == ["register", "assign"]


def test_decorations_made_with_openpyxl_survive_an_action(one_item, xlflow):
    decorate(one_item)
    before = decorations(one_item)
    assert before["comment"] == ("ตามเรื่องด่วน", "ผอ.วท.") and before["fill"] == "00FFFF00" and before["width"] == 55
    r = xlflow("assign", one_item, "1/2569", "--unit", "กลุ่มวิเทศสัมพันธ์", "--at", "2026-11-25T09:05", "--by", "c")
    assert r.exit_code == 0, r.output
    assert decorations(one_item) == before
    check_action_landed(one_item)
    wb = openpyxl.load_workbook(one_item)
    assert wb["สรุปของสำนักงาน"]["B1"].value == f"=COUNTA('{REG}'!A:A)-1"


def libreoffice_save(src: Path, outdir: Path, profile: Path) -> Path:
    """Open ``src`` in LibreOffice headless and save it as .xlsx into ``outdir``."""
    outdir.mkdir()
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(outdir), str(src)],
        capture_output=True, text=True, timeout=180,
    )
    out = outdir / src.name
    assert done.returncode == 0 and out.exists(), done.stdout + done.stderr
    return out


@pytest.mark.libreoffice
def test_register_saved_by_libreoffice_keeps_its_decorations_through_an_action(one_item, xlflow, tmp_path):
    decorate(one_item)
    lo_book = libreoffice_save(one_item, tmp_path / "saved-by-libreoffice", tmp_path / "lo-profile")
    assert lo_book.read_bytes() != one_item.read_bytes()
    before = decorations(lo_book)
    # LibreOffice kept what the office added, and the register still reads clean
    assert "สรุปของสำนักงาน" in before["sheets"] and before["name"].replace("'", "") == f"{SHEETS['people']}!$A$2"
    assert before["comment"][0] == "ตามเรื่องด่วน" and before["fill"] == "FFFFFF00" and before["width"] == 55  # LibreOffice drops the author
    assert before["tables"] == {"Register": f"A1:{LASTCOL}2"}
    assert book.load(lo_book).problems == []
    assert xlflow("verify", lo_book).output.startswith("the log is intact\n")

    r = xlflow("assign", lo_book, "1/2569", "--unit", "กลุ่มวิเทศสัมพันธ์", "--at", "2026-11-25T09:05", "--by", "c")
    assert r.exit_code == 0, r.output
    assert decorations(lo_book) == before
    check_action_landed(lo_book)
    assert xlflow("verify", lo_book).output.startswith("the log is intact\n")
    # a second letter grows LibreOffice's Table
    assert xlflow("register", lo_book, "--subject", "ฉบับที่สอง", "--at", "2026-11-25T09:10", "--by", "c").output == "2/2569\n"
    ws = openpyxl.load_workbook(lo_book)[REG]
    assert (ws.tables["Register"].ref, ws["A3"].value) == (f"A1:{LASTCOL}3", "2/2569")


def test_table_and_status_formula_grow_with_every_new_row(register_book, xlflow):
    for minute in range(3):
        xlflow("register", register_book, "--subject", f"เรื่องที่ {minute + 1}", "--at", f"2026-11-25T09:0{minute}", "--by", "c")
    ws = openpyxl.load_workbook(register_book)[REG]
    table = ws.tables["Register"]
    assert (table.ref, table.autoFilter.ref) == (f"A1:{LASTCOL}4", f"A1:{LASTCOL}4")
    assert [ws[f"A{r}"].value for r in range(2, 5)] == ["1/2569", "2/2569", "3/2569"]
    assert all(ws[f"{COL['status']}{r}"].value.startswith(f'=IF($W{r}<>"",IF($Y{r}<>"",$Y{r},"เสร็จสิ้น")') for r in range(2, 5))


def test_an_image_in_the_register_survives_an_action(one_item, xlflow, tmp_path):
    """A logo or a scanned signature placed on a sheet is kept (openpyxl needs Pillow for that)."""
    from openpyxl.drawing.image import Image
    from PIL import Image as PILImage

    png = tmp_path / "logo.png"
    PILImage.new("RGB", (40, 20), (200, 30, 30)).save(png)
    wb = openpyxl.load_workbook(one_item)
    wb[SHEETS["info"]].add_image(Image(str(png)), "G2")
    wb.save(one_item)
    r = xlflow("assign", one_item, "1/2569", "--unit", "กลุ่มวิเทศสัมพันธ์", "--at", "2026-11-25T09:05", "--by", "c")
    assert r.exit_code == 0, r.output
    images = openpyxl.load_workbook(one_item)[SHEETS["info"]]._images
    assert len(images) == 1
    assert images[0].anchor._from.col == 6 and images[0].anchor._from.row == 1


def test_a_temporary_file_left_by_a_killed_writer_is_cleared_by_the_next_write(one_item, xlflow):
    left = one_item.with_name(f".~xlflow-tmp-999999-{one_item.name}")
    left.write_bytes(b"half a workbook")
    old = left.stat().st_mtime - 3600
    os.utime(left, (old, old))
    r = xlflow("assign", one_item, "1/2569", "--unit", "วท.", "--at", "2026-11-25T09:05", "--by", "c")
    assert r.exit_code == 0, r.output
    assert not left.exists()
    assert [p.name for p in one_item.parent.glob(".~xlflow-tmp-*")] == []


def test_a_register_at_excels_last_row_refuses_the_next_letter_and_writes_nothing(one_item, monkeypatch):
    """A sheet past 1,048,576 rows does not open in Excel: refuse before writing. (The Log
    never gets there: it goes on in a new sheet after LOG_SHEET_ROWS rows.)"""
    import hashlib

    from xlflow import apply, errors, schema, service

    assert schema.LOG_SHEET_ROWS + 1 <= apply.EXCEL_ROWS
    monkeypatch.setattr(apply, "EXCEL_ROWS", 2)  # the Register holds 1 header + 1 row: full
    before = hashlib.sha256(one_item.read_bytes()).hexdigest()
    with pytest.raises(errors.WorkbookError) as e:
        service.register_letter(one_item, at=datetime(2026, 11, 25, 9, 5), by="c", subject="อีกเรื่อง")
    assert str(e.value).startswith(f"{REG}: the sheet is full (Excel holds 2 rows) — nothing was written; start a new register")
    assert hashlib.sha256(one_item.read_bytes()).hexdigest() == before


def test_a_lock_is_stale_only_when_its_writer_is_gone(tmp_path):
    """Liveness is asked of the kernel without signalling the writer (os.kill(pid, 0) would be
    CTRL_C_EVENT on Windows)."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(proc.stdout)
    host = socket.gethostname()
    assert book._stale(f"{dead}@{host}") is True
    assert book._stale(f"{os.getpid()}@{host}") is False
    assert book._stale(f"{dead}@another-host") is False  # another machine's process: cannot tell, keep the lock
