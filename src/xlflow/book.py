"""The register workbook on disk: read it, and keep it safe while it is written.

The adapter between files and the pure library. Reading takes the values of the sheets a
command needs (python-calamine, one sheet at a time) and hands them to :mod:`xlflow.schema`.
Writing is the package port's (:mod:`xlflow.ports.package`, which edits the file's parts
and copies the rest); this module keeps it safe: a lock file keeps a second xlflow writer
out, Excel's and LibreOffice's owner files keep xlflow out of a workbook a person has
open, and the new file replaces the old atomically (a temporary file beside it, fsync, a
rolling backup of the old file, rename).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import shutil
import socket
import stat
import time as _time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from . import schema
from .errors import CalendarError, WorkbookBusy, WorkbookError, XlflowError
from .model import STATUS_TH, ItemState, Letter, LogEntry, Person
from .process import Process
from .schema import SHEETS
from .workflow import CurrentFold, Timing, current_states, replay_all, timing
from .worktime import WorkCalendar

FONT = "TH Sarabun New"
DATETIME_FORMAT = "[$-107041E]d/mm/yyyy hh:mm"  # Thai locale, calendar 07 (Buddhist Era): Excel shows 2569, LibreOffice reads it as [~buddhist]
DATE_FORMAT = "[$-107041E]d/mm/yyyy"
BACKUPS = 5
LOCK_WAIT = 15.0  # seconds a writer waits for another xlflow writer before it refuses


# -- reading -------------------------------------------------------------------------------
@dataclass
class Book:
    """Everything read from a register, parsed. Row problems are kept, not raised."""

    path: Path | None
    process: Process
    calendar: WorkCalendar
    holidays: list
    people: list[Person]
    letters: dict[str, Letter]
    log: list[LogEntry]
    register_rows: dict[str, int]
    log_rows: dict[int, int]
    problems: list[XlflowError] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)
    sha256: str = ""
    unreadable: dict[str, XlflowError] = field(default_factory=dict)  # item → why its Register row cannot be read
    register_last_row: int = 1  # the last Register row with anything typed in it
    log_parts: list[tuple[int, str]] = field(default_factory=list)  # (index in log of a Log sheet's first entry, that sheet)
    current: tuple | None = None  # (open items' states, items not replayable, items done): see current_states
    table: object = None  # the Register's Excel Table (xlflow.apply.Table), when the file has one
    occupied: dict[int, str] = field(default_factory=dict)  # rows below the Table that are not letters (a signature line)
    headers: dict[str, list] = field(default_factory=dict)  # the header row of the Register and of each Log sheet read
    register_id: str | None = None  # the register's identity (a hidden workbook name): what the checker's memory is keyed by
    log_index: dict[str, object] = field(default_factory=dict)  # item → its แถวในบันทึก cell as read (see schema.log_rows_text)
    witnessed: tuple = ()  # load_current: per Log sheet (number, rows, last hash) — the Log's witness (xlflow.witness)

    def current_states(self) -> tuple[dict[str, ItemState], list[tuple[str, str]], set[str]]:
        """Open items' states, the items whose Log cannot be replayed (with why), the items done.

        :func:`load_current` folds them while reading and keeps no Log; a fully read Book
        folds its Log the same way.
        """
        if self.current is None:
            with gc_paused():
                self.current = current_states(self.log, self.process)
        return self.current

    def log_where(self, i: int) -> str:
        """Where the ``i``-th Log entry is: ``บันทึกการดำเนินงาน (2) row 17``."""
        e = self.log[i] if 0 <= i < len(self.log) else None
        row = self.log_rows.get(e.seq) if e is not None else None
        return f"{_sheet_at(self.log_parts, i)} row {row if row is not None else '?'}"

    @property
    def officers(self) -> list[str]:
        return [p.name for p in self.people]

    def states(self) -> dict[str, ItemState]:
        """Every item's state, derived from the log."""
        with gc_paused():
            return replay_all(self.log, self.process)

    def timings(self, now: datetime, soon_minutes: float = 60, soon_fraction: float = 0.25) -> dict[str, tuple[ItemState, Timing]]:
        return {k: (s, timing(s, self.process, self.calendar, now, soon_minutes, soon_fraction)) for k, s in self.states().items()}


@contextlib.contextmanager
def gc_paused():
    """Cyclic garbage collection off while millions of records are built and kept.

    Nothing built while reading a register is garbage yet, but each collection would walk
    every object made so far: at 100,000 items that is a third of the reading time.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class SheetRows(Sequence):
    """A large sheet's rows, converted to Python values by python-calamine one by one as
    they are iterated, so that 1.5 million Log rows are never all Python lists at once.

    Equal, row for row, to ``to_python(skip_empty_area=False)`` (used only for a sheet
    whose data starts at A1); indexing anything but the header row converts it all.
    """

    def __init__(self, sheet):
        self._sheet, self._list = sheet, None

    def _all(self) -> list[list]:
        if self._list is None:
            self._list = self._sheet.to_python(skip_empty_area=False)
        return self._list

    def __len__(self) -> int:
        return self._sheet.height if self._list is None else len(self._list)

    def __iter__(self):
        return self._sheet.iter_rows() if self._list is None else iter(self._list)

    def __getitem__(self, i):
        if i == 0 and self._list is None:
            return next(iter(self._sheet.iter_rows()))
        return self._all()[i]


class LazySheets(Mapping):
    """Sheet name → its rows, each sheet read by python-calamine when it is asked for (and
    not kept), so that the nine sheets of a 1.8-million-row Log are not all in memory at once.
    """

    def __init__(self, path: Path):
        from python_calamine import CalamineWorkbook

        self._path = Path(path)
        self._wb = CalamineWorkbook.from_path(str(path))
        self._names = list(self._wb.sheet_names)

    @property
    def names(self) -> list[str]:
        return self._names

    def rows(self, name: str):
        """The rows of sheet ``name``, read now (a large sheet converted row by row as iterated)."""
        return self[name]

    def __getitem__(self, name: str):
        if name not in self._names:
            raise KeyError(name)
        try:
            sheet = self._wb.get_sheet_by_name(name)
        except Exception as e:  # calamine's own errors: a damaged part
            check_readable(self._path)  # names the damaged part, if that is what it is
            raise WorkbookError(f"{self._path.name}: the workbook cannot be read ({type(e).__name__}: {e}) — open it in Excel and save it again, or restore a backup") from None
        if sheet.height > 10_000 and sheet.start == (0, 0):
            return SheetRows(sheet)
        return sheet.to_python(skip_empty_area=False)

    def __contains__(self, name) -> bool:
        return name in self._names

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def register_facts(path: Path):
    """The Register's Excel Table (its extent and Total Row) and the register's id, read from
    the package alone (no sheet is read)."""
    from .ports.package import register_facts as facts

    return facts(path)


def _sheet_rows_calamine(path: Path) -> LazySheets:
    return LazySheets(path)


def sheet_rows_openpyxl(wb) -> dict[str, list[list]]:
    """Values of every sheet of a loaded openpyxl workbook (the write path reads from it).

    A formula comes as :class:`~xlflow.schema.Formula`, so that text which merely begins
    with ``=`` (a subject xlflow stored as text) is not mistaken for one.
    """
    def value(c):
        v = c.value
        return schema.Formula(v) if c.data_type == "f" and isinstance(v, str) else v

    out = {}
    for ws in wb.worksheets:
        cells = getattr(ws, "_cells", None)  # openpyxl's own {(row, column): cell}
        if not isinstance(cells, dict) or not cells:
            out[ws.title] = [[value(c) for c in r] for r in ws.iter_rows()]
            continue
        # The cells that exist, put in place: the same rows as iter_rows() gives, without
        # making a Cell object for every empty position of a 1.5-million-row sheet.
        width = ws.max_column
        rows = [[None] * width for _ in range(ws.max_row)]
        for (r, c), cell in cells.items():
            rows[r - 1][c - 1] = value(cell)
        out[ws.title] = rows
    return out


def _require(rows: dict[str, list[list]], code: str, path) -> list[list]:
    name = SHEETS[code]
    if name not in rows:
        found = ", ".join(f'"{n}"' for n in rows) or "none"
        raise WorkbookError(
            f'{Path(path).name if path else "the workbook"}: the sheet "{name}" is missing (sheets found: {found}) — '
            f"rename the sheet back to \"{name}\", or copy it from a fresh register made by xlflow init"
        )
    return rows[name]


def parse(rows: dict[str, list[list]], path: Path | None = None, sha256: str = "", table=None, partial: bool = False,
          keep=None) -> Book:
    """A :class:`Book` from sheet values. Process and Calendar errors are raised (all listed);
    a Register row that cannot be read is kept as a problem and the rest still work.

    ``table`` is the Register's Excel Table, if it has one: its Total Row and what is typed
    below it are not letters."""
    process, cal, holidays = _process_calendar(rows, path)
    people = schema.read_people(rows.get(SHEETS["people"], []))
    reg_rows = _require(rows, "register", path)
    reg = schema.read_register(reg_rows, table=table, keep=keep)  # keep: the letters wanted (every row is still read)
    logs = schema.log_sheets(rows)
    if not logs:  # one or more Log sheets (a click reads only the newest it needs)
        _require(rows, "log", path)
    log = schema.Rows()
    parts = []
    headers = {SHEETS["register"]: list(reg_rows[0]) if len(reg_rows) else []}
    for name in logs:
        sheet = rows[name]  # once: a LazySheets reads the sheet at every asking
        headers[name] = list(sheet[0]) if len(sheet) else []
        part = schema.read_log(sheet, sheet=name)
        del sheet
        parts.append((len(log.records), name))
        log.records += part.records
        log.row_of.update(part.row_of)
        log.problems += part.problems
        del part
    info = _info(rows)
    letters = {l.item: l for l in reg.records}
    problems: list[XlflowError] = [*reg.problems, *log.problems, *people.problems]
    known = set(letters) | set(reg.skipped)
    for i, e in enumerate(log.records if not partial else ()):  # partial: only some Register rows were read
        if e.item not in known and e.action == "register":
            problems.append(WorkbookError(f"{_sheet_at(parts, i)} row {log.row_of.get(e.seq)}: item {e.item} is in the Log but not in the Register — restore its Register row from a backup"))
            known.add(e.item)
    return Book(path, process, cal, holidays, people.records, letters, log.records, reg.row_of, log.row_of, problems, info, sha256,
                dict(reg.skipped), reg.last_row, parts, table=table, occupied=dict(reg.occupied), headers=headers, log_index=dict(reg.index))


def _process_calendar(rows: dict, path) -> tuple[Process, WorkCalendar, list]:
    process = Process.from_rows(schema.read_process_rows(_require(rows, "process", path)), sheet=SHEETS["process"])
    holidays, hours = schema.read_calendar(_require(rows, "calendar", path))
    try:
        cal = WorkCalendar(holidays, hours) if hours else WorkCalendar(holidays)
    except ValueError as e:
        raise CalendarError(f"The {SHEETS['calendar']} sheet has a problem", [f"{SHEETS['calendar']}!F2: {e}"]) from None
    return process, cal, holidays


def _info(rows: dict) -> dict[str, str]:
    info_rows = rows.get(SHEETS["info"], [])
    return {str(r[0]): ("" if len(r) < 3 or r[2] is None else str(r[2])) for r in info_rows[1:] if r and r[0]}


def _sheet_at(parts: list[tuple[int, str]], i: int) -> str:
    """The Log sheet that holds the ``i``-th entry, given each sheet's first index."""
    sheet = SHEETS["log"]
    for start, name in parts:
        if start > i:
            break
        sheet = name
    return sheet


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_readable(path: Path, deep: bool = True) -> None:
    """Turn the ways a file can fail to be a workbook into words (before any parser sees it).

    ``deep`` also tests the checksum of every part, which inflates the whole file (two
    seconds at 100,000 items): :func:`load` leaves that to the reader and tests the parts
    only when reading fails, to name the damaged one.
    """
    path = Path(path)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file — check the path, or make a register with: xlflow init {path}")
    if path.is_dir():
        raise WorkbookError(f"{path}: is a folder, not a workbook — give the .xlsx file inside it")
    size = path.stat().st_size
    if size == 0:
        raise WorkbookError(f"{path.name}: the file is empty (0 bytes) — it was not saved completely; restore it from the backups folder {backup_dir(path)}")
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookError(
            f"{path.name}: this is not an .xlsx workbook but an old .xls file or a password-protected workbook — "
            f"open it in Excel, remove the password if there is one, and save it as Excel Workbook (.xlsx)"
        )
    if not head.startswith(b"PK"):
        raise WorkbookError(f"{path.name}: this file is not an Excel workbook — open it in Excel and save it as Excel Workbook (.xlsx)")
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "mimetype" in names and z.read("mimetype").startswith(b"application/vnd.oasis"):
                raise WorkbookError(f"{path.name}: this is an OpenDocument spreadsheet (.ods) named .xlsx — open it in LibreOffice and save it as Excel 2007-365 (.xlsx)")
            if "xl/workbook.xml" not in names:
                raise WorkbookError(f"{path.name}: this zip file is not an Excel workbook — open it in Excel and save it as Excel Workbook (.xlsx)")
            bad = z.testzip() if deep else None
            if bad:
                raise WorkbookError(f"{path.name}: the file is damaged (part {bad} is corrupt) — restore it from the backups folder {backup_dir(path)}")
    except zipfile.BadZipFile:
        raise WorkbookError(f"{path.name}: the file is damaged or was cut off while copying — restore it from the backups folder {backup_dir(path)}") from None
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:  # an .xlsx by content: Excel and the readers go by the name
        raise WorkbookError(f"{path.name}: an Excel workbook named {path.suffix or 'without an extension'} — "
                            f"rename the file to {path.stem}.xlsx, then try again; nothing was changed")


#: The names a register may have: Excel opens a workbook by its name's extension.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def load(path: Path) -> Book:
    """Read a register (fast, read-only: never writes, never locks)."""
    path = Path(path)
    check_readable(path, deep=False)
    with gc_paused():
        try:
            rows = _sheet_rows_calamine(path)
        except XlflowError:
            raise
        except Exception as e:  # calamine's own errors: a damaged part
            check_readable(path)  # names the damaged part, if that is what it is
            raise WorkbookError(f"{path.name}: the workbook cannot be read ({type(e).__name__}: {e}) — open it in Excel and save it again, or restore a backup") from None
        table, rid = register_facts(path)
        b = parse(rows, path, file_sha256(path), table=table)
        b.register_id = rid
        return b


def load_current(path: Path) -> Book:
    """What the checker needs, read in memory that does not grow with the Log.

    The Log sheets are read one at a time and folded as they are read
    (:class:`~xlflow.workflow.CurrentFold`): only open items' entries are held, finished
    items are counted. The Register is read whole and checked row by row, but only the open
    items' letters are kept. The Book has no ``log``: its :meth:`Book.current_states` is
    filled; anything that needs history (evaluation, verify) uses :func:`load`.
    """
    path = Path(path)
    check_readable(path, deep=False)
    with gc_paused():
        try:
            return _load_current(path)
        except XlflowError:
            raise
        except Exception as e:  # calamine's own errors: a damaged part
            check_readable(path)
            raise WorkbookError(f"{path.name}: the workbook cannot be read ({type(e).__name__}: {e}) — open it in Excel and save it again, or restore a backup") from None


#: How :func:`load_current` reads sheets: ``names`` and ``rows(name)`` (the benchmark swaps in
#: openpyxl's read-only mode).
sheet_reader = LazySheets


def _load_current(path: Path) -> Book:
    src = sheet_reader(path)
    names = src.names
    small = {n: src.rows(n) for code in ("process", "calendar", "people", "info") if (n := SHEETS[code]) in names}
    process, cal, holidays = _process_calendar(small, path)
    people = schema.read_people(small.get(SHEETS["people"], []))
    present = dict.fromkeys(names)
    logs = schema.log_sheets(names)
    if not logs:
        _require(present, "log", path)
    _require(present, "register", path)

    fold = CurrentFold(process)
    problems: list[XlflowError] = []
    registered: dict[str, tuple[str, int]] = {}  # item → where its registration is (for a Register row gone)
    same: dict = {}
    witnessed = []  # per Log sheet: its number, its rows, its last row's hash (a witness of the Log)
    for name in logs:
        tail: dict = {}
        count = 0
        for rows, rows_at in schema.iter_log(src.rows(name), name, problems, same, hashes=False, raw=True, tail=tail):
            count += len(rows)
            fold.feed(rows)
            for item, r in [(e[1], r) for e, r in zip(rows, rows_at) if e[3] == "register"]:
                registered.setdefault(item, (name, r))
        witnessed.append((schema.log_sheet_number(name), count, tail.get("hash", "") if count else ""))
    if fold.again:  # finished items corrected later: their whole Log, from a second reading
        again: dict[str, list[tuple]] = {i: [] for i in fold.again}
        for name in logs:
            for rows, _ in schema.iter_log(src.rows(name), name, [], same, hashes=False, raw=True):
                for e in rows:
                    if e[1] in again:
                        again[e[1]].append(e)
        for item, entries in again.items():
            fold.replace(item, entries)
    states, bad = fold.states()
    wanted = set(states) | {i for i, _ in bad}
    table, rid = register_facts(path)
    reg = schema.read_register(src.rows(SHEETS["register"]), keep=lambda letter: letter.item in wanted, table=table)
    problems = [*reg.problems, *problems, *people.problems]
    for item, (sheet, r) in registered.items():
        if item not in reg.row_of and item not in reg.skipped:
            problems.append(WorkbookError(f"{sheet} row {r}: item {item} is in the Log but not in the Register — restore its Register row from a backup"))
    return Book(path, process, cal, holidays, people.records, {l.item: l for l in reg.records}, [], reg.row_of, {}, problems,
                _info(small), "", dict(reg.skipped), reg.last_row, [], (states, bad, fold.done), table=table, register_id=rid,
                witnessed=tuple(witnessed))


def read_for_write(path: Path, items: set[str] | None, table=None, also=None) -> Book:
    """What an action needs, read from the file it is about to edit (under the writer lock).

    The small sheets and the Register whole; the Log sheets from the newest back until every
    item of ``items`` has its registration among the rows read and a written row was seen
    (``None``: every Log sheet, for a refresh; an empty set: the newest rows only, for a new
    letter). At 100,000 letters an action reads one Log sheet, not nine. ``also(letter)``:
    other letters to keep.
    """
    path = Path(path)
    with gc_paused():
        try:
            return _read_for_write(path, items, table, also)
        except XlflowError:
            raise
        except Exception as e:  # calamine's own errors: a damaged part
            check_readable(path)
            raise WorkbookError(f"{path.name}: the workbook cannot be read ({type(e).__name__}: {e}) — open it in Excel and save it again, or restore a backup") from None


def _read_for_write(path: Path, items, table, also=None) -> Book:
    src = sheet_reader(path)
    rows: dict = {}
    for code in ("process", "calendar", "people", "info", "register"):
        if SHEETS[code] in src.names:
            rows[SHEETS[code]] = src.rows(SHEETS[code])
    logs = schema.log_sheets(src.names)
    missing = None if items is None else set(items)
    for name in reversed(logs):
        sheet = src.rows(name)
        rows[name] = sheet
        if missing is None:
            continue
        written = False
        it = iter(sheet)
        header = next(it, None)
        if header is None:
            continue
        try:
            hm = schema.header_map(name, header, schema.LOG_COLUMNS)
        except XlflowError:
            continue
        ia, ii = hm.get("action"), hm.get("item")
        for row in it:
            if not row or all(v is None or v == "" for v in row):
                continue
            written = True
            if missing and ia is not None and ii is not None and ia < len(row) and ii < len(row) and row[ia] == "register":
                missing.discard(str(row[ii]).strip())
        if written and not missing:
            break
    # an action needs the letters it acts on (a refresh none), and those ``also(letter)`` asks for (a
    # registration: the same letter number from the same sender): the others' rows are read and checked, not kept
    wanted = items or set()
    return parse(rows, path, "", table=table, keep=lambda letter: letter.item in wanted or (also is not None and also(letter)))


# -- owner files, lock, atomic save ------------------------------------------------------
def owner_files(path: Path) -> list[Path]:
    """Files that say a person has the workbook open: Excel's ``~$name`` and LibreOffice's lock."""
    path = Path(path)
    cands = [path.with_name("~$" + path.name), path.with_name(".~lock." + path.name + "#")]
    if len(path.name) > 2:  # Excel shortens long names: ~$ replaces the first two characters
        cands.append(path.with_name("~$" + path.name[2:]))
    return [c for c in cands if c.exists()]


def _owner_name(f: Path) -> str:
    try:
        raw = f.read_bytes()
    except OSError:
        return ""
    if f.name.startswith(".~lock."):
        parts = raw.decode("utf-8", "replace").split(",")
        return parts[1] if len(parts) > 1 else ""
    if raw:
        n = raw[0]
        return raw[1 : 1 + n].decode("latin-1", "replace").strip()
    return ""


def refuse_if_read_only(path: Path) -> None:
    """Refuse to write a file marked read-only (an atomic rename could replace it anyway)."""
    path = Path(path)
    st = path.stat()
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
        raise WorkbookError(f"{path.name} is marked read-only — nothing was changed; if it should be written, clear its read-only mark "
                            f"(Properties → Read-only, or chmod u+w)")


def refuse_if_open(path: Path) -> None:
    """Refuse to write a workbook that Excel or LibreOffice has open (its owner file exists)."""
    for f in owner_files(path):
        who = _owner_name(f)
        prog = "LibreOffice" if f.name.startswith(".~lock.") else "Excel"
        raise WorkbookBusy(
            f"{Path(path).name} is open in {prog}{' by ' + who if who else ''} (found {f.name}) — "
            f"close it there first, or use the xlflow buttons inside Excel; if nobody has it open, delete {f.name}"
        )


def lock_path(path: Path) -> Path:
    return Path(path).with_name(f".~xlflow-{Path(path).name}.lock")


@contextlib.contextmanager
def writer_lock(path: Path, wait: float | None = None):
    """One xlflow writer at a time. Waits up to ``wait`` seconds (default :data:`LOCK_WAIT`),
    then refuses clearly.

    A lock left by a process that died on this machine is taken over.
    """
    wait = LOCK_WAIT if wait is None else wait
    lp = lock_path(path)
    me = f"{os.getpid()}@{socket.gethostname()}"
    deadline = _time.monotonic() + wait
    while True:
        try:
            fd = os.open(lp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            try:
                os.write(fd, f"{me} {datetime.now().isoformat(timespec='seconds')}".encode())
            except OSError as e:  # a full disk: an empty lock left behind would keep every writer out
                os.close(fd)
                with contextlib.suppress(OSError):
                    lp.unlink()
                if e.errno == 28:
                    raise WorkbookError(f"{Path(path).name}: the disk is full — nothing was changed; free some space and try again") from None
                raise WorkbookError(f"{Path(path).name}: cannot write the lock file {lp.name} ({e.strerror or e}) — nothing was changed") from None
            os.close(fd)
            break
        except FileExistsError:
            holder = lp.read_text(errors="replace").split() if lp.exists() else []
            if holder and _stale(holder[0]):
                with contextlib.suppress(FileNotFoundError):
                    lp.unlink()
                continue
            if _time.monotonic() > deadline:
                who = holder[0] if holder else "another xlflow"
                raise WorkbookBusy(
                    f"{Path(path).name} is being written by another xlflow ({who}) — try again in a moment; "
                    f"if no xlflow is running, delete {lp.name}"
                ) from None
            _time.sleep(0.05)
        except PermissionError:
            raise WorkbookError(f"{Path(path).name}: cannot write in {lp.parent} (permission denied) — ask for write access to the folder") from None
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lp.unlink()


def _stale(holder: str) -> bool:
    """Whether the lock's writer (``pid@host``) is gone: only decidable for this host."""
    pid, _, host = holder.partition("@")
    if host != socket.gethostname():
        return False
    try:
        return not _alive(int(pid))
    except ValueError:
        return False


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) on Windows is CTRL_C_EVENT: ask the kernel instead
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            kernel.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_leftover_temps(path: Path, mine: Path, older_than: float = 60.0) -> None:
    """Delete temporary files that a killed writer left beside the workbook (never the old or
    the new workbook itself: those are renamed, not written in place)."""
    now = _time.time()
    for f in path.parent.glob(f".~xlflow-tmp-*-{path.name}"):
        with contextlib.suppress(OSError):
            if f != mine and now - f.stat().st_mtime > older_than:
                f.unlink()


def backup_dir(path: Path) -> Path:
    return Path(path).with_name(".xlflow-backups")


def _fault(stage: str) -> None:
    """Test hook: ``XLFLOW_FAULT=stage`` kills the process at that stage of a write."""
    if os.environ.get("XLFLOW_FAULT") == stage:
        os.kill(os.getpid(), 9)


def keep_backup(path: Path) -> Path:
    """The file as it is now, into the rolling backups (the last :data:`BACKUPS` kept).

    Named by Bangkok time, whatever the writer's own time zone, so the names sort in the
    order the backups were made and the oldest is the one pruned. A hard link costs
    nothing (the old file is renamed over next, and the link keeps it); where the file
    system has none, a copy.
    """
    from .sharing import call_retrying_sharing
    from .worktime import BKK

    bdir = backup_dir(path)
    bdir.mkdir(exist_ok=True)
    stamp = datetime.now(BKK).strftime("%Y%m%d-%H%M%S-%f")
    dest = bdir / f"{path.stem}.{stamp}{path.suffix}"

    def link_or_copy() -> None:
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)

    # A scanner or sync client holding the file makes both fail on Windows for a moment.
    call_retrying_sharing(link_or_copy)
    olds = sorted(bdir.glob(f"{path.stem}.*{path.suffix}"))
    for old in olds[:-BACKUPS]:
        with contextlib.suppress(OSError):
            old.unlink()
    return dest


def save_atomic(wb, path: Path) -> None:
    """Save ``wb`` over ``path`` so that a crash leaves the old file or the new one, whole.

    Temporary file beside the workbook, fsync, a copy of the old file into the rolling
    backups, rename over, fsync the folder. A full disk leaves the old file untouched.
    On Windows, a register held for a moment by another program (an antivirus scan, the
    indexer, a sync client; Excel itself is refused earlier by its lock file) makes the
    backup and the rename fail with a sharing violation: they are retried for about two
    seconds (:mod:`xlflow.sharing`), then refused as in use, with nothing changed.
    """
    from .sharing import IN_USE, call_retrying_sharing, is_sharing_violation

    path = Path(path)
    tmp = path.with_name(f".~xlflow-tmp-{os.getpid()}-{path.name}")
    _remove_leftover_temps(path, tmp)
    held = False  # True while touching the existing file, where a sharing violation means "in use"
    try:
        _fault("before-save")
        wb.save(tmp)
        _fault("after-temp-written")
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        held = True
        if path.exists():
            keep_backup(path)
        _fault("before-rename")
        call_retrying_sharing(os.replace, tmp, path)
        held = False
        _fault("after-rename")
        with contextlib.suppress(OSError):
            dfd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if e.errno == 28:  # ENOSPC
            raise WorkbookError(f"{path.name}: the disk is full — nothing was changed; free some space and try again") from None
        if held and is_sharing_violation(e):  # still held after the retries (WinError 5/32/33)
            raise WorkbookBusy(f"{path.name}: {IN_USE} — nothing was changed; close it there (or wait for the scan) and try again") from None
        if isinstance(e, PermissionError):
            raise WorkbookError(f"{path.name}: cannot write the file (permission denied or read-only) — nothing was changed; check that the file is not read-only") from None
        raise WorkbookError(f"{path.name}: the file could not be saved ({e.strerror or e}) — nothing was changed") from None



# -- writing the cells of an action --------------------------------------------------------
def status_formula(r: int, hm: dict[str, int]) -> str:
    """The Status cell (with its ``=``): right while Python is not running, from the stored due times."""
    from .apply import status_formula as text

    return "=" + text(r, hm)


def derived_values(state: ItemState, t: Timing, process: Process) -> dict[str, object]:
    """The Register's derived columns for one item, from its state and timing: where it is and
    when it is due, and — for a letter that ended early — how and why (its status and sub-step
    then say ยกเลิก, ปิดเรื่อง or ส่งต่อ), and the answer's own number and date."""
    sub = process[state.substep] if state.substep in process else None
    out = {
        "unit": state.unit or None,
        "officer": state.officer or None,
        "substep": state.substep if sub else "เสร็จสิ้น",
        "substep_name": sub.name_th if sub else "",
        "started_at": state.started_at if sub else None,
        "due_soon_at": t.due_soon_at,
        "due_at": t.due_at,
        "round": state.round,
        "paused_since": state.paused_since,
        "completed_at": state.completed_at,
        "last_by": state.last_by,
        "status": (STATUS_TH["done"] if state.completed_at else STATUS_TH["paused"] if state.paused_since
                   else STATUS_TH.get(t.status, "") if t.due_at else ""),
        "ended": STATUS_TH[state.ended] if state.ended else None,
        "end_reason": state.end_note or None,
        "forwarded_to": state.forwarded_to or None,
        "reply_no": state.reply_no or None,
        "reply_date": state.reply_date,
    }
    if state.ended:
        out["status"] = out["substep"] = STATUS_TH[state.ended]
    return out


def neutralise(text: str) -> str:
    """Text for a CSV or a formula-less copy: a leading =, +, - or @ is guarded by a quote."""
    return "'" + text if text and text[0] in "=+-@" else text


def set_text(cell, value) -> None:
    """Write a value; a string is always stored as text, never taken for a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"

