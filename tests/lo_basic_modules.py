"""Open a workbook in LibreOffice headless and print the Basic modules LibreOffice imported.

Run with the system Python that has LibreOffice's ``uno`` module (not the project venv)::

    /usr/bin/python3 tests/lo_basic_modules.py BOOK.xlsm            # {"library": ["module", ...]}
    /usr/bin/python3 tests/lo_basic_modules.py --source BOOK.xlsm   # {"library": {"module": "source"}}
    /usr/bin/python3 tests/lo_basic_modules.py --filter "Calc MS Excel 2007 VBA XML" BOOK.xlam

Prints one JSON object, library name -> module names (or -> module -> source text as
LibreOffice holds it, with ``--source``). Only ``doc.BasicLibraries`` is read; no macro
runs (MacroExecutionMode is left at its default). ``--filter`` names the import filter
instead of letting LibreOffice detect the type (it has no file type for ``.xlam``).

soffice runs with its own profile (``-env:UserInstallation``) in a temporary folder, is
reached over a named pipe unique to this run, and is terminated at the end (its process
group killed if it will not stop). The whole run has a deadline (``--timeout``, default
120 s) so a wedged office cannot hang the tests; exit code 3 means the deadline passed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import uuid
from pathlib import Path

from lo_office import connect, prop, start_office, stop_office  # noqa: E402  (needs uno: system Python)


class Deadline(Exception):
    pass


def basic_modules(doc, with_source: bool) -> dict:
    libraries = doc.BasicLibraries
    out: dict = {}
    for lib_name in libraries.getElementNames():
        if not libraries.isLibraryLoaded(lib_name):
            libraries.loadLibrary(lib_name)
        lib = libraries.getByName(lib_name)
        names = list(lib.getElementNames())
        out[lib_name] = {n: lib.getByName(n) for n in names} if with_source else names
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", type=Path)
    parser.add_argument("--source", action="store_true", help="print module sources too")
    parser.add_argument("--filter", help="import filter name, e.g. 'Calc MS Excel 2007 VBA XML'")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    book = args.book.resolve()
    if not book.is_file():
        print(f"no such file: {book}", file=sys.stderr)
        return 2

    def expire(signum, frame):
        raise Deadline

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)

    profile = Path(tempfile.mkdtemp(prefix="xlflow-lo-basic-"))
    pipe = f"xlflow-basic-{uuid.uuid4().hex}"
    proc = start_office(profile, f"pipe,name={pipe}")
    desktop = None
    try:
        desktop = connect(f"pipe,name={pipe}", proc)
        load = [prop("Hidden", True), prop("ReadOnly", True)]
        if args.filter:
            load.append(prop("FilterName", args.filter))
        doc = desktop.loadComponentFromURL(book.as_uri(), "_blank", 0, tuple(load))
        if doc is None:
            print(f"LibreOffice could not open {book}", file=sys.stderr)
            return 1
        try:
            result = basic_modules(doc, args.source)
        finally:
            doc.close(True)
        print(json.dumps(result, ensure_ascii=False))
        return 0
    except Deadline:
        print(f"LibreOffice did not finish within {args.timeout:.0f} s", file=sys.stderr)
        return 3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        stop_office(desktop, proc)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
