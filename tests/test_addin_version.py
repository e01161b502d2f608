"""The add-in records the xlwings it was built with; a click with another one says so.

The click is reproduced up to Python: xlwings' VBA ``RunPython`` runs
``xlwings.utils.prepare_sys_path("<add dir>;<ActiveWorkbook.FullName>;<ThisWorkbook.FullName>;...")``
before our macro, and that is called here with the string the VBA module builds, so the
check finds the add-in the way it will on a clerk's PC. The message box itself (xlwings
``App.alert`` from ``xlflow.macros``) needs Windows Excel.
"""

from __future__ import annotations

from test_macros import CLI_WORDS

import shutil
import sys
import zipfile
from pathlib import Path

import pytest

import xlwings
import xlwings.utils
from xlflow.addin import build_addin
from xlflow.addin.version import (VERSION_NAME, AddinVersionMismatch, addins_on_sys_path, built_with,
                                  check_addin_xlwings)
from xlflow.errors import XlflowError

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent


@pytest.fixture(scope="module")
def addin(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("Documents") / "xlflow" / "xlflow.xlam")


@pytest.fixture
def clicked(addin, tmp_path, monkeypatch):
    """sys.path as xlwings' RunPython leaves it when a button of ``addin`` is clicked while
    the register is the active workbook."""
    register = tmp_path / "Coordination_Register.xlsx"
    register.write_bytes(b"")
    monkeypatch.setattr(sys, "path", list(sys.path))
    # AddExcelDir; ActiveWorkbook.FullName; ThisWorkbook.FullName; OneDrive consumer, commercial,
    # SharePoint; PYTHONPATH — as RunPython in xlwings_custom_addin.bas joins them
    xlwings.utils.prepare_sys_path(f"true;{register};{addin};;;;")
    return addin


def test_the_title_and_a_hidden_name_carry_the_xlwings_version(addin):
    with zipfile.ZipFile(addin) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
        workbook = z.read("xl/workbook.xml").decode("utf-8")
    assert f"<dc:title>xlflow add-in (xlwings {xlwings.__version__})</dc:title>" in core
    assert (f'<definedName name="{VERSION_NAME}" hidden="1">"{xlwings.__version__}"</definedName>'
            in workbook)
    assert built_with(addin) == xlwings.__version__


def test_a_click_finds_the_add_in_from_what_runpython_put_on_sys_path(clicked):
    assert clicked in addins_on_sys_path()


def test_a_click_with_the_same_xlwings_passes(clicked):
    check_addin_xlwings()  # nothing raised


def test_a_click_with_another_xlwings_says_so_with_the_fix(clicked):
    with pytest.raises(AddinVersionMismatch) as e:
        check_addin_xlwings(installed="0.38.0")
    assert isinstance(e.value, XlflowError)  # the macros show it in their message box
    assert str(e.value) == (
        f"the xlflow add-in xlflow.xlam was built with xlwings {xlwings.__version__}, but the Python it "
        "starts has xlwings 0.38.0; the buttons need the two to be the same. Nothing was changed — ask "
        f"whoever installed xlflow to build the add-in again with that Python (step 3 of the guide, over {clicked}), "
        "then open Excel again")
    assert not CLI_WORDS.search(str(e.value))  # a clerk reads it in Excel: no command, no option


def test_a_workbook_without_the_name_is_not_checked(tmp_path):
    # an add-in made by hand in Excel (the README's fallback), here one Excel saved for xlwings
    hand_made = tmp_path / "xlflow.xlam"
    shutil.copy(XLWINGS_DIR / "quickstart_addin_ribbon.xlam", hand_made)
    assert built_with(hand_made) is None
    check_addin_xlwings([hand_made], installed="0.1.0")


def test_no_add_in_on_sys_path_is_no_check(monkeypatch):
    # the command line, the tests' remote engine, a workbook opened without RunPython
    monkeypatch.setattr(sys, "path", [p for p in sys.path if not p.lower().endswith(".zip")])
    assert addins_on_sys_path() == []
    check_addin_xlwings(installed="0.1.0")


def test_the_check_reads_the_name_after_excel_saves_the_add_in_again(tmp_path, addin):
    # Excel writes the name with its attributes in its own order
    resaved = tmp_path / "xlflow.xlam"
    with zipfile.ZipFile(addin) as src, zipfile.ZipFile(resaved, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "xl/workbook.xml":
                data = data.replace(f'<definedName name="{VERSION_NAME}" hidden="1">'.encode(),
                                    f'<definedName hidden="1" name="{VERSION_NAME}">'.encode())
            dst.writestr(name, data)
    assert built_with(resaved) == xlwings.__version__


def test_the_version_module_needs_no_builder_library():
    # it runs on every clerk's PC, where the addin extra is not installed
    import subprocess

    code = ("import sys\n"
            "for name in ('ms_ovba', 'ms_cfb', 'ms_ovba_compression', 'xlsxwriter', 'olefile'):\n"
            "    sys.modules[name] = None\n"
            "from xlflow.addin.version import check_addin_xlwings\n"
            "check_addin_xlwings([], installed='0.1.0')\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout == "ok\n", done.stderr
