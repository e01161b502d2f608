"""Helpers shared by the robustness tests (corpus, faults, security): staging a case into a
fresh folder, fingerprints of a workbook's folder, running the CLI in-process, the
Register/Log agreement check, and the tally printed at the end of the session.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import traceback
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "corpus"))

#: What the robustness tests tried and checked; printed in the terminal summary.
TALLY: Counter = Counter()


def sha256(path: Path) -> str | None:
    """The file's sha256, or None when there is no file (a folder, a missing path)."""
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else None


def folder_state(folder: Path) -> dict[str, str | None]:
    """Every file under ``folder`` (names and contents): a refused command must leave it so.

    (An empty folder is not a file: a backups folder made just before a full disk stopped the
    copy holds nothing and costs nothing.)"""
    return {str(p.relative_to(folder)): sha256(p) for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def stage(src: Path, corpus_root: Path, dest_root: Path) -> Path:
    """Copy one case (with its owner or lock files, modes kept) into ``dest_root``."""
    rel = Path(src).relative_to(corpus_root)
    dst = dest_root / rel
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst)
    elif src.exists():
        shutil.copy2(src, dst)
    for sib in ("~$" + src.name, ".~lock." + src.name + "#"):
        if (src.parent / sib).exists():
            shutil.copy2(src.parent / sib, dst.parent / sib)
    return dst


def run_cli(*args) -> tuple[int, str, str | None]:
    """Run ``xlflow ARGS`` in-process: exit code, all output, and the traceback of an escaped exception."""
    from xlflow.cli import main

    result = CliRunner().invoke(main, [str(a) for a in args])
    exc = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = "".join(traceback.format_exception(result.exception))
    return result.exit_code, result.output, exc


def register_and_log_agree(path: Path) -> list[str]:
    """What is wrong between Register and Log (empty when they agree and the chain verifies)."""
    from xlflow import book as bk
    from xlflow import schema

    b = bk.load(path)
    wrong = [str(p) for p in b.problems]
    logged = {e.item for e in b.log}
    registered = set(b.letters)
    if logged - registered:
        wrong.append(f"in the Log, not in the Register: {sorted(logged - registered)}")
    if registered - logged:
        wrong.append(f"in the Register, not in the Log: {sorted(registered - logged)}")
    broken = schema.verify_chain(b.log, b.log_where)
    if broken:
        wrong.append(broken)
    return wrong


class _Summary:
    """A plugin registered during the session: its hook prints the tally at the end."""

    def pytest_terminal_summary(self, terminalreporter):
        if TALLY:
            terminalreporter.write_sep("-", "xlflow robustness")
            terminalreporter.write_line(
                f"broken inputs tried: {TALLY['broken inputs']} "
                f"(corpus cases {TALLY['corpus cases']}, command runs {TALLY['command runs']}, "
                f"killed writes {TALLY['killed writes']}, disk-full writes {TALLY['disk-full writes']}, "
                f"concurrent writes {TALLY['concurrent writes']}, hostile texts {TALLY['hostile texts']}); "
                f"messages asserted: {TALLY['messages asserted']}; bytes lost: {TALLY['bytes lost']}"
            )


def install_summary(config) -> None:
    """Register the end-of-session summary once (each robustness module asks for it)."""
    if not config.pluginmanager.has_plugin("xlflow-robustness-summary"):
        config.pluginmanager.register(_Summary(), "xlflow-robustness-summary")
