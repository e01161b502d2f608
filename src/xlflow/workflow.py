"""The workflow core: pure functions from (item state, action, time) to a log entry.

No I/O, no openpyxl, xlwings or click (after h11): the doors read a register, call
:func:`act`, and write what it returns. The state of an item is never stored as truth;
:func:`replay` folds its log entries, and :func:`timing` adds the calendar to say when the
current sub-step is due and whether it is late. A holiday added later therefore re-times
every open item and every past evaluation.

What each action needs is the table :data:`RULES`; what follows a sub-step, where a
rejection returns and what must be set before a sub-step ends come from the process table.
An illegal action raises :class:`~xlflow.errors.IllegalAction` naming the item, its
sub-step and what is missing, and changes nothing.
"""

from __future__ import annotations

import itertools
import operator
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from .errors import IllegalAction, MissingField, NotPermitted, XlflowError
from .model import DONE, ItemState, LogEntry, Pause, Segment, as_row, entry_of, segment
from .process import END, REQUIRABLE, Process
from .thaidate import format_date, format_datetime
from .worktime import WorkCalendar, local

#: What each action requires of the item. ``phase``: open (working, not paused), paused,
#: live (open or paused), any (a done item too). ``decision``: True only at a decision
#: sub-step, False never there, None either way. ``note``: a reason must be given (``why``: of what).
RULES: dict[str, dict] = {
    "advance": {"phase": "open", "decision": False, "note": False, "verb": "advance"},
    "approve": {"phase": "open", "decision": True, "note": False, "verb": "approve"},
    "reject": {"phase": "open", "decision": True, "note": True, "verb": "send back", "why": "what must be done again"},
    "pause": {"phase": "open", "decision": None, "note": True, "verb": "pause", "why": "what the work waits for"},
    "resume": {"phase": "paused", "decision": None, "note": False, "verb": "resume"},
    "assign": {"phase": "live", "decision": None, "note": False, "verb": "assign"},
    # issue 18: the ways an item ends early (what else each needs: ENDINGS), and the scanned letter
    "cancel": {"phase": "live", "decision": None, "note": False, "verb": "be cancelled"},
    "close": {"phase": "live", "decision": None, "note": False, "verb": "be closed"},
    "forward": {"phase": "live", "decision": None, "note": False, "verb": "be sent on"},
    "link": {"phase": "any", "decision": None, "note": False, "verb": "link the scanned letter"},
}
#: The actions that finish the current sub-step, and which way they go.
FINISHING = {"advance": "next", "approve": "next", "reject": "reject_to"}


@dataclass(frozen=True)
class Ending:
    """A way an item ends before its last sub-step: a row of :data:`ENDINGS`.

    ``steps``: the main steps (section ๖) at whose sub-steps it is allowed, ``()`` at any open
    sub-step; ``role``: the flag of the process's roles (:class:`~xlflow.process.Role`) the
    person doing it must hold in the People sheet, ``""`` anyone; ``needs``: what must be
    given (``reason``: the Log row's note, ``to``: the recipient); ``instead``: what to do
    where it is not allowed.
    """

    status: str  # the item's status once it ended (model.STATUS_TH)
    what: str  # "cancel a registration", for the refusals
    steps: tuple[int, ...] = ()
    role: str = ""
    needs: tuple[str, ...] = ()
    instead: str = ""
    source: str = ""


#: How an item may end before its last sub-step (issue 18). The item is then done (the
#: checker never announces it again; its registration number is never reused), with its
#: status, reason and time; ``correct`` undoes it like any action.
ENDINGS: dict[str, Ending] = {
    # ยกเลิกเลขทะเบียน: a letter registered by mistake (a duplicate, the wrong register)
    "cancel": Ending(
        "cancelled", "cancel a registration", steps=(1,), needs=("reason",),
        instead="the work on it has begun: close it instead (the director's decision)",
        source="office practice (สารบรรณ): a registration number is never reused; a registration made by mistake "
               "is cancelled in the register, with the reason, while the letter is still being received — step 1 "
               "รับเรื่องจากหน่วยงานภายนอก, section ๖ page ๕",
    ),
    # ปิดเรื่อง: เพื่อทราบ, ไม่ต้องดำเนินการ, รวมเรื่องกับ 12/2569
    "close": Ending(
        "closed", "close an item early", role="director", needs=("reason",),
        source="office practice (สารบรรณ): a letter only for information (เพื่อทราบ), needing no action, or merged with "
               "another is closed on the director's order (ผอ.สปร., ผอ.วท.: the roles that decide what is done with a "
               "letter at 1.2 and 1.5, section ๖ page ๕), at any open sub-step",
    ),
    # ส่งต่อ: a letter that belongs to another bureau or department
    "forward": Ending(
        "forwarded", "send a letter on", steps=(1, 2), needs=("to",),
        instead="the ministry's own work on it has begun: close it with the reason instead (the director's decision)",
        source="office practice (สารบรรณ): a letter that belongs to another bureau or department is sent on to it, with "
               "the recipient and the time, while it is being received and coordinated — steps 1–2, section ๖ page ๕",
    ),
}
#: The answer's own number and date (issue 18.4) are recorded as the sub-step that sends the
#: answer out finishes: the one whose next is END (5.2 จัดส่งความเห็น…ให้หน่วยงานภายนอก,
#: section ๖ page ๖, reference สำเนาเอกสารการจัดส่งหนังสือให้หน่วยงานภายนอก).
ANSWER = {"fields": ("reply_no", "reply_date"), "at": "is_last", "source": "section ๖, page ๖: 5.2"}
#: What an action may need → the Register column the ribbon takes it from (its header is the
#: label a refusal names): the reason is typed into หมายเหตุ, as for a pause.
NEEDS_COLUMN = {"reason": "remarks", "to": "forwarded_to", "scan": "scan"}


def status(state: ItemState, t: "Timing") -> str:
    """An item's status: how it ended early (cancelled, closed, forwarded), else its timing's."""
    return state.ended or t.status
FIELD_TH = {"unit": "หน่วยงาน (unit)", "officer": "เจ้าหน้าที่ผู้รับผิดชอบ (officer)"}

_ITEM_RE = re.compile(r"^\s*(\d{1,6})\s*/\s*(\d{4})\s*$")


# -- numbers -------------------------------------------------------------------------------
def item_number(n: int, be_year: int) -> str:
    """The registration number as the register shows it: ``1234/2569``."""
    return f"{n}/{be_year}"


def canonical_item(text: str) -> str:
    """A registration number as a person may type it — Thai digits, a leading zero, spaces
    (``"๑/๒๕๖๙"``, ``"01/2569"``, ``"1 / 2569"``) — as the register writes it (``"1/2569"``);
    anything else unchanged, for the caller to refuse in its own words."""
    text = str(text).translate(_THAI_DIGITS)
    m = _ITEM_RE.match(text)
    return item_number(int(m.group(1)), int(m.group(2))) if m else text


_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


def parse_item(text: str) -> tuple[int, int]:
    """``"12/2569"`` → ``(12, 2569)``; anything else is an error that shows the form."""
    m = _ITEM_RE.match(str(text))
    if not m:
        raise IllegalAction(f'"{text}" is not a registration number — type it as number/BE year, e.g. 12/2569')
    return int(m.group(1)), int(m.group(2))


def next_number(existing: Iterable[str], at: datetime) -> str:
    """The next registration number: numbers run from 1 in each calendar year (BE)."""
    year = local(at).year + 543
    top = 0
    for it in existing:
        m = _ITEM_RE.match(str(it))
        if m and int(m.group(2)) == year:
            top = max(top, int(m.group(1)))
    return item_number(top + 1, year)


# -- replay --------------------------------------------------------------------------------
_ACTION, _SEQ = operator.attrgetter("action"), operator.attrgetter("seq")


def replay(entries: list[LogEntry], process: Process, history: bool = True) -> ItemState:
    """The state of one item from its log entries (in log order).

    ``correct`` entries withdraw the item's last effective action, so a mistaken click is
    undone by an entry of its own and the log is never rewritten. ``history=False`` keeps
    only the open segment (what the checker needs), not every sub-step as worked (what the
    evaluation needs): a large register then builds no segment per finished sub-step.
    """
    if not isinstance(entries, (list, tuple)):
        entries = list(entries)
    if "correct" not in map(_ACTION, entries):  # the common case: every entry is in force
        effective = entries
    else:
        effective = []
        for e in entries:
            if e.action == "correct":
                if len(effective) > 1:
                    effective.pop()
            else:
                effective.append(e)
    if not effective or effective[0].action != "register":
        raise IllegalAction(f"item {entries[0].item if entries else '?'} has no registration in the log")
    return _fold(effective, process, history)


def _fold(entries: list[LogEntry], process: Process, history: bool = True) -> ItemState:
    # Plain locals and lists while folding, frozen records once at the end: a register of
    # 100,000 items folds 1.5 million entries, so nothing here is built per entry that
    # need not be.
    reg = entries[0]
    item = reg.item
    received = received_of(reg)
    first = process.first
    subs = process._index  # built once per process, not per item
    # a segment while it is built: [substep, round, started, finished, pauses, by, outcome]
    segs: list[list] = [[first.code, 0, received, reg.at, [], reg.by, "advance"]]
    substep, started_at, rnd = first.next, reg.at, 0
    paused_since, pause_reason, completed_at = None, "", None
    ended = end_note = forwarded_to = reply_no = scan = ""
    reply_date = None
    req = {"unit": "", "officer": ""}
    if substep == END:
        substep, completed_at = DONE, reg.at
    else:
        segs.append([substep, 0, reg.at, None, [], "", ""])
    for k in REQUIRABLE:
        if reg.data.get(k):
            req[k] = reg.data[k]
    for e in itertools.islice(entries, 1, None):
        a = e.action
        if a in FINISHING:
            sub = subs.get(substep)
            target = getattr(sub, FINISHING[a]) if sub else END
            seg = segs[-1]
            seg[3], seg[5], seg[6] = e.at, e.by, a
            if a == "reject":
                rnd += 1
            if "reply_no" in e.data or "reply_date" in e.data:
                reply_no, reply_date = e.data.get("reply_no", ""), _day(e.data.get("reply_date"))
            if target == END or not target:
                substep, completed_at = DONE, e.at
                seg[6] = "done" if a != "reject" else a
            else:
                substep, started_at = target, e.at
                segs.append([target, rnd, e.at, None, [], "", ""])
        elif a == "assign":
            for k in REQUIRABLE:
                if k in e.data:
                    req[k] = e.data[k]
        elif a == "pause":
            paused_since, pause_reason = e.at, e.note
            segs[-1][4].append(Pause(e.at, None, e.note))
        elif a == "resume":
            pauses = segs[-1][4]
            if pauses and pauses[-1].end is None:  # a resume with no pause open (a Log edited by hand) changes nothing
                p = pauses[-1]
                pauses[-1] = Pause(p.start, e.at, p.reason)
            paused_since, pause_reason = None, ""
        elif a in ENDINGS:
            if substep == DONE:
                continue  # a finished item stays finished (as a finishing action after it leaves it)
            seg = segs[-1]
            seg[3], seg[5], seg[6] = e.at, e.by, a  # the sub-step it ended at: not finished, ended (its outcome says so)
            pauses = seg[4]
            if pauses and pauses[-1].end is None:  # a pause open when it ended ends with it
                p = pauses[-1]
                pauses[-1] = Pause(p.start, e.at, p.reason)
            substep, completed_at, paused_since, pause_reason = DONE, e.at, None, ""
            ended, end_note, forwarded_to = ENDINGS[a].status, e.note, str(e.data.get("to", "")) if e.data else ""
        elif a == "link":
            scan = str(e.data.get("scan", "")) if e.data else ""
    last = entries[-1]
    return ItemState(
        item=item,
        substep=substep,
        started_at=started_at,
        round=rnd,
        unit=req["unit"],
        officer=req["officer"],
        paused_since=paused_since,
        pause_reason=pause_reason,
        completed_at=completed_at,
        last_at=last.at,
        last_by=last.by,
        last_action=last.action,
        segments=tuple(
            segment(item, s[0], s[1], s[2], s[3], tuple(s[4]), s[5], s[6])
            for s in (segs if history else segs[-1:] if substep != DONE else ())
        ),
        effective=tuple(map(_SEQ, entries)),
        ended=ended,
        end_note=end_note,
        forwarded_to=forwarded_to,
        reply_no=reply_no,
        reply_date=reply_date,
        scan=scan,
    )


def _day(v) -> date | None:
    """A date as the Log's data holds it (ISO text); anything else (a Log edited by hand) is none."""
    if isinstance(v, date):
        return v if not isinstance(v, datetime) else v.date()
    try:
        return date.fromisoformat(str(v)) if v else None
    except ValueError:
        return None


def replay_all(entries: Iterable[LogEntry], process: Process, history: bool = True) -> dict[str, ItemState]:
    """Every item's state from the whole log, in one pass to group and one fold per item."""
    groups: dict[str, list[LogEntry]] = {}
    for e in entries:
        groups.setdefault(e.item, []).append(e)
    return {item: replay(es, process, history) for item, es in groups.items()}


class CurrentFold:
    """Every item's current state from a Log fed in order, in memory that does not grow with it.

    The checker needs each item's open sub-step, not its history. Entries are kept only
    while their item is open, and for :attr:`KEEP_FINISHED` more Log rows after it finished
    (a mistaken last click is corrected within minutes); then they are dropped and the item
    is counted done. An item's sub-step is followed as :func:`_fold` follows it, so "done"
    here is what :func:`replay` would say; a ``correct`` replays the item (rare). A
    correction of an item dropped long before marks it for :attr:`again`: the caller feeds
    that item's whole Log to :meth:`replace`.
    """

    KEEP_FINISHED = 50_000
    _LOST = "?"  # an item whose first entry is not its registration: replay names the problem

    def __init__(self, process: Process):
        self.process = process
        self.live: dict[str, list[tuple]] = {}  # open item → its rows
        self.at: dict[str, str] = {}  # open item → the sub-step it is at
        self.done: set[str] = set()
        self.recent: dict[str, tuple[int, list[tuple]]] = {}  # finished item → (rows fed when it finished, its entries), oldest first
        self.again: set[str] = set()  # done items corrected long after: replayed from all their entries
        self.fed = 0
        self._move = self._moves()

    def feed(self, rows: Iterable[tuple]) -> None:
        """Fold Log rows in order: plain rows as :func:`~xlflow.model.as_row` makes them (the
        data column may still be its JSON text); entries are made only to replay an item."""
        live, at, done, recent, moves = self.live, self.at, self.done, self.recent, self._move
        lost, fin, fed = self._LOST, self._FIN, self.fed
        for e in rows:
            fed += 1
            item = e[1]
            es = live.get(item)
            a = e[3]
            if es is None:
                if item in done:
                    kept = recent.get(item)
                    if kept is not None:
                        kept[1].append(e)
                        if a == "correct":  # open again, perhaps: replay it from what was kept
                            del recent[item]
                            done.discard(item)
                            live[item] = kept[1]
                            self._replayed(item, fed)
                    elif a == "correct":
                        self.again.add(item)
                    continue  # a finished item stays finished (as _fold has it) unless corrected
                es = live[item] = []
                at[item] = lost if a != "register" else ""
            es.append(e)
            cur = at[item]
            if cur == lost:
                continue
            if a in FINISHING:
                target = moves.get((cur, a), fin)
                if target is fin:
                    self._finish(item, fed)
                else:
                    at[item] = target
            elif a in ENDINGS:  # cancelled, closed or sent on: done, as _fold has it
                self._finish(item, fed)
            elif a == "correct":
                self._replayed(item, fed)
            elif a == "register" and len(es) == 1:
                target = moves[("", "register")]
                if target is fin:
                    self._finish(item, fed)
                else:
                    at[item] = target
        self.fed = fed
        horizon = self.fed - self.KEEP_FINISHED
        while recent:
            item = next(iter(recent))
            if recent[item][0] > horizon:
                break
            del recent[item]

    _FIN = object()  # the move that finishes the process

    def _moves(self) -> dict:
        """(sub-step, finishing action) → the next sub-step or :attr:`_FIN`, as :func:`_fold` moves."""
        moves = {}
        for sub in self.process:
            for a, way in FINISHING.items():
                target = getattr(sub, way)
                moves[(sub.code, a)] = self._FIN if target == END or not target else target
        nxt = self.process.first.next
        moves[("", "register")] = self._FIN if nxt == END or not nxt else nxt
        return moves

    def _replayed(self, item: str, fed: int) -> None:
        try:
            sub = replay(list(map(entry_of, self.live[item])), self.process, history=False).substep
        except (XlflowError, KeyError, ValueError):  # ValueError: a data cell that is not JSON
            self.at[item] = self._LOST
            return
        if sub == DONE:
            self._finish(item, fed)
        else:
            self.at[item] = sub

    def _finish(self, item: str, fed: int | None = None) -> None:
        self.recent[item] = (self.fed if fed is None else fed, self.live.pop(item))
        self.at.pop(item, None)
        self.done.add(item)

    def states(self, history: bool = False) -> tuple[dict[str, ItemState], list[tuple[str, str]]]:
        """The open items' states, and the items whose Log cannot be replayed (with why)."""
        out, bad = {}, []
        for item, es in list(self.live.items()):
            try:
                state = replay(list(map(entry_of, es)), self.process, history)
            except (XlflowError, KeyError) as e:
                bad.append((item, str(e)))
                continue
            except ValueError as e:  # a data cell that is not JSON (the checker reads it only now)
                bad.append((item, f"a Log row's data is not what xlflow wrote ({e}) — run xlflow verify"))
                continue
            if state.done:  # an item followed as lost (its Log begins oddly) that replay finds finished
                self._finish(item)
            else:
                out[item] = state
        return out, bad

    def replace(self, item: str, entries: list) -> None:
        """An item of :attr:`again`, replayed from all its rows (or entries)."""
        entries = [e if isinstance(e, LogEntry) else entry_of(e) for e in entries]
        self.done.discard(item)
        self.live.pop(item, None)
        self.at.pop(item, None)
        self.recent.pop(item, None)
        try:
            sub = replay(entries, self.process, history=False).substep
        except (XlflowError, KeyError):
            self.live[item], self.at[item] = list(map(as_row, entries)), self._LOST
            return
        if sub == DONE:
            self.done.add(item)
        else:
            self.live[item], self.at[item] = list(map(as_row, entries)), sub


def current_states(entries: Iterable[LogEntry], process: Process) -> tuple[dict[str, ItemState], list[tuple[str, str]], set[str]]:
    """(open items' states, items that cannot be replayed, items done) of a whole Log."""
    fold = CurrentFold(process)
    entries = entries if isinstance(entries, (list, tuple)) else list(entries)
    fold.feed(map(as_row, entries))
    for item in fold.again:
        fold.replace(item, [e for e in entries if e.item == item])
    states, bad = fold.states()
    return states, bad, fold.done


# -- actions -------------------------------------------------------------------------------
def register(
    item: str, *, at: datetime, by: str, process: Process, received_at: datetime | None = None, note: str = "", seq: int = 0
) -> LogEntry:
    """The log entry that registers a letter: 1.1 is done at ``at``, the next sub-step starts.

    ``received_at`` (the receipt stamp, default ``at``) starts 1.1, so the time a letter
    waited before it was registered counts against 1.1's standard.
    """
    at = local(at)
    received = local(received_at) if received_at else at
    if received > at:
        raise IllegalAction(f"item {item}: received {format_datetime(received)} is after its registration {format_datetime(at)} — check the received time")
    return LogEntry(seq, item, process.first.code, "register", at, by, note, {"received_at": received.isoformat(timespec="seconds")})


def act(
    state: ItemState,
    entries: list[LogEntry],
    action: str,
    *,
    at: datetime,
    by: str,
    process: Process,
    note: str = "",
    unit: str | None = None,
    officer: str | None = None,
    officers: Iterable[str] | None = None,
    seq: int = 0,
    roles: Iterable[str] | None = None,
    to: str | None = None,
    reply_no: str | None = None,
    reply_date: date | None = None,
    scan: str | None = None,
) -> tuple[LogEntry, ItemState]:
    """Check ``action`` against the rules and the process; return its log entry and the new state.

    ``entries`` are the item's log entries so far (``correct`` needs them to know what it
    undoes); ``seq`` is the number the new log row will have. Nothing is changed when the
    action is refused. ``roles``: the roles the People sheet gives ``by`` (None: no People
    sheet), for the actions only some roles may take (:data:`ENDINGS`); ``to``: whom a letter
    is sent on to; ``reply_no``/``reply_date``: the answer's own number and date, as the last
    sub-step finishes (:data:`ANSWER`); ``scan``: the scanned letter's path or address.
    """
    at = local(at)
    if state.last_at and at < state.last_at:
        raise IllegalAction(
            f"{_where(state, process)}: the time {format_datetime(at)} is before the item's last action "
            f"({state.last_action} at {format_datetime(state.last_at)}) — give a later time"
        )
    if action == "correct":
        if len(state.effective) <= 1:
            raise IllegalAction(f"{_where(state, process)}: nothing to undo — the registration itself cannot be undone")
        undone = next(e for e in entries if e.seq == state.effective[-1])
        entry = LogEntry(seq, state.item, state.substep if not state.done else DONE, "correct", at, by, note or f"undo {undone.action}", {"undoes": undone.seq})
        new = replay([*entries, entry], process)
        return entry, new
    rule = RULES.get(action)
    if rule is None:
        raise IllegalAction(f'"{action}" is not an action — use one of: {", ".join([*RULES, "correct"])}')
    verb = rule["verb"]
    phase = rule["phase"]
    if state.done and phase != "any":
        how = f"{_ENDED_WORDS.get(state.ended, 'completed')} {format_datetime(state.completed_at)}"
        raise IllegalAction(f"item {state.item} is done ({how}): it cannot {verb} — use correct to undo the last action if it was a mistake")
    sub = process[state.substep] if not state.done else None
    if phase == "open" and state.paused:
        raise IllegalAction(f"{_where(state, process)}: the item is paused ({state.pause_reason}) — resume it before you {verb}")
    if phase == "paused" and not state.paused:
        raise IllegalAction(f"{_where(state, process)}: the item is not paused — nothing to resume")
    if rule["decision"] is True and not sub.is_decision:
        decisions = ", ".join(s.code for s in process if s.is_decision)
        raise IllegalAction(f"{_where(state, process)}: {verb} is only possible at a decision ({decisions}) — use advance here")
    if rule["decision"] is False and sub.is_decision:
        raise IllegalAction(f"{_where(state, process)}: this is a decision — approve it or send it back (reject) instead of advance")
    if rule["note"] and not note.strip():
        raise IllegalAction(f"{_where(state, process)}: a reason is required to {verb} — say {rule['why']}")
    data: dict = {}
    ending = ENDINGS.get(action)
    if ending is not None:
        data.update(_ending_data(state, process, ending, by, note, to, roles))
    if reply_no is not None or reply_date is not None:
        data.update(_answer_data(state, process, action, sub, at, reply_no, reply_date))
    if action == "link":
        if not str(scan or "").strip():
            raise MissingField("scan", _label("scan"), "the scanned letter's file path or web address is needed to link it")
        data["scan"] = str(scan).strip()
    if action == "assign":
        given = {k: v for k, v in (("unit", unit), ("officer", officer)) if v is not None}
        if not given or not all(str(v).strip() for v in given.values()):
            raise IllegalAction(f"{_where(state, process)}: say whom to assign — a unit or an officer")
        codes = [s.code for s in process]
        for field_name, value in given.items():
            at_sub = process.requiring(field_name)
            if at_sub and codes.index(state.substep) < codes.index(at_sub.code):
                raise IllegalAction(
                    f"{_where(state, process)}: the {field_name} is assigned at {at_sub.code} ({at_sub.name_th}) — advance the item to {at_sub.code} first"
                )
            if field_name == "officer" and officers is not None and value not in set(officers):
                raise IllegalAction(
                    f'{_where(state, process)}: "{value}" is not in the People sheet — add the officer there first, or check the spelling'
                )
            data[field_name] = str(value).strip()
    if action in FINISHING and sub.requires and not getattr(state, sub.requires):
        raise IllegalAction(
            f"{_where(state, process)}: no {FIELD_TH[sub.requires]} is assigned — assign the {sub.requires} before you {verb}"
        )
    entry = LogEntry(seq, state.item, state.substep, action, at, by, note, data)
    return entry, replay([*entries, entry], process)


#: A done item's end, in the refusals' words.
_ENDED_WORDS = {"cancelled": "cancelled", "closed": "closed", "forwarded": "sent on"}


def _label(need: str) -> str:
    """The Register column's header where the ribbon takes what an action needs."""
    from .schema import REGISTER_COLUMNS

    field_name = NEEDS_COLUMN[need]
    return next(c.th for c in REGISTER_COLUMNS if c.field == field_name)


def _ending_data(state: ItemState, process: Process, ending: Ending, by: str, note: str, to: str | None, roles) -> dict:
    """Check an ending (:data:`ENDINGS`) against its row; the data its Log row carries."""
    sub = process[state.substep]
    if ending.steps and sub.step not in ending.steps:
        codes = [s.code for s in process if s.step in ending.steps]
        steps = f"steps {ending.steps[0]}–{ending.steps[-1]}" if len(ending.steps) > 1 else f"step {ending.steps[0]}"
        span = f"{codes[0]}–{codes[-1]}" if codes else "none"
        raise IllegalAction(f"{_where(state, process)}: xlflow can {ending.what} only at {steps} ({span}) — {ending.instead}")
    if ending.role:
        allowed = [r.name_th for r in process.roles if getattr(r, ending.role, False)]
        if roles is None or not set(allowed) & set(roles):
            raise NotPermitted(_where(state, process), ending.what, allowed, by)
    if "reason" in ending.needs and not note.strip():
        raise MissingField("reason", _label("reason"), f"a reason is needed to {ending.what}")
    if "to" in ending.needs and not str(to or "").strip():
        raise MissingField("to", _label("to"), "say to whom the letter is sent on")
    return {"to": str(to).strip()} if to is not None and str(to).strip() else {}


def _answer_data(state: ItemState, process: Process, action: str, sub, at: datetime, reply_no: str | None, reply_date: date | None) -> dict:
    """The answer's own number and date (:data:`ANSWER`): only as the sub-step that sends it out finishes."""
    last = [s.code for s in process if getattr(s, ANSWER["at"])]
    if action not in FINISHING or sub is None or not getattr(sub, ANSWER["at"]):
        raise IllegalAction(
            f"{_where(state, process)}: the answer's number and date are recorded when {', '.join(last)} "
            f"(the answer sent out) is finished — leave them empty until then"
        )
    data: dict = {}
    if reply_no is not None and str(reply_no).strip():
        data["reply_no"] = str(reply_no).strip()
    if reply_date is not None:
        if reply_date > at.date():
            raise IllegalAction(
                f"{_where(state, process)}: the answer is dated {format_date(reply_date)}, after it was sent ({format_datetime(at)}) — check its date"
            )
        data["reply_date"] = reply_date.isoformat()
    return data


def _where(state: ItemState, process: Process) -> str:
    if state.done:
        return f"item {state.item} (done)"
    name = process[state.substep].name_th if state.substep in process else "?"
    return f"item {state.item} at {state.substep} ({name})"


def received_of(reg: LogEntry) -> datetime:
    """When the letter of a ``register`` entry was received (its first segment starts then):
    the time typed on the registration, else the registration's own. Read without a replay,
    so that a round can leave out letters received after it unreplayed."""
    return _dt(reg.data.get("received_at")) or reg.at


def _dt(v) -> datetime | None:
    if not v:
        return None
    return datetime.fromisoformat(v) if isinstance(v, str) else v


# -- timing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    """When the current sub-step is due and how it stands at ``now``, in working time."""

    status: str  # on_time, due_soon, overdue, paused, done
    due_at: datetime | None = None
    due_soon_at: datetime | None = None
    standard: int = 0
    worked: float = 0.0  # working minutes spent on the current sub-step (pauses excluded)
    late: float = 0.0  # working minutes past due (0 when not late)


#: The due-soon warning never starts before this share of the standard has passed: a 5- or
#: 15-minute sub-step is not "due soon" from its first minute.
SOON_CAP = 0.5


def soon_threshold(standard: float, minutes: float = 60, fraction: float = 0.25) -> float:
    """The due-soon warning: the larger of ``minutes`` and ``fraction`` of the standard, but
    at most :data:`SOON_CAP` (half) of the standard, so that it scales down with short ones
    (60 → 30 minutes, 15 → 7.5, 5 → 2.5)."""
    return min(max(minutes, fraction * standard), SOON_CAP * standard)


def paused_minutes(seg: Segment, cal: WorkCalendar, until: datetime | None = None) -> float:
    """Working minutes a segment spent paused (an open pause counts up to ``until``)."""
    total = 0.0
    for p in seg.pauses:
        end = p.end or until
        if end is not None:
            total += cal.between(p.start, end)
    return total


def segment_minutes(seg: Segment, cal: WorkCalendar, until: datetime | None = None) -> float | None:
    """Working minutes a segment took, pauses excluded (``None`` if open and no ``until``)."""
    end = seg.finished or until
    if end is None:
        return None
    return cal.between(seg.started, end) - paused_minutes(seg, cal, end)


def timing(
    state: ItemState,
    process: Process,
    cal: WorkCalendar,
    now: datetime,
    soon_minutes: float = 60,
    soon_fraction: float = 0.25,
) -> Timing:
    """Due time and status of the item's current sub-step at ``now``."""
    if state.done:
        return Timing("done")
    seg = state.current
    std = process[seg.substep].standard
    if state.paused:
        return Timing("paused", standard=std, worked=segment_minutes(seg, cal, now) or 0.0)
    start = cal.minutes(seg.started) + paused_minutes(seg, cal)
    due_total = start + std
    soon_total = max(start, due_total - soon_threshold(std, soon_minutes, soon_fraction))
    nowm = cal.minutes(now)
    status = "overdue" if nowm >= due_total else "due_soon" if nowm >= soon_total else "on_time"
    return Timing(
        status,
        due_at=cal.moment(due_total).replace(tzinfo=None),
        due_soon_at=cal.moment(soon_total).replace(tzinfo=None) if soon_total > start else cal.next_working(seg.started).replace(tzinfo=None),
        standard=std,
        worked=nowm - start,
        late=max(0.0, nowm - due_total),
    )
