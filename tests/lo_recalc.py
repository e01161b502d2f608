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
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # noqa: F401  (LibreOffice's bridge; sets up the com.sun.star imports)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def start_office(profile: Path, port: int) -> subprocess.Popen:
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    args = [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
        f"--accept=socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext",
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def connect(port: int, proc: subprocess.Popen):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if proc.poll() is not None:
                raise SystemExit(f"soffice exited with code {proc.returncode} before accepting a connection")
            if time.monotonic() > deadline:
                raise SystemExit(f"soffice did not accept a connection within {START_TIMEOUT:.0f} s")
            time.sleep(0.25)


def stop_office(desktop, proc: subprocess.Popen) -> None:
    if desktop is not None:
        try:
            desktop.terminate()
        except Exception:  # the bridge drops as the office exits
            pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


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
    proc = start_office(profile, port)
    desktop = None
    try:
        desktop = connect(port, proc)
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
