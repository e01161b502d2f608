"""Lines of text a PDF cuts off: the oracle of issue 17, point 2 ("every line of every cell
is inside its cell").

Why the content stream and not pixels: LibreOffice draws a cell's text plainly when it fits
and, when it does not, first sets a clip path to the cell's rectangle (``x y w h re W* n``)
and draws every line anyway, so a cut line is still in the PDF, placed where it would have
been. Each text-showing operator is followed here through the PDF's own state (``q``/``Q``,
``cm``, ``BT``, ``Tf``, ``Td``, ``Tm``, ``TJ``), and each line's box -- from its start to its
width in the font's ``Widths``, its glyphs' boxes as the embedded font's ``glyf`` table
gives them (the ink: a Thai mark above or below counts, an empty line's room does not) --
must lie inside the clip in force. A page's header and footer are clipped the same way, so a cut footer is
found too.

Only what LibreOffice writes is read: simple TrueType fonts (``/Widths``), rectangular clips
(a turned or slanted glyph counts by the box around it), page content only: LibreOffice
draws cells, charts and shapes there, not in form XObjects, and a page that has one fails
loudly rather than passing unseen (a picture, an image XObject, has no text to check). Anything else unread fails loudly too.
"""

from __future__ import annotations

import re
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ContentStream

TOLERANCE = 0.6  # points: LibreOffice rounds positions to its 1/100 mm grid

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m × n (PDF order: apply m, then n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    def inside(self, other: "Box", tol: float = TOLERANCE) -> bool:
        return (self.x0 >= other.x0 - tol and self.y0 >= other.y0 - tol
                and self.x1 <= other.x1 + tol and self.y1 <= other.y1 + tol)

    def meet(self, other: "Box") -> "Box":
        return Box(max(self.x0, other.x0), max(self.y0, other.y0), min(self.x1, other.x1), min(self.y1, other.y1))


def _box(m: Matrix, x0: float, y0: float, x1: float, y1: float) -> Box:
    pts = [_apply(m, x, y) for x in (x0, x1) for y in (y0, y1)]
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return Box(min(xs), min(ys), max(xs), max(ys))


@dataclass(frozen=True)
class Cut:
    """The ink of one text-showing operator (a line, or a run of one) not wholly inside its clip."""

    page: int
    line: Box
    clip: Box
    text: str

    def __str__(self) -> str:
        over = max(self.clip.y0 - self.line.y0, self.line.y1 - self.clip.y1, self.clip.x0 - self.line.x0, self.line.x1 - self.clip.x1)
        return (f"page {self.page}: {self.text!r} at y {self.line.y0:.1f}–{self.line.y1:.1f} is cut by "
                f"{over:.1f} pt (its cell: y {self.clip.y0:.1f}–{self.clip.y1:.1f}, x {self.clip.x0:.1f}–{self.clip.x1:.1f})")


class _Font:
    """A simple TrueType font as LibreOffice embeds it: a width per code (``/Widths``) and,
    from the embedded subset, the box of each code's glyph (``cmap`` 1/0, ``loca``, ``glyf``)."""

    def __init__(self, font) -> None:
        font = font.get_object()
        if font["/Subtype"] != "/TrueType" or "/Widths" not in font:
            raise AssertionError(f"pdf_cells reads simple TrueType fonts only, not {font['/Subtype']} {font.get('/BaseFont')}")
        self.name = str(font["/BaseFont"])
        self.first = int(font["/FirstChar"])
        self.widths = [float(w) for w in font["/Widths"]]
        self.boxes = _glyph_boxes(font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data())

    def width(self, code: int) -> float:
        i = code - self.first
        return self.widths[i] if 0 <= i < len(self.widths) else 0.0


def _glyph_boxes(data: bytes) -> dict[int, tuple[float, float, float, float]]:
    """Each character code's glyph box (xMin, yMin, xMax, yMax) in thousandths of the font
    size; codes whose glyph draws nothing (a space) are left out."""
    tables = {}
    for i in range(struct.unpack(">H", data[4:6])[0]):
        tag, _, off, length = struct.unpack(">4sIII", data[12 + 16 * i:28 + 16 * i])
        tables[tag] = data[off:off + length]
    head, cmap, loca, glyf = tables[b"head"], tables[b"cmap"], tables[b"loca"], tables[b"glyf"]
    scale = 1000 / struct.unpack(">H", head[18:20])[0]
    long_loca = struct.unpack(">h", head[50:52])[0] == 1
    gids = None
    for i in range(struct.unpack(">H", cmap[2:4])[0]):
        platform, encoding, off = struct.unpack(">HHI", cmap[4 + 8 * i:12 + 8 * i])
        if (platform, encoding) == (1, 0) and struct.unpack(">H", cmap[off:off + 2])[0] == 0:
            gids = cmap[off + 6:off + 6 + 256]
    if gids is None:
        raise AssertionError("pdf_cells reads a subset font with a Macintosh format-0 cmap only (LibreOffice's)")

    def where(gid: int) -> tuple[int, int]:
        if long_loca:
            return struct.unpack(">II", loca[4 * gid:4 * gid + 8])
        a, b = struct.unpack(">HH", loca[2 * gid:2 * gid + 4])
        return 2 * a, 2 * b

    boxes = {}
    for code, gid in enumerate(gids):
        start, end = where(gid)
        if end > start:
            x0, y0, x1, y1 = struct.unpack(">hhhh", glyf[start + 2:start + 10])
            boxes[code] = (x0 * scale, y0 * scale, x1 * scale, y1 * scale)
    return boxes


def lines_and_clips(pdf: Path) -> list[tuple[int, Box, Box | None, bytes]]:
    """Every text-showing operator of ``pdf``: (page, its line box, the clip in force or
    None, its character codes)."""
    reader = PdfReader(str(pdf))
    out = []
    for page_no, page in enumerate(reader.pages, start=1):
        fonts = {name: _Font(f) for name, f in (page["/Resources"].get("/Font") or {}).items()}
        if any(x.get_object().get("/Subtype") == "/Form" for x in (page["/Resources"].get("/XObject") or {}).values()):
            raise AssertionError(f"page {page_no}: pdf_cells does not enter form XObjects (content drawn apart)")
        ops = ContentStream(page.get_contents(), reader).operations
        state = {"ctm": IDENTITY, "clip": None, "font": None, "size": 0.0, "tz": 100.0, "rise": 0.0, "tc": 0.0, "tw": 0.0}
        stack: list[dict] = []
        path: list[Box] = []
        clip_next = False
        tm = tlm = IDENTITY
        for operands, op in ops:
            if op == b"q":
                stack.append(dict(state))
            elif op == b"Q":
                state = stack.pop()
            elif op == b"cm":
                state["ctm"] = _mul(tuple(float(v) for v in operands), state["ctm"])
            elif op == b"re":
                x, y, w, h = (float(v) for v in operands)
                path.append(_box(state["ctm"], x, y, x + w, y + h))
            elif op in (b"m", b"l", b"c", b"v", b"y"):
                xy = [float(v) for v in operands]
                for x, y in zip(xy[::2], xy[1::2]):
                    path.append(_box(state["ctm"], x, y, x, y))
            elif op in (b"W", b"W*"):
                clip_next = True
            elif op in (b"n", b"S", b"s", b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"):
                if clip_next and path:
                    area = Box(min(b.x0 for b in path), min(b.y0 for b in path), max(b.x1 for b in path), max(b.y1 for b in path))
                    state["clip"] = area if state["clip"] is None else state["clip"].meet(area)
                clip_next, path = False, []
            elif op == b"BT":
                tm = tlm = IDENTITY
            elif op == b"Tf":
                state["font"], state["size"] = fonts[operands[0]], float(operands[1])
            elif op == b"Tz":
                state["tz"] = float(operands[0])
            elif op == b"Ts":
                state["rise"] = float(operands[0])
            elif op == b"Tc":
                state["tc"] = float(operands[0])
            elif op == b"Tw":
                state["tw"] = float(operands[0])
            elif op in (b"Td", b"TD"):
                tm = tlm = _mul((1, 0, 0, 1, float(operands[0]), float(operands[1])), tlm)
            elif op == b"Tm":
                tm = tlm = tuple(float(v) for v in operands)
            elif op in (b"Tj", b"TJ", b"'", b'"'):
                if op in (b"'", b'"'):
                    raise AssertionError(f"page {page_no}: pdf_cells does not follow the {op.decode()} operator")
                parts = operands[0] if op == b"TJ" else [operands[0]]
                font, size, th = state["font"], state["size"], state["tz"] / 100
                trm = _mul(tm, state["ctm"])
                advance, codes, ink = 0.0, b"", []
                for part in parts:
                    if isinstance(part, (int, float)) or not hasattr(part, "original_bytes") and not isinstance(part, bytes):
                        advance -= float(part) / 1000 * size * th
                        continue
                    raw = part.original_bytes if hasattr(part, "original_bytes") else bytes(part)
                    codes += raw
                    for code in raw:
                        if code in font.boxes:
                            x0, y0, x1, y1 = (v / 1000 * size for v in font.boxes[code])
                            ink.append(_box(trm, advance + x0 * th, state["rise"] + y0, advance + x1 * th, state["rise"] + y1))
                        advance += (font.width(code) / 1000 * size + state["tc"] + (state["tw"] if code == 32 else 0)) * th
                if ink:
                    line = Box(min(b.x0 for b in ink), min(b.y0 for b in ink), max(b.x1 for b in ink), max(b.y1 for b in ink))
                    out.append((page_no, line, state["clip"], codes))
                tm = _mul((1, 0, 0, 1, advance, 0), tm)
    return out


def _words(pdf: Path) -> dict[int, list[tuple[Box, str]]]:
    """pdftotext's words per page, in PDF coordinates (y upwards), to name a cut line."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = {}
    for n, page in enumerate(xml.split("<page ")[1:], start=1):
        height = float(re.search(r'height="([\d.]+)"', page)[1])
        pages[n] = [(Box(float(a), height - float(d), float(c), height - float(b)), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)]
    return pages


def cut_lines(pdf: Path) -> list[Cut]:
    """The lines of ``pdf`` drawn under a clip that does not hold them whole."""
    cuts = [(page, line, clip) for page, line, clip, codes in lines_and_clips(pdf)
            if clip is not None and not line.inside(clip)]
    if not cuts:
        return []
    words = _words(pdf)
    out = []
    for page, line, clip in cuts:
        mid = (line.y0 + line.y1) / 2
        text = " ".join(w for b, w in words.get(page, []) if b.x1 > line.x0 and b.x0 < line.x1 and b.y0 <= mid <= b.y1)
        out.append(Cut(page, line, clip, text or "?"))
    return out
