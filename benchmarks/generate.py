"""Large registers for the benchmarks, written fast and cached by size.

    python benchmarks/generate.py --items 100000      # → benchmarks/data/register-100000-s1-v1.xlsx

The small sheets (Process, Calendar, People, Info, the forms), every style, the Register's
Excel Table, its validation lists and conditional formatting are xlflow's own template
(:func:`xlflow.template.build`), with a People sheet filled with officers so the checker
has someone to write to. The Register and Log rows are not made by openpyxl: they are
streamed as sheet XML straight into the template's zip (inline strings and serial numbers,
as openpyxl itself writes them), so 1.5 million log rows need neither cell objects nor much
memory, and the Table keeps its name, style and autofilter (its range is set to the rows).

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

VERSION = 1  # bump when the generated content changes: the cache key holds it
DATA = Path(__file__).resolve().parent / "data"
#: The benchmark's "now": a Wednesday morning in fiscal year 2570. Letters arrive from the
#: start of FY 2569 (so ``evaluate --fiscal-year 2569 --round 9`` has most of them) until now.
NOW = datetime(2026, 11, 25, 10, 0)
FIRST = datetime(2025, 10, 1, 8, 30)
_EPOCH = date(1899, 12, 30)
#: Excel's last row: a sheet cannot hold more (header included). At about 18 Log rows per
#: letter, a register passes it near 58,000 letters — the 100,000-letter register here is
#: one Excel itself would open only in part (calamine and openpyxl read it whole).
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
    reg_body, log = tempfile.TemporaryFile(dir=path.parent), LogStream(sim, tempfile.TemporaryFile(dir=path.parent))
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
    log.body.write(log_xml.close().encode())

    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
        for info in zin.infolist():  # every part of the template but the two sheets and the Table
            if info.filename not in (reg_part, log_part, table_part):
                zout.writestr(info, zin.read(info.filename))
        zout.writestr(table_part, re.sub(r'ref="A1:[A-Z]+\d+"', f'ref="{ref}"', zin.read(table_part).decode()))
        for part, head, body in ((reg_part, b"", reg_body), (log_part, log_xml.open(f"A1:I{log.seq + 1}").encode(), log.body)):
            body.seek(0)
            with zout.open(part, "w", force_zip64=True) as w:
                w.write(head)
                while chunk := body.read(1 << 20):
                    w.write(chunk)
            body.close()
    os.replace(tmp, path)
    meta = {
        "version": VERSION, "seed": seed, "items": items, "log_rows": log.seq, "now": now.isoformat(timespec="minutes"),
        **counts, "fits_in_excel": log.seq + 1 <= EXCEL_ROWS, "advanceable": advanceable[-50:], "seconds": round(time.perf_counter() - started, 1),
        "bytes": path.stat().st_size,
    }
    path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), "utf-8")
    return meta


class LogStream:
    """Merges the letters' actions into time order, numbers and hash-chains them, writes rows.

    Letters are added in registration order and every action of a letter comes at or after
    its registration, so whatever is older than the newest registration can be written:
    memory holds only the letters still in flight.
    """

    def __init__(self, sim: Sim, body):
        self.sim, self.body = sim, body
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

    def finish(self) -> None:
        self._emit((float("inf"),))
        self.body.write("".join(self.buf).encode())
        self.buf.clear()

    def _emit(self, until: tuple) -> None:
        heap, active, buf, at_of = self.heap, self.active, self.buf, self.sim.at
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
            buf.append(_cells(seq + 1, [seq, item, sub, action, at, by, note, dj, self.prev], self.kinds, self.letters, self.styles))
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
        if meta.get("bytes") == path.stat().st_size:
            return path, meta
    return path, generate(path, items, seed, progress=progress)


def fits_in_excel(meta: dict) -> bool:
    """Whether every sheet of the register is within Excel's 1,048,576 rows."""
    return meta["log_rows"] + 1 <= EXCEL_ROWS and meta["items"] + 1 <= EXCEL_ROWS


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
    print(f"{path}: {meta['items']} letters, {meta['log_rows']} log rows ({meta['done']} done, {meta['open']} open, {meta['paused']} paused)")
    if not fits_in_excel(meta):
        print(f"note: the Log has {meta['log_rows'] + 1} rows, more than Excel's {EXCEL_ROWS:,}: Excel opens only the first {EXCEL_ROWS:,}, "
              f"and no row can be added to it (xlflow's readers read it whole)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
