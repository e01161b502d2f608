"""The scheduled checker: read the register, tell people once, deliver each closed round once.

One run (``xlflow check``, for cron or Task Scheduler)::

    report = run_check(Path("Coordination_Register.xlsx"), now)
    sys.exit(report.exit_code)        # 0 ok, 1 unreadable register or settings, 75 retry later

1. reads ``xlflow.toml`` beside the workbook and the register, read-only (the checker never
   writes the register: what it must remember lives in the state store beside it);
2. finds the breaches (:func:`xlflow.checks.find`), asks the state store which of them each
   person has not been told yet, and builds one digest per person (directors: with the
   summary and the problems met);
3. in office hours only (unless ``[check] office_hours_only = false``), sends each digest and
   records its keys for the recipient **after** the server accepted it;
4. compiles each evaluation round that has closed since the last delivery with the code of
   ``xlflow evaluate`` into ``evaluations/`` beside the register, on the first working day
   after the round's last day, and mails it to the PMQA team with the directors in copy;
5. appends what it did to the log file (``[check] log_file``) and the run to the store.

**Nothing one cell holds stops it.** A Register or Log row that cannot be read makes at
most its item unreadable (named, with the cell, its value and the fix, in the directors'
summary and the log); a Process sheet cell that cannot be used is replaced by the manual's
value for the run, a Calendar row that cannot be read is left out (:func:`load_for_check`).
Every other breach is still announced, and the exit code is 65 (sysexits EX_DATAERR: a
problem in the register was found) when anything was named.

**Follow-up.** While a breach stays overdue its people are reminded (``[followup]
remind_every_days``) and it is escalated to the holders of ``escalate_to`` past multiples of
its standard; each (breach, recipient, step) is sent once, as the first announcement is.

**Each register its own memory.** The state file may serve several registers in one folder:
every row is kept under the register's id (:func:`xlflow.statestore.register_key`).

**Exactly once, and its one bound.** Each breach ``(item, sub-step, round, kind)`` is
announced to each of its recipients once. A run that meets an outage (server down, 421, a
connection cut in the middle of a digest, a recipient refused) records nothing for what the
server did not accept and leaves it — and everything after a server-level failure — for the
next run; a run that crashes records nothing it did not send. The one way a recipient can
get the same breach twice is a kill (or power cut) in the window between the server's
acceptance of a message and the commit of its record in the state store, or a server that
takes the data and drops the connection before its "250 OK": the next run sends that
message again. **Each such event repeats at most one message, once** — never a breach lost.
A second checker started while one runs waits for it (a lock beside the state file).

``xlflow watch`` (:func:`watch`) runs the same check on a ``schedule`` loop, every
``[check] every_minutes`` (30) in office hours, and survives an exception in one run: it is
logged and the loop goes on.
"""

from __future__ import annotations

import os
import signal
import time as _time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import re

from . import checks
from .errors import CalendarError, DateError, ProcessError, SettingsError, WorkbookBusy, XlflowError
from .worktime import BKK, WorkCalendar, aware, local

EX_OK = 0
EX_ERROR = 1  # register unreadable, xlflow.toml unusable, or the server refuses us for good (login, certificate)
EX_DATAERR = 65  # sysexits EX_DATAERR: the run went through, but a problem in the register was found (named in the log and the summary)
EX_TEMPFAIL = 75  # sysexits EX_TEMPFAIL: some mail was not sent; the next run retries it
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LOCK_WAIT = 10.0  # seconds a second checker waits for the first before it gives up (exit 75)
STARTED = "checker-started"  # deliveries row: the day of the first run (rounds before it go only on purpose)
FAULT_ENV = "XLFLOW_FAULT"  # "after-accept": the test hook that kills a run inside the window


@dataclass
class Report:
    """What one run did, for the command line, the log and the tests."""

    now: datetime
    exit_code: int = EX_OK
    error: str = ""
    lines: list[str] = field(default_factory=list)
    sent: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (address, subject, keys)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (address or round, why)
    planned: list[tuple[str, str, list[str]]] = field(default_factory=list)  # dry run: what would go
    delivered: list[str] = field(default_factory=list)  # round keys delivered in this run
    held: bool = False  # outside office hours: nothing was sent
    calendar: WorkCalendar | None = None
    problems: list[str] = field(default_factory=list)  # cells or rows of the register that could not be read (each named)


class _Log:
    """Lines for the report and the log file; each is on disk before the next step."""

    def __init__(self, report: Report, path: Path | None):
        self.report, self.path = report, path

    def __call__(self, line: str, show: bool = True) -> None:
        if show:  # an error is the report's ``error``, shown once by the door; here only in the file
            self.report.lines.append(line)
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(f"{datetime.now(BKK):%Y-%m-%d %H:%M:%S} [now {self.report.now:%Y-%m-%d %H:%M}] {line}\n")
        except OSError:
            pass  # a log that cannot be written must not stop the reminders


def _after_accept_fault() -> None:
    if os.environ.get(FAULT_ENV) == "after-accept":
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


#: SMTP replies about one message (a mailbox busy or unknown, a message too big): the next
#: messages of the run may still go. Any other failure (no connection, 421, a refused login,
#: an untrusted certificate) is about the server: the run stops sending and leaves the rest.
MESSAGE_CODES = frozenset({450, 451, 452, 550, 551, 552, 553, 554})


def _server_level(e) -> bool:
    """A failure that says the server is not taking mail now (stop this run's sending)."""
    return not (e.refused or e.code in MESSAGE_CODES)


def read_people_sheet(path: Path):
    """The People sheet alone (its rows), or None: used for row numbers and when the rest
    of the register cannot be read."""
    from . import schema

    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_name(schema.SHEETS["people"]).to_python(skip_empty_area=False)
        return schema.read_people(rows)
    except Exception:  # a damaged file, no such sheet: nothing can be read from it
        return None


# -- reading a register whatever its cells hold -------------------------------------------------
_CELL = re.compile(r"!([A-Z]{1,3})(\d+):")


def _cells(problems) -> list[tuple[int, int]]:
    """(0-based column, 1-based row) of every ``Sheet!F3:`` a list of problems names."""
    from .process import col_letter

    letters = {col_letter(i): i for i in range(200)}
    return [(letters[m[1]], int(m[2])) for p in problems if (m := _CELL.search(str(p))) and m[1] in letters]


class _Patched:
    """A sheet reader (:data:`xlflow.book.sheet_reader`) that serves some sheets repaired."""

    def __init__(self, src, repaired: dict[str, list[list]]):
        self.src, self.repaired = src, repaired

    @property
    def names(self):
        return self.src.names

    def rows(self, name):
        return self.repaired[name] if name in self.repaired else self.src.rows(name)


def repair_process(rows: list[list]) -> tuple[list[list], str]:
    """The Process sheet's rows with each cell a problem names replaced by the manual's value
    for that sub-step (its whole row, if its code is the problem); if that does not make a
    usable table, the manual's table. Returns (rows, what was done, in words)."""
    from . import schema
    from .process import Process

    base = Process.default()
    sheet = schema.SHEETS["process"]
    hm = schema.header_map(sheet, rows[0], schema.PROCESS_HEADERS, required=("code", "role", "standard", "next"))
    field_at = {i: f for f, i in hm.items()}
    width = max(len(rows[0]), max(hm.values()) + 1)

    def default_row(sub) -> list:
        out = [None] * width
        for f, i in hm.items():
            out[i] = getattr(sub, f, None)
        return out

    def usable(rs) -> list[str]:
        try:
            Process.from_rows(schema.read_process_rows(rs), sheet=sheet)
            return []
        except ProcessError as e:
            return e.problems

    fixed = [list(r) + [None] * (width - len(r)) for r in rows]
    for _ in range(3):
        problems = usable(fixed)
        if not problems:
            return fixed, "the manual's value was used for this run"
        for col, r in _cells(problems):
            if not 2 <= r <= len(fixed):
                continue
            code = schema._text(fixed[r - 1][hm["code"]])
            sub = base[code] if code in base else (base.substeps[r - 2] if r - 2 < len(base.substeps) else None)
            if sub is None:
                continue
            if field_at.get(col) in (None, "code") or code not in base:
                fixed[r - 1] = default_row(sub)
            else:
                fixed[r - 1][col] = getattr(sub, field_at[col])
    return [list(rows[0])] + [default_row(sub) for sub in base.substeps], "the manual's whole process table was used for this run"


def repair_calendar(rows: list[list]) -> tuple[list[list], str]:
    """The Calendar sheet's rows without the holidays and office hours a problem names (a
    holiday left out is not counted as a day off; without office hours the usual ones are
    used). Returns (rows, what was done, in words)."""
    from . import schema

    fixed = [list(r) for r in rows]
    for _ in range(20):
        try:
            schema.read_calendar(fixed)
            break
        except CalendarError as e:
            cells = _cells(e.problems)
            if not cells:
                break
            for col, r in cells:
                if col >= schema.HOURS_COL:  # one period of office hours is no office hours: the usual ones, all of them
                    for row in fixed[1:]:
                        row[schema.HOURS_COL + 1:schema.HOURS_COL + 3] = [None] * len(row[schema.HOURS_COL + 1:schema.HOURS_COL + 3])
                elif 2 <= r <= len(fixed):
                    row = fixed[r - 1]
                    row[: schema.HOURS_COL] = [None] * len(row[: schema.HOURS_COL])
    return fixed, "this run left the row out (a day off not counted), or used the usual office hours"


def load_for_check(path: Path):
    """The register as the checker reads it (:func:`xlflow.book.load_current`), and the
    problems of its Process and Calendar sheets as (Thai, English) notices.

    A Process or Calendar sheet with problems does not stop the checker: the cells named are
    replaced by the manual's values (Process) or their rows left out (Calendar), each named
    in a notice, and the register is read again with them."""
    from . import book as bk
    from . import schema

    try:
        return bk.load_current(path), []
    except (ProcessError, CalendarError) as e:
        first = e
    src = bk.sheet_reader(path)
    repaired: dict[str, list[list]] = {}
    how: dict[str, str] = {}
    notices: list[tuple[str, str]] = []
    for sheet, fix in ((schema.SHEETS["process"], repair_process), (schema.SHEETS["calendar"], repair_calendar)):
        if sheet not in src.names:
            raise first
        rows = list(src.rows(sheet))
        if not rows:
            raise first
        try:
            got, done = fix(rows)
        except XlflowError:  # a header that cannot be read: nothing to repair by
            raise first from None
        if got != [list(r) for r in rows]:
            repaired[sheet] = got
            how[sheet] = done
    if not repaired:
        raise first
    reader = bk.sheet_reader
    bk.sheet_reader = lambda p: _Patched(reader(p), repaired)
    try:
        b = bk.load_current(path)
    except (ProcessError, CalendarError):
        raise first from None
    finally:
        bk.sheet_reader = reader
    for err in _sheet_errors(path, repaired):
        for line in err.problems:
            if isinstance(err, ProcessError):
                whole = "whole" in how.get(schema.SHEETS["process"], "")
                how_ = ("ใช้ตารางกระบวนการตามคู่มือทั้งตารางในการตรวจครั้งนี้", how[schema.SHEETS["process"]]) if whole else \
                       ("ใช้ค่าตามคู่มือแทนในการตรวจครั้งนี้", "the manual's value was used for this run")
            elif (cell := _cells([line])) and cell[0][0] >= schema.HOURS_COL:
                how_ = ("ใช้เวลาทำการปกติ 08:30–12:00 และ 13:00–16:30 ในการตรวจครั้งนี้", "this run used the usual office hours, 08:30–12:00 and 13:00–16:30")
            else:
                how_ = ("ไม่นับวันนี้เป็นวันหยุดในการตรวจครั้งนี้", "this run left the row out: the day is not counted as a day off")
            notices.append((f"{line} ({how_[0]})", f"{line} ({how_[1]})"))
    return b, notices


def _sheet_errors(path, repaired) -> list:
    """The errors of the sheets that were repaired, as first read."""
    from . import book as bk
    from . import schema
    from .process import Process

    src = bk.sheet_reader(path)
    out = []
    if schema.SHEETS["process"] in repaired:
        try:
            Process.from_rows(schema.read_process_rows(list(src.rows(schema.SHEETS["process"]))), sheet=schema.SHEETS["process"])
        except ProcessError as e:
            out.append(e)
    if schema.SHEETS["calendar"] in repaired:
        try:
            schema.read_calendar(list(src.rows(schema.SHEETS["calendar"])))
        except CalendarError as e:
            out.append(e)
    return out


def find_for_check(path: Path, now: datetime, settings, people_rows=None):
    """Read the register (:func:`load_for_check`) and find what to announce at ``now`` with
    ``settings``: the Book and the :class:`~xlflow.checks.Findings`, the sheets' problems
    among its notices. Raises only an :class:`XlflowError` for a register that cannot be
    read at all (a file that is not a workbook, a sheet or a column missing)."""
    b, sheet_notices = load_for_check(path)
    c, fu = settings.check, settings.followup
    f = checks.find(b, now, soon_minutes=c.due_soon_minutes, soon_fraction=c.due_soon_fraction,
                    reply_warn_days=c.reply_by_warn_days, people_rows=people_rows,
                    remind_every_days=fu.remind_every_days, escalate=fu.escalate, escalate_floor_days=fu.escalate_floor_days)
    for th, en in sheet_notices:
        f.notice(th, en, unread=True)
    for th, en in checks.calendar_notices(b.holidays, local(now).date()):
        f.notice(th, en)
    for _, role in fu.escalate:
        if b.process.role(role) is None:
            f.notice(f'xlflow.toml [followup] escalate_to: "{role}" ไม่ใช่บทบาทในกระบวนการ — ใช้ชื่อบทบาทตามแผ่นงานผู้รับผิดชอบ',
                     f'xlflow.toml [followup] escalate_to: "{role}" is not a role of the process — use a role name as the People sheet has it')
    return b, f


def run_check(
    book_path: Path,
    now: datetime,
    *,
    settings=None,
    dry_run: bool = False,
    outbox: Path | None = None,
    redeliver: tuple[int, int] | None = None,
    transport=None,
    after_accept: Callable[[list[str], list[str]], None] | None = None,
) -> Report:
    """One run of the checker at ``now`` (naive Bangkok or aware). Never raises for a domain
    problem: the report's ``exit_code`` and ``error`` say what went wrong.

    ``outbox`` writes ``.eml`` files there instead of sending; ``dry_run`` sends and records
    nothing and lists what would go; ``redeliver=(2569, 9)`` sends that round again on
    purpose. ``transport`` and ``after_accept`` are for tests (a transport of one's own; a
    callback ``(accepted addresses, keys)`` run between the server's acceptance and the record).
    """
    from .settings import load_settings

    book_path = Path(book_path)
    now = local(now)
    report = Report(now=now)
    try:
        settings = settings or load_settings(book_path)
    except SettingsError as e:
        log = _Log(report, book_path.absolute().parent / "xlflow-check.log")
        log(f"error: {e}", show=False)
        report.exit_code, report.error = EX_ERROR, str(e)
        return report
    log = _Log(report, None if dry_run else settings.check.log_file)
    from .book import gc_paused

    try:
        # The register's records live until the run ends: a cyclic collection would walk
        # millions of them for nothing (xlflow watch collects them after the run).
        with gc_paused():
            return _Run(book_path, now, settings, report, log, dry_run, outbox, redeliver, transport, after_accept).run()
    except XlflowError as e:
        log(f"error: {e}", show=False)
        report.exit_code, report.error = EX_ERROR, str(e)
        return report


class _Run:
    def __init__(self, path, now, settings, report, log, dry_run, outbox, redeliver, transport, after_accept):
        self.path, self.now, self.s, self.report, self.log = Path(path), now, settings, report, log
        self.dry_run, self.outbox, self.redeliver = dry_run, outbox, redeliver
        self.transport, self.after_accept = transport, after_accept
        self.stop = False  # a server-level failure: leave the rest for the next run
        self.key = ""  # the register's key in the state file (its id, else its path)

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> Report:
        from . import book as bk

        months = self.s.rounds.months
        bad = [m for m in months if m not in (6, 9, 12)]
        if bad:
            raise SettingsError(f"xlflow.toml [rounds] months: {bad[0]} is not a round — use 6, 9 or 12 (months from 1 October), e.g. months = [9, 12]")
        if self.redeliver is not None:
            from .thaidate import format_date, round_range

            fy, m = self.redeliver
            try:
                _, end = round_range(fy, m)
            except DateError as e:
                raise XlflowError(f"--redeliver {fy} {m}: {e}") from None
            if end >= self.now.date():
                raise XlflowError(
                    f"--redeliver {fy} {m}: the {m}-month round of fiscal year {fy} ends on {format_date(end)} "
                    f"({end.isoformat()}) — it can be delivered after that day"
                )
        sheet = read_people_sheet(self.path)
        try:
            # open items only: memory does not grow with the Log; whatever a cell holds
            b, f = find_for_check(self.path, self.now, self.s, people_rows=sheet.row_of if sheet else None)
        except XlflowError as e:
            return self.unreadable(e)
        self.report.calendar = b.calendar
        c = self.s.check
        from .statestore import StateStore, path_key, register_key

        self.key = register_key(b.register_id, self.path)
        if b.register_id is None:
            self.log(f"this register has no id yet: its memory is kept under its path ({self.path.resolve()}); "
                     "the first xlflow write (a command-line action, xlflow refresh) gives it one", show=False)
        for n in f.notices:
            self.log(f"problem: {n.en}")
        self.report.problems = [n.en for n in f.unread]
        in_hours = b.calendar.is_working(self.now) or not c.office_hours_only
        if self.dry_run:
            return self.dry(b, f, in_hours)

        try:
            with bk.writer_lock(self.s.check.state_file, wait=LOCK_WAIT), StateStore(self.s.check.state_file, register=self.key) as store:
                if b.register_id is not None:
                    old = path_key(self.path)
                    if store.kept_under(old):
                        moved = store.adopt(old)
                        self.log(f"the register now has its id: the memory kept under its path ({moved} record(s)) goes with the id")
                return self.with_store(b, f, in_hours, store)
        except WorkbookBusy:
            self.log("another xlflow checker is running on this register — this run stops; the next one goes on")
            self.report.exit_code = EX_TEMPFAIL
            return self.report

    def with_store(self, b, f, in_hours, store) -> Report:
        run_id = store.start_run(aware(self.now))
        if b.witnessed:  # the Log as this run found it, kept beside the workbook and told to the directors
            from .statestore import path_key
            from .witness import Witness

            w = Witness(b.register_id, self.now.replace(tzinfo=None, second=0, microsecond=0), tuple(b.witnessed))
            f.witness = w.line()
            if store.record_witness(w.line(), aware(self.now), also=[path_key(self.path)]):
                self.log(f"witness of the Log kept: {w.short()} ({w.line()})", show=False)
        digests = checks.plan_digests(f, store.pending)
        rounds = self.rounds_to_deliver(b, store, in_hours)
        waiting = [r for r in rounds if not r[2]]
        if not in_hours and (digests or waiting):
            self.log(f"{b.calendar.closed_why(self.now) or 'outside office hours'}: {len(digests)} message(s) and "
                     f"{len(waiting)} round(s) wait until the office opens")
            self.report.held = True
            digests, rounds = [], [r for r in rounds if r[2]]
        if digests or rounds:
            with self.make_transport() as t:
                for d in digests:
                    self.send_digest(t, store, b, f, d)
                for fy, m, forced in rounds:
                    self.deliver_round(t, store, b, f, fy, m, forced)
        if not digests and not rounds and not self.report.held:
            self.log("nothing new to announce")
        self.report.exit_code = self.exit_code()
        outcome = {EX_ERROR: "error", EX_TEMPFAIL: "tempfail"}.get(self.report.exit_code, "held" if self.report.held else "ok")
        store.finish_run(run_id, outcome, f"sent {len(self.report.sent)}, failed {len(self.report.failed)}, problems {len(self.report.problems)}",
                         aware(self.now))
        self.log(f"done: {len(self.report.sent)} sent, {len(self.report.failed)} not sent"
                 + (f", {len(self.report.problems)} unreadable cell(s) or item(s) named" if self.report.problems else "")
                 + f" (exit {self.report.exit_code})")
        return self.report

    def exit_code(self) -> int:
        """1 the register, the settings or the server refuse us for good; 75 some mail waits for
        the next run; 65 a cell or row of the register could not be read (named); 0 all went through."""
        if self.report.error:
            return EX_ERROR
        if self.report.failed:
            return EX_TEMPFAIL
        return EX_DATAERR if self.report.problems else EX_OK

    def make_transport(self):
        from . import mail

        if self.transport is not None:
            return _Borrowed(self.transport)
        if self.outbox is not None:
            return mail.OutboxTransport(self.outbox)
        return mail.make_transport(self.s)

    # -- digests ------------------------------------------------------------------------------
    def send_digest(self, t, store, b, f, d: checks.Digest) -> None:
        subject, text, page = checks.render(d, f, b.path.name if b.path else "")
        self.send(t, store, [d.email], [], subject, text, page, [], d.keys, d.email)

    def send(self, t, store, to, cc, subject, text, page, attachments, keys, label) -> list[str] | None:
        """Build, send, record for the accepted. Returns the accepted addresses, or None."""
        from . import mail

        if self.stop:
            self.report.failed.append((label, "not tried: the server failed earlier in this run"))
            self.log(f"not sent to {label}: the server failed earlier in this run — the next run sends it")
            return None
        try:
            msg = mail.build_message(self.s.sender, to, subject, text, page, cc=cc, attachments=attachments, date=aware(self.now))
        except XlflowError as e:
            self.report.failed.append((label, str(e)))
            self.log(f"not sent to {label}: {e}")
            return None
        try:
            res = t.send(msg)
        except mail.DeliveryError as e:
            self.report.failed.append((label, str(e)))
            self.log(f"not sent to {label}: {e}")
            if _server_level(e):
                self.stop = True
                if not e.temporary and not self.report.error:  # a login, a certificate: only people can fix it
                    self.report.error = str(e)
            return None
        if self.after_accept is not None:
            self.after_accept(list(res.accepted), list(keys))
        _after_accept_fault()
        store.record_sent_to(keys, res.accepted, res.message_id or "", aware(self.now))
        for r, (code, why) in res.refused.items():
            self.report.failed.append((r, f"{code} {why}"))
            self.log(f"refused by the server for {r}: {code} {why} — the next run tries again")
        self.report.sent.append((", ".join(res.accepted), subject, list(keys)))
        self.log(f"sent to {', '.join(res.accepted)}: {subject} ({len(keys)} item(s))")
        return res.accepted

    # -- rounds -------------------------------------------------------------------------------
    def rounds_to_deliver(self, b, store, in_hours) -> list[tuple[int, int, bool]]:
        out: list[tuple[int, int, bool]] = []
        if self.redeliver is not None:
            fy, m = self.redeliver
            if store.forget_delivered(checks.round_key(fy, m)):
                self.log(f"{checks.round_key(fy, m)}: redelivery on purpose")
            out.append((fy, m, True))
        first = store.delivered_at(STARTED)
        if first is None:  # the first run: rounds delivered from today on
            store.record_delivered(STARTED, aware(self.now), "rounds are delivered from this day on")
            first = aware(self.now)
        since = local(first).date()
        for fy, m in checks.rounds_due(self.now.date(), b.calendar, self.s.rounds.months, store.delivered, since):
            if (fy, m) not in [(y, n) for y, n, _ in out]:
                out.append((fy, m, False))
        return out

    def deliver_round(self, t, store, b, f, fy: int, m: int, forced: bool) -> None:
        key = checks.round_key(fy, m)
        sent_key = f"{key}|evaluation|{m}|round"
        to = [f.people[e].email for e in f.pmqa]
        cc = [f.people[e].email for e in f.directors if e not in f.pmqa]
        if not to and not cc:
            why = "no one with an e-mail in the People sheet has the PMQA team or a director role — add them there"
            self.report.failed.append((key, why))
            self.log(f"{key}: not delivered: {why}; the next run tries again")
            return
        if not to:
            self.log(f"{key}: no PMQA team e-mail in the People sheet — sent to the directors only")
        if not forced:
            to = [e for e in to if store.pending([sent_key], e)]
            cc = [e for e in cc if store.pending([sent_key], e)]
            if not to and not cc:
                store.record_delivered(key, aware(self.now), "every recipient already had it")
                return
        out = self.s.rounds.path(fy, m)
        try:
            from .evaluation import evaluate_round

            out.parent.mkdir(parents=True, exist_ok=True)
            _, summary = evaluate_round(self.path, fy, m, out, now=self.now)
            data = out.read_bytes()
        except (XlflowError, OSError) as e:
            self.report.failed.append((key, str(e)))
            self.log(f"{key}: the evaluation workbook could not be made ({e}) — the next run tries again")
            return
        self.log(f"{key}: compiled {out}")
        stats = checks.RoundStats.of(summary)  # the figures the workbook was written from: the mail cannot disagree
        again = self.redeliver is not None and tuple(self.redeliver) == (fy, m)
        subject, text, page = checks.render_round(stats, out, b.path.name if b.path else "", self.now, again=again)
        accepted = self.send(t, store, to or cc, cc if to else [], subject, text, page, [(out.name, data, XLSX_MIME)], [sent_key], key)
        if accepted is None:
            return
        wanted = {e.lower() for e in [*to, *cc]}
        if wanted <= {a.lower() for a in accepted}:
            store.record_delivered(key, aware(self.now), str(out))
            self.report.delivered.append(key)
            self.log(f"{key}: delivered to {', '.join(accepted)}")

    # -- a dry run ----------------------------------------------------------------------------
    def dry(self, b, f, in_hours) -> Report:
        from .statestore import StateStore

        state = self.s.check.state_file
        store = StateStore(state, register=self.key) if state.exists() else None
        try:
            pending = store.pending if store else (lambda keys, email: list(keys))
            delivered = store.delivered if store else (lambda key: False)
            if not in_hours:
                self.log("outside office hours: a real run now would send nothing; it would send this in office hours")
            for d in checks.plan_digests(f, pending):
                subject, _, _ = checks.render(d, f, b.path.name if b.path else "")
                self.report.planned.append((d.email, subject, d.keys))
                self.log(f"would send to {d.email}: {subject}")
                for x in d.breaches:
                    self.log(f"    {x.key}")
                for n in d.notices:
                    self.log(f"    problem: {n.en}")
            first = store.delivered_at(STARTED) if store else None
            since = local(first).date() if first else self.now.date()
            rounds = checks.rounds_due(self.now.date(), b.calendar, self.s.rounds.months, delivered, since)
            if self.redeliver is not None and tuple(self.redeliver) not in rounds:
                rounds.append(tuple(self.redeliver))
            for fy, m in rounds:
                out = self.s.rounds.path(fy, m)
                who = ", ".join(f.people[e].email for e in [*f.pmqa, *f.directors]) or "nobody (no PMQA team or director e-mail)"
                self.report.planned.append((who, f"evaluation {checks.round_key(fy, m)}", [checks.round_key(fy, m)]))
                self.log(f"would compile {out} and send it to {who}")
            if not self.report.planned:
                self.log("nothing new to announce")
            self.log("dry run: nothing was sent or recorded")
        finally:
            if store is not None:
                store.close()
        self.report.exit_code = self.exit_code()
        return self.report

    # -- an unreadable register -------------------------------------------------------------
    def unreadable(self, e: XlflowError) -> Report:
        """Tell the directors (once a day, per problem) if their e-mails can still be read."""
        from .process import Process
        from .worktime import thai_holidays

        self.log(f"error: the register cannot be read: {e}", show=False)
        self.report.exit_code, self.report.error = EX_ERROR, str(e)
        sheet = read_people_sheet(self.path)
        people = sheet.records if sheet else []
        heads = [p for p in checks.directors(people, Process.default()) if p.email]
        if not heads:
            self.log("the directors' e-mails cannot be read either — nobody was told; see this log")
            return self.report
        cal = WorkCalendar(thai_holidays(range(self.now.year - 1, self.now.year + 2)))
        if self.s.check.office_hours_only and not cal.is_working(self.now):
            self.log("outside office hours: the directors are told when the office opens")
            return self.report
        f = checks.Findings(now=self.now)
        f.notice(f"{self.now.date().isoformat()}: อ่านทะเบียน {self.path.name} ไม่ได้: {e} — ระบบจะตรวจและส่งงานประเมินเมื่ออ่านได้อีกครั้ง",
                 f"{self.now.date().isoformat()}: the register {self.path.name} cannot be read: {e} — reminders and round deliveries wait until it can")
        for p in heads:
            checks.add_addressee(f, p, Process.default())
        if self.dry_run:
            for email in f.directors:
                self.log(f"would tell {email}: the register cannot be read")
            return self.report
        from . import book as bk

        try:
            with bk.writer_lock(self.s.check.state_file, wait=LOCK_WAIT):
                self._tell_directors(f)
        except WorkbookBusy:
            self.log("another xlflow checker is running on this register — the directors are told by the next run")
        return self.report

    def _tell_directors(self, f) -> None:
        from .statestore import StateStore

        from . import book as bk
        from .statestore import register_key

        try:
            rid = bk.register_facts(self.path)[1]
        except Exception:  # a file that is not a workbook: its path is all there is
            rid = None
        with StateStore(self.s.check.state_file, register=register_key(rid, self.path)) as store:
            digests = checks.plan_digests(f, store.pending)
            if digests:
                with self.make_transport() as t:
                    for d in digests:
                        subject, text, page = checks.render(d, f, self.path.name)
                        self.send(t, store, [d.email], [], subject, text, page, [], d.keys, d.email)


class _Borrowed:
    """A transport handed in by the caller: used as is, not closed here."""

    def __init__(self, t):
        self.t = t

    def __enter__(self):
        return self.t

    def __exit__(self, *exc):
        return None


# -- the loop ----------------------------------------------------------------------------------
def watch(
    book_path: Path,
    *,
    every_minutes: int | None = None,
    max_runs: int | None = None,
    sleep: Callable[[float], None] = _time.sleep,
    clock: Callable[[], datetime] | None = None,
    scheduler=None,
    run: Callable[[Path, datetime], Report] | None = None,
    echo: Callable[[str], None] = print,
) -> int:
    """Run the check now and then every ``every_minutes`` (default ``[check] every_minutes``).

    Outside office hours (by the register's own calendar, once it has been read) a run is
    skipped. An exception in one run is logged with its traceback and the loop goes on.
    ``max_runs``, ``sleep``, ``clock`` and ``scheduler`` let a test run a few iterations
    without waiting. Returns the number of runs started.
    """
    import schedule

    from .settings import load_settings

    settings = load_settings(book_path)
    every = every_minutes or settings.check.every_minutes
    if every < 1:
        raise SettingsError(f"--every {every}: the checker needs at least 1 minute between runs — give a number such as 30")
    clock = clock or (lambda: local(datetime.now(BKK)))
    run = run or (lambda path, now: run_check(path, now))
    sched = scheduler or schedule.Scheduler()
    logfile = settings.check.log_file
    state = {"runs": 0, "calendar": None}

    def note(line: str) -> None:
        echo(line)
        try:
            logfile.parent.mkdir(parents=True, exist_ok=True)
            with open(logfile, "a", encoding="utf-8") as fh:
                fh.write(f"{datetime.now(BKK):%Y-%m-%d %H:%M:%S} [watch] {line}\n")
        except OSError:
            pass

    def job() -> None:
        state["runs"] += 1
        now = clock()
        cal = state["calendar"]
        if settings.check.office_hours_only and cal is not None and not cal.is_working(now):
            note(f"{now:%Y-%m-%d %H:%M}: {cal.closed_why(now) or 'outside office hours'} — no check")
            return
        try:
            report = run(Path(book_path), now)
        except Exception as e:  # one bad run must not end the loop
            note(f"{now:%Y-%m-%d %H:%M}: the check failed ({type(e).__name__}: {e}) — the loop goes on\n{traceback.format_exc()}")
            return
        if report.calendar is not None:
            state["calendar"] = report.calendar
        for line in report.lines:
            echo(line)
        if report.error:
            echo(f"Error: {report.error}")

    sched.every(every).minutes.do(job)
    note(f"watching {book_path} every {every} minute(s)")
    job()
    while max_runs is None or state["runs"] < max_runs:
        sleep(max(1.0, sched.idle_seconds or 1.0))
        sched.run_pending()
    return state["runs"]
