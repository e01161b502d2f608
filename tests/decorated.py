"""Registers an office has decorated, and the checks that an xlflow write kept the decorations.

Each ``make_<feature>(path) -> Path`` writes a register that xlflow reads (the sheets and
headers of ``template.init``) carrying one decoration an office adds in Excel and that
openpyxl does not model, so a load-and-save through openpyxl drops or mangles it. The
builders start from the template's own .xlsx and edit its OOXML parts as text (a part
added with its relationship and content type), so every decoration is the XML Excel
writes, not what a library thinks of it. They are deterministic (fixed dates, fixed zip
timestamps) and fast; only :func:`make_libreoffice_saved` runs LibreOffice (that is its
point), once per process.

:data:`DECORATIONS` lists the builders with what each must keep (``marks``: text that must
stay, byte for byte, in a sheet's XML or in a part). The assertion helpers
(:func:`raw_members`, :func:`assert_kept`, :func:`structure_problems`,
:func:`register_parts`) read the zip directly.
"""

from __future__ import annotations

import functools
import hashlib
import io
import posixpath
import re
import shutil
import struct
import subprocess
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable
from urllib.parse import unquote
from xml.etree import ElementTree as ET
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from xlflow import schema, template

TODAY = date(2026, 11, 25)
ZIP_TIME = (2026, 11, 25, 9, 0, 0)

REG, LOG = schema.SHEETS["register"], schema.SHEETS["log"]
PROCESS, PEOPLE = schema.SHEETS["process"], schema.SHEETS["people"]
CALENDAR = schema.SHEETS["calendar"]

CT = "[Content_Types].xml"
NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
NS_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
NS_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
NS_XM = "http://schemas.microsoft.com/office/excel/2006/main"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_CS = "http://schemas.microsoft.com/office/drawing/2012/chartStyle"
NS_XR = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
NS_TC = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments"
NS_XDA = "http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray"
NS_VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

OD = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
REL = {
    "office": OD + "officeDocument",
    "worksheet": OD + "worksheet",
    "table": OD + "table",
    "drawing": OD + "drawing",
    "vml": OD + "vmlDrawing",
    "image": OD + "image",
    "chart": OD + "chart",
    "ctrlProp": OD + "ctrlProp",
    "sharedStrings": OD + "sharedStrings",
    "sheetMetadata": OD + "sheetMetadata",
    "calcChain": OD + "calcChain",
    "customXml": OD + "customXml",
    "customXmlProps": OD + "customXmlProps",
    "customProps": OD + "custom-properties",
    "externalLink": OD + "externalLink",
    "externalLinkPath": OD + "externalLinkPath",
    "pivotTable": OD + "pivotTable",
    "pivotCacheDefinition": OD + "pivotCacheDefinition",
    "pivotCacheRecords": OD + "pivotCacheRecords",
    "threadedComment": "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
    "person": "http://schemas.microsoft.com/office/2017/10/relationships/person",
    "chartStyle": "http://schemas.microsoft.com/office/2011/relationships/chartStyle",
    "chartColorStyle": "http://schemas.microsoft.com/office/2011/relationships/chartColorStyle",
    "vbaProject": "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
    "slicer": "http://schemas.microsoft.com/office/2007/relationships/slicer",
    "slicerCache": "http://schemas.microsoft.com/office/2007/relationships/slicerCache",
}
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml."
CTYPE = {
    "worksheet": _SML + "worksheet+xml",
    "sharedStrings": _SML + "sharedStrings+xml",
    "sheetMetadata": _SML + "sheetMetadata+xml",
    "calcChain": _SML + "calcChain+xml",
    "externalLink": _SML + "externalLink+xml",
    "pivotTable": _SML + "pivotTable+xml",
    "pivotCacheDefinition": _SML + "pivotCacheDefinition+xml",
    "pivotCacheRecords": _SML + "pivotCacheRecords+xml",
    "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
    "chartStyle": "application/vnd.ms-office.chartstyle+xml",
    "chartColorStyle": "application/vnd.ms-office.chartcolorstyle+xml",
    "ctrlProp": "application/vnd.ms-excel.controlproperties+xml",
    "threadedComment": "application/vnd.ms-excel.threadedcomments+xml",
    "person": "application/vnd.ms-excel.person+xml",
    "customXmlProps": "application/vnd.openxmlformats-officedocument.customXmlProperties+xml",
    "customProps": "application/vnd.openxmlformats-officedocument.custom-properties+xml",
    "slicer": "application/vnd.ms-excel.slicer+xml",
    "slicerCache": "application/vnd.ms-excel.slicerCache+xml",
    "vml": "application/vnd.openxmlformats-officedocument.vmlDrawing",
    "vbaProject": "application/vnd.ms-office.vbaProject",
    "macroMain": "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
}

#: CT_Worksheet's children in schema order (a new element goes where Excel expects it).
SHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
    "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
    "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
    "extLst",
)
WORKBOOK_ORDER = (
    "fileVersion", "fileSharing", "workbookPr", "workbookProtection", "bookViews", "sheets", "functionGroups",
    "externalReferences", "definedNames", "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr",
    "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst",
)
#: Worksheet extLst entries in the order Excel writes them (by ext uri).
SHEET_EXT_ORDER = (
    "{78C0D931-6437-407d-A8EE-F0AAD7539E65}",  # x14 conditional formatting
    "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}",  # x14 data validations
    "{05C60535-1F16-4fd2-B633-F4F36F0B64E0}",  # sparkline groups
    "{A8765BA9-456A-4dab-B4F3-ACF838C121DE}",  # slicer list
)


# -- a package edited as text ------------------------------------------------------------------
def _utf8(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def _top_children(xml: bytes) -> list[tuple[str, int]]:
    """(local name, byte offset of its ``<``) of each child of the root element."""
    p = expat.ParserCreate()
    depth, out = 0, []

    def start(name, attrs):
        nonlocal depth
        depth += 1
        if depth == 2:
            out.append((name.rsplit(":", 1)[-1], p.CurrentByteIndex))

    def end(name):
        nonlocal depth
        depth -= 1

    p.StartElementHandler, p.EndElementHandler = start, end
    p.Parse(xml, True)
    return out


def insert_child(xml: str, fragment: str, tag: str, order: tuple[str, ...]) -> str:
    """``xml`` with ``fragment`` (an element ``tag``) put among the root's children in schema order."""
    data = xml.encode("utf-8")
    rank = order.index(tag)
    at = data.rfind(b"</")  # the root's end tag
    for name, off in _top_children(data):
        name = "controls" if name == "AlternateContent" else name
        if name in order and order.index(name) > rank:
            at = off
            break
    return (data[:at] + fragment.encode("utf-8") + data[at:]).decode("utf-8")


def add_to_container(xml: str, container: str, item: str, order: tuple[str, ...]) -> str:
    """Append ``item`` inside the root's ``container`` child (made if missing)."""
    data = xml.encode("utf-8")
    for name, off in _top_children(data):
        if name == container:
            head = data[off:data.index(b">", off) + 1]
            if head.endswith(b"/>"):  # <definedNames/>
                full = head[:-2].rstrip() + b">" + item.encode("utf-8") + b"</" + head[1:].split()[0].rstrip(b"/>") + b">"
                return (data[:off] + full + data[off + len(head):]).decode("utf-8")
            prefix = head[1:].split()[0].rstrip(b">").decode()
            end = data.index(f"</{prefix}>".encode(), off) if container != "extLst" else data.rindex(f"</{prefix}>".encode())
            return (data[:end] + item.encode("utf-8") + data[end:]).decode("utf-8")
    return insert_child(xml, f"<{container}>{item}</{container}>", container, order)


def add_sheet_ext(xml: str, ext: str) -> str:
    """Add an ``<ext>`` to a worksheet's extLst, in Excel's order of ext uris."""
    uri = re.search(r'uri="([^"]+)"', ext).group(1)
    data = xml.encode("utf-8")
    tops = _top_children(data)
    if not any(n == "extLst" for n, _ in tops):
        return insert_child(xml, f"<extLst>{ext}</extLst>", "extLst", SHEET_ORDER)
    start = next(off for n, off in tops if n == "extLst")
    end = data.rindex(b"</extLst>")
    body = data[start:end].decode("utf-8")
    rank = SHEET_EXT_ORDER.index(uri) if uri in SHEET_EXT_ORDER else len(SHEET_EXT_ORDER)
    at = end
    for m in re.finditer(r'<ext\b[^>]*uri="([^"]+)"', body):
        other = SHEET_EXT_ORDER.index(m.group(1)) if m.group(1) in SHEET_EXT_ORDER else len(SHEET_EXT_ORDER)
        if other > rank:
            at = start + len(body[:m.start()].encode("utf-8"))
            break
    return (data[:at] + ext.encode("utf-8") + data[at:]).decode("utf-8")


def declare_ns(xml: str, prefix: str, uri: str) -> str:
    """Declare ``xmlns:prefix`` on the root element (if it is not already)."""
    m = re.search(r"<([A-Za-z_][\w.:-]*)([^>]*?)(/?)>", xml[xml.index("<", xml.find("?>") + 1 if xml.startswith("<?") else 0):])
    start = xml.index(m.group(0))
    tag = m.group(0)
    if f"xmlns:{prefix}=" in tag:
        return xml
    new = tag[: len(tag) - len(m.group(3)) - 1] + f' xmlns:{prefix}="{uri}"' + m.group(3) + ">"
    return xml[:start] + new + xml[start + len(tag):]


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]+)$")


def split_ref(ref: str) -> tuple[int, int]:
    """``"B7"`` → (column 2, row 7)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return col_number(m.group(1)), int(m.group(2))


_ROW = re.compile(r'<row\b[^>]*?\br="(\d+)"[^>]*?(?:/>|>.*?</row>)', re.S)
_CELL = re.compile(r'<c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*?(?:/>|>.*?</c>)', re.S)


def put_cell(xml: str, cell: str) -> str:
    """Put a whole ``<c r="..">`` element into sheetData (in its row, in column order; a cell
    already at that reference is replaced) and widen ``<dimension>``."""
    ref = re.search(r'\br="([A-Z]+\d+)"', cell).group(1)
    col, row = split_ref(ref)
    xml = re.sub(r"<sheetData\s*/>", "<sheetData></sheetData>", xml)
    target = None
    for m in _ROW.finditer(xml):
        if int(m.group(1)) == row:
            target = m
            break
        if int(m.group(1)) > row:
            xml = xml[:m.start()] + f'<row r="{row}">{cell}</row>' + xml[m.start():]
            return widen_dimension(xml)
    if target is None:
        at = xml.index("</sheetData>")
        xml = xml[:at] + f'<row r="{row}">{cell}</row>' + xml[at:]
        return widen_dimension(xml)
    text = target.group(0)
    if text.endswith("/>") and "</row>" not in text:
        text = text[:-2].rstrip() + "></row>"
    body_start = text.index(">") + 1
    body = text[body_start:-len("</row>")]
    at = len(body)
    for c in _CELL.finditer(body):
        n = col_number(c.group(1))
        if n == col:
            body = body[:c.start()] + cell + body[c.end():]
            break
        if n > col:
            body = body[:c.start()] + cell + body[c.start():]
            break
    else:
        body = body[:at] + cell + body[at:]
    text = text[:body_start] + body + "</row>"
    xml = xml[:target.start()] + text + xml[target.end():]
    return widen_dimension(xml)


def widen_dimension(xml: str) -> str:
    """Make ``<dimension ref>`` the bounding box of the cells."""
    cells = [(col_number(m.group(1)), int(m.group(2))) for m in _CELL.finditer(xml)]
    if not cells:
        return xml
    ref = f"{col_letters(min(c for c, _ in cells))}{min(r for _, r in cells)}:{col_letters(max(c for c, _ in cells))}{max(r for _, r in cells)}"
    return re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml, count=1)


def inline(ref: str, text: str, style: int | None = None) -> str:
    s = f' s="{style}"' if style is not None else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'


class Package:
    """The parts of an .xlsx in memory, edited as text and written back as a new zip."""

    def __init__(self, data: bytes):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            self.names = [i.filename for i in z.infolist() if not i.is_dir()]
            self.parts = {n: z.read(n) for n in self.names}

    def __contains__(self, name: str) -> bool:
        return name in self.parts

    def text(self, name: str) -> str:
        return self.parts[name].decode("utf-8")

    def put(self, name: str, data: str | bytes) -> None:
        if name not in self.parts:
            self.names.append(name)
        self.parts[name] = _utf8(data)

    def edit(self, name: str, fn: Callable[[str], str]) -> None:
        self.put(name, fn(self.text(name)))

    def free(self, pattern: str) -> str:
        """The first unused part name of ``pattern`` (``xl/drawings/drawing{}.xml``)."""
        n = 1
        while pattern.format(n) in self.parts:
            n += 1
        return pattern.format(n)

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name in [CT, *(n for n in self.names if n != CT)]:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, self.parts[name])
        return path

    # content types --------------------------------------------------------------------------
    def add_override(self, part: str, ctype: str) -> None:
        self.edit(CT, lambda t: t.replace("</Types>", f'<Override PartName="/{part}" ContentType="{ctype}"/></Types>'))

    def set_override(self, part: str, ctype: str) -> None:
        self.edit(CT, lambda t: re.sub(rf'(<Override PartName="/{re.escape(part)}" ContentType=")[^"]*(")', rf"\g<1>{ctype}\g<2>", t))

    def add_default(self, ext: str, ctype: str) -> None:
        if not re.search(rf'<Default Extension="{ext}"', self.text(CT), re.I):
            self.edit(CT, lambda t: t.replace("</Types>", f'<Default Extension="{ext}" ContentType="{ctype}"/></Types>'))

    # relationships --------------------------------------------------------------------------
    @staticmethod
    def rels_name(part: str) -> str:
        folder, base = posixpath.split(part)
        return posixpath.join(folder, "_rels", base + ".rels")

    def rels(self, part: str) -> list[dict[str, str]]:
        name = self.rels_name(part)
        if name not in self.parts:
            return []
        return [dict(r.attrib) for r in ET.fromstring(self.parts[name]) if r.tag == f"{{{NS_PKG_REL}}}Relationship"]

    def add_rel(self, source: str, kind: str, target: str, external: bool = False) -> str:
        """Relate ``source`` to the part ``target`` (or an external address); returns the new Id."""
        name = self.rels_name(source)
        if name not in self.parts:
            self.put(name, f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG_REL}"></Relationships>')
        used = {r["Id"] for r in self.rels(source)}
        n = 1
        while f"rId{n}" in used:
            n += 1
        rid = f"rId{n}"
        if external:
            rel = f'<Relationship Id="{rid}" Type="{REL[kind]}" Target={quoteattr(target)} TargetMode="External"/>'
        else:
            rel = f'<Relationship Id="{rid}" Type="{REL[kind]}" Target={quoteattr(posixpath.relpath(target, posixpath.dirname(source) or "."))}/>'
        self.edit(name, lambda t: t.replace("</Relationships>", rel + "</Relationships>"))
        return rid

    def add_part(self, source: str, kind: str, part: str, data: str | bytes) -> str:
        """Add ``part`` with its content-type override and a relationship from ``source``."""
        self.put(part, data)
        self.add_override(part, CTYPE[kind])
        return self.add_rel(source, kind, part)

    # workbook and sheets --------------------------------------------------------------------
    @property
    def workbook(self) -> str:
        return next(resolve("", r["Target"]) for r in self.rels("") if r["Type"] == REL["office"])

    def sheets(self) -> list[tuple[str, int, str, str]]:
        """(name, sheetId, r:id, part) of every sheet, in workbook order."""
        targets = {r["Id"]: resolve(self.workbook, r["Target"]) for r in self.rels(self.workbook)}
        root = ET.fromstring(self.parts[self.workbook])
        out = []
        for s in root.iter(f"{{{NS_MAIN}}}sheet"):
            rid = s.get(f"{{{NS_R}}}id")
            out.append((s.get("name"), int(s.get("sheetId")), rid, targets.get(rid, "")))
        return out

    def sheet_part(self, name: str) -> str:
        return next(p for n, _, _, p in self.sheets() if n == name)

    def sheet_id(self, name: str) -> int:
        return next(i for n, i, _, _ in self.sheets() if n == name)

    def add_sheet(self, name: str, xml: str) -> str:
        """A new worksheet ``name`` at the end of the workbook; returns its part name."""
        part = self.free("xl/worksheets/sheet{}.xml")
        rid = self.add_part(self.workbook, "worksheet", part, xml)
        sheet_id = max(i for _, i, _, _ in self.sheets()) + 1
        self.edit(self.workbook, lambda t: re.sub(
            r"(</(?:\w+:)?sheets>)", f'<sheet name={quoteattr(name)} sheetId="{sheet_id}" r:id="{rid}"/>\\1', t, count=1))
        return part

    def workbook_child(self, fragment: str, tag: str) -> None:
        self.edit(self.workbook, lambda t: insert_child(t, fragment, tag, WORKBOOK_ORDER))

    def workbook_item(self, container: str, item: str) -> None:
        self.edit(self.workbook, lambda t: add_to_container(declare_ns(t, "r", NS_R), container, item, WORKBOOK_ORDER))

    def sheet_child(self, sheet: str, fragment: str, tag: str) -> None:
        self.edit(self.sheet_part(sheet), lambda t: insert_child(t, fragment, tag, SHEET_ORDER))


def resolve(source: str, target: str) -> str:
    """The part a relationship of ``source`` with this Target points to."""
    target = unquote(target)
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


# -- the plain register the builders start from ---------------------------------------------------
@functools.lru_cache(maxsize=1)
def _template_bytes() -> bytes:
    """``template.init`` for 2026-11-25, its modification stamp fixed (made once per process)."""
    with tempfile.TemporaryDirectory() as d:
        path = template.init(Path(d) / "Coordination_Register.xlsx", today=TODAY)
        pkg = Package(path.read_bytes())
    pkg.edit("docProps/core.xml", lambda t: re.sub(r"(<dcterms:modified[^>]*>)[^<]*", r"\g<1>2026-11-25T02:00:00Z", t))
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as d:
        out = pkg.save(Path(d) / "t.xlsx")
        buf.write(out.read_bytes())
    return buf.getvalue()


@functools.lru_cache(maxsize=1)
def _template_values() -> dict[str, list[list]]:
    """The template's cell values (for the cached results the decorations carry)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(_template_bytes()))
    return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}


def base() -> Package:
    return Package(_template_bytes())


def _process_rows() -> list[list]:
    """The Process sheet's 15 sub-steps (rows 2–16): code in column A, role E, minutes F."""
    rows = _template_values()[PROCESS][1:16]
    assert len(rows) == 15 and all(isinstance(r[5], float) for r in rows), rows
    return rows


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def _png() -> bytes:
    """A 16×16 navy square (the office's seal stand-in), as a PNG."""
    w = h = 16
    raw = b"".join(b"\x00" + b"\x1f\x4e\x78" * w for _ in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _new_sheet_xml(rows: str, dimension: str, extra_ns: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_R}"{extra_ns}>'
        f'<dimension ref="{dimension}"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="1" width="40" customWidth="1"/><col min="2" max="2" width="24" customWidth="1"/></cols>'
        f'<sheetData>{rows}</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>'
    )


def _vml_prefixes(vml: str) -> dict[str, str]:
    """The prefixes a VML drawing binds to VML (v), Office (o) and Excel (x)."""
    found = {uri: p for p, uri in re.findall(r'xmlns:(\w+)="([^"]+)"', vml)}
    return {"v": found["urn:schemas-microsoft-com:vml"], "o": found["urn:schemas-microsoft-com:office:office"],
            "x": found["urn:schemas-microsoft-com:office:excel"]}


def _legacy_vml(pkg: Package, sheet: str) -> str:
    """The part of the sheet's legacy drawing (the notes' VML)."""
    part = pkg.sheet_part(sheet)
    rid = re.search(r'<legacyDrawing\b[^>]*r:id="([^"]+)"', pkg.text(part)).group(1)
    return next(resolve(part, r["Target"]) for r in pkg.rels(part) if r["Id"] == rid)


def _comments_part(pkg: Package, sheet: str) -> str:
    part = pkg.sheet_part(sheet)
    return next(resolve(part, r["Target"]) for r in pkg.rels(part) if r["Type"] == OD + "comments")


def _anchor(c1: int, r1: int, c2: int, r2: int, prefix: str = "xdr:") -> str:
    p = prefix
    return (f"<{p}from><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1}</xdr:row><xdr:rowOff>0</xdr:rowOff></{p}from>"
            f"<{p}to><xdr:col>{c2}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r2}</xdr:row><xdr:rowOff>0</xdr:rowOff></{p}to>")


def _drawing(pkg: Package, sheet: str, anchors: str) -> str:
    """The sheet's DrawingML part, made (with ``<drawing r:id>``) if it has none; ``anchors`` appended."""
    part = pkg.sheet_part(sheet)
    rid = re.search(r'<drawing\b[^>]*r:id="([^"]+)"', pkg.text(part))
    if rid:
        drawing = next(resolve(part, r["Target"]) for r in pkg.rels(part) if r["Id"] == rid.group(1))
        pkg.edit(drawing, lambda t: t.replace("</xdr:wsDr>", anchors + "</xdr:wsDr>"))
        return drawing
    drawing = pkg.free("xl/drawings/drawing{}.xml")
    rid = pkg.add_part(part, "drawing", drawing,
                       f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}">{anchors}</xdr:wsDr>')
    pkg.edit(part, lambda t: insert_child(declare_ns(t, "r", NS_R), f'<drawing r:id="{rid}"/>', "drawing", SHEET_ORDER))
    return drawing


# -- the decorations ------------------------------------------------------------------------------
SPARK_SOURCE = f"'{PROCESS}'!F2:F16"


def _sparkline_ext(sqref: str, colour: str) -> str:
    return (
        f'<ext uri="{{05C60535-1F16-4fd2-B633-F4F36F0B64E0}}" xmlns:x14="{NS_X14}"><x14:sparklineGroups xmlns:xm="{NS_XM}">'
        f'<x14:sparklineGroup displayEmptyCellsAs="gap" markers="1" high="1"><x14:colorSeries rgb="{colour}"/><x14:colorNegative rgb="FFD00000"/>'
        '<x14:colorAxis rgb="FF000000"/><x14:colorMarkers rgb="FFD00000"/><x14:colorFirst rgb="FFD00000"/><x14:colorLast rgb="FFD00000"/>'
        '<x14:colorHigh rgb="FFD00000"/><x14:colorLow rgb="FFD00000"/>'
        f"<x14:sparklines><x14:sparkline><xm:f>{escape(SPARK_SOURCE)}</xm:f><xm:sqref>{sqref}</xm:sqref></x14:sparkline></x14:sparklines>"
        "</x14:sparklineGroup></x14:sparklineGroups></ext>"
    )


SPARK_REGISTER = _sparkline_ext("Z1", "FF1F4E78")
SPARK_PEOPLE = _sparkline_ext("G2", "FF548235")


def add_sparklines(pkg: Package) -> None:
    for sheet, ext in ((REG, SPARK_REGISTER), (PEOPLE, SPARK_PEOPLE)):
        pkg.edit(pkg.sheet_part(sheet), lambda t, ext=ext: add_sheet_ext(t, ext))


DATABAR_ID = "{6A1C3F20-2569-4B11-9C25-000000000001}"
DATABAR_RULE = (
    '<conditionalFormatting sqref="U2:U1048576"><cfRule type="dataBar" priority="5"><dataBar><cfvo type="min"/><cfvo type="max"/>'
    f'<color rgb="FF638EC6"/></dataBar><extLst><ext uri="{{B025F937-C7B1-47D3-B67F-A62EFF666E3E}}" xmlns:x14="{NS_X14}">'
    f"<x14:id>{DATABAR_ID}</x14:id></ext></extLst></cfRule></conditionalFormatting>"
)
DATABAR_EXT = (
    f'<ext uri="{{78C0D931-6437-407d-A8EE-F0AAD7539E65}}" xmlns:x14="{NS_X14}"><x14:conditionalFormattings>'
    f'<x14:conditionalFormatting xmlns:xm="{NS_XM}"><x14:cfRule type="dataBar" id="{DATABAR_ID}">'
    '<x14:dataBar minLength="0" maxLength="100" gradient="0" border="1" negativeBarBorderColorSameAsPositive="0" axisPosition="none">'
    '<x14:cfvo type="autoMin"/><x14:cfvo type="autoMax"/><x14:borderColor rgb="FF638EC6"/><x14:negativeFillColor rgb="FFFF0000"/>'
    '<x14:negativeBorderColor rgb="FFFF0000"/></x14:dataBar></x14:cfRule><xm:sqref>U2:U1048576</xm:sqref>'
    "</x14:conditionalFormatting></x14:conditionalFormattings></ext>"
)
X14_VALIDATION_EXT = (
    f'<ext uri="{{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}}" xmlns:x14="{NS_X14}"><x14:dataValidations count="1" xmlns:xm="{NS_XM}">'
    '<x14:dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
    'errorTitle="หน่วยงาน / Unit" error="เลือกหน่วยงานจากแผ่นผู้รับผิดชอบ">'
    f"<x14:formula1><xm:f>'{PEOPLE}'!$C$2:$C$100</xm:f></x14:formula1>"
    "<xm:sqref>M2:M1048576</xm:sqref></x14:dataValidation></x14:dataValidations></ext>"
)


def add_databar_validation(pkg: Package) -> None:
    def edit(t: str) -> str:
        t = insert_child(t, DATABAR_RULE, "conditionalFormatting", SHEET_ORDER)
        return add_sheet_ext(add_sheet_ext(t, DATABAR_EXT), X14_VALIDATION_EXT)

    pkg.edit(pkg.sheet_part(REG), edit)


THREAD_ID = "{3B8D1E5A-2569-4C11-8A01-000000000101}"
REPLY_ID = "{3B8D1E5A-2569-4C11-8A01-000000000102}"
PERSON_1 = "{7C0A9B3E-2569-4D22-9B01-000000000001}"
PERSON_2 = "{7C0A9B3E-2569-4D22-9B01-000000000002}"
THREAD_TEXT = "ช่องเรื่อง: พิมพ์ตามหนังสือต้นฉบับ ห้ามย่อ"
REPLY_TEXT = "รับทราบครับ จะตรวจทุกฉบับก่อนเสนอ ผอ."


def add_threaded_comments(pkg: Package) -> None:
    sheet = pkg.sheet_part(REG)
    persons = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<personList xmlns="{NS_TC}" xmlns:x="{NS_MAIN}">'
               f'<person displayName="สมศรี ใจดี" id="{PERSON_1}" userId="somsri@mol.go.th" providerId="None"/>'
               f'<person displayName="วิชัย รักงาน" id="{PERSON_2}" userId="wichai@mol.go.th" providerId="None"/></personList>')
    pkg.add_part(pkg.workbook, "person", "xl/persons/person.xml", persons)
    thread = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<ThreadedComments xmlns="{NS_TC}" xmlns:x="{NS_MAIN}">'
              f'<threadedComment ref="G1" dT="2026-11-20T09:15:00.00" personId="{PERSON_1}" id="{THREAD_ID}"><text>{escape(THREAD_TEXT)}</text></threadedComment>'
              f'<threadedComment ref="G1" dT="2026-11-20T10:02:00.00" personId="{PERSON_2}" id="{REPLY_ID}" parentId="{THREAD_ID}"><text>{escape(REPLY_TEXT)}</text></threadedComment>'
              "</ThreadedComments>")
    pkg.add_part(sheet, "threadedComment", pkg.free("xl/threadedComments/threadedComment{}.xml"), thread)
    legacy = ("[Threaded comment]\n\nYour version of Excel allows you to read this threaded comment; however, any edits to it will get "
              "removed if the file is opened in a newer version of Excel. Learn more: https://go.microsoft.com/fwlink/?linkid=870924\n\n"
              f"Comment:\n    {THREAD_TEXT}\nReply:\n    {REPLY_TEXT}")

    def edit(t: str) -> str:
        t = declare_ns(declare_ns(t, "mc", NS_MC), "xr", NS_XR)
        if "mc:Ignorable" not in t[: t.index(">")]:
            t = re.sub(r"^(\s*(?:<\?xml[^>]*\?>\s*)?<comments\b)", r'\1 mc:Ignorable="xr"', t, count=1)
        authors = re.findall(r"<author>", t)
        t = t.replace("</authors>", f"<author>tc={THREAD_ID}</author></authors>", 1)
        new = f'<comment ref="G1" authorId="{len(authors)}" shapeId="0" xr:uid="{THREAD_ID}"><text><t xml:space="preserve">{escape(legacy)}</t></text></comment>'
        return re.sub(r'<comment ref="G1"[^>]*>.*?</comment>', lambda m: new, t, count=1, flags=re.S)

    pkg.edit(_comments_part(pkg, REG), edit)


TEXTBOX_TEXT = "งานด่วน: ตรวจทะเบียนทุกเช้า 09:00 น. ก่อนเสนอ ผอ.สปร."
BUTTON_NAME = "ปุ่มส่งเรื่อง"


def add_shapes(pkg: Package) -> None:
    sheet = pkg.sheet_part(REG)
    vml = _legacy_vml(pkg, REG)
    text = pkg.text(vml)
    p = _vml_prefixes(text)
    spid = max([int(n) for n in re.findall(r'id="_x0000_s(\d+)"', text)] + [1024]) + 1
    v, o, x = p["v"], p["o"], p["x"]
    button = (
        f'<{v}:shapetype id="_x0000_t201" coordsize="21600,21600" {o}:spt="201" path="m,l,21600r21600,l21600,xe">'
        f'<{v}:stroke joinstyle="miter"/><{v}:path shadowok="f" {o}:extrusionok="f" strokeok="f" fillok="f" {o}:connecttype="rect"/>'
        f'<{o}:lock {v}:ext="edit" shapetype="t"/></{v}:shapetype>'
        f'<{v}:shape id="_x0000_s{spid}" type="#_x0000_t201" style="position:absolute;margin-left:1100pt;margin-top:170pt;width:96pt;height:30pt;z-index:30;mso-wrap-style:tight" '
        f'{o}:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]" {o}:insetmode="auto">'
        f'<{v}:fill color2="buttonFace [67]" {o}:detectmouseclick="t"/><{o}:lock {v}:ext="edit" rotation="t"/>'
        f'<{v}:textbox style="mso-direction-alt:auto" {o}:singleclick="f"><div style="text-align:center"><font face="Tahoma" size="160" color="#000000">ส่งเรื่อง</font></div></{v}:textbox>'
        f'<{x}:ClientData ObjectType="Button"><{x}:Anchor>25, 0, 8, 0, 27, 0, 10, 0</{x}:Anchor><{x}:PrintObject>False</{x}:PrintObject>'
        f'<{x}:AutoFill>False</{x}:AutoFill><{x}:TextHAlign>Center</{x}:TextHAlign><{x}:TextVAlign>Center</{x}:TextVAlign></{x}:ClientData></{v}:shape>'
    )
    end = text.rindex("</")
    pkg.put(vml, text[:end] + button + text[end:])
    ctrl = pkg.free("xl/ctrlProps/ctrlProp{}.xml")
    rid = pkg.add_part(sheet, "ctrlProp", ctrl,
                       f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<formControlPr xmlns="{NS_X14}" objectType="Button" lockText="1"/>')
    textbox = (
        '<xdr:twoCellAnchor editAs="oneCell">' + _anchor(25, 1, 29, 7) +
        '<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="2" name="กล่องข้อความ 1"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
        '<xdr:spPr><a:xfrm><a:off x="15000000" y="600000"/><a:ext cx="2400000" cy="1140000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
        '<a:solidFill><a:srgbClr val="FFF2CC"/></a:solidFill><a:ln w="19050"><a:solidFill><a:srgbClr val="C00000"/></a:solidFill></a:ln></xdr:spPr>'
        '<xdr:txBody><a:bodyPr vertOverflow="clip" horzOverflow="clip" wrap="square" rtlCol="0" anchor="t"/><a:lstStyle/>'
        f'<a:p><a:r><a:rPr lang="th-TH" sz="1400" b="1"><a:solidFill><a:srgbClr val="C00000"/></a:solidFill><a:latin typeface="TH Sarabun New"/><a:cs typeface="TH Sarabun New"/></a:rPr><a:t>{escape(TEXTBOX_TEXT)}</a:t></a:r></a:p>'
        "</xdr:txBody></xdr:sp><xdr:clientData/></xdr:twoCellAnchor>"
    )
    hidden_button = (
        f'<mc:AlternateContent xmlns:mc="{NS_MC}"><mc:Choice xmlns:a14="http://schemas.microsoft.com/office/drawing/2010/main" Requires="a14">'
        '<xdr:twoCellAnchor editAs="oneCell">' + _anchor(25, 8, 27, 10) +
        f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="{spid}" name="{BUTTON_NAME}" hidden="1"><a:extLst>'
        f'<a:ext uri="{{63B3BB69-23CF-44E3-9099-C40C66FF867C}}"><a14:compatExt spid="_x0000_s{spid}"/></a:ext></a:extLst></xdr:cNvPr>'
        '<xdr:cNvSpPr><a:spLocks noGrp="1" noRot="1" noChangeShapeType="1" noTextEdit="1"/></xdr:cNvSpPr></xdr:nvSpPr>'
        '<xdr:spPr><a:xfrm><a:off x="15000000" y="2200000"/><a:ext cx="1200000" cy="380000"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>'
        '<xdr:txBody><a:bodyPr vertOverflow="clip" wrap="square" lIns="27432" tIns="27432" rIns="27432" bIns="27432" anchor="ctr" upright="1"/><a:lstStyle/>'
        '<a:p><a:pPr algn="ctr" rtl="0"><a:defRPr sz="1000"/></a:pPr><a:r><a:rPr lang="th-TH" sz="1100"/><a:t>ส่งเรื่อง</a:t></a:r></a:p></xdr:txBody>'
        '</xdr:sp><xdr:clientData fPrintsWithSheet="0"/></xdr:twoCellAnchor></mc:Choice><mc:Fallback/></mc:AlternateContent>'
    )
    _drawing(pkg, REG, textbox + hidden_button)
    controls = (
        f'<mc:AlternateContent xmlns:mc="{NS_MC}"><mc:Choice Requires="x14"><controls><mc:AlternateContent xmlns:mc="{NS_MC}">'
        f'<mc:Choice Requires="x14"><control shapeId="{spid}" r:id="{rid}" name="{BUTTON_NAME}"><controlPr defaultSize="0" print="0" autoFill="0" autoPict="0">'
        f'<anchor moveWithCells="1">{_anchor(25, 8, 27, 10, "")}</anchor></controlPr></control></mc:Choice></mc:AlternateContent>'
        "</controls></mc:Choice></mc:AlternateContent>"
    )

    def edit(t: str) -> str:
        for prefix, uri in (("r", NS_R), ("mc", NS_MC), ("x14", NS_X14), ("xdr", NS_XDR)):
            t = declare_ns(t, prefix, uri)
        return insert_child(t, controls, "controls", SHEET_ORDER)

    pkg.edit(sheet, edit)


HEADER_FOOTER = "<headerFooter><oddHeader>&amp;L&amp;G&amp;C&amp;\"TH Sarabun New,Bold\"&amp;16ทะเบียนหนังสือรับ สปร.</oddHeader><oddFooter>&amp;Cหน้า &amp;P / &amp;N</oddFooter></headerFooter>"


def add_header_picture(pkg: Package) -> None:
    sheet = pkg.sheet_part(REG)
    image = pkg.free("xl/media/image{}.png")
    pkg.put(image, _png())
    pkg.add_default("png", "image/png")
    vml = pkg.free("xl/drawings/vmlDrawingHF{}.vml")
    pkg.put(vml, (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">'
        '<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="40"/></o:shapelayout>'
        '<v:shapetype id="_x0000_t75" coordsize="21600,21600" o:spt="75" o:preferrelative="t" path="m@4@5l@4@11@9@11@9@5xe" filled="f" stroked="f">'
        '<v:stroke joinstyle="miter"/><v:formulas><v:f eqn="if lineDrawn pixelLineWidth 0"/><v:f eqn="sum @0 1 0"/><v:f eqn="sum 0 0 @1"/>'
        '<v:f eqn="prod @2 1 2"/><v:f eqn="prod @3 21600 pixelWidth"/><v:f eqn="prod @3 21600 pixelHeight"/><v:f eqn="sum @0 0 1"/>'
        '<v:f eqn="prod @6 1 2"/><v:f eqn="prod @7 21600 pixelWidth"/><v:f eqn="sum @8 21600 0"/><v:f eqn="prod @7 21600 pixelHeight"/>'
        '<v:f eqn="sum @10 21600 0"/></v:formulas><v:path o:extrusionok="f" gradientshapeok="t" o:connecttype="rect"/><o:lock v:ext="edit" aspectratio="t"/></v:shapetype>'
        '<v:shape id="LH" o:spid="_x0000_s40961" type="#_x0000_t75" style="position:absolute;margin-left:0;margin-top:0;width:36pt;height:36pt;z-index:1">'
        '<v:imagedata o:relid="rId1" o:title="ตราสำนักงาน"/><o:lock v:ext="edit" rotation="t"/></v:shape></xml>'
    ))
    pkg.add_rel(vml, "image", image)
    rid = pkg.add_rel(sheet, "vml", vml)

    def edit(t: str) -> str:
        t = insert_child(declare_ns(t, "r", NS_R), HEADER_FOOTER, "headerFooter", SHEET_ORDER)
        return insert_child(t, f'<legacyDrawingHF r:id="{rid}"/>', "legacyDrawingHF", SHEET_ORDER)

    pkg.edit(sheet, edit)


RICH_NAME = ("สมศรี", " ใจดี")
RICH_SI = (
    '<si><r><rPr><b/><sz val="14"/><color rgb="FF1F4E78"/><rFont val="TH Sarabun New"/><family val="2"/></rPr>'
    f'<t>{RICH_NAME[0]}</t></r><r><rPr><i/><sz val="14"/><color rgb="FFC00000"/><rFont val="TH Sarabun New"/><family val="2"/></rPr>'
    f'<t xml:space="preserve">{RICH_NAME[1]}</t></r></si>'
)
RICH_COMMENT = (
    '<text><r><rPr><b/><sz val="12"/><color rgb="FF1F4E78"/><rFont val="TH Sarabun New"/><family val="2"/></rPr><t>การปฏิบัติ:</t></r>'
    '<r><rPr><sz val="12"/><color rgb="FFC00000"/><rFont val="TH Sarabun New"/><family val="2"/></rPr>'
    '<t xml:space="preserve"> เขียน "ทราบ" หรือ "ดำเนินการ" ตามที่ ผอ. สั่ง</t></r></text>'
)


def add_rich_text(pkg: Package) -> None:
    wb = pkg.workbook
    sst = next((resolve(wb, r["Target"]) for r in pkg.rels(wb) if r["Type"] == REL["sharedStrings"]), None)
    if sst is None:
        sst = "xl/sharedStrings.xml"
        pkg.add_part(wb, "sharedStrings", sst, f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{NS_MAIN}" count="0" uniqueCount="0"></sst>')
    text = pkg.text(sst)
    index = len(re.findall(r"<si\b", text))
    text = re.sub(r"</sst>\s*$", RICH_SI + "</sst>", text)
    text = re.sub(r'uniqueCount="\d+"', f'uniqueCount="{index + 1}"', text, count=1)
    text = re.sub(r'\bcount="(\d+)"', lambda m: f'count="{int(m.group(1)) + 1}"', text, count=1)
    pkg.put(sst, text)
    pkg.edit(pkg.sheet_part(PEOPLE), lambda t: put_cell(t, f'<c r="A2" s="1" t="s"><v>{index}</v></c>'))
    pkg.edit(_comments_part(pkg, REG), lambda t: re.sub(r'(<comment ref="K1"[^>]*>).*?(</comment>)', lambda m: m.group(1) + RICH_COMMENT + m.group(2), t, count=1, flags=re.S))


DYNAMIC_SHEET = "สรุป"
DYNAMIC_FORMULA = f"_xlfn.UNIQUE(_xlfn._xlws.FILTER('{PROCESS}'!E2:E16,'{PROCESS}'!F2:F16&gt;=60))"


def add_dynamic_array(pkg: Package) -> None:
    roles = list(dict.fromkeys(r[4] for r in _process_rows() if r[5] >= 60))
    n = len(roles)
    cells = inline("A1", "บทบาทที่มีขั้นตอนตั้งแต่ 60 นาที / Roles with a step of 60 minutes or more")
    rows = f'<row r="1">{cells}</row>'
    rows += f'<row r="2"><c r="A2" cm="1" t="str"><f t="array" ref="A2:A{n + 1}">{DYNAMIC_FORMULA}</f><v>{escape(roles[0])}</v></c></row>'
    rows += "".join(f'<row r="{i}"><c r="A{i}" t="str"><v>{escape(role)}</v></c></row>' for i, role in enumerate(roles[1:], start=3))
    pkg.add_sheet(DYNAMIC_SHEET, _new_sheet_xml(rows, f"A1:A{n + 1}"))
    pkg.add_part(pkg.workbook, "sheetMetadata", "xl/metadata.xml", (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<metadata xmlns="{NS_MAIN}" xmlns:xda="{NS_XDA}">'
        '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" pasteAll="1" pasteValues="1" merge="1" '
        'splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
        '<futureMetadata name="XLDAPR" count="1"><bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
        '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk></futureMetadata>'
        '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata></metadata>'
    ))


NOTE_TEXT = "หมายเหตุสำนักงาน: ถ้าเป็นหนังสือลับ ให้เขียนว่า \"ดูแฟ้มลับ\" เท่านั้น"
NOTE_STYLE = "position:absolute;margin-left:700pt;margin-top:4pt;width:260pt;height:96pt;z-index:5;visibility:visible"
NOTE_FILL = "#ccffcc"


def add_notes(pkg: Package) -> None:
    """Register L1's note: shown always, 260×96 pt, light green."""
    pkg.edit(_comments_part(pkg, REG), lambda t: re.sub(
        r'(<comment ref="L1"[^>]*>).*?(</comment>)', lambda m: m.group(1) + f"<text><t>{escape(NOTE_TEXT)}</t></text>" + m.group(2), t, count=1, flags=re.S))
    vml = _legacy_vml(pkg, REG)
    text = pkg.text(vml)
    p = _vml_prefixes(text)
    v, x = p["v"], p["x"]
    shapes = list(re.finditer(rf"<{v}:shape\b.*?</{v}:shape>", text, re.S))
    m = next(s for s in shapes if re.search(rf"<{x}:Row>0</{x}:Row>\s*<{x}:Column>11</{x}:Column>", s.group(0)))
    shape = m.group(0)
    shape = re.sub(r'style="[^"]*"', f'style="{NOTE_STYLE}"', shape, count=1)
    shape = re.sub(r'fillcolor="[^"]*"', f'fillcolor="{NOTE_FILL}"', shape, count=1)
    shape = re.sub(rf"(<{v}:fill\b[^>]*color2=\")[^\"]*", rf"\g<1>{NOTE_FILL}", shape, count=1)
    shape = shape.replace(f"<{x}:AutoFill>", f"<{x}:Anchor>11, 15, 0, 4, 15, 20, 6, 10</{x}:Anchor><{x}:AutoFill>", 1)
    shape = shape.replace(f"</{x}:ClientData>", f"<{x}:Visible/></{x}:ClientData>", 1)
    pkg.put(vml, text[:m.start()] + shape + text[m.end():])


CHART_TITLE = "มาตรฐานเวลาต่อขั้นตอน (นาทีทำการ)"


AUTO_CLR = '<cs:styleClr val="auto"/>'


def _chart_style() -> str:
    entries = ("axisTitle", "categoryAxis", "chartArea", "dataLabel", "dataPoint", "dataPoint3D", "dataPointLine", "dataPointMarker",
               "dataPointWireframe", "dataTable", "downBar", "dropLine", "errorBar", "floor", "gridlineMajor", "gridlineMinor", "hiLoLine",
               "leaderLine", "legend", "plotArea", "plotArea3D", "seriesAxis", "seriesLine", "title", "trendline", "trendlineLabel", "upBar",
               "valueAxis", "wall")
    body = "".join(
        f'<cs:{e}><cs:lnRef idx="0"/><cs:fillRef idx="{1 if e == "dataPoint" else 0}">{AUTO_CLR if e == "dataPoint" else ""}</cs:fillRef>'
        f'<cs:effectRef idx="0"/><cs:fontRef idx="minor"><a:schemeClr val="tx1"/></cs:fontRef></cs:{e}>'
        for e in entries
    )
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cs:chartStyle xmlns:cs="{NS_CS}" xmlns:a="{NS_A}" id="201">{body}</cs:chartStyle>'


def _chart_colors() -> str:
    accents = "".join(f'<a:schemeClr val="accent{i}"/>' for i in range(1, 7))
    variations = '<cs:variation/><cs:variation><a:lumMod val="60000"/></cs:variation><cs:variation><a:lumMod val="80000"/><a:lumOff val="20000"/></cs:variation>'
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cs:colorStyle xmlns:cs="{NS_CS}" xmlns:a="{NS_A}" meth="cycle" id="10">{accents}{variations}</cs:colorStyle>'


def add_chart(pkg: Package) -> None:
    rows = _process_rows()
    q = f"'{PROCESS}'"
    cats = "".join(f'<c:pt idx="{i}"><c:v>{escape(str(r[0]))}</c:v></c:pt>' for i, r in enumerate(rows))
    vals = "".join(f'<c:pt idx="{i}"><c:v>{_num(r[5])}</c:v></c:pt>' for i, r in enumerate(rows))
    chart = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<c:chartSpace xmlns:c="{NS_C}" xmlns:a="{NS_A}" xmlns:r="{NS_R}">'
        '<c:date1904 val="0"/><c:lang val="th-TH"/><c:roundedCorners val="0"/><c:chart>'
        f'<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>{escape(CHART_TITLE)}</a:t></a:r></a:p></c:rich></c:tx><c:overlay val="0"/></c:title>'
        '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/><c:barChart><c:barDir val="col"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        f'<c:ser><c:idx val="0"/><c:order val="0"/><c:tx><c:strRef><c:f>{escape(q)}!$F$1</c:f><c:strCache><c:ptCount val="1"/><c:pt idx="0"><c:v>มาตรฐานเวลา (นาทีทำการ)</c:v></c:pt></c:strCache></c:strRef></c:tx>'
        '<c:spPr><a:solidFill><a:schemeClr val="accent1"/></a:solidFill></c:spPr><c:invertIfNegative val="0"/>'
        f'<c:cat><c:strRef><c:f>{escape(q)}!$A$2:$A$16</c:f><c:strCache><c:ptCount val="{len(rows)}"/>{cats}</c:strCache></c:strRef></c:cat>'
        f'<c:val><c:numRef><c:f>{escape(q)}!$F$2:$F$16</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="{len(rows)}"/>{vals}</c:numCache></c:numRef></c:val>'
        '</c:ser><c:gapWidth val="80"/><c:axId val="25690001"/><c:axId val="25690002"/></c:barChart>'
        '<c:catAx><c:axId val="25690001"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="b"/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/><c:crossAx val="25690002"/><c:crosses val="autoZero"/>'
        '<c:auto val="1"/><c:lblAlgn val="ctr"/><c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="25690002"/><c:scaling><c:orientation val="minMax"/></c:scaling><c:delete val="0"/><c:axPos val="l"/><c:majorGridlines/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/><c:tickLblPos val="nextTo"/><c:crossAx val="25690001"/><c:crosses val="autoZero"/>'
        '<c:crossBetween val="between"/></c:valAx></c:plotArea><c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
        '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>'
    )
    part = pkg.free("xl/charts/chart{}.xml")
    pkg.put(part, chart)
    pkg.add_override(part, CTYPE["chart"])
    n = part[len("xl/charts/chart"):-len(".xml")]
    pkg.add_part(part, "chartStyle", f"xl/charts/style{n}.xml", _chart_style())
    pkg.add_part(part, "chartColorStyle", f"xl/charts/colors{n}.xml", _chart_colors())
    frame = (
        '<xdr:twoCellAnchor>' + _anchor(14, 1, 24, 20) +
        '<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="แผนภูมิ 1"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:chart xmlns:c="{NS_C}" xmlns:r="{NS_R}" r:id="@CHART@"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>'
    )
    drawing = _drawing(pkg, PROCESS, frame)
    rid = pkg.add_rel(drawing, "chart", part)
    pkg.edit(drawing, lambda t: t.replace("@CHART@", rid))


COMPANY = "กระทรวงแรงงาน สำนักงานปลัดกระทรวง"
CUSTOM_XML_NS = "urn:mol-go-th:spr:register-classification"


def add_properties(pkg: Package) -> None:
    names = [n for n, _, _, _ in pkg.sheets()]
    titles = "".join(f"<vt:lpstr>{escape(n)}</vt:lpstr>" for n in names)
    pkg.put("docProps/app.xml", (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" xmlns:vt="{NS_VT}">'
        "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
        f'<HeadingPairs><vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr></vt:variant><vt:variant><vt:i4>{len(names)}</vt:i4></vt:variant></vt:vector></HeadingPairs>'
        f'<TitlesOfParts><vt:vector size="{len(names)}" baseType="lpstr">{titles}</vt:vector></TitlesOfParts>'
        f"<Manager>ผอ.สปร.</Manager><Company>{escape(COMPANY)}</Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
        "<HyperlinksChanged>false</HyperlinksChanged><AppVersion>16.0300</AppVersion></Properties>"
    ))
    item = pkg.free("customXml/item{}.xml")
    n = item[len("customXml/item"):-len(".xml")]
    pkg.put(item, f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<register xmlns="{CUSTOM_XML_NS}"><classification>ใช้ภายในสำนักงาน</classification><retentionYears>10</retentionYears></register>')
    pkg.add_part(item, "customXmlProps", f"customXml/itemProps{n}.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<ds:datastoreItem ds:itemID="{0D9F2C41-2569-4E33-A001-0000000000C1}" '
        f'xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/customXml"><ds:schemaRefs><ds:schemaRef ds:uri="{CUSTOM_XML_NS}"/></ds:schemaRefs></ds:datastoreItem>'
    ))
    pkg.add_rel(pkg.workbook, "customXml", item)
    pkg.add_part("", "customProps", "docProps/custom.xml", (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
        f'xmlns:vt="{NS_VT}"><property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="2" name="ชั้นความลับ"><vt:lpwstr>ใช้ภายใน</vt:lpwstr></property></Properties>'
    ))


CACHED_SHEET = "สรุปงาน"


def add_cached_formulas(pkg: Package) -> None:
    rows = _process_rows()
    holidays = sum(1 for r in _template_values()[CALENDAR][1:] if r[2] == schema.YES)
    total = sum(r[5] for r in rows)
    q = lambda s: f"'{s}'"  # noqa: E731
    cells = [
        (inline("A1", "จำนวนหนังสือในทะเบียน"), f'<c r="B1"><f>COUNTA({q(REG)}!A:A)-1</f><v>0</v></c>'),
        (inline("A2", "เวลามาตรฐานรวม (นาที)"), f'<c r="B2"><f>SUM({q(PROCESS)}!F2:F16)</f><v>{_num(total)}</v></c>'),
        (inline("A3", "ขั้นตอนแรก"), f'<c r="B3" t="str"><f>{q(PROCESS)}!C2</f><v>{escape(str(_template_values()[PROCESS][1][2]))}</v></c>'),
        (inline("A4", "วันหยุดราชการในปฏิทิน"), f'<c r="B4"><f>COUNTIF({q(CALENDAR)}!C:C,"{schema.YES}")</f><v>{holidays}</v></c>'),
        (inline("A5", "มีหนังสือค้างหรือไม่"), '<c r="B5" t="b"><f>B1&gt;0</f><v>0</v></c>'),
    ]
    xml = "".join(f'<row r="{i}">{a}{b}</row>' for i, (a, b) in enumerate(cells, start=1))
    pkg.add_sheet(CACHED_SHEET, _new_sheet_xml(xml, "A1:B5"))
    sid, rid = pkg.sheet_id(CACHED_SHEET), pkg.sheet_id(REG)
    chain = "".join(f'<c r="B{i}" i="{sid}"/>' for i in range(1, 6)) + f'<c r="T2" i="{rid}"/>'
    pkg.add_part(pkg.workbook, "calcChain", "xl/calcChain.xml", f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<calcChain xmlns="{NS_MAIN}">{chain}</calcChain>')


@functools.lru_cache(maxsize=1)
def _vba_project() -> bytes:
    """A real VBA project (xlwings' quickstart macro workbook ships one)."""
    import xlwings

    with zipfile.ZipFile(Path(xlwings.__file__).with_name("quickstart.xlsm")) as z:
        return z.read("xl/vbaProject.bin")


def add_vba(pkg: Package) -> None:
    pkg.set_override(pkg.workbook, CTYPE["macroMain"])
    pkg.add_default("bin", CTYPE["vbaProject"])
    pkg.put("xl/vbaProject.bin", _vba_project())
    pkg.add_rel(pkg.workbook, "vbaProject", "xl/vbaProject.bin")
    pkg.edit(pkg.workbook, lambda t: re.sub(r"<workbookPr\b", '<workbookPr codeName="ThisWorkbook"', t, count=1))
    pkg.edit(pkg.sheet_part(REG), lambda t: re.sub(r"<sheetPr\b", '<sheetPr codeName="Sheet1"', t, count=1))


PIVOT_SHEET = "สรุปตามบทบาท"
SLICER_NAME = "ผู้รับผิดชอบ"
SLICER_CACHE = "Slicer_role"


def add_pivot_slicer(pkg: Package) -> None:
    rows = _process_rows()
    shared = list(dict.fromkeys(r[4] for r in rows))  # cache items, first seen first
    shown = sorted(range(len(shared)), key=lambda i: shared[i])  # Excel shows row items sorted
    sums = {i: sum(r[5] for r in rows if r[4] == shared[i]) for i in range(len(shared))}
    head, value = _template_values()[PROCESS][0][4], _template_values()[PROCESS][0][5]
    n = len(shared)
    data_name = f"ผลรวม ของ {value}"
    # the sheet with the pivot table's last output
    body = f'<row r="3">{inline("A3", "ป้ายชื่อแถว")}{inline("B3", data_name)}</row>'
    for k, i in enumerate(shown, start=4):
        body += f'<row r="{k}">{inline(f"A{k}", shared[i])}<c r="B{k}"><v>{_num(sums[i])}</v></c></row>'
    last = 4 + n
    body += f'<row r="{last}">{inline(f"A{last}", "ผลรวมทั้งหมด")}<c r="B{last}"><v>{_num(sum(sums.values()))}</v></c></row>'
    sheet = pkg.add_sheet(PIVOT_SHEET, _new_sheet_xml(body, f"A3:B{last}", f' xmlns:x14="{NS_X14}"'))
    # cache: definition + records, from the Process sheet's role and minutes columns
    records = "".join(f'<r><x v="{shared.index(r[4])}"/><n v="{_num(r[5])}"/></r>' for r in rows)
    cache_def = pkg.free("xl/pivotCache/pivotCacheDefinition{}.xml")
    cache_rec = cache_def.replace("pivotCacheDefinition", "pivotCacheRecords")
    pkg.put(cache_def, "")  # reserve the name; written below with its records' r:id
    pkg.add_override(cache_def, CTYPE["pivotCacheDefinition"])
    rec_rid = pkg.add_part(cache_def, "pivotCacheRecords", cache_rec,
                           f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheRecords xmlns="{NS_MAIN}" xmlns:r="{NS_R}" count="{len(rows)}">{records}</pivotCacheRecords>')
    minutes = [r[5] for r in rows]
    pkg.put(cache_def, (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotCacheDefinition xmlns="{NS_MAIN}" xmlns:r="{NS_R}" r:id="{rec_rid}" '
        f'refreshedBy="สารบรรณ" refreshedDate="46351.375" createdVersion="6" refreshedVersion="6" minRefreshableVersion="3" recordCount="{len(rows)}">'
        f'<cacheSource type="worksheet"><worksheetSource ref="E1:F16" sheet="{escape(PROCESS)}"/></cacheSource><cacheFields count="2">'
        f'<cacheField name={quoteattr(head)} numFmtId="0"><sharedItems count="{n}">' + "".join(f"<s v={quoteattr(s)}/>" for s in shared) + "</sharedItems></cacheField>"
        f'<cacheField name={quoteattr(value)} numFmtId="0"><sharedItems containsSemiMixedTypes="0" containsString="0" containsNumber="1" containsInteger="1" '
        f'minValue="{_num(min(minutes))}" maxValue="{_num(max(minutes))}"/></cacheField></cacheFields>'
        f'<extLst><ext uri="{{725AE2AE-9491-48be-B2B4-4EB974FC3084}}" xmlns:x14="{NS_X14}"><x14:pivotCacheDefinition pivotCacheId="1"/></ext></extLst>'
        "</pivotCacheDefinition>"
    ))
    cache_rid = pkg.add_rel(pkg.workbook, "pivotCacheDefinition", cache_def)
    cache_id = 25690 + int(re.search(r"(\d+)\.xml$", cache_def).group(1))
    pkg.workbook_item("pivotCaches", f'<pivotCache cacheId="{cache_id}" r:id="{cache_rid}"/>')
    items = "".join(f'<item x="{i}"/>' for i in shown) + '<item t="default"/>'
    row_items = "".join("<i><x/></i>" if k == 0 else f'<i><x v="{k}"/></i>' for k in range(n)) + '<i t="grand"><x/></i>'
    pivot = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<pivotTableDefinition xmlns="{NS_MAIN}" name="PivotTable1" cacheId="{cache_id}" '
        'applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" '
        'dataCaption="ค่า" updatedVersion="6" minRefreshableVersion="3" useAutoFormatting="1" itemPrintTitles="1" createdVersion="6" indent="0" '
        'outline="1" outlineData="1" multipleFieldFilters="0">'
        f'<location ref="A3:B{last}" firstHeaderRow="1" firstDataRow="1" firstDataCol="1"/>'
        f'<pivotFields count="2"><pivotField axis="axisRow" showAll="0"><items count="{n + 1}">{items}</items></pivotField><pivotField dataField="1" showAll="0"/></pivotFields>'
        f'<rowFields count="1"><field x="0"/></rowFields><rowItems count="{n + 1}">{row_items}</rowItems><colItems count="1"><i/></colItems>'
        f'<dataFields count="1"><dataField name={quoteattr(data_name)} fld="1" baseField="0" baseItem="0"/></dataFields>'
        '<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1" showRowStripes="0" showColStripes="0" showLastColumn="1"/>'
        "</pivotTableDefinition>"
    )
    pivot_part = pkg.free("xl/pivotTables/pivotTable{}.xml")
    pkg.add_part(sheet, "pivotTable", pivot_part, pivot)
    pkg.add_rel(pivot_part, "pivotCacheDefinition", cache_def)
    # the slicer on the role field
    tab_id = pkg.sheet_id(PIVOT_SHEET)
    slicer_items = "".join(f'<i x="{i}" s="1"/>' for i in shown)
    slicer_cache = pkg.free("xl/slicerCaches/slicerCache{}.xml")
    sc_rid = pkg.add_part(pkg.workbook, "slicerCache", slicer_cache, (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<slicerCacheDefinition xmlns="{NS_X14}" xmlns:mc="{NS_MC}" mc:Ignorable="x" '
        f'xmlns:x="{NS_MAIN}" name="{SLICER_CACHE}" sourceName={quoteattr(head)}><pivotTables><pivotTable tabId="{tab_id}" name="PivotTable1"/></pivotTables>'
        f'<data><tabular pivotCacheId="1"><items count="{n}">{slicer_items}</items></tabular></data></slicerCacheDefinition>'
    ))
    pkg.workbook_item("definedNames", f'<definedName name="{SLICER_CACHE}">#N/A</definedName>')
    pkg.edit(pkg.workbook, lambda t: add_to_container(
        declare_ns(t, "r", NS_R), "extLst",
        f'<ext uri="{{BBE1A952-AA13-448e-AADC-164F8A28A991}}" xmlns:x14="{NS_X14}"><x14:slicerCaches><x14:slicerCache r:id="{sc_rid}"/></x14:slicerCaches></ext>',
        WORKBOOK_ORDER))
    slicers = pkg.free("xl/slicers/slicer{}.xml")
    sl_rid = pkg.add_part(sheet, "slicer", slicers, (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<slicers xmlns="{NS_X14}" xmlns:mc="{NS_MC}" mc:Ignorable="x" xmlns:x="{NS_MAIN}">'
        f'<slicer name="{SLICER_NAME}" cache="{SLICER_CACHE}" caption="{SLICER_NAME}" rowHeight="241300"/></slicers>'
    ))
    frame = (
        '<xdr:twoCellAnchor editAs="oneCell">' + _anchor(3, 2, 6, 16) +
        f'<mc:AlternateContent xmlns:mc="{NS_MC}"><mc:Choice xmlns:a14="http://schemas.microsoft.com/office/drawing/2010/main" Requires="a14">'
        f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="2" name="{SLICER_NAME}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
        '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm><a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/drawing/2010/slicer">'
        f'<sle:slicer xmlns:sle="http://schemas.microsoft.com/office/drawing/2010/slicer" name="{SLICER_NAME}"/></a:graphicData></a:graphic></xdr:graphicFrame>'
        '</mc:Choice><mc:Fallback><xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="0" name=""/><xdr:cNvSpPr><a:spLocks noTextEdit="1"/></xdr:cNvSpPr></xdr:nvSpPr>'
        '<xdr:spPr><a:xfrm><a:off x="2000000" y="400000"/><a:ext cx="1828800" cy="2524125"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr>'
        '<xdr:txBody><a:bodyPr vertOverflow="clip" horzOverflow="clip"/><a:lstStyle/><a:p><a:r><a:rPr lang="th-TH" sz="1100"/>'
        '<a:t>This shape represents a table slicer. Table slicers are supported in Excel or later versions.</a:t></a:r></a:p></xdr:txBody></xdr:sp>'
        "</mc:Fallback></mc:AlternateContent><xdr:clientData/></xdr:twoCellAnchor>"
    )
    _drawing(pkg, PIVOT_SHEET, frame)
    pkg.edit(sheet, lambda t: add_sheet_ext(t, f'<ext uri="{{A8765BA9-456A-4dab-B4F3-ACF838C121DE}}" xmlns:x14="{NS_X14}"><x14:slicerList><x14:slicer r:id="{sl_rid}"/></x14:slicerList></ext>'))


EXTERNAL_SHEET = "อ้างอิงงบประมาณ"
EXTERNAL_FILE = "Budget_FY2570.xlsx"
EXTERNAL_FORMULA = "'[1]งบประมาณ'!$B$2"


def add_external_link(pkg: Package) -> None:
    link = pkg.free("xl/externalLinks/externalLink{}.xml")
    pkg.put(link, (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<externalLink xmlns="{NS_MAIN}" xmlns:r="{NS_R}"><externalBook r:id="rId1">'
        '<sheetNames><sheetName val="งบประมาณ"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="2"><cell r="B2"><v>250000</v></cell></row>'
        "</sheetData></sheetDataSet></externalBook></externalLink>"
    ))
    pkg.add_override(link, CTYPE["externalLink"])
    assert pkg.add_rel(link, "externalLinkPath", EXTERNAL_FILE, external=True) == "rId1"
    rid = pkg.add_rel(pkg.workbook, "externalLink", link)
    pkg.workbook_item("externalReferences", f'<externalReference r:id="{rid}"/>')
    rows = f'<row r="1">{inline("A1", "งบประมาณความร่วมมือต่างประเทศ (จากไฟล์กองคลัง)")}<c r="B1"><f>{escape(EXTERNAL_FORMULA)}</f><v>250000</v></c></row>'
    pkg.add_sheet(EXTERNAL_SHEET, _new_sheet_xml(rows, "A1:B1"))


def _register_table(pkg: Package) -> str:
    part = pkg.sheet_part(REG)
    return next(resolve(part, r["Target"]) for r in pkg.rels(part) if r["Type"] == REL["table"])


#: The Register's last column and the one after it (the office's own 26th column), from the schema.
LAST = col_letters(len(schema.REGISTER_COLUMNS))
NEXT = col_letters(len(schema.REGISTER_COLUMNS) + 1)
TOTAL_LABEL = "รวม"
TOTAL_FORMULA = "SUBTOTAL(109,Register[ส่งกลับ (ครั้ง)])"


def add_total_row(pkg: Package) -> None:
    table = _register_table(pkg)

    def edit(t: str) -> str:
        t = re.sub(rf'(<table\b[^>]*?)\bref="A1:{LAST}2"', rf'\1ref="A1:{LAST}3" totalsRowCount="1"', t, count=1)
        t = re.sub(r'(<tableColumn id="1" name="[^"]*")', rf'\1 totalsRowLabel="{TOTAL_LABEL}"', t, count=1)
        return re.sub(r'(<tableColumn id="21" name="[^"]*")\s*/>', r'\1 totalsRowFunction="sum"/>', t, count=1)

    pkg.edit(table, edit)
    assert 'totalsRowCount="1"' in pkg.text(table) and 'totalsRowFunction="sum"' in pkg.text(table)
    sheet = pkg.sheet_part(REG)
    pkg.edit(sheet, lambda t: put_cell(put_cell(t, f'<c r="A3" t="inlineStr"><is><t>{TOTAL_LABEL}</t></is></c>'), f'<c r="U3"><f>{TOTAL_FORMULA}</f><v>0</v></c>'))


CALC_HEADER = "อายุเรื่อง (วัน)"
CALC_FORMULA = "IF(Register[[#This Row],[เลขทะเบียนรับ]]=\"\",\"\",TODAY()-Register[[#This Row],[วันเวลาที่รับ]])"


def add_calculated_column(pkg: Package) -> None:
    table = _register_table(pkg)
    formula = escape(CALC_FORMULA, {'"': "&quot;"})

    def edit(t: str) -> str:
        n = len(schema.REGISTER_COLUMNS)
        t = t.replace(f'ref="A1:{LAST}2"', f'ref="A1:{NEXT}2"')
        t = t.replace(f'<tableColumns count="{n}">', f'<tableColumns count="{n + 1}">')
        return t.replace("</tableColumns>", f'<tableColumn id="{n + 1}" name="{CALC_HEADER}"><calculatedColumnFormula>{formula}</calculatedColumnFormula></tableColumn></tableColumns>')

    pkg.edit(table, edit)
    assert f'ref="A1:{NEXT}2"' in pkg.text(table) and f'count="{len(schema.REGISTER_COLUMNS) + 1}"' in pkg.text(table)

    def sheet_edit(t: str) -> str:
        t = put_cell(t, f'<c r="{NEXT}1" s="4" t="inlineStr"><is><t>{CALC_HEADER}</t></is></c>')
        t = put_cell(t, f'<c r="{NEXT}2" t="str"><f>{escape(CALC_FORMULA)}</f><v></v></c>')
        n = len(schema.REGISTER_COLUMNS) + 1
        return t.replace("</cols>", f'<col min="{n}" max="{n}" width="12" customWidth="1" style="1"/></cols>')

    pkg.edit(pkg.sheet_part(REG), sheet_edit)


SIGNATURE = "ลงชื่อ ................ ผู้ตรวจ"
SIGNATURE_ROW = f'<row r="4"><c r="A4" t="inlineStr"><is><t>{SIGNATURE}</t></is></c></row>'


def add_signature_line(pkg: Package) -> None:
    pkg.edit(pkg.sheet_part(REG), lambda t: put_cell(t, f'<c r="A4" t="inlineStr"><is><t>{SIGNATURE}</t></is></c>'))
    assert SIGNATURE_ROW in pkg.text(pkg.sheet_part(REG))


# -- the builders ---------------------------------------------------------------------------------
def _build(path: Path, *features: Callable[[Package], None], suffix: str | None = None) -> Path:
    pkg = base()
    # the register's identity (a hidden name template.init draws at random): fixed per builder
    rid = hashlib.md5("+".join(f.__name__ for f in features).encode()).hexdigest()
    pkg.edit(pkg.workbook, lambda t: re.sub(r'(<definedName name="xlflow_register_id"[^>]*>)(?:"|&quot;)[0-9a-fA-F-]+(?:"|&quot;)', rf'\g<1>"{rid}"', t))
    for f in features:
        f(pkg)
    path = Path(path)
    return pkg.save(path.with_suffix(suffix) if suffix else path)


def make_sparklines(path: Path) -> Path:
    """Sparklines on the People and the Register sheet: x14:sparklineGroups in the extLst, which openpyxl drops."""
    return _build(path, add_sparklines)


def make_databar_validation(path: Path) -> Path:
    """A 2010 data bar (x14 conditional formatting) and an x14 list validation on the Register: extLst, dropped by openpyxl."""
    return _build(path, add_databar_validation)


def make_threaded_comments(path: Path) -> Path:
    """A threaded comment with a reply on Register!G1 (threadedComments + persons parts): openpyxl drops both parts."""
    return _build(path, add_threaded_comments)


def make_shapes(path: Path) -> Path:
    """A text box and a form-control button on the Register (DrawingML sp, VML button, ctrlProp): openpyxl drops shapes and controls."""
    return _build(path, add_shapes)


def make_header_picture(path: Path) -> Path:
    """A picture in the Register's print header (legacyDrawingHF, a VML image): openpyxl drops the picture."""
    return _build(path, add_header_picture)


def make_rich_text(path: Path) -> Path:
    """Rich text (runs) in People!A2 and in the Register's K1 note: openpyxl keeps plain text only (rich_text=False)."""
    return _build(path, add_rich_text)


def make_dynamic_array(path: Path) -> Path:
    """=UNIQUE(FILTER(...)) spilled on a sheet "สรุป" (cm="1" + xl/metadata.xml): openpyxl drops the metadata and the cached values."""
    return _build(path, add_dynamic_array)


def make_notes(path: Path) -> Path:
    """A note shown always, sized and coloured (VML shape): openpyxl rewrites every note hidden, default size and colour."""
    return _build(path, add_notes)


def make_chart(path: Path) -> Path:
    """A chart with its chart style and colour parts on the Process sheet: openpyxl re-writes the chart and drops style1/colors1."""
    return _build(path, add_chart)


def make_properties(path: Path) -> Path:
    """app.xml with Company/Manager, a custom XML part, custom properties: openpyxl writes its own app.xml, drops customXml."""
    return _build(path, add_properties)


def make_cached_formulas(path: Path) -> Path:
    """An office sheet of formulas with Excel's cached results and a calcChain: openpyxl saves formulas without their values."""
    return _build(path, add_cached_formulas)


def make_xlsm(path: Path) -> Path:
    """A macro-enabled register (.xlsm, xl/vbaProject.bin): openpyxl drops the VBA project unless keep_vba."""
    return _build(path, add_vba, suffix=".xlsm")


def make_pivot_slicer(path: Path) -> Path:
    """A pivot table over the Process sheet, its cache and a slicer: openpyxl drops the slicer parts and the workbook ext."""
    return _build(path, add_pivot_slicer)


def make_external_link(path: Path) -> Path:
    """A formula reading another workbook (externalLink part, external rels): openpyxl re-serialises the link and drops the cached value."""
    return _build(path, add_external_link)


def make_total_row(path: Path) -> Path:
    """The Register Table with a Total Row (SUBTOTAL in row 3): the openpyxl-era writer put new letters below it."""
    return _build(path, add_total_row)


def make_calculated_column(path: Path) -> Path:
    """A 25th Table column the office added with a calculatedColumnFormula: openpyxl never fills it into a new row."""
    return _build(path, add_calculated_column)


def make_signature_line(path: Path) -> Path:
    """A signature line typed two rows below the Register Table: openpyxl-era xlflow wrote the next letter below it."""
    return _build(path, add_signature_line)


_EVERYTHING = (add_rich_text, add_sparklines, add_databar_validation, add_threaded_comments, add_notes, add_shapes, add_header_picture,
               add_chart, add_dynamic_array, add_cached_formulas, add_pivot_slicer, add_external_link, add_properties)


def make_everything(path: Path) -> Path:
    """Every decoration that combines on one register (all but the .xlsm, the Table variants and LibreOffice's save)."""
    return _build(path, *_EVERYTHING)


_LO_SAVED: dict[str, bytes] = {}


def libreoffice(*args: str, profile: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``soffice --headless`` with its own profile (so it never meets a running office)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice") or "/usr/bin/soffice"
    return subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nologo", *args],
                          capture_output=True, text=True, timeout=timeout)


def make_libreoffice_saved(path: Path) -> Path:
    """The template opened and saved by LibreOffice (xlsx → xlsx): LibreOffice's own parts and styles (made once per process)."""
    if "xlsx" not in _LO_SAVED:
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "Coordination_Register.xlsx"
            src.write_bytes(_template_bytes())
            out = Path(d) / "out"
            done = libreoffice("--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(src), profile=Path(d) / "profile")
            made = out / src.name
            if done.returncode != 0 or not made.exists():
                raise RuntimeError(f"LibreOffice did not save the register: {done.stdout}{done.stderr}")
            _LO_SAVED["xlsx"] = made.read_bytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_LO_SAVED["xlsx"])
    return path


@dataclass(frozen=True)
class Decoration:
    """A builder and what its decoration is made of.

    ``marks``: (where, text) — text that must stay byte for byte in a sheet's XML (``where``
    a sheet name) or in a part (``where`` a part name). ``parts``: parts that must exist.
    """

    name: str
    make: Callable[[Path], Path]
    marks: tuple[tuple[str, str], ...] = ()
    parts: tuple[str, ...] = ()
    libreoffice: bool = False
    features: tuple[str, ...] = ()


_MARKS = {
    "sparklines": ((REG, SPARK_REGISTER), (PEOPLE, SPARK_PEOPLE)),
    "databar_validation": ((REG, DATABAR_RULE), (REG, DATABAR_EXT), (REG, X14_VALIDATION_EXT)),
    "threaded_comments": (("xl/threadedComments/threadedComment1.xml", REPLY_ID), ("xl/persons/person.xml", PERSON_2),
                          ("xl/comments/comment1.xml", f"<author>tc={THREAD_ID}</author>")),
    "shapes": ((REG, f'name="{BUTTON_NAME}"><controlPr'), ("xl/drawings/drawing1.xml", escape(TEXTBOX_TEXT)), ("xl/ctrlProps/ctrlProp1.xml", 'objectType="Button"')),
    "header_picture": ((REG, HEADER_FOOTER), (REG, "<legacyDrawingHF r:id=")),
    "rich_text": ((PEOPLE, '<c r="A2" s="1" t="s">'), ("xl/sharedStrings.xml", RICH_SI)),
    "dynamic_array": ((DYNAMIC_SHEET, 'cm="1" t="str"><f t="array" ref="A2:A'), ("xl/metadata.xml", "XLDAPR")),
    "notes": (("xl/drawings/commentsDrawing1.vml", NOTE_STYLE), ("xl/comments/comment1.xml", escape(NOTE_TEXT))),
    "chart": (("xl/charts/chart1.xml", escape(CHART_TITLE)), ("xl/charts/style1.xml", "cs:chartStyle"), ("xl/charts/colors1.xml", "cs:colorStyle")),
    "properties": (("docProps/app.xml", f"<Company>{escape(COMPANY)}</Company>"), ("customXml/item1.xml", CUSTOM_XML_NS)),
    "cached_formulas": ((CACHED_SHEET, f"<f>COUNTA('{REG}'!A:A)-1</f><v>0</v>"), (CACHED_SHEET, '<c r="B5" t="b"><f>B1&gt;0</f><v>0</v></c>')),
    "xlsm": ((CT, CTYPE["macroMain"]),),
    "pivot_slicer": ((PIVOT_SHEET, "x14:slicerList"), ("xl/slicers/slicer1.xml", SLICER_CACHE)),
    "external_link": ((EXTERNAL_SHEET, f"<f>{escape(EXTERNAL_FORMULA)}</f><v>250000</v>"), ("xl/externalLinks/externalLink1.xml", "<v>250000</v>")),
    "total_row": ((REG, f"<f>{TOTAL_FORMULA}</f>"), ("xl/tables/table1.xml", 'totalsRowCount="1"')),
    "calculated_column": ((REG, f'<c r="{NEXT}1" s="4" t="inlineStr"><is><t>{CALC_HEADER}</t></is></c>'), ("xl/tables/table1.xml", "<calculatedColumnFormula>")),
    "signature_line": ((REG, SIGNATURE_ROW),),
    "libreoffice_saved": (("docProps/app.xml", "LibreOffice"),),
}
_PARTS = {
    "threaded_comments": ("xl/threadedComments/threadedComment1.xml", "xl/persons/person.xml"),
    "shapes": ("xl/drawings/drawing1.xml", "xl/ctrlProps/ctrlProp1.xml"),
    "header_picture": ("xl/drawings/vmlDrawingHF1.vml", "xl/media/image1.png"),
    "rich_text": ("xl/sharedStrings.xml",),
    "dynamic_array": ("xl/metadata.xml",),
    "chart": ("xl/charts/chart1.xml", "xl/charts/style1.xml", "xl/charts/colors1.xml"),
    "properties": ("customXml/item1.xml", "customXml/itemProps1.xml", "docProps/custom.xml"),
    "xlsm": ("xl/vbaProject.bin",),
    "pivot_slicer": ("xl/pivotCache/pivotCacheDefinition1.xml", "xl/pivotCache/pivotCacheRecords1.xml", "xl/pivotTables/pivotTable1.xml",
                     "xl/slicers/slicer1.xml", "xl/slicerCaches/slicerCache1.xml"),
    "external_link": ("xl/externalLinks/externalLink1.xml", "xl/externalLinks/_rels/externalLink1.xml.rels"),
}
_MAKERS = {
    "sparklines": make_sparklines, "databar_validation": make_databar_validation, "threaded_comments": make_threaded_comments,
    "shapes": make_shapes, "header_picture": make_header_picture, "rich_text": make_rich_text, "dynamic_array": make_dynamic_array,
    "notes": make_notes, "chart": make_chart, "properties": make_properties, "cached_formulas": make_cached_formulas, "xlsm": make_xlsm,
    "pivot_slicer": make_pivot_slicer, "external_link": make_external_link, "total_row": make_total_row,
    "calculated_column": make_calculated_column, "signature_line": make_signature_line, "libreoffice_saved": make_libreoffice_saved,
}
_IN_EVERYTHING = ("sparklines", "databar_validation", "threaded_comments", "shapes", "header_picture", "rich_text", "dynamic_array",
                  "notes", "chart", "properties", "cached_formulas", "pivot_slicer", "external_link")

DECORATIONS: dict[str, Decoration] = {
    name: Decoration(name, make, _MARKS[name], _PARTS.get(name, ()), name == "libreoffice_saved", (name,))
    for name, make in _MAKERS.items()
}
DECORATIONS["everything"] = Decoration(
    "everything", make_everything,
    # in the combined book the drawing parts are numbered in the order they were added
    tuple(m for n in _IN_EVERYTHING for m in _MARKS[n] if not re.match(r"xl/drawings/drawing\d+\.xml$", m[0])),
    tuple(p for n in _IN_EVERYTHING for p in _PARTS.get(n, ()) if not re.match(r"xl/drawings/drawing\d+\.xml$", p)),
    False, _IN_EVERYTHING,
)


# -- reading the zip for the assertions -------------------------------------------------------------
def raw_members(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Member name → (CRC-32, compression method, the compressed bytes as stored), read from
    each member's local header (not decompressed: a copied member is the same bytes)."""
    out = {}
    with open(path, "rb") as f, zipfile.ZipFile(f) as z:
        for info in z.infolist():
            f.seek(info.header_offset)
            head = f.read(30)
            sig, _ver, _flags, _method, _t, _d, _crc, _cs, _us, nlen, xlen = struct.unpack("<4sHHHHHIIIHH", head)
            if sig != b"PK\x03\x04":
                raise zipfile.BadZipFile(f"{path}: no local header for {info.filename}")
            f.seek(info.header_offset + 30 + nlen + xlen)
            out[info.filename] = (info.CRC, info.compress_type, f.read(info.compress_size))
    return out


def kept_problems(before: Path, after: Path, may_change: set[str], new_allowed: tuple[str, ...] = ()) -> list[str]:
    """What :func:`assert_kept` complains of, one line per member."""
    old, new = raw_members(before), raw_members(after)
    problems = []
    for name, (crc, method, raw) in old.items():
        if name in may_change:
            continue
        if name not in new:
            problems.append(f"{name}: missing")
        elif new[name][0] != crc:
            problems.append(f"{name}: content changed (CRC {crc:08x} → {new[name][0]:08x})")
        elif new[name][1] != method or new[name][2] != raw:
            problems.append(f"{name}: same content but re-compressed (method {method} → {new[name][1]}, {len(raw)} → {len(new[name][2])} bytes)")
    for name in new:
        if name not in old and not any(re.fullmatch(p, name) for p in new_allowed):
            problems.append(f"{name}: new member")
    return problems


def assert_kept(before: Path, after: Path, may_change: set[str], new_allowed: tuple[str, ...] = ()) -> None:
    """Every member of ``before`` not in ``may_change`` is in ``after`` with the same CRC and the
    same raw compressed bytes; a member new in ``after`` must fullmatch a ``new_allowed`` pattern."""
    problems = kept_problems(before, after, may_change, new_allowed)
    assert not problems, f"{len(problems)} member(s) of {Path(before).name} not kept:\n  " + "\n  ".join(problems)


def _rels_source(rels_name: str) -> str:
    folder, base = posixpath.split(rels_name)
    return posixpath.join(posixpath.dirname(folder), base[: -len(".rels")])


def _read_rels(z: zipfile.ZipFile, names: set[str], source: str) -> list[dict[str, str]]:
    name = Package.rels_name(source)
    if name not in names:
        return []
    return [dict(r.attrib) for r in ET.fromstring(z.read(name)) if r.tag == f"{{{NS_PKG_REL}}}Relationship"]


_RANGE = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7}):\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_X_ESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape_x(text: str) -> str:
    return _X_ESC.sub(lambda m: chr(int(m.group(1), 16)), text)


def _shared_strings(z: zipfile.ZipFile, names: set[str], workbook: str) -> list[str]:
    for r in _read_rels(z, names, workbook):
        if r["Type"] == REL["sharedStrings"]:
            part = resolve(workbook, r["Target"])
            if part in names:
                root = ET.fromstring(z.read(part))
                return ["".join(t.text or "" for t in si.iter(f"{{{NS_MAIN}}}t") if not _in_phonetic(si, t)) for si in root.iter(f"{{{NS_MAIN}}}si")]
    return []


def _in_phonetic(si, t) -> bool:
    return any(t in list(rph.iter()) for rph in si.iter(f"{{{NS_MAIN}}}rPh"))


def _cell_text(c, sst: list[str]) -> str | None:
    t = c.get("t")
    if t == "inlineStr":
        return "".join(x.text or "" for x in c.iter(f"{{{NS_MAIN}}}t"))
    v = c.find(f"{{{NS_MAIN}}}v")
    if v is None or v.text is None:
        return None
    if t == "s":
        i = int(v.text)
        return sst[i] if 0 <= i < len(sst) else None
    return v.text


def _sheet_problems(part: str, data: bytes, sst: list[str]) -> tuple[list[str], dict[tuple[int, int], str | None]]:
    """Row/cell order and the dimension of one worksheet; returns its cells' texts too."""
    problems: list[str] = []
    texts: dict[tuple[int, int], str | None] = {}
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        return [f"{part}: not well-formed XML ({e})"], texts
    sheet_data = root.find(f"{{{NS_MAIN}}}sheetData")
    if sheet_data is None:
        return [f"{part}: no <sheetData>"], texts
    last_row = 0
    for row in sheet_data.findall(f"{{{NS_MAIN}}}row"):
        r = int(row.get("r")) if row.get("r") else last_row + 1
        if r <= last_row:
            problems.append(f"{part}: row {r} comes after row {last_row} (rows must increase)")
        if not 1 <= r <= 1048576:
            problems.append(f"{part}: row number {r} is outside 1–1048576")
        last_row = max(last_row, r)
        last_col = 0
        for c in row.findall(f"{{{NS_MAIN}}}c"):
            ref = c.get("r")
            if ref is None:
                col, crow = last_col + 1, r
            else:
                try:
                    col, crow = split_ref(ref)
                except ValueError:
                    problems.append(f"{part}: row {r}: {ref!r} is not a cell reference")
                    continue
            if crow != r:
                problems.append(f"{part}: cell {ref} is inside <row r=\"{r}\">")
            if col <= last_col:
                problems.append(f"{part}: cell {ref} of row {r} comes after column {col_letters(last_col)} (cells must increase)")
            last_col = max(last_col, col)
            texts[(crow, col)] = _cell_text(c, sst)
    dim = root.find(f"{{{NS_MAIN}}}dimension")
    if dim is not None and texts:
        ref = dim.get("ref", "")
        m = _RANGE.match(ref) or (re.match(r"^\$?([A-Z]{1,3})\$?([0-9]+)$", ref) and _RANGE.match(f"{ref}:{ref}"))
        if not m:
            problems.append(f"{part}: <dimension ref=\"{ref}\"> is not a range")
        else:
            c1, r1, c2, r2 = col_number(m.group(1)), int(m.group(2)), col_number(m.group(3)), int(m.group(4))
            rows = [r for r, _ in texts]
            cols = [c for _, c in texts]
            if min(rows) < r1 or max(rows) > r2 or min(cols) < c1 or max(cols) > c2:
                problems.append(f"{part}: <dimension ref=\"{ref}\"> does not cover the cells "
                                f"({col_letters(min(cols))}{min(rows)}:{col_letters(max(cols))}{max(rows)})")
    return problems, texts


def structure_problems(path: Path) -> list[str]:
    """Excel's package and structure rules a file must keep to open without a repair: every
    internal relationship resolves, every part has a content type, every override points to a
    part, unique sheetIds and r:ids in workbook.xml, every Table's range, header cells and id,
    rows and cells in order, a dimension covering the cells."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as z:
        names = {n for n in z.namelist() if not n.endswith("/")}
        if CT not in names:
            return [f"{CT} is missing"]
        # content types
        types = ET.fromstring(z.read(CT))
        defaults = {d.get("Extension", "").lower() for d in types.iter(f"{{{NS_CT}}}Default")}
        overrides = {o.get("PartName", "").lstrip("/") for o in types.iter(f"{{{NS_CT}}}Override")}
        for o in sorted(overrides):
            if o not in names:
                problems.append(f"{CT}: Override for /{o}, which is not in the package")
        for n in sorted(names):
            if n == CT or n.endswith(".rels"):
                continue
            if n not in overrides and n.rsplit(".", 1)[-1].lower() not in defaults:
                problems.append(f"{n}: has no content type (no Override, no Default for .{n.rsplit('.', 1)[-1]})")
        # relationships
        for rels in sorted(n for n in names if n.endswith(".rels")):
            source = _rels_source(rels)
            if source and source not in names:
                problems.append(f"{rels}: relationships of {source}, which is not in the package")
            try:
                root = ET.fromstring(z.read(rels))
            except ET.ParseError as e:
                problems.append(f"{rels}: not well-formed XML ({e})")
                continue
            ids = [r.get("Id") for r in root]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"{rels}: Id {dup} is used twice")
            for r in root:
                if r.get("TargetMode") == "External":
                    continue
                target = resolve(source, r.get("Target", ""))
                if target not in names:
                    problems.append(f"{rels}: {r.get('Id')} ({r.get('Type', '').rsplit('/', 1)[-1]}) → {r.get('Target')}, which is not in the package")
        # the workbook
        office = [resolve("", r["Target"]) for r in _read_rels(z, names, "") if r["Type"] == REL["office"]]
        if not office or office[0] not in names:
            return problems + ["_rels/.rels: no officeDocument relationship to a workbook part"]
        workbook = office[0]
        wb_rels = {r["Id"]: r for r in _read_rels(z, names, workbook)}
        wb = ET.fromstring(z.read(workbook))
        rid_attr = f"{{{NS_R}}}id"
        all_rids = [e.get(rid_attr) for e in wb.iter() if e.get(rid_attr)]
        for dup in sorted({i for i in all_rids if all_rids.count(i) > 1}):
            problems.append(f"{workbook}: r:id {dup} is used twice")
        for rid in sorted(set(all_rids)):
            if rid not in wb_rels:
                problems.append(f"{workbook}: r:id {rid} has no relationship")
        sheets = list(wb.iter(f"{{{NS_MAIN}}}sheet"))
        sheet_ids = [s.get("sheetId") for s in sheets]
        for dup in sorted({i for i in sheet_ids if sheet_ids.count(i) > 1}):
            problems.append(f"{workbook}: sheetId {dup} is used twice")
        sheet_names = [(s.get("name") or "").casefold() for s in sheets]
        for dup in sorted({i for i in sheet_names if sheet_names.count(i) > 1}):
            problems.append(f"{workbook}: sheet name {dup!r} is used twice")
        sst = _shared_strings(z, names, workbook)
        table_ids: dict[str, str] = {}
        table_names: dict[str, str] = {}
        for s in sheets:
            rel = wb_rels.get(s.get(rid_attr))
            if rel is None:
                continue
            part = resolve(workbook, rel["Target"])
            if part not in names or rel["Type"] != REL["worksheet"]:
                continue
            sheet_problems, texts = _sheet_problems(part, z.read(part), sst)
            problems += sheet_problems
            for t in _read_rels(z, names, part):
                if t["Type"] != REL["table"] or t.get("TargetMode") == "External":
                    continue
                tpart = resolve(part, t["Target"])
                if tpart not in names:
                    continue
                problems += _table_problems(tpart, z.read(tpart), texts, table_ids, table_names)
    return problems


def _table_problems(part: str, data: bytes, texts: dict, ids: dict[str, str], names: dict[str, str]) -> list[str]:
    problems = []
    try:
        t = ET.fromstring(data)
    except ET.ParseError as e:
        return [f"{part}: not well-formed XML ({e})"]
    tid, name = t.get("id"), t.get("displayName") or t.get("name")
    if tid in ids:
        problems.append(f"{part}: table id {tid} is also the id of {ids[tid]}")
    ids[tid] = part
    if name and name.casefold() in names:
        problems.append(f"{part}: table name {name} is also the name of {names[name.casefold()]}")
    names[(name or "").casefold()] = part
    ref = t.get("ref", "")
    m = _RANGE.match(ref)
    if not m:
        return problems + [f"{part}: ref {ref!r} is not a range"]
    c1, r1, c2, r2 = col_number(m.group(1)), int(m.group(2)), col_number(m.group(3)), int(m.group(4))
    if c1 > c2 or r1 > r2 or c2 > 16384 or r2 > 1048576:
        return problems + [f"{part}: ref {ref} is not a valid range"]
    header_rows = int(t.get("headerRowCount", "1"))
    totals = int(t.get("totalsRowCount", "0"))
    if r2 - r1 + 1 < header_rows + totals + 1:
        problems.append(f"{part}: ref {ref} has no room for a data row")
    af = t.find(f"{{{NS_MAIN}}}autoFilter")
    if af is not None:
        am = _RANGE.match(af.get("ref", ""))
        if not am or (col_number(am.group(1)), int(am.group(2)), col_number(am.group(3)), int(am.group(4))) != (c1, r1, c2, r2 - totals):
            problems.append(f"{part}: autoFilter ref {af.get('ref')} is not the table's range without its total row ({col_letters(c1)}{r1}:{col_letters(c2)}{r2 - totals})")
    cols_el = t.find(f"{{{NS_MAIN}}}tableColumns")
    columns = [] if cols_el is None else cols_el.findall(f"{{{NS_MAIN}}}tableColumn")
    width = c2 - c1 + 1
    if len(columns) != width:
        problems.append(f"{part}: {len(columns)} tableColumn(s) for the {width} column(s) of {ref}")
    if cols_el is not None and cols_el.get("count") and int(cols_el.get("count")) != len(columns):
        problems.append(f"{part}: tableColumns count=\"{cols_el.get('count')}\" but {len(columns)} tableColumn(s)")
    col_ids = [c.get("id") for c in columns]
    if len(set(col_ids)) != len(col_ids):
        problems.append(f"{part}: tableColumn ids are not unique")
    if header_rows:
        for k, c in enumerate(columns[:width]):
            want = _unescape_x(c.get("name", ""))
            got = texts.get((r1, c1 + k))
            if got is None or " ".join(str(got).split()) != " ".join(want.split()):
                problems.append(f"{part}: header cell {col_letters(c1 + k)}{r1} is {got!r}, the table column is named {want!r}")
    return problems


@dataclass(frozen=True)
class Cell:
    text: str | None  # the value as stored (a shared string resolved), None if none
    formula: str | None  # the <f> text ("" for a shared formula's follower), None if no formula


def read_cells(path: Path, sheet: str) -> dict[str, Cell]:
    """Sheet ``sheet``'s cells straight from its XML: reference → :class:`Cell`."""
    parts = register_parts(path)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        sst = _shared_strings(z, names, parts["workbook"])
        with_rels = Package.__new__(Package)
        with_rels.names = list(names)
        with_rels.parts = {n: z.read(n) for n in names if n.endswith(".rels") or n == parts["workbook"]}
        root = ET.fromstring(z.read(with_rels.sheet_part(sheet)))
    out = {}
    for c in root.iter(f"{{{NS_MAIN}}}c"):
        f = c.find(f"{{{NS_MAIN}}}f")
        out[c.get("r")] = Cell(_cell_text(c, sst), None if f is None else (f.text or ""))
    return out


def part_text(path: Path, part: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(part).decode("utf-8")


def sheet_xml(path: Path, sheet: str) -> str:
    """The XML text of sheet ``sheet`` (found through workbook.xml and its relationships)."""
    with zipfile.ZipFile(path) as z:
        pkg = Package.__new__(Package)
        pkg.names = z.namelist()
        pkg.parts = {n: z.read(n) for n in pkg.names if n.endswith(".rels") or n.endswith(".xml") and "workbook" in n}
        return z.read(pkg.sheet_part(sheet)).decode("utf-8")


def mark_text(path: Path, where: str) -> str | None:
    """The text a mark is looked for in: the part ``where`` if the package has it, else the XML
    of the sheet named ``where``; ``None`` if there is neither."""
    with zipfile.ZipFile(path) as z:
        if where in z.namelist():
            return z.read(where).decode("utf-8")
    try:
        return sheet_xml(path, where)
    except StopIteration:
        return None


def register_parts(path: Path) -> dict[str, str]:
    """The part names of the Register sheet, the (first) Log sheet and the Register's Table,
    read from workbook.xml and the relationships (never assumed to be sheet1.xml)."""
    with zipfile.ZipFile(path) as z:
        pkg = Package.__new__(Package)
        pkg.names = z.namelist()
        pkg.parts = {n: z.read(n) for n in pkg.names if n.endswith(".rels") or n.endswith("workbook.xml") or "tables/" in n}
    sheets = {n: p for n, _, _, p in pkg.sheets()}
    reg = sheets[REG]
    tables = [resolve(reg, r["Target"]) for r in pkg.rels(reg) if r["Type"] == REL["table"]]
    table = next((t for t in tables if re.search(rb'displayName="Register"', pkg.parts.get(t, b""))), tables[0] if tables else "")
    return {"register": reg, "log": sheets[LOG], "table": table, "workbook": pkg.workbook}
