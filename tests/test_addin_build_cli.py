"""``xlflow addin build``: every failure is an ``Error:`` line with the fix, never a traceback.

A loaded add-in on Windows (Excel holds the .xlam open, and MoveFileEx refuses to rename
over it with WinError 5/32) needs Windows; it is simulated by making ``os.replace`` raise
that error. An unwritable folder is simulated too (the tests run as root, who may write
anywhere).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile

import pytest
from click.testing import CliRunner

from xlflow import sharing
from xlflow.addin import build as addin_build
from xlflow.cli import main


def run(*args):
    return CliRunner().invoke(main, ["addin", "build", *map(str, args)])


def windows_error(winerror: int) -> PermissionError:
    e = PermissionError(13, "Access is denied")
    e.winerror = winerror  # set by CPython on Windows only
    return e


def test_build_writes_the_add_in(tmp_path):
    result = run("-o", tmp_path / "xlflow.xlam")
    assert result.exit_code == 0, result.output
    assert result.output == f"built {tmp_path / 'xlflow.xlam'}\n"
    assert zipfile.is_zipfile(tmp_path / "xlflow.xlam")


def test_a_name_that_is_not_an_add_in_is_refused(tmp_path):
    result = run("-o", tmp_path / "out.xlsx")
    assert result.exit_code == 1
    assert result.output == ("Error: out.xlsx: the add-in must be a .xlam file (or .xlsm to try it as a "
                             "workbook), not '.xlsx' — e.g. -o xlflow.xlam\n")
    assert not (tmp_path / "out.xlsx").exists()


def test_without_the_builder_libraries_it_says_how_to_install_them(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ms_ovba", None)  # as if the addin extra were not installed
    result = run("-o", tmp_path / "xlflow.xlam")
    assert result.exit_code == 1
    assert result.output == (
        "Error: xlflow addin build needs the add-in builder libraries, which are not installed "
        "(ms_ovba is missing) — install them with pip install \"xlflow[addin]\" (from a copy of the "
        "repository: pip install \".[addin]\" in its folder; on Windows: py -m pip install ...), "
        "then build again\n")


def test_a_folder_that_cannot_be_made(tmp_path):
    blocker = tmp_path / "Documents"
    blocker.write_text("a file, not a folder")
    result = run("-o", blocker / "xlflow" / "xlflow.xlam")
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {blocker / 'xlflow'}: the folder cannot be made (")
    assert result.output.endswith(") — choose another place with -o\n")


def test_an_unwritable_folder(tmp_path, monkeypatch):
    real = tempfile.mkstemp

    def denied(*a, dir=None, **kw):
        if dir is not None and str(dir) == str(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied")
        return real(*a, dir=dir, **kw)
    (tmp_path / "locked").mkdir()
    monkeypatch.setattr(addin_build.tempfile, "mkstemp", denied)
    result = run("-o", tmp_path / "locked" / "xlflow.xlam")
    assert result.exit_code == 1
    assert result.output == (f"Error: {tmp_path / 'locked'}: cannot write there (Permission denied) — "
                             "choose a folder you can write with -o\n")


@pytest.mark.parametrize("winerror", [5, 32])
def test_over_an_add_in_that_excel_has_loaded(tmp_path, monkeypatch, winerror):
    out = tmp_path / "xlflow.xlam"
    out.write_bytes(b"the loaded add-in")
    waits = []
    monkeypatch.setattr(sharing, "wait", waits.append)

    def held(src, dst):
        raise windows_error(winerror)
    monkeypatch.setattr(addin_build.os, "replace", held)
    result = run("-o", out)
    assert result.exit_code == 1
    assert result.output == ("Error: xlflow.xlam: the file is in use by another program (Excel, antivirus?) — "
                             "nothing was changed; if the add-in is loaded in Excel, close Excel and build again\n")
    assert out.read_bytes() == b"the loaded add-in"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xlflow.xlam"]
    assert len(waits) == len(sharing.RETRY_DELAYS)  # retried before giving up


def test_a_full_temporary_folder_is_an_error_line(tmp_path, monkeypatch):
    def full(*a, **kw):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(addin_build.tempfile, "TemporaryDirectory", full)
    result = run("-o", tmp_path / "xlflow.xlam")
    assert result.exit_code == 1
    assert result.output == ("Error: the add-in could not be built (No space left on device) — nothing was "
                             "written; check the free space of the disk and of the temporary folder (TEMP)\n")


def test_python_dash_m_xlflow_builds_the_add_in(tmp_path):
    out = tmp_path / "xlflow.xlam"
    done = subprocess.run([sys.executable, "-m", "xlflow", "addin", "build", "-o", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"built {out}\n"
    assert os.path.getsize(out) > 10_000
