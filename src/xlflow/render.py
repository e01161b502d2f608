"""Workbooks to PDF: the printable forms and the evaluation, through LibreOffice headless,
or through Excel (xlwings) on a Windows PC that has Excel but no LibreOffice.

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

Which program: :func:`choose_renderer` takes LibreOffice when it is found (``XLFLOW_SOFFICE``,
the PATH, the usual install places) -- the same on every PC and in the tests; else, on
Windows with Excel installed, Excel through xlwings (``Book.to_pdf``: Excel opens each
workbook read-only in a hidden instance and exports every sheet with its own page setup);
else a :class:`RenderError` that says what to install. The choice is told once per call
through :data:`notice` (a line on stderr: ``xlflow: PDF by LibreOffice (…)`` or
``xlflow: PDF by Excel (…)``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

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
    """No PDF program, or LibreOffice / Excel failed or did not finish converting a workbook."""


@dataclass(frozen=True)
class Renderer:
    """The program that makes the PDFs: ``"LibreOffice"`` (with its soffice) or ``"Excel"``."""

    name: str
    program: Path | None = None

    def __str__(self) -> str:
        if self.name == "Excel":
            return "Excel (through xlwings; LibreOffice is not installed)"
        return f"LibreOffice ({self.program})"


def _say_on_stderr(text: str) -> None:
    print(f"xlflow: {text}", file=sys.stderr, flush=True)


#: Where the renderer choice is told; a door may point it elsewhere (it receives one line).
notice: Callable[[str], None] = _say_on_stderr


#: The font the forms and the evaluation are set in (the office's standard Thai font).
FONT = "TH Sarabun New"


def font_stand_in(font: str = FONT, shown: str = "the PDF is set in") -> str | None:
    """Where ``font`` is not installed, the words that say which font LibreOffice draws
    instead (fontconfig's choice), so that a PDF in a look-alike is never passed off as the
    original; None when it is installed or fontconfig cannot say. ``shown``: what is drawn
    in the stand-in, in words that end before its name."""
    import shutil
    import subprocess

    fc = shutil.which("fc-match")
    if fc is None:
        return None
    try:
        got = subprocess.run([fc, font, "family"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    family = got.split(",")[0].strip()
    if not family or family.casefold() == font.casefold():
        return None
    return f"{font} is not installed here; {shown} {family} instead (install {font} for the office's own font)"


def on_windows() -> bool:
    return sys.platform == "win32"


def excel_installed() -> bool:
    """Excel is registered for automation on this Windows PC (the key xlwings' ``App()``
    starts it by); False elsewhere."""
    if not on_windows():
        return False
    try:
        import winreg
    except ImportError:
        return False
    try:
        with winreg.OpenKey(winreg.HKEY_CLASSES_ROOT, r"Excel.Application\CLSID"):
            return True
    except OSError:
        return False


def choose_renderer() -> Renderer:
    """LibreOffice if found, else Excel on Windows when installed, else :class:`RenderError`.

    A wrong ``XLFLOW_SOFFICE`` is an error, not a reason to fall back: it was set on purpose.
    """
    try:
        return Renderer("LibreOffice", find_soffice())
    except RenderError:
        if os.environ.get("XLFLOW_SOFFICE") or not on_windows():
            raise
        if not excel_installed():
            raise RenderError(
                "neither LibreOffice nor Excel is installed — PDFs are made with LibreOffice headless, or on "
                "Windows with Excel: install Excel or LibreOffice (libreoffice.org; or set XLFLOW_SOFFICE to "
                "its soffice.exe); the .xlsx files were written without PDFs"
            ) from None
        return Renderer("Excel")


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
        "LibreOffice is not installed (no soffice on the PATH) — PDFs are made with LibreOffice headless "
        "(or, on Windows, with Excel): install it (Debian/Ubuntu: sudo apt-get install libreoffice-calc "
        "fonts-thai-tlwg; Windows: libreoffice.org), or set XLFLOW_SOFFICE to its soffice program; "
        "the .xlsx files were written without PDFs"
    )


def to_pdf(files: list[Path], out_dir: Path, timeout: float = TIMEOUT) -> list[Path]:
    """Convert each workbook in ``files`` to ``out_dir/<stem>.pdf``: in one LibreOffice run, or
    with Excel where LibreOffice is missing (:func:`choose_renderer`, told through :data:`notice`).

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
    renderer = choose_renderer()
    notice(f"PDF by {renderer}")
    if renderer.name != "Excel":
        stand_in = font_stand_in()
        if stand_in:
            notice(stand_in)
    targets = [out_dir / f"{s}.pdf" for s in stems]
    for t in targets:  # a stale PDF must not pass for a fresh one
        if t.exists():
            try:
                t.unlink()
            except OSError as e:
                raise RenderError(f"{t}: the old PDF cannot be replaced ({e.strerror or e}) — "
                                  "close it in the PDF viewer and try again") from None
    if renderer.name == "Excel":
        return _excel_to_pdf(files, targets)
    return _libreoffice_to_pdf(renderer.program, files, targets, out_dir, timeout)


def _libreoffice_to_pdf(soffice: Path, files: list[Path], targets: list[Path], out_dir: Path,
                        timeout: float) -> list[Path]:
    """One ``soffice --convert-to pdf`` run for all ``files`` into ``out_dir``."""
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


def _excel_to_pdf(files: list[Path], targets: list[Path]) -> list[Path]:
    """Each workbook to its PDF with Excel, through xlwings (``Book.to_pdf``).

    Needs Windows with Excel; it cannot run in this project's tests (Linux, no Excel), which
    check the choice of renderer and this function's calls against a stand-in for xlwings.
    One hidden Excel instance of its own (never the clerk's open Excel), no alerts, each
    workbook opened read-only and closed without saving, the instance quit in ``finally``.
    Every failure becomes a :class:`RenderError` naming the file.
    """
    try:
        import xlwings as xw
    except ImportError:
        raise RenderError("xlwings is not installed, so Excel cannot make the PDFs — "
                          "reinstall xlflow (pip install xlflow) or install LibreOffice") from None
    try:
        app = xw.App(visible=False, add_book=False)
    except Exception as e:  # noqa: BLE001 - COM errors have no common class outside Windows
        raise RenderError(f"Excel could not be started to make the PDFs ({e}) — check that Excel "
                          "opens on this PC, or install LibreOffice") from None
    try:
        app.display_alerts = False
        for source, target in zip(files, targets):
            book = None
            try:
                book = app.books.open(str(source), update_links=False, read_only=True)
                book.to_pdf(str(target), show=False)
            except Exception as e:  # noqa: BLE001
                raise RenderError(f"Excel did not convert {source.name} to PDF ({e}) — open the file "
                                  "in Excel to see whether it is damaged") from None
            finally:
                if book is not None:
                    try:
                        book.close()
                    except Exception:  # noqa: BLE001 - already failing or closed
                        pass
    finally:
        try:
            app.quit()
        except Exception:  # noqa: BLE001
            pass
    missing = [f for f, t in zip(files, targets) if not t.is_file() or t.stat().st_size == 0]
    if missing:
        raise RenderError(f"Excel did not write a PDF of {', '.join(f.name for f in missing)} — "
                          "open the file in Excel and print it to PDF to see why")
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
