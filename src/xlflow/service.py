"""One function per command: what the CLI, the ribbon macros and the checker call.

Each function takes a register (a path, or sheet values already read by a door), calls
the pure core, and returns a plain result. :func:`plan` is the shared heart of every
action: from a parsed :class:`~xlflow.book.Book` it computes a :class:`Change` — the log
rows to append and the Register cells to set — which the file door (:func:`commit`)
and the xlwings door (``macros``) each write in their own way, once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from . import book as bk
from . import schema
from .errors import IllegalAction, MissingField, UnknownItem, WorkbookError
from .model import Letter, LogEntry, who
from .workflow import act, next_number, parse_item, register, replay, timing
from .workflow import status as status_of
from .worktime import aware, local


@dataclass
class Change:
    """What one action (or a batch of them) writes: log rows and Register cells."""

    log: list[LogEntry] = field(default_factory=list)
    rows: dict[int, dict[str, object]] = field(default_factory=dict)  # Register row → field → value
    items: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    new_rows: dict[str, int] = field(default_factory=dict)  # items registered in this change → their row
    views: dict[str, dict] = field(default_factory=dict)  # item → its view after the change (what show prints)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (Thai, English): not refusals, things to see to


LETTER_FIELDS = ("letter_no", "letter_date", "sender", "addressee", "subject", "urgency", "secrecy", "reply_by", "action", "remarks", "scan")


derived_values = bk.derived_values  # one home: book.derived_values (the Register's derived columns)


def _next_seq(b: bk.Book, change: Change) -> int:
    base = max((e.seq for e in b.log), default=0)
    return max([base, *(e.seq for e in change.log)]) + 1


def _item_entries(b: bk.Book, item: str, change: Change) -> list[LogEntry]:
    """The item's log entries, read and planned; the Log is indexed once per book, not per action."""
    index = b.__dict__.get("_by_item")
    if index is None:
        index = {}
        for e in b.log:
            index.setdefault(e.item, []).append(e)
        b.__dict__["_by_item"] = index
    return [*index.get(item, ()), *(e for e in change.log if e.item == item)]


def find_item(b: bk.Book, item: str) -> str:
    """The item as registered, or :class:`UnknownItem` saying how to find the right one."""
    item = str(item).strip()
    if item in b.letters or item in b.register_rows:
        return item
    if item in b.unreadable:
        raise WorkbookError(f"item {item}: its Register row cannot be read — {b.unreadable[item]}")
    n, year = parse_item(item)  # a malformed number gets the form explained
    logged = next((i for i, e in enumerate(b.log) if e.item == item and e.action == "register"), None)
    if logged is not None:  # its Register row was deleted or emptied by hand
        raise UnknownItem(f"item {item} is in the Log ({b.log_where(logged)}) but not in the Register — "
                          f"restore its Register row from a backup ({bk.backup_dir(b.path).name if b.path else 'the backups folder'})")
    if year < 2400:
        raise UnknownItem(f"item {item} is not in the register — registration numbers carry the Buddhist Era year: try {n}/{year + 543}")
    raise UnknownItem(f'item {item} is not in the register — check the number')


def plan_register(b: bk.Book, change: Change, *, at: datetime, by: str, received_at: datetime | None = None, row: int | None = None, **letter) -> str:
    """Register a letter: a new number of the calendar year, the receipt stamp, 1.1 done."""
    by = who(b.people, by)
    unknown = set(letter) - set(LETTER_FIELDS)
    if unknown:
        raise TypeError(f"unknown letter field(s): {', '.join(sorted(unknown))}")
    if not str(letter.get("subject") or "").strip():
        raise MissingField("subject", "เรื่อง", "a letter needs its subject")
    at = local(at)
    # every number in use: read rows, unreadable rows and the Log (a row deleted by hand keeps its number)
    item = next_number({*b.register_rows, *b.unreadable, *(e.item for e in b.log if e.action == "register"), *change.items}, at)
    received = local(received_at) if received_at else at
    Letter(item=item, received_at=received, **{k: v for k, v in letter.items() if v not in (None, "")})  # checks urgency/secrecy
    entry = register(item, at=at, by=by, process=b.process, received_at=received, seq=_next_seq(b, change))
    state = replay([entry], b.process)
    t = timing(state, b.process, b.calendar, at)
    r = row or (max([b.register_last_row, *b.register_rows.values(), *change.rows]) + 1)
    values = {"item": item, "received_at": received, **{k: v for k, v in letter.items() if v not in (None, "")}}
    values.update(derived_values(state, t, b.process))
    change.log.append(entry)
    change.rows[r] = values
    change.items.append(item)
    change.new_rows[item] = r
    change.messages.append(f"registered {item}")
    return item


def plan_action(b: bk.Book, change: Change, item: str, action: str, *, at: datetime, by: str, note: str = "", unit: str | None = None,
                officer: str | None = None, to: str | None = None, reply_no: str | None = None, reply_date: date | None = None,
                scan: str | None = None) -> None:
    """One action on one item, checked by the core; adds its log row and Register cells.

    The item may have been registered earlier in the same change (a batch: one load, many
    actions, one save). ``by``'s roles (who may close an item early) are the People sheet's.
    The scanned letter's cell (typed by clerks) is written only when the action changes the
    link in force (a link, or the correction of one)."""
    by = who(b.people, by)  # a login (no --by) as the People sheet names its holder
    item = str(item).strip()
    row = change.new_rows.get(item)
    if row is None:
        item = find_item(b, item)
        row = b.register_rows[item]
    entries = _item_entries(b, item, change)
    if not entries:
        raise _no_registration(b, item, "it was typed into the Register by hand; register letters with xlflow")
    state = replay(entries, b.process)
    officers = b.officers if b.people else None
    roles = [p.role for p in b.people if p.name == by] if b.people else None
    entry, new = act(state, entries, action, at=at, by=by, process=b.process, note=note, unit=unit, officer=officer, officers=officers,
                     seq=_next_seq(b, change), roles=roles, to=to, reply_no=reply_no, reply_date=reply_date, scan=scan)
    t = timing(new, b.process, b.calendar, local(at))
    change.log.append(entry)
    cells = change.rows.setdefault(row, {})
    cells.update(derived_values(new, t, b.process))
    if new.scan != state.scan:
        cells["scan"] = new.scan or None
    change.items.append(item)
    change.messages.append(f"{item}: {action} → {new.substep if not new.done else 'done'}")
    change.views[item] = item_view(b, item, new, t)
    if "scan" in cells:  # the cell as now written (the letter as read still holds the one before)
        change.views[item]["scan"] = cells["scan"]


def plan_refresh(b: bk.Book, change: Change, now: datetime) -> None:
    """Re-time every item from its log and the calendar (after a holiday was added)."""
    positions = log_positions(b)
    for item, state in b.states().items():
        if item in b.register_rows:
            t = timing(state, b.process, b.calendar, now)
            row = change.rows.setdefault(b.register_rows[item], {})
            row.update(derived_values(state, t, b.process))
            row["log_rows"] = schema.log_rows_text(positions.get(item, [])) or None
    change.messages.append(f"refreshed {len(change.rows)} item(s)")
    from .checks import calendar_notices

    change.warnings += calendar_notices(b.holidays, local(now).date())


# -- the file door -------------------------------------------------------------------------
#: Read every Log sheet (a refresh re-times every item).
ALL = None


def commit(path: Path, planner, items: set[str] | None = ALL, progress=None, also=None) -> Change:
    """Lock, read once, plan with ``planner(book, change)``, write the changed parts, replace.

    The file is edited as an OOXML package (:class:`~xlflow.ports.package.PackagePort`):
    every part the change does not touch is copied byte for byte. ``items`` are the letters
    the planner acts on (the Log is read back only as far as their registrations).
    """
    from .apply import apply
    from .ports.package import PackagePort

    path = Path(path)
    bk.check_readable(path)
    bk.refuse_if_open(path)
    bk.refuse_if_read_only(path)
    say = progress or (lambda step: None)
    with bk.writer_lock(path), bk.gc_paused():
        say("reading")
        port = PackagePort(path)
        port.ensure_register_id()  # a register without one (older, or copied from the template) gets its own now
        reg = schema.SHEETS["register"]
        b = bk.read_for_write(path, items, table=port.table(reg) if reg in port.sheet_names() else None, also=also)
        refuse_unsafe_log(b)
        change = Change()
        planner(b, change)
        where = where_of(b)
        del b  # the letters and Log rows read are not needed to write: their memory goes before the parts are made
        apply(port, where, change.log, change.rows)
        say("writing")
        bk.save_atomic(port, path)
    say("done")
    return change


def refuse_unsafe_log(b: bk.Book) -> None:
    """The Log guards of every write: a row that cannot be read, or rows out of ลำดับ order,
    would number and chain the new rows wrongly."""
    from .apply import check_log_order

    damaged = log_problems(b)
    if damaged:
        raise WorkbookError(f"{damaged[0]} (nothing was written: xlflow adds to the Log only when every row of it can be read)")
    check_log_order(b.log, b.log_where)


def where_of(b: bk.Book):
    """What :func:`xlflow.apply.apply` must know of the workbook, from what was read."""
    from .apply import Where

    reg = schema.SHEETS["register"]
    names = [name for _, name in b.log_parts]
    last_rows = {name: 1 for name in names}
    for k, (start, name) in enumerate(b.log_parts):
        end = b.log_parts[k + 1][0] if k + 1 < len(b.log_parts) else len(b.log)
        if end > start:
            last_rows[name] = max(b.log_rows.get(e.seq, 1) for e in b.log[start:end])
    return Where(b.headers.get(reg, []), {n: b.headers.get(n, []) for n in names}, last_rows,
                 b.log[-1].hash if b.log else "", b.table, dict(b.occupied), dict(b.register_rows), dict(b.log_index))


def log_positions(b: bk.Book) -> dict[str, list[tuple[int, int]]]:
    """Where each item's rows are in the Log (sheet number, row), from a Book that read every Log sheet."""
    out: dict[str, list[tuple[int, int]]] = {}
    bounds = [*(start for start, _ in b.log_parts[1:]), len(b.log)]
    for (start, name), end in zip(b.log_parts, bounds):
        n = schema.log_sheet_number(name)
        for e in b.log[start:end]:
            r = b.log_rows.get(e.seq)
            if r is not None:
                out.setdefault(e.item, []).append((n, r))
    return out


def _now() -> datetime:
    from .worktime import BKK

    return local(datetime.now(BKK))


def register_letter(path: Path, *, at: datetime | None = None, by: str, received_at: datetime | None = None, progress=None,
                    warn=None, **letter) -> str:
    """``xlflow register``: returns the new registration number. ``at`` None: now, taken
    once the writer holds the file (a queued action is never stamped before the one ahead).
    ``warn(text)`` hears what the clerk should look at (:func:`registration_doubts`)."""
    out: dict = {}

    def plan(b, c):
        when = at or _now()
        out["doubts"] = registration_doubts(b, when, **letter)
        out["item"] = plan_register(b, c, at=when, by=by, received_at=received_at, **letter)

    commit(path, plan, items=set(), progress=progress, also=same_letter(letter))
    for text in out["doubts"] if warn else ():
        warn(f"{out['item']}: {text}")
    return out["item"]


def _norm(v) -> str:
    return " ".join(str(v or "").split()).casefold()


def same_letter(letter: dict):
    """Which registered letters may be this one again: its number from its sender (None: no number)."""
    no, sender = _norm(letter.get("letter_no")), _norm(letter.get("sender"))
    return (lambda x: _norm(x.letter_no) == no and _norm(x.sender) == sender) if no else None


def registration_doubts(b: bk.Book, at: datetime, **letter) -> list[str]:
    """What a clerk should look at in a letter being registered, though it is registered: its
    number from the same sender already in the register (registered twice?), a reply-by date
    already past."""
    from .thaidate import format_date

    out = []
    twin = same_letter(letter)
    if twin is not None:
        same = [x.item for x in b.letters.values() if twin(x)]
        if same:
            out.append(f'letter no. "{letter.get("letter_no")}" from "{letter.get("sender") or "-"}" is already registered as '
                       f"{', '.join(same)} — if it is the same letter, cancel this registration (xlflow cancel)")
    reply_by = letter.get("reply_by")
    if reply_by is not None and reply_by < local(at).date():
        out.append(f"the reply-by date {format_date(reply_by)} is already past — check it against the letter")
    return out


def perform(path: Path, item: str, action: str, *, at: datetime | None = None, by: str, note: str = "", unit: str | None = None,
            officer: str | None = None, progress=None, **given) -> dict:
    """``xlflow advance|assign|approve|reject|pause|resume|correct|cancel|close|forward|link``:
    returns the item's view after. ``given``: what else the action takes (:func:`plan_action`'s
    ``to``, ``reply_no``, ``reply_date``, ``scan``)."""
    out: dict = {}

    def plan(b, c):
        out["at"] = at or _now()
        plan_action(b, c, item, action, at=out["at"], by=by, note=note, unit=unit, officer=officer, **given)

    change = commit(path, plan, items={str(item).strip()}, progress=progress)
    return change.views[change.items[-1]]  # as planned and written: no second reading of the register


def refresh(path: Path, now: datetime | None = None, progress=None) -> tuple[int, list[tuple[str, str]]]:
    """``xlflow refresh``: rewrite every item's derived columns. Returns how many, and what the
    Calendar sheet lacks as of now ((Thai, English) warnings: its end near, a day to add), since
    a refresh is what an office runs after editing it."""
    change = commit(path, lambda b, c: plan_refresh(b, c, now or _now()), items=ALL, progress=progress)
    return len(change.rows), change.warnings


# -- reading doors -------------------------------------------------------------------------
def _iso(t: datetime | date | None) -> str | None:
    if t is None:
        return None
    if isinstance(t, datetime):
        return aware(t).isoformat(timespec="seconds")
    return t.isoformat()


def item_view(b: bk.Book, item: str, state, t) -> dict:
    """An item as ``show --json`` and ``list --json`` print it."""
    letter = b.letters.get(item)
    sub = b.process[state.substep] if state.substep in b.process else None
    return {
        "item": item,
        "subject": letter.subject if letter else "",
        "substep": state.substep if sub else "done",
        "substep_name": sub.name_th if sub else "",
        "started_at": _iso(state.started_at) if sub else None,
        "due_at": _iso(t.due_at),
        "status": status_of(state, t),
        "round": state.round,
        "unit": state.unit or None,
        "officer": state.officer or None,
        "reply_by": _iso(letter.reply_by) if letter else None,
        "paused_since": _iso(state.paused_since),
        "completed_at": _iso(state.completed_at),
        "late_minutes": round(t.late, 1),
        "end_reason": state.end_note or None,
        "forwarded_to": state.forwarded_to or None,
        "reply_no": state.reply_no or None,
        "reply_date": _iso(state.reply_date),
        "scan": (letter.scan if letter else "") or None,  # the cell as typed (a link action also logs it)
    }


def _read_item(path: Path, item: str) -> tuple[bk.Book, str, list[LogEntry]]:
    """The register, the item as registered and its Log entries (or why there are none)."""
    b = bk.load(path)
    item = find_item(b, item)
    entries = [e for e in b.log if e.item == item]
    if not entries:
        raise _no_registration(b, item, "it was typed into the Register by hand")
    return b, item, entries


def show(path: Path, item: str, now: datetime) -> dict:
    """``xlflow show``."""
    b, item, entries = _read_item(path, item)
    state = replay(entries, b.process)
    return item_view(b, item, state, timing(state, b.process, b.calendar, now))


def history(path: Path, item: str, now: datetime) -> dict:
    """``xlflow history``: the item's timeline from the Log (see :mod:`xlflow.history`)."""
    from .history import item_history

    b, item, entries = _read_item(path, item)
    return item_history(entries, b.process, b.calendar, now)


def list_items(path: Path, now: datetime, status: str | None = None) -> tuple[list[dict], list[str]]:
    """``xlflow list``: every item (or those of one status), and the rows that could not be read."""
    b = bk.load(path)
    out = []
    timings = b.timings(now)
    for item, (state, t) in timings.items():
        if status and status_of(state, t) != status:
            continue
        out.append(item_view(b, item, state, t))
    unlogged = [f"{schema.SHEETS['register']} row {b.register_rows[i]}: {_no_registration(b, i, 'it was typed into the Register by hand; register letters with xlflow')}"
                for i in b.letters if i not in timings]  # a letter the list would otherwise leave out without a word
    return out, [str(p) for p in b.problems] + unlogged


def log_problems(b: bk.Book) -> list:
    """The problems of Log rows that could not be read (each names its cell)."""
    return [p for p in b.problems if schema.log_sheet_number(getattr(p, "sheet", None) or "") is not None]


def _no_registration(b: bk.Book, item: str, hint: str) -> IllegalAction:
    damaged = log_problems(b)
    if damaged:
        return IllegalAction(f"item {item} has no readable registration in the Log — {damaged[0]}")
    broken = schema.verify_chain(b.log, b.log_where)
    if broken:  # its registration row was deleted from the Log by hand
        return IllegalAction(f"item {item} has no registration in the Log — {broken}; restore the Log from a backup")
    return IllegalAction(f"item {item} has no registration in the Log — {hint}")


def verify(path: Path) -> str | None:
    """``xlflow verify``: the first Log row edited, inserted or deleted by hand, or ``None``.

    A Log row that cannot be read at all is named first (its cell and value)."""
    return verify_book(bk.load(path))


def log_hashes(b: bk.Book) -> list[tuple[int, list[str]]]:
    """Per Log sheet read (its number), the hashes of its rows in order: what a witness covers."""
    out = []
    bounds = [*(start for start, _ in b.log_parts[1:]), len(b.log)]
    for (start, name), end in zip(b.log_parts, bounds):
        out.append((schema.log_sheet_number(name), [e.hash for e in b.log[start:end]]))
    return out


def current_witness(path: Path, now: datetime | None = None):
    """``xlflow verify --witness``: the Log's witness as it stands (after checking the chain)."""
    from .witness import of_log

    b = bk.load(path)
    problem = verify_book(b)
    if problem:
        raise WorkbookError(f"{problem} — no witness is given for a Log that does not verify")
    return of_log(b.register_id, local(now or _now()), log_hashes(b))


def stored_witnesses(path: Path) -> list:
    """The witnesses the checker recorded for this register (its state beside the workbook)."""
    try:
        from .statestore import witnesses_of
    except ImportError:
        return []
    return witnesses_of(path)


def verify_report(path: Path, witnesses=(), when=None) -> tuple[bool, str]:
    """``xlflow verify``: (whether the Log verifies, what was checked or what is wrong, in words).

    The chain first (it names the first row edited, inserted or deleted by hand); then each
    ``witness`` (kept outside the workbook: the checker's state, a mail, a line given away),
    oldest first — the first witnessed row that differs, with the witness's time, is named.
    ``when(witness)`` words a witness's time (default: its ISO time).
    """
    from .witness import compare

    b = bk.load(path)
    problem = verify_book(b)
    if problem:
        return False, problem
    when = when or (lambda w: w.at.isoformat(timespec="minutes"))
    parts = log_hashes(b)
    names = {k: name for k, (_, name) in zip([n for n, _ in parts], b.log_parts)}
    checked = []
    for w in sorted(witnesses, key=lambda w: (w.rows, w.at)):
        f = compare(w, b.register_id, parts, lambda k: names.get(k, schema.log_sheet_name(k)), when(w))
        if not f.ok:
            return False, f.text
        checked.append(f.text)
    if not checked:
        return True, "chain intact; no witness yet: only the chain was checked (a witness outside the workbook is what shows a rewritten history)"
    return True, "chain intact; " + checked[-1] + (f" (and {len(checked) - 1} earlier witness(es))" if len(checked) > 1 else "")


def verify_book(b: bk.Book) -> str | None:
    """The first Log row that cannot be read, edited, inserted or deleted, or a Register row that
    disagrees with its Log; ``None`` if the Book verifies."""
    damaged = log_problems(b)
    if damaged:
        return str(damaged[0])
    return schema.verify_chain(b.log, b.log_where) or register_disagreement(b)


#: The Register's columns that follow from the Log alone (not from the calendar or "now").
STAMPED = ("substep", "round", "unit", "officer", "paused_since", "completed_at", "last_by", "ended", "end_reason", "forwarded_to",
           "reply_no", "reply_date")


def register_disagreement(b: bk.Book) -> str | None:
    """The first Register row whose stamped columns disagree with its replayed Log.

    The hash chain cannot see the *last* Log rows deleted; the Register row, written in
    the same save as the Log row, still shows the state that row made — so the two are
    compared. A Register edited by hand is caught the same way.
    """
    from python_calamine import CalamineWorkbook

    if b.path is None:
        return None
    sheet = schema.SHEETS["register"]
    rows = CalamineWorkbook.from_path(str(b.path)).get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    hm = schema.header_map(sheet, rows[0], schema.REGISTER_COLUMNS)
    cols = {c.field: c for c in schema.REGISTER_COLUMNS}
    states = b.states()
    for item, r in sorted(b.register_rows.items(), key=lambda kv: kv[1]):
        state = states.get(item)
        if state is None:
            continue  # letters with no Log registration are reported by list and show
        expected = derived_values(state, timing(state, b.process, b.calendar, state.last_at or state.started_at), b.process)
        row = rows[r - 1] if r - 1 < len(rows) else []
        for f in STAMPED:
            if f not in hm:
                continue
            shown = row[hm[f]] if hm[f] < len(row) else None
            want = expected[f]
            if _same(shown, want):
                continue
            return (
                f"{sheet}!{schema.col_letter(hm[f])}{r} (item {item}): the Register shows {cols[f].th} \"{_show(shown)}\" but the Log says "
                f"\"{_show(want)}\" — the last Log row(s) of this item were deleted, or the Register was edited by hand; "
                f"restore the workbook from {bk.backup_dir(b.path).name}, or run xlflow refresh if only the Register was edited"
            )
    return None


def index_agrees(b: bk.Book, item: str, row: list, hm: dict[str, int]) -> bool:
    """Whether the Log rows a Register row's แถวในบันทึก names are that letter's whole history:
    each is the letter's, the first is its registration, and the state they replay to is
    what the row's stamped columns show (a row missed by the index would show otherwise)."""
    entries = [e for e in b.log if e.item == item]
    positions = schema.parse_log_rows(row[hm["log_rows"]] if len(row) > hm["log_rows"] else None)
    if not entries or positions is None or len(entries) != len(positions) or entries[0].action != "register":
        return False
    if any(e.item == item for e in b.log if b.log_rows.get(e.seq) is None):
        return False
    state = replay(entries, b.process)
    expected = derived_values(state, timing(state, b.process, b.calendar, state.last_at or state.started_at), b.process)
    typed = ("unit", "officer", "forwarded_to", "reply_no", "reply_date")  # buttons take these from the row, typed before the click
    return all(_same(row[hm[f]] if len(row) > hm[f] else None, expected[f]) for f in STAMPED if f in hm and f not in typed)


def _same(shown, want) -> bool:
    if want in (None, "") and shown in (None, ""):
        return True
    if isinstance(want, datetime):
        if not isinstance(shown, datetime):
            return False
        return abs((shown.replace(tzinfo=None) - want).total_seconds()) < 1
    if isinstance(want, date):  # a date alone (the answer's): Excel may hold it as a date and time
        day = shown.date() if isinstance(shown, datetime) else shown
        return day == want
    if isinstance(want, int) and isinstance(shown, (int, float)):
        return int(shown) == want
    return str(shown).strip() == str(want).strip()


def _show(v) -> str:
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)
