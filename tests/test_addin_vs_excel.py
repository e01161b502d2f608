"""The built add-in, field by field, against the add-ins Excel saved (shipped by xlwings).

No Excel opens files here. What stands in for it: ``quickstart_addin_ribbon.xlam`` and
``addin/xlwings.xlam`` from the installed xlwings wheel, both saved by Microsoft Excel on
Windows. ``xlflow.addin.compare`` reads them and ours with ``xlflow.addin.ovba`` (olefile
and the MS-OVBA text; nothing shared with ms_ovba/ms_cfb, the writers) and gives a verdict
per field: same, allowed (with the MS-OVBA rule that allows it), or NOT ALLOWED, which fails
the build. Run with ``-s`` to see the table.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from oletools.olevba import VBA_Parser

import xlwings
from xlflow.addin import build as addin_build
from xlflow.addin import compare as cmp
from xlflow.addin.build import AddinError, build_addin
from xlflow.addin.ovba import decrypt, project_key, read_project

XLWINGS_DIR = Path(xlwings.__file__).resolve().parent

#: The fields where ours differs from Excel's, each allowed by the rule the table cites.
#: Anything else must be "same"; a builder library that changes a field shows up here.
ALLOWED = {
    "package: ribbon relationship in /_rels/.rels",   # customUI14 (2009/07) with its 2007 relationship
    "package: how vbaProject.bin is typed",           # Default by extension vs Override
    "_VBA_PROJECT Reserved3",                         # undefined, ignored
    "dir: PROJECTSYSKIND",                            # 64-bit Windows vs 32-bit in the quickstart
    "dir: PROJECTNAME",
    "dir: PROJECTVERSION major.minor",
    "dir: references",                                # no MSForms (unused), as xlwings.xlam
    "dir: reference Office",                          # x86 path in the quickstart
    "dir: PROJECTCOOKIE",                             # 0xFFFF as the spec says to write
    *(f"module {role}: MODULEOFFSET" for role in
      ("ThisWorkbook (document)", "a worksheet (document)", "Dictionary (class)", "xlwings (standard)")),
    *(f"module {role}: MODULECOOKIE" for role in
      ("ThisWorkbook (document)", "a worksheet (document)", "Dictionary (class)", "xlwings (standard)")),
    "module Dictionary (class): MODULEDOCSTRING",
    "PROJECT: CMG (protection state)",                # xlwings.xlam is locked
    "PROJECT: DPB (password)",
    "PROJECT: GC (visibility)",
    "PROJECT: [Workspace]",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return build_addin(tmp_path_factory.mktemp("vs-excel") / "xlflow.xlam")


@pytest.fixture(scope="module")
def rows(built):
    return cmp.compare(built)


def test_the_references_are_excel_made_add_ins_from_the_xlwings_wheel():
    refs = cmp.excel_references()
    assert set(refs) == {"quickstart_addin_ribbon.xlam", "xlwings.xlam"}
    for path in refs.values():
        with zipfile.ZipFile(path) as z:
            assert b"<Application>Microsoft Excel</Application>" in z.read("docProps/app.xml")
            assert "customUI/customUI.xml" in z.namelist()  # both are ribbon add-ins


@pytest.mark.parametrize("path", [
    XLWINGS_DIR / "quickstart_addin_ribbon.xlam", XLWINGS_DIR / "addin" / "xlwings.xlam", None])
def test_the_reader_agrees_with_olevba(path, built):
    """ovba (ours, from the spec) and olevba (oletools) read the same modules and sources."""
    path = path or built
    project = read_project(zipfile.ZipFile(path).read("xl/vbaProject.bin"))
    parser = VBA_Parser(str(path))
    try:
        theirs = {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()
    assert {m.stream_name: m.source for m in project.modules} == theirs
    # the CMG/DPB/GC values decrypt with the ProjKey of the ID (2.4.3), Excel's as ours
    props = dict(project.project_properties)
    for key in ("CMG", "DPB", "GC"):
        d = decrypt(props[key].strip('"'))
        assert d.version == 2 and d.proj_key == project_key(props["ID"].strip('"'))


def test_every_field_is_as_excel_has_it_or_allowed_by_ms_ovba(rows):
    print("\n" + cmp.table(rows))
    assert cmp.not_allowed(rows) == []
    differing = {r.field for r in rows if r.verdict == cmp.ALLOWED}
    assert differing == ALLOWED
    for r in rows:
        if r.verdict == cmp.ALLOWED:
            assert r.rule, r.field  # every allowed difference names its rule


def test_the_table_covers_what_the_issue_names(rows):
    fields = [r.field for r in rows]
    for prefix in ("dir: PROJECTINFORMATION records", "dir: references", "dir: PROJECTMODULES Count",
                   "_VBA_PROJECT Version", "PROJECT: keys in order", "package: ribbon relationship",
                   "package: content type of the ribbon part", "package: content type of /xl/vbaProject.bin"):
        assert any(f.startswith(prefix) for f in fields), prefix
    by_field = {r.field: r for r in rows}
    for role in ("ThisWorkbook (document)", "a worksheet (document)", "Dictionary (class)", "xlwings (standard)"):
        row = by_field[f"module {role}: MODULETYPE"]
        assert row.verdict == cmp.SAME, role
    assert by_field["module xlwings (standard): MODULETYPE"].ours == "0x0021"
    assert by_field["module Dictionary (class): PROJECT line"].ours == "Class="
    assert by_field["_VBA_PROJECT Version"].ours == "0xFFFF"  # source only: no cache to trust


def test_a_project_that_claims_a_compiled_cache_fails_the_build(tmp_path, monkeypatch):
    # As if a new ms_ovba wrote the _VBA_PROJECT of a VBA version with a performance cache:
    # Excel would trust a cache that is not there.
    from ms_ovba.Views.project_view import ProjectView

    monkeypatch.setattr(ProjectView, "to_bytes", lambda self: b"\xcc\x61\xb2\x00\x00\x03\x00")
    out = tmp_path / "xlflow.xlam"
    out.write_bytes(b"the add-in that works")
    with pytest.raises(AddinError) as e:
        build_addin(out)
    assert "_VBA_PROJECT Version: ours 0x00B2" in str(e.value)
    assert "nothing was written" in str(e.value)
    assert out.read_bytes() == b"the add-in that works"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xlflow.xlam"]


def test_a_ribbon_part_under_the_wrong_relationship_is_not_allowed(built, tmp_path):
    broken = tmp_path / "broken.xlam"
    with zipfile.ZipFile(built) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "_rels/.rels":
                data = data.replace(b"office/2007/relationships/ui", b"office/2006/relationships/ui")
            dst.writestr(name, data)
    row = next(r for r in cmp.compare(broken) if r.field.startswith("package: ribbon relationship"))
    assert row.verdict == cmp.NOT_ALLOWED


def test_the_build_runs_the_comparison(monkeypatch, tmp_path):
    seen = []
    real = addin_build.check_against_excel
    monkeypatch.setattr(addin_build, "check_against_excel", lambda p: seen.append(p) or real(p))
    build_addin(tmp_path / "xlflow.xlam")
    assert len(seen) == 1
