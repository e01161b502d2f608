"""What the checker has already sent, kept in a small SQLite file beside the workbook.

The workbook is the office's document; the checker's memory is not written into it. The
state file (``[check] state_file``, by default ``.xlflow-state.sqlite`` beside the book)
holds three tables:

* ``sent`` — one row per (breach key, recipient): the reminder about breach
  ``"12/2569|2.1|0|overdue"`` reached ``somchai@mol.go.th`` in message ``<...>`` at ...
  A digest covers many keys and is recorded for each of them, so the next digest to the
  same person only lists what is new (:meth:`StateStore.pending`).
* ``runs`` — one row per run of the checker: start, finish, outcome, detail. A run with no
  finish is one that crashed or was killed.
* ``deliveries`` — once-only deliveries such as the evaluation workbook of a round
  (key ``"FY2569-R9"``); :meth:`StateStore.forget_delivered` allows an on-purpose redelivery.
* ``witnesses`` — the Log as each run found it (its witness line, :mod:`xlflow.witness`),
  kept whenever it changed: what ``xlflow verify`` compares the Log with. Schema 3 added it.

**At most once per crash.** A message is recorded only after the SMTP server accepted it
(``record_sent`` is one transaction, committed durably with ``synchronous=FULL``). A
crash, power cut or kill in the moment *between the server's acceptance and that commit*
leaves the message sent but unrecorded, and the next run sends it again. That window —
milliseconds — is the one way a reminder can be repeated, and it repeats at most once per
crash. The other order (record, then send) would instead lose reminders, which is worse.
(The network has a window of the same kind, outside this store: a server that takes the
data and then drops the connection before its "250 OK" leaves the client unable to know,
so :class:`~xlflow.mail.SmtpTransport` reports a temporary failure and the next run sends
again — again at most one repeat per such failure.)

**One file, several registers.** Every row carries the register it is about (``register``):
the register's id (the hidden workbook name ``xlflow_register_id``, set by ``xlflow init`` and
by the first write), or, for a register that has none yet, a key made from its resolved path
(:func:`register_key`). So two registers in one folder (a register per fiscal year) never
silence each other. When a register first shows its id, the rows kept under its path are
moved to the id (:meth:`StateStore.adopt`), so it announces nothing twice. Rows written
before registers were told apart (schema 1, ``register = ''``) count as sent for **every**
register in the folder: an upgrade re-announces nothing; a breach they silenced wrongly
comes back as a reminder and in the directors' summary, which list everything still late.

The file uses WAL mode (readers never block the writer) only on a local disk; on a network
share (a UNC path, a mapped network drive, NFS or SMB — SQLite's WAL needs shared memory
that a network file system does not give) and wherever the disk cannot be told, it uses the
rollback journal, equally safe, only slower (:func:`local_disk`). A busy timeout makes a
second checker or a report reading it wait instead of failing.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo

from .errors import XlflowError

BKK = ZoneInfo("Asia/Bangkok")
SCHEMA_VERSION = 3
_EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".xltx", ".xltm", ".xlam"})
_CHUNK = 500  # keys per IN (...) query, well under SQLite's variable limit
LEGACY = ""  # the register of rows written before registers were told apart (schema 1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    register   TEXT NOT NULL DEFAULT '',
    key        TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    message_id TEXT,
    PRIMARY KEY (register, key, recipient)
);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT,
    detail      TEXT,
    register    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS deliveries (
    register     TEXT NOT NULL DEFAULT '',
    key          TEXT NOT NULL,
    delivered_at TEXT NOT NULL,
    detail       TEXT,
    PRIMARY KEY (register, key)
);
CREATE TABLE IF NOT EXISTS witnesses (
    register TEXT NOT NULL,
    at       TEXT NOT NULL,
    line     TEXT NOT NULL,
    PRIMARY KEY (register, line)
);
"""

#: Schema 1 → 2: every row gets the register it is about ('' for the rows already there).
_MIGRATE_1 = """
ALTER TABLE sent RENAME TO sent_v1;
ALTER TABLE deliveries RENAME TO deliveries_v1;
ALTER TABLE runs ADD COLUMN register TEXT NOT NULL DEFAULT '';
""" + _SCHEMA + """
INSERT INTO sent (register, key, recipient, kind, sent_at, message_id) SELECT '', key, recipient, kind, sent_at, message_id FROM sent_v1;
INSERT INTO deliveries (register, key, delivered_at, detail) SELECT '', key, delivered_at, detail FROM deliveries_v1;
DROP TABLE sent_v1;
DROP TABLE deliveries_v1
"""


def register_key(register_id: str | None, book_path: Path) -> str:
    """What the state of a register is kept under: ``id:<its id>``, or for a register without
    an id yet ``path:<hash of its resolved path>`` (the same file, however it is named on the
    command line)."""
    if register_id:
        return f"id:{register_id}"
    return path_key(book_path)


def path_key(book_path: Path) -> str:
    """The key of a register that has no id yet: a hash of its resolved, case-folded path."""
    try:
        full = Path(book_path).resolve()
    except OSError:
        full = Path(book_path).absolute()
    return "path:" + hashlib.sha256(os.path.normcase(str(full)).encode("utf-8")).hexdigest()[:20]


#: File systems on a local disk, where SQLite's WAL works (Linux ``/proc/mounts`` names).
LOCAL_FILE_SYSTEMS = frozenset({
    "ext2", "ext3", "ext4", "xfs", "btrfs", "bcachefs", "f2fs", "jfs", "reiserfs", "nilfs2", "zfs",
    "tmpfs", "ramfs", "overlay", "vfat", "exfat", "ntfs3", "hfsplus", "apfs", "ufs",
})


def _unescape_mount(s: str) -> str:
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def local_disk(path: Path, *, platform: str | None = None, mounts: str | None = None) -> bool:
    """Whether ``path`` is on a local disk, where WAL is safe. Conservative: a UNC path, a
    network drive, a network or FUSE file system, or anything that cannot be told is not.

    ``platform`` and ``mounts`` (the text of ``/proc/mounts``) are for tests."""
    platform = platform or sys.platform
    text = str(path)
    if platform.startswith("win"):
        if text.startswith(("\\\\", "//")):
            return False  # \\server\share: a UNC path
        drive = os.path.splitdrive(os.path.abspath(text))[0] if platform == sys.platform else text[:2]
        if len(drive) != 2 or drive[1] != ":":
            return False
        try:
            import ctypes

            return ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 3  # DRIVE_FIXED
        except Exception:  # not on Windows (a test), or no answer: be safe
            return False
    if not platform.startswith("linux"):
        return False
    if mounts is None:
        try:
            with open("/proc/mounts", encoding="utf-8", errors="replace") as fh:
                mounts = fh.read()
        except OSError:
            return False
    try:
        full = str(Path(text).resolve())
    except OSError:
        full = os.path.abspath(text)
    best, fstype = "", None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = _unescape_mount(parts[1])
        inside = full == point or full.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, parts[2]
    return fstype in LOCAL_FILE_SYSTEMS


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    detail: str | None


def _kind(key: str) -> str:
    """The last part of a breach key (``overdue``, ``due_soon``, ...; a follow-up's
    ``overdue#r2``), or the whole key."""
    return key.rsplit("|", 1)[-1] if "|" in key else key


def _recipient(r: str) -> str:
    return str(r).strip().lower()


def _time(at: datetime | None) -> str:
    at = at or datetime.now(BKK)
    if at.tzinfo is None:
        at = at.replace(tzinfo=BKK)
    return at.isoformat()


def _keys(keys: Sequence[str]) -> list[str]:
    if isinstance(keys, str):
        raise TypeError("keys must be a list of breach keys, not one string")
    return list(dict.fromkeys(keys))


class StateStore:
    """The checker's memory of one register (``register``, see :func:`register_key`; ``""``
    for a store used without one). Use as ``with StateStore(path, register=key) as store:``
    or call :meth:`close`."""

    def __init__(self, path: Path, *, timeout: float = 10.0, register: str = LEGACY):
        self.path = Path(path)
        self.register = register
        if self.path.suffix.lower() in _EXCEL_SUFFIXES:
            raise XlflowError(
                f"the state file {self.path} would be a workbook — xlflow keeps its state in a file "
                f'of its own beside the workbook; set [check] state_file = ".xlflow-state.sqlite"'
            )
        self._db: sqlite3.Connection | None = None
        with self._errors():
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._db.execute(f"PRAGMA journal_mode = {'WAL' if local_disk(self.path) else 'DELETE'}")
            self._db.execute("PRAGMA synchronous = FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise XlflowError(
                    f"the state file {self.path} was written by a newer xlflow (schema {version}) — "
                    f"update xlflow on this computer"
                )
            if version < SCHEMA_VERSION:
                with self._write() as db:  # not executescript: it would COMMIT half-way
                    version = db.execute("PRAGMA user_version").fetchone()[0]  # another process may have done it
                    if version < SCHEMA_VERSION:
                        script = _MIGRATE_1 if version == 1 else _SCHEMA
                        for stmt in filter(str.strip, script.split(";")):
                            db.execute(stmt)
                        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # -------------------------------------------------------------------------- plumbing

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            if self._db is not None and self._db.in_transaction:
                self._db.execute("ROLLBACK")
            text = str(e)
            if "locked" in text or "busy" in text:
                msg = (f"the state file {self.path} is in use by another program (a second xlflow "
                       f"checker?) — wait for it to finish, or stop the other checker")
            elif isinstance(e, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text):
                msg = (f"the state file {self.path} is damaged ({text}) — rename it (e.g. to "
                       f"{self.path.name}.bad); the next run starts a new one, and may send each "
                       f"open reminder once more")
            elif "unable to open" in text:
                msg = (f"cannot open the state file {self.path} ({text}) — check that its folder "
                       f"exists and can be written")
            else:
                msg = f"the state file {self.path} cannot be used ({text})"
            raise XlflowError(msg) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE), committed or rolled back whole."""
        db = self._conn()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise XlflowError(f"the state file {self.path} is closed")
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def journal_mode(self) -> str:
        with self._errors():
            return self._conn().execute("PRAGMA journal_mode").fetchone()[0]

    # ------------------------------------------------------------------------------ sent

    def was_sent(self, key: str, recipient: str) -> bool:
        with self._errors():
            row = self._conn().execute(
                "SELECT 1 FROM sent WHERE key = ? AND recipient = ? AND register IN (?, '')",
                (key, _recipient(recipient), self.register)).fetchone()
        return row is not None

    def pending(self, keys: Sequence[str], recipient: str) -> list[str]:
        """The keys not yet sent to ``recipient`` about this register (or before registers
        were told apart), in the order given (each once)."""
        keys = _keys(keys)
        done: set[str] = set()
        with self._errors():
            db = self._conn()
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                done.update(k for (k,) in db.execute(
                    f"SELECT key FROM sent WHERE recipient = ? AND register IN (?, '') AND key IN ({marks})",
                    (_recipient(recipient), self.register, *chunk)))
        return [k for k in keys if k not in done]

    def record_sent(self, keys: Sequence[str], recipient: str, message_id: str, at: datetime) -> None:
        """Record that ``recipient`` got ``keys`` — call only after the server accepted the message."""
        self.record_sent_to(keys, [recipient], message_id, at)

    def record_sent_to(self, keys: Sequence[str], recipients: Sequence[str], message_id: str,
                       at: datetime) -> None:
        """Like :meth:`record_sent` for several recipients of one message, in one transaction."""
        keys = _keys(keys)
        if isinstance(recipients, str):
            recipients = [recipients]
        when = _time(at)
        rows = [(self.register, k, _recipient(r), _kind(k), when, message_id) for r in recipients for k in keys]
        with self._errors(), self._write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO sent (register, key, recipient, kind, sent_at, message_id) VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def adopt(self, old: str) -> int:
        """Move what was kept under ``old`` (a register's path key) to this register (its id):
        the first run after a register got its id announces nothing twice. Returns the rows moved."""
        if not old or old == self.register:
            return 0
        with self._errors(), self._write() as db:
            n = db.execute("UPDATE OR IGNORE sent SET register = ? WHERE register = ?", (self.register, old)).rowcount
            db.execute("DELETE FROM sent WHERE register = ?", (old,))
            db.execute("UPDATE OR IGNORE deliveries SET register = ? WHERE register = ?", (self.register, old))
            db.execute("DELETE FROM deliveries WHERE register = ?", (old,))
            db.execute("UPDATE runs SET register = ? WHERE register = ?", (self.register, old))
        return n

    def kept_under(self, register: str) -> bool:
        """Whether anything is kept under ``register`` (a path key, before its id)."""
        with self._errors():
            db = self._conn()
            return any(db.execute(f"SELECT 1 FROM {t} WHERE register = ? LIMIT 1", (register,)).fetchone()
                       for t in ("sent", "deliveries"))

    # ------------------------------------------------------------------------------ runs

    def start_run(self, at: datetime | None = None) -> int:
        with self._errors(), self._write() as db:
            return int(db.execute("INSERT INTO runs (started_at, register) VALUES (?, ?)", (_time(at), self.register)).lastrowid)

    def finish_run(self, id: int, outcome: str, detail: str = "", at: datetime | None = None) -> None:
        with self._errors(), self._write() as db:
            cur = db.execute("UPDATE runs SET finished_at = ?, outcome = ?, detail = ? WHERE id = ?",
                             (_time(at), outcome, detail, id))
            if cur.rowcount != 1:
                raise XlflowError(f"there is no run {id} in the state file {self.path}")

    def last_runs(self, n: int = 10) -> list[Run]:
        """The ``n`` latest runs, newest first; ``finished_at`` None: still running or crashed."""
        with self._errors():
            rows = self._conn().execute(
                "SELECT id, started_at, finished_at, outcome, detail FROM runs WHERE register IN (?, '') ORDER BY id DESC LIMIT ?",
                (self.register, int(n))).fetchall()
        return [Run(i, datetime.fromisoformat(s), datetime.fromisoformat(f) if f else None, o, d)
                for i, s, f, o, d in rows]

    # ------------------------------------------------------------------------ deliveries

    def record_witness(self, line: str, at: datetime, also: Sequence[str] = ()) -> bool:
        """Keep the Log's witness ``line`` under this register and the keys ``also`` (its path:
        a file put in the register's place is then compared with what was there). Once: a run
        that finds the Log as the last one did adds nothing. True if it was new."""
        same = lambda a, b: a.split(" at=")[-1].split(" ", 1)[-1] == b.split(" at=")[-1].split(" ", 1)[-1]  # noqa: E731
        new = False
        with self._write() as db:
            for key in dict.fromkeys([self.register, *also]):
                last = db.execute("SELECT line FROM witnesses WHERE register = ? ORDER BY at DESC, rowid DESC LIMIT 1", (key,)).fetchone()
                if last is not None and same(last[0], line):
                    continue  # the same rows and hashes as the last witness: only the time would differ
                cur = db.execute("INSERT OR IGNORE INTO witnesses (register, at, line) VALUES (?, ?, ?)", (key, _time(at), line))
                new |= cur.rowcount > 0
        return new

    def witness_lines(self) -> list[str]:
        """This register's witnesses, oldest first."""
        with self._errors():
            rows = self._conn().execute("SELECT line FROM witnesses WHERE register = ? ORDER BY at, rowid", (self.register,)).fetchall()
        return [r[0] for r in rows]

    def delivered(self, key: str) -> bool:
        with self._errors():
            return self._conn().execute("SELECT 1 FROM deliveries WHERE key = ? AND register IN (?, '')",
                                        (key, self.register)).fetchone() is not None

    def delivered_at(self, key: str) -> datetime | None:
        """When ``key`` was delivered for this register (else before registers were told apart)."""
        with self._errors():
            row = self._conn().execute(
                "SELECT delivered_at FROM deliveries WHERE key = ? AND register IN (?, '') ORDER BY register = '' LIMIT 1",
                (key, self.register)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def record_delivered(self, key: str, at: datetime | None = None, detail: str = "") -> None:
        with self._errors(), self._write() as db:
            db.execute("INSERT OR REPLACE INTO deliveries (register, key, delivered_at, detail) VALUES (?, ?, ?, ?)",
                       (self.register, key, _time(at), detail))

    def forget_delivered(self, key: str) -> bool:
        """Allow ``key`` to be delivered again; True if it had been recorded."""
        with self._errors(), self._write() as db:
            return db.execute("DELETE FROM deliveries WHERE key = ? AND register IN (?, '')",
                              (key, self.register)).rowcount > 0


def witnesses_of(book_path: Path) -> list:
    """The witnesses the checker kept for the register at ``book_path`` (none when it has no
    state file yet), for ``xlflow verify``. The register's id says whose they are; witnesses
    of another register in the same state file are not its."""
    from .ports.package import register_facts
    from .settings import load_settings
    from .witness import parse

    try:
        state = load_settings(book_path).check.state_file
    except XlflowError:
        state = Path(book_path).with_name(".xlflow-state.sqlite")
    if not Path(state).exists():
        return []
    _, rid = register_facts(Path(book_path))
    keys = {register_key(rid, Path(book_path)), path_key(Path(book_path))}
    lines: dict[str, None] = {}
    for key in keys:
        with StateStore(state, register=key) as store:
            lines.update(dict.fromkeys(store.witness_lines()))
    return [parse(line) for line in lines]
