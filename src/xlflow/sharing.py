"""Replace a file on Windows although another program holds it for a moment.

Why: on Windows a file that Excel, an antivirus scanner, the search indexer or a sync
client (OneDrive) has open cannot be renamed over or linked: ``os.replace`` fails with
*WinError 32* (sharing violation), *33* (lock violation) or *5* (access denied, what
``MoveFileEx`` reports when the target is open without delete sharing). A scanner lets go
within a second; Excel does not until the file is closed. So the step is retried briefly
and then reported in words, never as "read-only" or a traceback.

Only the step that touches an existing file is wrapped (the rename over it, the backup
link or copy of it): by then the temporary file was written in the same folder, so an
access-denied there is the target being held, not a folder without permission. On
POSIX systems these errors do not exist (``winerror`` is absent) and nothing is retried.

>>> call_retrying_sharing(os.replace, tmp, path)          # doctest: +SKIP
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, TypeVar

#: ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION.
SHARING_WINERRORS = frozenset({5, 32, 33})
#: Waits between attempts (seconds): about 2.5 s in all, long enough for a virus scan of a
#: register, short enough for a clerk waiting on a command.
RETRY_DELAYS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.6, 0.75)

#: What every door says when the file stays held (the words of issue 19).
IN_USE = "the file is in use by another program (Excel, antivirus?)"

T = TypeVar("T")

#: How to wait between attempts (the tests replace it, not ``time.sleep`` itself).
wait: Callable[[float], None] = time.sleep


def is_sharing_violation(error: BaseException) -> bool:
    """True for the Windows errors of a file held open by another program."""
    return isinstance(error, OSError) and getattr(error, "winerror", None) in SHARING_WINERRORS


def call_retrying_sharing(fn: Callable[..., T], *args, sleep: Callable[[float], None] | None = None) -> T:
    """``fn(*args)``, tried again after each of :data:`RETRY_DELAYS` while it fails with a
    sharing violation; the last such error is raised as it is (the caller words it)."""
    sleep = sleep or wait
    for delay in (*RETRY_DELAYS, None):
        try:
            return fn(*args)
        except OSError as e:
            if delay is None or not is_sharing_violation(e):
                raise
        sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def make_folder(folder: Path, cannot: Callable[[OSError], Exception], not_folder: Callable[[], Exception]) -> None:
    """Make ``folder`` (and its parents) for a file about to be written there; the door's own
    words when it cannot be made (``cannot(error)``) or is a file (``not_folder()``)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise cannot(e) from None
    if not folder.is_dir():
        raise not_folder()
