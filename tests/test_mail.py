"""Mail: real sends to an aiosmtpd server on loopback, and what arrived, parsed back."""

from __future__ import annotations

import email
import email.policy
import os
from datetime import datetime

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from smtp_fixtures import TLS_PASSWORD, TLS_USER, settings_for, smtp_server, smtp_tls_server  # noqa: F401

from xlflow.errors import SettingsError, XlflowError
from xlflow.mail import (
    DeliveryError,
    DeliveryResult,
    OutboxTransport,
    SmtpTransport,
    build_message,
    clean_subject,
    envelope_recipients,
    make_transport,
    send_and_record,
)
from xlflow.settings import Settings, SmtpSettings
from xlflow.statestore import StateStore

SUBJECT = "แจ้งเตือน: งานเกินกำหนด 3 เรื่อง / 3 items overdue"
TEXT = "เรียน คุณสมชาย\n\nงานเกินกำหนด 3 เรื่อง:\n- 12/2569 ขั้นตอน 2.1\n"
HTML = "<p>เรียน คุณสมชาย</p><ul><li>12/2569 ขั้นตอน 2.1</li></ul>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK = b"PK\x03\x04" + bytes(range(256)) * 40 + b"\r\n.\r\n\x00end"  # a dot line and CRLFs inside
SENDER = "สปร. วท. <pmqa@mol.go.th>"


def message(to=("สมชาย ใจดี <somchai@mol.go.th>",), subject=SUBJECT, **kw):
    return build_message(SENDER, list(to), subject, TEXT, HTML, **kw)


def parts(msg):
    return {p.get_content_type(): p for p in msg.walk() if not p.is_multipart()}


def body(part) -> str:
    """Text as sent: the wire form has CRLF line ends, which every mail reader shows as lines."""
    return part.get_content().replace("\r\n", "\n")


# ------------------------------------------------------------------------------ building

def test_built_message_is_alternative_text_and_html():
    msg = message()
    assert msg.get_content_type() == "multipart/alternative"
    p = parts(msg)
    assert p["text/plain"].get_content() == TEXT
    assert p["text/html"].get_content().strip() == HTML
    assert p["text/plain"].get_content_charset() == "utf-8"
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@mol.go.th>")
    assert msg["Date"] and msg["Auto-Submitted"] == "auto-generated"


def test_thai_headers_are_rfc2047_encoded():
    raw = message().as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert b"Subject: =?utf-8?" in head
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert back["Subject"] == SUBJECT
    assert back["From"].addresses[0].display_name == "สปร. วท."
    assert back["To"].addresses[0].addr_spec == "somchai@mol.go.th"


def test_attachments_make_it_mixed():
    msg = message(attachments=[("FY2569-R9.xlsx", WORKBOOK, XLSX)])
    assert msg.get_content_type() == "multipart/mixed"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["multipart/alternative", XLSX]
    att = next(msg.iter_attachments())
    assert att.get_filename() == "FY2569-R9.xlsx" and att.get_content() == WORKBOOK


def test_date_is_given_in_bangkok_time():
    msg = message(date=datetime(2026, 11, 27, 9, 0))
    assert msg["Date"] == "Fri, 27 Nov 2026 09:00:00 +0700"


@pytest.mark.parametrize("subject, clean", [
    ("Hello\r\nBcc: evil@example.com", "Hello Bcc: evil@example.com"),
    ("a\nb\rc\r\n\r\nd", "a b c d"),
    ("a\u2028b\x85c\x0bd\x00e", "a b c d e"),
    ("  spaced   out  ", "spaced out"),
])
def test_subject_line_breaks_become_spaces(subject, clean):
    assert clean_subject(subject) == clean
    msg = message(subject=subject)
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert back["Subject"] == clean
    assert back["Bcc"] is None


@pytest.mark.parametrize("bad", [
    "somchai@mol.go.th\r\nBcc: evil@example.com",
    "Somchai\n <somchai@mol.go.th>",
    "somchai@mol.go.th\r",
])
@pytest.mark.parametrize("role", ["to", "cc", "sender"])
def test_line_break_in_an_address_is_refused(bad, role):
    kwargs = {"to": ["a@mol.go.th"], "cc": (), "sender": SENDER}
    kwargs[role] = bad if role == "sender" else [bad]
    with pytest.raises(XlflowError) as e:
        build_message(kwargs["sender"], kwargs["to"], "s", "t", "<p>t</p>", cc=kwargs["cc"])
    assert "line break" in str(e.value) and "could add a header" in str(e.value)


@pytest.mark.parametrize("bad", ["somchai", "@mol.go.th", "somchai@", "a@b@c", ""])
def test_not_an_address_is_refused(bad):
    with pytest.raises(XlflowError) as e:
        build_message(SENDER, [bad], "s", "t", "<p>t</p>")
    assert str(e.value) == f"the recipient address {bad!r} is not an e-mail address — correct it in the register"


def test_no_recipient_is_refused():
    with pytest.raises(XlflowError, match="at least one recipient"):
        build_message(SENDER, [], "s", "t", "<p>t</p>")


def test_recipients_are_deduplicated_across_to_and_cc():
    msg = message(to=["a@mol.go.th", "A@MOL.GO.TH"], cc=["a@mol.go.th", "b@mol.go.th"])
    assert envelope_recipients(msg) == ["a@mol.go.th", "b@mol.go.th"]


def test_attachment_name_cannot_break_its_header():
    msg = message(attachments=[("evil\r\nX-Injected: 1\\..\\x.xlsx", b"data", XLSX)])
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    att = next(back.iter_attachments())
    assert att.get_filename() == "evil X-Injected_ 1_.._x.xlsx"
    assert all(p["X-Injected"] is None for p in back.walk())


# ---------------------------------------------------------------------------- real sends

def test_send_arrives_whole(smtp_server):
    msg = message(cc=["ผอ. <director@mol.go.th>"], attachments=[("ผลประเมิน FY2569-R9.xlsx", WORKBOOK, XLSX)])
    result = SmtpTransport(settings_for(smtp_server)).send(msg)
    assert result == DeliveryResult(accepted=["somchai@mol.go.th", "director@mol.go.th"], refused={},
                                    message_id=msg["Message-ID"])
    [got] = smtp_server.received
    assert got.mail_from == "pmqa@mol.go.th"
    assert got.rcpt_tos == ["somchai@mol.go.th", "director@mol.go.th"]
    m = got.message
    assert m["Subject"] == SUBJECT
    assert m["Message-ID"] == msg["Message-ID"]
    assert m["Cc"].addresses[0].display_name == "ผอ."
    p = parts(m)
    assert body(p["text/plain"]) == TEXT
    assert body(p["text/html"]).strip() == HTML
    att = next(m.iter_attachments())
    assert att.get_filename() == "ผลประเมิน FY2569-R9.xlsx"
    assert att.get_content_type() == XLSX
    assert att.get_content() == WORKBOOK


def test_newline_in_subject_cannot_add_a_header_on_the_wire(smtp_server):
    msg = message(subject="Overdue\r\nBcc: evil@example.com\r\nX-Evil: 1")
    SmtpTransport(settings_for(smtp_server)).send(msg)
    [got] = smtp_server.received
    assert got.rcpt_tos == ["somchai@mol.go.th"]
    assert got.message["Bcc"] is None and got.message["X-Evil"] is None
    assert got.message["Subject"] == "Overdue Bcc: evil@example.com X-Evil: 1"
    assert b"\r\nBcc:" not in got.raw and b"\nX-Evil:" not in got.raw


def test_one_refused_recipient_does_not_stop_the_others(smtp_server):
    smtp_server.refuse_recipient("gone@mol.go.th", 550)
    msg = message(to=["somchai@mol.go.th", "gone@mol.go.th", "malee@mol.go.th"])
    result = SmtpTransport(settings_for(smtp_server)).send(msg)
    assert result.accepted == ["somchai@mol.go.th", "malee@mol.go.th"]
    assert list(result.refused) == ["gone@mol.go.th"]
    code, text = result.refused["gone@mol.go.th"]
    assert code == 550 and "mailbox unavailable" in text
    assert smtp_server.received[0].rcpt_tos == ["somchai@mol.go.th", "malee@mol.go.th"]


def test_all_refused_permanently(smtp_server):
    smtp_server.refuse_recipient("gone@mol.go.th", 550)
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_server)).send(message(to=["gone@mol.go.th"]))
    err = e.value
    assert err.temporary is False and err.code == 550
    assert list(err.refused) == ["gone@mol.go.th"]
    assert str(err) == (
        f"the SMTP server 127.0.0.1:{smtp_server.port} refused every recipient: gone@mol.go.th (550 5.1.1 "
        f"<gone@mol.go.th>: mailbox unavailable) — correct the e-mail addresses in the register")
    assert smtp_server.received == []


def test_all_refused_for_now_is_temporary(smtp_server):
    smtp_server.refuse_recipient("busy@mol.go.th", 450)
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_server)).send(message(to=["busy@mol.go.th"]))
    assert e.value.temporary is True and e.value.refused["busy@mol.go.th"][0] == 450


def test_421_at_connect_is_temporary(smtp_server):
    smtp_server.fail_next_connect_with(421)
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_server)).send(message())
    assert e.value.temporary is True and e.value.code == 421
    assert str(e.value) == (
        f"the SMTP server 127.0.0.1:{smtp_server.port} is not accepting mail right now (421 4.3.2 test server: "
        f"service not available, closing channel) — the checker will try again on its next run")
    # and the next try goes through
    SmtpTransport(settings_for(smtp_server)).send(message())
    assert len(smtp_server.received) == 1


def test_451_to_mail_from_is_temporary(smtp_server):
    smtp_server.fail_next_mail_with(451)
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_server)).send(message())
    assert e.value.temporary is True and e.value.code == 451
    assert "refused the sender pmqa@mol.go.th" in str(e.value)


def test_server_down_is_temporary_and_names_host_and_port(smtp_server):
    smtp_server.stop()
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_server)).send(message())
    assert e.value.temporary is True
    assert f"127.0.0.1:{smtp_server.port}" in str(e.value)
    assert str(e.value).startswith(f"cannot connect to the SMTP server 127.0.0.1:{smtp_server.port} (")
    smtp_server.start()
    SmtpTransport(settings_for(smtp_server)).send(message())
    assert len(smtp_server.received) == 1


def test_disconnect_after_data_is_a_delivery_error(smtp_server):
    smtp_server.disconnect_after_data()
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_server)).send(message())
    assert e.value.temporary is True
    assert "closed the connection unexpectedly" in str(e.value)
    assert len(smtp_server.dropped) == 1 and smtp_server.received == []


def test_timeout_is_temporary(tmp_path):
    import socket

    with socket.socket() as listener:  # accepts the connection, never says hello
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        s = Settings(book_path=tmp_path / "b.xlsx",
                     smtp=SmtpSettings(host="127.0.0.1", port=port, security="none", sender="a@b.go.th", timeout=0.3))
        with pytest.raises(DeliveryError) as e:
            SmtpTransport(s).send(message())
    assert e.value.temporary is True
    assert str(e.value) == (f"the SMTP server 127.0.0.1:{port} did not answer within 0.3 s — the checker will "
                            f"try again on its next run")


def test_session_keeps_one_connection(smtp_server):
    with SmtpTransport(settings_for(smtp_server)) as t:
        assert smtp_server.connections == 0  # lazy
        for n in range(3):
            t.send(message(subject=f"{SUBJECT} #{n}"))
    assert smtp_server.connections == 1
    assert [g.message["Subject"] for g in smtp_server.received] == [f"{SUBJECT} #{n}" for n in range(3)]


def test_without_session_each_send_connects_and_quits(smtp_server):
    t = SmtpTransport(settings_for(smtp_server))
    t.send(message())
    t.send(message())
    assert smtp_server.connections == 2


def test_session_reconnects_after_the_server_dropped_it(smtp_server):
    with SmtpTransport(settings_for(smtp_server)) as t:
        t.send(message(subject="one"))
        smtp_server.stop()
        smtp_server.start()
        t.send(message(subject="two"))
    assert [g.message["Subject"] for g in smtp_server.received] == ["one", "two"]
    assert smtp_server.connections == 2


def test_session_survives_a_failed_send(smtp_server):
    smtp_server.disconnect_after_data()
    with SmtpTransport(settings_for(smtp_server)) as t:
        with pytest.raises(DeliveryError):
            t.send(message(subject="one"))
        t.send(message(subject="two"))
    assert [g.message["Subject"] for g in smtp_server.received] == ["two"]


def test_starttls_required_but_not_offered(smtp_server):
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_server, security="starttls")).send(message())
    assert e.value.temporary is False
    assert str(e.value).startswith(f"the SMTP server 127.0.0.1:{smtp_server.port} does not offer STARTTLS")


def test_transport_needs_a_host(tmp_path):
    with pytest.raises(SettingsError):
        SmtpTransport(Settings(book_path=tmp_path / "b.xlsx"))


# ------------------------------------------------------------------------- STARTTLS, login

@pytest.fixture
def tls_password(monkeypatch):
    monkeypatch.setenv("XLFLOW_TEST_SMTP_PASSWORD", TLS_PASSWORD)


def test_starttls_with_login(smtp_tls_server, tls_password):
    result = SmtpTransport(settings_for(smtp_tls_server)).send(message())
    assert result.accepted == ["somchai@mol.go.th"]
    assert smtp_tls_server.received[0].message["Subject"] == SUBJECT


def test_wrong_password_never_shows_it(smtp_tls_server, monkeypatch):
    secret = "wrong-but-secret-Pa55"
    monkeypatch.setenv("XLFLOW_TEST_SMTP_PASSWORD", secret)
    settings = settings_for(smtp_tls_server)
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings).send(message())
    err = e.value
    assert str(err) == (f"the SMTP server 127.0.0.1:{smtp_tls_server.port} refused the login for user {TLS_USER} "
                        f"— check XLFLOW_TEST_SMTP_PASSWORD")
    assert err.temporary is False and err.code == 535
    assert err.__cause__ is None and err.__suppress_context__
    for text in (str(err), repr(err), repr(err.args), repr(settings), str(settings)):
        assert secret not in text
    assert smtp_tls_server.received == []


def test_missing_password_variable(smtp_tls_server, monkeypatch):
    monkeypatch.delenv("XLFLOW_TEST_SMTP_PASSWORD", raising=False)
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_tls_server)).send(message())
    assert str(e.value).startswith(
        f"[smtp] username is {TLS_USER} but the environment variable XLFLOW_TEST_SMTP_PASSWORD is not set")
    assert e.value.temporary is False


def test_non_ascii_password_is_explained_not_shown(smtp_tls_server, monkeypatch):
    monkeypatch.setenv("XLFLOW_TEST_SMTP_PASSWORD", "รหัสลับ123")
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_tls_server)).send(message())
    assert "non-English character" in str(e.value)
    assert "ร" not in str(e.value) and e.value.__cause__ is None


def test_untrusted_certificate_is_refused(smtp_tls_server, tls_password):
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_tls_server, cafile=None)).send(message())
    assert e.value.temporary is False
    assert str(e.value).startswith(f"the certificate of the SMTP server 127.0.0.1:{smtp_tls_server.port} "
                                   f"cannot be trusted (")
    assert "set [smtp] cafile" in str(e.value)
    assert smtp_tls_server.received == []


def test_verification_can_be_switched_off(smtp_tls_server, tls_password):
    SmtpTransport(settings_for(smtp_tls_server, cafile=None, verify_certificate=False)).send(message())
    assert len(smtp_tls_server.received) == 1


def test_plain_connection_to_a_tls_only_server_gets_no_mail_through(smtp_tls_server, tls_password):
    with pytest.raises(DeliveryError) as e:
        SmtpTransport(settings_for(smtp_tls_server, security="none", username=None)).send(message())
    assert e.value.temporary is False and e.value.code == 530


# ---------------------------------------------------------------------------------- outbox

def test_outbox_writes_parseable_eml(tmp_path):
    box = tmp_path / "outbox"
    t = OutboxTransport(box)
    m1 = message(to=["สมชาย <somchai@mol.go.th>", "malee@mol.go.th"], attachments=[("r.xlsx", WORKBOOK, XLSX)])
    m2 = message(subject="second")
    r1, r2 = t.send(m1), t.send(m2)
    assert r1.accepted == ["somchai@mol.go.th", "malee@mol.go.th"] and r1.refused == {}
    assert r1.message_id == m1["Message-ID"]
    files = sorted(box.iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    assert not [f for f in os.listdir(box) if f.startswith(".tmp")]
    assert "_somchai@mol.go.th_" in files[0].name
    back = {f.name: email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files}
    subjects = sorted(m["Subject"] for m in back.values())
    assert subjects == sorted([SUBJECT, "second"])
    first = next(m for m in back.values() if m["Subject"] == SUBJECT)
    assert next(first.iter_attachments()).get_content() == WORKBOOK
    assert body(parts(first)["text/plain"]) == TEXT


def test_outbox_that_cannot_be_written(tmp_path):
    blocker = tmp_path / "outbox"
    blocker.write_text("a file, not a folder")
    with pytest.raises(DeliveryError) as e:
        OutboxTransport(blocker).send(message())
    assert str(e.value).startswith(f"cannot write the e-mail to the outbox folder {blocker} (")


def test_make_transport(tmp_path, smtp_server):
    plain = Settings(book_path=tmp_path / "b.xlsx")
    t = make_transport(plain)
    assert isinstance(t, OutboxTransport) and t.folder == tmp_path / "outbox"
    assert isinstance(make_transport(settings_for(smtp_server)), SmtpTransport)


# ------------------------------------------------------------------------ send and record

def test_send_and_record_records_only_what_was_accepted(smtp_server, tmp_path):
    keys = ["12/2569|2.1|0|overdue", "13/2569|3.1|0|due_soon"]
    smtp_server.refuse_recipient("gone@mol.go.th", 550)
    with StateStore(tmp_path / "state.sqlite") as store:
        t = SmtpTransport(settings_for(smtp_server))
        msg = message(to=["somchai@mol.go.th", "gone@mol.go.th"])
        send_and_record(t, store, msg, keys, datetime(2026, 11, 27, 9, 0))
        assert store.pending(keys, "somchai@mol.go.th") == []
        assert store.pending(keys, "gone@mol.go.th") == keys


@pytest.mark.parametrize("failure", ["421", "down", "disconnect"])
def test_failed_send_records_nothing(smtp_server, tmp_path, failure):
    keys = ["12/2569|2.1|0|overdue"]
    if failure == "421":
        smtp_server.fail_next_connect_with(421)
    elif failure == "down":
        smtp_server.stop()
    else:
        smtp_server.disconnect_after_data()
    with StateStore(tmp_path / "state.sqlite") as store:
        with pytest.raises(DeliveryError):
            send_and_record(SmtpTransport(settings_for(smtp_server)), store, message(), keys)
        assert store.pending(keys, "somchai@mol.go.th") == keys
        assert not store.was_sent(keys[0], "somchai@mol.go.th")


_THAI_WORDS = ["เรื่อง", "เตือนซ้ำ", "เกินกำหนด", "ใกล้วันกำหนดตอบ", "1", "23", "/", "overdue,", "reminders", "ผอ.วท.", "ก่อน"]


@hsettings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(_THAI_WORDS), min_size=1, max_size=40))
def test_a_thai_subject_keeps_every_space_through_folding(words):
    """Python's own folding dropped the space between two Thai words at a fold
    ("1 เรื่องเตือนซ้ำ"): the Subject comes back word for word, in lines of at most 78."""
    from xlflow.mail import build_message

    subject = "xlflow: " + " ".join(words)
    raw = build_message("a@mol.go.th", ["b@mol.go.th"], subject, "t", "<p>t</p>").as_bytes()
    head = raw.split(b"\r\n\r\n")[0].decode("ascii")
    assert max(len(line) for line in head.split("\r\n")) <= 78
    assert str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"]) == subject
