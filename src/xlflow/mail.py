"""Mail delivery: build a safe e-mail, send it over SMTP or drop it in an outbox folder.

``build_message`` makes a multipart/alternative text + HTML message (UTF-8, Thai subjects
and names RFC 2047-encoded), with attachments in a multipart/mixed around it. No value
can add a header: a line break in the subject becomes a space, one in an address or the
sender is refused.

A :class:`Transport` sends one message and returns a :class:`DeliveryResult` naming the
recipients the server accepted and those it refused; when nothing at all was delivered it
raises :class:`DeliveryError`, whose ``temporary`` says whether trying again later can help
(server down, 421, timeout) or not (5xx, wrong password, bad certificate).

Two transports: :class:`SmtpTransport` (smtplib, STARTTLS/SSL with certificate checks) and
:class:`OutboxTransport` (one ``.eml`` file per message, used when ``[smtp] host`` is not
set). :func:`make_transport` picks one from the settings; :func:`send_and_record` sends and
records in the state store only what the server accepted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import smtplib
import socket
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Iterable, Protocol, Sequence
from zoneinfo import ZoneInfo

from .errors import SettingsError, XlflowError
from .settings import Settings

BKK = ZoneInfo("Asia/Bangkok")

# Characters that end a line somewhere (CR, LF, VT, FF, NEL, LS, PS, FS/GS/RS) and other
# control characters: none of them may reach a header.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


class DeliveryError(XlflowError):
    """Nothing was delivered. ``temporary``: trying again later may succeed.

    ``code`` is the SMTP reply code when the server gave one; ``refused`` maps each
    refused recipient to ``(code, text)`` when every recipient was refused.
    """

    def __init__(self, message: str, *, temporary: bool, code: int | None = None,
                 refused: dict[str, tuple[int, str]] | None = None):
        super().__init__(message)
        self.temporary, self.code, self.refused = temporary, code, dict(refused or {})


@dataclass
class DeliveryResult:
    """What the server took: at least one recipient accepted (else DeliveryError)."""

    accepted: list[str]
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)
    message_id: str | None = None


class Transport(Protocol):
    def send(self, msg: EmailMessage) -> DeliveryResult: ...


# ------------------------------------------------------------------------------- building

def clean_subject(subject: str) -> str:
    """One line: every line break or control character becomes a space, runs collapse."""
    return " ".join(_CONTROL.sub(" ", str(subject)).split())


def encoded_subject(subject: str) -> str:
    """A Subject header's value, folded by hand when it is not ASCII: base64 encoded-words
    (RFC 2047) of at most 42 bytes of UTF-8 each, every space inside a word.

    Why: Python's own folding (3.11) may put the space between two Thai words outside the
    encoded-words at a fold, where a reader must drop it ("1 เรื่องเตือนซ้ำ"). Each line
    here is at most 77 characters with "Subject: " before the first, so it is sent as it is.
    """
    if subject.isascii():
        return subject
    words, chunk = [], b""
    for ch in subject:
        b = ch.encode("utf-8")
        if len(chunk) + len(b) > 42:
            words.append(chunk)
            chunk = b""
        chunk += b
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode('ascii')}?=" for w in words)


def _address(value: object, role: str) -> Address:
    if not isinstance(value, (str, Address)):
        raise XlflowError(f"the {role} address {value!r} is not text — give an e-mail address such as pmqa@mol.go.th")
    text = str(value)
    if _CONTROL.search(text):
        raise XlflowError(
            f"the {role} address {text!r} contains a line break or control character, which could "
            f"add a header to the e-mail — correct the address in the register"
        )
    name, addr = parseaddr(text)
    if not addr or addr.count("@") != 1 or addr.startswith("@") or addr.endswith("@") or " " in addr:
        raise XlflowError(f"the {role} address {text!r} is not an e-mail address — correct it in the register")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as e:
        raise XlflowError(f"the {role} address {text!r} is not an e-mail address ({e}) — correct it in the register") from None


def _addresses(values: Iterable[object], role: str, seen: set[str]) -> list[Address]:
    if isinstance(values, (str, Address)):
        values = [values]
    out = []
    for v in values:
        a = _address(v, role)
        if a.addr_spec.lower() not in seen:
            seen.add(a.addr_spec.lower())
            out.append(a)
    return out


def _filename(name: str) -> str:
    name = _CONTROL.sub(" ", str(name))
    name = re.sub(r'[\\/:*?"<>|]', "_", name)
    return " ".join(name.split()) or "attachment"


def build_message(
    sender: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str,
    cc: Sequence[str] = (),
    attachments: Sequence[tuple[str, bytes, str]] = (),
    *,
    date: datetime | None = None,
) -> EmailMessage:
    """A text + HTML e-mail; ``attachments`` are ``(file name, bytes, MIME type)``.

    Raises :class:`XlflowError` for an address that is not one, or that holds a line break.
    """
    seen: set[str] = set()
    frm = _address(sender, "sender")
    to_list = _addresses(to, "recipient", seen)
    cc_list = _addresses(cc, "cc", seen)
    if not to_list:
        raise XlflowError("an e-mail needs at least one recipient — give the officer's e-mail address in the register")
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = frm
    msg["To"] = to_list
    if cc_list:
        msg["Cc"] = cc_list
    msg.set_raw("Subject", encoded_subject(clean_subject(subject)))
    when = date or datetime.now(BKK)
    if when.tzinfo is None:
        when = when.replace(tzinfo=BKK)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid("xlflow", domain=frm.domain or "localhost")
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    for name, data, mime in attachments:
        maintype, _, subtype = (mime or "application/octet-stream").partition("/")
        if not subtype or _CONTROL.search(mime):
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=_filename(name))
    return msg


def envelope_recipients(msg: EmailMessage) -> list[str]:
    """The bare addresses of To, Cc and Bcc, each once, in order."""
    values = [str(v) for h in ("To", "Cc", "Bcc") for v in msg.get_all(h, [])]
    out, seen = [], set()
    for _, addr in getaddresses(values):
        if addr and addr.lower() not in seen:
            seen.add(addr.lower())
            out.append(addr)
    return out


# ------------------------------------------------------------------------------------ SMTP

def _text(resp: bytes | str) -> str:
    if isinstance(resp, bytes):
        resp = resp.decode("utf-8", "replace")
    return " ".join(resp.split())


def _temporary(code: int) -> bool:
    return not 500 <= code < 600


class SmtpTransport:
    """Sends through the ``[smtp]`` server.

    Used as ``with SmtpTransport(settings) as t:`` it connects on the first ``send`` and
    keeps the connection for the following ones (checked with NOOP, reopened if the server
    dropped it), quitting at the end. Without ``with`` every ``send`` connects and quits.
    """

    def __init__(self, settings: Settings):
        if not settings.smtp_configured:
            raise SettingsError("xlflow.toml has no [smtp] host — add one, or deliver to the outbox folder")
        self.settings = settings
        self.smtp = settings.smtp
        self.where = f"{self.smtp.host}:{self.smtp.port}"
        self._conn: smtplib.SMTP | None = None
        self._session = False

    def __enter__(self) -> SmtpTransport:
        self._session = True
        return self

    def __exit__(self, *exc: object) -> None:
        self._session = False
        self.close()

    def close(self) -> None:
        """QUIT politely if connected; never raises."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            conn.close()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _context(self) -> ssl.SSLContext:
        cafile = str(self.smtp.cafile) if self.smtp.cafile else None
        ctx = ssl.create_default_context(cafile=cafile)
        if not self.smtp.verify_certificate:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        conn: smtplib.SMTP
        # Host given to the constructor: it connects, raises SMTPConnectError unless the
        # greeting is 220, and remembers the host name that TLS checks the certificate for.
        if s.security == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.security == "starttls":
                conn.ehlo()
                if not conn.has_extn("starttls"):
                    raise DeliveryError(
                        f"the SMTP server {self.where} does not offer STARTTLS — set security = \"ssl\" "
                        f"(usually port 465), or ask IT which security the server uses",
                        temporary=False,
                    )
                conn.starttls(context=self._context())
                conn.ehlo()
            if s.username:
                self._login(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _login(self, conn: smtplib.SMTP) -> None:
        env = self.smtp.password_env
        user = self.smtp.username
        password = self.settings.password()
        if password is None:
            raise DeliveryError(
                f"[smtp] username is {user} but the environment variable {env} is not set — set it "
                f'to the mailbox password (on Windows: setx {env} "...") and start the checker again',
                temporary=False,
            )
        try:
            conn.login(user, password)
        except smtplib.SMTPAuthenticationError as e:
            raise DeliveryError(
                f"the SMTP server {self.where} refused the login for user {user} — check {env}",
                temporary=_temporary(e.smtp_code), code=e.smtp_code,
            ) from None
        except UnicodeEncodeError:
            raise DeliveryError(
                f"the password in {env} holds a non-English character, which the SMTP client "
                f"cannot send — use a password of English letters, digits and symbols",
                temporary=False,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError(
                f"the SMTP server {self.where} does not accept a login here — check security "
                f'(most servers need security = "starttls" or "ssl" before a login)',
                temporary=False,
            ) from None
        finally:
            password = None
            conn.password = ""  # smtplib keeps it on the object after login

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            try:
                if self._conn.noop()[0] == 250:
                    return self._conn
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        self._conn = self._connect()
        return self._conn

    def send(self, msg: EmailMessage) -> DeliveryResult:
        rcpts = envelope_recipients(msg)
        if not rcpts:
            raise DeliveryError("the e-mail has no recipient", temporary=False)
        try:
            conn = self._connection()
            refused_raw = conn.send_message(msg, to_addrs=rcpts)
        except DeliveryError:
            self._drop()
            raise
        except Exception as e:
            self._drop()
            err = self._error(e)
            if err is None:
                raise
            raise err from None
        finally:
            if not self._session:
                self.close()
        refused = {r: (code, _text(resp)) for r, (code, resp) in refused_raw.items()}
        accepted = [r for r in rcpts if r not in refused]
        return DeliveryResult(accepted=accepted, refused=refused, message_id=msg["Message-ID"])

    def _error(self, e: Exception) -> DeliveryError | None:
        """The words for a failed send; None for an exception that is a bug, not delivery."""
        w, again = self.where, "the checker will try again on its next run"
        if isinstance(e, smtplib.SMTPRecipientsRefused):
            refused = {r: (code, _text(resp)) for r, (code, resp) in e.recipients.items()}
            temp = any(_temporary(c) for c, _ in refused.values())
            listed = ", ".join(f"{r} ({c} {t})" for r, (c, t) in refused.items())
            fix = again if temp else "correct the e-mail addresses in the register"
            return DeliveryError(f"the SMTP server {w} refused every recipient: {listed} — {fix}",
                                 temporary=temp, refused=refused,
                                 code=next(iter(refused.values()))[0] if refused else None)
        if isinstance(e, smtplib.SMTPSenderRefused):
            temp = _temporary(e.smtp_code)
            return DeliveryError(
                f"the SMTP server {w} refused the sender {e.sender} ({e.smtp_code} {_text(e.smtp_error)}) — "
                + (again if temp else "check [smtp] sender: it must be a mailbox the login may send as"),
                temporary=temp, code=e.smtp_code)
        if isinstance(e, smtplib.SMTPConnectError):
            return DeliveryError(
                f"the SMTP server {w} is not accepting mail right now ({e.smtp_code} {_text(e.smtp_error)}) — {again}",
                temporary=_temporary(e.smtp_code), code=e.smtp_code)
        if isinstance(e, smtplib.SMTPResponseException):
            temp = _temporary(e.smtp_code)
            return DeliveryError(
                f"the SMTP server {w} refused the e-mail ({e.smtp_code} {_text(e.smtp_error)}) — "
                + (again if temp else "the message was not sent; see the server's reason"),
                temporary=temp, code=e.smtp_code)
        if isinstance(e, smtplib.SMTPServerDisconnected) and isinstance(e.__context__, TimeoutError):
            e = e.__context__  # smtplib words a read timeout as "Connection unexpectedly closed"
        if isinstance(e, smtplib.SMTPServerDisconnected):
            return DeliveryError(
                f"the SMTP server {w} closed the connection unexpectedly, before confirming the "
                f"e-mail — it may not have been delivered; {again}", temporary=True)
        if isinstance(e, smtplib.SMTPNotSupportedError):
            return DeliveryError(f"the SMTP server {w} cannot take this e-mail ({e}) — ask IT about the server",
                                 temporary=False)
        if isinstance(e, ssl.SSLCertVerificationError):
            return DeliveryError(
                f"the certificate of the SMTP server {w} cannot be trusted ({e.verify_message}) — if the "
                f"server uses an internal certificate, set [smtp] cafile to its CA file (PEM); "
                f"verify_certificate = false only as a last resort", temporary=False)
        if isinstance(e, ssl.SSLError):
            return DeliveryError(
                f"the secure connection to {w} failed ({e.reason or e}) — check that security matches "
                f'the port (465: "ssl", 587: "starttls")', temporary=False)
        if isinstance(e, (socket.timeout, TimeoutError)):
            return DeliveryError(f"the SMTP server {w} did not answer within {self.smtp.timeout:g} s — {again}",
                                 temporary=True)
        if isinstance(e, socket.gaierror):
            return DeliveryError(
                f"cannot find the SMTP server {w} ({e.strerror or e}) — check [smtp] host and the "
                f"network; {again}", temporary=True)
        if isinstance(e, OSError):
            return DeliveryError(
                f"cannot connect to the SMTP server {w} ({e.strerror or e}) — check that it is up and "
                f"that [smtp] host and port are right; {again}", temporary=True)
        if isinstance(e, smtplib.SMTPException):
            return DeliveryError(f"sending through {w} failed ({e}) — {again}", temporary=True)
        return None


# ---------------------------------------------------------------------------------- outbox

class OutboxTransport:
    """Writes each message as an ``.eml`` file (opens in Outlook/Thunderbird); accepts everyone.

    The file appears whole or not at all (written to a temporary file, then renamed).
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __enter__(self) -> OutboxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, msg: EmailMessage) -> DeliveryResult:
        rcpts = envelope_recipients(msg)
        if not rcpts:
            raise DeliveryError("the e-mail has no recipient", temporary=False)
        data = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
        stamp = datetime.now(BKK).strftime("%Y%m%d-%H%M%S-%f")
        who = re.sub(r"[^A-Za-z0-9._@-]+", "_", rcpts[0])[:60].strip("._") or "recipient"
        digest = hashlib.sha256(data).hexdigest()[:8]
        target = self.folder / f"{stamp}_{who}_{digest}.eml"
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=self.folder)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
            tmp = None
        except OSError as e:
            raise DeliveryError(
                f"cannot write the e-mail to the outbox folder {self.folder} ({e.strerror or e}) — "
                f"check that the folder exists and can be written",
                temporary=not isinstance(e, PermissionError),
            ) from None
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        return DeliveryResult(accepted=rcpts, refused={}, message_id=msg["Message-ID"])


def make_transport(settings: Settings) -> SmtpTransport | OutboxTransport:
    """The outbox when ``[check] outbox`` is set (a dry run) or no ``[smtp] host``; else SMTP."""
    if settings.check.outbox is not None or not settings.smtp_configured:
        return OutboxTransport(settings.outbox_folder)
    return SmtpTransport(settings)


# ----------------------------------------------------------------------------- recording

class SentLog(Protocol):
    def record_sent_to(self, keys: Sequence[str], recipients: Sequence[str], message_id: str,
                       at: datetime) -> None: ...


def send_and_record(transport: Transport, store: SentLog, msg: EmailMessage, keys: Sequence[str],
                    at: datetime | None = None) -> DeliveryResult:
    """Send ``msg`` and, only once the server accepted it, record ``keys`` for the accepted recipients.

    A :class:`DeliveryError` records nothing, and a refused recipient is not recorded, so the
    next run tries them again.
    """
    result = transport.send(msg)
    if result.accepted and keys:
        store.record_sent_to(keys, result.accepted, result.message_id or "", at or datetime.now(BKK))
    return result
