"""Windows-safe output (issue 15, point 6): every command works with stdout and stderr in cp1252
(an English Windows) or cp874 (a Thai Windows) — a redirected console, a ``.bat`` run by Task
Scheduler — with no traceback, its own exit code, and what cannot be shown replaced.

Each encoding runs in a subprocess of its own (``PYTHONIOENCODING``), the commands one after
the other in it through the ``xlflow`` entry point (one interpreter start per encoding keeps
this fast); the checker is also run once as ``python -m xlflow.cli check`` on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from test_checks import make_register

DRIVER = r"""
import json, sys
from xlflow.cli import main
codes = []
for args in json.loads(sys.argv[1]):
    print("$ xlflow " + " ".join(args), flush=True)
    try:
        main(args, prog_name="xlflow")
    except SystemExit as e:
        codes.append(e.code if isinstance(e.code, int) else (0 if e.code is None else 1))
sys.stdout.flush()
sys.stderr.write("CODES " + json.dumps(codes) + "\n")
"""

NOW = "2026-11-25T11:00"


def commands(book: Path, folder: Path) -> list[tuple[list[str], int]]:
    """Every command that prints Thai, with the exit code it must end with."""
    b = str(book)
    at = lambda t: ["--at", f"2026-11-25T{t}", "--by", "สมศรี ใจดี"]  # noqa: E731
    return [
        (["--help"], 0),
        (["register", "--help"], 0),
        (["init", str(folder / "new.xlsx"), "--today", "2026-11-25"], 0),
        (["process", b], 0),
        (["register", b, "--subject", "ขอเชิญเข้าร่วมประชุม ILO — “ด่วน”", "--sender", "ILO", "--urgency", "ด่วน", "--reply-by", "27/11/2569", *at("09:00")], 0),
        (["assign", b, "1/2569", "--unit", "วท.", *at("09:05")], 0),
        (["advance", b, "1/2569", *at("09:10")], 0),
        (["pause", b, "1/2569", "--reason", "รอคำตอบจากกรมการจัดหางาน", *at("09:15")], 0),
        (["resume", b, "1/2569", *at("09:20")], 0),
        (["correct", b, "1/2569", "--reason", "กดผิด", *at("09:25")], 0),
        (["approve", b, "1/2569", *at("09:30")], 1),  # refused, in words
        (["show", b, "1/2569", "--now", NOW, "--json"], 0),
        (["show", b, "9/2569", "--now", NOW], 1),
        (["list", b, "--now", NOW], 0),
        (["list", b, "--now", NOW, "--json"], 0),
        (["verify", b], 0),
        (["refresh", b, "--now", NOW], 0),
        (["check", b, "--now", NOW, "--dry-run"], 0),
        (["check", b, "--now", NOW, "--outbox", str(folder / "out")], 0),
        (["watch", b, "--max-runs", "1"], 0),
        (["forms", b], 0),
        (["evaluate", b, "--fiscal-year", "2570", "--round", "6", "--now", NOW, "-o", str(folder / "eval.xlsx")], 0),
    ]


def run(args: list[str], encoding: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, "PYTHONIOENCODING": encoding, "PYTHONUTF8": "0", "LC_ALL": "C"}
    return subprocess.run([sys.executable, *args], capture_output=True, env=env, cwd=cwd, timeout=300)


@pytest.mark.parametrize("encoding", ["cp1252", "cp874"])
def test_every_command_works_when_stdout_is_not_utf8(tmp_path, encoding):
    book = make_register(tmp_path / "Coordination_Register.xlsx")
    todo = commands(book, tmp_path)
    p = run(["-c", DRIVER, json.dumps([a for a, _ in todo])], encoding, tmp_path)
    out, err = p.stdout.decode(encoding), p.stderr.decode(encoding)
    assert p.returncode == 0, err
    assert "Traceback" not in out + err and "UnicodeEncodeError" not in out + err
    codes = json.loads(err.rsplit("CODES ", 1)[1])
    assert codes == [c for _, c in todo], "\n".join(f"{a[0]}: {c}" for (a, _), c in zip(todo, codes))
    if encoding == "cp874":  # a Thai console shows Thai
        assert "ขั้นตอน" in out and "Error: item 9/2569" in err
    else:  # an English one shows what it can, and ? for the rest
        assert "?" in out and "Error: item 9/2569" in err
    assert (tmp_path / "out").is_dir() and list((tmp_path / "out").glob("*.eml"))


@pytest.mark.parametrize("encoding", ["cp1252", "cp874"])
def test_the_checker_keeps_its_exit_code_after_sending_to_a_console_that_is_not_utf8(tmp_path, encoding):
    book = make_register(tmp_path / "Coordination_Register.xlsx")
    run(["-m", "xlflow.cli", "register", str(book), "--subject", "เชิญประชุม", "--at", "2026-11-25T09:00", "--by", "ก"], encoding, tmp_path)
    p = run(["-m", "xlflow.cli", "check", str(book), "--now", NOW], encoding, tmp_path)
    out = p.stdout.decode(encoding) + p.stderr.decode(encoding)
    assert p.returncode == 0, out
    assert "sent to head@mol.go.th: xlflow: " in out and "Traceback" not in out
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 3
