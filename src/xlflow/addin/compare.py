"""Put the built add-in beside add-ins that Excel itself saved, field by field.

Why: no Excel has opened the ``xlflow.xlam`` that ``xlflow addin build`` writes. What can be
checked without Excel is that it says, field for field, what Excel-made add-ins say, and
that where it says something else MS-OVBA allows it. The xlwings wheel ships two such
add-ins, saved by Excel on Windows (``Application`` "Microsoft Excel" in their
``docProps/app.xml``): ``quickstart_addin_ribbon.xlam`` (a ribbon add-in like ours, with
the xlwings module and ``Dictionary``) and ``addin/xlwings.xlam`` (xlwings' own add-in).

Every field gets a :class:`Row`: our value, each reference's value, and a verdict:

* ``same`` -- as in the Excel-made add-ins;
* ``allowed`` -- different, and the cited rule lets it differ (a value MS-OVBA says to
  ignore on read, an optional record, the project's own choice of names);
* ``NOT ALLOWED`` -- ours breaks a rule of the specification, or differs where the spec
  and Excel leave one value. :func:`xlflow.addin.build.build_addin` refuses to write
  such an add-in.

Citations are to [MS-OVBA] (section numbers), [MS-CUSTOMUI2], [MS-CFB] and ECMA-376 /
ISO/IEC 29500 Part 2 (OPC).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .ovba import OvbaFormatError, VbaProjectView, decrypt, project_key, read_project

SAME, ALLOWED, NOT_ALLOWED = "same", "allowed", "NOT ALLOWED"

REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
UI_2006 = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
UI_2007 = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
#: The customUI namespace each ribbon relationship type goes with.
UI_NAMESPACE = {UI_2006: "http://schemas.microsoft.com/office/2006/01/customui",
                UI_2007: "http://schemas.microsoft.com/office/2009/07/customui"}

#: The Excel-made add-ins of the xlwings wheel, relative to the xlwings package folder.
REFERENCE_FILES = ("quickstart_addin_ribbon.xlam", "addin/xlwings.xlam")


@dataclass(frozen=True)
class Fact:
    """A field's value as shown, and whether it keeps the spec's rules for that field."""

    shown: str
    ok: bool = True
    why: str = ""  # the rule it breaks, when not ok


@dataclass(frozen=True)
class Row:
    """One field: ours, the references', the verdict and the rule behind it."""

    field: str
    ours: str
    excel: dict[str, str]
    verdict: str
    rule: str


@dataclass(frozen=True)
class Field:
    """A field to compare: how to read it, and whether it may differ from Excel's."""

    name: str
    read: Callable[["Package"], Fact | None]
    may_differ: str = ""  # the rule that lets it differ; "" = must be as Excel has it
    must: str = ""        # the rule that ``Fact.ok`` checks


# ----------------------------------------------------------------------- the package
class Package:
    """An add-in file, read: its package parts and its VBA project."""

    def __init__(self, path: Path):
        self.path = Path(path)
        with zipfile.ZipFile(self.path) as z:
            self.parts = {n: z.read(n) for n in z.namelist()}
        self.rels = ET.fromstring(self.parts["_rels/.rels"])
        self.types = ET.fromstring(self.parts["[Content_Types].xml"])
        self.project: VbaProjectView = read_project(self.parts["xl/vbaProject.bin"])
        self.properties = dict(self.project.project_properties)
        self.kinds: dict[str, str] = {}  # module name -> Module / Class / Document
        for key, value in self.project.project_properties:
            if key in ("Module", "Class", "Document", "BaseClass"):
                self.kinds[value.split("/")[0]] = key

    def content_type(self, part: str) -> tuple[str, str]:
        """(content type, how it is given) of ``/part`` under OPC's rules."""
        for o in self.types.iter(f"{CT_NS}Override"):
            if o.get("PartName", "").lower() == "/" + part.lower():
                return o.get("ContentType"), "Override"
        ext = part.rsplit(".", 1)[-1].lower()
        for d in self.types.iter(f"{CT_NS}Default"):
            if d.get("Extension", "").lower() == ext:
                return d.get("ContentType"), f"Default Extension={ext}"
        return "(none)", "(none)"

    def ribbon(self) -> tuple[str, str, str]:
        """(relationship type, target part, root namespace of the target)."""
        for rel in self.rels.iter(f"{REL_NS}Relationship"):
            if rel.get("Type") in (UI_2006, UI_2007):
                target = rel.get("Target", "").lstrip("/")
                root = ET.fromstring(self.parts[target]) if target in self.parts else None
                ns = root.tag[1:].split("}")[0] if root is not None and root.tag.startswith("{") else ""
                return rel.get("Type"), target, ns
        return "", "", ""


# ----------------------------------------------------------------------------- fields
def _modules_by_role(p: Package) -> dict[str, object]:
    mods = p.project.modules
    std = [m for m in mods if m.type_id == 0x0021]
    sheets = [m for m in mods if p.kinds.get(m.name) == "Document" and m.name != "ThisWorkbook"]
    return {
        "ThisWorkbook (document)": next((m for m in mods if m.name == "ThisWorkbook"), None),
        "a worksheet (document)": sheets[0] if sheets else None,
        "Dictionary (class)": next((m for m in mods if m.name == "Dictionary"), None),
        "xlwings (standard)": next((m for m in std if m.name == "xlwings"), std[0] if std else None),
    }


def _attribute(source: str, name: str) -> str:
    match = re.search(rf'^Attribute {name} = (.*)$', source, re.MULTILINE)
    return match.group(1).strip() if match else "(none)"


def _info(rid: int, show: Callable[[bytes], str], check: Callable[[bytes], bool] | None = None, why: str = ""):
    def read(p: Package) -> Fact:
        rec = p.project.information.get(rid)
        if rec is None:
            return Fact("(absent)")
        return Fact(show(rec.data), check is None or check(rec.data), why)
    return read


def _u32(data: bytes) -> int:
    return int.from_bytes(data[:4], "little")


def _module_field(role: str, read: Callable[[Package, object], Fact]) -> Callable[[Package], Fact | None]:
    def field(p: Package) -> Fact | None:
        module = _modules_by_role(p)[role]
        return None if module is None else read(p, module)
    return field


def _vba_project(p: Package) -> bytes:
    return p.project.vba_project_head


def _ribbon(p: Package) -> Fact:
    rel_type, target, ns = p.ribbon()
    year = {UI_2006: "2006", UI_2007: "2007"}.get(rel_type, rel_type or "(none)")
    shown = f".../{year}/relationships/ui/extensibility → /{target} ({ns.rsplit('/office/', 1)[-1]})"
    ok = bool(rel_type) and UI_NAMESPACE.get(rel_type) == ns
    return Fact(shown, ok, "the relationship type must match the part's namespace")


MAIN_TYPES = {".xlam": "application/vnd.ms-excel.addin.macroEnabled.main+xml",
              ".xlsm": "application/vnd.ms-excel.sheet.macroEnabled.main+xml"}


def _main_type(p: Package) -> Fact:
    shown = p.content_type("xl/workbook.xml")[0]
    expected = MAIN_TYPES.get(p.path.suffix.lower())
    return Fact(shown, shown == expected, f"a {p.path.suffix} file's workbook part is {expected}")


def _code_name(p: Package) -> Fact:
    match = re.search(r'<workbookPr\b[^>]*\bcodeName="([^"]*)"', p.parts["xl/workbook.xml"].decode("utf-8"))
    return Fact(match.group(1) if match else "(none)")


def _syskind(data: bytes) -> str:
    value = _u32(data)
    return f"{value} ({ {0: '16-bit Windows', 1: '32-bit Windows', 2: 'Macintosh', 3: '64-bit Windows'}.get(value, 'invalid') })"


def _references(p: Package) -> Fact:
    shown = ", ".join(f"{r.name} ({r.kind})" for r in p.project.references)
    return Fact(shown or "(none)")


def _reference(name: str) -> Callable[[Package], Fact | None]:
    def read(p: Package) -> Fact | None:
        ref = next((r for r in p.project.references if r.name == name), None)
        if ref is None:
            return None
        ok, why = True, ""
        for rec in ref.records:
            if rec.id == 0x000D:  # REFERENCEREGISTERED: SizeOfLibid, Libid, Reserved1 (4), Reserved2 (2)
                size = _u32(rec.data)
                if rec.data[4 + size:] != b"\x00" * 6:
                    ok, why = False, "REFERENCEREGISTERED Reserved1/Reserved2 MUST be 0 (2.3.4.2.2.5)"
            if rec.id == 0x0016 and rec.unicode is not None and rec.unicode.decode("utf-16-le") != ref.name:
                ok, why = False, "REFERENCENAME NameUnicode MUST be the UTF-16 of Name (2.3.4.2.2.2)"
        guid, _, rest = ref.libid.partition("}")
        return Fact(f"{ref.kind}: {guid}}}{rest}", ok, why)
    return read


def _module_records(p: Package, m) -> Fact:
    from .ovba import RECORD_NAMES

    return Fact(" ".join(RECORD_NAMES[i].replace("MODULE", "").strip().lower() for i in m.record_ids))


def _decrypted(key: str, meaning: Callable[[bytes], str]) -> Callable[[Package], Fact]:
    def read(p: Package) -> Fact:
        value = p.properties.get(key, "").strip('"')
        if not value:
            return Fact("(missing)", False, f"{key} is required by ProjectProperties (2.3.1.1)")
        try:
            d = decrypt(value)
        except OvbaFormatError as e:
            return Fact(f"(cannot decrypt: {e})", False, "Data Encryption (2.4.3)")
        project_id = p.properties.get("ID", "").strip('"')
        ok = d.version == 2 and d.proj_key == project_key(project_id)
        return Fact(meaning(d.data), ok, "Version MUST be 2 and ProjKey the checksum of ID (2.4.3.2)")
    return read


def _protection(data: bytes) -> str:
    state = _u32(data)
    return "not protected (0)" if state == 0 else f"protected (0x{state:08X})"


def _password(data: bytes) -> str:
    return "no password" if data == b"\x00" else "password hash"


def _visibility(data: bytes) -> str:
    return {b"\xff": "visible (0xFF)", b"\x00": "hidden (0x00)"}.get(data, f"invalid ({data.hex()})")


_KEYS_ORDER = ("ID", "Item", "HelpFile", "ExeName32", "Name", "HelpContextID", "Description",
               "VersionCompatible32", "CMG", "DPB", "GC")


def _project_keys(p: Package) -> Fact:
    keys: list[str] = []
    for key, _ in p.project.project_properties:
        key = "Item" if key in ("Module", "Class", "Document", "Package", "BaseClass") else key
        if not keys or keys[-1] != key:
            keys.append(key)
    ranks = [_KEYS_ORDER.index(k) if k in _KEYS_ORDER else -1 for k in keys]
    ok = -1 not in ranks and ranks == sorted(ranks) and {"ID", "Name", "HelpContextID", "CMG", "DPB", "GC"} <= set(keys)
    return Fact(" ".join(k if k != "Item" else "(Document|Module|Class)*" for k in keys), ok,
                "ProjectProperties order and required keys (2.3.1.1)")


def _items_match_modules(p: Package) -> Fact:
    bad = []
    for m in p.project.modules:
        kind = p.kinds.get(m.name)
        if kind is None:
            bad.append(f"{m.name} has no line")
        elif (m.type_id == 0x0021) != (kind == "Module"):
            bad.append(f"{m.name}: {kind}= for MODULETYPE 0x{m.type_id:04X}")
    extra = set(p.kinds) - {m.name for m in p.project.modules}
    bad += [f"{name} has no MODULE" for name in sorted(extra)]
    return Fact("one line per MODULE, kind as MODULETYPE" if not bad else "; ".join(bad), not bad,
                "every MODULE has its ProjectModule line (2.3.4.2.3.2, 2.3.1.3–2.3.1.7)")


def _projectwm(p: Package) -> Fact:
    wm = p.project.projectwm
    if wm is None:
        return Fact("(absent)")
    names = [m.name for m in p.project.modules]
    ok = [a for a, _ in wm] == names and all(a == b for a, b in wm)
    return Fact("a NameMap per module, in MODULE order" if ok else f"{wm}", ok,
                "PROJECTwm: each module's name in MBCS and UTF-16 (2.3.3)")


def _streams(p: Package) -> Fact:
    modules = {f"VBA/{m.stream_name}" for m in p.project.modules}
    missing = [m.name for m in p.project.modules if m.stream_size < 0]
    others = sorted(set(p.project.streams) - modules)
    ok = not missing and {"PROJECT", "VBA/dir", "VBA/_VBA_PROJECT"} <= set(others)
    shown = ", ".join(others) + " + one stream per MODULE"
    return Fact(shown if not missing else f"{shown}; missing {missing}", ok,
                "the PROJECT, dir and _VBA_PROJECT streams and a stream per MODULESTREAMNAME (2.2, 2.3.4)")


def _cfb(p: Package) -> Fact:
    import io

    import olefile

    ole = olefile.OleFileIO(io.BytesIO(p.parts["xl/vbaProject.bin"]))
    try:
        major, sector, mini = ole.dll_version, ole.sector_size, ole.mini_sector_size
    finally:
        ole.close()
    ok = (major, sector) in ((3, 512), (4, 4096)) and mini == 64
    return Fact(f"version {major}, sectors {sector} B, mini sectors {mini} B", ok,
                "[MS-CFB] 2.2: version 3 with 512-byte or version 4 with 4096-byte sectors")


FIELDS: tuple[Field, ...] = (
    # package (OPC)
    Field("package: ribbon relationship in /_rels/.rels", _ribbon,
          "[MS-CUSTOMUI2] 2.1: a 2009/07 customUI part is the target of .../2007/relationships/ui/extensibility "
          "(the 2006 type goes with a 2006/01 part, [MS-CUSTOMUI] 2.1)",
          must="relationship type and part namespace belong together"),
    Field("package: content type of the ribbon part",
          lambda p: Fact(p.content_type(p.ribbon()[1])[0])),
    Field("package: content type of /xl/workbook.xml", _main_type,
          "the main part's content type follows the file kind: .xlsm is a macro-enabled workbook, not an add-in"),
    Field("package: content type of /xl/vbaProject.bin",
          lambda p: Fact(p.content_type("xl/vbaProject.bin")[0])),
    Field("package: how vbaProject.bin is typed",
          lambda p: Fact(p.content_type("xl/vbaProject.bin")[1]),
          "OPC (ISO/IEC 29500-2 §10.1.2.2): a Default for the extension or an Override for the part name type it alike"),
    Field("package: vbaProject relationship from workbook.xml",
          lambda p: Fact(VBA_REL if VBA_REL in p.parts["xl/_rels/workbook.xml.rels"].decode() else "(missing)")),
    Field("package: workbook codeName", _code_name),
    # compound file
    Field("vbaProject.bin: compound file", _cfb),
    Field("vbaProject.bin: streams", _streams, "which optional streams are present (PROJECTwm, __SRP_*) is the writer's choice"),
    # _VBA_PROJECT
    Field("_VBA_PROJECT Reserved1", lambda p: Fact(f"0x{int.from_bytes(_vba_project(p)[0:2], 'little'):04X}")),
    Field("_VBA_PROJECT Version", lambda p: Fact(f"0x{int.from_bytes(_vba_project(p)[2:4], 'little'):04X}")),
    Field("_VBA_PROJECT Reserved2", lambda p: Fact(f"0x{_vba_project(p)[4]:02X}")),
    Field("_VBA_PROJECT Reserved3", lambda p: Fact(f"0x{int.from_bytes(_vba_project(p)[5:7], 'little'):04X}"),
          "2.3.4.1: Reserved3 is undefined and MUST be ignored"),
    Field("_VBA_PROJECT PerformanceCache", lambda p: Fact(f"{p.project.vba_project_size - 7} bytes")),
    # dir stream: PROJECTINFORMATION
    Field("dir: PROJECTINFORMATION records",
          lambda p: Fact(" ".join(p.project.information[i].name.replace("PROJECT", "") for i in p.project.information))),
    Field("dir: PROJECTSYSKIND", _info(0x0001, _syskind, lambda d: _u32(d) <= 3, "SysKind MUST be 0–3 (2.3.4.2.1.1)"),
          "2.3.4.2.1.1: the platform the project was last saved on, 0–3"),
    Field("dir: PROJECTCOMPATVERSION", _info(0x004A, lambda d: str(_u32(d)))),
    Field("dir: PROJECTLCID", _info(0x0002, lambda d: f"0x{_u32(d):04X}", lambda d: _u32(d) == 0x409,
                                    "Lcid MUST be 0x409 (2.3.4.2.1.3)")),
    Field("dir: PROJECTLCIDINVOKE", _info(0x0014, lambda d: f"0x{_u32(d):04X}", lambda d: _u32(d) == 0x409,
                                          "LcidInvoke MUST be 0x409 (2.3.4.2.1.4)")),
    Field("dir: PROJECTCODEPAGE", _info(0x0003, lambda d: str(int.from_bytes(d[:2], "little")))),
    Field("dir: PROJECTNAME", _info(0x0004, lambda d: d.decode("cp1252"),
                                    lambda d: 1 <= len(d) <= 128 and re.fullmatch(rb"[A-Za-z][A-Za-z0-9_]*", d) is not None,
                                    "ProjectName: a VBA identifier of 1–128 bytes (2.3.4.2.1.6)"),
          "2.3.4.2.1.6: any VBA identifier of 1–128 bytes (the PROJECT stream's Name= says the same)"),
    Field("dir: PROJECTDOCSTRING", _info(0x0005, lambda d: repr(d.decode("cp1252")))),
    Field("dir: PROJECTHELPFILEPATH", _info(0x0006, lambda d: repr(d.decode("cp1252")))),
    Field("dir: PROJECTHELPCONTEXT", _info(0x0007, lambda d: str(_u32(d)))),
    Field("dir: PROJECTLIBFLAGS", _info(0x0008, lambda d: str(_u32(d)), lambda d: _u32(d) == 0,
                                        "ProjectLibFlags MUST be 0 (2.3.4.2.1.10)")),
    Field("dir: PROJECTVERSION Reserved",
          lambda p: Fact(str(p.project.information[0x0009].size_field))),
    Field("dir: PROJECTVERSION major.minor",
          _info(0x0009, lambda d: f"{_u32(d)}.{int.from_bytes(d[4:6], 'little')}"),
          "2.3.4.2.1.11: any version the writer chooses"),
    Field("dir: PROJECTCONSTANTS", _info(0x000C, lambda d: repr(d.decode("cp1252")))),
    # references
    Field("dir: references", _references,
          "2.3.4.2.2: which libraries a project references is its own choice (ours: OLE Automation and the Office "
          "library for IRibbonControl, as xlwings.xlam)"),
    Field("dir: reference stdole", _reference("stdole")),
    Field("dir: reference Office", _reference("Office"),
          "2.1.1.8: the path in a Libid is where the library lay on the saving PC (x86 or x64 Office)"),
    # modules
    Field("dir: PROJECTMODULES Count",
          lambda p: Fact("= number of MODULE records", p.project.projectmodules_count == len(p.project.modules),
                         "Count MUST be the number of MODULE records (2.3.4.2.3)")),
    Field("dir: PROJECTCOOKIE", lambda p: Fact(f"0x{p.project.project_cookie:04X}"),
          "2.3.4.2.3.1: MUST be ignored on read, MUST be 0xFFFF on write (ours is as written)"),
)

for _role in ("ThisWorkbook (document)", "a worksheet (document)", "Dictionary (class)", "xlwings (standard)"):
    FIELDS += (
        Field(f"module {_role}: records", _module_field(_role, _module_records)),
        Field(f"module {_role}: MODULETYPE",
              _module_field(_role, lambda p, m: Fact(f"0x{m.type_id:04X}"))),
        Field(f"module {_role}: PROJECT line",
              _module_field(_role, lambda p, m: Fact(p.kinds.get(m.name, "(none)") + "="))),
        Field(f"module {_role}: MODULENAMEUNICODE",
              _module_field(_role, lambda p, m: Fact(
                  "UTF-16 of MODULENAME" if m.name_unicode == m.name else repr(m.name_unicode),
                  m.name_unicode in (None, m.name), "MUST be the UTF-16 of MODULENAME (2.3.4.2.3.2.2)"))),
        Field(f"module {_role}: MODULESTREAMNAME",
              _module_field(_role, lambda p, m: Fact(
                  "= module name" if m.stream_name == m.name else m.stream_name,
                  m.stream_name_unicode == m.stream_name, "StreamNameUnicode MUST match StreamName (2.3.4.2.3.2.3)"))),
        Field(f"module {_role}: MODULEDOCSTRING",
              _module_field(_role, lambda p, m: Fact(repr(m.docstring[:30] + ("…" if len(m.docstring) > 30 else "")))),
              "2.3.4.2.3.2.4: the module's description, free text (Excel copies VB_Description into it)"),
        Field(f"module {_role}: MODULEOFFSET",
              _module_field(_role, lambda p, m: Fact(
                  "0 (source only)" if m.text_offset == 0 else "after a performance cache", m.text_offset >= 0)),
              "2.3.4.2.3.2.5 / 2.3.4.3: the source starts at TextOffset; a PerformanceCache before it MUST be ignored"),
        Field(f"module {_role}: MODULEHELPCONTEXT",
              _module_field(_role, lambda p, m: Fact(str(m.help_context)))),
        Field(f"module {_role}: MODULECOOKIE",
              _module_field(_role, lambda p, m: Fact(f"0x{m.cookie:04X}")),
              "2.3.4.2.3.2.7: MUST be ignored on read, MUST be 0xFFFF on write (ours is as written)"),
        Field(f"module {_role}: Attribute VB_Name",
              _module_field(_role, lambda p, m: Fact(
                  "= module name" if _attribute(m.source, "VB_Name").strip('"') == m.name else _attribute(m.source, "VB_Name"),
                  _attribute(m.source, "VB_Name").strip('"') == m.name, "the source's VB_Name is the module's name"))),
        Field(f"module {_role}: Attribute VB_Base",
              _module_field(_role, lambda p, m: Fact(_attribute(m.source, "VB_Base")))),
    )

FIELDS += (
    # PROJECT stream
    Field("PROJECT: keys in order", _project_keys,
          "2.3.1.1: HelpFile, ExeName32, Description and VersionCompatible32 may be absent",
          must="ProjectProperties order and required keys (2.3.1.1)"),
    Field("PROJECT: ID", lambda p: Fact(
        "a GUID" if re.fullmatch(r'"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}"', p.properties.get("ID", "")) else p.properties.get("ID", ""),
        bool(re.fullmatch(r'"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}"', p.properties.get("ID", ""))),
        "ProjectId is a GUID in braces (2.3.1.2)")),
    Field("PROJECT: one line per module", _items_match_modules),
    Field("PROJECT: Name", lambda p: Fact(
        "= PROJECTNAME" if p.properties.get("Name", "").strip('"') == p.project.information[0x0004].data.decode("cp1252")
        else p.properties.get("Name", ""),
        p.properties.get("Name", "").strip('"') == p.project.information[0x0004].data.decode("cp1252"),
        "Name MUST equal PROJECTNAME (2.3.1.10)")),
    Field("PROJECT: HelpContextID", lambda p: Fact(p.properties.get("HelpContextID", "(none)"))),
    Field("PROJECT: VersionCompatible32", lambda p: Fact(p.properties.get("VersionCompatible32", "(absent)")),
          "2.3.1.14: MAY be missing"),
    Field("PROJECT: CMG (protection state)", _decrypted("CMG", _protection),
          "2.3.1.15: locking the project for viewing is the author's choice (xlwings locks its own add-in)"),
    Field("PROJECT: DPB (password)", _decrypted("DPB", _password),
          "2.3.1.16: a password is the author's choice (xlwings locks its own add-in; ours stays open to read)"),
    Field("PROJECT: GC (visibility)", _decrypted("GC", _visibility),
          "2.3.1.17: 0x00 only with a locked project; ours is visible, as an unlocked Excel project"),
    Field("PROJECT: [Host Extender Info]", lambda p: Fact(" | ".join(p.project.host_extenders) or "(none)")),
    Field("PROJECT: [Workspace]", lambda p: Fact("present" if p.project.workspace else "(absent)"),
          "2.3.1: ProjectWorkspace is optional (window positions of the VBA editor)"),
    Field("PROJECTwm", _projectwm, "2.3.3: PROJECTwm is optional"),
)


# ----------------------------------------------------------------------------- compare
def excel_references() -> dict[str, Path]:
    """The Excel-made add-ins the installed xlwings ships: name -> path (those present)."""
    import xlwings

    root = Path(xlwings.__file__).resolve().parent
    return {Path(rel).name: root / rel for rel in REFERENCE_FILES if (root / rel).is_file()}


def compare(ours: Path, references: dict[str, Path] | None = None) -> list[Row]:
    """Every field of :data:`FIELDS` for ``ours`` against each reference add-in."""
    references = excel_references() if references is None else references
    mine = Package(ours)
    theirs = {name: Package(path) for name, path in references.items()}
    rows: list[Row] = []
    for f in FIELDS:
        fact = f.read(mine) or Fact("(none)")
        excel = {name: (f.read(p) or Fact("—")).shown for name, p in theirs.items()}
        present = [v for v in excel.values() if v != "—"]
        if not fact.ok:
            verdict, rule = NOT_ALLOWED, fact.why
        elif all(v == fact.shown for v in present):
            verdict, rule = SAME, f.must
        elif f.may_differ:
            verdict, rule = ALLOWED, f.may_differ
        else:
            verdict, rule = NOT_ALLOWED, "differs from the Excel-made add-ins where the specification leaves one value"
        rows.append(Row(f.name, fact.shown, excel, verdict, rule))
    return rows


def not_allowed(rows: list[Row]) -> list[Row]:
    """The rows that fail the build."""
    return [r for r in rows if r.verdict == NOT_ALLOWED]


def table(rows: list[Row]) -> str:
    """The comparison as a Markdown table (for the issue, the README, a reviewer)."""
    names = list(rows[0].excel) if rows else []
    head = ["field", "ours", *names, "verdict", "rule"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r.field, r.ours, *(r.excel[n] for n in names), r.verdict, r.rule]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)
