"""Settings of the checker and of mail delivery, read from ``xlflow.toml`` beside the workbook.

The file is optional: without it every value has a default and mail goes to an outbox
folder instead of an SMTP server. A complete file looks like this::

    [smtp]
    host = "smtp.mol.go.th"
    port = 587                     # 587 with starttls, 465 with ssl, 25 with none
    security = "starttls"          # "starttls" | "ssl" | "none"
    username = "pmqa@mol.go.th"
    password_env = "XLFLOW_SMTP_PASSWORD"   # the NAME of the variable, not the password
    sender = "pmqa@mol.go.th"
    verify_certificate = true
    timeout = 30                   # seconds
    # cafile = 'C:\\certs\\mol-root.pem'   # only for a server with an internal certificate

    [check]
    due_soon_minutes = 60          # warn when this many working minutes are left ...
    due_soon_fraction = 0.25       # ... or this share of the standard, whichever is more
    office_hours_only = true
    reply_by_warn_days = 2
    every_minutes = 30
    log_file = "xlflow-check.log"
    state_file = ".xlflow-state.sqlite"
    # outbox = "outbox"            # write .eml files here instead of sending

    [followup]
    remind_every_days = 1          # remind again each working day an item stays late (0: never)
    escalate_at = [2, 4]           # escalate at these multiples of the sub-step's standard ...
    escalate_to = ["ผอ.วท.", "ผอ.สปร."]   # ... to the holders of these roles (one per multiple)
    escalate_floor_days = 1        # a standard shorter than this many working days counts as that

    [rounds]
    months = [9, 12]
    folder = "evaluations"
    name_pattern = "FY{fy}-R{round}.xlsx"

Relative paths are taken from the workbook's folder. The password is never in the file:
it is read from the environment variable named by ``password_env`` when mail is sent,
so it appears in no repr, no log and no error message. A ``password`` key in the file is
refused, and so is any key xlflow does not know (with the nearest valid one suggested),
because a misspelt key silently ignored is a reminder silently not sent.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import SettingsError

CONFIG_NAME = "xlflow.toml"
DEFAULT_PASSWORD_ENV = "XLFLOW_SMTP_PASSWORD"
SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".xltx", ".xltm", ".xlam"})


@dataclass(frozen=True)
class SmtpSettings:
    """``[smtp]``: where and how mail is sent. No host means "write to the outbox"."""

    host: str | None = None
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password_env: str = DEFAULT_PASSWORD_ENV
    sender: str | None = None
    verify_certificate: bool = True
    timeout: float = 30.0
    cafile: Path | None = None


@dataclass(frozen=True)
class CheckSettings:
    """``[check]``: when an item counts as due soon, how often the checker runs, its files."""

    due_soon_minutes: int = 60
    due_soon_fraction: float = 0.25
    office_hours_only: bool = True
    reply_by_warn_days: int = 2
    every_minutes: int = 30
    log_file: Path = Path("xlflow-check.log")
    state_file: Path = Path(".xlflow-state.sqlite")
    outbox: Path | None = None


@dataclass(frozen=True)
class FollowupSettings:
    """``[followup]``: reminders while an item stays late, and escalation to the directors
    past multiples of its standard (see :mod:`xlflow.checks`)."""

    remind_every_days: int = 1
    escalate_at: tuple[int, ...] = (2, 4)
    escalate_to: tuple[str, ...] = ("ผอ.วท.", "ผอ.สปร.")
    escalate_floor_days: float = 1.0

    @property
    def escalate(self) -> tuple[tuple[int, str], ...]:
        """(multiple, role) pairs, lowest first."""
        return tuple(zip(self.escalate_at, self.escalate_to))


@dataclass(frozen=True)
class RoundSettings:
    """``[rounds]``: which evaluation rounds the checker delivers (6, 9, 12 months of the
    fiscal year; the manual names 9 and 12), and where their workbooks go."""

    months: tuple[int, ...] = (9, 12)
    folder: Path = Path("evaluations")
    name_pattern: str = "FY{fy}-R{round}.xlsx"

    def file_name(self, fy: int, round: int) -> str:
        """The evaluation workbook's file name, e.g. ``FY2569-R9.xlsx``."""
        return self.name_pattern.format(fy=fy, round=round)

    def path(self, fy: int, round: int) -> Path:
        return self.folder / self.file_name(fy, round)


@dataclass(frozen=True)
class Settings:
    """Everything in ``xlflow.toml``; relative paths are made absolute beside the workbook.

    Holds no secret: :meth:`password` reads the environment each time it is called.
    """

    book_path: Path
    config_path: Path | None = None  # the xlflow.toml that was read; None: all defaults
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    check: CheckSettings = field(default_factory=CheckSettings)
    rounds: RoundSettings = field(default_factory=RoundSettings)
    followup: FollowupSettings = field(default_factory=FollowupSettings)

    def __post_init__(self) -> None:
        book = Path(self.book_path).absolute()
        here = book.parent

        def beside(p: Path | None) -> Path | None:
            return None if p is None else here / Path(p).expanduser()

        object.__setattr__(self, "book_path", book)
        object.__setattr__(self, "smtp", replace(self.smtp, cafile=beside(self.smtp.cafile)))
        object.__setattr__(
            self,
            "check",
            replace(
                self.check,
                log_file=beside(self.check.log_file),
                state_file=beside(self.check.state_file),
                outbox=beside(self.check.outbox),
            ),
        )
        object.__setattr__(self, "rounds", replace(self.rounds, folder=beside(self.rounds.folder)))

    @property
    def book_dir(self) -> Path:
        return self.book_path.parent

    @property
    def smtp_configured(self) -> bool:
        """True when ``[smtp] host`` is set; otherwise mail goes to the outbox folder."""
        return bool(self.smtp.host)

    @property
    def sender(self) -> str:
        """The From address: ``[smtp] sender``, else a username that is an address."""
        if self.smtp.sender:
            return self.smtp.sender
        if self.smtp.username and "@" in self.smtp.username:
            return self.smtp.username
        return "xlflow@localhost"

    @property
    def outbox_folder(self) -> Path:
        """Where :class:`~xlflow.mail.OutboxTransport` writes: ``[check] outbox`` or ``outbox``."""
        return self.check.outbox if self.check.outbox is not None else self.book_dir / "outbox"

    def password(self) -> str | None:
        """The SMTP password from the environment variable ``[smtp] password_env`` (None if unset)."""
        return os.environ.get(self.smtp.password_env) or None


# --------------------------------------------------------------------------------- loading

_SECTIONS: dict[str, tuple[str, ...]] = {
    "smtp": (
        "host", "port", "security", "username", "password_env", "sender",
        "verify_certificate", "timeout", "cafile",
    ),
    "check": (
        "due_soon_minutes", "due_soon_fraction", "office_hours_only", "reply_by_warn_days",
        "every_minutes", "log_file", "state_file", "outbox",
    ),
    "rounds": ("months", "folder", "name_pattern"),
    "followup": ("remind_every_days", "escalate_at", "escalate_to", "escalate_floor_days"),
}
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PASSWORD_WORDS = ("password", "passwd", "passwort", "pwd", "secret")


def _looks_like_password(key: str) -> bool:
    k = key.lower()
    return k != "password_env" and (k == "pass" or any(w in k for w in _PASSWORD_WORDS))


def _unknown(key: str, valid: tuple[str, ...], where: str) -> SettingsError:
    near = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f"did you mean '{near[0]}'? Valid keys: " if near else "valid keys: "
    return SettingsError(f"unknown key '{key}' {where} — {hint}{', '.join(valid)}")


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "(a table)"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Section:
    """Reads and checks the values of one table; every error names the file, table and key."""

    def __init__(self, name: str, table: dict[str, Any]):
        self.name, self.table = name, table

    def error(self, key: str, problem: str, fix: str, *, show_value: bool = True) -> SettingsError:
        shown = f"{_show(self.table[key])} " if show_value else ""
        return SettingsError(f"{CONFIG_NAME} [{self.name}] {key}: {shown}{problem} — {fix}")

    def has(self, key: str) -> bool:
        return key in self.table

    def text(self, key: str, default: str | None, *, example: str) -> str | None:
        if key not in self.table:
            return default
        v = self.table[key]
        if not isinstance(v, str):
            raise self.error(key, "is not text", f'write it in quotes, e.g. {key} = "{example}"')
        if any(c in v for c in "\r\n"):
            raise self.error(key, "contains a line break", "write it on one line", show_value=False)
        v = v.strip()
        return v or None

    def integer(self, key: str, default: int, *, lo: int, hi: int | None = None, example: int) -> int:
        if key not in self.table:
            return default
        v = self.table[key]
        if isinstance(v, str) or isinstance(v, bool) or not isinstance(v, int):
            raise self.error(key, "is not a whole number", f"write a number without quotes, e.g. {key} = {example}")
        if v < lo or (hi is not None and v > hi):
            rng = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
            raise self.error(key, "is out of range", f"write a whole number {rng}, e.g. {key} = {example}")
        return v

    def number(self, key: str, default: float, *, lo: float, hi: float, lo_open: bool = False,
               example: float) -> float:
        if key not in self.table:
            return default
        v = self.table[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise self.error(key, "is not a number", f"write a number without quotes, e.g. {key} = {example}")
        if v != v or v > hi or v < lo or (lo_open and v == lo):
            low = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
            raise self.error(key, "is out of range", f"write a number {low} and at most {hi:g}, e.g. {key} = {example}")
        return float(v)

    def boolean(self, key: str, default: bool) -> bool:
        if key not in self.table:
            return default
        v = self.table[key]
        if not isinstance(v, bool):
            raise self.error(key, "is not true or false", f"write {key} = true or {key} = false, without quotes")
        return v

    def path(self, key: str, default: Path | None, *, example: str) -> Path | None:
        v = self.text(key, None, example=example)
        return default if v is None else Path(v)


def load_settings(book_path: Path) -> Settings:
    """Read ``xlflow.toml`` from the workbook's folder; defaults when there is none.

    Raises :class:`SettingsError` naming the key and the fix for anything it cannot use.
    """
    book = Path(book_path).absolute()
    path = book.parent / CONFIG_NAME
    if not path.exists():
        return Settings(book_path=book)
    if not path.is_file():
        raise SettingsError(f"{path} is not a file — remove it, or make it a text file of settings")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise SettingsError(f"cannot read {path}: {e.strerror or e} — check that the file can be opened") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SettingsError(
            f"{path} is not saved as UTF-8 — open it in Notepad and use Save As with Encoding UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        fix = "correct that line (text goes in quotes, true/false and numbers without)"
        if "\\" in str(e) or "escape" in str(e).lower():
            fix = r"""write Windows paths in single quotes, e.g. outbox = 'C:\xlflow\outbox'"""
        raise SettingsError(f"{CONFIG_NAME} is not valid TOML: {e} — {fix}") from None
    return _parse(data, book, path)


def _parse(data: dict[str, Any], book: Path, path: Path) -> Settings:
    # A password anywhere is refused first, before any message could show a value.
    env_name = DEFAULT_PASSWORD_ENV
    smtp_table = data.get("smtp")
    if isinstance(smtp_table, dict):
        pe = smtp_table.get("password_env")
        if isinstance(pe, str) and _ENV_NAME.match(pe):
            env_name = pe
    for key, value in data.items():
        found = [(key, None)] if _looks_like_password(key) else []
        if isinstance(value, dict):
            found += [(k, key) for k in value if _looks_like_password(k)]
        for k, section in found:
            where = f"in [{section}]" if section else "at the top"
            raise SettingsError(
                f"{CONFIG_NAME} must not hold a password ('{k}' {where}) — delete that line and put "
                f"the password in the environment variable {env_name} instead "
                f'(on Windows: setx {env_name} "..."); a file beside the workbook can be read by '
                f"anyone who can open the folder"
            )

    sections = tuple(_SECTIONS)
    for key, value in data.items():
        if key not in _SECTIONS:
            owner = next((s for s, keys in _SECTIONS.items() if key in keys), None)
            if owner is not None and not isinstance(value, dict):
                raise SettingsError(
                    f"key '{key}' in {CONFIG_NAME} belongs in the [{owner}] section — "
                    f"move it below a line [{owner}]"
                )
            raise _unknown(key, sections, f"in {CONFIG_NAME}")
        if not isinstance(value, dict):
            raise SettingsError(
                f"'{key}' in {CONFIG_NAME} must be a section — write a line [{key}] "
                f"followed by key = value lines, not {key} = ..."
            )
        for k in value:
            if k not in _SECTIONS[key]:
                raise _unknown(k, _SECTIONS[key], f"in [{key}] of {CONFIG_NAME}")

    smtp = _parse_smtp(_Section("smtp", data.get("smtp", {})), book)
    check = _parse_check(_Section("check", data.get("check", {})), book)
    rounds = _parse_rounds(_Section("rounds", data.get("rounds", {})))
    followup = _parse_followup(_Section("followup", data.get("followup", {})))
    return Settings(book_path=book, config_path=path, smtp=smtp, check=check, rounds=rounds, followup=followup)


def _parse_smtp(s: _Section, book: Path) -> SmtpSettings:
    d = SmtpSettings()
    host = s.text("host", None, example="smtp.mol.go.th")
    if host is not None and (any(c.isspace() for c in host) or "/" in host or host.count(":") == 1):
        raise s.error("host", "is not a server name",
                      'write only the name, e.g. host = "smtp.mol.go.th", and the port as port = 587')
    security = s.text("security", d.security, example="starttls") or d.security
    if security.lower() not in SECURITIES:
        raise s.error("security", "is not one of starttls, ssl, none",
                      'use security = "starttls" for port 587 or security = "ssl" for port 465')
    security = security.lower()
    port = s.integer("port", DEFAULT_PORTS[security], lo=1, hi=65535, example=DEFAULT_PORTS[security])
    username = s.text("username", None, example="pmqa@mol.go.th")
    if "password_env" in s.table:
        pe = s.table["password_env"]
        if not isinstance(pe, str) or not _ENV_NAME.match(pe.strip()):
            # Never echo this value: someone may have written the password itself here.
            raise s.error(
                "password_env", "is not the name of an environment variable",
                f"write the NAME of the variable that holds the password (letters, digits and _), "
                f'e.g. password_env = "{DEFAULT_PASSWORD_ENV}" — never the password itself',
                show_value=False,
            )
    password_env = (s.text("password_env", d.password_env, example=DEFAULT_PASSWORD_ENV) or d.password_env)
    sender = s.text("sender", None, example="pmqa@mol.go.th")
    if sender is not None and ("@" not in sender or any(c.isspace() for c in sender.rsplit("<", 1)[-1])):
        raise s.error("sender", "is not an e-mail address", 'write the From address, e.g. sender = "pmqa@mol.go.th"')
    if host and sender is None and not (username and "@" in username):
        raise SettingsError(
            f'{CONFIG_NAME} [smtp] has a host but no sender — add sender = "pmqa@mol.go.th" '
            f"(the address the reminders come from)"
        )
    if host and username and security == "none":
        raise SettingsError(
            f'{CONFIG_NAME} [smtp] security = "none" with a username would send the password '
            f'unencrypted — use security = "starttls" (port 587) or "ssl" (port 465)'
        )
    verify = s.boolean("verify_certificate", d.verify_certificate)
    timeout = s.number("timeout", d.timeout, lo=0, hi=600, lo_open=True, example=30)
    cafile = s.path("cafile", None, example="mol-root.pem")
    if cafile is not None:
        full = book.parent / cafile.expanduser()
        if not full.is_file():
            raise s.error("cafile", f"is not a file ({full} not found)",
                          "give the path of the PEM file holding the server's CA certificate, or remove the line")
    return SmtpSettings(host=host, port=port, security=security, username=username,
                        password_env=password_env.strip(), sender=sender, verify_certificate=verify,
                        timeout=timeout, cafile=cafile)


def _parse_check(s: _Section, book: Path) -> CheckSettings:
    d = CheckSettings()
    out = CheckSettings(
        due_soon_minutes=s.integer("due_soon_minutes", d.due_soon_minutes, lo=0, example=60),
        due_soon_fraction=s.number("due_soon_fraction", d.due_soon_fraction, lo=0, hi=1, example=0.25),
        office_hours_only=s.boolean("office_hours_only", d.office_hours_only),
        reply_by_warn_days=s.integer("reply_by_warn_days", d.reply_by_warn_days, lo=0, hi=365, example=2),
        every_minutes=s.integer("every_minutes", d.every_minutes, lo=1, hi=1440, example=30),
        log_file=s.path("log_file", d.log_file, example="xlflow-check.log"),
        state_file=s.path("state_file", d.state_file, example=".xlflow-state.sqlite"),
        outbox=s.path("outbox", None, example="outbox"),
    )
    for key in ("log_file", "state_file"):
        p: Path = getattr(out, key)
        full = book.parent / p.expanduser()
        if full == book or full.suffix.lower() in _EXCEL_SUFFIXES:
            default = getattr(d, key)
            raise s.error(key, "is a workbook",
                          f'xlflow keeps it in a file of its own beside the workbook, e.g. {key} = "{default}"')
    return out


def _parse_followup(s: _Section) -> FollowupSettings:
    d = FollowupSettings()
    every = s.integer("remind_every_days", d.remind_every_days, lo=0, hi=60, example=1)
    floor = s.number("escalate_floor_days", d.escalate_floor_days, lo=0, hi=60, example=1)
    at, to = d.escalate_at, d.escalate_to
    fix = 'list whole multiples of the standard, lowest first, e.g. escalate_at = [2, 4], with as many roles in escalate_to = ["ผอ.วท.", "ผอ.สปร."]'
    if s.has("escalate_at"):
        v = s.table["escalate_at"]
        if not isinstance(v, list) or any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in v):
            raise s.error("escalate_at", "is not a list of whole numbers of at least 1", fix)
        if v != sorted(set(v)):
            raise s.error("escalate_at", "is not in rising order without repeats", fix)
        at = tuple(v)
    if s.has("escalate_to"):
        v = s.table["escalate_to"]
        if not isinstance(v, list) or any(not isinstance(r, str) or not r.strip() for r in v):
            raise s.error("escalate_to", "is not a list of role names", fix)
        to = tuple(r.strip() for r in v)
    if len(at) != len(to):
        where = "escalate_at" if s.has("escalate_at") else "escalate_to"
        raise SettingsError(f"{CONFIG_NAME} [followup] {where}: escalate_at has {len(at)} multiple(s) and escalate_to "
                            f"{len(to)} role(s) — give one role per multiple, e.g. escalate_at = [2, 4] and "
                            f'escalate_to = ["ผอ.วท.", "ผอ.สปร."]')
    return FollowupSettings(remind_every_days=every, escalate_at=at, escalate_to=to, escalate_floor_days=floor)


def _parse_rounds(s: _Section) -> RoundSettings:
    d = RoundSettings()
    months = d.months
    if s.has("months"):
        v = s.table["months"]
        fix = "list the rounds to deliver, each 6, 9 or 12 (months into the fiscal year), e.g. months = [9, 12]"
        if not isinstance(v, list) or not v:
            raise s.error("months", "is not a list of rounds", fix)
        if any(isinstance(m, bool) or m not in (6, 9, 12) for m in v):
            raise s.error("months", "holds something that is not a round (6, 9 or 12)", fix)
        if len(set(v)) != len(v):
            raise s.error("months", "names a round twice", fix)
        months = tuple(sorted(v))
    folder = s.path("folder", d.folder, example="evaluations")
    pattern = s.text("name_pattern", d.name_pattern, example=d.name_pattern) or d.name_pattern
    fix = 'use {fy} for the fiscal year and {round} for the round month, e.g. name_pattern = "FY{fy}-R{round}.xlsx"'
    try:
        name = pattern.format(fy=2569, round=9)
    except (KeyError, IndexError, ValueError, AttributeError):
        raise s.error("name_pattern", "cannot be filled in", fix) from None
    if "{fy}" not in pattern or "{round}" not in pattern:
        raise s.error("name_pattern", "does not contain both {fy} and {round}",
                      "without them two rounds would overwrite one file; " + fix)
    if any(c in name for c in '/\\:*?"<>|'):
        raise s.error("name_pattern", "contains a character not allowed in a file name",
                      "name only the file here (the folder goes in folder = ...); " + fix)
    if not name.lower().endswith(".xlsx"):
        raise s.error("name_pattern", "does not end in .xlsx", fix)
    return RoundSettings(months=months, folder=folder, name_pattern=pattern)
