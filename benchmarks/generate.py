"""Large registers for the benchmarks, written fast and cached by size.

    python benchmarks/generate.py --items 100000      # → benchmarks/data/register-100000-s1-v2.xlsx

The small sheets (Process, Calendar, People, Info, the forms), every style, the Register's
Excel Table, its validation lists and conditional formatting are xlflow's own template
(:func:`xlflow.template.build`), with a People sheet filled with officers so the checker
has someone to write to. The Register and Log rows are not made by openpyxl: they are
streamed as sheet XML straight into the template's zip (inline strings and serial numbers,
as openpyxl itself writes them), so 1.8 million log rows need neither cell objects nor much
memory, and the Table keeps its name, style and autofilter (its range is set to the rows).

The Log is split as xlflow splits it: at most :data:`xlflow.schema.LOG_SHEET_ROWS` rows on
each Log sheet (``schema.log_sheet_name(1)``, ``(2)``, ``(3)``, …), every one a copy of the
template's Log sheet (header, styles, widths, frozen pane, tab colour, header comments) placed
right after the one before it. Sequence numbers and the hash chain run on across the sheets;
the rows of each sheet start again at row 2.

The Log is what xlflow itself would have written: every letter is walked through the
process table (assign at the sub-steps that require it, approve or send back at the
decision, pauses while step 2 waits on outside agencies, a mistaken click undone now and
then, letters left unfinished), with times in office hours drawn around each sub-step's
standard; the rows of all letters are merged in time order, numbered, and hash-chained.
The Register's derived columns come from the library's own replay and timing.

A sidecar ``.json`` beside each file records its ``now``, row counts and a few open items an
``advance`` can act on.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import io
import json
import os
import random
import re
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from xlflow import book as bk
from xlflow import schema, template
from xlflow.model import DONE, LogEntry
from xlflow.process import END, Process
from xlflow.workflow import replay, timing
from xlflow.worktime import WorkCalendar

VERSION = 2  # bump when the generated content changes: the cache key holds it (2: the Log split over sheets)
DATA = Path(__file__).resolve().parent / "data"
#: The benchmark's "now": a Wednesday morning in fiscal year 2570. Letters arrive from the
#: start of FY 2569 (so ``evaluate --fiscal-year 2569 --round 9`` has most of them) until now.
NOW = datetime(2026, 11, 25, 10, 0)
FIRST = datetime(2025, 10, 1, 8, 30)
_EPOCH = date(1899, 12, 30)
#: Excel's last row: a sheet cannot hold more (header included). The Log is split over sheets
#: of at most ``schema.LOG_SHEET_ROWS`` rows, so every sheet of a generated register fits
#: (:func:`fits_in_excel` checks it, should that limit ever be raised past this one).
EXCEL_ROWS = 1_048_576

OFFICERS = [
    ("นายสมชาย ใจดี", "somchai.j"), ("นางสาวสุภาพร แก้วมณี", "supaporn.k"), ("นายวีระ ศรีสุข", "weera.s"),
    ("นางอรุณี บุญมา", "arunee.b"), ("นายธนากร พึ่งทอง", "thanakorn.p"), ("นางสาวปิยะนุช รุ่งเรือง", "piyanuch.r"),
    ("นายกิตติพงษ์ มั่นคง", "kittipong.m"), ("นางสาวณัฐธิดา วงศ์ใหญ่", "natthida.w"), ("นายภานุวัฒน์ สายทอง", "panuwat.s"),
    ("นางสาวจิราพร ทองคำ", "jiraporn.t"), ("นายอนุชา พรหมมา", "anucha.p"), ("นางสาวกมลวรรณ สุขเจริญ", "kamonwan.s"),
]
OTHERS = [  # one or two people for each of the other roles (by role name in the process table)
    "นางสาวมาลี ศรีงาม", "นายประเสริฐ ดีมาก", "นางวันดี รักงาน", "นางสาวพรทิพย์ ใจงาม", "นายชัยวัฒน์ ทองดี",
    "นางสาวรัตนา บุญเรือง", "นายสุรชัย มีสุข", "นางนงลักษณ์ แสงทอง", "นายปกรณ์ วิเศษ", "นางสาวดวงใจ สมบูรณ์",
    "นายวิชัย เก่งกาจ", "นางสาววรรณา ประเสริฐ",
]
UNITS = ["กลุ่มวิเทศสัมพันธ์", "กลุ่มองค์การระหว่างประเทศ", "กลุ่มความร่วมมือทวิภาคี", "กลุ่มแรงงานต่างประเทศ", "กลุ่มอาเซียน"]
SENDERS = [
    ("สำนักงานองค์การแรงงานระหว่างประเทศ (ILO)", "ILO"), ("กระทรวงการต่างประเทศ", "กต"), ("สถานเอกอัครราชทูตญี่ปุ่น", "สอท"),
    ("สำนักเลขาธิการอาเซียน", "ASEAN"), ("องค์การระหว่างประเทศเพื่อการโยกย้ายถิ่นฐาน (IOM)", "IOM"),
    ("กรมการจัดหางาน", "รง 0301"), ("กรมพัฒนาฝีมือแรงงาน", "รง 0401"), ("กรมสวัสดิการและคุ้มครองแรงงาน", "รง 0501"),
    ("สำนักงานประกันสังคม", "รง 0601"), ("สถานเอกอัครราชทูตสาธารณรัฐเกาหลี", "สอท"), ("JICA", "JICA"),
    ("สำนักงานคณะกรรมการพัฒนาการเศรษฐกิจและสังคมแห่งชาติ", "นร 1101"),
]
SUBJECTS = [
    "ขอเชิญเข้าร่วมการประชุม", "ขอความอนุเคราะห์ข้อมูลประกอบการจัดทำรายงาน", "ขอเชิญร่วมสัมมนาเชิงปฏิบัติการ",
    "การเยือนประเทศไทยของคณะผู้แทน", "ขอความเห็นต่อร่างบันทึกความเข้าใจ", "การจัดทำท่าทีไทยสำหรับการประชุม",
    "ขอให้เสนอชื่อผู้แทนเข้าร่วมการฝึกอบรม", "รายงานผลการประชุมคณะทำงาน", "ขอข้อมูลสถานการณ์แรงงานไทยในต่างประเทศ",
    "การติดตามความคืบหน้าโครงการความร่วมมือ",
]
TOPICS = ["ด้านแรงงาน", "อาเซียนว่าด้วยแรงงาน", "ILO สมัยที่ 114", "ความปลอดภัยในการทำงาน", "แรงงานข้ามชาติ", "การพัฒนาทักษะ", "ทวิภาคีไทย-ญี่ปุ่น", "APEC"]
PAUSE_REASONS = ["รอข้อมูลจากกรมการจัดหางาน", "รอความเห็นจากกระทรวงการต่างประเทศ", "รอหนังสือตอบจากองค์การระหว่างประเทศ", "รอผลการประชุมหน่วยงานภายนอก"]
REJECT_NOTES = ["ให้ทบทวนท่าทีใหม่", "ขอข้อมูลเพิ่มเติม", "ปรับถ้อยคำในหนังสือ"]


# -- the people of the People sheet ----------------------------------------------------------
def people(process: Process) -> list[tuple[str, str, str, str, str]]:
    """(name, role, unit, email, login) rows: officers for the officer role, one or two per other role."""
    out = []
    officer_role = next(r.name_th for r in process.roles if r.officer)
    for i, (name, login) in enumerate(OFFICERS):
        out.append((name, officer_role, UNITS[i % len(UNITS)], f"{login}@mol.go.th", login))
    k = 0
    for r in process.roles:
        if r.officer:
            continue
        for _ in range(2 if r.name_th.startswith("เจ้าหน้าที่งานสารบรรณ") else 1):
            name = OTHERS[k % len(OTHERS)] + ("" if k < len(OTHERS) else f" {k}")
            out.append((name, r.name_th, "สปร.", f"staff{k + 1}@mol.go.th", f"staff{k + 1}"))
            k += 1
    return out


def template_bytes(today: date, process: Process) -> bytes:
    """The template as ``xlflow init`` makes it, with the People sheet filled; as xlsx bytes."""
    wb = template.build(today, process)
    wb.properties.created = datetime(2026, 1, 1)
    pe = wb[schema.SHEETS["people"]]
    for r in range(2, pe.max_row + 1):
        for c in range(1, 6):
            pe.cell(row=r, column=c).value = None
    for r, row in enumerate(people(process), start=2):
        for c, v in enumerate(row, start=1):
            pe.cell(row=r, column=c, value=v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- simulating one letter ---------------------------------------------------------------------
class Sim:
    """Walks letters through the process table; all times are working minutes of ``cal``."""

    def __init__(self, process: Process, cal: WorkCalendar, rng: random.Random):
        self.p, self.cal, self.rng = process, cal, rng
        self.by_role: dict[str, list[str]] = {}
        for name, role, *_ in people(process):
            self.by_role.setdefault(role, []).append(name)
        self.officer_role = next(r.name_th for r in process.roles if r.officer)
        self._moment: dict[float, datetime] = {}

    def at(self, m: float) -> datetime:
        """The naive Bangkok time of working minute ``m`` (whole minutes, in office hours)."""
        t = self._moment.get(m)
        if t is None:
            t = self.cal.moment(m).replace(tzinfo=None)
            if len(self._moment) > 200_000:
                self._moment.clear()
            self._moment[m] = t
        return t

    def who(self, sub, officer: str) -> str:
        names = []
        for role in sub.roles:
            names += [officer] if role == self.officer_role and officer else self.by_role.get(role, [])
        return self.rng.choice(names) if names else "ระบบ"

    def duration(self, standard: int) -> int:
        """Working minutes a sub-step takes: mostly within its standard, with a long tail."""
        rng = self.rng
        d = standard * rng.lognormvariate(-0.55, 0.75)
        if rng.random() < 0.06:
            d *= rng.uniform(3, 25)  # the letter sat in a tray
        return max(1, int(d))

    def letter(self, item: str, m_recv: int, m_reg: int, now_m: float) -> list[tuple]:
        """One letter's actions: (minute, action, substep, by, note, data, undoes-index)."""
        p, rng = self.p, self.rng
        first = p.first
        acts: list[tuple] = []
        clerk = self.who(first, "")
        acts.append((m_reg, "register", first.code, clerk, "", {"received_at": self.at(m_recv).isoformat(timespec="seconds")}, None))
        code, rounds, officer, m = first.next, 0, "", m_reg
        stop_after = rng.randrange(1, 20) if rng.random() < 0.03 else None  # left unfinished
        while code != END and code and (stop_after is None or len(acts) < stop_after):
            sub = p[code]
            dur = self.duration(sub.standard)
            c, paused = m, 0
            if sub.step == 2 and rng.random() < 0.08:  # waits on an outside agency
                c += 1 + int(dur * 0.4 * rng.random())
                acts.append((c, "pause", code, self.who(sub, officer), rng.choice(PAUSE_REASONS), {}, None))
                paused = int(rng.randint(1, 10) * self.cal.day_minutes // 2)
                c += paused
                acts.append((c, "resume", code, self.who(sub, officer), "", {}, None))
            if sub.requires:
                value = rng.choice(UNITS) if sub.requires == "unit" else rng.choice(OFFICERS)[0]
                if sub.requires == "officer":
                    officer = value
                c += 1 + int(dur * 0.2 * rng.random())
                acts.append((c, "assign", code, self.who(sub, officer), "", {sub.requires: value}, None))
            end = max(c + 1, m + dur + paused)
            by = self.who(sub, officer)
            if sub.is_decision:
                reject = rounds < 2 and rng.random() < 0.12
                action, target = ("reject", sub.reject_to) if reject else ("approve", sub.next)
                acts.append((end, action, code, by, rng.choice(REJECT_NOTES) if reject else "", {}, None))
                rounds += reject
            else:
                action, target = "advance", sub.next
                acts.append((end, action, code, by, "", {}, None))
                if rng.random() < 0.006:  # a mistaken click, undone, then done again
                    end += rng.randint(1, 10)
                    acts.append((end, "correct", DONE if target == END else target, by, "undo advance", {}, len(acts) - 1))
                    end += rng.randint(5, 60)
                    acts.append((end, "advance", code, by, "", {}, None))
            code, m = target, end
        return [a for a in acts if a[0] <= now_m] or acts[:1]


# -- sheet XML -----------------------------------------------------------------------------
def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _serial(t) -> str:
    if isinstance(t, datetime):
        days = (t.date() - _EPOCH).days
        return repr(days + (t.hour * 3600 + t.minute * 60 + t.second) / 86400)
    return str((t - _EPOCH).days)


class SheetXml:
    """The pieces of a template sheet: everything before the data rows, the header row, the rest."""

    def __init__(self, xml: str):
        a, b = xml.index("<sheetData>"), xml.index("</sheetData>")
        self.head, self.tail = xml[:a], xml[b + len("</sheetData>"):]
        self.header = re.search(r'<row r="1"[^>]*>.*?</row>', xml[a:b], re.S).group(0)
        self.styles = {int(m[2]) - 1: m[1] for m in re.finditer(r'<col [^>]*style="(\d+)"[^>]*min="(\d+)"', xml)}

    def open(self, ref: str) -> str:
        return re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', self.head) + "<sheetData>" + self.header

    def close(self) -> str:
        return "</sheetData>" + self.tail


def _cells(r: int, values: list, kinds: list[str], letters: list[str], styles: list[str]) -> str:
    out = [f'<row r="{r}">']
    for v, kind, L, s in zip(values, kinds, letters, styles):
        if v is None or v == "":
            continue
        if kind == "formula":
            out.append(f'<c r="{L}{r}"><f>{_esc(v[1:])}</f><v /></c>')
        elif isinstance(v, str):
            out.append(f'<c r="{L}{r}" t="inlineStr"><is><t>{_esc(v)}</t></is></c>')
        elif isinstance(v, (datetime, date)):
            out.append(f'<c r="{L}{r}" s="{s}" t="n"><v>{_serial(v)}</v></c>')
        else:
            out.append(f'<c r="{L}{r}" t="n"><v>{v}</v></c>')
    out.append("</row>")
    return "".join(out)


def _parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → part path, from the workbook and its relationships."""
    wbx = z.read("xl/workbook.xml").decode()
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    target = {m[2]: m[1] for m in re.finditer(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="([^"]+)"', rels)}
    out = {}
    for m in re.finditer(r'<sheet name="([^"]+)"[^>]*r:id="([^"]+)"', wbx):
        out[m[1]] = target[m[2]].lstrip("/")
    return out


def _attr(s: str) -> str:
    return _esc(s).replace('"', "&quot;")


def _next_free(names, pattern: str) -> int:
    """One more than the largest number ``pattern`` (a regex with one group) finds in ``names``."""
    return 1 + max((int(m[1]) for n in names if (m := re.fullmatch(pattern, n))), default=0)


def _log_sheet_parts(zin: zipfile.ZipFile, log_part: str, count: int) -> tuple[dict[str, bytes], list[str]]:
    """The parts that make Log sheets 2…``count`` real, beside the template's own.

    Returns (changed or new part → bytes, the new sheets' part paths in order): the
    workbook (each new sheet right after the one before it, unique ``sheetId`` and ``r:id``,
    every ``localSheetId`` and the active tab moved past them, an autofilter name for each
    like the Log's own), its relationships, the content types, and per new sheet the
    relationships of its header comments and copies of the Log's comments and their VML. The
    sheet XML itself is written by the caller; ``docProps/app.xml`` loses its list of sheet
    names, if it has one (the list is optional, and a stale one is worse than none).
    """
    names = zin.namelist()
    wbx = zin.read("xl/workbook.xml").decode()
    rels = zin.read("xl/_rels/workbook.xml.rels").decode()
    types = zin.read("[Content_Types].xml").decode()
    out: dict[str, bytes] = {}
    if "docProps/app.xml" in names:
        app = zin.read("docProps/app.xml").decode()
        trimmed = re.sub(r"<(HeadingPairs|TitlesOfParts)>.*?</\1>", "", app, flags=re.S)
        if trimmed != app:
            out["docProps/app.xml"] = trimmed.encode()
    if count <= 1:
        return out, []
    extra = count - 1
    a, b = wbx.index("<sheets>"), wbx.index("</sheets>")
    sheets = re.findall(r"<sheet [^>]*/>", wbx[a:b])
    base = schema.log_sheet_name(1)
    at = next(i for i, el in enumerate(sheets) if f'name="{_attr(base)}"' in el)
    sheet_id = 1 + max(int(re.search(r'sheetId="(\d+)"', el)[1]) for el in sheets)
    rid = _next_free(re.findall(r'Id="([^"]+)"', rels), r"rId(\d+)")
    sheet_no = _next_free(names, r"xl/worksheets/sheet(\d+)\.xml")
    comment_no = _next_free(names, r"xl/comments/comment(\d+)\.xml")
    vml_no = _next_free(names, r"xl/drawings/commentsDrawing(\d+)\.vml")
    log_rels_part = log_part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    log_rels = zin.read(log_rels_part).decode() if log_rels_part in names else None
    last_col = schema.col_letter(len(schema.LOG_COLUMNS) - 1)
    filter_name = re.search(r'<definedName name="_xlnm\._FilterDatabase" localSheetId="(\d+)"[^>]*>([^<]*)</definedName>', wbx)
    new_sheets, new_rels, new_types, new_names, parts = [], [], [], [], []
    for k in range(extra):
        n = k + 2
        name = schema.log_sheet_name(n)
        part = f"xl/worksheets/sheet{sheet_no + k}.xml"
        parts.append(part)
        new_sheets.append(f'<sheet name="{_attr(name)}" sheetId="{sheet_id + k}" state="visible" r:id="rId{rid + k}" />')
        new_rels.append(f'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                        f'Target="/{part}" Id="rId{rid + k}" />')
        new_types.append(f'<Override PartName="/{part}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml" />')
        if filter_name and int(filter_name[1]) == at:
            new_names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{at + n - 1}" hidden="1">'
                             f"{_esc(chr(39) + name + chr(39))}!$A$1:${last_col}$1</definedName>")
        if log_rels is None:
            continue
        sheet_rels = log_rels
        for m in re.finditer(r'<Relationship [^>]*/>', log_rels):
            el, kind = m[0], re.search(r'Type="[^"]*/([^"/]+)"', m[0])[1]
            target = re.search(r'Target="([^"]+)"', el)[1]
            src = target.lstrip("/") if target.startswith("/") else os.path.normpath(os.path.join("xl/worksheets", target)).replace(os.sep, "/")
            if kind == "comments":
                dst = f"xl/comments/comment{comment_no + k}.xml"
                new_types.append(f'<Override PartName="/{dst}" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml" />')
            elif kind == "vmlDrawing":
                dst = f"xl/drawings/commentsDrawing{vml_no + k}.vml"
            else:
                raise ValueError(f"the template's Log sheet has a {kind} part the generator does not know how to copy")
            out[dst] = zin.read(src)
            sheet_rels = sheet_rels.replace(el, el.replace(f'Target="{target}"', f'Target="/{dst}"'))
        out[part.replace("worksheets/", "worksheets/_rels/") + ".rels"] = sheet_rels.encode()

    # the workbook: the new sheets after the Log, and every index past the Log moved on
    base_el = sheets[at]
    wbx = wbx.replace(base_el, base_el + "".join(new_sheets), 1)
    wbx = re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{int(m[1]) + extra if int(m[1]) > at else int(m[1])}"', wbx)
    for attr in ("activeTab", "firstSheet"):
        wbx = re.sub(rf'{attr}="(\d+)"', lambda m: f'{attr}="{int(m[1]) + extra if int(m[1]) > at else int(m[1])}"', wbx)
    if new_names:
        wbx = wbx.replace("</definedNames>", "".join(new_names) + "</definedNames>", 1)
    out["xl/workbook.xml"] = wbx.encode()
    out["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", "".join(new_rels) + "</Relationships>", 1).encode()
    out["[Content_Types].xml"] = types.replace("</Types>", "".join(new_types) + "</Types>", 1).encode()
    return out, parts


# -- the register --------------------------------------------------------------------------
def generate(path: Path, items: int, seed: int = 1, now: datetime = NOW, progress: bool | None = None) -> dict:
    """Write a register of ``items`` letters to ``path``; returns what the sidecar records."""
    from tqdm import tqdm

    path = Path(path)
    rng = random.Random(seed)
    process = Process.default()
    tpl = template_bytes(now.date(), process)
    zin = zipfile.ZipFile(io.BytesIO(tpl))
    parts = _parts(zin)
    reg_part, log_part = parts[schema.SHEETS["register"]], parts[schema.SHEETS["log"]]
    rels = zin.read(reg_part.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
    table_part = re.search(r'Target="([^"]*tables/[^"]+)"', rels)[1].lstrip("/")
    reg_xml, log_xml = SheetXml(zin.read(reg_part).decode()), SheetXml(zin.read(log_part).decode())

    # The calendar as xlflow reads it from the template (its holidays and hours).
    book = bk.parse(_rows_of(tpl), None)
    cal = book.calendar
    sim = Sim(process, cal, rng)
    now_m = cal.minutes(now)
    lo, hi = cal.minutes(FIRST), now_m - 30
    stamps = []  # (registered, received) in working minutes, in registration order
    for _ in range(items):
        m_recv = rng.randint(int(lo), int(hi))
        wait = rng.expovariate(1 / 3) if rng.random() < 0.9 else rng.expovariate(1 / 60)
        stamps.append((min(m_recv + 1 + int(wait), now_m - 1), m_recv))
    stamps.sort()

    rcols = schema.REGISTER_COLUMNS
    rkinds = [c.kind for c in rcols]
    rletters = [schema.col_letter(i) for i in range(len(rcols))]
    rstyles = [reg_xml.styles.get(i, "0") for i in range(len(rcols))]
    rhm = {c.field: i for i, c in enumerate(rcols)}
    last_reg = schema.col_letter(len(rcols) - 1)

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    per_sheet = schema.LOG_SHEET_ROWS  # read now, not at import: a test may set it small
    reg_body = tempfile.TemporaryFile(dir=path.parent)
    log = LogStream(sim, lambda: tempfile.TemporaryFile(dir=path.parent), per_sheet)
    log.styles = [log_xml.styles.get(i, "0") for i in range(len(schema.LOG_COLUMNS))]
    ref = f"A1:{last_reg}{max(2, items + 1)}"
    reg_body.write(reg_xml.open(ref).encode())
    advanceable: list[str] = []
    counts = {"done": 0, "paused": 0, "open": 0}
    yearly: dict[int, int] = {}
    rbuf: list[str] = []
    show = sys.stderr.isatty() if progress is None else progress
    started = time.perf_counter()
    for i, (m_reg, m_recv) in enumerate(tqdm(stamps, unit="letter", disable=not show, desc="generate", file=sys.stderr)):
        year = sim.at(m_reg).year + 543
        yearly[year] = yearly.get(year, 0) + 1
        item = f"{yearly[year]}/{year}"
        acts = sim.letter(item, m_recv, m_reg, now_m)
        log.add(i, item, acts)
        # the Register row: the letter, and the derived columns from xlflow's own replay
        state = replay([LogEntry(0, item, a[2], a[1], sim.at(a[0]), a[3], a[4], a[5]) for a in acts], process)
        values = {"item": item, "received_at": sim.at(m_recv), **_letter(rng, sim.at(m_recv))}
        values.update(bk.derived_values(state, timing(state, process, cal, state.last_at), process))
        values["status"] = bk.status_formula(i + 2, rhm)
        rbuf.append(_cells(i + 2, [values.get(c.field) for c in rcols], rkinds, rletters, rstyles))
        if len(rbuf) >= 2000:
            reg_body.write("".join(rbuf).encode())
            rbuf.clear()
        if state.done:
            counts["done"] += 1
        elif state.paused:
            counts["paused"] += 1
        else:
            counts["open"] += 1
            sub = process[state.substep]
            if not sub.is_decision and (not sub.requires or getattr(state, sub.requires)):
                advanceable.append(item)
    log.finish()
    reg_body.write(("".join(rbuf) + reg_xml.close()).encode())

    # Log sheet 1 is the template's own part; sheets 2… are new parts, listed in the workbook
    changed, new_parts = _log_sheet_parts(zin, log_part, len(log.bodies))
    last_log = schema.col_letter(len(schema.LOG_COLUMNS) - 1)
    sheets = [(reg_part, b"", reg_body, b"")]
    for part, body, rows in zip([log_part, *new_parts], log.bodies, log.counts):
        sheets.append((part, log_xml.open(f"A1:{last_log}{rows + 1}").encode(), body, log_xml.close().encode()))
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
        for info in zin.infolist():  # every part of the template but the two sheets and the Table
            if info.filename in (reg_part, log_part, table_part):
                continue
            if info.filename in changed:
                zout.writestr(info, changed.pop(info.filename))
            else:
                zout.writestr(info, zin.read(info.filename))
        zout.writestr(table_part, re.sub(r'ref="A1:[A-Z]+\d+"', f'ref="{ref}"', zin.read(table_part).decode()))
        for part, data in changed.items():  # the new sheets' comments and relationships
            zout.writestr(part, data)
        for part, head, body, tail in sheets:
            body.seek(0)
            with zout.open(part, "w", force_zip64=True) as w:
                w.write(head)
                while chunk := body.read(1 << 20):
                    w.write(chunk)
                w.write(tail)
            body.close()
    os.replace(tmp, path)
    meta = {
        "version": VERSION, "seed": seed, "items": items, "log_rows": log.seq, "now": now.isoformat(timespec="minutes"),
        **counts, "log_sheet_rows": per_sheet, "log_sheets": log.counts,
        "advanceable": advanceable[-50:], "seconds": round(time.perf_counter() - started, 1),
    }
    meta["fits_in_excel"] = fits_in_excel(meta)
    meta["bytes"] = path.stat().st_size
    path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    return meta


class LogStream:
    """Merges the letters' actions into time order, numbers and hash-chains them, writes rows.

    Letters are added in registration order and every action of a letter comes at or after
    its registration, so whatever is older than the newest registration can be written:
    memory holds only the letters still in flight.

    The rows go to one body per Log sheet (a file from ``new_body``), ``per_sheet`` rows to
    each; ``counts`` holds how many each got. The sequence number and the hash chain do not
    start again on a new sheet; the row number does (at 2, below the header).
    """

    def __init__(self, sim: Sim, new_body, per_sheet: int):
        if per_sheet < 1:
            raise ValueError(f"a Log sheet must hold at least one row, not {per_sheet}")
        self.sim, self.new_body, self.per_sheet = sim, new_body, per_sheet
        self.bodies, self.counts = [new_body()], [0]
        self.heap: list[tuple] = []
        self.active: dict[int, list] = {}  # letter ordinal → [item, actions, seqs, left]
        self.seq, self.prev = 0, ""
        self.buf: list[str] = []
        cols = schema.LOG_COLUMNS
        self.kinds = [c.kind for c in cols]
        self.letters = [schema.col_letter(i) for i in range(len(cols))]
        self.styles: list[str] = []

    def add(self, ordinal: int, item: str, acts: list[tuple]) -> None:
        self._emit((acts[0][0], ordinal, -1))
        self.active[ordinal] = [item, acts, [0] * len(acts), len(acts)]
        for k, a in enumerate(acts):
            heapq.heappush(self.heap, (a[0], ordinal, k))

    @property
    def body(self):
        return self.bodies[-1]

    def finish(self) -> None:
        self._emit((float("inf"),))
        self.body.write("".join(self.buf).encode())
        self.buf.clear()

    def _emit(self, until: tuple) -> None:
        heap, active, buf, at_of, counts = self.heap, self.active, self.buf, self.sim.at, self.counts
        while heap and heap[0] < until:
            m, ordinal, k = heapq.heappop(heap)
            rec = active[ordinal]
            item, acts, seqs = rec[0], rec[1], rec[2]
            _, action, sub, by, note, data, undoes = acts[k]
            self.seq += 1
            seq = seqs[k] = self.seq
            if undoes is not None:
                data = {"undoes": seqs[undoes]}
            at = at_of(m)
            dj = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if data else ""
            # the content LogEntry.chained() hashes, so `xlflow verify` finds the chain intact
            content = "\x1f".join((str(seq), item, sub, action, at.isoformat(timespec="seconds"), by, note, dj))
            self.prev = hashlib.sha256((self.prev + "\x1e" + content).encode("utf-8")).hexdigest()
            if counts[-1] == self.per_sheet:  # this sheet is full: the row opens the next one
                self.body.write("".join(buf).encode())
                buf.clear()
                self.bodies.append(self.new_body())
                counts.append(0)
            counts[-1] += 1
            buf.append(_cells(counts[-1] + 1, [seq, item, sub, action, at, by, note, dj, self.prev], self.kinds, self.letters, self.styles))
            rec[3] -= 1
            if not rec[3]:
                del active[ordinal]
            if len(buf) >= 2000:
                self.body.write("".join(buf).encode())
                buf.clear()


def _rows_of(xlsx: bytes) -> dict[str, list[list]]:
    """The template's sheets as values (for the calendar the generator times with)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _letter(rng: random.Random, received: datetime) -> dict:
    sender, code = rng.choice(SENDERS)
    d = received.date()
    out = {
        "letter_no": f"ที่ {code} {rng.randint(1, 9999)}/{d.year + 543}",
        "letter_date": d - timedelta(days=rng.randint(0, 10)),
        "sender": sender,
        "addressee": rng.choice(("ปลัดกระทรวงแรงงาน", "ผอ.สปร.", "ผอ.วท.")),
        "subject": f"{rng.choice(SUBJECTS)} {rng.choice(TOPICS)}",
    }
    if rng.random() < 0.3:
        out["urgency"] = rng.choice(("ด่วนที่สุด", "ด่วนมาก", "ด่วน"))
    if rng.random() < 0.03:
        out["secrecy"] = rng.choice(("ลับที่สุด", "ลับมาก", "ลับ"))
    if rng.random() < 0.3:
        out["reply_by"] = d + timedelta(days=rng.randint(7, 30))
    if rng.random() < 0.2:
        out["action"] = "เพื่อโปรดพิจารณา"
    return out


# -- the cache -------------------------------------------------------------------------------
def cached(items: int, seed: int = 1, data_dir: Path = DATA, progress: bool | None = None) -> tuple[Path, dict]:
    """The generated register of ``items`` letters (made once, then reused) and its sidecar."""
    path = Path(data_dir) / f"register-{items}-s{seed}-v{VERSION}.xlsx"
    side = path.with_suffix(".json")
    if path.exists() and side.exists():
        meta = json.loads(side.read_text("utf-8"))
        if meta.get("bytes") == path.stat().st_size and meta.get("log_sheet_rows") == schema.LOG_SHEET_ROWS:
            return path, meta
    return path, generate(path, items, seed, progress=progress)


def fits_in_excel(meta: dict) -> bool:
    """Whether every sheet of the register is within Excel's 1,048,576 rows (header included).

    The Register is one sheet; the Log is as many as ``meta["log_sheets"]`` counts rows for
    (a sidecar from before the split has one, of all ``log_rows``).
    """
    log = meta.get("log_sheets") or [meta["log_rows"]]
    return max(log) + 1 <= EXCEL_ROWS and meta["items"] + 1 <= EXCEL_ROWS


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=100_000, help="letters in the register (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--output", type=Path, default=None, help="write here instead of the cache")
    ap.add_argument("--force", action="store_true", help="regenerate even if cached")
    a = ap.parse_args(argv)
    if a.output:
        meta = generate(a.output, a.items, a.seed)
        path = a.output
    else:
        path = DATA / f"register-{a.items}-s{a.seed}-v{VERSION}.xlsx"
        if a.force and path.exists():
            path.unlink()
        path, meta = cached(a.items, a.seed)
    sheets = meta.get("log_sheets") or [meta["log_rows"]]
    print(f"{path}: {meta['items']} letters, {meta['log_rows']} log rows on {len(sheets)} Log sheet{'s' * (len(sheets) > 1)} "
          f"({meta['done']} done, {meta['open']} open, {meta['paused']} paused)")
    if not fits_in_excel(meta):
        print(f"note: a sheet has more rows than Excel's {EXCEL_ROWS:,} (Register {meta['items'] + 1:,}, largest Log sheet {max(sheets) + 1:,}, "
              f"headers included): Excel opens only the first {EXCEL_ROWS:,}, and no row can be added there (xlflow's readers read it whole)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
