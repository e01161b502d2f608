"""Domain errors. Each says what is wrong, where (sheet, cell, item) and how to fix it.

The doors (CLI, ribbon, checker) turn these into words for the user; none is ever shown
as a traceback.
"""

from __future__ import annotations


class XlflowError(Exception):
    """Base class: an error a user can act on. ``str(err)`` is the whole message."""


class CellError(XlflowError):
    """A value in a cell that cannot be read: names the sheet, the cell and the fix."""

    def __init__(self, sheet: str, cell: str, value: object, problem: str, fix: str = ""):
        self.sheet, self.cell, self.value, self.problem, self.fix = sheet, cell, value, problem, fix
        shown = f'"{value}"' if value not in (None, "") else "(empty)"
        msg = f"{sheet}!{cell}: {shown} {problem}"
        if fix:
            msg += f" — {fix}"
        super().__init__(msg)


class LogRowError(CellError):
    """A Log row that cannot be read (one of its cells). ``item`` is the item the row belongs
    to when its item cell can still be read ("" otherwise): that item's history is incomplete,
    so a reader that must be right about it (the checker) leaves it out and says why."""

    def __init__(self, sheet: str, cell: str, value: object, problem: str, fix: str = "", item: str = ""):
        super().__init__(sheet, cell, value, problem, fix)
        self.item = item


class RecordError(XlflowError, ValueError):
    """A record that checks itself (a letter, a Log entry) was built with a value it cannot hold."""


class ProblemList(XlflowError):
    """Several problems found at once (a Process or Calendar sheet edited into nonsense)."""

    def __init__(self, title: str, problems: list[str]):
        self.title, self.problems = title, list(problems)
        super().__init__(title + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class ProcessError(ProblemList):
    """The process table is inconsistent; every problem is listed with its cell."""


class CalendarError(ProblemList):
    """The Calendar sheet cannot be read; every problem is listed with its cell."""


class IllegalAction(XlflowError):
    """An action that the process does not allow for the item in its present state."""


class MissingField(IllegalAction):
    """A value the action needs was not given. Names the field; each door says how to give
    it in its own words (the command line's option, the ribbon's cell)."""

    def __init__(self, field: str, label: str, what: str):
        self.field, self.label, self.what = field, label, what
        super().__init__(f"{what} ({label})")

    def worded(self, how: str) -> str:
        """The message with the door's way of giving the field, e.g. ``give --subject``."""
        return f"{self} — {how}"


class NotPermitted(IllegalAction):
    """An action only some roles may take (closing an item early is the director's), asked
    by someone the People sheet does not give one of them. Names the roles and the person;
    each door says how the right person does it (the command line's ``--by``, the ribbon's
    own Windows user)."""

    def __init__(self, where: str, what: str, roles, by: str):
        self.where, self.what, self.roles, self.by = where, what, tuple(roles), by
        who = " or ".join(self.roles) if self.roles else "(no role in the process table)"
        super().__init__(f'{where}: only {who} may {what}, and "{by}" is not one of them in the People sheet')

    def worded(self, how: str) -> str:
        """The message with the door's way of acting as one of the roles."""
        return f"{self} — {how}"


class UnknownItem(XlflowError):
    """An item number that is not in the register."""


class DateError(XlflowError, ValueError):
    """A date or time that cannot be read, or is ambiguous."""


class OutsideCalendar(DateError):
    """A date outside the years the working calendar covers (one range, owned by
    :mod:`xlflow.worktime`, used by every reader). ``when`` is the date read, when known."""

    def __init__(self, message: str, when=None):
        super().__init__(message)
        self.when = when


class FutureTime(IllegalAction):
    """An action dated after now (beyond a small clock skew). Names the time and now; each
    door says how to enter one ahead on purpose."""

    def __init__(self, when, now, skew_minutes: int):
        from .thaidate import format_datetime  # (thaidate raises this module's errors)

        self.when, self.now, self.skew_minutes = when, now, skew_minutes
        super().__init__(
            f"{format_datetime(when)} is after now ({format_datetime(now)}): an action is dated when it was done, "
            f"and a later date would take the next registration number ahead of the letters in between"
        )


class WorkbookError(XlflowError):
    """The workbook cannot be opened, read or written (missing, corrupt, locked, open elsewhere)."""


class WorkbookBusy(WorkbookError):
    """Another program (Excel, LibreOffice or a second xlflow) holds the workbook."""


class SettingsError(XlflowError):
    """xlflow.toml is missing a value or holds one that cannot be used."""


class LogTampered(XlflowError):
    """The hash chain of the Log sheet is broken: a row was edited, inserted or deleted."""
