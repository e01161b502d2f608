"""Start, reach and stop LibreOffice headless over UNO: shared by the tests' office scripts.

Imported by scripts run with the system Python that has LibreOffice's ``uno`` module
(``/usr/bin/python3 tests/lo_recalc.py …``; the script's folder is on ``sys.path``).
``where`` is a UNO connection spec: ``"pipe,name=NAME"`` or ``"socket,host=127.0.0.1,port=N"``.
soffice runs with its own profile (``-env:UserInstallation``) in its own process group, so
that it can be killed whole if it will not stop.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def start_office(profile: Path, where: str) -> subprocess.Popen:
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    return subprocess.Popen(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
            f"--accept={where};urp;StarOffice.ComponentContext",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def connect(where: str, proc: subprocess.Popen, timeout: float | None = None):
    """The office's Desktop, once soffice accepts; ``SystemExit`` if it dies or times out."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            ctx = resolver.resolve(f"uno:{where};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if proc.poll() is not None:
                raise SystemExit(f"soffice exited with code {proc.returncode} before accepting a connection")
            if deadline is not None and time.monotonic() > deadline:
                raise SystemExit(f"soffice did not accept a connection within {timeout:.0f} s")
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
