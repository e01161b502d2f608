"""Recalculate a workbook in LibreOffice headless and print the computed values of some cells.

Run with the system Python that has LibreOffice's ``uno`` module (not the project venv)::

    /usr/bin/python3 tests/lo_recalc.py BOOK.xlsx 'ทะเบียนหนังสือรับ!T2' 'ทะเบียนหนังสือรับ!T3'

Prints one JSON object: each requested cell → {"string": shown text, "value": number,
"formula": the cell's formula, "error": error code (0 = none)}. The tests use it to check
that the Register's Status formula stays right while Python is not running.

soffice runs with a private profile (``-env:UserInstallation``) in a temporary folder, listens
on a free loopback port, and is terminated at the end (killed if it will not stop). Every
wait has a timeout so a wedged office cannot hang the test run. NOW() in the formulas is the
soffice process's local time: run this with ``TZ=Asia/Bangkok``.
"""

from __future__ import annotations

import json
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from lo_office import connect, prop, start_office, stop_office  # noqa: E402  (needs uno: system Python)

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_cells(doc, refs: list[str]) -> dict:
    sheets = doc.getSheets()
    out = {}
    for ref in refs:
        name, _, addr = ref.rpartition("!")
        name = name.strip("'")
        sheet = sheets.getByName(name)
        cell = sheet.getCellRangeByName(addr)
        out[ref] = {
            "string": cell.getString(),
            "value": cell.getValue(),
            "formula": cell.getFormula(),
            "error": cell.getError(),
        }
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: lo_recalc.py BOOK.xlsx 'Sheet!A1' ...", file=sys.stderr)
        return 2
    book = Path(argv[0]).resolve()
    refs = argv[1:]
    profile = Path(tempfile.mkdtemp(prefix="xlflow-lo-profile-"))
    port = free_port()
    where = f"socket,host=127.0.0.1,port={port}"
    proc = start_office(profile, where)
    desktop = None
    try:
        desktop = connect(where, proc, START_TIMEOUT)
        doc = desktop.loadComponentFromURL(book.as_uri(), "_blank", 0, (prop("Hidden", True), prop("ReadOnly", True)))
        if doc is None:
            raise SystemExit(f"LibreOffice could not open {book}")
        try:
            doc.calculateAll()
            print(json.dumps(read_cells(doc, refs), ensure_ascii=False))
        finally:
            doc.close(True)
    finally:
        stop_office(desktop, proc)
        shutil.rmtree(profile, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
