"""Build ``xlflow.xlam``: the ribbon add-in whose buttons call ``xlflow.macros`` via xlwings.

The add-in is put together from source, without Excel, in three layers, then stamped and
checked:

1. ``xl/vbaProject.bin`` -- a *source-only* VBA project (MS-OVBA). It holds our module
   ``xlflow`` (``xlflow.bas``: per ribbon button its callback and a parameterless twin,
   ``XlflowAdvance(control)`` → ``XlflowAdvanceRun()``, checked by :func:`ribbon_twins`),
   the xlwings VBA module that provides ``RunPython`` and the ``Dictionary`` class that
   module uses on the Mac, both
   read at build time from the installed xlwings package, plus the ``ThisWorkbook`` and
   ``Sheet1`` document modules every Excel project has. "Source-only" means no compiled
   performance cache: the ``_VBA_PROJECT`` stream carries version 0xFFFF, which per
   MS-OVBA 2.3.4.1 tells the VBA host to ignore the cache and compile from the source
   text stored in the module streams.

   Libraries, chosen on purpose:

   * ``ms_ovba`` (PyPI ``ms-ovba``) models the project and renders the ``PROJECT``,
     ``PROJECTwm``, ``VBA/dir`` and ``VBA/_VBA_PROJECT`` streams (its module, reference
     and view classes). Its ``ProjectOleFile`` driver is not used: it hard-wires the
     compressor below, so :func:`vba_project_bin` does the same few steps itself.
   * Compression is MS-OVBA 2.4.1 (the LZ77 variant VBA uses for ``dir`` and module
     source; zlib/deflate would not do, VBA reads only this container format). It is
     ``ms_ovba_compression`` (the compressor ``ms_ovba`` depends on) with one bug fixed,
     see :func:`_compressor`, and every compressed stream is decompressed again by
     :func:`decompress` (written from the spec) and compared before it is stored.
   * The compound file (MS-CFB: header, FAT, mini FAT, directory tree) is written by
     ``ms_cfb``, the CFB writer ``ms_ovba`` depends on. ``olefile`` is *not* an option
     for writing: it only reads compound files (it can overwrite a stream in place at
     the same size, not create a file). ``olefile`` (step 5) and ``oletools`` (the tests)
     serve as independent readers of what was written.

   ``ms_cfb`` (like ``ms_ovba``'s driver) writes scratch files (``fatChain.bin``) into
   the *current directory*, so that step runs with the working directory switched to a
   temporary one (under a lock, as ``chdir`` is process-wide) and restored in
   ``finally``.

2. The workbook container: XlsxWriter writes an ``.xlsm`` with the project embedded
   (``add_vba_project``) and code names matching the document modules. For ``.xlam`` the
   content type of ``/xl/workbook.xml`` is then rewritten to the add-in one.

3. The ribbon: ``customUI/customUI14.xml`` is added and wired in ``_rels/.rels`` with the
   ``.../2007/relationships/ui/extensibility`` relationship.

4. The version: the add-in's title (``docProps/core.xml``, shown by File → Options →
   Add-ins) and a hidden workbook name, ``xlflow_xlwings_version``, carry the version of
   the xlwings whose VBA module went in; a click checks it (:mod:`xlflow.addin.version`).

5. The check: the finished file is read back with :mod:`xlflow.addin.ovba` (olefile and
   the specification, no code shared with the writer) and compared field by field with the
   Excel-made add-ins in the xlwings package (:mod:`xlflow.addin.compare`). A difference
   that MS-OVBA does not allow fails the build: nothing is written.

Steps 2 and 3 copy the XlsxWriter zip into a new zip (never edited in place). Only the
checked file is copied to a temporary file beside the output and moved over it; on
Windows a loaded add-in (Excel holds it open) or a scanner makes that fail with a sharing
violation, which is retried briefly and then reported as "in use" (:mod:`xlflow.sharing`).

Every failure a user can meet -- the builder libraries not installed (the ``addin``
extra), a wrong suffix, a folder that cannot be made or written, the output held open --
is an :class:`AddinError` with the fix in words; the command line shows it as ``Error:``.

Which xlwings module: for an ``.xlam``, ``xlwings_custom_addin.bas`` -- the file xlwings
itself ships for custom add-ins (``xlwings copy vba --addin``). It differs from the
standalone ``xlwings.bas`` by using ``ActiveWorkbook`` where the standalone one uses
``ThisWorkbook``, so ``xw.Book.caller()`` in Python is the register the clerk is looking
at, not the add-in. Its ``PROJECT_NAME`` constant ships as the placeholder ``myaddin``
(xlwings' custom add-in tutorial has you rename it) and is set to ``xlflow``: the add-in's
configuration then comes from an ``xlflow.conf`` sheet, an ``xlflow.conf`` file beside
the workbook, or ``%USERPROFILE%\\.xlflow\\xlflow.conf`` (not ``.xlwings\\xlwings.conf``).
For an ``.xlsm`` (the macros live in the workbook itself) the standalone ``xlwings.bas``
is used unchanged.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import uuid
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from ..errors import XlflowError
from ..sharing import IN_USE, call_retrying_sharing, is_sharing_violation
from .ovba import decompress  # noqa: F401 - the spec's decompression, also used here
from .version import VERSION_NAME

ADDIN_DIR = Path(__file__).resolve().parent
BAS_PATH = ADDIN_DIR / "xlflow.bas"
CUSTOMUI_PATH = ADDIN_DIR / "customUI14.xml"

MODULE_NAME = "xlflow"
#: The xlwings PROJECT_NAME given to the add-in (names its config sheet and files).
ADDIN_PROJECT_NAME = "xlflow"

#: Code page of the VBA project. ms_ovba writes PROJECTCODEPAGE 1252 in the dir stream.
CODEPAGE = "cp1252"
#: Fixed, so that two builds from the same sources give the same project.
PROJECT_ID = "{6B1F3C0E-4A5D-4E8B-9C2A-7D0E5F3A1B20}"

CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"
CUSTOMUI_PART = "customUI/customUI14.xml"
UI_REL_TYPE = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
XLSM_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLAM_MAIN = "application/vnd.ms-excel.addin.macroEnabled.main+xml"

# VB_Base GUIDs Excel writes for its document modules and for VBA class modules.
_THISWORKBOOK_BASE = "{00020819-0000-0000-C000-000000000046}"
_WORKSHEET_BASE = "{00020820-0000-0000-C000-000000000046}"
_CLASS_BASE = "{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"

_CWD_LOCK = threading.Lock()

#: The libraries of the ``addin`` extra: import name -> distribution (pyproject.toml).
BUILDER_LIBRARIES = {"ms_ovba": "ms-ovba", "ms_cfb": "ms-cfb",
                     "ms_ovba_compression": "ms-ovba-compression", "xlsxwriter": "XlsxWriter",
                     "olefile": "olefile"}
#: What to type when they are missing.
INSTALL_BUILDER = ('pip install "xlflow[addin]" (from a copy of the repository: '
                   'pip install ".[addin]" in its folder; on Windows: py -m pip install ...)')


class AddinError(XlflowError):
    """The add-in cannot be built or written (says why and what to do)."""


def _require_builder() -> None:
    """Import the builder libraries now, so a missing one is named before any work."""
    import importlib

    for module in BUILDER_LIBRARIES:
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise AddinError(
                f"xlflow addin build needs the add-in builder libraries, which are not installed "
                f"({e.name or module} is missing) — install them with {INSTALL_BUILDER}, then build again"
            ) from None


# --------------------------------------------------------------------------- sources
def _xlwings_dir() -> Path:
    import xlwings

    return Path(xlwings.__file__).resolve().parent


def _crlf(text: str) -> str:
    """VBA stores source with CRLF line ends; end with one too."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    return text.replace("\n", "\r\n")


def _read_vba_file(path: Path) -> str:
    """An exported VBA file (.bas/.cls), decoded in the project code page."""
    try:
        return _crlf(path.read_bytes().decode(CODEPAGE))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: the installed xlwings package does not ship the VBA "
            "file the add-in needs (reinstall xlwings)"
        ) from None


def _vb_name(source: str) -> str:
    """The module name from the ``Attribute VB_Name`` line, as VBA would take it."""
    match = re.search(r'^Attribute VB_Name = "([^"]+)"\r?$', source, re.MULTILINE)
    if not match:
        raise ValueError("VBA source has no Attribute VB_Name line")
    return match.group(1)


def _document_module(name: str, base: str) -> str:
    """Source of an empty document module, as Excel stores it."""
    return _crlf(
        f'Attribute VB_Name = "{name}"\n'
        f'Attribute VB_Base = "0{base}"\n'
        "Attribute VB_GlobalNameSpace = False\n"
        "Attribute VB_Creatable = False\n"
        "Attribute VB_PredeclaredId = True\n"
        "Attribute VB_Exposed = True\n"
        "Attribute VB_TemplateDerived = False\n"
        "Attribute VB_Customizable = True\n"
    )


def _class_module(exported: str) -> str:
    """An exported ``.cls`` turned into the source VBA keeps in a class module stream.

    The ``VERSION 1.0 CLASS`` / ``BEGIN`` ... ``END`` header exists only in exported
    files; inside the project the source starts at ``Attribute VB_Name`` and carries the
    ``VB_Base`` of VBA classes and the two template attributes (what Excel itself stores,
    e.g. for ``Dictionary`` in xlwings.xlam).
    """
    lines = exported.split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Attribute "))
    out: list[str] = []
    for line in lines[start:]:
        out.append(line)
        if line.startswith("Attribute VB_Name = "):
            out.append(f'Attribute VB_Base = "0{_CLASS_BASE}"')
        elif line.startswith("Attribute VB_Exposed = "):
            out.append("Attribute VB_TemplateDerived = False")
            out.append("Attribute VB_Customizable = False")
    return "\r\n".join(out)


def _xlwings_module(addin: bool) -> str:
    xw_dir = _xlwings_dir()
    if not addin:
        return _read_vba_file(xw_dir / "xlwings.bas")
    source = _read_vba_file(xw_dir / "xlwings_custom_addin.bas")
    line = re.compile(r'^(Public Const PROJECT_NAME As String = )"[^"]*"\r$', re.MULTILINE)
    source, count = line.subn(rf'\g<1>"{ADDIN_PROJECT_NAME}"' + "\r", source)
    if count != 1:
        raise ValueError(
            "xlwings_custom_addin.bas: expected one PROJECT_NAME constant, found "
            f"{count}; the installed xlwings changed its add-in module"
        )
    return source


def vba_modules(addin: bool = True) -> dict[str, str]:
    """Module name -> source text exactly as stored in the project (CRLF line ends).

    ``addin=True`` gives the ``.xlam`` project, ``False`` the ``.xlsm`` one (which only
    differs in the xlwings module, see the module docstring). Names come from each
    source's ``Attribute VB_Name``.
    """
    ours = _crlf(BAS_PATH.read_text(encoding="utf-8"))
    xlwings_src = _xlwings_module(addin)
    dictionary = _class_module(_read_vba_file(_xlwings_dir() / "addin" / "Dictionary.cls"))
    modules = {
        "ThisWorkbook": _document_module("ThisWorkbook", _THISWORKBOOK_BASE),
        "Sheet1": _document_module("Sheet1", _WORKSHEET_BASE),
    }
    for source in (ours, xlwings_src, dictionary):
        modules[_vb_name(source)] = source
    if MODULE_NAME not in modules:
        raise ValueError(f"{BAS_PATH.name} must declare Attribute VB_Name = \"{MODULE_NAME}\"")
    for name, source in modules.items():
        try:
            source.encode(CODEPAGE)
        except UnicodeEncodeError as err:
            raise ValueError(
                f"VBA module {name}: character {source[err.start]!r} cannot be stored in "
                f"code page {CODEPAGE[2:]}; keep VBA source ASCII"
            ) from None
    return modules


_KINDS = {"ThisWorkbook": "document", "Sheet1": "document", "Dictionary": "class"}


def _module_kind(name: str) -> str:
    return _KINDS.get(name, "standard")


# ------------------------------------------------------------------ ribbon / macros
def ribbon_actions() -> list[str]:
    """Every ``onAction`` in customUI14.xml, in document order."""
    root = ET.parse(CUSTOMUI_PATH).getroot()
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise ValueError(f"{CUSTOMUI_PATH.name}: root must be customUI in {CUSTOMUI_NS}")
    return [el.attrib["onAction"] for el in root.iter() if "onAction" in el.attrib]


_SUB = re.compile(
    r"^(?:Public\s+)?Sub\s+(\w+)\s*\(([^)]*)\)\s*$(.*?)^End\s+Sub\b",
    re.MULTILINE | re.DOTALL | re.IGNORECASE,
)
_RUNPYTHON = re.compile(r'^\s*RunPython\s*\(?\s*"([^"]*)"', re.MULTILINE | re.IGNORECASE)
_CALL = re.compile(r"^\s*import\s+xlflow\.macros\s*;\s*xlflow\.macros\.(\w+)\(\)\s*$")


def _subs(source: str) -> dict[str, tuple[str, str]]:
    """Sub name -> (parameter list, body) of a VBA module's text."""
    return {m.group(1): (m.group(2).strip(), m.group(3))
            for m in _SUB.finditer(source)}


def macro_calls() -> dict[str, str]:
    """Sub name -> the ``xlflow.macros`` function its RunPython line calls.

    These are the parameterless macros (``XlflowAdvanceRun`` ...) that Alt+F8, Customize
    Ribbon and the ribbon callbacks run. Raises ValueError for a RunPython command of
    another shape, so a typo in the .bas cannot slip through as "no call".
    """
    calls: dict[str, str] = {}
    for sub, (_, body) in _subs(BAS_PATH.read_text(encoding="utf-8")).items():
        commands = _RUNPYTHON.findall(body)
        if not commands:
            continue
        if len(commands) > 1:
            raise ValueError(f"Sub {sub}: more than one RunPython line")
        call = _CALL.match(commands[0])
        if not call:
            raise ValueError(
                f'Sub {sub}: RunPython "{commands[0]}" is not '
                '"import xlflow.macros; xlflow.macros.<function>()"'
            )
        calls[sub] = call.group(1)
    return calls


#: The parameterless twin of a ribbon callback: XlflowAdvance -> XlflowAdvanceRun.
TWIN_SUFFIX = "Run"


def ribbon_twins() -> dict[str, str]:
    """Ribbon callback -> its parameterless twin, checked.

    Every ``onAction`` of customUI14.xml must be a Sub of xlflow.bas that takes
    ``control As IRibbonControl`` and does nothing but call ``<name>Run``, a Sub without
    parameters whose one line is the RunPython call. So the button, Alt+F8 and a button
    placed by hand (Customize Ribbon → Macros) run the same code. Raises ValueError
    naming the first callback that breaks this.
    """
    subs = _subs(BAS_PATH.read_text(encoding="utf-8"))
    calls = macro_calls()
    twins: dict[str, str] = {}
    for action in ribbon_actions():
        if action not in subs:
            raise ValueError(f"{CUSTOMUI_PATH.name}: onAction {action} is not a Sub of "
                             f"{BAS_PATH.name}; the button would do nothing")
        params, body = subs[action]
        twin = action + TWIN_SUFFIX
        if not re.fullmatch(r"(ByVal\s+|ByRef\s+)?\w+\s+As\s+IRibbonControl", params, re.IGNORECASE):
            raise ValueError(f"Sub {action}: a ribbon callback takes (control As IRibbonControl), not ({params})")
        if body.strip() != twin:
            raise ValueError(f"Sub {action}: its one line must be {twin} (the macro Alt+F8 runs)")
        if twin not in subs or subs[twin][0] != "":
            raise ValueError(f"{BAS_PATH.name} has no Sub {twin}() without parameters for the button {action}")
        if twin not in calls:
            raise ValueError(f"Sub {twin}: no RunPython line")
        twins[action] = twin
    return twins


# ------------------------------------------------------------------- vbaProject.bin
def _compressor():
    """ms_ovba_compression's compressor with its copy-token length bug fixed.

    ms_ovba_compression 1.0.1 computes MaximumLength as ``0xFFFF << bitCount + 3``
    instead of ``(0xFFFF >> bitCount) + 3`` (MS-OVBA 2.4.1.3.19.3), so a match longer
    than the length field holds (runs of spaces, ``' ~~~~`` rulers, zeros in the dir
    stream) spills into the offset bits and the stream decompresses to garbage (the
    ``Dictionary`` class and the ``dir`` stream were cut short). Matches are clamped to
    the real maximum here; everything else is the library's algorithm.
    """
    from ms_ovba_compression.ms_ovba import MsOvba

    class FixedMsOvba(MsOvba):
        def _matching(self):  # noqa: ANN202 - same signature as the library
            offset, length = super()._matching()
            if offset:
                position = len(self._activeChunk) - len(self._uncompressedData)
                bit_count = MsOvba.ceil_log2(position)  # max(ceil(log2 d), 4)
                length = min(length, (0xFFFF >> bit_count) + 3)
            return offset, length

    return FixedMsOvba()


def _compress(data: bytes, what: str) -> bytes:
    compressed = _compressor().compress(data)
    if decompress(compressed) != data:
        raise RuntimeError(f"MS-OVBA compression of {what} does not round-trip")
    return compressed


def vba_project_bin(modules: dict[str, str], workdir: Path) -> Path:
    """Write ``vbaProject.bin`` holding ``modules`` into ``workdir``; return its path.

    ms_ovba supplies the project model and the bytes of the PROJECT, PROJECTwm,
    ``VBA/dir`` and ``VBA/_VBA_PROJECT`` streams; compression is :func:`_compressor`;
    ms_cfb writes the compound file. Each module stream is its compressed source with
    no performance cache (MODULEOFFSET 0).
    """
    from ms_cfb.Models.Directories.root_directory import RootDirectory
    from ms_cfb.Models.Directories.storage_directory import StorageDirectory
    from ms_cfb.Models.Directories.stream_directory import StreamDirectory
    from ms_cfb.ole_file import OleFile
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.reference import Reference
    from ms_ovba.Models.Entities.reference_registered import ReferenceRegistered
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.libid_reference import LibidReference
    from ms_ovba.Views.dirStream import DirStream
    from ms_ovba.Views.project import Project
    from ms_ovba.Views.project_view import ProjectView
    from ms_ovba.Views.projectWm import ProjectWm
    from ms_ovba.vbaProject import VbaProject

    class ClassModule(DocModule):
        """A class module. In the dir stream it shares MODULETYPE 0x0022 with document
        modules (MS-OVBA 2.3.4.2.3.2.8); only its PROJECT stream line differs."""

        def to_project_module_string(self) -> str:
            return "Class=" + self.name

    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    project = VbaProject()
    project.project_id = PROJECT_ID
    project.include_projectwm()

    # The references Excel gives a new project (and xlwings.xlam has): OLE Automation,
    # and the Office library, which defines IRibbonControl used by the callbacks.
    for guid, name, path, description in (
        ("00020430-0000-0000-C000-000000000046", "stdole",
         r"C:\Windows\System32\stdole2.tlb", "OLE Automation"),
        ("2DF8D04C-5BFA-101B-BDE5-00AA0044DE52", "Office",
         r"C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL",
         "Microsoft Office 16.0 Object Library"),
    ):
        libid = LibidReference(uuid.UUID(guid), "2.0", "0", path, description)
        project.add_reference(Reference(ReferenceRegistered(libid), name))

    streams: list[tuple[str | None, str, bytes]] = []  # (storage, stream, bytes)
    for name, source in modules.items():
        kind = _module_kind(name)
        module = {"document": DocModule, "class": ClassModule}.get(kind, StdModule)(name)
        project.add_module(module)
        data = module.cache + _compress(source.encode(CODEPAGE), f"module {name}")
        streams.append(("VBA", name, data))
    streams.append(("VBA", "dir", _compress(DirStream(project).to_bytes(), "the dir stream")))
    streams.append(("VBA", "_VBA_PROJECT", ProjectView(project).to_bytes()))
    streams.append((None, "PROJECTwm", ProjectWm(project).to_bytes()))
    project_view = Project(project)
    # What Excel writes after HelpContextID (MS-OVBA 2.3.1.14; the Excel-made add-ins have it).
    project_view.add_attribute("VersionCompatible32", "393222000")
    streams.append((None, "PROJECT", project_view.to_bytes()))

    root = RootDirectory()
    root.set_modified(project.default_date)
    storage = StorageDirectory("VBA")
    storage.set_created(project.default_date)
    storage.set_modified(project.default_date)
    for index, (parent, name, data) in enumerate(streams):
        # MS-CFB keeps streams *smaller* than 4096 bytes in the mini stream; ms_cfb uses
        # "<= 4096", so a stream of exactly 4096 bytes would be misread by others.
        if len(data) == 4096:
            raise ValueError(f"stream {name} is exactly 4096 bytes, which ms_cfb stores "
                             "wrongly; add or remove a blank line in the VBA source")
        path = workdir / f"stream{index:02d}.bin"
        path.write_bytes(data)
        (storage if parent == "VBA" else root).add_directory(StreamDirectory(name, str(path)))
    root.add_directory(storage)

    ole = OleFile()
    ole.root_directory = root
    output = workdir / "vbaProject.bin"
    # ms_cfb writes a scratch "./fatChain.bin" into the current directory.
    with _CWD_LOCK:
        previous = os.getcwd()
        os.chdir(workdir)
        try:
            ole.create_file(str(output))
        finally:
            os.chdir(previous)
    return output


# ------------------------------------------------------------------------ container
def _xlwings_version() -> str:
    import xlwings

    return xlwings.__version__


def _write_container(path: Path, vba_bin: Path, xlwings_version: str) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties({
        # Excel shows the title in File → Options → Add-ins; it says which xlwings went in.
        "title": f"xlflow add-in (xlwings {xlwings_version})",
        "subject": "Ribbon for the xlflow register",
        "author": "xlflow",
        "comments": f"Built by `xlflow addin build` with the VBA module of xlwings {xlwings_version}.",
    })
    sheet = workbook.add_worksheet("xlflow")
    bold = workbook.add_format({"bold": True, "font_size": 14})
    sheet.set_column(0, 0, 100)
    sheet.write(0, 0, "xlflow add-in / Add-in xlflow งานสารบรรณ", bold)
    sheet.write(1, 0, "Adds the xlflow tab to the Excel ribbon. Each button runs a "
                      "function of the Python module xlflow.macros through xlwings.")
    sheet.write(2, 0, "เพิ่มแท็บ xlflow บนริบบอนของ Excel ปุ่มแต่ละปุ่มเรียกฟังก์ชันใน "
                      "xlflow.macros ผ่าน xlwings")
    sheet.write(3, 0, f"Built by `xlflow addin build` with xlwings {xlwings_version}; "
                      "do not edit, rebuild instead.")
    # The hidden setting a click compares with the installed xlwings (xlflow.addin.version).
    workbook.define_name(VERSION_NAME, f'="{xlwings_version}"')
    workbook.add_vba_project(str(vba_bin))
    # Code names must match the document modules in the project.
    workbook.set_vba_name("ThisWorkbook")
    sheet.set_vba_name("Sheet1")
    workbook.close()


def _workbook_xml(data: bytes) -> bytes:
    """Hide the version name (XlsxWriter has no switch for a hidden name)."""
    text = data.decode("utf-8")
    tag = f'<definedName name="{VERSION_NAME}">'
    if text.count(tag) != 1:
        raise AddinError(f"xl/workbook.xml: expected the name {VERSION_NAME} once")
    return text.replace(tag, f'<definedName name="{VERSION_NAME}" hidden="1">').encode("utf-8")


def _content_types(data: bytes, addin: bool) -> bytes:
    text = data.decode("utf-8")
    if addin:
        if text.count(XLSM_MAIN) != 1:
            raise ValueError("[Content_Types].xml: expected one macro-enabled workbook part")
        text = text.replace(XLSM_MAIN, XLAM_MAIN)
    root = ET.fromstring(text)
    has_xml_default = any(
        el.attrib.get("Extension", "").lower() == "xml"
        for el in root.iter(f"{{{CT_NS}}}Default")
    )
    if not has_xml_default:  # XlsxWriter writes it; be sure the ribbon part is typed
        override = (f'<Override PartName="/{CUSTOMUI_PART}" '
                    'ContentType="application/xml"/>')
        text = text.replace("</Types>", override + "</Types>")
    return text.encode("utf-8")


def _package_rels(data: bytes) -> bytes:
    ET.register_namespace("", REL_NS)
    root = ET.fromstring(data)
    ids = {el.attrib["Id"] for el in root}
    rel_id = "rIdXlflowRibbon"
    while rel_id in ids:
        rel_id += "x"
    ET.SubElement(root, f"{{{REL_NS}}}Relationship",
                  {"Id": rel_id, "Type": UI_REL_TYPE, "Target": CUSTOMUI_PART})
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True)


def _file_mode(output: Path) -> int:
    """The mode of the file being replaced, or what a new file would get."""
    try:
        return output.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _finish_package(container: Path, target: Path, addin: bool) -> None:
    """The XlsxWriter container with the add-in content type, the hidden version name
    and the ribbon, written as a new zip at ``target``."""
    ribbon = CUSTOMUI_PATH.read_bytes()
    ET.fromstring(ribbon)  # well-formed, or fail here rather than in Excel
    with zipfile.ZipFile(container) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        if CUSTOMUI_PART in names:
            raise ValueError(f"container already has {CUSTOMUI_PART}")
        # [Content_Types].xml first, as Office writes it.
        names.sort(key=lambda n: n != "[Content_Types].xml")
        for name in names:
            data = src.read(name)
            if name == "[Content_Types].xml":
                data = _content_types(data, addin)
            elif name == "_rels/.rels":
                data = _package_rels(data)
            elif name == "xl/workbook.xml":
                data = _workbook_xml(data)
            dst.writestr(name, data)
        dst.writestr(CUSTOMUI_PART, ribbon)


def check_against_excel(built: Path) -> list:
    """The field-by-field comparison of a built add-in with the Excel-made ones
    (:func:`xlflow.addin.compare.compare`); raises AddinError if MS-OVBA does not allow a
    difference. Where the installed xlwings ships no reference add-ins, the fields are
    still checked against the specification's own rules."""
    from .compare import compare, excel_references, not_allowed
    from .ovba import OvbaFormatError

    try:
        rows = compare(built, excel_references())
    except (OvbaFormatError, KeyError, zipfile.BadZipFile) as e:
        raise AddinError(f"the built add-in cannot be read back ({e}) — nothing was written; "
                         "this is a fault of the builder, please report it") from None
    bad = not_allowed(rows)
    if bad:
        said = "; ".join(f"{r.field}: ours {r.ours} ({r.rule})" for r in bad)
        raise AddinError(f"the built add-in differs from Excel's own where MS-OVBA does not allow it — "
                         f"{said} — nothing was written; reinstall the pinned builder libraries "
                         f"({INSTALL_BUILDER}) and build again, or report it")
    return rows


def _place(built: Path, output: Path) -> None:
    """Copy the checked file beside ``output`` and move it over, atomically."""
    from ..sharing import make_folder

    folder = output.parent
    make_folder(folder, lambda e: AddinError(f"{folder}: the folder cannot be made ({e.strerror or e}) — choose another place with -o"),
                lambda: AddinError(f"{folder}: not a folder — choose another place with -o"))
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=folder)
    except OSError as e:
        raise AddinError(f"{folder}: cannot write there ({e.strerror or e}) — "
                         "choose a folder you can write with -o") from None
    os.close(fd)
    tmp = Path(tmp_name)
    replaced = False
    try:
        os.chmod(tmp, _file_mode(output))  # mkstemp makes it 0600
        tmp.write_bytes(built.read_bytes())
        replaced = True
        call_retrying_sharing(os.replace, tmp, output)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if replaced and is_sharing_violation(e):
            raise AddinError(f"{output.name}: {IN_USE} — nothing was changed; if the add-in is loaded "
                             "in Excel, close Excel and build again") from None
        if replaced and output.is_dir():
            raise AddinError(f"{output}: is a folder — give the add-in's file name with -o, "
                             "e.g. -o xlflow.xlam") from None
        raise AddinError(f"{output}: the add-in could not be written ({e.strerror or e}) — "
                         "nothing was changed; check the folder and the disk") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ----------------------------------------------------------------------------- build
def build_addin(output: Path) -> Path:
    """Build the add-in at ``output`` and return its path.

    ``.xlam`` (the default product) gives an Excel add-in; ``.xlsm`` gives the same
    project and ribbon in an ordinary macro-enabled workbook (with the standalone xlwings
    module), handy for opening in LibreOffice or for trying the buttons without
    installing an add-in. The file is checked against the Excel-made add-ins before it is
    written (:func:`check_against_excel`); an existing file at ``output`` is replaced
    atomically. Raises :class:`AddinError` with the fix for everything a user can meet.
    """
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in (".xlam", ".xlsm"):
        raise AddinError(f"{output.name}: the add-in must be a .xlam file (or .xlsm to try it as a "
                         f"workbook), not {suffix or 'a name without one'!r} — e.g. -o xlflow.xlam")
    _require_builder()
    addin = suffix == ".xlam"
    try:
        modules = vba_modules(addin=addin)
        ribbon_twins()  # every button has its callback and parameterless macro
    except (ValueError, FileNotFoundError) as e:
        raise AddinError(f"the add-in's sources do not fit together: {e}") from None
    with tempfile.TemporaryDirectory(prefix="xlflow-addin-") as tmp:
        tmpdir = Path(tmp)
        vba_bin = vba_project_bin(modules, tmpdir / "vba")
        container = tmpdir / "container.xlsm"
        _write_container(container, vba_bin, _xlwings_version())
        built = tmpdir / f"built{suffix}"
        _finish_package(container, built, addin)
        check_against_excel(built)
        _place(built, output)
    return output
