"""The command line: parse, call one library function, show the result.

Every action takes ``--at`` (ISO 8601, Bangkok time when no offset is given) and ``--by``;
every error is ``Error: …`` with exit code 1, never a traceback.
"""

from __future__ import annotations

import functools
import getpass
import json
import re
from datetime import datetime
from pathlib import Path

import click

from .errors import DateError, FutureTime, MissingField, NotPermitted, OutsideCalendar, XlflowError
from .model import STATUS_TH, Login
from .workflow import canonical_item

# A folder given as BOOK reaches the library, which says so in words (exit 1, not a usage error).
BOOK = click.argument("book", type=click.Path(path_type=Path))
ITEM = click.argument("item", callback=lambda ctx, param, v: canonical_item(v))  # ๑/๒๕๖๙, 01/2569 → 1/2569


def _now() -> datetime:
    from .worktime import local, BKK

    return local(datetime.now(BKK))


#: The options that stamp an action (a day without its time is refused there, not taken as midnight).
STAMPED = ("--at", "--received-at")


def parse_when(value: str | None, option: str = "--at") -> datetime:
    """``--at``/``--now`` text → naive Bangkok time; absent → now. A year outside the working
    calendar's range (:func:`xlflow.worktime.covers`) is refused here, where it was typed."""
    if value is None:
        return _now()
    from .thaidate import be_year, parse_datetime
    from .worktime import range_text


    try:
        when = parse_datetime(value)
    except OutsideCalendar as e:
        year = e.when.year if e.when is not None else None
        shown = f"the year {year} (BE {be_year(year)})" if year is not None else "a time"
        raise click.ClickException(f'{option} "{value}" is {shown}, outside the working calendar ({range_text()}) — check the year') from None
    except DateError as e:
        msg = str(e)
        why = msg[msg.index("(") : msg.index(")") + 1] + " " if "(" in msg and ")" in msg else ""
        raise click.ClickException(
            f'{option} "{value}" is not a date and time {why}— use ISO 8601, e.g. 2026-11-25T09:30 (Bangkok time), or 25/11/2569 09:30'
        ) from None
    if option in STAMPED and isinstance(value, str) and not re.search(r"\d{1,2}\s*[:.]\s*\d{2}", value):  # a day alone: midnight
        raise click.ClickException(f'{option} "{value}" has no time — an action is stamped to the minute: '
                                   f'give the time too, e.g. 25/11/2569 09:30 or 2026-11-25T09:30')
    return when


#: How far ahead of this computer's clock an action's time may be (clocks of two PCs differ a little).
FUTURE_SKEW_MINUTES = 5


def not_ahead(when: datetime, future: bool, option: str = "--at") -> datetime:
    """Refuse an action dated after now (beyond :data:`FUTURE_SKEW_MINUTES`) unless ``--future``:
    a register dated ahead would take the next registration number before the letters in between."""
    from datetime import timedelta

    now = _now()
    if not future and when > now + timedelta(minutes=FUTURE_SKEW_MINUTES):
        e = FutureTime(when, now, FUTURE_SKEW_MINUTES)
        raise click.ClickException(f"{option} {e} — check the date, or give --future to enter it ahead on purpose")
    return when


def _at(value: str | None, future: bool = False) -> datetime | None:
    """``--at`` as given, or None: the library takes "now" once it holds the register, so a
    command that waited for another writer is not stamped before it. A time ahead of now is
    refused unless ``future`` (``--future``)."""
    return not_ahead(parse_when(value), future) if value is not None else None


#: A register larger than this says on stderr what a write is doing (it takes seconds).
PROGRESS_BYTES = 5_000_000
_STEPS = {"reading": "reading {name} ({mb:.0f} MB)", "writing": "writing {name}"}


def progress_for(book: Path):
    """A function that tells, on stderr, what a write of a large register is doing: a line per
    step, or a tqdm bar on a terminal; None for a small register (it takes a moment)."""
    import sys

    try:
        size = Path(book).stat().st_size
    except OSError:
        return None
    if size < PROGRESS_BYTES:
        return None
    name, mb = Path(book).name, size / 1e6
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(_STEPS), file=sys.stderr, leave=False, bar_format="{desc} {bar} {n_fmt}/{total_fmt}")

        def say(step: str) -> None:
            if step == "done":
                bar.close()
                return
            bar.set_description_str(_STEPS.get(step, step).format(name=name, mb=mb))
            bar.update(0 if step == "reading" else 1)
        return say

    def line(step: str) -> None:
        if step in _STEPS:
            click.echo("xlflow: " + _STEPS[step].format(name=name, mb=mb) + " …", err=True)
    return line


def errors_as_messages(fn):
    """Domain errors become ``Error: …`` and exit 1 (sqlite-utils' habit)."""

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except MissingField as e:
            raise click.ClickException(e.worded(f"give --{e.field.replace('_', '-')}")) from None
        except NotPermitted as e:
            raise click.ClickException(e.worded("give --by with the name of one of them, as the People sheet has it")) from None
        except XlflowError as e:
            raise click.ClickException(str(e)) from None
        except KeyboardInterrupt:
            raise click.Abort() from None

    return wrapper


def at_by(fn):
    """The options every action shares, spelled once."""
    fn = click.option("--future", is_flag=True, help="Allow --at (or --received-at) after now, on purpose.")(fn)
    fn = click.option("--by", default=None, help="Who does it (default: your login name).")(fn)
    fn = click.option("--at", "at", default=None, help="When, ISO 8601 (default: now), e.g. 2026-11-25T09:30.")(fn)
    return fn


def _by(by: str | None) -> str:
    """``--by``, else the login, which the library stamps as the People sheet names its holder."""
    if by:
        return by
    try:
        return Login(getpass.getuser())
    except Exception:  # no login name (a service account): say so in the log
        return "unknown"


def _json_or_line(view: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False, indent=2))
    else:
        from datetime import date as _date, datetime as _datetime

        from .thaidate import format_date, format_datetime

        due = format_datetime(_datetime.fromisoformat(view["due_at"])) if view.get("due_at") else "-"  # BE, as the register shows it
        shown = {**view, "reply_date": format_date(_date.fromisoformat(view["reply_date"]), "abbr") if view.get("reply_date") else ""}
        extra = "".join(f"  {label} {shown[k]}" for k, label in (("forwarded_to", "to"), ("end_reason", "reason"), ("reply_no", "reply"),
                                                                    ("reply_date", "dated"), ("scan", "scan")) if shown.get(k))
        click.echo(f"{view['item']}  {view['substep']}  {view['status']}  due {due}  round {view['round']}  officer {view.get('officer') or '-'}{extra}")


def safe_streams(streams=None) -> None:
    """Let Thai text reach any console: a stdout or stderr that is not UTF-8 (a redirected
    Windows console in cp1252 or cp874, a ``.bat`` run by Task Scheduler) replaces what it
    cannot show instead of ending the command with ``UnicodeEncodeError``."""
    import sys

    for stream in streams if streams is not None else (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding.startswith("utf") or not hasattr(stream, "reconfigure"):
            continue
        try:
            stream.reconfigure(errors="replace")
        except (ValueError, OSError):  # a stream that cannot be changed any more: leave it
            pass


def readable_args(argv: list[str]) -> list[str]:
    """Command-line arguments as text: under a locale that is not UTF-8 (``LANG=C`` with
    ``PYTHONUTF8=0``) Python hands Thai arguments over as undecodable bytes ("surrogates"),
    which no workbook or hash can take; they are read as UTF-8 (what a terminal sends)."""
    if not any("\udc80" <= ch <= "\udcff" for a in argv for ch in a):
        return argv
    import os

    return [os.fsencode(a).decode("utf-8", "replace") for a in argv]


class _Main(click.Group):
    """The ``xlflow`` group: makes the output streams safe before anything is printed (help
    included), and the arguments readable."""

    def main(self, args=None, *rest, **kwargs):
        import sys

        safe_streams()
        if args is None:
            args = readable_args(sys.argv[1:])
        return super().main(args, *rest, **kwargs)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xlflow")
def main():
    """xlflow — the international-cooperation work process of สปร./วท., run from an Excel register."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path), default=Path("Coordination_Register.xlsx"))
@click.option("--force", is_flag=True, help="Replace an existing file (a backup is kept).")
@click.option("--today", default=None, help="Date that picks the calendar's fiscal years (default: today).")
@errors_as_messages
def init(path, force, today):
    """Make a new, empty register workbook at PATH."""
    from .template import init as make

    d = parse_when(today, "--today").date() if today else None
    make(path, today=d, force=force)
    click.echo(f"created {path}")


@main.command()
@click.argument("book", type=click.Path(path_type=Path), required=False)
@errors_as_messages
def process(book):
    """Print the process table (from BOOK's Process sheet, or the manual) and its inconsistencies."""
    from .process import Process

    p = Process.default() if book is None else __import__("xlflow.book", fromlist=["load"]).load(book).process
    for s in p:
        after = s.next + (f" / ไม่เห็นชอบ → {s.reject_to}" if s.reject_to else "")
        click.echo(f"{s.code:>4}  {s.standard:>4} min  {s.role}  →  {after}\n      {s.name_th}\n      {s.name_en}")
    click.echo("\nWhere the manual contradicts itself (xlflow times the work instruction, section 6):")
    for line in p.inconsistencies():
        click.echo(f"  - {line}")


@main.command("register")
@BOOK
@click.option("--subject", required=True, help="เรื่อง: the letter's subject.")
@click.option("--letter-no", default="", help='The letter\'s own number, e.g. "ที่ รง 0201/1234".')
@click.option("--letter-date", default=None, help="The letter's date (25/11/2569 or 2026-11-25).")
@click.option("--sender", "--from", "sender", default="", help="จาก: who sent it.")
@click.option("--to", "addressee", default="", help="ถึง: to whom it is addressed.")
@click.option("--urgency", type=click.Choice(["ด่วนที่สุด", "ด่วนมาก", "ด่วน"]), default=None, help="ชั้นความเร็ว.")
@click.option("--secrecy", type=click.Choice(["ลับที่สุด", "ลับมาก", "ลับ"]), default=None, help="ชั้นความลับ.")
@click.option("--reply-by", default=None, help="The date the sender asked for a reply by.")
@click.option("--received-at", default=None, help="When it arrived (default: --at).")
@click.option("--action", default="", help="การปฏิบัติ.")
@click.option("--remarks", default="", help="หมายเหตุ.")
@at_by
@errors_as_messages
def register_cmd(book, subject, letter_no, letter_date, sender, addressee, urgency, secrecy, reply_by, received_at, action, remarks, at, by, future):
    """Register an incoming letter; prints its new registration number."""
    from .service import register_letter
    from .thaidate import parse_date

    def day(v, opt):
        if v is None:
            return None
        try:
            return parse_date(v)
        except OutsideCalendar as e:  # 15/12/2699 for 2569: refused where it is typed, with its year
            from .worktime import range_text

            shown = f"the year {e.when.year} (BE {e.when.year + 543})" if e.when is not None else "a date"
            raise click.ClickException(f'{opt} "{v}" is {shown}, outside the working calendar ({range_text()}) — check the year') from None
        except DateError:
            raise click.ClickException(f'{opt} "{v}" is not a date — type it as 25/11/2569 or 2026-11-25') from None

    item = register_letter(
        book, at=_at(at, future), by=_by(by), progress=progress_for(book),
        received_at=not_ahead(parse_when(received_at, "--received-at"), future, "--received-at") if received_at else None,
        subject=subject, letter_no=letter_no, letter_date=day(letter_date, "--letter-date"), sender=sender, addressee=addressee,
        urgency=urgency, secrecy=secrecy, reply_by=day(reply_by, "--reply-by"), action=action, remarks=remarks,
        warn=lambda text: click.echo(f"Warning: {text}", err=True),
    )
    click.echo(item)


def _action_command(name: str, action: str, help_text: str, note_help: str | None = None):
    @main.command(name, help=help_text)
    @BOOK
    @ITEM
    @click.option("--note", "--reason", "note", default="", help=note_help or "A note for the log.")
    @at_by
    @click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
    @errors_as_messages
    def cmd(book, item, note, at, by, future, as_json):
        from .service import perform

        _json_or_line(perform(book, item, action, at=_at(at, future), by=_by(by), note=note, progress=progress_for(book)), as_json)

    return cmd


_action_command("approve", "approve", "Approve ITEM at the executives' decision (5.1): it goes on to 5.2.")
_action_command("reject", "reject", "Send ITEM back from the decision (5.1) to 3.1; the round counter rises (a reason is required).",
                "What must be done again (required: the evaluation lists each send-back's reason).")
_action_command("pause", "pause", "Stop ITEM's clock while it waits on an outside agency (a reason is required).", "What the work waits for (required: the core refuses a pause without one).")
_action_command("resume", "resume", "Start ITEM's clock again after a pause.")
_action_command("correct", "correct", "Undo ITEM's last action (logged as an action of its own).", "Why it is undone.")
_action_command("cancel", "cancel", "Cancel ITEM's registration, made by mistake (a duplicate, the wrong register), while it is at "
                "step 1: its number is never reused, it is no longer open (a reason is required).",
                "Why it is cancelled (required), e.g. \"ลงทะเบียนซ้ำกับ 11/2569\".")
_action_command("close", "close", "Close ITEM early, at any open sub-step: a director's decision (--by a name the People sheet "
                "gives ผอ.วท. or ผอ.สปร.); a reason is required.",
                "Why it is closed (required), e.g. เพื่อทราบ, ไม่ต้องดำเนินการ, \"รวมเรื่องกับ 12/2569\".")


def _day(value: str | None, option: str):
    """A date option (``25/11/2569`` or ``2026-11-25``) as a date, or None; refused in words."""
    if value is None:
        return None
    from .thaidate import parse_date

    try:
        return parse_date(value)
    except OutsideCalendar as e:
        from .worktime import range_text

        shown = f"the year {e.when.year} (BE {e.when.year + 543})" if e.when is not None else "a date"
        raise click.ClickException(f'{option} "{value}" is {shown}, outside the working calendar ({range_text()}) — check the year') from None
    except DateError:
        raise click.ClickException(f'{option} "{value}" is not a date — type it as 25/11/2569 or 2026-11-25') from None


@main.command()
@BOOK
@ITEM
@click.option("--note", "--reason", "note", default="", help="A note for the log.")
@click.option("--reply-no", default=None, help='At 5.2: the answer\'s own number, e.g. "ที่ รง 0301/1234".')
@click.option("--reply-date", default=None, help="At 5.2: the answer's own date (25/11/2569 or 2026-11-25).")
@at_by
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
@errors_as_messages
def advance(book, item, note, reply_no, reply_date, at, by, future, as_json):
    """Finish ITEM's current sub-step and start the next; finishing 5.2 (the answer sent out)
    records the answer's own number and date."""
    from .service import perform

    answer = {k: v for k, v in (("reply_no", reply_no), ("reply_date", _day(reply_date, "--reply-date"))) if v is not None}
    _json_or_line(perform(book, item, "advance", at=_at(at, future), by=_by(by), note=note, progress=progress_for(book), **answer), as_json)


@main.command()
@BOOK
@ITEM
@click.option("--to", "to", default=None, help="The bureau or department the letter belongs to (required).")
@click.option("--reason", "--note", "note", default="", help="Why it is sent on.")
@at_by
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
@errors_as_messages
def forward(book, item, to, note, at, by, future, as_json):
    """Send ITEM on to the bureau or department it belongs to (at steps 1–2): the item ends as
    forwarded, with the recipient and the time."""
    from .service import perform

    _json_or_line(perform(book, item, "forward", at=_at(at, future), by=_by(by), note=note, to=to, progress=progress_for(book)), as_json)


@main.command()
@BOOK
@ITEM
@click.option("--scan", default=None, help="The scanned letter: a file path or a web address (required).")
@click.option("--note", default="", help="A note for the log.")
@at_by
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
@errors_as_messages
def link(book, item, scan, note, at, by, future, as_json):
    """Link ITEM to its scanned letter (the Register's column ไฟล์หนังสือที่สแกน, logged; the
    digests show it as a link)."""
    from .service import perform

    _json_or_line(perform(book, item, "link", at=_at(at, future), by=_by(by), note=note, scan=scan if scan is not None else "",
                          progress=progress_for(book)), as_json)


@main.command()
@BOOK
@ITEM
@click.option("--unit", default=None, help="The unit assigned at 1.2.")
@click.option("--officer", default=None, help="The officer assigned at 1.5 (a name in the People sheet).")
@click.option("--note", default="", help="A note for the log.")
@at_by
@click.option("--json", "as_json", is_flag=True, help="Print the item as JSON.")
@errors_as_messages
def assign(book, item, unit, officer, note, at, by, future, as_json):
    """Assign ITEM's unit (at 1.2) or officer (at 1.5)."""
    from .service import perform

    if unit is None and officer is None:
        raise click.ClickException("say whom to assign: --unit NAME or --officer NAME")
    _json_or_line(perform(book, item, "assign", at=_at(at, future), by=_by(by), note=note, unit=unit, officer=officer, progress=progress_for(book)), as_json)


@main.command()
@BOOK
@ITEM
@click.option("--now", default=None, help="The time to judge status at (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@errors_as_messages
def show(book, item, now, as_json):
    """Show ITEM: sub-step, due time, status, round, unit, officer."""
    from .service import show as show_item

    _json_or_line(show_item(book, item, parse_when(now, "--now")), as_json)


@main.command()
@BOOK
@ITEM
@click.option("--now", default=None, help="Count an open sub-step up to this time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@errors_as_messages
def history(book, item, now, as_json):
    """ITEM's timeline from the Log: each action, who and when; each sub-step's working time
    against its standard, pauses and their reasons, corrections."""
    from datetime import datetime as _dt

    from .service import history as item_history
    from datetime import date as _d

    from .thaidate import format_date, format_datetime
    from .workflow import ENDINGS

    h = item_history(book, item, parse_when(now, "--now"))
    if as_json:
        click.echo(json.dumps(h, ensure_ascii=False, indent=2))
        return
    when = lambda s: format_datetime(_dt.fromisoformat(s)) if s else "—"  # noqa: E731
    def hours(m):  # a 5-minute sub-step in minutes, a day's work in hours
        return "—" if m is None else f"{m:.0f} min" if abs(m) < 60 else f"{m / 60:.1f} h"
    click.echo(f"{h['item']}  now at {h['substep']}  round {h['round']}  worked {hours(h['worked_minutes'])}"
               + (f"  longest over standard: {h['longest_over']}" if h["longest_over"] else ""))
    if h.get("ended"):
        click.echo(f"{h['ended']} {when(h['completed_at'])}" + (f" to {h['forwarded_to']}" if h.get("forwarded_to") else "")
                   + (f": {h['end_reason']}" if h.get("end_reason") else ""))
    if h.get("reply_no") or h.get("reply_date"):
        click.echo(f"answer {h.get('reply_no') or '-'} dated {format_date(_d.fromisoformat(h['reply_date'])) if h.get('reply_date') else '-'}")
    click.echo("sub-steps (working time, pauses excluded, against the standard):")
    for s in h["substeps"]:
        verdict = ("open" if s["finished"] is None else f"ended here ({s['outcome']})" if s["outcome"] in ENDINGS
                   else "within" if s["within_standard"] else f"over by {hours(s['over_minutes'])}")
        click.echo(f"  {s['substep']:>4}  r{s['round']}  {when(s['started'])} → {when(s['finished'])}  "
                   f"{hours(s['worked_minutes'])} / {hours(s['standard_minutes'])}  {verdict}  {s['name']}")
        for p in s["pauses"]:
            click.echo(f"        paused {when(p['from'])} → {when(p['to'])}: {p['reason']}")
    click.echo("actions:")
    for a in h["actions"]:
        mark = "" if a["in_force"] else f"  (withdrawn by ลำดับ {a['withdrawn_by']})"
        note = f"  — {a['note']}" if a["note"] else ""
        click.echo(f"  {a['seq']:>6}  {when(a['at'])}  {a['action']:<8} {a['substep']:>4}  {a['by']}{note}{mark}")


@main.command("list")
@BOOK
@click.option("--status", type=click.Choice(list(STATUS_TH)), default=None, help="Only items of this status.")
@click.option("--now", default=None, help="The time to judge status at (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@errors_as_messages
def list_cmd(book, status, now, as_json):
    """List the register's items with their derived state."""
    from .service import list_items

    items, problems = list_items(book, parse_when(now, "--now"), status)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
    else:
        for v in items:
            _json_or_line(v, False)
    for p in problems:
        click.echo(f"Warning: {p}", err=True)


@main.command()
@BOOK
@click.option("--witness", "give", is_flag=True, help="Print the Log's witness now, as one line to keep outside the workbook.")
@click.option("--against", "against", multiple=True, metavar="LINE", help="Also check the Log against a witness line kept elsewhere.")
@click.option("--json", "as_json", is_flag=True,
              help='Print the result as JSON ({"intact": …, "report": …}; exit 1 when not intact), or with --witness the witness.')
@errors_as_messages
def verify(book, give, against, as_json):
    """Check the Log: its hash chain, and every witness of it kept outside the workbook.

    Names the first row edited, inserted or deleted by hand, or the first witnessed row that
    differs; says what it could check.
    """
    from .service import current_witness, stored_witnesses, verify_report
    from .thaidate import format_datetime
    from .witness import parse

    if give:
        w = current_witness(book)
        click.echo(json.dumps(w.as_dict(), ensure_ascii=False, indent=2) if as_json else w.line())
        return
    witnesses = [*stored_witnesses(book), *(parse(line) for line in against)]
    ok, words = verify_report(book, witnesses, when=lambda w: format_datetime(w.at))
    if as_json:  # for an auditor's script: the same words, and the exit code says it too
        click.echo(json.dumps({"intact": ok, "report": words}, ensure_ascii=False, indent=2))
        if not ok:
            raise SystemExit(1)
        return
    if not ok:
        raise click.ClickException(words)
    click.echo("the log is intact")
    click.echo(words)


@main.command()
@BOOK
@click.option("--now", default=None, help="The time to judge status at (default: now).")
@errors_as_messages
def refresh(book, now):
    """Re-time every item from the Log and the Calendar (after holidays were edited)."""
    from .service import refresh as do_refresh

    count, warnings = do_refresh(book, parse_when(now, '--now') if now else None, progress=progress_for(book))
    click.echo(f"refreshed {count} item(s)")
    for _th, en in warnings:
        click.echo(f"Warning: {en}", err=True)


@main.group()
def addin():
    """The Excel add-in (ribbon)."""


@addin.command("build")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("xlflow.xlam"), help="Where to write the add-in.")
@errors_as_messages
def addin_build(output):
    """Build xlflow.xlam from the VBA and customUI text sources."""
    from .addin.build import build_addin

    try:
        built = build_addin(output)
    except OSError as e:  # the temporary folder itself (the library words everything else)
        raise click.ClickException(f"the add-in could not be built ({e.strerror or e}) — nothing was written; "
                                   "check the free space of the disk and of the temporary folder (TEMP)") from None
    click.echo(f"built {built}")


# -- checker commands (check, watch) --
@main.command()
@BOOK
@click.option("--now", default=None, help="The time to check at, ISO 8601 (default: now).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write the e-mails as .eml files into this folder instead of sending them.")
@click.option("--redeliver", nargs=2, type=int, default=None, metavar="FY ROUND",
              help="Send a round's evaluation workbook again on purpose, e.g. --redeliver 2569 9.")
@errors_as_messages
def check(book, now, dry_run, outbox, redeliver):
    """Check BOOK once (for cron / Task Scheduler): e-mail each breach once, deliver closed rounds.

    Exit codes: 0 done (or nothing to do), 1 the register or xlflow.toml cannot be used,
    65 done, but a cell or row of the register could not be read (named in the output, the
    log and the directors' summary), 75 some mail could not be sent and the next run retries it.
    """
    from .checker import run_check

    report = run_check(book, parse_when(now, "--now"), dry_run=dry_run, outbox=outbox, redeliver=tuple(redeliver) if redeliver else None)
    for line in report.lines:
        click.echo(line)
    if report.error:
        raise click.ClickException(report.error)
    click.get_current_context().exit(report.exit_code)


@main.command()
@BOOK
@click.option("--every", type=click.IntRange(min=1), default=None, help="Minutes between runs (default: [check] every_minutes in xlflow.toml, 30).")
@click.option("--max-runs", type=click.IntRange(min=1), default=None, help="Stop after this many runs (default: run until stopped); --max-runs 1 runs once.")
@errors_as_messages
def watch(book, every, max_runs):
    """Check BOOK now and then every N minutes in office hours, until stopped (Ctrl+C)."""
    from .checker import watch as loop

    loop(book, every_minutes=every, max_runs=max_runs, echo=click.echo)


# -- PMQA output commands (forms, evaluate, demo) --
@main.command()
@BOOK
@click.option("--pdf", "pdf_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write one PDF per form into this folder (needs LibreOffice).")
@errors_as_messages
def forms(book, pdf_dir):
    """Fill BOOK's two appendix forms (แบบฟอร์มการออกแบบกระบวนการ, แบบฟอร์มขั้นตอนการปฏิบัติงาน)
    from its Process and info sheets; with --pdf, print them to PDF too."""
    from .forms import write_forms

    try:
        written = write_forms(book, pdf_dir)
    except OSError as e:  # one the library did not word (it words the ones it expects)
        raise click.ClickException(f"{e.filename or book}: {e.strerror or e} — check the file, the --pdf folder "
                                   "and the disk, then run the command again") from None
    click.echo(f"filled the forms in {written[0]}")
    for p in written[1:]:
        click.echo(f"wrote {p}")


@main.command()
@BOOK
@click.option("--fiscal-year", "fiscal_year", type=int, required=True, help="The BE fiscal year, e.g. 2569 (1 Oct 2025 – 30 Sep 2026).")
@click.option("--round", "round_months", type=click.Choice(["6", "9", "12"]), required=True,
              help="Months from 1 October: 6 (Oct–Mar), 9 (Oct–Jun) or 12 (Oct–Sep).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The workbook to write (default: Evaluation_FY<year>_round<n>.xlsx beside BOOK).")
@click.option("--now", default=None, help="When the workbook is made; figures stop there if the round is not over (default: now).")
@click.option("--json", "as_json", is_flag=True,
              help="Also print every figure of the workbook as one JSON object on stdout (keys: README, Evaluation and forms).")
@errors_as_messages
def evaluate(book, fiscal_year, round_months, output, now, as_json):
    """Write the evaluation workbook of a round: per sub-step, step and officer, send-backs,
    open and overdue items, charts and the two forms, all in working time from the Log."""
    from .evaluation import evaluate_round as run

    out = output or Path(book).with_name(f"Evaluation_FY{fiscal_year}_round{round_months}.xlsx")
    try:
        written, figures = run(book, fiscal_year, int(round_months), out, now=parse_when(now, '--now'), as_json=as_json)
    except OSError as e:  # one the library did not word (it words the ones it expects)
        raise click.ClickException(f"{e.filename or out}: {e.strerror or e} — the evaluation was not written; "
                                   "check the -o folder and the disk, then run the command again") from None
    from .render import font_stand_in

    stand_in = font_stand_in(shown="this PC shows and prints the workbook in")
    if stand_in:  # its row heights are made for the office's font: a look-alike is said, not hidden
        click.echo(f"xlflow: {stand_in}", err=True)
    if as_json:  # stdout carries the JSON alone
        import json

        click.echo(f"wrote {written}", err=True)
        click.echo(json.dumps(figures, ensure_ascii=False, indent=1))
    else:
        click.echo(f"wrote {written}")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), default=Path("xlflow-demo"))
@click.option("--items", type=click.IntRange(min=1), default=120, show_default=True, help="How many letters.")
@click.option("--now", default=None, help="The moment the demo's year ends (default: now).")
@click.option("--seed", type=int, default=2569, show_default=True, help="Another seed makes another year.")
@click.option("--pdf", is_flag=True, help="Also print the forms to PDF (needs LibreOffice).")
@errors_as_messages
def demo(folder, items, now, seed, pdf):
    """Make a demo in FOLDER: a register with a year of letters, the evaluation and the forms."""
    from .demo import make_demo

    paths = make_demo(folder, now=parse_when(now, "--now") if now else None, items=items, seed=seed, pdf=pdf)
    labels = {"register": "register (ทะเบียนหนังสือรับ, with the filled forms)", "outbox": "checker's e-mails (outbox)",
              "evaluation": "evaluation workbook"}
    click.echo(f"demo in {paths['folder']}:")
    for key, p in paths.items():
        if key == "outbox":
            click.echo(f"  {labels[key]}: {p} ({len(list(Path(p).glob('*.eml')))} e-mail(s))")
        elif key != "folder":
            click.echo(f"  {labels.get(key, key)}: {p}")
    click.echo(f"try: xlflow list {paths['register']} --status overdue")


if __name__ == "__main__":  # pragma: no cover
    main()
