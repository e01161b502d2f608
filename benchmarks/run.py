"""The performance figures of issues 7 and 13, measured in one run.

    python benchmarks/run.py --items 100000

prints one ``name = value`` line per figure (goals and raw times on lines starting with
``#``); measured on 2 cores, Python 3.11::

    check_over_calamine = 1.24             # `xlflow check` ÷ calamine reading the same sheets
    openpyxl_over_check = 5.60             # the same check reading with openpyxl read-only ÷ ours
    evaluate_over_calamine = 3.41          # `xlflow evaluate … --round 9` ÷ the calamine read
    action_over_openpyxl_roundtrip = 0.14  # `xlflow advance` ÷ openpyxl's own load + save
    action_over_calamine = 3.14            # `xlflow advance` ÷ the calamine read
    check_peak_rss_mb = 269                # peak memory of `xlflow check`
    action_peak_rss_mb = 1261              # peak memory of `xlflow advance`
    ribbon_calls_10 = 259                  # xlwings calls of one Advance click, 10 rows
    ribbon_calls_100k = 259                # … and 100,000 rows
    ribbon_cells_10 = 1091                 # cells one Advance click reads plus writes, 10 rows
    ribbon_cells_100k = 1091               # … and 100,000 rows

Every leg runs as a child process of its own, started the way a user starts it
(``python -m xlflow.cli …``) and measured by ``wait4``: its CPU time (user + system) and
peak memory, and its wall-clock time. ``wait4`` is called by a small launcher
(:data:`LAUNCH`), not by this process: Linux counts a child's peak memory from its parent's
at the fork, so a leg started from here would carry this process's memory (a register
generated in it, say) in its own peak. The ratios are of CPU times, because the machine
these figures come from is shared and wall-clock time there says more about the
neighbours than about xlflow; the wall-clock ratios follow on ``#`` lines. The register is
:mod:`generate`'s (cached under ``benchmarks/data``).

The action and its openpyxl round trip are measured on the same register (``--action-items``
picks a smaller one for a quicker run). At 100,000 letters the Log has 1.8 million rows, in
9 sheets of at most 200,000 (an Excel sheet holds 1,048,576): openpyxl's full load and save
of it takes minutes and gigabytes. The action's write does not go through openpyxl: it edits
the file as an OOXML package (unchanged parts copied as they are, only the changed parts
rewritten) and reads the small sheets, the Register, and the Log sheets from the newest back
to its letter's registration. The leg is the whole command, the letter's view it prints
afterwards included. Its letter is the newest of the register's open letters that
``advance`` can move (not paused, not at a decision, nothing left to assign), as
:mod:`generate` lists them.

What the run is doing goes to stderr, one line per leg; the figures go to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

#: name → (comparison, goal, what it measures)
GOALS: dict[str, tuple[str, float, str]] = {
    "check_over_calamine": ("<=", 2.0, "`xlflow check` ÷ python-calamine reading the same sheets into Python values"),
    "openpyxl_over_check": (">=", 5.0, "the same check with openpyxl read-only doing the reading ÷ ours"),
    "evaluate_over_calamine": ("<=", 3.0, "`xlflow evaluate --round 9` ÷ the calamine read"),
    "action_over_openpyxl_roundtrip": ("<=", 1.2, "one `xlflow advance` ÷ openpyxl's own load and save of that file"),
    "action_over_calamine": ("<=", 1.5, "one `xlflow advance` ÷ the calamine read (of the register the action is timed on)"),
    "check_peak_rss_mb": ("<=", 400.0, "peak memory of `xlflow check` (MB)"),
    "action_peak_rss_mb": ("<=", 600.0, "peak memory of one `xlflow advance` (MB)"),
}

# What the baseline legs do, as small programs of their own.
CALAMINE_READ = """
import sys
from python_calamine import CalamineWorkbook
wb = CalamineWorkbook.from_path(sys.argv[1])
rows = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}
"""
# `xlflow check` itself, with the one reading function swapped for openpyxl's read-only mode.
OPENPYXL_CHECK = """
import sys
import openpyxl
from xlflow import book, cli

class ReadOnlySheets:
    def __init__(self, path):
        self.wb = openpyxl.load_workbook(path, read_only=True)
        self.names = self.wb.sheetnames

    def rows(self, name):
        return [list(r) for r in self.wb[name].iter_rows(values_only=True)]

book.sheet_reader = ReadOnlySheets
sys.argv = ["xlflow", *sys.argv[1:]]
cli.main()
"""
OPENPYXL_ROUNDTRIP = """
import sys
import openpyxl
wb = openpyxl.load_workbook(sys.argv[1], rich_text=False)
wb.save(sys.argv[2])
"""
RIBBON = """
import sys
sys.path.insert(0, sys.argv[1])
from ribbon_calls import measure
for n in sys.argv[2:]:
    m = measure(int(n))
    c = {k: v["calls"] for k, v in m.items()}
    print(c["advance"], max(c.values()), max(c, key=c.get), m["advance"]["cells"])
"""


# Starts one leg and measures it, from a process of its own that holds next to nothing. A
# child's peak RSS as Linux reports it is at least its parent's at the moment of the fork
# (with vfork, the parent's own peak): a leg started straight from this process, which
# may have just generated a register, would report this process's memory as its own.
LAUNCH = """
import json, os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as f:
    json.dump({"cpu": ru.ru_utime + ru.ru_stime, "wall": wall, "rss_kb": ru.ru_maxrss, "code": code}, f)
sys.exit(0 if code >= 0 else 1)
"""


@dataclass
class Leg:
    """One child process: CPU seconds (user + system), wall seconds, peak memory (MB), exit code."""

    cpu: float
    wall: float
    rss_mb: float
    code: int
    out: str
    err: str


def run_leg(args: list[str], cwd: Path) -> Leg:
    """Run ``args`` and measure that one process with ``wait4`` (from :data:`LAUNCH`)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryDirectory() as d:
        report = Path(d) / "rusage.json"
        launcher = subprocess.run([sys.executable, "-S", "-c", LAUNCH, report, *map(str, args)], cwd=cwd, stdout=out, stderr=err,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        if not report.exists():
            return Leg(0.0, 0.0, 0.0, launcher.returncode or -1, text, errors + "\n(the launcher of this leg failed)")
        r = json.loads(report.read_text())
        return Leg(r["cpu"], r["wall"], r["rss_kb"] / 1024, r["code"], text, errors)


def xlflow(*args: str) -> list[str]:
    return [sys.executable, "-m", "xlflow.cli", *map(str, args)]


def python(code: str, *args) -> list[str]:
    return [sys.executable, "-c", code, *map(str, args)]


def fresh(work: Path, name: str, register: Path, copy: bool = False) -> Path:
    """A folder of its own for one leg, with the register in it (a link, or a copy to write)."""
    d = work / name
    d.mkdir()
    target = d / "register.xlsx"
    if copy:
        shutil.copyfile(register, target)
    else:
        target.symlink_to(register)
    return target


def must(leg: Leg, what: str, ok=(0,)) -> Leg:
    if leg.code not in ok:
        raise SystemExit(f"{what} failed (exit {leg.code}):\n{leg.out[-2000:]}\n{leg.err[-4000:]}")
    return leg


def label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def progress(what: str) -> None:
    """Say on stderr what the run is doing (a leg can take minutes)."""
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def show(name: str, value, note: str = "") -> None:
    text = "n/a" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
    print(f"{name} = {text}", flush=True)
    if note:
        print(f"#   {note}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=100_000, help="letters in the register (default 100000)")
    ap.add_argument("--action-items", type=int, default=None, help="letters in the register the action is timed on (default: --items)")
    ap.add_argument("--ribbon-large", type=int, default=100_000, help="the large register of the ribbon count (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data-dir", type=Path, default=generate.DATA, help="where generated registers are cached")
    ap.add_argument("--skip", default="", help="comma-separated legs to leave out: openpyxl, evaluate, action, ribbon")
    a = ap.parse_args(argv)
    skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    action_items = a.action_items or a.items

    print(f"# cores = {os.cpu_count()}  python = {sys.version.split()[0]}  items = {a.items}  action_items = {action_items}", flush=True)
    progress(f"the register of {a.items} letters (generated the first time, then cached in {a.data_dir})")
    path, meta = generate.cached(a.items, a.seed, a.data_dir)
    print(f"# register: {path.name}: {meta['items']} letters, {meta['log_rows']} log rows, {path.stat().st_size / 1e6:.0f} MB", flush=True)
    print(f"# its Log: {len(meta.get('log_sheets', [meta['log_rows']]))} sheet(s) of at most {meta.get('log_sheet_rows', meta['log_rows']):,} rows", flush=True)
    now = datetime.fromisoformat(meta["now"])
    for name, (cmp, goal, what) in GOALS.items():
        print(f"# goal {name} {cmp} {goal:g}: {what}")
    print("# ratios are of CPU time (user + system) of each child process; wall-clock ratios on '#' lines")

    with tempfile.TemporaryDirectory(prefix="xlflow-bench-") as tmp:
        work = Path(tmp)
        progress("python-calamine reading every sheet")
        base = must(run_leg(python(CALAMINE_READ, path), work), "the calamine read")
        progress("xlflow check")
        check = must(run_leg(xlflow("check", fresh(work, "check", path), "--now", now.isoformat(), "--outbox", work / "check" / "outbox"), work), "xlflow check")
        print(f"# calamine read: {base.cpu:.1f} s CPU, {base.wall:.1f} s wall, {base.rss_mb:.0f} MB")
        print(f"# xlflow check: {check.cpu:.1f} s CPU, {check.wall:.1f} s wall, {check.rss_mb:.0f} MB, "
              f"{len(list((work / 'check' / 'outbox').glob('*.eml')))} e-mails")
        show("check_over_calamine", check.cpu / base.cpu, f"wall clock: {check.wall / base.wall:.2f}")

        if "openpyxl" in skip:
            show("openpyxl_over_check", None)
        else:
            progress("xlflow check, reading with openpyxl read-only")
            slow = must(run_leg(python(OPENPYXL_CHECK, "check", fresh(work, "openpyxl", path), "--now", now.isoformat(),
                                       "--outbox", work / "openpyxl" / "outbox"), work), "the openpyxl check")
            print(f"# check reading with openpyxl read-only: {slow.cpu:.1f} s CPU, {slow.wall:.1f} s wall, {slow.rss_mb:.0f} MB")
            show("openpyxl_over_check", slow.cpu / check.cpu, f"wall clock: {slow.wall / check.wall:.2f}")

        if "evaluate" in skip:
            show("evaluate_over_calamine", None)
        else:
            progress("xlflow evaluate")
            book = fresh(work, "evaluate", path)
            ev = must(run_leg(xlflow("evaluate", book, "--fiscal-year", "2569", "--round", "9", "-o", book.with_name("evaluation.xlsx"),
                                     "--now", now.isoformat()), work), "xlflow evaluate")
            print(f"# xlflow evaluate: {ev.cpu:.1f} s CPU, {ev.wall:.1f} s wall, {ev.rss_mb:.0f} MB")
            show("evaluate_over_calamine", ev.cpu / base.cpu, f"wall clock: {ev.wall / base.wall:.2f}")

        act = None
        ameta = None if "action" in skip else meta
        if ameta is not None and action_items != a.items:
            apath, ameta = generate.cached(action_items, a.seed, a.data_dir)
        else:
            apath = path
        if ameta is None or not generate.fits_in_excel(ameta):
            if ameta is not None:
                print(f"# no action on {action_items} letters: their Log is past Excel's last row, where nothing can be appended")
            for name in ("action_over_openpyxl_roundtrip", "action_over_calamine"):
                show(name, None)
        else:
            item = ameta["advanceable"][-1]  # open, not paused, at a sub-step where advance is legal
            at = (datetime.fromisoformat(ameta["now"]) + timedelta(minutes=1)).isoformat()
            if apath == path:
                abase = base
            else:
                progress(f"python-calamine reading every sheet of the {action_items}-letter register")
                abase = must(run_leg(python(CALAMINE_READ, apath), work), "the calamine read of the action's register")
                print(f"# calamine read of the {action_items}-letter register: {abase.cpu:.1f} s CPU, {abase.wall:.1f} s wall, {abase.rss_mb:.0f} MB")
            progress(f"xlflow advance {item}")
            book = fresh(work, "action", apath, copy=True)
            act = must(run_leg(xlflow("advance", book, item, "--at", at, "--by", "benchmark"), work), "xlflow advance")
            progress("openpyxl load + save (minutes at 100,000 letters)")
            book = fresh(work, "roundtrip", apath, copy=True)
            rt = must(run_leg(python(OPENPYXL_ROUNDTRIP, book, book.with_name("saved.xlsx")), work), "openpyxl load and save")
            print(f"# on {action_items} letters: xlflow advance {item}: {act.cpu:.1f} s CPU, {act.wall:.1f} s wall, {act.rss_mb:.0f} MB; "
                  f"openpyxl load + save: {rt.cpu:.1f} s CPU, {rt.wall:.1f} s wall, {rt.rss_mb:.0f} MB")
            show("action_over_openpyxl_roundtrip", act.cpu / rt.cpu, f"wall clock: {act.wall / rt.wall:.2f}")
            show("action_over_calamine", act.cpu / abase.cpu, f"wall clock: {act.wall / abase.wall:.2f}")

        show("check_peak_rss_mb", round(check.rss_mb))
        show("action_peak_rss_mb", None if act is None else round(act.rss_mb))

        sizes = (10, a.ribbon_large)
        counts: list[int | None] = [None, None]
        cells: list[int | None] = [None, None]
        if "ribbon" not in skip and (HERE / "ribbon_calls.py").exists():
            progress(f"counting the ribbon's xlwings calls at {label(sizes[0])} and {label(sizes[1])} rows")
            leg = run_leg(python(RIBBON, HERE, *sizes), work)
            if leg.code == 0:
                lines = leg.out.strip().splitlines()[-2:]
                counts = [int(line.split()[0]) for line in lines]  # one Advance, as issue 7 asks
                cells = [int(line.split()[3]) for line in lines]  # the cells it reads plus writes (issue 14)
                for n, line in zip(sizes, lines):
                    _, most, button, _ = line.split()
                    print(f"# ribbon, {label(n)} rows: the busiest button is {button} with {most} xlwings calls")
            else:
                print(f"# ribbon_calls.py failed (exit {leg.code}): {leg.err.strip().splitlines()[-1] if leg.err.strip() else ''}")
        elif "ribbon" not in skip:
            print("# benchmarks/ribbon_calls.py has not landed: the ribbon counts are n/a")
        for n, c in zip(sizes, counts):
            show(f"ribbon_calls_{label(n)}", c)
        for n, c in zip(sizes, cells):
            show(f"ribbon_cells_{label(n)}", c)
        print(f"# goal ribbon_calls_{label(sizes[1])} == ribbon_calls_10: a click makes as many xlwings calls on a large register as on a small one")
        print(f"# goal ribbon_cells_{label(sizes[1])} <= 2 × ribbon_cells_10: a click moves as many cells on a large register as on a small one")
    progress("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
