"""Interrupted writes, a full disk and two writers at once.

- A write killed (SIGKILL, through ``XLFLOW_FAULT``) at each stage of ``save_atomic``
  leaves a workbook that opens and holds the old state or the new one, whose Register and
  Log agree and whose hash chain verifies; the next write works.
- A full disk (ENOSPC, simulated in-process by making the lock write, the save, the backup
  copy or the fsync raise ``OSError(28)``; found first on a real 60 kB tmpfs) leaves the old file byte-identical, no temporary file or
  lock behind, and says so in words.
- Two processes registering letters at once: every letter lands with its own number, or a
  writer is refused with a clear message; nothing is lost.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

import fault_harness as h
from make_corpus import make_base
from xlflow import book as bk

NOW = "2026-11-25T11:00"
STAGES = ("before-save", "after-temp-written", "before-rename", "after-rename")
ACTIONS = {
    "register": ["register", "{f}", "--subject", "หนังสือระหว่างการเขียน", "--at", NOW, "--by", "clerk"],
    "advance": ["advance", "{f}", "1/2569", "--at", NOW, "--by", "clerk"],
}


@pytest.fixture(scope="module")
def base(tmp_path_factory, request) -> Path:
    h.install_summary(request.config)
    return make_base(tmp_path_factory.mktemp("faults") / "Coordination_Register.xlsx")


@pytest.fixture
def book(base, tmp_path) -> Path:
    return Path(shutil.copy(base, tmp_path / "Coordination_Register.xlsx"))


def xlflow_subprocess(*args, fault: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "XLFLOW_FAULT"}
    if fault:
        env["XLFLOW_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "xlflow.cli", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def state_of(path: Path) -> tuple[frozenset, int]:
    b = bk.load(path)
    return frozenset(b.letters), len(b.log)


# -- killed at each stage of a write ------------------------------------------------------------
@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("stage", STAGES)
def test_a_write_killed_at_any_stage_leaves_the_old_or_the_new_workbook_whole_and_consistent(book, stage, action):
    old_sha, old_state = h.sha256(book), state_of(book)
    run = xlflow_subprocess(*[a.replace("{f}", str(book)) for a in ACTIONS[action]], fault=stage)
    h.TALLY["killed writes"] += 1
    h.TALLY["broken inputs"] += 1
    assert run.returncode == -9, run.stderr  # it really was killed, at that stage
    assert "Traceback" not in run.stderr
    new_state = state_of(book)  # it opens
    if stage == "after-rename":
        assert new_state != old_state and new_state[1] == old_state[1] + 1
    else:
        assert h.sha256(book) == old_sha  # the old file, byte for byte
        assert new_state == old_state
    assert h.register_and_log_agree(book) == []
    h.TALLY["messages asserted"] += 1
    # The lock of the killed writer is taken over; the next write works and is consistent.
    again = xlflow_subprocess("register", book, "--subject", "หนังสือถัดไป", "--at", NOW, "--by", "clerk")
    assert again.returncode == 0, again.stderr
    assert h.register_and_log_agree(book) == []
    assert not bk.lock_path(book).exists()
    h.TALLY["messages asserted"] += 1


def test_a_killed_write_leaves_no_lock_that_blocks_the_next_writer(book):
    run = xlflow_subprocess("register", book, "--subject", "x", "--at", NOW, "--by", "clerk", fault="before-rename")
    assert run.returncode == -9
    assert bk.lock_path(book).exists()  # the dead writer's lock is still there ...
    code, out, exc = h.run_cli("register", book, "--subject", "y", "--at", NOW, "--by", "clerk")
    assert (code, out, exc) == (0, "4/2569\n", None)  # ... and taken over, not waited on
    h.TALLY["messages asserted"] += 1


# -- the disk is full ---------------------------------------------------------------------------
def _enospc(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


def _half_written_save(self, filename):
    """What a save on a full disk does: part of the file is written, then ENOSPC."""
    Path(filename).write_bytes(b"PK\x03\x04" + b"\0" * 100)
    _enospc()


def _lock_write_fails(fd, data):
    """The lock file is created, but the disk is full when its content is written."""
    raise OSError(errno.ENOSPC, "No space left on device")


DISK_FULL = {
    "while the lock file is written": ("os.write", _lock_write_fails),
    "while the temporary file is written": ("xlflow.ports.package.PackagePort.save", _half_written_save),
    "while the backup copy is made": (("os.link", "shutil.copy2"), _enospc),  # a hard link where it can, else a copy
    "while the temporary file is flushed": ("os.fsync", _enospc),
}


@pytest.mark.parametrize("where", sorted(DISK_FULL))
@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_a_full_disk_leaves_the_old_file_intact_and_says_so(book, monkeypatch, where, action):
    target, fake = DISK_FULL[where]
    before_file, before_folder = h.sha256(book), h.folder_state(book.parent)
    for t in (target,) if isinstance(target, str) else target:
        monkeypatch.setattr(t, fake)
    code, out, exc = h.run_cli(*[a.replace("{f}", str(book)) for a in ACTIONS[action]])
    monkeypatch.undo()
    h.TALLY["disk-full writes"] += 1
    h.TALLY["broken inputs"] += 1
    h.TALLY["messages asserted"] += 1
    assert exc is None
    assert (code, out) == (1, "Error: Coordination_Register.xlsx: the disk is full — nothing was changed; free some space and try again\n")
    if h.sha256(book) != before_file:
        h.TALLY["bytes lost"] += book.stat().st_size
    assert h.sha256(book) == before_file
    assert h.folder_state(book.parent) == before_folder  # no temporary file, no lock, no half backup
    assert h.register_and_log_agree(book) == []


# -- two writers at once ------------------------------------------------------------------------
WRITER = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime, timedelta
    from pathlib import Path
    from xlflow import service
    from xlflow.errors import WorkbookBusy
    path, who, n, go = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    while time.time() < go:
        time.sleep(0.005)
    for i in range(n):
        at = datetime(2026, 11, 25, 13, 0) + timedelta(minutes=i)
        print(service.register_letter(path, at=at, by=who, subject=f"{who} {i}"), flush=True)
    """
)


def test_two_writers_at_once_both_land_every_letter_with_its_own_number(book):
    import time

    n = 8
    go = time.time() + 2.0  # both start at the same instant, after their imports
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(book), who, str(n), str(go)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who in ("clerk-a", "clerk-b")
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    h.TALLY["concurrent writes"] += 2 * n
    h.TALLY["broken inputs"] += 1
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    numbers = [line for out, _ in outs for line in out.split()]
    assert sorted(numbers, key=lambda s: int(s.split("/")[0])) == [f"{i}/2569" for i in range(4, 4 + 2 * n)]
    b = bk.load(book)
    assert set(b.letters) == {f"{i}/2569" for i in range(1, 4 + 2 * n)}
    assert sorted(e.by for e in b.log if e.action == "register" and e.by.startswith("clerk-")) == ["clerk-a"] * n + ["clerk-b"] * n
    assert h.register_and_log_agree(book) == []
    h.TALLY["messages asserted"] += 1


class _Clock:
    """A clock that jumps a minute at each look, so a waiting writer gives up at once."""

    def __init__(self):
        self.t = 0.0

    def monotonic(self):
        self.t += 60
        return self.t

    def sleep(self, _s):
        pass


def test_a_writer_that_cannot_get_the_lock_is_refused_clearly_and_changes_nothing(book, monkeypatch):
    lock = bk.lock_path(book)
    lock.write_text(f"{os.getpid()}@{__import__('socket').gethostname()} 2026-11-25T11:00:00")  # a live writer holds it
    before_file = h.sha256(book)
    monkeypatch.setattr(bk, "_time", _Clock())
    code, out, exc = h.run_cli("register", book, "--subject", "ช้าไป", "--at", NOW, "--by", "clerk")
    h.TALLY["messages asserted"] += 1
    assert exc is None
    assert (code, out) == (
        1,
        f"Error: Coordination_Register.xlsx is being written by another xlflow ({os.getpid()}@{__import__('socket').gethostname()}) — "
        f"try again in a moment; if no xlflow is running, delete {lock.name}\n",
    )
    assert h.sha256(book) == before_file
    assert lock.exists()  # the other writer's lock is not touched
