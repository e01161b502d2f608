"""A register held by another program on Windows: retried briefly, then refused in words.

A real sharing violation needs Windows (Excel, an antivirus or the indexer holding the
file open, and ``MoveFileEx`` refusing the rename with WinError 32). These tests simulate
it: ``os.replace`` / ``os.link`` / ``shutil.copy2`` raise the ``PermissionError`` Windows
raises, with its ``winerror`` set, and the waits between retries are skipped.
"""

from __future__ import annotations

import os
import shutil

import pytest

from xlflow import book as bk
from xlflow import sharing
from xlflow.errors import WorkbookBusy, WorkbookError

IN_USE = "the file is in use by another program (Excel, antivirus?)"


def windows_error(winerror: int = 32) -> PermissionError:
    """The error Windows raises for a file another process holds open."""
    e = PermissionError(13, "The process cannot access the file because it is being used by another process")
    e.winerror = winerror  # set by CPython on Windows only
    return e


class Bytes:
    """Stands for a workbook: ``save`` writes fixed bytes (save_atomic needs nothing more)."""

    def __init__(self, data: bytes):
        self.data = data

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.data)


@pytest.fixture
def no_waits(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(sharing, "wait", waits.append)
    return waits


def failing(times: int, real, winerror: int = 32):
    calls = {"n": 0}

    def fn(*args, **kw):
        calls["n"] += 1
        if calls["n"] <= times:
            raise windows_error(winerror)
        return real(*args, **kw)
    fn.calls = calls
    return fn


@pytest.mark.parametrize("winerror", [5, 32, 33])
def test_a_register_held_for_a_moment_is_replaced_after_retries(tmp_path, monkeypatch, no_waits, winerror):
    path = tmp_path / "Coordination_Register.xlsx"
    path.write_bytes(b"old")
    replace = failing(2, os.replace, winerror)
    monkeypatch.setattr(bk.os, "replace", replace)
    bk.save_atomic(Bytes(b"new"), path)
    assert path.read_bytes() == b"new"
    assert replace.calls["n"] == 3 and len(no_waits) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [".xlflow-backups", "Coordination_Register.xlsx"]
    (backup,) = (tmp_path / ".xlflow-backups").iterdir()
    assert backup.read_bytes() == b"old"  # one backup, not one per attempt


def test_a_register_that_stays_held_is_refused_in_words_and_left_as_it_was(tmp_path, monkeypatch, no_waits):
    path = tmp_path / "Coordination_Register.xlsx"
    path.write_bytes(b"old")
    monkeypatch.setattr(bk.os, "replace", failing(10**6, os.replace))
    with pytest.raises(WorkbookBusy) as e:
        bk.save_atomic(Bytes(b"new"), path)
    assert str(e.value) == (f"Coordination_Register.xlsx: {IN_USE} — nothing was changed; "
                            "close it there (or wait for the scan) and try again")
    assert "read-only" not in str(e.value)
    assert path.read_bytes() == b"old"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".~xlflow-tmp")]
    assert sum(no_waits) == pytest.approx(sum(sharing.RETRY_DELAYS))  # about two seconds, then words


def test_the_backup_step_is_retried_too(tmp_path, monkeypatch, no_waits):
    path = tmp_path / "Coordination_Register.xlsx"
    path.write_bytes(b"old")
    monkeypatch.setattr(bk.os, "link", failing(10**6, os.link))       # no hard link at all here
    monkeypatch.setattr(bk.shutil, "copy2", failing(2, shutil.copy2))  # the copy is held twice
    bk.save_atomic(Bytes(b"new"), path)
    assert path.read_bytes() == b"new"
    (backup,) = (tmp_path / ".xlflow-backups").iterdir()
    assert backup.read_bytes() == b"old"


def test_a_folder_without_write_permission_is_not_called_in_use(tmp_path, monkeypatch, no_waits):
    # WinError 5 while writing the temporary file means the folder, not another program.
    path = tmp_path / "Coordination_Register.xlsx"
    path.write_bytes(b"old")

    class Denied:
        def save(self, p):
            raise windows_error(5)

    with pytest.raises(WorkbookError) as e:
        bk.save_atomic(Denied(), path)
    assert "in use" not in str(e.value) and "permission denied" in str(e.value)
    assert no_waits == []


def test_other_errors_are_not_retried(monkeypatch, no_waits):
    def gone(*a):
        raise FileNotFoundError(2, "No such file")
    with pytest.raises(FileNotFoundError):
        sharing.call_retrying_sharing(gone)
    assert no_waits == []
    assert not sharing.is_sharing_violation(PermissionError(13, "denied"))  # POSIX: no winerror


def test_an_action_on_a_held_register_says_so_on_the_command_line(register_book, xlflow, monkeypatch, no_waits):
    before = register_book.read_bytes()
    monkeypatch.setattr(bk.os, "replace", failing(10**6, os.replace))
    result = xlflow("register", register_book, "--subject", "ขอเชิญประชุม", "--sender", "ILO",
                    "--at", "2026-11-25T09:00", "--by", "สมศรี")
    assert result.exit_code == 1
    assert result.output == (f"Error: Coordination_Register.xlsx: {IN_USE} — nothing was changed; "
                             "close it there (or wait for the scan) and try again\n")
    assert register_book.read_bytes() == before
