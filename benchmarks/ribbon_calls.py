"""How many xlwings calls each ribbon button makes, on a small and on a large register.

    python benchmarks/ribbon_calls.py --rows 10 100000

prints, per register size, one line per button and the headlines (the most calls any one
click makes -- Fill forms, which sets the forms' widths, heights and merged cells one by
one -- and the cells one Advance click reads plus writes)::

    ribbon_calls_10 = 589
    ribbon_calls_100k = 589
    ribbon_cells_10 = 1091
    ribbon_cells_100k = 1091

A row button reads the Register's header and the selected rows, the small sheets (Process,
Calendar, People), the last Log row and the Log rows its letters' แถวในบันทึก cells name,
and writes one block per sheet; Register letter reads the Log back from its end to the
newest registration of the year. Measured (remote engine, Linux): the row buttons 259
calls and 1,091 cells, Register letter 270 calls, Refresh 146 and Fill forms 589 calls, the
same for 10 and 100,000 rows -- except Refresh, which re-times every letter and so reads
and writes the whole Register (xlwings itself splits writes of more than 100,000 cells into
chunks, ``max_cells_per_write``, so its writes grow by one per 100,000 cells, on purpose).
A register made before the แถวในบันทึก column existed, or whose index does not check out
against the Log, is read whole by each click, as before.

Why it matters: in Windows Excel every xlwings call is a COM round trip from Python into
Excel, so a button that read or wrote cell by cell would slow down as the register grows.
The buttons read each sheet they need with one ``.value`` and write once per sheet; the
count must be the same for 10 rows and for 100,000.

How it counts: Windows Excel cannot run here, so the macros run against xlwings' remote
engine (a real ``xw.Book`` built from the JSON payload Excel's client would send; see
``tests/xlwings_payload.py``). Every call from xlwings' public layer into the engine's
objects (``xlwings.pro._xlremote``: App, Book, Sheets, Sheet, Range, Table, ... — methods
and properties alike) is counted once; calls the engine makes inside itself are not. The
Windows engine (``xlwings._xlwindows``) has the same objects, each of whose calls is one or a
few COM calls, so the count is the shape of the COM traffic, not its exact number. The
license key ``XLWINGS_LICENSE_KEY=noncommercial`` this needs is set for this process only:
it is a measuring fixture, the product never needs one.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import xlwings as xw  # noqa: E402

from xlwings_payload import CLICK, remote_book, ribbon_register, use_remote_engine  # noqa: E402

from xlflow.ports.xlwings import MOVED  # noqa: E402

BUTTONS = (
    "register_letter", "advance", "assign_unit", "assign_officer", "approve", "send_back",
    "pause", "resume", "undo", "refresh", "fill_forms",
)
_DUNDERS = ("__call__", "__len__", "__iter__", "__contains__", "__getitem__")


@contextlib.contextmanager
def counting():
    """Count the calls into the remote engine's objects while inside; yields the Counter."""
    from xlwings.pro import _xlremote as rm

    counts: collections.Counter = collections.Counter()
    depth = [0]

    def wrap(fn, key):
        @functools.wraps(fn)
        def inner(*a, **kw):
            if depth[0] == 0:
                counts[key] += 1
            depth[0] += 1
            try:
                return fn(*a, **kw)
            finally:
                depth[0] -= 1

        return inner

    saved = []
    for cls in [c for c in vars(rm).values() if isinstance(c, type) and c.__module__ == rm.__name__]:
        for name, attr in list(vars(cls).items()):
            if name.startswith("_") and name not in _DUNDERS:
                continue
            key = f"{cls.__name__}.{name}"
            if isinstance(attr, property):
                new = property(
                    wrap(attr.fget, key) if attr.fget else None,
                    wrap(attr.fset, key + "=") if attr.fset else None,
                    attr.fdel,
                    attr.__doc__,
                )
            elif callable(attr) and not isinstance(attr, (staticmethod, classmethod, type)):
                new = wrap(attr, key)
            else:
                continue
            saved.append((cls, name, attr))
            setattr(cls, name, new)
    try:
        yield counts
    finally:
        for cls, name, attr in saved:
            setattr(cls, name, attr)


def measure(n_rows: int, buttons=BUTTONS) -> dict[str, dict]:
    """Per button: engine ``calls``, ``writes`` (actions sent back to Excel) and ``seconds``."""
    from xlflow import macros

    use_remote_engine()
    reg, rows = ribbon_register(n_rows)
    out: dict[str, dict] = {}
    original = xw.Book.__dict__["caller"]
    try:
        for name in buttons:
            book = remote_book(reg.payload(selection=f"A{rows[name]}", table_last_row=len(reg.register)))
            xw.Book.caller = staticmethod(lambda book=book: book)
            t = time.perf_counter()
            moved = dict(MOVED)
            with counting() as counts:
                getattr(macros, name)(at=CLICK)
            out[name] = {
                "calls": sum(counts.values()),
                "cells": sum(MOVED.values()) - sum(moved.values()),
                "writes": len(book.json()["actions"]),
                "seconds": round(time.perf_counter() - t, 2),
                "detail": dict(counts),
            }
    finally:
        xw.Book.caller = original
    return out


def count_calls(n_rows: int) -> dict[str, int]:
    """Per button, the xlwings calls one click makes on a register of ``n_rows`` letters."""
    return {k: v["calls"] for k, v in measure(n_rows).items()}


def count_cells(n_rows: int, buttons=("advance",)) -> dict[str, int]:
    """Per button, the cells one click reads plus writes on a register of ``n_rows`` letters."""
    return {k: v["cells"] for k, v in measure(n_rows, buttons).items()}


def label(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[10, 100_000], help="register sizes (default: 10 100000)")
    args = ap.parse_args(argv)
    for n in args.rows:
        t = time.perf_counter()
        m = measure(n)
        for name, v in m.items():
            print(f"  {label(n):>5} {name:<16} calls {v['calls']:>3}  cells {v['cells']:>9,}  writes {v['writes']:>2}  {v['seconds']:>7.2f} s")
        print(f"ribbon_calls_{label(n)} = {max(v['calls'] for v in m.values())}   ({time.perf_counter() - t:.0f} s in all)")
        print(f"ribbon_cells_{label(n)} = {m['advance']['cells']}   # cells read + written by one Advance click")
    return 0


if __name__ == "__main__":
    sys.exit(main())
