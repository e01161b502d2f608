"""Write the add-in's VBA modules as files, for the fallback: an add-in made by Excel itself.

Why: if the built ``xlflow.xlam`` does not work on a PC, the office can make the add-in in
Excel (README, "If the built add-in does not work: the fallback") by importing three
files into an empty workbook saved as an Excel Add-in. This writes exactly those files, as
the VBA editor's *File → Import File…* reads them (code page 1252, CRLF):

* ``xlflow.bas`` -- the ribbon callbacks and their parameterless macros;
* ``xlwings.bas`` -- xlwings' module for custom add-ins (``xlwings_custom_addin.bas`` of the
  installed xlwings) with ``PROJECT_NAME`` set to ``xlflow``, as ``xlflow addin build`` puts it in;
* ``Dictionary.cls`` -- the class that module uses on the Mac, as xlwings ships it.

Usage (the folder is made if needed)::

    py -m xlflow.addin.export "%USERPROFILE%\\Documents\\xlflow\\vba"

Needs only xlwings (not the ``addin`` extra).
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import build


def export_modules(folder: Path) -> list[Path]:
    """Write the three files into ``folder`` and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    modules = build.vba_modules(addin=True)
    dictionary = build._read_vba_file(build._xlwings_dir() / "addin" / "Dictionary.cls")
    files = {
        "xlflow.bas": modules[build.MODULE_NAME],
        "xlwings.bas": modules["xlwings"],
        "Dictionary.cls": dictionary,  # with its VERSION/BEGIN header: the VBA editor needs it
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_bytes(text.encode(build.CODEPAGE))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m xlflow.addin.export FOLDER", file=sys.stderr)
        return 2
    try:
        for path in export_modules(Path(argv[0])):
            print(f"wrote {path}")
    except (OSError, ValueError) as e:
        print(f"Error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
