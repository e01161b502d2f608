"""The process-design form's flow chart as native Excel shapes (DrawingML), from the process.

A terminator at the start and the end, a process box per sub-step, the decision diamond
where a sub-step can send the work back (5.1) with its "ไม่เห็นชอบ" connector back to the
sub-step it returns to, and arrows between them — laid out in the form's ผังกระบวนการ
column, one main step per row, so that the office can move and edit them in Excel and an
edited Process sheet redraws. The legend rows get the same shapes. Every shape is named
``xlflow …`` so that a new drawing replaces xlflow's old shapes and keeps the office's own
(a logo) in the same drawing part.

Pure: the process and the rows' places in, the drawing's XML out. Sizes in EMU (914,400 an
inch, 12,700 a point).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from .process import END, Process

XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"
PREFIX = "xlflow "  # the names of xlflow's shapes
FONT = "TH Sarabun New"

COL = 1  # the ผังกระบวนการ column (B), 0-based
X = 130_000  # the shapes' left edge within the column
W = 1_150_000  # a shape's width
H = {"terminal": 230_000, "process": 250_000, "decision": 400_000}
GAP = 120_000  # an arrow between two shapes of a row
PAD = 90_000  # above the first and below the last shape of a row
LOOP = 160_000  # how far right of the shapes the send-back line runs
GEOM = {"terminal": "flowChartTerminator", "process": "flowChartProcess", "decision": "flowChartDecision",
        "connector": "flowChartConnector"}
PT = 12_700


@dataclass(frozen=True)
class Node:
    key: str  # a sub-step's code, or "start" / "end"
    kind: str  # terminal, process, decision
    label: str


def nodes_of_step(process: Process, step: int) -> list[Node]:
    """The shapes of one main step, top to bottom (the start before the first sub-step, the end
    after the one that ends the process)."""
    out = []
    subs = [s for s in process if s.step == step]
    for s in subs:
        if s.code == process.first.code:
            out.append(Node("start", "terminal", "เริ่มต้น"))
        out.append(Node(s.code, "decision" if s.is_decision else "process", s.code))
        if s.next == END:
            out.append(Node("end", "terminal", "สิ้นสุด"))
    return out


def row_height_pt(process: Process, step: int) -> float:
    """The height a step's row needs for its shapes, in points."""
    nodes = nodes_of_step(process, step)
    emu = 2 * PAD + sum(H[n.kind] for n in nodes) + GAP * max(0, len(nodes) - 1)
    return round(emu / PT + 1, 1)


class _Ids:
    def __init__(self):
        self.n = 1

    def __call__(self) -> int:
        self.n += 1
        return self.n


def _text(label: str, size: int = 1200, vert: str = "") -> str:
    """A shape's text, a paragraph per line of ``label``."""
    v = f' vert="{vert}"' if vert else ""
    paras = "".join(
        f'<a:p><a:pPr algn="ctr"/><a:r><a:rPr lang="th-TH" sz="{size}"><a:solidFill><a:srgbClr val="000000"/></a:solidFill>'
        f'<a:latin typeface="{FONT}"/><a:cs typeface="{FONT}"/></a:rPr><a:t>{escape(line)}</a:t></a:r></a:p>' for line in label.split("\n"))
    return (f'<xdr:txBody><a:bodyPr{v} vertOverflow="overflow" horzOverflow="overflow" wrap="square" lIns="18000" tIns="0" rIns="18000" bIns="0" anchor="ctr"/>'
            f'<a:lstStyle/>{paras}</xdr:txBody>')


def _anchor(row: int, col_off: int, row_off: int, cx: int, cy: int, body: str, col: int = COL) -> str:
    return (f"<xdr:oneCellAnchor><xdr:from><xdr:col>{col}</xdr:col><xdr:colOff>{col_off}</xdr:colOff><xdr:row>{row}</xdr:row>"
            f'<xdr:rowOff>{row_off}</xdr:rowOff></xdr:from><xdr:ext cx="{cx}" cy="{cy}"/>{body}<xdr:clientData/></xdr:oneCellAnchor>')


def _shape(sid: int, name: str, kind: str, cx: int, cy: int, label: str, size: int = 1200) -> str:
    return (f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="{sid}" name="{escape(PREFIX + name)}"/><xdr:cNvSpPr/></xdr:nvSpPr>'
            f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="{GEOM[kind]}"><a:avLst/></a:prstGeom>'
            f'<a:solidFill><a:srgbClr val="FFFFFF"/></a:solidFill><a:ln w="12700"><a:solidFill><a:srgbClr val="000000"/></a:solidFill></a:ln></xdr:spPr>'
            f"{_text(label, size) if label else ''}</xdr:sp>")


def _arrow(sid: int, name: str, cy: int, start: tuple[int, int] | None, end: tuple[int, int] | None, cx: int = 0) -> str:
    st = f'<a:stCxn id="{start[0]}" idx="{start[1]}"/>' if start else ""
    en = f'<a:endCxn id="{end[0]}" idx="{end[1]}"/>' if end else ""
    return (f'<xdr:cxnSp macro=""><xdr:nvCxnSpPr><xdr:cNvPr id="{sid}" name="{escape(PREFIX + name)}"/><xdr:cNvCxnSpPr>{st}{en}</xdr:cNvCxnSpPr></xdr:nvCxnSpPr>'
            f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="straightConnector1"><a:avLst/></a:prstGeom>'
            f'<a:ln w="12700"><a:solidFill><a:srgbClr val="000000"/></a:solidFill><a:tailEnd type="triangle"/></a:ln></xdr:spPr></xdr:cxnSp>')


def _loop(sid: int, name: str, cx: int, cy: int, label: str) -> str:
    """The send-back line: right from the diamond, up, and left into the box it returns to.

    A drawn path, not a connector: LibreOffice re-routes a connector of an .xlsx between its
    shapes' glue points (an elbow or a path alike came out as a straight line up the boxes'
    edge, tried), and the PDF is what the PMQA team reads. Moving a box in Excel leaves it
    behind; the straight arrows are connectors and follow."""
    path = (f'<a:custGeom><a:avLst/><a:gdLst/><a:ahLst/><a:cxnLst/><a:rect l="0" t="0" r="r" b="b"/><a:pathLst>'
            f'<a:path w="{cx}" h="{cy}" fill="none"><a:moveTo><a:pt x="0" y="{cy}"/></a:moveTo><a:lnTo><a:pt x="{cx}" y="{cy}"/></a:lnTo>'
            f'<a:lnTo><a:pt x="{cx}" y="0"/></a:lnTo><a:lnTo><a:pt x="0" y="0"/></a:lnTo></a:path></a:pathLst></a:custGeom>')
    return (f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="{sid}" name="{escape(PREFIX + name)}"/><xdr:cNvSpPr/></xdr:nvSpPr>'
            f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>{path}<a:noFill/>'
            f'<a:ln w="12700"><a:solidFill><a:srgbClr val="C00000"/></a:solidFill><a:prstDash val="dash"/><a:tailEnd type="triangle"/></a:ln></xdr:spPr>'
            f"{_text(label, 1000, 'vert270')}</xdr:sp>")


def _label(sid: int, name: str, cx: int, cy: int, text: str) -> str:
    """A text box with no border (the send-back line's words)."""
    body = _text(text, 1000).replace(' wrap="square"', "", 1).replace('anchor="ctr"', 'anchor="ctr" wrap="none"', 1)
    body = body.replace('algn="ctr"', 'algn="l"')
    return (f'<xdr:sp macro="" textlink=""><xdr:nvSpPr><xdr:cNvPr id="{sid}" name="{escape(PREFIX + name)}"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
            f'<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom><a:noFill/><a:ln><a:noFill/></a:ln></xdr:spPr>'
            f"{body}</xdr:sp>")


def anchors(process: Process, step_rows: dict[int, tuple[int, float]], legend_rows: dict[str, int] | None = None) -> list[str]:
    """The flow chart's anchors: ``step_rows`` maps each main step to its row (1-based) and the
    row's height in points; ``legend_rows`` maps a symbol (terminal, activity, decision,
    direction, connector) to its legend row, whose column A gets the shape."""
    ids = _Ids()
    out: list[str] = []
    place: dict[str, tuple[int, int, int, int]] = {}  # node key → (shape id, row 0-based, top offset, height)
    steps = sorted(step_rows)
    # every shape's id first, so that each arrow names the shape it enters as well as the one
    # it leaves: Excel then keeps an arrow on both when the office moves a box
    sid_of = {n.key: ids() for step in steps for n in nodes_of_step(process, step)}
    for k, step in enumerate(steps):
        row, height_pt = step_rows[step]
        nodes = nodes_of_step(process, step)
        top = PAD + max(0, int(height_pt * PT) - (2 * PAD + sum(H[n.kind] for n in nodes) + GAP * max(0, len(nodes) - 1))) // 2
        prev = None
        for n in nodes:
            sid = sid_of[n.key]
            h = H[n.kind]
            out.append(_anchor(row - 1, X, top, W, h, _shape(sid, n.key, n.kind, W, h, n.label)))
            if prev is not None:  # from the bottom (connection site 2) of one shape to the top (0) of the next
                psid, _, ptop, ph = prev
                out.append(_anchor(row - 1, X + W // 2, ptop + ph, 0, GAP, _arrow(ids(), f"→ {n.key}", GAP, (psid, 2), (sid, 0))))
            prev = (sid, row - 1, top, h)
            place[n.key] = prev
            top += h + GAP
        # on to the next step's first shape, across the row boundary
        if k + 1 < len(steps) and prev is not None:
            nrow, nheight = step_rows[steps[k + 1]]
            nnodes = nodes_of_step(process, steps[k + 1])
            ntop = PAD + max(0, int(nheight * PT) - (2 * PAD + sum(H[x.kind] for x in nnodes) + GAP * max(0, len(nnodes) - 1))) // 2
            psid, prow, ptop, ph = prev
            gap = int(height_pt * PT) - (ptop + ph) + sum(int(step_rows[s][1] * PT) for s in steps if row < step_rows[s][0] < nrow) + ntop
            out.append(_anchor(prow, X + W // 2, ptop + ph, 0, max(gap, 1),
                               _arrow(ids(), f"→ {nnodes[0].key}", max(gap, 1), (psid, 2), (sid_of[nnodes[0].key], 0))))
    # the send-back lines: from each decision's right vertex to the right side of where it returns
    for s in process:
        if not s.is_decision or s.code not in place or s.reject_to not in place:
            continue
        dsid, drow, dtop, dh = place[s.code]
        bsid, brow, btop, bh = place[s.reject_to]
        rows_between = {step_rows[st][0] - 1: step_rows[st][1] for st in steps}
        y0 = btop + bh // 2
        span = sum(int(rows_between[r] * PT) for r in range(brow, drow) if r in rows_between) - y0 + dtop + dh // 2
        if span > 0:
            out.append(_anchor(brow, X + W, y0, LOOP, span, _loop(ids(), f"ไม่เห็นชอบ {s.code} → {s.reject_to}", LOOP, span, "")))
            # two short lines right of the line, clear of it, inside the ผังกระบวนการ column
            label = f"ไม่เห็นชอบ\n→ {s.reject_to}"
            out.append(_anchor(drow, X + W + LOOP + 45_000, dtop + dh // 2 - 250_000, 560_000, 500_000,
                               _label(ids(), f"label {s.code}", 560_000, 500_000, label)))
    for key, row in (legend_rows or {}).items():
        kind = {"terminal": "terminal", "activity": "process", "decision": "decision", "connector": "connector"}.get(key)
        if kind:
            cy = 200_000 if kind != "connector" else 160_000
            cx = 420_000 if kind != "connector" else 160_000
            out.append(_anchor(row - 1, 30_000, 40_000, cx, cy, _shape(ids(), f"legend {key}", kind, cx, cy, ""), col=0))
        elif key == "direction":
            out.append(_anchor(row - 1, 30_000, 140_000, 420_000, 0, _arrow(ids(), "legend direction", 0, None, None, cx=420_000), col=0))
    return out


def drawing(anchors_xml: list[str]) -> str:
    """A whole drawing part holding ``anchors_xml``."""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<xdr:wsDr xmlns:xdr="{XDR}" xmlns:a="{A}">'
            + "".join(anchors_xml) + "</xdr:wsDr>")
