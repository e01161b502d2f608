"""``xlflow demo``: a register holding a realistic year of letters, and everything made from it.

Why: a person who has just installed xlflow should see, in one command and well under a
minute, what it does with a year of work — the register with its log, the appendix forms,
the evaluation workbook of the latest round — without typing a single letter in. The same
register is the test bed for the checker and the evaluation.

The year is generated, never random at run time: one seeded generator makes the letters
(senders such as the ILO, the ASEAN Secretariat, embassies and the ministry's
departments; Thai subjects), the People sheet (fictional names, ``@example.go.th``
addresses, someone for every role), and each letter's way through the 15 sub-steps with
the time each took — mostly within the standard, some late, some waiting paused on an
outside agency, some sent back by the executives at 5.1. Every stamp is a working moment
of the register's own calendar (office hours, no weekends or holidays). The letters of the
last days are still open at ``now``; some of them are overdue, some paused. A few letters
are always there (:data:`SHOWCASE`): one due soon at ``now``, one whose sender wants the
answer by the next working day, a mistaken click and its correction, a registration
cancelled, a letter closed early by the director, one overdue for days.

The year is written as it happened, and the scheduled checker runs at its moments with one
memory: on the first working day after the 9- and 12-month rounds (the round's evaluation
workbook mailed to the PMQA team), a working day before ``now`` and at ``now`` (digests,
then the reminders of what is still late). Its mails are ``.eml`` files in ``outbox/``.

All actions go through the service layer's planners and are written in one save, as the
Log's hash chain requires.

>>> paths = make_demo(Path("xlflow-demo"), now=datetime(2026, 11, 25, 10, 0))   # doctest: +SKIP
>>> sorted(paths)                                                                 # doctest: +SKIP
['evaluation', 'folder', 'register']
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from . import book as bk
from . import schema
from .errors import XlflowError
from .process import END, Process
from .service import Change, commit, plan_action, plan_register
from .worktime import BKK, WorkCalendar, local

SEED = 2569
MARK = ".xlflow-demo"
REGISTER_NAME = "Coordination_Register.xlsx"
UNIT = "วท."
BACKLOG_DAYS = 30  # working days before now in which letters are often still waiting

#: Fictional people for every role of the manual (names invented; example.go.th is reserved-style).
PEOPLE: dict[str, list[tuple[str, str, str]]] = {
    "เจ้าหน้าที่งานสารบรรณ สปร.": [("นางสาวกนกวรรณ ศรีสุข", "kanokwan.s", "สปร.")],
    "หัวหน้างานบริหาร สปร.": [("นายธนพล วงศ์ทอง", "thanaphon.w", "สปร.")],
    "เลขานุการ ผอ.สปร.": [("นางสาวปิยะนุช แก้วมณี", "piyanuch.k", "สปร.")],
    "เจ้าหน้าที่งานสารบรรณ วท.": [("นางสาวสุภาพร บุญมา", "supaporn.b", "วท.")],
    "เจ้าหน้าที่งานสารบรรณ ผอ.วท.": [("นายอนุชา พรหมสุวรรณ", "anucha.p", "วท.")],
    "เจ้าหน้าที่ วท. ที่รับผิดชอบ": [
        ("นางสาวพิมพ์ชนก ใจดี", "pimchanok.j", "วท."),
        ("นายกฤษดา รัตนพันธ์", "kritsada.r", "วท."),
        ("นางสาววรรณิศา ทองดี", "wannisa.t", "วท."),
        ("นายณัฐวุฒิ สายสุวรรณ", "nattawut.s", "วท."),
    ],
    "ผอ.วท.": [("นางศิริพร มั่นคง", "siriporn.m", "วท.")],
    "ชช.สปร.": [("นายประเสริฐ ชัยมงคล", "prasert.c", "สปร.")],
    "ผอ.สปร.": [("นางวิไลวรรณ อินทรประเสริฐ", "wilaiwan.i", "สปร.")],
    "ผู้บริหารของกระทรวงแรงงาน": [("นายสมชาย ธรรมรักษ์", "somchai.t", "สป.รง.")],
    "ทีม PMQA": [("นางสาวอรอุมา เพชรรัตน์", "onuma.p", "กพร.สป.")],
}
DOMAIN = "example.go.th"

# Senders: (name, kind, letter-number prefix, weight).
SENDERS: tuple[tuple[str, str, str, int], ...] = (
    ("องค์การแรงงานระหว่างประเทศ (ILO) สำนักงานภูมิภาคเอเชียและแปซิฟิก", "ilo", "ILO/RO-Bangkok/", 18),
    ("สำนักเลขาธิการอาเซียน (ASEAN Secretariat)", "asean", "ASEC/SLOM/", 14),
    ("สถานเอกอัครราชทูตญี่ปุ่นประจำประเทศไทย", "embassy", "No. ", 5),
    ("สถานเอกอัครราชทูตออสเตรเลียประจำประเทศไทย", "embassy", "No. ", 4),
    ("สถานเอกอัครราชทูตสาธารณรัฐเกาหลีประจำประเทศไทย", "embassy", "No. ", 5),
    ("สถานเอกอัครราชทูตสหรัฐอเมริกาประจำประเทศไทย", "embassy", "No. ", 3),
    ("สถานเอกอัครราชทูตอิสราเอลประจำประเทศไทย", "embassy", "No. ", 3),
    ("กระทรวงการต่างประเทศ (กรมองค์การระหว่างประเทศ)", "mfa", "ที่ กต 0702/", 9),
    ("องค์การระหว่างประเทศเพื่อการโยกย้ายถิ่นฐาน (IOM)", "io", "IOM/TH/", 4),
    ("กรมการจัดหางาน", "dept", "ที่ รง 0301/", 9),
    ("กรมพัฒนาฝีมือแรงงาน", "dept", "ที่ รง 0401/", 7),
    ("กรมสวัสดิการและคุ้มครองแรงงาน", "dept", "ที่ รง 0501/", 8),
    ("สำนักงานประกันสังคม", "dept", "ที่ รง 0601/", 7),
)
COUNTRY = {
    "สถานเอกอัครราชทูตญี่ปุ่นประจำประเทศไทย": "ญี่ปุ่น",
    "สถานเอกอัครราชทูตออสเตรเลียประจำประเทศไทย": "ออสเตรเลีย",
    "สถานเอกอัครราชทูตสาธารณรัฐเกาหลีประจำประเทศไทย": "สาธารณรัฐเกาหลี",
    "สถานเอกอัครราชทูตสหรัฐอเมริกาประจำประเทศไทย": "สหรัฐอเมริกา",
    "สถานเอกอัครราชทูตอิสราเอลประจำประเทศไทย": "อิสราเอล",
}
CONVENTIONS = ("29", "87", "98", "100", "111", "138", "182", "187", "190")
TOPICS = (
    "การคุ้มครองแรงงานข้ามชาติ", "การส่งเสริมการจ้างงานที่มีคุณค่า", "การพัฒนาทักษะแรงงานสู่อุตสาหกรรมดิจิทัล",
    "ความปลอดภัยและอาชีวอนามัยในการทำงาน", "การขยายความคุ้มครองทางสังคม", "แรงงานแพลตฟอร์มดิจิทัล",
    "การขจัดแรงงานเด็กในห่วงโซ่อุปทาน", "การเปลี่ยนผ่านที่เป็นธรรมสู่เศรษฐกิจสีเขียว",
)
MEETINGS = (
    "คณะกรรมการบริหารองค์การแรงงานระหว่างประเทศ (Governing Body)", "เจ้าหน้าที่อาวุโสด้านแรงงานอาเซียน (SLOM)",
    "รัฐมนตรีแรงงานอาเซียน (ALMM)", "คณะทำงานด้านการจ้างงาน กลุ่ม APEC", "ไตรภาคีระดับภูมิภาคว่าด้วยแรงงานข้ามชาติ",
)
COURSES = ("การบริหารจัดการตลาดแรงงาน", "ความปลอดภัยในการทำงานก่อสร้าง", "การพัฒนามาตรฐานฝีมือแรงงาน", "การตรวจแรงงาน")
SUBJECTS: dict[str, tuple[str, ...]] = {
    "ilo": (
        "ขอให้จัดทำรายงานตามมาตรา 22 ของธรรมนูญ ILO ว่าด้วยอนุสัญญาฉบับที่ {c}",
        "ขอเชิญเข้าร่วมการประชุมใหญ่องค์การแรงงานระหว่างประเทศ สมัยที่ {n}",
        "ขอความเห็นต่อร่างแผนงานความร่วมมือด้านงานที่มีคุณค่าประจำประเทศไทย (DWCP)",
        "ขอเชิญเข้าร่วมการประชุม{m}",
        "ขอข้อมูลประกอบการศึกษาเรื่อง{t}",
    ),
    "asean": (
        "ขอเชิญเข้าร่วมการประชุมเจ้าหน้าที่อาวุโสด้านแรงงานอาเซียน (SLOM) ครั้งที่ {n}",
        "ขอความเห็นต่อร่างปฏิญญาอาเซียนว่าด้วย{t}",
        "ขอข้อมูลประกอบการจัดทำรายงานความคืบหน้าแผนงานด้านแรงงานอาเซียน",
        "ขอความร่วมมือตอบแบบสอบถามเรื่อง{t}",
    ),
    "embassy": (
        "ขอเข้าเยี่ยมคารวะปลัดกระทรวงแรงงาน",
        "ขอเชิญเข้าร่วมการประชุมคณะกรรมการร่วมด้านแรงงานไทย–{k}",
        "ขอความร่วมมือด้านการจัดส่งแรงงานไทยไปทำงานที่{k}",
        "ทุนฝึกอบรมหลักสูตร{co} ณ {k}",
    ),
    "mfa": (
        "ขอข้อมูลประกอบการเยือนประเทศไทยของคณะผู้แทนระดับสูง",
        "ขอความเห็นต่อร่างบันทึกความเข้าใจด้านแรงงานระหว่างไทยกับต่างประเทศ",
        "ขอข้อมูลประกอบการจัดทำท่าทีไทยในการประชุม{m}",
    ),
    "io": (
        "ขอเชิญเข้าร่วมการสัมมนาเรื่อง{t}",
        "ขอความร่วมมือโครงการ{t}",
    ),
    "dept": (
        "ขอให้พิจารณาท่าทีของกระทรวงแรงงานต่อ{t}",
        "ส่งรายงานผลการเข้าร่วมการประชุม{m}",
        "ขอความเห็นประกอบการจัดทำรายงานอนุสัญญา ILO ฉบับที่ {c}",
        "ขอรับการสนับสนุนผู้แทนเข้าร่วมการประชุม{m}",
    ),
}
ADDRESSEES = ("ปลัดกระทรวงแรงงาน", "ผู้อำนวยการสำนักประสานความร่วมมือระหว่างประเทศ")
PAUSE_REASONS = (
    "รอความเห็นจากกรมการจัดหางาน", "รอความเห็นจากกรมพัฒนาฝีมือแรงงาน", "รอความเห็นจากกรมสวัสดิการและคุ้มครองแรงงาน",
    "รอข้อมูลจากสำนักงานประกันสังคม", "รอคำตอบจากกระทรวงการต่างประเทศ",
)
REJECT_REASONS = (
    "ขอให้ปรับท่าทีให้สอดคล้องกับนโยบายของกระทรวง", "ขอข้อมูลเพิ่มเติมจากหน่วยงานที่เกี่ยวข้อง",
    "ให้แก้ไขร่างหนังสือตามที่ผู้บริหารสั่งการ", "ให้หารือกรมที่เกี่ยวข้องอีกครั้งก่อนเสนอ",
)


@dataclass(order=True)
class _Event:
    at: datetime
    idx: int
    order: int
    action: str = field(compare=False)
    kw: dict = field(compare=False, default_factory=dict)


def demo_people(process: Process) -> list[tuple[str, str, str, str, str]]:
    """(name, role, unit, email, login) for every role of the process; a role the office
    added gets a made-up person of its own."""
    out = []
    for i, role in enumerate(process.roles):
        people = PEOPLE.get(role.name_th) or [(f"ผู้ปฏิบัติงาน {role.name_th}", f"role{i + 1}", "")]
        for name, login, unit in people:
            out.append((name, role.name_th, unit, f"{login}@{DOMAIN}", login))
    return out


class _Simulator:
    """Each letter's way through the process, as timed actions at working moments."""

    def __init__(self, process: Process, cal: WorkCalendar, people, rng: random.Random, now: datetime):
        self.p, self.cal, self.rng, self.now = process, cal, rng, now
        self.by_role: dict[str, list[str]] = {}
        for name, role, *_ in people:
            self.by_role.setdefault(role, []).append(name)
        self.officer_roles = {r.name_th for r in process.roles if r.officer}
        self.officers = [n for r in self.officer_roles for n in self.by_role.get(r, [])]

    def at(self, t: datetime, minutes: float) -> datetime:
        """``minutes`` of working time after ``t``, on a whole minute, while the office is open."""
        u = local(self.cal.add(t, max(0, round(minutes))))
        u = u.replace(second=0, microsecond=0)
        if not self.cal.is_working(u):
            u = local(self.cal.next_working(u))
        return u

    def who(self, code: str, officer: str) -> str:
        for role in self.p[code].roles:
            if role in self.officer_roles and officer:
                return officer
            if self.by_role.get(role):
                return self.rng.choice(self.by_role[role])
        return next(iter(self.by_role.values()))[0]

    def duration(self, standard: int, slow: bool) -> int:
        r = self.rng.random()
        f = self.rng.uniform(0.3, 1.0) if r < 0.80 else self.rng.uniform(1.0, 2.6) if r < 0.96 else self.rng.uniform(2.6, 8.0)
        if slow:
            f = self.rng.uniform(6, 40)
        return max(1, round(standard * f))

    def fields(self, received: datetime) -> dict:
        """What the clerk types about a letter received at ``received``: sender, subject, ..."""
        rng = self.rng
        name, kind, prefix, _ = rng.choices(SENDERS, weights=[s[3] for s in SENDERS])[0]
        subject = rng.choice(SUBJECTS[kind]).format(
            c=rng.choice(CONVENTIONS), n=rng.randint(110, 116), m=rng.choice(MEETINGS), t=rng.choice(TOPICS),
            k=COUNTRY.get(name, "ต่างประเทศ"), co=rng.choice(COURSES),
        )
        letter_date = received.date() - timedelta(days=rng.randint(0, 6))
        number = f"{prefix}{rng.randint(100, 9999)}" if kind not in ("ilo", "asean", "io") else f"{prefix}{received.year}/{rng.randint(10, 999)}"
        u = rng.random()
        letter = {
            "subject": subject,
            "sender": name,
            "addressee": rng.choice(ADDRESSEES),
            "letter_no": number,
            "letter_date": letter_date,
            "urgency": "ด่วนที่สุด" if u < 0.03 else "ด่วนมาก" if u < 0.12 else "ด่วน" if u < 0.30 else None,
            "secrecy": "ลับ" if rng.random() < 0.03 else None,
            "reply_by": (received.date() + timedelta(days=rng.randint(10, 35))) if rng.random() < 0.5 else None,
        }
        return letter

    def letter(self, idx: int, received: datetime) -> tuple[dict, list[_Event]]:
        rng, p = self.rng, self.p
        letter = self.fields(received)
        events: list[_Event] = []
        order = 0

        def add(t: datetime, action: str, **kw) -> None:
            nonlocal order
            events.append(_Event(t, idx, order, action, kw))
            order += 1

        officer = rng.choice(self.officers) if self.officers else ""
        slow_sub = rng.choice([s.code for s in p]) if rng.random() < 0.07 else None
        # the letters of the last weeks: many wait somewhere (the backlog the checker finds)
        recent = self.cal.between(received, self.now) < BACKLOG_DAYS * self.cal.day_minutes
        stall = (rng.choice([s.code for s in p if not s.is_decision and s.code != p.first.code]), rng.randint(3, 30) * self.cal.day_minutes) \
            if recent and rng.random() < 0.6 else None
        first = p.first
        t = self.at(received, self.duration(first.standard, slow_sub == first.code))
        add(t, "register", received_at=received, by=self.who(first.code, ""), **letter)
        code, rnd = first.next, 0
        while code != END:
            sub = p[code]
            d = self.duration(sub.standard, slow_sub == code and rnd == 0)
            if stall and stall[0] == code and rnd == 0:
                d += stall[1]
            if sub.requires:
                a = self.at(t, max(1, d // 2))
                add(a, "assign", by=self.who(code, ""), **({"unit": UNIT} if sub.requires == "unit" else {"officer": officer}))
            pause_p = 0.35 if code == "2.3" else 0.08 if code == "3.1" else 0.0
            if pause_p and rng.random() < pause_p:
                a = self.at(t, max(1, d // 3))
                add(a, "pause", by=self.who(code, officer), note=rng.choice(PAUSE_REASONS))
                b = self.at(a, rng.randint(1, 12) * self.cal.day_minutes + rng.randint(0, 200))
                add(b, "resume", by=self.who(code, officer))
                t = self.at(b, d - d // 3)
            else:
                t = self.at(t, d)
            if sub.is_decision:
                if rng.random() < (0.14 if rnd == 0 else 0.05):
                    add(t, "reject", by=self.who(code, officer), note=rng.choice(REJECT_REASONS))
                    code, rnd = sub.reject_to, rnd + 1
                    continue
                add(t, "approve", by=self.who(code, officer))
            else:
                add(t, "advance", by=self.who(code, officer))
            code = sub.next
        return letter, events


    def showcase(self, idx: int, case: "_Case") -> list[_Event]:
        """One letter of :data:`SHOWCASE`: moved briskly (half of each standard) through the
        sub-steps up to ``case.at``, where it arrives ``case.before`` working minutes before
        ``now``; then ``case.then`` (a mistaken click and its correction, a cancellation, an
        early close)."""
        p, cal = self.p, self.cal
        arrive = self.at(cal.moment(cal.minutes(self.now) - case.before), 0)
        walk, code = 0, p.first.code
        while code != case.at and code != END:
            walk += max(2, p[code].standard // 2) + 2
            code = p[code].next
        received = self.at(cal.moment(cal.minutes(arrive) - walk - 30), 0)
        letter = self.fields(received)
        if case.reply_by is not None:
            letter["reply_by"] = cal.next_working_day(self.now.date()) if case.reply_by > 0 else \
                self.now.date() + timedelta(days=case.reply_by)
        officer = self.officers[idx % len(self.officers)] if self.officers else ""
        events: list[_Event] = []

        def add(t: datetime, action: str, **kw) -> None:
            events.append(_Event(t, idx, len(events), action, kw))

        first = p.first
        t = self.at(received, max(2, first.standard // 2))
        if first.next == case.at:
            t = max(t, arrive)
        add(t, "register", received_at=received, by=self.who(first.code, ""), **letter)
        code = first.next
        while code != case.at and code != END:
            sub = p[code]
            if sub.requires:
                add(self.at(t, 1), "assign", by=self.who(code, ""), **({"unit": UNIT} if sub.requires == "unit" else {"officer": officer}))
            t = self.at(t, max(2, sub.standard // 2))
            nxt = sub.next
            last = nxt == case.at
            add(max(t, arrive) if last else t, "approve" if sub.is_decision else "advance", by=self.who(code, officer))
            code = nxt
        t = max(t, arrive)
        director = next((n for r in p.roles if r.director for n in self.by_role.get(r.name_th, [])), None)
        if case.then == "correct":  # a click on the wrong row, undone by the same person minutes later
            by = self.who(code, officer)
            add(self.at(t, 10), "advance", by=by)
            add(self.at(t, 14), "correct", by=by, note=case.note)
        elif case.then == "cancel":
            add(self.at(t, 10), "cancel", by=self.who(code, officer), note=case.note)
        elif case.then == "close" and director:
            add(self.at(t, 10), "close", by=director, note=case.note)
        return [e for e in events if e.at <= self.now]


@dataclass(frozen=True)
class _Case:
    """A letter the demo always shows (:data:`SHOWCASE`)."""

    what: str
    at: str  # the sub-step it waits at (or ends at, with ``then``)
    before: int  # working minutes before ``now`` at which it arrived there
    then: str = ""  # "correct", "cancel" or "close"
    note: str = ""
    reply_by: int | None = None  # > 0: due the next working day; <= 0: that many days ago (passed)


#: The letters every demo holds, so that each kind of mail and each way an item ends is
#: shown (issue 17.6): a ``--items`` of at least four times their number holds them all.
SHOWCASE: tuple[_Case, ...] = (
    _Case("due soon: 40 of the 120 minutes of 3.2 are left at now", "3.2", 80),
    _Case("reply-by near: the sender wants the answer by the next working day", "3.1", 20, reply_by=1),
    _Case("a correction: a mistaken advance at 4.1 undone", "4.1", 180, "correct", "กดผิดรายการ: ยังไม่ได้จัดทำหนังสือสรุป"),
    _Case("cancelled: registered twice", "1.2", 900, "cancel", "ลงทะเบียนซ้ำกับหนังสือฉบับเดียวกันที่รับไว้แล้ว"),
    _Case("closed early by the director: for information only", "1.5", 1400, "close", "หนังสือแจ้งเพื่อทราบ ไม่ต้องดำเนินการ"),
    _Case("overdue for days, reminded; its reply-by date passed", "2.3", 1500, reply_by=-2),
)


#: The demo's xlflow.toml: no [smtp] host, so the checker writes e-mails to the outbox folder.
SETTINGS_TOML = """\
# xlflow demo settings. There is no [smtp] section, so e-mail is written as .eml files
# into the outbox folder instead of being sent; add [smtp] host = "..." to send for real.
[check]
office_hours_only = false   # the demo may run at any hour; an office keeps the default, true
outbox = "outbox"
"""


def _fresh_outbox(folder: Path) -> Path:
    """The checker's settings, an empty outbox and a fresh memory (a demo run before this
    one must not have told anyone yet, nor delivered a round)."""
    import shutil

    for old in (*folder.glob(".xlflow-state.sqlite*"), folder / "xlflow-check.log"):
        old.unlink(missing_ok=True)
    shutil.rmtree(folder / "evaluations", ignore_errors=True)
    outbox = folder / "outbox"
    shutil.rmtree(outbox, ignore_errors=True)
    outbox.mkdir()
    (folder / "xlflow.toml").write_text(SETTINGS_TOML, "utf-8")
    return outbox


def _run_checker(register: Path, at: datetime, outbox: Path) -> None:
    """One run of the scheduled checker at ``at``, remembering the runs before it: digests,
    reminders and the round's delivery go to ``outbox`` as .eml files."""
    from .checker import run_check

    report = run_check(register, at, outbox=outbox)
    if report.error:
        raise XlflowError(f"the demo's checker run at {at:%Y-%m-%d %H:%M} failed: {report.error}")


def _round_runs(cal: WorkCalendar, now: datetime, first: datetime) -> list[datetime]:
    """10:00 on the first working day after each of the last two rounds of 9 and 12 months
    that had closed by ``now`` since the year of letters began (the checker delivers them)."""
    from .thaidate import fiscal_year, round_range

    days = []
    for fy in (fiscal_year(now.date()) - 1, fiscal_year(now.date())):
        for months in (9, 12):
            day = cal.next_working_day(round_range(fy, months)[1])
            at = datetime.combine(day, datetime.min.time()).replace(hour=10)
            if first.replace(tzinfo=None) < at < now.replace(tzinfo=None):
                days.append(at)
    return [local(d) for d in sorted(days)[-2:]]


def _day_before(cal: WorkCalendar, now: datetime) -> datetime:
    """The same working moment a working day before ``now``: the run whose breaches ``now``'s
    run reminds of."""
    return local(cal.moment(cal.minutes(now) - cal.day_minutes))


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise XlflowError(f"{folder}: is a file, not a folder — give a folder for the demo (it is made if missing)")
    if folder.exists() and any(folder.iterdir()) and not (folder / MARK).exists():
        raise XlflowError(
            f"{folder}: the folder holds other files and no earlier demo — give a new or empty folder, "
            f"e.g. xlflow demo xlflow-demo, so that nothing of yours is replaced"
        )


def make_demo(folder: Path, now: datetime | None = None, items: int = 120, progress: bool | None = None,
              seed: int = SEED, pdf: bool = False) -> dict[str, Path]:
    """Make the demo in ``folder``: the register, the evaluation workbook of the latest round
    and the filled forms (with ``pdf``, also their PDFs through LibreOffice).

    ``now`` (default: the present, Bangkok time) ends the year of letters; the same ``now``,
    ``items`` and ``seed`` make the same register. Returns the paths by name.
    """
    from .evaluation import evaluate, latest_complete_round, period
    from .forms import write_forms
    from openpyxl.styles import Font

    from .template import build

    if items < 1:
        raise XlflowError(f"--items {items}: the demo needs at least one letter — give a number such as 120")
    folder = Path(folder)
    _check_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARK).write_text("made by xlflow demo; the files in this folder may be replaced by the next demo\n", "utf-8")
    now = local(now) if now is not None else local(datetime.now(BKK))
    now = now.replace(second=0, microsecond=0)
    show = sys.stderr.isatty() if progress is None else progress
    rng = random.Random(seed)

    # 1. a fresh register with the People sheet filled ------------------------------------
    register = folder / REGISTER_NAME
    bk.refuse_if_open(register)
    wb = build(now.date())
    wb.properties.created = datetime(2026, 1, 1)
    process = Process.default()
    people = demo_people(process)
    ws = wb[schema.SHEETS["people"]]
    body = Font(name=bk.FONT, size=14)
    for r in range(2, ws.max_row + 1):
        for c in range(1, len(schema.PEOPLE_COLUMNS) + 1):
            ws.cell(row=r, column=c).value = None
    for r, values in enumerate(people, start=2):
        for c, v in enumerate(values, start=1):
            bk.set_text(ws.cell(row=r, column=c), v)
            ws.cell(row=r, column=c).font = body
    bk.save_atomic(wb, register)
    b = bk.load(register)
    cal = b.calendar

    # 2. a year of letters, each timed through the process -------------------------------
    sim = _Simulator(b.process, cal, people, rng, now)
    fy, rm = latest_complete_round(now)
    # from the start of the fiscal year of the latest complete round up to now
    start_m = cal.minutes(period(fy, rm)[0])
    end_m = cal.minutes(now) - 90
    events: list[_Event] = []
    showcase = SHOWCASE[: min(len(SHOWCASE), items // 4)]
    for idx in range(items - len(showcase)):
        received = sim.at(cal.moment(rng.uniform(start_m, end_m)), 0)
        _, evs = sim.letter(idx, received)
        events += [e for e in evs if e.at <= now]  # the future has not happened yet
    for k, case in enumerate(showcase):
        events += sim.showcase(items - len(showcase) + k, case)
    # each letter's actions are in time order, so dropping the future leaves a prefix of them
    kept = sorted(events)
    numbers: dict[int, str] = {}

    def planner(book, change: Change, batch: list[_Event]) -> None:
        row = max([1, *book.register_rows.values()]) + 1
        it = batch
        if show:
            from tqdm import tqdm

            it = tqdm(batch, desc="demo", unit=" action", leave=False, file=sys.stderr)
        for e in it:
            kw = dict(e.kw)
            by = kw.pop("by")
            if e.action == "register":
                received_at = kw.pop("received_at")
                fields = {k: v for k, v in kw.items() if v is not None}
                numbers[e.idx] = plan_register(book, change, at=e.at, by=by, received_at=received_at, row=row, **fields)
                row += 1
            else:
                plan_action(book, change, numbers[e.idx], e.action, at=e.at, by=by, **kw)

    # 3. the year written as it happened, the checker running at its moments ------------
    # (the first working day after rounds 9 and 12: the round's workbook to the PMQA team;
    # the working day before now and now: digests, then reminders of what is still late)
    runs = sorted({*_round_runs(cal, now, kept[0].at if kept else now), _day_before(cal, now), now})
    outbox = _fresh_outbox(folder)
    done = 0
    for at in runs:
        upto = next((i for i, e in enumerate(kept) if e.at > at), len(kept))
        if upto > done:
            commit(register, lambda b, c, batch=kept[done:upto]: planner(b, c, batch))
            done = upto
        _run_checker(register, at, outbox)

    # 4. the latest round's evaluation and the forms --------------------------------------
    evaluation = evaluate(register, fy, rm, folder / f"Evaluation_FY{fy}_round{rm}.xlsx", now=now, progress=show)
    out = {"folder": folder, "register": register, "outbox": outbox, "evaluation": evaluation}
    for rnd in sorted((folder / "evaluations").glob("*.xlsx"), key=lambda f: f.stat().st_mtime_ns):  # delivered in turn
        out[f"round workbook mailed to the PMQA team ({rnd.stem})"] = rnd
    written = write_forms(register, folder / "forms" if pdf else None)
    for p in written[1:]:
        out[f"pdf:{p.stem}"] = p
    return out
