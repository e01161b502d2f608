"""Which xlwings the add-in was built with, and a click's check against the installed one.

Why: ``xlflow.xlam`` carries the VBA module of the xlwings that built it
(``xlwings_custom_addin.bas``, with ``XLWINGS_VERSION`` and, for the "USE UDF SERVER"
setting, ``Declare ... Lib "xlwings64-<version>.dll"``), while the Python that a click
starts imports whatever xlwings is installed. The two are made for each other; after an
upgrade on one side only, buttons can fail in ways that name neither version.

So :func:`xlflow.addin.build.build_addin` records the version twice: in the add-in's title
(``docProps/core.xml``, what Excel shows in File → Options → Add-ins) and in a hidden
workbook name, :data:`VERSION_NAME`. At a click, xlwings' ``RunPython`` has put the folder
of the add-in on ``sys.path`` together with ``<add-in name>.zip``
(``xlwings.utils.prepare_sys_path``, from the VBA ``ThisWorkbook.FullName``);
:func:`check_addin_xlwings` finds the add-in file from that entry, reads the hidden name
from the file (no call into Excel) and raises :class:`AddinVersionMismatch` with the fix
when it differs from ``xlwings.__version__``. A workbook without the name (an add-in made
by hand in Excel, the register itself) is not checked.

This module needs only the standard library and xlwings: it runs on every clerk's PC, where
the add-in builder (the ``addin`` extra) is not installed.

>>> check_addin_xlwings()            # doctest: +SKIP   (first line of a ribbon macro)
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path
from typing import Iterable

from ..errors import XlflowError

#: The hidden workbook name that holds the xlwings version the add-in was built with.
VERSION_NAME = "xlflow_xlwings_version"

_DEFINED = re.compile(
    r'<definedName\b[^>]*\bname="' + VERSION_NAME + r'"[^>]*>\s*"([^"<]*)"\s*</definedName>')


class AddinVersionMismatch(XlflowError):
    """The add-in was built with another xlwings than the one the clicked Python has."""

    def __init__(self, addin: Path, built: str, installed: str):
        self.addin, self.built, self.installed = Path(addin), built, installed
        super().__init__(
            f"the xlflow add-in {self.addin.name} was built with xlwings {built}, but the Python "
            f"it starts has xlwings {installed}; the buttons need the two to be the same. Nothing "
            "was changed — ask whoever installed xlflow to build the add-in again with that Python "
            f"(step 3 of the guide, over {self.addin}), then open Excel again"
        )


def installed_xlwings() -> str:
    """The version of the xlwings this Python imports."""
    import xlwings

    return xlwings.__version__


def built_with(addin: Path) -> str | None:
    """The xlwings version recorded in an add-in file, or None (no such name, not a
    workbook, cannot be read)."""
    try:
        with zipfile.ZipFile(addin) as package:
            workbook = package.read("xl/workbook.xml").decode("utf-8", "replace")
    except (OSError, KeyError, zipfile.BadZipFile, ValueError):
        return None
    match = _DEFINED.search(workbook)
    return match.group(1) if match else None


def addins_on_sys_path(path: Iterable[str] | None = None) -> list[Path]:
    """The workbooks xlwings' ``RunPython`` put on ``sys.path``: for each ``<name>.zip``
    entry, the ``<name>.xlam`` (or ``.xlsm``) beside it that exists."""
    found: list[Path] = []
    for entry in sys.path if path is None else path:
        if not entry or not entry.lower().endswith(".zip"):
            continue
        for suffix in (".xlam", ".xlsm"):
            try:
                candidate = Path(entry).with_suffix(suffix)
                is_file = candidate.is_file()
            except (OSError, ValueError):  # an entry that is no usable path: not ours
                continue
            if is_file and candidate not in found:
                found.append(candidate)
    return found


def check_addin_xlwings(addins: Iterable[Path] | None = None, installed: str | None = None) -> None:
    """Raise :class:`AddinVersionMismatch` if the add-in that started this click was built
    with another xlwings than the installed one. Call it first in every ribbon macro.

    ``addins`` defaults to :func:`addins_on_sys_path`; ``installed`` to the imported
    xlwings' version. Says nothing when no add-in with a recorded version is found.
    """
    installed = installed or installed_xlwings()
    for addin in addins_on_sys_path() if addins is None else addins:
        built = built_with(Path(addin))
        if built is not None and built != installed:
            raise AddinVersionMismatch(Path(addin), built, installed)
