"""A real SMTP server on loopback (aiosmtpd) that records what it receives and fails on demand.

Use from any test file::

    from smtp_fixtures import settings_for, smtp_server          # plain SMTP
    from smtp_fixtures import settings_for, smtp_tls_server      # STARTTLS + login

    def test_x(smtp_server):
        transport = SmtpTransport(settings_for(smtp_server))
        ...
        got = smtp_server.received[0]          # Received(mail_from, rcpt_tos, message, raw)

Failure switches: ``fail_next_connect_with(421)`` (greeting 421, then close),
``fail_next_mail_with(451)``, ``refuse_recipient("x@...", 550)``,
``disconnect_after_data()`` (the data arrives, the connection is cut before the reply),
``stop()`` / ``start()`` (an outage: nothing listens on the port).

``smtp_tls_server`` requires STARTTLS and a login (user ``xlflow``, password
``TLS_PASSWORD``) with a self-signed certificate made at test time by ``cryptography``,
else by ``openssl req``; the test is skipped when neither is available.
"""

from __future__ import annotations

import collections
import dataclasses
import email
import email.policy
import ipaddress
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from xlflow.settings import Settings, SmtpSettings

HOST = "127.0.0.1"
TLS_USER = "xlflow"
TLS_PASSWORD = "Corr3ct-Horse-Battery"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class _Plan:
    connect_failures: collections.deque = field(default_factory=collections.deque)
    mail_failures: collections.deque = field(default_factory=collections.deque)
    refused: dict[str, int] = field(default_factory=dict)
    disconnect_after_data: int = 0


class RecordingHandler:
    """aiosmtpd handler: stores each envelope; refuses and fails as planned."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.dropped: list[Received] = []  # arrived, but the connection was cut before the reply
        self.connections = 0
        self.plan = _Plan()
        self.lock = threading.Lock()

    def take(self, queue: collections.deque) -> int | None:
        with self.lock:
            return queue.popleft() if queue else None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        code = self.take(self.plan.mail_failures)
        if code is not None:
            return f"{code} 4.7.1 test server: try again later"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.plan.refused.get(address.lower())
        if code is not None:
            text = "mailbox unavailable" if code >= 500 else "mailbox busy, try later"
            return f"{code} {code // 100}.1.1 <{address}>: {text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        got = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            raw=raw,
            message=email.message_from_bytes(raw, policy=email.policy.default),
        )
        with self.lock:
            cut = self.plan.disconnect_after_data > 0
            if cut:
                self.plan.disconnect_after_data -= 1
        if cut:
            self.dropped.append(got)
            server.transport.abort()  # gone before the 250: the client never hears back
            return "250 OK (never sent)"
        self.received.append(got)
        return "250 OK queued"


class _SMTP(SMTP):
    async def _handle_client(self):
        handler: RecordingHandler = self.event_handler
        with handler.lock:
            handler.connections += 1
        code = handler.take(handler.plan.connect_failures)
        if code is not None:
            await self.push(f"{code} 4.3.2 test server: service not available, closing channel")
            self.transport.close()
            return
        await super()._handle_client()


class _Controller(Controller):
    def factory(self):
        return _SMTP(self.handler, **self.SMTP_kwargs)


class SmtpTestServer:
    """One aiosmtpd server on 127.0.0.1 and a free port; ``stop``/``start`` keep the port."""

    host = HOST

    def __init__(self, **smtp_kwargs) -> None:
        self.handler = RecordingHandler()
        self.port = _free_port()
        self.smtp_kwargs = smtp_kwargs
        self.cafile: Path | None = None  # set for a TLS server
        self._controller: _Controller | None = None

    # -- life
    def start(self) -> None:
        if self._controller is not None:
            return
        before = self.handler.connections
        c = _Controller(self.handler, hostname=self.host, port=self.port, **self.smtp_kwargs)
        c.start()  # its readiness probe connects and reads the greeting before returning
        self._controller = c
        with self.handler.lock:
            self.handler.connections = before  # the probe is not a client

    def stop(self) -> None:
        c, self._controller = self._controller, None
        if c is not None:
            c.stop()

    @property
    def running(self) -> bool:
        return self._controller is not None

    # -- what arrived
    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def dropped(self) -> list[Received]:
        return self.handler.dropped

    @property
    def connections(self) -> int:
        return self.handler.connections

    # -- failures on demand
    def fail_next_connect_with(self, code: int = 421, times: int = 1) -> None:
        with self.handler.lock:
            self.handler.plan.connect_failures.extend([code] * times)

    def fail_next_mail_with(self, code: int = 451, times: int = 1) -> None:
        with self.handler.lock:
            self.handler.plan.mail_failures.extend([code] * times)

    def refuse_recipient(self, address: str, code: int = 550) -> None:
        self.handler.plan.refused[address.lower()] = code

    def disconnect_after_data(self, times: int = 1) -> None:
        with self.handler.lock:
            self.handler.plan.disconnect_after_data += times


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def settings_for(server: SmtpTestServer, book_path: Path | None = None, **smtp) -> Settings:
    """Settings pointing at ``server``: security "none" (or "starttls" + cafile for a TLS server)."""
    book = book_path or Path(tempfile.gettempdir()) / "xlflow-test" / "register.xlsx"
    values = dict(host=server.host, port=server.port, security="none", sender="pmqa@mol.go.th",
                  timeout=5.0)
    if server.cafile is not None:
        values.update(security="starttls", cafile=server.cafile, username=TLS_USER,
                      password_env="XLFLOW_TEST_SMTP_PASSWORD")
    values.update(smtp)
    return Settings(book_path=book, smtp=dataclasses.replace(SmtpSettings(), **values))


# ----------------------------------------------------------------------------- certificates

def make_self_signed(folder: Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem) for CN=localhost, SAN localhost + 127.0.0.1; skips if impossible."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    except ImportError:
        pass
    else:
        k = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.now(timezone.utc)
        ski = x509.SubjectKeyIdentifier.from_public_key(k.public_key())
        c = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(k.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(k, hashes.SHA256())
        )
        cert.write_bytes(c.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
        return cert, key
    openssl = shutil.which("openssl")
    if openssl:
        r = subprocess.run(
            [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
             "-addext", f"subjectAltName=DNS:localhost,IP:{HOST}"],
            capture_output=True, timeout=60,
        )
        if r.returncode == 0:
            return cert, key
    pytest.fail("no way to make a test certificate: install cryptography (a dependency of msoffcrypto-tool) or openssl")


# --------------------------------------------------------------------------------- fixtures

@pytest.fixture
def smtp_server():
    server = SmtpTestServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == TLS_USER.encode() \
        and auth_data.password == TLS_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535


@pytest.fixture
def smtp_tls_server(tmp_path_factory):
    cert, key = make_self_signed(tmp_path_factory.mktemp("tls"))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    server = SmtpTestServer(tls_context=ctx, require_starttls=True, authenticator=_authenticator,
                            auth_required=True, auth_require_tls=True)
    server.cafile = cert
    server.start()
    try:
        yield server
    finally:
        server.stop()
