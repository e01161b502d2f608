"""Workbooks to PDF through LibreOffice headless: the printable forms and evaluation.

Why: the PMQA team files the appendix forms and the evaluation as PDF, and a PDF made by a
real spreadsheet program is the honest test that the page setup (A4, margins, print titles,
fit to width) and the Thai fonts survive outside Excel.

Each call runs one ``soffice --headless --convert-to pdf`` for all the files it is given
(LibreOffice starts once), with a private, throw-away user profile, so it neither touches
the user's own LibreOffice settings nor collides with a LibreOffice the user has open, and
with a timeout after which the whole process group is killed.

>>> to_pdf([Path("forms.xlsx")], Path("out"))          # doctest: +SKIP
[PosixPath('out/forms.pdf')]

``XLFLOW_SOFFICE`` names the program when it is not on the PATH.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .errors import XlflowError

#: Where LibreOffice lives when it is not on the PATH (Windows, macOS, Linux packages).
KNOWN_PLACES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
)
TIMEOUT = 180.0


class RenderError(XlflowError):
    """LibreOffice is missing, failed, or did not finish converting a workbook to PDF."""


def find_soffice() -> Path:
    """The LibreOffice program: ``XLFLOW_SOFFICE``, else ``soffice``/``libreoffice`` on the PATH,
    else a usual install place. Raises :class:`RenderError` saying how to install it."""
    env = os.environ.get("XLFLOW_SOFFICE")
    if env:
        p = Path(env)
        if p.is_file() and os.access(p, os.X_OK):
            return p
        raise RenderError(
            f'XLFLOW_SOFFICE is "{env}", which is not a program — point it at LibreOffice\'s soffice, '
            f"or unset it to search the PATH"
        )
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    for place in KNOWN_PLACES:
        if Path(place).is_file():
            return Path(place)
    raise RenderError(
        "LibreOffice is not installed (no soffice on the PATH) — PDFs are made with LibreOffice headless: "
        "install it (Debian/Ubuntu: sudo apt-get install libreoffice-calc fonts-thai-tlwg; Windows: libreoffice.org), "
        "or set XLFLOW_SOFFICE to its soffice program; the .xlsx files were written without PDFs"
    )


def to_pdf(files: list[Path], out_dir: Path, timeout: float = TIMEOUT) -> list[Path]:
    """Convert each workbook in ``files`` to ``out_dir/<stem>.pdf`` in one LibreOffice run.

    Every sheet of a workbook becomes pages of its PDF, with the sheet's own page setup.
    Returns the PDFs in the order of ``files``; raises :class:`RenderError` naming the file
    that did not convert.
    """
    files = [Path(f).resolve() for f in files]
    if not files:
        return []
    for f in files:
        if not f.is_file():
            raise RenderError(f"{f}: no such file to convert to PDF")
    stems = [f.stem for f in files]
    dup = {s for s in stems if stems.count(s) > 1}
    if dup:
        raise RenderError(f"two files would both become {sorted(dup)[0]}.pdf — give them different names")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RenderError(f"{out_dir}: cannot make the PDF folder ({e.strerror or e}) — choose a folder you can write") from None
    out_dir = out_dir.resolve()
    soffice = find_soffice()
    targets = [out_dir / f"{s}.pdf" for s in stems]
    for t in targets:  # a stale PDF must not pass for a fresh one
        if t.exists():
            t.unlink()
    with tempfile.TemporaryDirectory(prefix="xlflow-lo-") as profile:
        cmd = [
            str(soffice),
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            "--convert-to", "pdf", "--outdir", str(out_dir), *map(str, files),
        ]
        env = {**os.environ, "SAL_USE_VCLPLUGIN": "svp"}
        popen_kw: dict = {"start_new_session": True} if os.name == "posix" else {
            "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        }
        try:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env, **popen_kw)
        except OSError as e:
            raise RenderError(f"{soffice}: LibreOffice could not be started ({e.strerror or e}) — check the installation") from None
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise RenderError(
                f"LibreOffice did not finish converting {', '.join(f.name for f in files)} within {timeout:.0f} s — "
                f"it was stopped; try again, or convert fewer or smaller files"
            ) from None
    missing = [f for f, t in zip(files, targets) if not t.is_file() or t.stat().st_size == 0]
    if missing:
        said = (err or out or b"").decode("utf-8", "replace").strip().splitlines()
        raise RenderError(
            f"LibreOffice did not convert {', '.join(f.name for f in missing)} to PDF (exit code {proc.returncode}"
            f"{': ' + said[-1] if said else ''}) — open the file in LibreOffice to see whether it is damaged"
        )
    return targets


def _kill(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        pass
