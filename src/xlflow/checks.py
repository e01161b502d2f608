"""What the checker finds in a register, whom it tells, and the words of its e-mails.

Pure: a parsed :class:`~xlflow.book.Book` and a time go in; breaches, recipients, the
digests to send and their text and HTML come out. No SMTP, no SQLite, no file is touched
here (after h11's "no I/O" core): :mod:`xlflow.checker` reads the register, asks the state
store what was already sent (a callable handed to :func:`plan_digests`), sends and records.

A **breach** is one fact worth one announcement, keyed ``"{item}|{substep}|{round}|{kind}"``:

===============  =============================================================================
kind             when
===============  =============================================================================
overdue          the current sub-step is past its due time (working time, pauses excluded)
due_soon         less than the warning margin is left: the larger of ``soon_minutes`` (60)
                 working minutes and ``soon_fraction`` (25 %) of the standard, but never more
                 than half the standard (a 5-minute sub-step warns 2.5 minutes before)
reply_overdue    the date the sender asked for a reply by has passed
reply_soon       that date is today or at most ``reply_warn_days`` working days away
===============  =============================================================================

The reply-by date belongs to the letter, not to a sub-step: its key carries
``reply-by:<date>`` in the sub-step place and round 0, so it is announced once per date
however often the item moves on (a corrected date is announced anew). It is watched while
the item is paused too (a pause waits on others; the sender still waits on us). Done items
are never announced, and paused ones only for their reply-by date.

**Follow-up.** A breach is announced once (its key); while it stays overdue it is followed up
by **steps**, each with a key of its own, so each (breach, recipient, step) is sent once:

* a reminder ``"{key}#r{n}"`` to the same people every ``remind_every_days`` working days
  it stays late, counted in days from the day it fell due, so that a day's reminders come
  together with its first run (``n`` counts them; a run after an outage sends only the step
  reached);
* an escalation ``"{key}#e{m}"`` to the holders of a role (ผอ.วท., then ผอ.สปร.) once the
  working time spent on the sub-step reaches ``m`` times its standard (a standard shorter
  than ``escalate_floor_days`` working days counts as that long).

Whom to tell: the holders of the roles the Process sheet gives the current sub-step; a role
flagged ``officer`` stands for the item's officer in charge. When nobody holds them (an
empty role, executives outside People), the officer in charge is told, else the directors
hear of it. A reply-by date is the letter's, not the sub-step's: it goes to the officer in
charge (paused or not), else to the sub-step's people. The directors (roles flagged ``director``) get a **summary** whenever there is
something new for them: every breach open now, how late, the new ones marked, and every
problem the checker met (a cell that cannot be read, a person without an e-mail) with the
new ones marked. Each person gets one e-mail per run: a director's own items and the
summary share one message.

A **secret** letter (ชั้นความลับ ลับ, ลับมาก, ลับที่สุด) keeps its subject in the workbook:
its mails show the registration number, the secrecy class and the sub-step only.

>>> KINDS
('overdue', 'due_soon', 'reply_overdue', 'reply_soon')
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .errors import CellError, LogRowError, XlflowError
from .model import SECRECIES, STATUS_TH, ItemState, LogEntry, Person, scan_url
from .process import Process, SubStep
from .thaidate import fiscal_year, format_date, format_datetime, round_range
from .workflow import replay, timing
from .worktime import WorkCalendar, calendar_gaps, local

KINDS = ("overdue", "due_soon", "reply_overdue", "reply_soon")
KIND_TH = {
    "overdue": "เกินกำหนด",
    "due_soon": "ใกล้ครบกำหนด",
    "reply_overdue": "เลยวันกำหนดตอบ",
    "reply_soon": "ใกล้วันกำหนดตอบ",
}
KIND_EN = {
    "overdue": "overdue",
    "due_soon": "due soon",
    "reply_overdue": "past the reply-by date",
    "reply_soon": "near the reply-by date",
}
NOTICE = "notice"
#: A digest lists at most this many items of each kind per section; the rest are counted
#: (and announced: the register shows them). Keeps a first run on a large register from
#: writing an e-mail too big for the office's mail server.
LIST_LIMIT = 200

#: The follow-up an office would choose (``[followup]`` in xlflow.toml): a reminder every working
#: day an item stays late; escalation to ผอ.วท. at twice the standard and to ผอ.สปร. at four
#: times, a standard counting as at least one working day.
REMIND_EVERY_DAYS = 1
ESCALATE = ((2, "ผอ.วท."), (4, "ผอ.สปร."))
ESCALATE_FLOOR_DAYS = 1


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


# -- records ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Breach:
    """One thing to announce about one item (see the table in the module docstring)."""

    key: str
    item: str
    kind: str
    substep: str
    substep_name: str
    round: int
    subject: str = ""  # empty for a secret letter: see ``secrecy``
    officer: str = ""
    due_at: datetime | None = None
    late_minutes: float = 0.0  # working minutes past due (overdue)
    left_minutes: float = 0.0  # working minutes still left (due soon)
    reply_by: date | None = None
    reply_days: int = 0  # working days past (reply_overdue) or left (reply_soon)
    secrecy: str = ""  # ลับ, ลับมาก, ลับที่สุด: the subject stays in the workbook
    paused: bool = False  # the item waits on an outside agency (its reply-by date is still watched)
    worked_minutes: float = 0.0  # working minutes spent on the sub-step (overdue, due soon)
    standard: int = 0  # the sub-step's standard in working minutes
    scan: str = ""  # the scanned letter (ไฟล์หนังสือที่สแกน): empty for a secret letter, as its subject


@dataclass(frozen=True)
class FollowUp:
    """A later announcement of a breach that stays overdue: a reminder to the same people,
    or an escalation to the holders of a role. Keyed ``"{breach key}#r{n}"`` / ``"#e{m}"``."""

    key: str
    breach: Breach
    what: str  # "reminder" or "escalation"
    n: int  # the reminder's number, or the multiple of the standard reached
    role: str = ""  # an escalation's role


@dataclass(frozen=True)
class Notice:
    """A problem for the directors; its key makes it once-only like a breach. ``unread``: a
    cell or row that could not be read, an item not checked (the run's exit code says so);
    otherwise advice (a person without an e-mail, a role nobody holds)."""

    key: str
    th: str
    en: str
    unread: bool = False

    @property
    def text(self) -> str:
        return f"{self.en} ({self.th})"


@dataclass(frozen=True)
class Addressee:
    """One e-mail address and the People rows that carry it."""

    email: str
    names: tuple[str, ...]
    director: bool = False
    pmqa: bool = False


@dataclass
class Findings:
    """Everything one run found: breaches, who gets which, the follow-ups, the directors, the problems."""

    now: datetime
    breaches: list[Breach] = field(default_factory=list)
    to: dict[str, list[str]] = field(default_factory=dict)  # breach key → addresses (lower case)
    people: dict[str, Addressee] = field(default_factory=dict)  # address (lower case) → addressee
    notices: list[Notice] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)  # status → how many items now
    followups: list[FollowUp] = field(default_factory=list)
    followup_to: dict[str, list[str]] = field(default_factory=dict)  # follow-up key → addresses
    unreadable: dict[str, str] = field(default_factory=dict)  # item → why it was not checked (a cell named)
    remind_every_days: int = REMIND_EVERY_DAYS  # 0: no reminders
    witness: str = ""  # the Log's witness line as this run found it (xlflow.witness), for the directors

    @property
    def directors(self) -> list[str]:
        return [e for e, a in self.people.items() if a.director]

    @property
    def pmqa(self) -> list[str]:
        return [e for e, a in self.people.items() if a.pmqa]

    def notice(self, th: str, en: str, unread: bool = False) -> None:
        """Add a problem once (the same words twice are one notice); ``unread``: something in
        the register could not be read, or an item was not checked."""
        key = notice_key(en)
        if all(n.key != key for n in self.notices):
            self.notices.append(Notice(key, th, en, unread))

    @property
    def unread(self) -> list[Notice]:
        """The problems of cells or rows that could not be read (the exit code's concern)."""
        return [n for n in self.notices if n.unread]


@dataclass(frozen=True)
class Digest:
    """One e-mail to one address: own items (new ones and follow-ups), (directors) the
    summary of every breach open now and every problem, the new ones marked."""

    email: str
    names: tuple[str, ...]
    own: tuple[Breach, ...] = ()  # announced to this person for the first time
    summary: tuple[Breach, ...] = ()  # directors: every breach open now (but those in ``own``)
    notices: tuple[Notice, ...] = ()  # directors: every problem met
    director: bool = False
    followups: tuple[FollowUp, ...] = ()  # reminders and escalations to this person
    new: frozenset = frozenset()  # keys of the summary's breaches and notices this person has not had
    covered: tuple[str, ...] = ()  # reminders the first announcement of their breach in this message stands for

    @property
    def keys(self) -> list[str]:
        """Every key this message announces for the first time to its address: recorded once it is accepted."""
        return [*(b.key for b in self.own), *(x.key for x in self.followups), *self.covered,
                *(b.key for b in self.summary if b.key in self.new), *(n.key for n in self.notices if n.key in self.new)]

    @property
    def breaches(self) -> tuple[Breach, ...]:
        return self.own + self.summary


def breach_key(item: str, substep: str, round: int, kind: str) -> str:
    """``"12/2569|2.1|0|overdue"``: what the state store remembers as announced."""
    return f"{item}|{substep}|{round}|{kind}"


def notice_key(text: str) -> str:
    """A notice's key: four parts like a breach key, the words hashed, kind ``notice``."""
    return f"{NOTICE}|{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}|0|{NOTICE}"


# -- people --------------------------------------------------------------------------------------
def directors(people: Iterable[Person], process: Process) -> list[Person]:
    """People whose role is flagged ``director`` (ผอ.วท., ผอ.สปร.)."""
    return [p for p in people if (r := process.role(p.role)) is not None and r.director]


def pmqa_team(people: Iterable[Person], process: Process) -> list[Person]:
    """People whose role is flagged ``pmqa`` (they receive the round's evaluation workbook)."""
    return [p for p in people if (r := process.role(p.role)) is not None and r.pmqa]


def responsible(state: ItemState, sub: SubStep | None, people: Sequence[Person], process: Process) -> list[Person]:
    """Whom to tell about an item: the holders of the roles the Process sheet gives its current
    sub-step, a role flagged ``officer`` standing for the item's officer in charge; when
    nobody holds them, the officer in charge (if any)."""
    officer = [p for p in people if state.officer and p.name == state.officer]
    out: list[Person] = []
    for name in sub.roles if sub else ():
        role = process.role(name)
        holders = officer if role is not None and role.officer else [p for p in people if p.role == name]
        out += [p for p in holders if p not in out]
    return out or officer


def holders(role: str, people: Sequence[Person]) -> list[Person]:
    """The People rows of a role (an escalation's recipients)."""
    return [p for p in people if p.role == role]


def _row(name: str, people_rows: dict[str, int] | None) -> str:
    r = (people_rows or {}).get(name)
    return f", row {r}" if r else ""


def _row_th(name: str, people_rows: dict[str, int] | None) -> str:
    r = (people_rows or {}).get(name)
    return f" แถวที่ {r}" if r else ""


# -- finding -----------------------------------------------------------------------------------------
def _sort_key(item: str) -> tuple:
    m = re.match(r"^\s*(\d+)\s*/\s*(\d+)\s*$", item)
    return (int(m.group(2)), int(m.group(1)), item) if m else (99999, 0, item)


def working_days_between(cal: WorkCalendar, a: date, b: date) -> int:
    """Working days in (a, b] (negative when b is before a): 'how many days to go'."""
    end = lambda d: datetime.combine(d, time(23, 59, 59))  # noqa: E731
    return round(cal.between(end(a), end(b)) / cal.day_minutes)


def states_of(log: Sequence[LogEntry], process: Process, history: bool = False) -> tuple[dict[str, ItemState], list[tuple[str, str]]]:
    """Every item's state; an item whose log cannot be replayed is returned as a problem.

    Breaches need only each item's open segment (``history=False``); the round's figures
    need every sub-step as worked (``history=True``)."""
    groups: dict[str, list[LogEntry]] = {}
    for e in log:
        groups.setdefault(e.item, []).append(e)
    out, bad = {}, []
    for item, entries in groups.items():
        try:
            out[item] = replay(entries, process, history)
        except (XlflowError, KeyError) as e:
            bad.append((item, str(e)))
    return out, bad


def find(
    book,
    now: datetime,
    *,
    soon_minutes: float = 60,
    soon_fraction: float = 0.25,
    reply_warn_days: int = 2,
    people_rows: dict[str, int] | None = None,
    remind_every_days: int = REMIND_EVERY_DAYS,
    escalate: Sequence[tuple[int, str]] = ESCALATE,
    escalate_floor_days: float = ESCALATE_FLOOR_DAYS,
) -> Findings:
    """Breaches of every open item at ``now``, whom to tell, the follow-ups due, and the
    problems met on the way.

    ``book`` is a :class:`~xlflow.book.Book` (read-only); ``people_rows`` maps a People
    name to its sheet row, so a missing e-mail can be named by its row. Whatever a cell
    holds, this returns: an item whose Log cannot be read or replayed, or cannot be timed,
    is left out and named in a notice; every other item is checked.
    """
    now = local(now)
    process, cal = book.process, book.calendar
    people: list[Person] = list(book.people)
    f = Findings(now=now, remind_every_days=remind_every_days)
    states, bad, done = book.current_states()
    broken = dict(bad)
    skipped = getattr(book, "unreadable", {}) or {}
    for p in book.problems:
        item = getattr(p, "item", "") if isinstance(p, LogRowError) else ""
        if item and (item in states or item in broken or item in book.register_rows):  # its history has a hole: not checked
            f.unreadable.setdefault(item, str(p))
            f.notice(f"เรื่อง {item} ไม่ได้ตรวจ เพราะอ่านแถวในบันทึกการดำเนินงานไม่ได้: {p}",
                     f"item {item} was not checked: a row of its Log cannot be read: {p}", unread=True)
            continue
        item = next((i for i, e in skipped.items() if e is p), "")
        if item and item in states:
            f.notice(f"เรื่อง {item}: อ่านแถวในทะเบียนไม่ได้ จึงตรวจจากบันทึกการดำเนินงานเท่านั้น (ไม่ทราบเรื่องและวันกำหนดตอบ): {p}",
                     f"item {item}: its Register row could not be read, so it was checked from the Log alone (no subject, no reply-by date): {p}", unread=True)
            continue
        # a Register row without a number is no letter xlflow times (a row of the Table's formulas
        # only, or typed by hand): nothing is left unchecked by it, so it is advice
        numberless = isinstance(p, CellError) and p.problem == "has no registration number"
        f.notice(f"อ่านแถวนี้ไม่ได้ จึงไม่ได้ตรวจ: {p}", f"a row could not be read and was not checked: {p}", unread=not numberless)
    for item, why in bad:
        if item in f.unreadable:
            continue  # its unreadable Log row says why
        f.unreadable[item] = why
        f.notice(f"เรื่อง {item}: อ่านบันทึกการดำเนินงานไม่ได้ ({why}) จึงไม่ได้ตรวจ",
                 f"item {item}: its log cannot be replayed ({why}), so it was not checked", unread=True)
    missing = [item for item in book.register_rows if item not in states and item not in done and item not in f.unreadable]
    if missing:
        shown = ", ".join(missing[:10]) + (f" … (+{len(missing) - 10})" if len(missing) > 10 else "")
        f.notice(
            f"{len(missing)} เรื่องอยู่ในทะเบียนแต่ไม่มีการลงทะเบียนในบันทึกการดำเนินงาน จึงไม่ได้ตรวจ ({shown}) — ลงทะเบียนด้วย xlflow",
            f"{len(missing)} item(s) in the Register have no registration in the Log, so they were not checked ({shown}) — register letters with xlflow",
            unread=True,
        )
    totals = {s: 0 for s in STATUS_TH}
    today = now.date()
    names = {p.name for p in people}
    told: dict[tuple[str, str], list[Person]] = {}  # (officer, sub-step) → whom to tell
    addresses: dict[tuple, list[str]] = {}
    day = cal.day_minutes or 1
    for item in sorted(states, key=_sort_key):
        if item in f.unreadable:
            continue
        state = states[item]
        try:
            t = timing(state, process, cal, now, soon_minutes, soon_fraction)
            found = _breaches(item, state, t, book.letters.get(item), process, cal, today, reply_warn_days)
        except XlflowError as e:  # a time the calendar cannot count (a date near the end of its range)
            f.unreadable[item] = str(e)
            f.notice(f"เรื่อง {item}: คำนวณกำหนดเวลาไม่ได้ ({e}) จึงไม่ได้ตรวจ",
                     f"item {item} cannot be timed ({e}), so it was not checked", unread=True)
            continue
        totals[t.status] = totals.get(t.status, 0) + 1
        if not found:
            continue
        sub = process[state.substep] if state.substep in process else None
        if state.officer and state.officer not in names:
            f.notice(
                f'เจ้าหน้าที่ "{state.officer}" ของเรื่อง {item} ไม่อยู่ในแผ่นงานผู้รับผิดชอบ — เพิ่มชื่อและอีเมลในแผ่นงานนั้น',
                f'the officer "{state.officer}" of item {item} is not in the People sheet — add the name and e-mail there',
            )
        ck = (state.officer, state.substep)
        who = told.get(ck)
        if who is None:
            who = told[ck] = responsible(state, sub, people, process)
        if not who:
            roles = sub.role if sub else state.substep
            f.notice(
                f"ไม่มีผู้รับแจ้งเรื่อง {item} ที่ขั้นตอน {state.substep}: ไม่มีผู้ใดในแผ่นงานผู้รับผิดชอบมีบทบาท {roles}",
                f"nobody to tell about item {item} at sub-step {state.substep}: no one in the People sheet has the role {roles}",
            )
        emails = _emails(f, addresses, ck, who, process, people_rows)
        # the sender's reply-by date is the letter's: its officer in charge answers it (else the sub-step's people)
        mine = [p for p in people if state.officer and p.name == state.officer]
        letter_emails = _emails(f, addresses, ("officer", state.officer), mine, process, people_rows) if mine else emails
        for b in found:
            f.breaches.append(b)
            f.to[b.key] = letter_emails if b.kind.startswith("reply") else emails
            # working days since the day it fell due: each day's reminders come with its first run, in one
            # morning digest, not one mail at each item's own due time of day
            late_days = (working_days_between(cal, local(b.due_at).date(), today) if b.kind == "overdue" and b.due_at
                         else b.reply_days if b.kind == "reply_overdue" else 0)
            if remind_every_days > 0 and late_days >= remind_every_days:
                n = late_days // remind_every_days
                x = FollowUp(f"{b.key}#r{n}", b, "reminder", n)
                f.followups.append(x)
                f.followup_to[x.key] = f.to[b.key]  # reminded as first told: a reply-by date to the letter's officer
            if b.kind != "overdue":
                continue
            base = max(b.standard, escalate_floor_days * day)
            for m, role in escalate:
                if b.worked_minutes + 1e-9 >= m * base:
                    x = FollowUp(f"{b.key}#e{m}", b, "escalation", m, role)
                    to = holders(role, people)
                    if not to:
                        f.notice(f"ไม่มีผู้ใดในแผ่นงานผู้รับผิดชอบมีบทบาท {role} จึงยกระดับเรื่อง {item} ไม่ได้ — เพิ่มชื่อและอีเมล",
                                 f"no one in the People sheet has the role {role}, so item {item} could not be escalated — add the name and e-mail")
                    f.followups.append(x)
                    f.followup_to[x.key] = _emails(f, addresses, ("role", role), to, process, people_rows)
    for p in [*directors(people, process), *pmqa_team(people, process)]:
        if p.email:
            add_addressee(f, p, process)
        else:
            f.notice(
                f"ไม่มีอีเมลของ {p.name} ({p.role}) ในแผ่นงานผู้รับผิดชอบ{_row_th(p.name, people_rows)} — เพิ่มอีเมล",
                f"no email for {p.name} ({p.role}) in the People sheet{_row(p.name, people_rows)} — add one",
            )
    totals["done"] = totals.get("done", 0) + len(done)
    f.totals = totals
    return f


def _breaches(item: str, state: ItemState, t, letter, process: Process, cal: WorkCalendar, today: date, reply_warn_days: int) -> list[Breach]:
    """The breaches of one item at the time ``t`` was taken (may raise an XlflowError the
    calendar raises for a date it cannot count)."""
    if t.status == "done":
        return []
    sub = process[state.substep] if state.substep in process else None
    secrecy = letter.secrecy if letter is not None and letter.secrecy in SECRECIES else ""
    common = dict(
        item=item,
        substep=state.substep,
        substep_name=sub.name_th if sub else "",
        subject="" if secrecy or letter is None else letter.subject,
        scan="" if secrecy or letter is None else letter.scan,
        secrecy=secrecy,
        officer=state.officer,
        due_at=t.due_at,
        paused=t.status == "paused",
        standard=t.standard,
        worked_minutes=t.worked,
    )
    found: list[Breach] = []
    if t.status in ("overdue", "due_soon"):
        found.append(Breach(
            key=breach_key(item, state.substep, state.round, t.status), kind=t.status, round=state.round,
            late_minutes=t.late, left_minutes=max(0.0, t.standard - t.worked), **common,
        ))
    if letter is not None and letter.reply_by is not None:
        days = working_days_between(cal, today, letter.reply_by)
        kind = "reply_overdue" if letter.reply_by < today else "reply_soon" if days <= reply_warn_days else None
        if kind:
            found.append(Breach(
                key=breach_key(item, f"reply-by:{letter.reply_by.isoformat()}", 0, kind), kind=kind, round=0,
                reply_by=letter.reply_by, reply_days=abs(days), **common,
            ))
    return found


def _emails(f: Findings, cache: dict, ck, who: Sequence[Person], process: Process, people_rows) -> list[str]:
    """The addresses of ``who`` (each once), a notice for each one without an e-mail."""
    emails = cache.get(ck)
    if emails is None:
        emails = []
        for p in who:
            if not p.email:
                f.notice(
                    f"ไม่มีอีเมลของ {p.name} ในแผ่นงานผู้รับผิดชอบ{_row_th(p.name, people_rows)} — เพิ่มอีเมลเพื่อให้ได้รับการแจ้งเตือน",
                    f"no email for {p.name} in the People sheet{_row(p.name, people_rows)} — add one so that they are told",
                )
                continue
            emails.append(add_addressee(f, p, process))
        emails = cache[ck] = list(dict.fromkeys(emails))
    return emails


def add_addressee(f: Findings, p: Person, process: Process) -> str:
    """Put ``p`` among the addressees of ``f`` (one entry per e-mail address); returns the key."""
    email = p.email.strip().lower()
    role = process.role(p.role)
    old = f.people.get(email)
    names = tuple(dict.fromkeys([*(old.names if old else ()), p.name]))
    f.people[email] = Addressee(
        email=old.email if old else p.email.strip(),
        names=names,
        director=bool((old and old.director) or (role and role.director)),
        pmqa=bool((old and old.pmqa) or (role and role.pmqa)),
    )
    return email


def plan_digests(findings: Findings, pending: Callable[[list[str], str], list[str]]) -> list[Digest]:
    """One digest per address, when ``pending(keys, address)`` says something in it is new.

    A person's message carries the breaches announced to them for the first time and the
    follow-ups (reminders, escalations) they have not had. A director's message carries
    besides every breach open now (the summary) and every problem met, the new ones marked;
    it goes when anything in it is new. Addresses with nothing new get no message.
    """
    by_key = {b.key: b for b in findings.breaches}
    mine: dict[str, list[str]] = {}
    for key, emails in findings.to.items():
        for e in emails:
            mine.setdefault(e, []).append(key)
    follow: dict[str, list[FollowUp]] = {}
    for x in findings.followups:
        for e in findings.followup_to.get(x.key, []):
            follow.setdefault(e, []).append(x)
    out = []
    for email, who in findings.people.items():
        own = mine.get(email, [])
        ups = follow.get(email, [])
        every = [b.key for b in findings.breaches] if who.director else []
        notices = [n.key for n in findings.notices] if who.director else []
        wanted = list(dict.fromkeys([*own, *(x.key for x in ups), *every, *notices]))
        if not wanted:
            continue
        left = set(pending(wanted, email))
        if not left:
            continue
        shown = {k for k in own if k in left}
        summary = [k for k in every if k not in shown]
        new = frozenset(k for k in [*summary, *notices] if k in left)
        # a breach found already long overdue is announced once: its first notice stands for the
        # reminder due the same day (recorded as sent, so the next one comes in its own time)
        covered = tuple(x.key for x in ups if x.key in left and x.what == "reminder" and x.breach.key in shown)
        out.append(Digest(
            email=who.email,
            names=who.names,
            own=tuple(by_key[k] for k in own if k in left),
            summary=tuple(by_key[k] for k in summary),
            notices=tuple(findings.notices) if who.director else (),
            director=who.director,
            followups=tuple(x for x in ups if x.key in left and x.key not in covered),
            new=new,
            covered=covered,
        ))
    return out


# -- the Calendar sheet's reach -------------------------------------------------------------------
def calendar_notices(holidays, today: date) -> list[tuple[str, str]]:
    """(Thai, English) warnings about what the Calendar sheet lacks as of ``today``
    (:func:`xlflow.worktime.calendar_gaps`): its end within 60 days (or passed), a day the
    office must add that the holidays library does not table (วันพืชมงคล after 2026)."""
    out = []
    for g in calendar_gaps(list(holidays), today):
        if g.kind == "empty":
            out.append(("แผ่นงานวันหยุดราชการไม่มีวันหยุดของปีงบประมาณใดเลย — กำหนดเสร็จจะไม่นับวันหยุด: เพิ่มวันหยุด แล้วสั่ง xlflow refresh",
                        "the Calendar sheet lists no fiscal year of holidays — due times count no day off: add the holidays, then run xlflow refresh"))
        elif g.kind == "ends":
            when = "สิ้นสุดไปแล้วเมื่อ" if g.day < today else "จะสิ้นสุดในวันที่"
            out.append((f"แผ่นงานวันหยุดราชการ{when} {format_date(g.day)} — กำหนดเสร็จหลังจากนั้นจะไม่นับวันหยุด: เพิ่มวันหยุดของปีงบประมาณ "
                        f"{fiscal_year(g.day) + 1} (จากหนังสือเวียนหรือทะเบียนที่ xlflow init สร้างใหม่) แล้วสั่ง xlflow refresh",
                        f"the Calendar sheet lists holidays only until {g.day.isoformat()} ({format_date(g.day)}) — due times after it count no "
                        f"day off: add the holidays of fiscal year {fiscal_year(g.day) + 1} (a register made by xlflow init lists them), then run xlflow refresh"))
        else:
            out.append((f"{g.name_th} ปี {g.day.year + 543} ยังไม่อยู่ในแผ่นงานวันหยุดราชการ (ไลบรารีวันหยุดไม่มีวันนี้) — พิมพ์วันที่เมื่อสำนักพระราชวังประกาศ "
                        f"แล้วสั่ง xlflow refresh; ระหว่างนี้กำหนดเสร็จในเดือน{format_date(g.day).split(' ', 1)[1].rsplit(' ', 1)[0]} อาจเร็วไปหนึ่งวัน",
                        f"{g.name_en} {g.day.year} ({g.name_th}) is not in the Calendar sheet, and the holidays library does not list it — type its "
                        f"date once it is announced, then run xlflow refresh; until then due times in {g.day:%B} may come out a day early"))
    return out


# -- words -----------------------------------------------------------------------------------------
def one_line(text: object) -> str:
    """Register text for the plain-text part: no line break can fake a line of its own."""
    return " ".join(_CONTROL.sub(" ", str(text or "")).split())


def esc(text: object) -> str:
    """Register text for the HTML part (every value passes through here)."""
    return html.escape(one_line(text), quote=True)


def hours(minutes: float) -> str:
    """Working minutes as working hours with one decimal: 90 → ``1.5``."""
    return f"{minutes / 60:.1f}"


def _counts(breaches: Sequence[Breach]) -> list[tuple[str, int]]:
    return [(k, n) for k in KINDS if (n := sum(1 for b in breaches if b.kind == k))]


def subject_line(digest: Digest) -> str:
    """``xlflow: เกินกำหนด 2 เรื่อง ใกล้ครบกำหนด 1 เรื่อง / 2 overdue, 1 due soon`` (no register text).

    Counts the breaches the message lists; then its reminders and escalations; a directors'
    summary says how many of its items are new."""
    counts = _counts(digest.breaches)
    th = [f"{KIND_TH[k]} {n} เรื่อง" for k, n in counts]
    en = [f"{n} {KIND_EN[k]}" for k, n in counts]
    reminders = {x.breach.item for x in digest.followups if x.what == "reminder"}  # letters (เรื่อง), not breaches
    raised = {x.breach.item for x in digest.followups if x.what == "escalation"}
    if reminders:
        th.append(f"เตือนซ้ำ {len(reminders)} เรื่อง")
        en.append(f"{len(reminders)} reminder{'s' if len(reminders) != 1 else ''}")
    if raised:
        th.append(f"ยกระดับ {len(raised)} เรื่อง")
        en.append(f"{len(raised)} escalated")
    if digest.notices:
        th.append(f"ปัญหาที่ต้องแก้ {len(digest.notices)} รายการ")
        en.append(f"{len(digest.notices)} problem{'s' if len(digest.notices) != 1 else ''} to fix")
    summary = digest.director and (digest.summary or digest.notices)
    if summary:
        fresh = (sum(1 for b in digest.summary if b.key in digest.new) + len(digest.own) + len(digest.followups)
                 + sum(1 for n in digest.notices if n.key in digest.new))  # whatever the body marks new
        th.append(f"(ใหม่ {fresh})")
        en.append(f"{fresh} new")
    head = "xlflow สรุปสำหรับผู้อำนวยการ" if summary else "xlflow"
    tail = "directors' summary: " if summary else ""
    return f"{head}: {' '.join(th)} / {tail}{', '.join(en)}"


def shown_subject(b: Breach) -> str:
    """The subject as a mail may show it: a secret letter's stays in the workbook."""
    if b.secrecy:
        return f"[{b.secrecy}] (ชั้นความลับ: เรื่องดูได้ในทะเบียนเท่านั้น / secret: the subject is kept in the register)"
    return one_line(b.subject)


#: How much of a sub-step's name a mail shows (the manual's 2.1 and 4.1 run to 250 characters,
#: repeated for every letter at them: too much on a phone; the register has the whole).
BRIEF = 90


def brief(name: str, limit: int = BRIEF) -> str:
    """A sub-step's name as a mail lists it: whole when short, else up to the last space or
    "/" within ``limit`` (a Thai phrase ends there), never inside a character's marks, then "…"."""
    name = one_line(name)
    if len(name) <= limit:
        return name
    cut = max(name.rfind(" ", 0, limit + 1), name.rfind("/", 0, limit))
    if cut < limit // 3:  # no phrase ends near: cut at the limit, after the marks of its last character
        cut = limit
        while cut < len(name) and unicodedata.category(name[cut]) == "Mn":
            cut += 1
    return name[:cut].rstrip(" ,(") + "…"


def _detail(b: Breach) -> list[str]:
    """Lines about one breach, each in Thai and English: where it is, the target, how late."""
    lines = [f"ขั้นตอน / sub-step {b.substep} {brief(b.substep_name)}" if b.kind in ("overdue", "due_soon") else
             f"ขั้นตอนปัจจุบัน / now at sub-step {b.substep} {brief(b.substep_name)}"]
    if b.kind == "overdue":
        lines.append(f"กำหนดเสร็จ / due: {format_datetime(b.due_at)}")
        lines.append(f"เกินกำหนด {hours(b.late_minutes)} ชั่วโมงทำการ / {hours(b.late_minutes)} working hours late")
    elif b.kind == "due_soon":
        lines.append(f"กำหนดเสร็จ / due: {format_datetime(b.due_at)}")
        lines.append(f"เหลือเวลา {hours(b.left_minutes)} ชั่วโมงทำการ / {hours(b.left_minutes)} working hours left")
    elif b.kind == "reply_overdue":
        lines.append(f"กำหนดตอบภายใน / reply by: {format_date(b.reply_by, 'abbr')}")
        lines.append(f"เลยกำหนดตอบมาแล้ว {b.reply_days} วันทำการ / {b.reply_days} working day(s) past the reply-by date")
    else:
        lines.append(f"กำหนดตอบภายใน / reply by: {format_date(b.reply_by, 'abbr')}")
        # no working day left before the date: it is today, or falls on the weekend or holiday after today
        lines.append("วันนี้เป็นวันทำการสุดท้ายที่จะตอบได้ทันกำหนด / today is the last working day to answer in time" if b.reply_days == 0 else
                     f"อีก {b.reply_days} วันทำการ / {b.reply_days} working day(s) left")
    if b.paused:
        lines.append("พักเรื่องรอหน่วยงานอื่นอยู่ / paused, waiting on another agency")
    return lines


def _followup_line(x: FollowUp) -> str:
    if x.what == "reminder":
        return f"เตือนครั้งที่ {x.n}: ยังค้างอยู่ / reminder {x.n}: still open"
    return (f"ยกระดับถึง {one_line(x.role)}: ใช้เวลาแล้ว {x.n} เท่าของมาตรฐานหรือกว่า / "
            f"escalated to {one_line(x.role)}: {x.n} times the standard or more spent")


def _more(n: int) -> str:
    return (f"… และอีก {n} เรื่อง ดูได้ในทะเบียน (กรองคอลัมน์สถานะ) / … and {n} more: filter the register by status"
            if n else "")


NEW = "ใหม่ / new"


def _entries(digest: Digest, part: str) -> list[tuple[Breach, str]]:
    """(breach, its marks) of a section: ``own`` (new to this person, then the follow-ups) or
    ``summary`` (the new ones marked)."""
    if part == "own":  # a breach once, with whatever follows it up (a reminder and an escalation together)
        got: dict[str, tuple[Breach, list[str]]] = {b.key: (b, []) for b in digest.own}
        for x in digest.followups:
            got.setdefault(x.breach.key, (x.breach, []))[1].append(_followup_line(x))
        return [(b, "\n".join(marks)) for b, marks in got.values()]
    return [(b, NEW if b.key in digest.new else "") for b in digest.summary]


def _section_text(title: str, entries: Sequence[tuple[Breach, str]], with_officer: bool) -> list[str]:
    out = [title, ""]
    for k in KINDS:
        group = [(b, mark) for b, mark in entries if b.kind == k]
        if not group:
            continue
        out.append(f"{KIND_TH[k]} / {KIND_EN[k]} ({len(group)})")
        if len(group) > LIST_LIMIT:
            out.append(_more(len(group) - LIST_LIMIT))
        for b, mark in group[:LIST_LIMIT]:
            out.append(f"- {'[' + mark + '] ' if mark == NEW else ''}{b.item} — {shown_subject(b)}")
            lines = _detail(b)
            if mark and mark != NEW:
                lines[:0] = mark.split("\n")
            if with_officer:
                lines.append(f"เจ้าหน้าที่ / officer: {one_line(b.officer) or '-'}")
            if b.scan:
                lines.append(f"หนังสือที่สแกน / scanned letter: {scan_url(b.scan) or one_line(b.scan)}")
            out += [f"    {ln}" for ln in lines]
        out.append("")
    return out


def _section_html(title: str, entries: Sequence[tuple[Breach, str]], with_officer: bool) -> str:
    parts = [f"<h3>{esc(title)}</h3>"]
    for k in KINDS:
        group = [(b, mark) for b, mark in entries if b.kind == k]
        if not group:
            continue
        parts.append(f"<h4>{esc(KIND_TH[k])} / {esc(KIND_EN[k])} ({len(group)})</h4>")
        head = ["เลขทะเบียนรับ<br>Item", "เรื่อง<br>Subject", "ขั้นตอน<br>Sub-step", "รายละเอียด<br>Detail"]
        if with_officer:
            head.append("เจ้าหน้าที่<br>Officer")
        rows = ["<tr>" + "".join(f'<th style="border:1px solid #999;padding:4px">{h}</th>' for h in head) + "</tr>"]
        if len(group) > LIST_LIMIT:
            parts.append(f"<p>{esc(_more(len(group) - LIST_LIMIT))}</p>")
        for b, mark in group[:LIST_LIMIT]:
            lines = _detail(b)[1:]
            if mark and mark != NEW:
                lines[:0] = mark.split("\n")
            item = esc(b.item) + (f" <b>[{esc(NEW)}]</b>" if mark == NEW else "")
            subject = esc(shown_subject(b))
            if b.scan:
                url = scan_url(b.scan)
                subject += ("<br>" + (f'<a href="{esc(url)}">หนังสือที่สแกน / scanned letter</a>' if url
                                      else f"หนังสือที่สแกน / scanned letter: {esc(b.scan)}"))
            cells = [item, subject, f"{esc(b.substep)} {esc(brief(b.substep_name))}", "<br>".join(esc(x) for x in lines)]
            if with_officer:
                cells.append(esc(b.officer) or "-")
            rows.append("<tr>" + "".join(f'<td style="border:1px solid #999;padding:4px;vertical-align:top">{c}</td>' for c in cells) + "</tr>")
        parts.append('<table style="border-collapse:collapse">' + "".join(rows) + "</table>")
    return "\n".join(parts)


def render(digest: Digest, findings: Findings, register: str) -> tuple[str, str, str]:
    """(subject, text, html) of a digest; every register value is escaped in the HTML, and
    a secret letter's subject is never in it."""
    names = ", ".join(one_line(n) for n in digest.names) or digest.email
    when = format_datetime(findings.now)
    text = [f"เรียน {names} / Dear {names},", "",
            f"xlflow ตรวจทะเบียน {one_line(register)} เมื่อ {when} / xlflow checked the register {one_line(register)} at {when}", ""]
    body = [f"<p>เรียน {esc(names)} / Dear {esc(names)},</p>",
            f"<p>xlflow ตรวจทะเบียน <b>{esc(register)}</b> เมื่อ {esc(when)} / xlflow checked the register <b>{esc(register)}</b> at {esc(when)}</p>"]
    own = _entries(digest, "own")
    if own:
        title = "เรื่องในความรับผิดชอบของท่าน / Your items"
        text += _section_text(title, own, False)
        body.append(_section_html(title, own, False))
    if digest.summary:
        title = ("สรุปสำหรับผู้อำนวยการ: ทุกเรื่องที่ต้องติดตามขณะนี้ (ที่ไม่ได้แสดงข้างบน) ["
                 f"{NEW}] = ยังไม่เคยแจ้งท่าน / Directors' summary: every item to follow up now (but those above); [{NEW}] = not in an earlier summary")
        summary = _entries(digest, "summary")
        text += _section_text(title, summary, True)
        body.append(_section_html(title, summary, True))
    if digest.director:
        t = findings.totals
        line = (f"ภาพรวมขณะนี้: เกินกำหนด {t.get('overdue', 0)} ใกล้ครบกำหนด {t.get('due_soon', 0)} "
                f"ตามกำหนด {t.get('on_time', 0)} พักเรื่อง {t.get('paused', 0)} เสร็จสิ้น {t.get('done', 0)} / "
                f"now: {t.get('overdue', 0)} overdue, {t.get('due_soon', 0)} due soon, {t.get('on_time', 0)} on time, "
                f"{t.get('paused', 0)} paused, {t.get('done', 0)} done")
        if findings.unreadable:
            line += f" — ไม่ได้ตรวจ {len(findings.unreadable)} เรื่อง (ดูปัญหาด้านล่าง) / {len(findings.unreadable)} not checked (see the problems below)"
        text += [line, ""]
        body.append(f"<p>{esc(line)}</p>")
        if findings.witness:  # a copy of the Log's witness in the directors' mailboxes: verify --against it later
            w = ("พยานของบันทึกการดำเนินงาน (เก็บไว้เพื่อตรวจว่าบันทึกไม่ถูกแก้ย้อนหลัง) / Witness of the Log (keep it: "
                 "it shows later whether the history was rewritten):")
            text += [w, findings.witness, ""]
            body.append(f'<p style="color:#666">{esc(w)}<br><code>{esc(findings.witness)}</code></p>')
    if digest.notices:
        title = f"ปัญหาที่พบในทะเบียน (ยังไม่ได้แก้) [{NEW}] = ยังไม่เคยแจ้งท่าน / Problems found in the register (not fixed yet); [{NEW}] = not in an earlier summary"
        listed = digest.notices[:LIST_LIMIT]
        more = len(digest.notices) - len(listed)
        tail = [f"… และอีก {more} รายการ ดูในไฟล์บันทึกของ xlflow / … and {more} more: see xlflow's log file"] if more else []
        mark = lambda n: f"[{NEW}] " if n.key in digest.new else ""  # noqa: E731
        text += [title] + [f"- {mark(n)}{one_line(n.th)}\n  {one_line(n.en)}" for n in listed] + tail + [""]
        body.append(f"<h3>{esc(title)}</h3><ul>" + "".join(f"<li>{esc(mark(n))}{esc(n.th)}<br>{esc(n.en)}</li>" for n in listed)
                    + "".join(f"<li>{esc(x)}</li>" for x in tail) + "</ul>")
    every = findings.remind_every_days
    foot = ("แต่ละเรื่องแจ้งครั้งเดียว / Each item is announced once; see the register for the current state." if every <= 0 else
            f"แต่ละเรื่องแจ้งครั้งเดียว และเตือนซ้ำทุก {every} วันทำการที่ยังเกินกำหนด / Each item is announced once, and reminded "
            f"every {every} working day(s) while it stays late; see the register for the current state.")
    text.append(foot)
    body.append(f'<p style="color:#666">{esc(foot)}</p>')
    page = ('<html><head><meta charset="utf-8"></head><body style="font-family:\'TH Sarabun New\',Tahoma,sans-serif">'
            + "\n".join(body) + "</body></html>")
    return subject_line(digest), "\n".join(text) + "\n", page


# -- rounds ------------------------------------------------------------------------------------------
def round_key(fy: int, months: int) -> str:
    """The once-only delivery key of a round: ``FY2569-R9``."""
    return f"FY{fy}-R{months}"


def rounds_due(
    today: date, cal: WorkCalendar, months: Iterable[int], delivered: Callable[[str], bool], since: date
) -> list[tuple[int, int]]:
    """Rounds to deliver on ``today``, oldest first: not yet delivered, and their delivery day
    (the first working day after the round's last day) reached and not before ``since``
    (the day the checker first ran: older rounds are sent only on purpose, with --redeliver).
    """
    fy = fiscal_year(today)
    out = []
    for y in (fy - 1, fy):
        for m in months:
            _, end = round_range(y, m)
            day = cal.next_working_day(end)
            if since <= day <= today and not delivered(round_key(y, m)):
                out.append((end, y, m))
    return [(y, m) for _, y, m in sorted(out)]


@dataclass(frozen=True)
class RoundStats:
    """The figures of a round's covering message (the workbook holds the detail), taken from
    :func:`xlflow.evaluation.summarize` — the one computation of a round — so the message and
    the attached workbook say the same."""

    fy: int
    months: int
    start: date
    end: date
    received: int = 0  # letters received in the period
    completed: int = 0  # items completed in the period
    steps: int = 0  # sub-steps finished in the period
    within: int = 0  # of them, within their standard
    reply_by_total: int = 0  # letters whose sender asked for an answer by a date: completed, or open with it passed
    reply_by_met: int = 0  # of them, answered by then
    lead_time_median_minutes: float | None = None  # receipt to the answer sent, working minutes

    @property
    def percent(self) -> float | None:
        return 100.0 * self.within / self.steps if self.steps else None

    @classmethod
    def of(cls, summary: dict) -> "RoundStats":
        """The covering message's figures from an evaluation summary."""
        t = summary["totals"]
        return cls(summary["fiscal_year"], summary["round"], summary["start"], summary["end"], t["received"], t["completed"],
                   t["cases"], t["within"], t["reply_by_total"], t["reply_by_met"], t["lead_time_median_minutes"])


def round_stats(book, fy: int, months: int, now: datetime | None = None) -> RoundStats:
    """The round's figures as :func:`xlflow.evaluation.summarize` computes them, as of the
    round's end (or ``now`` if earlier)."""
    from .evaluation import period, summarize

    end = period(fy, months)[1]
    return RoundStats.of(summarize(book, fy, months, min(end, now) if now is not None else end, compare=False))


def render_round(stats: RoundStats, file_path: Path, register: str, now: datetime, again: bool = False) -> tuple[str, str, str]:
    """(subject, text, html) of the message that carries a round's evaluation workbook;
    ``again``: sent once more on purpose (``--redeliver``), and its subject says so."""
    period = f"{format_date(stats.start)} – {format_date(stats.end)}"
    pct = "-" if stats.percent is None else f"{stats.percent:.1f}%"
    subject = (f"xlflow: ผลการประเมินรอบ {stats.months} เดือน ปีงบประมาณ {stats.fy}{' (ส่งซ้ำ)' if again else ''} / "
               f"evaluation of fiscal year {stats.fy}, {stats.months}-month round{' (sent again)' if again else ''}")
    lines = [
        ("ช่วงเวลา / period", period),
        ("หนังสือรับเข้า / letters received", f"{stats.received} เรื่อง / {stats.received}"),
        ("ดำเนินการเสร็จสิ้น / items completed", f"{stats.completed} เรื่อง / {stats.completed}"),
        ("ขั้นตอนย่อยที่ดำเนินการ / sub-steps finished", f"{stats.steps}"),
        ("ภายในมาตรฐานเวลา / within the time standard", f"{stats.within} ({pct})"),
        ("ตอบภายในวันที่ผู้ส่งกำหนด / answered by the sender's reply-by date",
         f"{stats.reply_by_met} / {stats.reply_by_total}" if stats.reply_by_total else "-"),
        ("ระยะเวลารับถึงตอบ (มัธยฐาน) / lead time, receipt to answer (median)",
         "-" if stats.lead_time_median_minutes is None else f"{hours(stats.lead_time_median_minutes)} ชั่วโมงทำการ / working hours"),
        ("ไฟล์เก็บไว้ที่ / the file is kept at", str(file_path)),
        ("จากทะเบียน / from the register", register),
    ]
    intro_th = f"ส่งผลการประเมินกระบวนการ รอบ {stats.months} เดือน ปีงบประมาณ {stats.fy} ตามไฟล์แนบ"
    made = format_datetime(now)  # ends "น.": the sentence takes no second full stop
    intro_en = f"Attached is the evaluation workbook of fiscal year {stats.fy}, {stats.months}-month round, computed by xlflow on {made}"
    intro_en += "" if made.endswith(".") else "."
    text = ["เรียน ทีม PMQA / Dear PMQA team,", "", intro_th, intro_en, ""]
    text += [f"{k}: {one_line(v)}" for k, v in lines] + [""]
    rows = "".join(f'<tr><th style="text-align:left;padding:3px 8px">{esc(k)}</th><td style="padding:3px 8px">{esc(v)}</td></tr>' for k, v in lines)
    page = ('<html><head><meta charset="utf-8"></head><body style="font-family:\'TH Sarabun New\',Tahoma,sans-serif">'
            f"<p>เรียน ทีม PMQA / Dear PMQA team,</p><p>{esc(intro_th)}<br>{esc(intro_en)}</p><table>{rows}</table></body></html>")
    return subject, "\n".join(text), page
