"""Records the library passes around: a letter, a log entry, a person, a derived item state.

Frozen dataclasses that check themselves when built (after h11's events): a bad value
never travels far from where it was typed. Times are naive Bangkok wall-clock datetimes,
as Excel stores them; :func:`xlflow.worktime.aware` adds the zone for output.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime

from .errors import RecordError

URGENCIES = ("ด่วนที่สุด", "ด่วนมาก", "ด่วน")
SECRECIES = ("ลับที่สุด", "ลับมาก", "ลับ")

#: Status codes (for --json and the checker) and the Thai words the Register shows.
STATUS_TH = {
    "on_time": "ตามกำหนด",
    "due_soon": "ใกล้ครบกำหนด",
    "overdue": "เกินกำหนด",
    "paused": "พักเรื่อง",
    "done": "เสร็จสิ้น",
    # how an item ends before its last sub-step (issue 18; the rules: workflow.ENDINGS)
    "cancelled": "ยกเลิก",
    "closed": "ปิดเรื่อง",
    "forwarded": "ส่งต่อ",
}
STATUS_FROM_TH = {v: k for k, v in STATUS_TH.items()}

#: The actions of the log. ``correct`` undoes the item's last effective action. ``cancel``,
#: ``close`` and ``forward`` end an item before its last sub-step (workflow.ENDINGS); ``link``
#: records the file path or web address of the scanned letter.
ACTIONS = ("register", "advance", "assign", "approve", "reject", "pause", "resume", "correct", "cancel", "close", "forward", "link")
DONE = "DONE"


@dataclass(frozen=True)
class Letter:
    """What the clerk types about an incoming letter (the official register's columns)."""

    item: str  # registration number "12/2569"
    received_at: datetime
    letter_no: str = ""  # the letter's own number: "ที่ รง 0201/1234"
    letter_date: date | None = None
    sender: str = ""
    addressee: str = ""
    subject: str = ""
    urgency: str = ""
    secrecy: str = ""
    reply_by: date | None = None
    action: str = ""
    remarks: str = ""
    scan: str = ""  # the scanned letter: a file path or a web address, typed by the clerk

    def __post_init__(self):
        if self.urgency and self.urgency not in URGENCIES:
            raise RecordError(f'urgency "{self.urgency}" is not one of {", ".join(URGENCIES)}')
        if self.secrecy and self.secrecy not in SECRECIES:
            raise RecordError(f'secrecy "{self.secrecy}" is not one of {", ".join(SECRECIES)}')


class Login(str):
    """A login name standing for who acts (no ``--by`` given): it is stamped as the People
    sheet names its holder (:func:`person`), as the ribbon stamps a click."""


def person(people, login: str) -> str:
    """The People sheet's name for ``login`` (column ชื่อผู้ใช้ Windows; case and ``DOMAIN\\``
    ignored), else the login itself."""
    key = login.rsplit("\\", 1)[-1].strip().casefold()
    for p in people:
        if p.login and p.login.rsplit("\\", 1)[-1].strip().casefold() == key:
            return p.name
    return str(login)


def who(people, by: str) -> str:
    """``by`` as the Log stamps it: a :class:`Login` by its People name, a name as given."""
    return person(people, by) if isinstance(by, Login) else by


def shown_outside(letter: "Letter | None") -> tuple[str, str]:
    """(subject, sender) as a report that leaves the register shows them (the evaluation
    workbook mailed to the PMQA team and the directors): a secret letter's (ลับ, ลับมาก,
    ลับที่สุด) are its class in brackets, as the checker's mails show it; none without a letter."""
    if letter is None:
        return "", ""
    if letter.secrecy:
        return f"[{letter.secrecy}]", f"[{letter.secrecy}]"
    return letter.subject, letter.sender


def scan_url(scan: str) -> str | None:
    """The scanned letter (what a clerk typed into ไฟล์หนังสือที่สแกน) as an address a mail can
    link to: a web address as it is; a Windows path (``\\\\server\\share\\x.pdf``,
    ``S:\\scans\\x.pdf``) or a POSIX path as a ``file:`` URL; anything else ``None`` (shown
    as text only). Pure: the digests (:mod:`xlflow.checks`) call it."""
    from urllib.parse import quote

    text = (scan or "").strip()
    if not text:
        return None
    low = text.lower()
    if low.startswith(("http://", "https://", "file://")):
        return text
    if text.startswith("\\\\") or text.startswith("//"):  # UNC: \\server\share\path
        return "file:" + quote(text.replace("\\", "/"), safe="/:")
    if len(text) > 2 and text[1] == ":" and text[0].isalpha() and text[2] in "\\/":  # S:\scans\x.pdf
        return "file:///" + quote(text.replace("\\", "/"), safe="/:")
    if text.startswith("/"):
        return "file://" + quote(text, safe="/")
    return None


@dataclass(frozen=True)
class Person:
    """A row of the People sheet: whom to notify, and who a Windows user is."""

    name: str
    role: str
    unit: str = ""
    email: str = ""
    login: str = ""  # Windows user name, for the ribbon's stamp


@dataclass(frozen=True)
class LogEntry:
    """One action, as one row of the Log sheet. ``hash`` chains it to the row before."""

    seq: int
    item: str
    substep: str
    action: str
    at: datetime
    by: str
    note: str = ""
    data: dict = field(default_factory=dict)
    hash: str = ""

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise RecordError(f'"{self.action}" is not an action ({", ".join(ACTIONS)})')
        if self.at.tzinfo is not None:
            raise RecordError("log times are naive Bangkok wall-clock times")

    def data_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if self.data else ""

    def content(self) -> str:
        """The canonical text the hash covers (every column but the hash)."""
        return "\x1f".join(
            [str(self.seq), self.item, self.substep, self.action, self.at.isoformat(timespec="seconds"), self.by, self.note, self.data_json()]
        )

    def chained(self, prev_hash: str) -> "LogEntry":
        """This entry with its hash computed over its content and the previous row's hash."""
        h = hashlib.sha256((prev_hash + "\x1e" + self.content()).encode("utf-8")).hexdigest()
        return LogEntry(self.seq, self.item, self.substep, self.action, self.at, self.by, self.note, dict(self.data), h)


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Segment:
    """One sub-step as worked: started, finished (or open), paused spans, round and who."""

    item: str
    substep: str
    round: int
    started: datetime
    finished: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    by: str = ""
    outcome: str = ""  # advance / approve / reject / done, or cancel / close / forward (it ended the item here)


def segment(item: str, substep: str, round: int, started: datetime, finished: datetime | None,
            pauses: tuple[Pause, ...], by: str, outcome: str) -> Segment:
    """A :class:`Segment`, made without the frozen dataclass's ``__init__`` (which sets each
    field through ``object.__setattr__``): a replay of a large register makes a million and
    a half of them, and this is four times faster. Equal, hashed and printed as one made the
    usual way."""
    s = _new(Segment)
    s.__dict__.update(item=item, substep=substep, round=round, started=started, finished=finished, pauses=pauses,
                      by=by, outcome=outcome)
    return s


_new = object.__new__


@dataclass(frozen=True)
class ItemState:
    """The state of an item, derived from its log entries (never stored as truth)."""

    item: str
    substep: str  # current sub-step code, or DONE
    started_at: datetime
    round: int = 0
    unit: str = ""
    officer: str = ""
    paused_since: datetime | None = None
    pause_reason: str = ""
    completed_at: datetime | None = None
    last_at: datetime | None = None
    last_by: str = ""
    last_action: str = ""
    segments: tuple[Segment, ...] = ()
    effective: tuple[int, ...] = ()  # seq numbers of the log entries still in force
    ended: str = ""  # how a done item ended before its last sub-step: cancelled, closed, forwarded ("" : completed)
    end_note: str = ""  # the reason it was cancelled, closed or sent on
    forwarded_to: str = ""  # whom it was sent on to
    reply_no: str = ""  # the answer's own number ("ที่ รง 0301/1234"), recorded as the last sub-step finished
    reply_date: date | None = None  # and its date
    scan: str = ""  # the scanned letter as last linked (the link action)

    @property
    def done(self) -> bool:
        return self.substep == DONE

    @property
    def paused(self) -> bool:
        return self.paused_since is not None

    @property
    def current(self) -> Segment | None:
        """The open segment (the current sub-step as worked so far)."""
        if self.done or not self.segments:
            return None
        return self.segments[-1]


_DATA: dict[str, dict] = {}  # recent data texts → their dict (a unit, an officer repeat on many rows)
_NO_DATA: dict = {}


def data_of(text) -> dict:
    """A Log row's data column (JSON text, or already a dict) as a dict, decoded once per
    distinct text. Entries never change their data, so equal texts may share one dict.

    Raises :class:`~xlflow.errors.RecordError` (a ValueError) for text that is not a JSON object (what xlflow writes): not
    JSON, JSON of another kind (``"just text"``, ``[1]``), or nested too deep to read.
    """
    if not text:
        return _NO_DATA
    if isinstance(text, dict):
        return text
    got = _DATA.get(text)
    if got is None:
        try:
            got = json.loads(text)
        except ValueError:
            raise RecordError("the data is not JSON") from None
        except RecursionError:
            raise RecordError("the data is nested too deep") from None
        if not isinstance(got, dict):
            raise RecordError("the data is not a JSON object")
        if len(_DATA) > 4096:
            _DATA.clear()
        _DATA[text] = got
    return got


def as_row(e: LogEntry) -> tuple:
    """An entry as a plain row ``(seq, item, substep, action, at, by, note, data, hash)``."""
    return (e.seq, e.item, e.substep, e.action, e.at, e.by, e.note, e.data, e.hash)


def entry_of(row) -> LogEntry:
    """A plain row (its data JSON text or a dict) as a :class:`LogEntry`."""
    seq, item, substep, action, at, by, note, data, h = row
    return LogEntry(seq, item, substep, action, at, by, note, data_of(data), h)
