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

The file uses WAL mode (readers never block the writer) and a busy timeout, so a second
checker or a report reading it waits instead of failing. On a network share where WAL is
not available SQLite keeps its default journal, which is equally safe, only slower.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo

from .errors import XlflowError

BKK = ZoneInfo("Asia/Bangkok")
SCHEMA_VERSION = 1
_EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".xltx", ".xltm", ".xlam"})
_CHUNK = 500  # keys per IN (...) query, well under SQLite's variable limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    key        TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    message_id TEXT,
    PRIMARY KEY (key, recipient)
);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    outcome     TEXT,
    detail      TEXT
);
CREATE TABLE IF NOT EXISTS deliveries (
    key          TEXT PRIMARY KEY,
    delivered_at TEXT NOT NULL,
    detail       TEXT
);
"""


@dataclass(frozen=True)
class Run:
    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    detail: str | None


def _kind(key: str) -> str:
    """The last part of a breach key (``overdue``, ``due_soon``, ...), or the whole key."""
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
    """The checker's memory. Use as ``with StateStore(path) as store:`` or call :meth:`close`."""

    def __init__(self, path: Path, *, timeout: float = 10.0):
        self.path = Path(path)
        if self.path.suffix.lower() in _EXCEL_SUFFIXES:
            raise XlflowError(
                f"the state file {self.path} would be a workbook — xlflow keeps its state in a file "
                f'of its own beside the workbook; set [check] state_file = ".xlflow-state.sqlite"'
            )
        self._db: sqlite3.Connection | None = None
        with self._errors():
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
            self._db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise XlflowError(
                    f"the state file {self.path} was written by a newer xlflow (schema {version}) — "
                    f"update xlflow on this computer"
                )
            if version < SCHEMA_VERSION:
                with self._write() as db:  # not executescript: it would COMMIT half-way
                    for stmt in filter(str.strip, _SCHEMA.split(";")):
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
                "SELECT 1 FROM sent WHERE key = ? AND recipient = ?", (key, _recipient(recipient))
            ).fetchone()
        return row is not None

    def pending(self, keys: Sequence[str], recipient: str) -> list[str]:
        """The keys not yet sent to ``recipient``, in the order given (each once)."""
        keys = _keys(keys)
        done: set[str] = set()
        with self._errors():
            db = self._conn()
            for i in range(0, len(keys), _CHUNK):
                chunk = keys[i:i + _CHUNK]
                marks = ",".join("?" * len(chunk))
                done.update(k for (k,) in db.execute(
                    f"SELECT key FROM sent WHERE recipient = ? AND key IN ({marks})",
                    (_recipient(recipient), *chunk)))
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
        rows = [(k, _recipient(r), _kind(k), when, message_id) for r in recipients for k in keys]
        with self._errors(), self._write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO sent (key, recipient, kind, sent_at, message_id) VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    # ------------------------------------------------------------------------------ runs

    def start_run(self, at: datetime | None = None) -> int:
        with self._errors(), self._write() as db:
            return int(db.execute("INSERT INTO runs (started_at) VALUES (?)", (_time(at),)).lastrowid)

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
                "SELECT id, started_at, finished_at, outcome, detail FROM runs ORDER BY id DESC LIMIT ?",
                (int(n),)).fetchall()
        return [Run(i, datetime.fromisoformat(s), datetime.fromisoformat(f) if f else None, o, d)
                for i, s, f, o, d in rows]

    # ------------------------------------------------------------------------ deliveries

    def delivered(self, key: str) -> bool:
        with self._errors():
            return self._conn().execute("SELECT 1 FROM deliveries WHERE key = ?", (key,)).fetchone() is not None

    def delivered_at(self, key: str) -> datetime | None:
        with self._errors():
            row = self._conn().execute("SELECT delivered_at FROM deliveries WHERE key = ?", (key,)).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def record_delivered(self, key: str, at: datetime | None = None, detail: str = "") -> None:
        with self._errors(), self._write() as db:
            db.execute("INSERT OR REPLACE INTO deliveries (key, delivered_at, detail) VALUES (?, ?, ?)",
                       (key, _time(at), detail))

    def forget_delivered(self, key: str) -> bool:
        """Allow ``key`` to be delivered again; True if it had been recorded."""
        with self._errors(), self._write() as db:
            return db.execute("DELETE FROM deliveries WHERE key = ?", (key,)).rowcount > 0
