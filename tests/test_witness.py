"""Witnesses of the Log: a history rewritten after a witness is caught, honest growth is not.

The attacks are the ones an auditor worries about, done as an attacker would: a Log row
edited and every hash after it recomputed (the chain then verifies), the register made anew
with the same letters at other times and copied over the file, the last rows removed.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest

from xlflow import book as bk
from xlflow import schema, service, template
from xlflow.model import LogEntry
from xlflow.witness import BadWitness, parse

LOG = schema.SHEETS["log"]


def act(xlflow, book, *args):
    r = xlflow(*args[:1], book, *args[1:])
    assert r.exit_code == 0, r.output
    return r.output


def letters(xlflow, book, at_hour: int = 9) -> None:
    act(xlflow, book, "register", "--subject", "ขอเชิญประชุม ILO", "--at", f"2026-11-25T{at_hour:02d}:00", "--by", "สารบรรณ")
    act(xlflow, book, "assign", "1/2569", "--unit", "วท.", "--at", f"2026-11-25T{at_hour:02d}:05", "--by", "เลขานุการ")
    act(xlflow, book, "register", "--subject", "ขอข้อมูลแรงงาน", "--at", f"2026-11-25T{at_hour:02d}:10", "--by", "สารบรรณ")


@pytest.fixture
def witnessed(register_book, xlflow):
    """A register with three Log rows, and the witness line of it."""
    letters(xlflow, register_book)
    line = act(xlflow, register_book, "verify", "--witness").strip()
    return register_book, line


def verify(xlflow, book, line):
    return xlflow("verify", book, "--against", line)


def rewrite_log(book, change) -> None:
    """Edit the Log as an attacker with Python would: change rows, then recompute every hash."""
    import openpyxl

    wb = openpyxl.load_workbook(book)
    ws = wb[LOG]
    hm = schema.header_map(LOG, [c.value for c in ws[1]], schema.LOG_COLUMNS)
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2) if any(c.value is not None for c in r)]
    rows = change(rows, hm)
    for r in range(2, ws.max_row + 1):
        for c in range(1, ws.max_column + 1):
            ws.cell(row=r, column=c).value = None
    prev = ""
    for i, row in enumerate(rows, start=2):
        e = LogEntry(int(row[hm["seq"]]), row[hm["item"]], row[hm["substep"]], row[hm["action"]], row[hm["at"]], row[hm["by"]],
                     row[hm["note"]] or "", json.loads(row[hm["data"]]) if row[hm["data"]] else {}).chained(prev)
        prev = e.hash
        row[hm["hash"]] = e.hash
        for c, v in enumerate(row, start=1):
            ws.cell(row=i, column=c).value = v
    wb.save(book)


def test_the_witness_line_reads_back_as_it_was_written(witnessed):
    book, line = witnessed
    w = parse(line)
    assert w.line() == line and w.rows == 3 and w.register_id == bk.load(book).register_id
    with pytest.raises(BadWitness):
        parse("xlflow-witness/1 id=abc at=2026-11-25T09:00 rows=3 log=1:3:nothex")


def test_a_register_with_no_witness_says_only_the_chain_was_checked(witnessed, xlflow):
    r = xlflow("verify", witnessed[0])
    assert r.exit_code == 0
    assert r.output == "the log is intact\nchain intact; no witness yet: only the chain was checked (a witness outside the workbook is what shows a rewritten history)\n"


def test_honest_growth_after_a_witness_verifies_and_says_what_was_checked(witnessed, xlflow):
    book, line = witnessed
    act(xlflow, book, "advance", "1/2569", "--at", "2026-11-25T09:20", "--by", "เลขานุการ")
    act(xlflow, book, "correct", "1/2569", "--at", "2026-11-25T09:21", "--by", "เลขานุการ")  # a correction is growth too
    r = verify(xlflow, book, line)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[1].startswith("chain intact; matches the witness of ") and r.output.rstrip().endswith(", 3 rows")


def test_a_log_going_on_in_a_new_sheet_after_a_witness_verifies(register_book, xlflow, monkeypatch):
    monkeypatch.setattr(schema, "LOG_SHEET_ROWS", 2)
    letters(xlflow, register_book)  # 3 rows: sheet 1 full (2), sheet 2 holds 1
    line = act(xlflow, register_book, "verify", "--witness").strip()
    assert "log=1:2:" in line and ",2:1:" in line
    act(xlflow, register_book, "advance", "1/2569", "--at", "2026-11-25T09:20", "--by", "เลขานุการ")
    act(xlflow, register_book, "register", "--subject", "อีกเรื่อง", "--at", "2026-11-25T09:30", "--by", "สารบรรณ")  # a third sheet
    r = verify(xlflow, register_book, line)
    assert r.exit_code == 0, r.output


def test_a_log_row_edited_and_rehashed_after_a_witness_is_caught(witnessed, xlflow):
    book, line = witnessed

    def earlier(rows, hm):
        rows[1][hm["at"]] = datetime(2026, 11, 25, 8, 30)  # the assignment "happened" earlier
        return rows

    rewrite_log(book, earlier)
    assert xlflow("verify", book).exit_code == 0  # the chain alone is fooled
    r = verify(xlflow, book, line)
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: {LOG} row 4: differs from the witness of ")
    assert "edited, re-hashed or replaced since" in r.output


def test_rows_removed_after_a_witness_are_caught_even_when_the_register_is_made_to_agree(witnessed, xlflow):
    import openpyxl

    book, line = witnessed
    rewrite_log(book, lambda rows, hm: rows[:2])  # the last registration removed, the chain recomputed
    wb = openpyxl.load_workbook(book)
    wb[schema.SHEETS["register"]].delete_rows(3)  # and its letter, so that the Register agrees
    wb.save(book)
    assert xlflow("verify", book).exit_code == 0  # chain and Register agree: only the witness can tell
    r = verify(xlflow, book, line)
    assert r.exit_code == 1
    assert r.output.startswith(f"Error: {LOG} row 4: the Log has 2 rows where the witness of ")
    assert "saw 3 — rows were removed" in r.output


def test_a_register_replayed_anew_and_copied_over_is_caught(witnessed, xlflow, tmp_path):
    book, line = witnessed
    forged = template.init(tmp_path / "forged.xlsx")
    letters(xlflow, forged, at_hour=8)  # the same letters, earlier
    shutil.copy2(forged, book)
    assert xlflow("verify", book).exit_code == 0  # its own chain is perfect
    r = verify(xlflow, book, line)
    assert r.exit_code == 1
    assert "is not the register witnessed on" in r.output and "it was replaced by another file" in r.output


def test_a_replayed_copy_given_the_old_id_is_caught_by_its_hashes(witnessed, xlflow, tmp_path):
    book, line = witnessed
    rid = bk.load(book).register_id
    forged = tmp_path / "forged.xlsx"
    template.init(forged)
    from xlflow.ports.package import PackagePort

    port = PackagePort(forged)  # the forger copies the id too
    wbx = port.read(port.workbook_part).decode()
    port.changed[port.workbook_part] = wbx.replace(port.register_id(), rid).encode()
    port.save_to(tmp_path / "forged2.xlsx")
    letters(xlflow, tmp_path / "forged2.xlsx", at_hour=8)
    shutil.copy2(tmp_path / "forged2.xlsx", book)
    r = verify(xlflow, book, line)
    assert r.exit_code == 1 and "differs from the witness of" in r.output


def test_verify_witness_prints_json_too(witnessed, xlflow):
    book, line = witnessed
    data = json.loads(act(xlflow, book, "verify", "--witness", "--json"))
    assert data["rows"] == 3 and data["sheets"][0]["sheet"] == 1 and len(data["sheets"][0]["last_hash"]) == 64
    assert service.current_witness(book).rows == 3


def test_the_evaluation_cover_carries_the_witness_it_read(witnessed, xlflow, tmp_path):
    import openpyxl

    book, _ = witnessed
    out = tmp_path / "eval.xlsx"
    r = xlflow("evaluate", book, "--fiscal-year", "2570", "--round", "6", "--now", "2026-12-01T10:00", "-o", out)
    assert r.exit_code == 0, r.output
    cover = openpyxl.load_workbook(out)["ปก"]
    line = next(row[1] for row in cover.iter_rows(values_only=True) if row[0] and str(row[0]).startswith("พยานของบันทึก"))
    assert parse(line).rows == 3
    assert xlflow("verify", book, "--against", line).exit_code == 0  # the PMQA team's copy verifies the register
