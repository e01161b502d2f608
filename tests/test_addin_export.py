"""``python -m xlflow.addin.export FOLDER``: the files of the fallback add-in made in Excel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import xlwings
from xlflow.addin import build as addin_build

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent


def test_export_writes_the_three_files_the_vba_editor_imports(tmp_path):
    out = tmp_path / "vba"
    done = subprocess.run([sys.executable, "-m", "xlflow.addin.export", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"wrote {out / n}" for n in ("xlflow.bas", "xlwings.bas", "Dictionary.cls")]
    ours = (out / "xlflow.bas").read_bytes().decode("cp1252")
    assert ours.replace("\r\n", "\n") == addin_build.BAS_PATH.read_text(encoding="utf-8")
    assert "\n" not in ours.replace("\r\n", "")  # CRLF throughout, as VBA keeps it
    xw = (out / "xlwings.bas").read_bytes().decode("cp1252")
    assert xw.startswith('Attribute VB_Name = "xlwings"')
    assert 'Public Const PROJECT_NAME As String = "xlflow"' in xw  # the add-in's settings: xlflow.conf
    assert f'Public Const XLWINGS_VERSION As String = "{xlwings.__version__}"' in xw
    shipped = (XLWINGS_DIR / "addin" / "Dictionary.cls").read_bytes().decode("cp1252")
    cls = (out / "Dictionary.cls").read_bytes().decode("cp1252")
    assert cls.startswith("VERSION 1.0 CLASS\r\n")  # the header the editor's Import needs
    assert cls.replace("\r\n", "\n").rstrip("\n") == shipped.replace("\r\n", "\n").rstrip("\n")


def test_export_without_a_folder_says_how_to_use_it():
    done = subprocess.run([sys.executable, "-m", "xlflow.addin.export"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == "usage: python -m xlflow.addin.export FOLDER\n"
