"""The register file as an OOXML package: edit the parts an action changes, copy the rest.

An ``.xlsx`` (or ``.xlsm``) is a zip of parts. Whatever the office added in Excel that xlflow
does not understand — sparklines and other ``extLst`` extensions, threaded comments, shapes,
form controls, header pictures, rich text, dynamic arrays, pivots, slicers, VBA, custom XML,
external links — lives in parts xlflow never parses, so :class:`PackagePort` copies them as
their compressed bytes (:mod:`xlflow.ports.zipraw`). It rewrites only:

* the worksheet parts it writes cells into, spliced row by row: every row, cell and
  element it does not touch stays as Excel wrote it (a touched cell keeps its style; a new
  cell takes the style of the cell above, else its column's; strings are written inline, so
  the shared-string table is not touched);
* the Table part whose ``ref`` grows (its Total Row moved down below the new rows);
* ``styles.xml`` only when a date must be written into a cell with no date format;
* for a new continuation Log sheet: its part, and ``workbook.xml``, its relationships,
  ``[Content_Types].xml`` and ``docProps/app.xml``;
* ``calcChain.xml`` is dropped (Excel rebuilds it silently) only when a formula cell is
  overwritten by a value or moved, as a stale chain makes Excel "repair" the file.

What it cannot edit without losing something (a cell inside an array formula or merged
cells, the master of a shared formula) it refuses before anything is written, naming the
sheet and cell.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from .. import schema
from ..apply import Formula, Table
from ..errors import WorkbookError
from . import zipraw

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
WORKSHEET_REL = REL + "/worksheet"


# -- small helpers ---------------------------------------------------------------------------------
def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(s: str) -> str:
    return esc(s).replace('"', "&quot;")


_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


def ooxml_text(s: str) -> str:
    """Text for a ``<t>`` element: characters XML cannot hold as ``_xHHHH_`` (ECMA-376 §22.9.2.19),
    and a literal ``_xHHHH_`` guarded so it reads back as typed."""
    def sub(m):
        t = m.group(0)
        return f"_x{ord(t):04X}_" if len(t) == 1 else "_x005F_" + t[1:]
    return esc(_BAD_XML.sub(sub, s))


def col_index(letters: str) -> int:
    """``"A"`` → 0, ``"AA"`` → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def parse_ref(ref: str) -> tuple[int, int]:
    """``"B7"`` → (row 7, column 1)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(ref)
    return int(m.group(2)), col_index(m.group(1))


def parse_range(ref: str) -> tuple[int, int, int, int]:
    """``"A1:X20"`` → (first row, first col, last row, last col)."""
    a, _, b = ref.partition(":")
    r1, c1 = parse_ref(a)
    r2, c2 = parse_ref(b or a)
    return r1, c1, r2, c2


def range_text(r1: int, c1: int, r2: int, c2: int) -> str:
    return f"{schema.col_letter(c1)}{r1}:{schema.col_letter(c2)}{r2}"


def resolve(source_part: str, target: str) -> str:
    """A relationship target as a part name (no leading slash)."""
    if target.startswith("/"):
        return target[1:]
    base = posixpath.dirname(source_part)
    return posixpath.normpath(posixpath.join(base, target))


def rels_part(part: str) -> str:
    d, f = posixpath.split(part)
    return posixpath.join(d, "_rels", f + ".rels")


_EPOCH = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


def serial(v, date1904: bool = False) -> str:
    """A date or datetime as Excel's serial number (days since the workbook's epoch)."""
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            from ..worktime import local

            v = local(v)
        d = v - (_EPOCH_1904 if date1904 else _EPOCH)
        days = d.days + (d.seconds + d.microseconds / 1e6) / 86400
        return repr(round(days, 10)) if not float(days).is_integer() else str(int(days))
    if isinstance(v, date):
        return serial(datetime.combine(v, time()), date1904)
    raise TypeError(v)


# -- styles ----------------------------------------------------------------------------------------
_DATE_IDS = set(range(14, 23)) | set(range(27, 37)) | {45, 46, 47} | set(range(50, 59)) | set(range(71, 82))


def is_date_format(code: str) -> bool:
    """Whether a number format shows a date or time (quoted text, ``[…]`` tags and escapes aside)."""
    s = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    s = re.sub(r"\[(?![hms]+\])[^\]]*\]", "", s, flags=re.I)
    s = s.split(";")[0]
    return bool(re.search(r"[dmyhsebg]", s, re.I)) and not re.fullmatch(r"[#0.,%\s]*(General)?[#0.,%\s]*", s, re.I)


class Styles:
    """``styles.xml``: which cell styles show dates, and new styles made from old ones."""

    def __init__(self, data: bytes):
        self.text = data.decode("utf-8")
        self.changed = False
        m = re.search(r"<(\w+:)?cellXfs\b[^>]*>(.*?)</\1?cellXfs>", self.text, re.S)
        if not m:
            raise WorkbookError("styles.xml has no cell styles (cellXfs) — open the workbook in Excel and save it again")
        self.prefix = m.group(1) or ""
        self._xfs_span = m.span(2)
        self.xfs = re.findall(rf"<{self.prefix}xf\b[^>]*?(?:/>|>.*?</{self.prefix}xf>)", m.group(2), re.S)
        self.formats = {int(i): html_unescape(c) for i, c in re.findall(rf'<{self.prefix}numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"', self.text)}
        self.formats.update({int(i): html_unescape(c) for c, i in re.findall(rf'<{self.prefix}numFmt\b[^>]*formatCode="([^"]*)"[^>]*numFmtId="(\d+)"', self.text)})
        self._made: dict[tuple[int, str], int] = {}

    def num_fmt(self, s: int) -> int:
        if not 0 <= s < len(self.xfs):
            return 0
        m = re.search(r'numFmtId="(\d+)"', self.xfs[s].split(">", 1)[0])
        return int(m.group(1)) if m else 0

    def is_date(self, s: int) -> bool:
        fid = self.num_fmt(s)
        if fid in _DATE_IDS:
            return True
        return fid in self.formats and is_date_format(self.formats[fid])

    def with_format(self, s: int, code: str) -> int:
        """Style ``s`` with number format ``code`` (a new ``xf`` the first time it is asked for)."""
        key = (s, code)
        if key in self._made:
            return self._made[key]
        fid = self.formats_id(code)
        base = self.xfs[s] if 0 <= s < len(self.xfs) else f"<{self.prefix}xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
        head, sep, rest = base.partition(">") if not base.split(">", 1)[0].endswith("/") else (base[:-2], "/>", "")
        head = re.sub(r'\snumFmtId="\d+"', "", head)
        head = re.sub(r'\sapplyNumberFormat="\w+"', "", head)
        head += f' numFmtId="{fid}" applyNumberFormat="1"'
        new = head + sep + rest
        m = re.search(rf"<({self.prefix}cellXfs)\b([^>]*)>(.*?)</{self.prefix}cellXfs>", self.text, re.S)
        inner = m.group(3) + new
        self.xfs.append(new)
        attrs = re.sub(r'count="\d+"', f'count="{len(self.xfs)}"', m.group(2))
        self._replace(m.span(), f"<{m.group(1)}{attrs}>{inner}</{self.prefix}cellXfs>")
        self._made[key] = len(self.xfs) - 1
        return self._made[key]

    def _items(self, section: str, item: str) -> tuple[re.Match | None, list[str]]:
        m = re.search(rf"<({self.prefix}{section})\b([^>]*)>(.*?)</{self.prefix}{section}>", self.text, re.S)
        if not m:
            return None, []
        return m, re.findall(rf"<{self.prefix}{item}\b[^>]*?/>|<{self.prefix}{item}\b.*?</{self.prefix}{item}>", m.group(3), re.S)

    def _index_of(self, section: str, item: str, xml: str) -> int:
        """The index of an equal ``item`` in ``section``, appended if there is none."""
        m, items = self._items(section, item)
        if xml in items:
            return items.index(xml)
        if m is None:
            raise WorkbookError(f"styles.xml has no {section} — open the workbook in Excel and save it again")
        items.append(xml)
        attrs = re.sub(r'count="\d+"', f'count="{len(items)}"', m.group(2))
        self._replace(m.span(), f"<{m.group(1)}{attrs}>{m.group(3)}{xml}</{self.prefix}{section}>")
        return len(items) - 1

    def import_xf(self, src: "Styles", s: int) -> int:
        """Style ``s`` of another workbook's styles, as a style of this one (its font, fill,
        border and number format brought over where this workbook has no equal one)."""
        key = ("import", id(src), s)
        if key in self._made:
            return self._made[key]
        xf = src.xfs[s] if 0 <= s < len(src.xfs) else src.xfs[0]
        head = xf.split(">", 1)[0]
        ids = {k: int(v) for k, v in re.findall(r'\s(fontId|fillId|borderId|numFmtId)="(\d+)"', head)}
        new = self._prefixed(xf, src.prefix)
        for attr, section, item in (("fontId", "fonts", "font"), ("fillId", "fills", "fill"), ("borderId", "borders", "border")):
            if attr in ids:
                _, items = src._items(section, item)
                if ids[attr] < len(items):
                    k = self._index_of(section, item, self._prefixed(items[ids[attr]], src.prefix))
                    new = re.sub(rf'\s{attr}="\d+"', f' {attr}="{k}"', new, count=1)
        fid = ids.get("numFmtId", 0)
        if fid >= 164 and fid in src.formats:
            code = src.formats[fid]
            mine = next((i for i, c in self.formats.items() if c == code), None)
            if mine is None:
                mine = self.formats_id(code)
            new = re.sub(r'\snumFmtId="\d+"', f' numFmtId="{mine}"', new, count=1)
        new = re.sub(r'\sxfId="\d+"', ' xfId="0"', new, count=1)
        index = self._index_of("cellXfs", "xf", new)
        self.xfs = self._items("cellXfs", "xf")[1]
        self._made[key] = index
        return index

    def formats_id(self, code: str) -> int:
        """The id of number format ``code``, added to ``numFmts`` if this workbook lacks it."""
        fid = next((i for i, c in self.formats.items() if c == code), None)
        if fid is not None:
            return fid
        fid = max([163, *self.formats]) + 1
        self.formats[fid] = code
        el = f'<{self.prefix}numFmt numFmtId="{fid}" formatCode="{esc_attr(code)}"/>'
        m = re.search(rf"<{self.prefix}numFmts\b([^>]*)>(.*?)</{self.prefix}numFmts>", self.text, re.S)
        if m:
            inner = m.group(2) + el
            head = re.sub(r'count="\d+"', f'count="{inner.count("<" + self.prefix + "numFmt ")}"', m.group(1))
            self._replace(m.span(), f"<{self.prefix}numFmts{head}>{inner}</{self.prefix}numFmts>")
        else:
            at = re.search(rf"<{self.prefix}styleSheet\b[^>]*>", self.text).end()
            self._replace((at, at), f'<{self.prefix}numFmts count="1">{el}</{self.prefix}numFmts>')
        return fid

    def _prefixed(self, xml: str, src_prefix: str) -> str:
        """``xml`` from styles written with ``src_prefix``, in this workbook's prefix."""
        if src_prefix == self.prefix:
            return xml
        xml = re.sub(rf"<(/?){re.escape(src_prefix)}", r"<\1", xml) if src_prefix else xml
        return re.sub(r"<(/?)(?![\w]+:)(\w)", rf"<\1{self.prefix}\2", xml) if self.prefix else xml

    def _replace(self, span: tuple[int, int], text: str) -> None:
        self.text = self.text[: span[0]] + text + self.text[span[1]:]
        self.changed = True

    def data(self) -> bytes:
        return self.text.encode("utf-8")


def html_unescape(s: str) -> str:
    import html

    return html.unescape(s)


# -- one worksheet ---------------------------------------------------------------------------------
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return dict(_ATTR.findall(tag))


@dataclass
class _Cell:
    col: int
    xml: bytes  # the whole element as it was (or as written)
    style: int = 0
    formula: bytes = b""  # b"", b"normal", b"shared-master", b"shared", b"array"


class SheetEdit:
    """Cells to set (and rows to move) in one worksheet part, spliced into its XML at once."""

    def __init__(self, name: str, data: bytes | None, styles: Styles, date1904: bool, load=None, head: bytes | None = None):
        """``data`` the part's XML, or ``load()`` to read it when the edit is made (``head``:
        its first bytes, for the namespace prefix) — a 150 MB sheet is not held while others are."""
        self.name, self._data, self._load, self.styles, self.date1904 = name, data, load, styles, date1904
        m = re.search(rb"<(?:(\w+):)?worksheet\b", data if data is not None else head or b"")
        if not m:
            raise WorkbookError(f'{name}: the sheet\'s part is not a worksheet — open the workbook in Excel and save it again')
        self.p = (m.group(1) + b":") if m.group(1) else b""
        self.cells: dict[int, dict[int, object]] = {}
        self.formats: dict[int, str] = {}
        self.moves: dict[int, int] = {}
        self.formula_touched = False

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self._load()
        return self._data

    @data.setter
    def data(self, value: bytes) -> None:
        self._data = value

    def set(self, cells: dict[int, dict[int, object]], formats: dict[int, str] | None) -> None:
        for r, row in cells.items():
            self.cells.setdefault(r, {}).update(row)
        self.formats.update(formats or {})

    # -- reading the XML ----------------------------------------------------------------------
    def _sheet_data(self) -> tuple[int, int, int]:
        """(start of the content, end of the content, end of the element) of ``<sheetData>``."""
        p = self.p
        m = re.search(rb"<" + p + rb"sheetData\b[^>]*?(/?)>", self.data)
        if not m:
            raise WorkbookError(f"{self.name}: the sheet has no cell data part (sheetData) — open the workbook in Excel and save it again")
        if m.group(1):  # <sheetData/>
            return m.end(), m.end(), m.end()
        end = self.data.index(b"</" + p + b"sheetData>", m.end())
        return m.end(), end, end + len(b"</" + p + b"sheetData>")

    def _rows(self, start: int, end: int) -> list[tuple[int, int, int]]:
        """(row number, start, end) of every ``<row>`` between ``start`` and ``end``."""
        p = self.p
        out = []
        tag = re.compile(rb"<" + p + rb"row\b([^>]*?)(/?)>")
        close = b"</" + p + b"row>"
        pos, prev = start, 0
        while True:
            m = tag.search(self.data, pos, end)
            if not m:
                break
            rm = re.search(rb'\sr="(\d+)"', m.group(1))
            r = int(rm.group(1)) if rm else prev + 1
            e = m.end() if m.group(2) else self.data.index(close, m.end()) + len(close)
            out.append((r, m.start(), e))
            prev, pos = r, e
        return out

    def _cells_of(self, row_xml: bytes, r: int) -> tuple[bytes, list[_Cell], bytes]:
        """A row element split into its start tag, its cells, and its end."""
        p = self.p
        m = re.match(rb"<" + p + rb"row\b[^>]*?(/?)>", row_xml)
        start = m.group(0)
        if m.group(1):
            return start, [], b""
        body = row_xml[m.end(): len(row_xml) - len(b"</" + p + b"row>")]
        cells = []
        pos, prev = 0, -1
        tag = re.compile(rb"<" + p + rb"c\b([^>]*?)(/?)>")
        close = b"</" + p + b"c>"
        while True:
            cm = tag.search(body, pos)
            if not cm:
                break
            e = cm.end() if cm.group(2) else body.index(close, cm.end()) + len(close)
            a = _attrs(cm.group(1))
            col = parse_ref(a[b"r"].decode())[1] if b"r" in a else prev + 1
            xml = body[cm.start():e]
            kind = b""
            fm = re.search(rb"<" + p + rb"f\b([^>]*)", xml)
            if fm:
                fa = _attrs(fm.group(1))
                t = fa.get(b"t", b"normal")
                kind = (b"shared-master" if b"ref" in fa else b"shared") if t == b"shared" else (b"array" if t in (b"array", b"dataTable") else b"normal")
            cells.append(_Cell(col, xml, int(a.get(b"s", b"0")), kind))
            prev, pos = col, e
        return start, cells, b"</" + p + b"row>"

    def _col_styles(self) -> dict[int, int]:
        out = {}
        p = self.p
        for m in re.finditer(rb"<" + p + rb"col\b([^>]*)/?>", self.data[: self._sheet_data()[0]]):
            a = _attrs(m.group(1))
            if b"style" in a and b"min" in a:
                for c in range(int(a[b"min"]) - 1, min(int(a.get(b"max", a[b"min"])), 16384)):
                    out[c] = int(a[b"style"])
        return out

    def _merged(self) -> list[tuple[int, int, int, int]]:
        out = []
        for m in re.finditer(rb"<" + self.p + rb'mergeCell\b[^>]*ref="([^"]+)"', self.data):
            try:
                out.append(parse_range(m.group(1).decode()))
            except ValueError:
                continue
        return out

    # -- writing the XML ----------------------------------------------------------------------
    def check(self) -> None:
        """Refuse cells xlflow cannot write without breaking what is there."""
        for r1, c1, r2, c2 in self._merged():
            for r, row in self.cells.items():
                for c in row:
                    if r1 <= r <= r2 and c1 <= c <= c2 and (r, c) != (r1, c1):
                        raise WorkbookError(
                            f"{self.name}!{schema.col_letter(c)}{r}: is inside the merged cells {range_text(r1, c1, r2, c2)}, where xlflow must "
                            f"write row {r} — unmerge them (Home → Merge & Center → Unmerge Cells), then try again; nothing was changed"
                        )

    def result(self) -> bytes:
        """The sheet's XML with every planned cell and move in place.

        Made with one copy of the part: the untouched stretches are views into the old XML,
        joined once with the rewritten rows (a 150 MB Register sheet is not copied four times).
        """
        if not self.cells and not self.moves:
            return self.data
        self.check()
        ds, de, _ = self._sheet_data()
        p = self.p
        rows = self._rows(ds, de)
        self._numbers = [r for r, _, _ in rows]
        by_row = {r: (s, e) for r, s, e in rows}
        touched = set(self.cells) | set(self.moves) | set(self.moves.values())
        col_styles = self._col_styles()
        data = self.data
        view = memoryview(data)
        moved_in: dict[int, bytes] = {}
        for src, dst in self.moves.items():
            if src in by_row:
                s, e = by_row[src]
                moved_in[dst] = data[s:e]
        new_rows: dict[int, bytes] = {}
        last_existing = rows[-1][0] if rows else 0
        for r in sorted(touched):
            if r in moved_in:
                base = self._renumber(moved_in[r], r)
                self.formula_touched |= b"<" + p + b"f" in base
            elif r in self.moves:
                base = None  # its row moved down: the place is free
            elif r in by_row:
                s, e = by_row[r]
                base = data[s:e]
            else:
                base = None
            if r in self.cells or (base is not None and r not in moved_in):
                new_rows[r] = self._merge_row(base, r, self.cells.get(r, {}), rows, by_row, col_styles)
            else:
                new_rows[r] = base or b""
        # the part before the rows (its dimension grown), the rows spliced, the part after them
        head = self._dimension(bytes(view[:ds]), max([last_existing, *(r for r, x in new_rows.items() if x)]))
        tail: list = [view[de:]]
        if ds == de and data[ds - 2: ds] == b"/>":  # <sheetData/>: open it
            head = head[:-2] + b">"
            tail = [b"</" + p + b"sheetData>", view[de:]]
        pieces: list = [head]
        pos = ds
        inserts = sorted(r for r in new_rows if r not in by_row)
        ii = 0
        for r, s, e in rows:
            if ii < len(inserts) and inserts[ii] < r:
                pieces.append(view[pos:s])
                pos = s
                while ii < len(inserts) and inserts[ii] < r:
                    pieces.append(new_rows[inserts[ii]])
                    ii += 1
            if r in new_rows:
                pieces.append(view[pos:s])
                pieces.append(new_rows[r])
                pos = e
        pieces.append(view[pos:de])
        while ii < len(inserts):
            pieces.append(new_rows[inserts[ii]])
            ii += 1
        out = b"".join([*pieces, *tail])
        del pieces, tail, view
        return out

    def _renumber(self, row_xml: bytes, r: int) -> bytes:
        row_xml = re.sub(rb'(<' + self.p + rb'row\b[^>]*?\sr=")\d+"', rb'\g<1>' + str(r).encode() + b'"', row_xml, count=1)
        return re.sub(rb'(<' + self.p + rb'c\b[^>]*?\sr="[A-Z]+)\d+"', rb"\g<1>" + str(r).encode() + b'"', row_xml)

    def _template_row(self, r: int, rows, by_row) -> bytes | None:
        """The nearest data row above ``r`` (not the header), whose formats a new row takes."""
        import bisect

        i = bisect.bisect_left(self._numbers, r) - 1
        while i >= 0 and (self._numbers[i] in self.moves):
            i -= 1
        if i < 0 or self._numbers[i] <= 1:
            return None
        s, e = by_row[self._numbers[i]]
        return self.data[s:e]

    def _merge_row(self, row_xml: bytes | None, r: int, values: dict[int, object], rows, by_row, col_styles) -> bytes:
        p = self.p
        template = self._template_row(r, rows, by_row)
        t_cells = {c.col: c for c in self._cells_of(template, r)[1]} if template else {}
        if row_xml is None:
            start = self._new_row_tag(r, template)
            cells: list[_Cell] = []
            end = b"</" + p + b"row>"
        else:
            start, cells, end = self._cells_of(row_xml, r)
            if start.endswith(b"/>"):
                start, end = start[:-2].rstrip() + b">", b"</" + p + b"row>"
        have = {c.col: c for c in cells}
        row_style = None
        ra = _attrs(start)
        if ra.get(b"customFormat") in (b"1", b"true") and b"s" in ra:
            row_style = int(ra[b"s"])
        for c, v in values.items():
            old = have.get(c)
            if old is not None:
                if old.formula == b"array":
                    raise WorkbookError(f"{self.name}!{schema.col_letter(c)}{r}: is part of an array formula, where xlflow must write — "
                                        f"remove the array formula from this column, then try again; nothing was changed")
                if old.formula == b"shared-master":
                    raise WorkbookError(f"{self.name}!{schema.col_letter(c)}{r}: holds a formula that other cells copy (a shared formula), where xlflow must "
                                        f"write — clear the formulas of this column below the header, then try again; nothing was changed")
                if old.formula:
                    self.formula_touched = True
                style = old.style
            elif row_style is not None:
                style = row_style
            elif c in t_cells:
                style = t_cells[c].style
            else:
                style = col_styles.get(c, 0)
            if isinstance(v, (datetime, date)) and not self.styles.is_date(style) and c in self.formats:
                style = self.styles.with_format(style, self.formats[c])
            have[c] = _Cell(c, self._cell_xml(r, c, style, v), style)
        ordered = [have[c] for c in sorted(have)]
        start = self._spans(start, ordered)
        return start + b"".join(c.xml for c in ordered) + end

    def _new_row_tag(self, r: int, template: bytes | None) -> bytes:
        attrs = [b'r="%d"' % r]
        if template:
            ta = _attrs(re.match(rb"<" + self.p + rb"row\b([^>]*?)/?>", template).group(1))
            for k in (b"spans", b"s", b"customFormat", b"ht", b"customHeight", b"x14ac:dyDescent"):
                if k in ta:
                    attrs.append(k + b'="' + ta[k] + b'"')
        return b"<" + self.p + b"row " + b" ".join(attrs) + b">"

    def _spans(self, start: bytes, cells: list[_Cell]) -> bytes:
        if b"spans=" not in start or not cells:
            return start
        m = re.search(rb'spans="(\d+):(\d+)"', start)
        if not m:
            return start
        lo, hi = min(int(m.group(1)), cells[0].col + 1), max(int(m.group(2)), cells[-1].col + 1)
        return start[: m.start()] + b'spans="%d:%d"' % (lo, hi) + start[m.end():]

    def _cell_xml(self, r: int, c: int, style: int, v) -> bytes:
        p = self.p.decode()
        ref = f"{schema.col_letter(c)}{r}"
        s = f' s="{style}"' if style else ""
        if v is None or v == "":
            x = f'<{p}c r="{ref}"{s}/>'
        elif isinstance(v, Formula):
            cached = v.cached
            if cached is None or cached == "":
                x = f'<{p}c r="{ref}"{s} t="str"><{p}f>{esc(v.text)}</{p}f><{p}v></{p}v></{p}c>'
            elif isinstance(cached, bool):
                x = f'<{p}c r="{ref}"{s} t="b"><{p}f>{esc(v.text)}</{p}f><{p}v>{int(cached)}</{p}v></{p}c>'
            elif isinstance(cached, (int, float)):
                x = f'<{p}c r="{ref}"{s}><{p}f>{esc(v.text)}</{p}f><{p}v>{cached!r}</{p}v></{p}c>'
            else:
                x = f'<{p}c r="{ref}"{s} t="str"><{p}f>{esc(v.text)}</{p}f><{p}v>{ooxml_text(str(cached))}</{p}v></{p}c>'
        elif isinstance(v, bool):
            x = f'<{p}c r="{ref}"{s} t="b"><{p}v>{int(v)}</{p}v></{p}c>'
        elif isinstance(v, (int, float)):
            x = f'<{p}c r="{ref}"{s}><{p}v>{v!r}</{p}v></{p}c>'
        elif isinstance(v, (datetime, date)):
            x = f'<{p}c r="{ref}"{s}><{p}v>{serial(v, self.date1904)}</{p}v></{p}c>'
        else:
            text = str(v)
            space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
            x = f'<{p}c r="{ref}"{s} t="inlineStr"><{p}is><{p}t{space}>{ooxml_text(text)}</{p}t></{p}is></{p}c>'
        return x.encode("utf-8")

    def _dimension(self, data: bytes, last_row: int) -> bytes:
        m = re.search(rb"<" + self.p + rb'dimension\b[^>]*ref="([^"]+)"', data)
        if not m:
            return data
        try:
            r1, c1, r2, c2 = parse_range(m.group(1).decode())
        except ValueError:
            return data
        cols = [c for row in self.cells.values() for c in row]
        nr2, nc1, nc2 = max(r2, last_row), min([c1, *cols]), max([c2, *cols])
        if (nr2, nc1, nc2) == (r2, c1, c2):
            return data
        return data[: m.start(1)] + range_text(r1, nc1, nr2, nc2).encode() + data[m.end(1):]


# -- the register's identity -----------------------------------------------------------------------
#: A hidden workbook name holding the register's id: what the checker remembers per register
#: (two registers in one folder never silence each other), and what a witness names.
REGISTER_ID = "xlflow_register_id"
_ID = re.compile(r'<(?:\w+:)?definedName\b[^>]*name="' + REGISTER_ID + r'"[^>]*>&quot;([0-9a-f-]{8,64})&quot;<|'
                 r'<(?:\w+:)?definedName\b[^>]*name="' + REGISTER_ID + r'"[^>]*>"([0-9a-f-]{8,64})"<')


def new_register_id() -> str:
    import uuid

    return uuid.uuid4().hex


def register_id_in(workbook_xml: str) -> str | None:
    m = _ID.search(workbook_xml)
    return (m.group(1) or m.group(2)) if m else None


# -- the package -----------------------------------------------------------------------------------
@dataclass
class SheetRef:
    name: str
    sheet_id: int
    rid: str
    part: str


@dataclass
class PackagePort:
    """A register file opened for an edit; :meth:`save_to` writes the edited copy."""

    path: Path
    infos: list[zipfile.ZipInfo] = field(default_factory=list)
    changed: dict[str, bytes] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    packed: dict[str, tuple[int, int, bytes]] = field(default_factory=dict)  # parts made and deflated already

    def __post_init__(self):
        self.path = Path(self.path)
        try:
            with zipfile.ZipFile(self.path) as z:
                self.infos = z.infolist()
        except zipfile.BadZipFile:
            raise WorkbookError(f"{self.path.name}: the file is damaged or was cut off while copying — restore it from the backups") from None
        self.by_name = {i.filename: i for i in self.infos}
        self._edits: dict[str, SheetEdit] = {}
        self._styles: Styles | None = None
        self._tables: dict[str, tuple[str, Table] | None] = {}
        wb_part = self._office_document()
        self.workbook_part = wb_part
        wbx = self.read(wb_part).decode("utf-8")
        self.date1904 = bool(re.search(r'<(\w+:)?workbookPr\b[^>]*date1904="(1|true)"', wbx))
        rels = self.rels(wb_part)
        self.sheets: list[SheetRef] = []
        root = ET.fromstring(wbx)
        for el in root.iter(f"{{{MAIN}}}sheet"):
            rid = el.get(f"{{{REL}}}id")
            target = rels.get(rid)
            if target is None:
                raise WorkbookError(f'{self.path.name}: the sheet "{el.get("name")}" has no part — open the workbook in Excel and save it again')
            self.sheets.append(SheetRef(el.get("name"), int(el.get("sheetId")), rid, target[1]))

    # -- parts ----------------------------------------------------------------------------------
    def read(self, name: str) -> bytes:
        if name in self.changed:
            return self.changed[name]
        if name not in self.by_name:
            raise KeyError(name)
        with zipfile.ZipFile(self.path) as z:
            return z.read(name)

    def has(self, name: str) -> bool:
        return (name in self.by_name or name in self.changed) and name not in self.dropped

    def rels(self, part: str) -> dict[str, tuple[str, str, str]]:
        """Relationship id → (type, target part, target mode) of ``part``."""
        rp = rels_part(part)
        if not self.has(rp):
            return {}
        root = ET.fromstring(self.read(rp))
        out = {}
        for el in root.iter(f"{{{PKG_REL}}}Relationship"):
            mode = el.get("TargetMode", "Internal")
            target = el.get("Target", "")
            out[el.get("Id")] = (el.get("Type", ""), target if mode == "External" else resolve(part, target), mode)
        return out

    def _office_document(self) -> str:
        root = ET.fromstring(self.read("_rels/.rels"))
        for el in root.iter(f"{{{PKG_REL}}}Relationship"):
            if el.get("Type", "").endswith("/officeDocument"):
                return resolve("", el.get("Target"))
        return "xl/workbook.xml"

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.sheets]

    def sheet(self, name: str) -> SheetRef:
        for s in self.sheets:
            if s.name == name:
                return s
        raise WorkbookError(f'{self.path.name}: the sheet "{name}" is missing')

    @property
    def styles(self) -> Styles:
        if self._styles is None:
            part = next((t for (ty, t, _) in self.rels(self.workbook_part).values() if ty.endswith("/styles")), None)
            if part is None:
                raise WorkbookError(f"{self.path.name}: the workbook has no styles part — open it in Excel and save it again")
            self._styles_part = part
            self._styles = Styles(self.read(part))
        return self._styles

    def edit(self, sheet: str) -> SheetEdit:
        if sheet not in self._edits:
            ref = self.sheet(sheet)
            if ref.part in self.changed:
                self._edits[sheet] = SheetEdit(sheet, self.read(ref.part), self.styles, self.date1904)
            else:  # read when the edit is made, in _finish
                self._edits[sheet] = SheetEdit(sheet, None, self.styles, self.date1904, load=lambda part=ref.part: self.read(part),
                                               head=self.head(ref.part))
        return self._edits[sheet]

    def head(self, name: str, n: int = 4096) -> bytes:
        """The first ``n`` bytes of a part, without inflating the rest."""
        if name in self.changed:
            return self.changed[name][:n]
        with zipfile.ZipFile(self.path) as z, z.open(name) as f:
            return f.read(n)

    # -- the port -------------------------------------------------------------------------------
    def table(self, sheet: str) -> Table | None:
        """The first Table of ``sheet`` (the Register has one), or None."""
        found = self._table(sheet)
        return found[1] if found else None

    def _table(self, sheet: str):
        if sheet not in self._tables:
            self._tables[sheet] = None
            part = self.sheet(sheet).part
            for ty, target, _ in self.rels(part).values():
                if ty.endswith("/table") and self.has(target):
                    self._tables[sheet] = (target, parse_table(self.read(target)))
                    break
        return self._tables[sheet]

    def write(self, sheet: str, cells: dict[int, dict[int, object]], formats: dict[int, str] | None = None) -> None:
        self.edit(sheet).set(cells, formats)

    def grow_table(self, sheet: str, table: Table, data_end: int) -> None:
        part, _ = self._table(sheet)
        if table.totals:
            ed = self.edit(sheet)
            shift = data_end - table.data_end
            for r in range(table.last_row, table.data_end, -1):
                ed.moves[r] = r + shift
        last = data_end + table.totals
        xml = self.read(part).decode("utf-8")
        ref = range_text(table.header_row, table.first_col, last, table.last_col)
        xml = re.sub(r'(<(?:\w+:)?table\b[^>]*?\sref=")[^"]*"', lambda m: m.group(1) + ref + '"', xml, count=1)
        fref = range_text(table.header_row, table.first_col, data_end, table.last_col)
        xml = re.sub(r'(<(?:\w+:)?autoFilter\b[^>]*?\sref=")[^"]*"', lambda m: m.group(1) + fref + '"', xml, count=1)
        self.changed[part] = xml.encode("utf-8")
        self._tables[sheet] = (part, Table(table.name, table.first_col, table.header_row, table.last_col, last, table.totals, table.calculated))

    def add_sheet_like(self, name: str, model: str, after: str) -> None:
        """A continuation sheet: ``model``'s part with only its header row, and no parts of its own."""
        src = self.sheet(model)
        data = self.read(src.part)
        ed = SheetEdit(model, data, self.styles, self.date1904)
        ds, de, _ = ed._sheet_data()
        rows = ed._rows(ds, de)
        header = b"".join(data[s:e] for r, s, e in rows if r == 1)
        p = ed.p
        head, tail = data[:ds], data[de:]
        if ds == de:
            head = head[:-2] + b">"
            tail = b"</" + p + b"sheetData>" + tail
        notes = self._copy_header_notes(src.part)
        drop = (b"legacyDrawing",) if notes is None else ()
        for el in drop + (b"legacyDrawingHF", b"drawing", b"picture", b"oleObjects", b"controls", b"tableParts",
                   b"hyperlinks", b"mergeCells", b"extLst", b"rowBreaks", b"colBreaks", b"sheetProtection", b"protectedRanges"):
            tail = re.sub(rb"<" + p + el + rb"\b[^>]*?/>|<" + p + el + rb"\b.*?</" + p + el + rb">", b"", tail, flags=re.S)
        head = re.sub(rb'\stabSelected="(1|true)"', b"", head)
        part = self.add_sheet_part(name, head + header + tail, after, model)
        if notes is not None:
            self.changed[rels_part(part)] = notes
            self._new_parts.append(rels_part(part))

    def add_sheet_part(self, name: str, xml: bytes, after: str, model: str | None = None) -> str:
        """A new worksheet ``name`` holding ``xml``, placed right after ``after``: its part, and
        its entries in the workbook, its relationships, the content types and the document's
        list of sheets (an autofilter name like ``model``'s, if ``model`` has one)."""
        new = xml
        p = SheetEdit(name, xml, self.styles, self.date1904).p
        names = {i.filename for i in self.infos} | set(self.changed)
        n = 1 + max((int(m.group(1)) for x in names if (m := re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", x))), default=0)
        part = f"xl/worksheets/sheet{n}.xml"
        self.changed[part] = new
        self._new_parts = getattr(self, "_new_parts", []) + [part]
        wb_rels_part = rels_part(self.workbook_part)
        rels = self.read(wb_rels_part).decode("utf-8")
        ids = set(re.findall(r'\sId="([^"]+)"', rels))
        k = 1
        while f"rId{k}" in ids:
            k += 1
        rid = f"rId{k}"
        target = "/" + part
        rels = re.sub(r"</(\w+:)?Relationships>", lambda m: f'<Relationship Id="{rid}" Type="{WORKSHEET_REL}" Target="{target}"/>' + m.group(0), rels, count=1)
        self.changed[wb_rels_part] = rels.encode("utf-8")
        types = self.read("[Content_Types].xml").decode("utf-8")
        types = re.sub(r"</(\w+:)?Types>", lambda m: f'<Override PartName="/{part}" ContentType="{WORKSHEET_TYPE}"/>' + m.group(0), types, count=1)
        self.changed["[Content_Types].xml"] = types.encode("utf-8")
        wbx = self.read(self.workbook_part).decode("utf-8")
        at = [s.name for s in self.sheets].index(after)
        sheet_id = 1 + max(s.sheet_id for s in self.sheets)
        els = list(re.finditer(r"<(\w+:)?sheet\b[^>]*?/>", wbx))
        prev = els[at]
        pre = prev.group(1) or ""
        rpre = re.search(r'\s(\w+):id="', prev.group(0)).group(1)
        el = f'<{pre}sheet name="{esc_attr(name)}" sheetId="{sheet_id}" {rpre}:id="{rid}"/>'
        wbx = wbx[: prev.end()] + el + wbx[prev.end():]
        idx = at + 1  # the new sheet's position; every sheet index from here moves on by one
        wbx = re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{int(m[1]) + 1 if int(m[1]) >= idx else int(m[1])}"', wbx)
        for attr in ("activeTab", "firstSheet"):
            wbx = re.sub(rf'{attr}="(\d+)"', lambda m: f'{attr}="{int(m[1]) + 1 if int(m[1]) >= idx else int(m[1])}"', wbx)
        mi = [s.name for s in self.sheets].index(model) if model else -1
        fm = model and re.search(rf'<(\w+:)?definedName\b[^>]*name="_xlnm\._FilterDatabase"[^>]*localSheetId="{mi if mi < idx else mi + 1}"[^>]*>', wbx)
        af = re.search(rb"<" + p + rb'autoFilter\b[^>]*ref="([^"]+)"', new)
        if fm and af:
            dn = fm.group(1) or ""
            quoted = "'" + name.replace("'", "''") + "'"
            r1, c1, r2, c2 = parse_range(af.group(1).decode())
            ref = f"{quoted}!${schema.col_letter(c1)}${r1}:${schema.col_letter(c2)}${r2}"
            wbx = re.sub(r"</(\w+:)?definedNames>", lambda m: f'<{dn}definedName name="_xlnm._FilterDatabase" localSheetId="{idx}" hidden="1">{esc(ref)}</{dn}definedName>' + m.group(0), wbx, count=1)
        self.changed[self.workbook_part] = wbx.encode("utf-8")
        self.sheets.insert(idx, SheetRef(name, sheet_id, rid, part))
        self._app_add_sheet(name, after)
        return part

    def put_sheet(self, name: str, source: "PackagePort") -> None:
        """Replace the cells of sheet ``name`` with the same-named sheet of ``source`` (a
        workbook xlflow just made, e.g. the filled forms), keeping what the office added.

        Kept from the sheet as it was: rows below both the old print area and the new sheet
        (a signature line) with their merged cells, and every part the sheet points to (a
        logo, notes, a header picture) with the elements that point to them. The new cells'
        styles are brought into this workbook's styles; the print titles and area follow
        the new sheet.
        """
        ref = self.sheet(name)
        old = self.read(ref.part)
        new = source.read(source.sheet(name).part)
        old_ed = SheetEdit(name, old, self.styles, self.date1904)
        new_ed = SheetEdit(name, new, source.styles, source.date1904)
        if old_ed.p != new_ed.p:
            raise WorkbookError(f"{name}: the sheet is written in an XML form xlflow does not edit — open the workbook in Excel and save it again")
        p = old_ed.p
        styles = self.styles
        remap = lambda m: m.group(1) + str(styles.import_xf(source.styles, int(m.group(2)))).encode() + b'"'  # noqa: E731
        new = re.sub(rb'(<' + p + rb'(?:c|row)\b[^>]*?\ss=")(\d+)"', remap, new)
        new = re.sub(rb'(<' + p + rb'col\b[^>]*?\sstyle=")(\d+)"', remap, new)
        nds, nde, _ = SheetEdit(name, new, styles, self.date1904)._sheet_data()
        new_rows = SheetEdit(name, new, styles, self.date1904)._rows(nds, nde)
        new_last = new_rows[-1][0] if new_rows else 0
        idx = [s.name for s in self.sheets].index(name)
        wbx = self.read(self.workbook_part).decode("utf-8")
        area = re.search(rf'<(?:\w+:)?definedName\b[^>]*name="_xlnm\.Print_Area"[^>]*localSheetId="{idx}"[^>]*>([^<]*)<', wbx)
        old_end = 0
        if area:
            m = re.search(r"\$?(\d+)\s*$", html_unescape(area.group(1)).split(",")[0])
            old_end = int(m.group(1)) if m else 0
        keep_from = max(new_last, old_end) + 1
        ods, ode, _ = old_ed._sheet_data()
        kept = [old[s:e] for r, s, e in old_ed._rows(ods, ode) if r >= keep_from]
        kept_merges = [m.group(0) for m in re.finditer(rb"<" + p + rb'mergeCell\b[^>]*ref="([^"]+)"[^>]*/>', old)
                       if parse_range(m.group(1).decode())[0] >= keep_from]
        if kept:
            new = new[:nde] + b"".join(kept) + new[nde:]
            last = max(r for r, _, _ in old_ed._rows(ods, ode))
            new = SheetEdit(name, new, styles, self.date1904)._dimension(new, last)
        if kept_merges:
            mc = re.search(rb"<" + p + rb"mergeCells\b[^>]*?(/?)>", new)
            if mc and not mc.group(1):
                end = new.index(b"</" + p + b"mergeCells>", mc.end())
                inner = new[mc.end():end] + b"".join(kept_merges)
                new = new[:mc.start()] + b"<" + p + b'mergeCells count="%d">' % inner.count(b"<" + p + b"mergeCell ") + inner + new[end:]
            else:
                at = new.index(b"</" + p + b"sheetData>") + len(b"</" + p + b"sheetData>")
                new = new[:at] + b"<" + p + b'mergeCells count="%d">' % len(kept_merges) + b"".join(kept_merges) + b"</" + p + b"mergeCells>" + new[at:]
        tail = []
        for el in (b"drawing", b"legacyDrawing", b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems", b"tableParts", b"extLst"):
            tail += re.findall(rb"<" + p + el + rb"\b[^>]*?/>|<" + p + el + rb"\b.*?</" + p + el + rb">", old, flags=re.S)
            new = re.sub(rb"<" + p + el + rb"\b[^>]*?/>|<" + p + el + rb"\b.*?</" + p + el + rb">", b"", new, flags=re.S)
        if tail:
            close = new.rindex(b"</" + p + b"worksheet>")
            new = new[:close] + b"".join(tail) + new[close:]
            root_old = re.search(rb"<" + p + rb"worksheet\b[^>]*>", old).group(0)
            root_new = re.search(rb"<" + p + rb"worksheet\b[^>]*>", new)
            decl = [d for d in re.findall(rb'\sxmlns:\w+="[^"]*"', root_old) if d.split(b"=")[0] not in root_new.group(0)]
            if decl:
                new = new[: root_new.end() - 1] + b"".join(decl) + new[root_new.end() - 1:]
        self.changed[ref.part] = new
        # print titles and area: the new sheet's, at this sheet's index
        src_wbx = source.read(source.workbook_part).decode("utf-8")
        src_idx = [s.name for s in source.sheets].index(name)
        names = [m.group(0) for m in re.finditer(rf'<definedName\b[^>]*name="_xlnm\.Print_(?:Titles|Area)"[^>]*localSheetId="{src_idx}"[^>]*>[^<]*</definedName>', src_wbx)]
        wbx = re.sub(rf'<(\w+:)?definedName\b[^>]*name="_xlnm\.Print_(?:Titles|Area)"[^>]*localSheetId="{idx}"[^>]*>[^<]*</\1?definedName>', "", wbx)
        dn = (re.search(r"<(\w+:)?workbook\b", wbx).group(1) or "")
        names = [re.sub(r'localSheetId="\d+"', f'localSheetId="{idx}"', n).replace("<definedName", f"<{dn}definedName").replace("</definedName>", f"</{dn}definedName>")
                 for n in names]
        if names:
            if re.search(rf"</{dn}definedNames>", wbx):
                wbx = wbx.replace(f"</{dn}definedNames>", "".join(names) + f"</{dn}definedNames>", 1)
            else:
                at = (re.search(rf"</{dn}externalReferences>", wbx) or re.search(rf"</{dn}sheets>", wbx)).end()
                wbx = wbx[:at] + f"<{dn}definedNames>" + "".join(names) + f"</{dn}definedNames>" + wbx[at:]
        if wbx.encode("utf-8") != self.read(self.workbook_part):
            self.changed[self.workbook_part] = wbx.encode("utf-8")

    def set_xlflow_shapes(self, sheet: str, anchors: list[str]) -> None:
        """xlflow's shapes on ``sheet`` (a flow chart): the old ones (named ``xlflow …``) are
        replaced, the office's own shapes in the same drawing (a logo) are kept; the drawing
        part, its relationship and the sheet's ``<drawing>`` are made when the sheet has none."""
        from ..flowchart import A, PREFIX, XDR

        ref = self.sheet(sheet)
        rels = self.rels(ref.part)
        found = next(((rid, t) for rid, (ty, t, mode) in rels.items() if ty.endswith("/drawing") and mode != "External"), None)
        anchor = re.compile(r"<xdr:(twoCellAnchor|oneCellAnchor|absoluteAnchor)\b.*?</xdr:\1>", re.S)
        if found is not None:
            rid, part = found
            xml = self.read(part).decode("utf-8")
            if 'xmlns:xdr="' + XDR + '"' not in xml or 'xmlns:a="' + A + '"' not in xml:
                raise WorkbookError(f"{sheet}: its drawing is written in a form xlflow does not edit — delete the shapes on the sheet, then try again; nothing was changed")
            kept = [m.group(0) for m in anchor.finditer(xml) if f'name="{PREFIX}' not in m.group(0)]
            top = max([0, *(int(x) for k in kept for x in re.findall(r'<xdr:cNvPr id="(\d+)"', k))])  # ours after the office's
            mine = [re.sub(r'(<xdr:cNvPr id="|<a:(?:stCxn|endCxn) id=")(\d+)"', lambda m: f'{m.group(1)}{int(m.group(2)) + top}"', a) for a in anchors]
            head = xml[: xml.index(">", xml.index("<xdr:wsDr")) + 1]
            self.changed[part] = (head + "".join(kept) + "".join(mine) + "</xdr:wsDr>").encode("utf-8")
            return
        from ..flowchart import drawing

        names = {i.filename for i in self.infos} | set(self.changed)
        n = 1 + max((int(m.group(1)) for x in names if (m := re.fullmatch(r"xl/drawings/drawing(\d+)\.xml", x))), default=0)
        part = f"xl/drawings/drawing{n}.xml"
        self.changed[part] = drawing(anchors).encode("utf-8")
        self._new_parts = getattr(self, "_new_parts", []) + [part]
        types = self.read("[Content_Types].xml").decode("utf-8")
        types = re.sub(r"</(\w+:)?Types>", lambda m: f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/>' + m.group(0), types, count=1)
        self.changed["[Content_Types].xml"] = types.encode("utf-8")
        rp = rels_part(ref.part)
        if self.has(rp):
            text = self.read(rp).decode("utf-8")
        else:
            text = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}"></Relationships>'
            if rp not in self.by_name:
                self._new_parts.append(rp)
        ids = set(re.findall(r'\sId="([^"]+)"', text))
        k = 1
        while f"rId{k}" in ids:
            k += 1
        rid = f"rId{k}"
        text = re.sub(r"</(\w+:)?Relationships>", lambda m: f'<Relationship Id="{rid}" Type="{REL}/drawing" Target="/{part}"/>' + m.group(0), text, count=1)
        self.changed[rp] = text.encode("utf-8")
        xml = self.read(ref.part)
        p = SheetEdit(sheet, xml, self.styles, self.date1904).p
        el = b"<" + p + b'drawing xmlns:r="' + REL.encode() + b'" r:id="' + rid.encode() + b'"/>'
        at = None
        for name in (b"legacyDrawing", b"legacyDrawingHF", b"drawingHF", b"picture", b"oleObjects", b"controls", b"webPublishItems", b"tableParts", b"extLst"):
            m = re.search(rb"<" + p + name + rb"\b", xml)
            if m:
                at = m.start()
                break
        if at is None:
            at = xml.rindex(b"</" + p + b"worksheet>")
        self.changed[ref.part] = xml[:at] + el + xml[at:]

    def register_id(self) -> str | None:
        """The register's id (a hidden workbook name), or None for a register that has none yet."""
        return register_id_in(self.read(self.workbook_part).decode("utf-8"))

    def ensure_register_id(self) -> str:
        """The register's id, given to it now (in ``workbook.xml``) if it has none."""
        found = self.register_id()
        if found:
            return found
        rid = new_register_id()
        wbx = self.read(self.workbook_part).decode("utf-8")
        dn = re.search(r"<(\w+:)?workbook\b", wbx).group(1) or ""
        el = f'<{dn}definedName name="{REGISTER_ID}" hidden="1">&quot;{rid}&quot;</{dn}definedName>'
        if re.search(rf"</{dn}definedNames>", wbx):
            wbx = re.sub(rf"<{dn}definedNames>", lambda m: m.group(0) + el, wbx, count=1)
        else:
            at = (re.search(rf"</{dn}externalReferences>", wbx) or re.search(rf"</{dn}sheets>", wbx)).end()
            wbx = wbx[:at] + f"<{dn}definedNames>{el}</{dn}definedNames>" + wbx[at:]
        self.changed[self.workbook_part] = wbx.encode("utf-8")
        return rid

    def _copy_header_notes(self, model_part: str) -> bytes | None:
        """The notes of ``model_part``'s header row, copied into new comment and VML parts
        for a continuation sheet; returns the new sheet's relationships (None: no notes)."""
        rels = self.rels(model_part)
        kinds = {ty.rsplit("/", 1)[-1]: (rid, t) for rid, (ty, t, mode) in rels.items() if mode != "External"}
        if "comments" not in kinds or "vmlDrawing" not in kinds:
            return None
        names = {i.filename for i in self.infos} | set(self.changed)

        def free(pattern: str, fmt: str) -> str:
            k = 1 + max((int(m.group(1)) for x in names if (m := re.fullmatch(pattern, x))), default=0)
            return fmt.format(k)

        c_rid, c_part = kinds["comments"]
        v_rid, v_part = kinds["vmlDrawing"]
        comments = self.read(c_part).decode("utf-8")
        comments = re.sub(r'<(\w+:)?comment\b[^>]*\sref="[A-Z]+(?!1")\d+"[^>]*>.*?</\1?comment>', "", comments, flags=re.S)
        vml = self.read(v_part).decode("utf-8", "replace")
        vml = re.sub(r"<v:shape\b(?:(?!</v:shape>).)*?<x:Row>(?!0<)\d+</x:Row>.*?</v:shape>", "", vml, flags=re.S)
        new_c = free(r"xl/comments/comment(\d+)\.xml", "xl/comments/comment{}.xml")
        new_v = free(r"xl/drawings/commentsDrawing(\d+)\.vml", "xl/drawings/commentsDrawing{}.vml")
        self.changed[new_c] = comments.encode("utf-8")
        self.changed[new_v] = vml.encode("utf-8")
        self._new_parts = getattr(self, "_new_parts", []) + [new_c, new_v]
        types = self.read("[Content_Types].xml").decode("utf-8")
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
        types = re.sub(r"</(\w+:)?Types>", lambda m: f'<Override PartName="/{new_c}" ContentType="{ctype}"/>' + m.group(0), types, count=1)
        if not re.search(r'Extension="vml"', types, re.I):
            vtype = "application/vnd.openxmlformats-officedocument.vmlDrawing"
            types = re.sub(r"</(\w+:)?Types>", lambda m: f'<Override PartName="/{new_v}" ContentType="{vtype}"/>' + m.group(0), types, count=1)
        self.changed["[Content_Types].xml"] = types.encode("utf-8")
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{PKG_REL}">'
                f'<Relationship Id="{c_rid}" Type="{REL}/comments" Target="/{new_c}"/>'
                f'<Relationship Id="{v_rid}" Type="{REL}/vmlDrawing" Target="/{new_v}"/></Relationships>').encode("utf-8")

    def _app_add_sheet(self, name: str, after: str) -> None:
        """``docProps/app.xml``'s list of sheets, if it has one: the new name after ``after``
        (dropped when it is not the list Excel writes: a stale list is worse than none)."""
        part = "docProps/app.xml"
        if not self.has(part):
            return
        app = self.read(part).decode("utf-8")
        if "TitlesOfParts" not in app:
            return
        new = app
        ok = False
        m = re.search(r"(<vt:lpstr>(?:Worksheets|แผ่นงาน)</vt:lpstr></vt:variant><vt:variant><vt:i4>)(\d+)(</vt:i4>)", new)
        t = re.search(r"(<TitlesOfParts>\s*<vt:vector\b[^>]*size=\")(\d+)(\"[^>]*>)(.*?)(</vt:vector>)", new, re.S)
        if m and t:
            names = re.findall(r"<vt:lpstr>(.*?)</vt:lpstr>", t.group(4), re.S)
            target = esc(after)
            if target in names:
                i = names.index(target)
                names.insert(i + 1, esc(name))
                inner = "".join(f"<vt:lpstr>{n}</vt:lpstr>" for n in names)
                new = new[: t.start()] + t.group(1) + str(len(names)) + t.group(3) + inner + t.group(5) + new[t.end():]
                m = re.search(r"(<vt:lpstr>(?:Worksheets|แผ่นงาน)</vt:lpstr></vt:variant><vt:variant><vt:i4>)(\d+)(</vt:i4>)", new)
                new = new[: m.start(2)] + str(int(m.group(2)) + 1) + new[m.end(2):]
                ok = True
        if not ok:
            new = re.sub(r"<(HeadingPairs|TitlesOfParts)>.*?</\1>", "", app, flags=re.S)
        self.changed[part] = new.encode("utf-8")

    # -- saving ---------------------------------------------------------------------------------
    def _finish(self) -> None:
        formula_touched = False
        for name in list(self._edits):  # one sheet at a time: made, deflated, and let go
            ed = self._edits.pop(name)
            data = ed.result()
            formula_touched |= ed.formula_touched
            if data is not ed.data:
                part = self.sheet(name).part
                self.changed.pop(part, None)
                self.packed[part] = zipraw.pack(data)
            del ed, data
        if self._styles is not None and self._styles.changed:
            self.changed[self._styles_part] = self._styles.data()
        if formula_touched:
            self._drop_calc_chain()

    def _drop_calc_chain(self) -> None:
        rels = self.rels(self.workbook_part)
        chain = next(((rid, t) for rid, (ty, t, _) in rels.items() if ty.endswith("/calcChain")), None)
        if chain is None:
            return
        rid, part = chain
        self.dropped.add(part)
        rp = rels_part(self.workbook_part)
        text = self.read(rp).decode("utf-8")
        self.changed[rp] = re.sub(rf'<(\w+:)?Relationship\b[^>]*\sId="{re.escape(rid)}"[^>]*/>', "", text).encode("utf-8")
        types = self.read("[Content_Types].xml").decode("utf-8")
        self.changed["[Content_Types].xml"] = re.sub(rf'<(\w+:)?Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "", types).encode("utf-8")

    def save_to(self, dest: Path) -> None:
        """Write the edited package to ``dest``: changed parts deflated, the rest copied raw."""
        self._finish()
        members = []
        for info in self.infos:
            if info.filename in self.dropped:
                continue
            members.append(zipraw.Member(info, self.changed.get(info.filename), self.packed.get(info.filename)))
        for part in getattr(self, "_new_parts", []):
            members.append(zipraw.Member(zipraw.new_info(part, self.infos[0] if self.infos else None), self.changed.get(part), self.packed.get(part)))
        try:
            zipraw.write(self.path, Path(dest), members)
        except zipraw.ZipTooLarge:
            raise WorkbookError(f"{self.path.name}: the workbook would be larger than 4 GB — start a new register for the new fiscal year") from None

    # the door's "save" of service.save_atomic
    def save(self, dest) -> None:
        self.save_to(Path(dest))


def parse_table(data: bytes) -> Table:
    """A Table part's extent, Total Row and calculated columns."""
    root = ET.fromstring(data)
    r1, c1, r2, c2 = parse_range(root.get("ref"))
    header = int(root.get("headerRowCount", "1"))
    totals = int(root.get("totalsRowCount", "0"))
    calculated = {}
    for i, col in enumerate(root.iter(f"{{{MAIN}}}tableColumn")):
        f = col.find(f"{{{MAIN}}}calculatedColumnFormula")
        if f is not None and f.text and (f.get("array") not in ("1", "true")):
            calculated[c1 + i] = f.text.lstrip("=")
    return Table(root.get("displayName") or root.get("name") or "", c1, r1 if header else r1 - 1, c2, r2, totals, calculated)


def register_facts(path: Path) -> tuple[Table | None, str | None]:
    """The Register sheet's Table and the register's id, read from the package without
    reading any sheet (None where the file has none, or cannot tell)."""
    try:
        port = PackagePort(path)
    except (WorkbookError, KeyError, ValueError, ET.ParseError, zipfile.BadZipFile, OSError):
        return None, None
    try:
        rid = port.register_id()
    except (KeyError, ValueError, UnicodeDecodeError):
        rid = None
    try:
        table = port.table(schema.SHEETS["register"]) if schema.SHEETS["register"] in port.sheet_names() else None
    except (WorkbookError, KeyError, ValueError, ET.ParseError):
        table = None
    return table, rid


def register_table(path: Path) -> Table | None:
    """The Register sheet's Table, read from the package without reading any sheet."""
    return register_facts(path)[0]
