"""Witnesses of the Log: what makes a hash chain that anyone can recompute into a history
nobody can rewrite unseen.

The Log's hash column chains each row to the one before (SHA-256, no key: a keyed signature
would need a key no clerk's PC can hold safely). The chain shows a careless edit in Excel;
it cannot show a Log rewritten and re-hashed with ten lines of Python, or a register made
anew with earlier times and copied over the office's file. A **witness** can: the number of
rows and the hash of the last row of each Log sheet, with the register's id and the time,
kept *outside* the workbook — in the checker's state beside it, in the directors' mailboxes
(the summary carries it), in the PMQA team's evaluation workbook, or given away as one line
(``xlflow verify --witness``). A Log that grew since a witness still verifies (its witnessed
rows, and so, through the chain, every row before them, are unchanged); any change to the
witnessed prefix — an edit, a re-hash, a replayed copy, rows removed — does not.

Pure: values in, words out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .errors import XlflowError

VERSION = 1
_LINE = re.compile(r"^xlflow-witness/(\d+)\s+(.*)$")


class BadWitness(XlflowError):
    """A witness line that is not one xlflow wrote."""


@dataclass(frozen=True)
class Witness:
    """The Log as it stood at ``at``: per Log sheet (its number), its rows and last row's hash."""

    register_id: str | None
    at: datetime
    sheets: tuple[tuple[int, int, str], ...]  # (sheet number, data rows, hash of its last row)

    @property
    def rows(self) -> int:
        return sum(n for _, n, _ in self.sheets)

    @property
    def last_hash(self) -> str:
        return next((h for _, n, h in reversed(self.sheets) if n), "")

    def line(self) -> str:
        """The witness as one line of text, to mail, print or keep in a file."""
        log = ",".join(f"{k}:{n}:{h}" for k, n, h in self.sheets)
        return f"xlflow-witness/{VERSION} id={self.register_id or '-'} at={self.at.isoformat(timespec='minutes')} rows={self.rows} log={log}"

    def short(self) -> str:
        """For people: ``1,204 rows, last hash 3f2a9c1e`` (the line has the whole hash)."""
        return f"{self.rows:,} rows, last hash {self.last_hash[:8] or '-'}"

    def as_dict(self) -> dict:
        return {"register_id": self.register_id, "at": self.at.isoformat(timespec="minutes"), "rows": self.rows,
                "sheets": [{"sheet": k, "rows": n, "last_hash": h} for k, n, h in self.sheets], "line": self.line()}


def parse(line: str) -> Witness:
    """A witness from its line (as :meth:`Witness.line` wrote it)."""
    m = _LINE.match(str(line).strip())
    if not m:
        raise BadWitness(f'"{str(line).strip()[:60]}" is not a witness line — it starts with xlflow-witness/1 (xlflow verify --witness prints one)')
    if int(m.group(1)) != VERSION:
        raise BadWitness(f"the witness is of version {m.group(1)}; this xlflow reads version {VERSION} — update xlflow")
    fields = dict(p.split("=", 1) for p in m.group(2).split() if "=" in p)
    try:
        at = datetime.fromisoformat(fields["at"])
        sheets = tuple((int(k), int(n), h) for k, n, h in (s.split(":") for s in fields["log"].split(",") if s))
    except (KeyError, ValueError) as e:
        raise BadWitness(f"the witness line is damaged ({e}) — copy it again, whole") from None
    if any(not re.fullmatch(r"[0-9a-f]{64}|", h) for _, _, h in sheets):
        raise BadWitness("the witness line is damaged (a hash is not 64 hexadecimal digits) — copy it again, whole")
    rid = fields.get("id", "-")
    return Witness(None if rid == "-" else rid, at, sheets)


def of_log(register_id: str | None, at: datetime, parts: list[tuple[int, list[str]]]) -> Witness:
    """The witness of a Log read as ``parts``: per sheet, its number and its rows' hashes in order."""
    return Witness(register_id, at, tuple((k, len(hashes), hashes[-1] if hashes else "") for k, hashes in parts))


@dataclass(frozen=True)
class Finding:
    """What comparing the Log with one witness found: ``ok``, and in words what was checked or
    where the Log departs from it."""

    ok: bool
    text: str


def compare(w: Witness, register_id: str | None, parts: list[tuple[int, list[str]]], sheet_name, when: str) -> Finding:
    """The Log (``parts``: per Log sheet, its number and its rows' hashes) against witness ``w``.

    ``sheet_name(k)`` names sheet ``k``; ``when`` is the witness's time in the reader's words.
    Every witnessed sheet must still hold its witnessed rows, and the last of them the
    witnessed hash (through the chain, that fixes every row before it too).
    """
    if w.register_id and register_id != w.register_id:
        other = f"the id {register_id}" if register_id else "no register id"
        return Finding(False, f"the workbook at this path is not the register witnessed on {when}: it carries {other}, "
                              f"the witness {w.register_id} — it was replaced by another file; restore the register from the backups")
    have = {k: hashes for k, hashes in parts}
    for k, n, h in w.sheets:
        hashes = have.get(k, [])
        if len(hashes) < n:
            first = len(hashes) + 2
            return Finding(False, f"{sheet_name(k)} row {first}: the Log has {len(hashes):,} rows where the witness of {when} saw {n:,} — "
                                  f"rows were removed; restore the Log from a backup")
        if n and hashes[n - 1] != h:
            return Finding(False, f"{sheet_name(k)} row {n + 1}: differs from the witness of {when} — the rows up to it were "
                                  f"edited, re-hashed or replaced since; restore the register from a backup of before then and ask who changed it")
    return Finding(True, f"matches the witness of {when}, {w.rows:,} rows")
