"""The add-in builder: VBA project, package parts, ribbon <-> VBA <-> Python wiring.

The built files are read back with tools that share no code with the builder: olevba /
olefile (compound file + MS-OVBA decompression), zipfile + ElementTree (package parts),
and LibreOffice through UNO (a real office application importing the VBA project).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import VBA_Parser, decompress_stream

import xlwings
from xlflow.addin import build_addin, macro_calls, ribbon_actions, vba_modules
from xlflow.addin import build as addin_build
from xlflow.addin.build import AddinError

HERE = Path(__file__).resolve().parent
LO_HELPER = HERE / "lo_basic_modules.py"
XLWINGS_DIR = Path(xlwings.__file__).resolve().parent
BAS = addin_build.BAS_PATH
CUSTOMUI = addin_build.CUSTOMUI_PATH

#: Button (its ribbon callback) -> Python function, as the issue lists them.
BUTTONS = {
    "XlflowRegisterLetter": "register_letter",
    "XlflowAdvance": "advance",
    "XlflowAssignUnit": "assign_unit",
    "XlflowAssignOfficer": "assign_officer",
    "XlflowApprove": "approve",
    "XlflowSendBack": "send_back",
    "XlflowPause": "pause",
    "XlflowResume": "resume",
    "XlflowUndo": "undo",
    "XlflowRefresh": "refresh",
    "XlflowFillForms": "fill_forms",
    # issue 18
    "XlflowLinkScan": "link_scan",
    "XlflowClose": "close",
    "XlflowForward": "forward",
    "XlflowCancel": "cancel",
}
#: The parameterless macro (Alt+F8, Customize Ribbon) behind each button -> its function.
EXPECTED_CALLS = {f"{button}Run": function for button, function in BUTTONS.items()}
UI = "{http://schemas.microsoft.com/office/2009/07/customui}"
THAI = re.compile(r"[\u0E00-\u0E7F]")
SUB = re.compile(r"^Sub\s+(\w+)\s*\(([^)]*)\)\s*\r?$(.*?)^End Sub", re.MULTILINE | re.DOTALL)


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("addin")
    return {
        "xlam": build_addin(out / "xlflow.xlam"),
        "xlsm": build_addin(out / "xlflow.xlsm"),
    }


def olevba_modules(path: Path) -> dict[str, str]:
    """Stream name (without "VBA/") -> source, as olevba extracts it."""
    parser = VBA_Parser(str(path))
    try:
        assert parser.detect_vba_macros()
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


# ---------------------------------------------------------------------- VBA project
@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_olevba_extracts_every_module(built, kind):
    got = olevba_modules(built[kind])
    expected = vba_modules(addin=kind == "xlam")
    assert set(got) == set(expected) == {"ThisWorkbook", "Sheet1", "xlflow", "xlwings", "Dictionary"}
    for name, source in expected.items():
        assert got[name] is not None, f"olevba could not decompress module {name}"
        # olevba returns the module text exactly as stored (Attribute lines included; it
        # only hides them in its console report), so this is a byte-for-byte check of
        # compression + compound file, not a "close enough" one.
        assert got[name] == source, name


@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_our_module_is_the_bas_file(built, kind):
    got = olevba_modules(built[kind])["xlflow"]
    # Line ends are the only change: the repository keeps LF, VBA stores CRLF. Nothing
    # is dropped -- the Attribute VB_Name line is in both, as olevba does not strip it.
    assert lf(got) == BAS.read_text(encoding="utf-8")
    assert got.startswith('Attribute VB_Name = "xlflow"\r\n')
    assert "\n" not in got.replace("\r\n", "")


def test_xlwings_module_comes_from_the_installed_package(built):
    # .xlam: xlwings' custom add-in module, with only PROJECT_NAME set to xlflow.
    addin = olevba_modules(built["xlam"])["xlwings"]
    shipped = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_text(encoding="cp1252")
    assert f"'Version: {xlwings.__version__}" in addin
    assert "RunPython" in addin and "ActiveWorkbook" in addin
    expected = lf(shipped).replace(
        'Public Const PROJECT_NAME As String = "myaddin"',
        'Public Const PROJECT_NAME As String = "xlflow"',
    )
    assert lf(addin).rstrip("\n") == expected.rstrip("\n")
    # .xlsm: the standalone module, unchanged.
    standalone = olevba_modules(built["xlsm"])["xlwings"]
    shipped = (XLWINGS_DIR / "xlwings.bas").read_text(encoding="cp1252")
    assert lf(standalone).rstrip("\n") == lf(shipped).rstrip("\n")


def test_dictionary_class_is_stored_as_a_class(built):
    source = olevba_modules(built["xlam"])["Dictionary"]
    exported = lf((XLWINGS_DIR / "addin" / "Dictionary.cls").read_text(encoding="cp1252"))
    # Exported header gone, the attributes VBA keeps for a class added, body unchanged.
    assert not source.startswith("VERSION")
    assert 'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"' in source
    body = exported.split("Attribute VB_Description", 1)[1]
    assert lf(source).endswith(body.rstrip("\n") + "\n")


def test_project_streams(built):
    with zipfile.ZipFile(built["xlam"]) as package:
        data = package.read("xl/vbaProject.bin")
    # Strict: olefile raises on any structural defect of the compound file.
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    try:
        streams = {"/".join(s) for s in ole.listdir()}
        assert {"PROJECT", "PROJECTwm", "VBA/dir", "VBA/_VBA_PROJECT", "VBA/xlflow",
                "VBA/xlwings", "VBA/Dictionary", "VBA/ThisWorkbook", "VBA/Sheet1"} <= streams
        project = ole.openstream("PROJECT").read().decode("cp1252").split("\r\n")
        for line in ("Module=xlflow", "Module=xlwings", "Class=Dictionary",
                     "Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000"):
            assert line in project
        # Source-only: version 0xFFFF in _VBA_PROJECT = no performance cache to trust.
        vba_project = ole.openstream("VBA/_VBA_PROJECT").read()
        assert vba_project[:2] == b"\xcc\x61" and vba_project[2:4] == b"\xff\xff"
        assert len(vba_project) == 7
        # dir stream: decompresses (oletools' decompressor) and names the references.
        dir_stream = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
        assert dir_stream.endswith(b"\x10\x00\x00\x00\x00\x00")  # dir terminator
        assert b"{00020430-0000-0000-C000-000000000046}" in dir_stream  # stdole
        assert b"{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}" in dir_stream  # Office (IRibbonControl)
    finally:
        ole.close()


@pytest.mark.parametrize("data", [
    b"x" * 300,                                            # one long match
    b"' " + b"~" * 70 + b" '\r\n" * 200,                   # the Dictionary.cls rulers
    b"\x00" * 5000,                                        # zero runs, several chunks
    bytes(range(256)) * 40,                                # chunk-crossing matches
    b"Sub A()\r\nEnd Sub\r\n",                             # short
])
def test_compression_round_trips_through_oletools(data):
    """Regression for the ms_ovba_compression length bug worked around in _compressor()."""
    compressed = addin_build._compressor().compress(data)
    assert bytes(decompress_stream(bytearray(compressed))) == data
    assert addin_build.decompress(compressed) == data


# -------------------------------------------------------------------------- package
@pytest.mark.parametrize("kind", ["xlam", "xlsm"])
def test_package_parts(built, kind):
    with zipfile.ZipFile(built[kind]) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert names[0] == "[Content_Types].xml"
        assert package.read("customUI/customUI14.xml") == CUSTOMUI.read_bytes()

        rels = ET.fromstring(package.read("_rels/.rels"))
        ui = [r for r in rels if r.get("Target") == "customUI/customUI14.xml"]
        assert len(ui) == 1
        assert ui[0].get("Type") == \
            "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
        assert len({r.get("Id") for r in rels}) == len(rels)

        types = ET.fromstring(package.read("[Content_Types].xml"))
        ns = "{http://schemas.openxmlformats.org/package/2006/content-types}"
        overrides = {o.get("PartName"): o.get("ContentType") for o in types.iter(f"{ns}Override")}
        defaults = {d.get("Extension"): d.get("ContentType") for d in types.iter(f"{ns}Default")}
        main = {"xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
                "xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml"}[kind]
        assert overrides["/xl/workbook.xml"] == main
        assert defaults["bin"] == "application/vnd.ms-office.vbaProject"
        assert defaults["xml"] == "application/xml"  # types customUI14.xml

        workbook = package.read("xl/workbook.xml").decode("utf-8")
        assert 'codeName="ThisWorkbook"' in workbook
        assert 'codeName="Sheet1"' in package.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert "vbaProject.bin" in package.read("xl/_rels/workbook.xml.rels").decode("utf-8")


def test_build_replaces_atomically_and_leaves_no_litter(tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "dist" / "xlflow.xlam"
    out.parent.mkdir()
    out.write_bytes(b"old")
    assert build_addin(out) == out
    assert zipfile.is_zipfile(out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["xlflow.xlam"]
    assert os.getcwd() == str(work)
    assert list(work.iterdir()) == []  # ms_cfb's scratch files went to the temp dir
    with pytest.raises(AddinError):
        build_addin(tmp_path / "xlflow.xlsx")


# ------------------------------------------------------------- ribbon, VBA, Python
def test_every_ribbon_action_is_a_sub_of_our_module(built):
    source = olevba_modules(built["xlam"])["xlflow"]
    subs = {m.group(1): m.group(2) for m in SUB.finditer(source)}
    actions = ribbon_actions()
    assert len(actions) == len(set(actions)) == len(BUTTONS)
    # no button without its callback, no Sub that is neither a callback nor its twin
    assert set(subs) == set(actions) | {f"{a}Run" for a in actions}
    for action in actions:
        # A ribbon onAction callback takes the clicked control ...
        assert subs[action].strip() == "control As IRibbonControl"
        # ... and its twin takes nothing, so Alt+F8 and Customize Ribbon → Macros offer it.
        assert subs[f"{action}Run"].strip() == ""
    assert addin_build.ribbon_twins() == {a: f"{a}Run" for a in actions}


def test_a_callback_that_does_not_call_its_twin_fails_the_build(tmp_path, monkeypatch):
    bas = tmp_path / "xlflow.bas"
    bas.write_text(BAS.read_text(encoding="utf-8").replace(
        "Sub XlflowPause(control As IRibbonControl)\n    XlflowPauseRun",
        'Sub XlflowPause(control As IRibbonControl)\n    RunPython "import xlflow.macros; xlflow.macros.pause()"'),
        encoding="utf-8")
    monkeypatch.setattr(addin_build, "BAS_PATH", bas)
    with pytest.raises(AddinError, match=r"Sub XlflowPause: its one line must be XlflowPauseRun"):
        build_addin(tmp_path / "xlflow.xlam")
    assert not (tmp_path / "xlflow.xlam").exists()


def test_ribbon_xml():
    root = ET.parse(CUSTOMUI).getroot()
    assert root.tag == f"{UI}customUI"
    tabs = list(root.iter(f"{UI}tab"))
    assert len(tabs) == 1 and tabs[0].get("label").startswith("xlflow") \
        and THAI.search(tabs[0].get("label"))
    groups = [g.get("label") for g in root.iter(f"{UI}group")]
    assert [g.split(" / ")[-1] for g in groups] == ["Letters", "Workflow", "Decision", "Status"]
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    for button in root.iter(f"{UI}button"):
        label = button.get("label")
        assert THAI.search(label) and re.search(r"[A-Za-z]", label), label
        assert button.get("imageMso") and button.get("screentip") and button.get("supertip")


def test_every_sub_calls_its_macro(built):
    assert macro_calls() == EXPECTED_CALLS
    # ... and the module in the built project says the same thing, line for line.
    source = olevba_modules(built["xlam"])["xlflow"]
    for sub, body in ((m.group(1), m.group(3)) for m in SUB.finditer(source)):
        if sub in BUTTONS:
            assert body.strip() == f"{sub}Run", sub
        else:
            command = f"import xlflow.macros; xlflow.macros.{EXPECTED_CALLS[sub]}()"
            assert body.strip() == f'RunPython "{command}"', sub


def test_macro_functions_exist():
    # Fails until xlflow/macros.py (written separately) defines every function.
    macros = importlib.import_module("xlflow.macros")
    missing = [f for f in macro_calls().values()
               if not (hasattr(macros, f) and callable(getattr(macros, f)))]
    assert not missing, f"xlflow.macros lacks {missing}"


# --------------------------------------------------------------------- LibreOffice
def lo_basic(path: Path, *extra: str) -> dict:
    run = subprocess.run(
        ["/usr/bin/python3", str(LO_HELPER), "--source", *extra, str(path)],
        capture_output=True, text=True, timeout=180,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.libreoffice
def test_libreoffice_imports_the_vba_project(built):
    # LibreOffice 7.4 puts an imported VBA project in a library named after the project
    # ("VBAProject"), beside an empty "Standard". It has no file type for .xlam, so the
    # add-in is opened with the .xlsm import filter named explicitly; the .xlsm variant
    # is detected by itself.
    for path, extra in ((built["xlsm"], ()),
                        (built["xlam"], ("--filter", "Calc MS Excel 2007 VBA XML"))):
        libraries = lo_basic(path, *extra)
        assert set(libraries["VBAProject"]) == {
            "xlflow", "xlwings", "Dictionary", "ThisWorkbook", "Sheet1"}, path.name
        ours = libraries["VBAProject"]["xlflow"]
        for button, function in BUTTONS.items():
            assert f"Sub {button}(control As IRibbonControl)" in ours
            assert f"Sub {button}Run()" in ours
            assert f'RunPython "import xlflow.macros; xlflow.macros.{function}()"' in ours
        assert "Function RunPython(" in libraries["VBAProject"]["xlwings"]
