"""Hostile text and secrets.

- Cell text that begins with ``=``, ``+``, ``-`` or ``@`` stays text wherever xlflow copies
  it (the Register, the evaluation workbook, the appendix forms) and is guarded in CSV text.
- A line break in a subject cannot add a mail header.
- The SMTP password (``XLFLOW_SMTP_PASSWORD``) is in no output, log, state file, workbook
  or sent message — whether the server takes it or refuses it.
- ``xlflow verify`` finds a Log row edited, inserted or deleted by hand, in exact words.
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

import fault_harness as h
from make_corpus import make_base
from smtp_fixtures import TLS_PASSWORD, TLS_USER, smtp_tls_server  # noqa: F401 (fixture)
from xlflow import book as bk
from xlflow import mail, service
from xlflow.cli import main
from xlflow.schema import SHEETS

NOW = "2026-11-25T11:00"
HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]


@pytest.fixture(scope="module")
def base(tmp_path_factory, request) -> Path:
    h.install_summary(request.config)
    return make_base(tmp_path_factory.mktemp("security") / "Coordination_Register.xlsx")


@pytest.fixture
def book(base, tmp_path) -> Path:
    return Path(shutil.copy(base, tmp_path / "Coordination_Register.xlsx"))


def register_hostile(book: Path) -> dict[str, str]:
    """Register one letter per hostile subject (and sender); returns item → subject."""
    out = {}
    for i, text in enumerate(HOSTILE):
        code, printed, exc = h.run_cli("register", book, "--subject", text, "--from", text, "--at", f"2026-11-25T10:{10 + i:02d}", "--by", "clerk")
        assert (code, exc) == (0, None), printed
        out[printed.strip()] = text
        h.TALLY["hostile texts"] += 1
        h.TALLY["broken inputs"] += 1
    return out


def cells_holding(path: Path, texts) -> list:
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str) and any(t in c.value for t in texts)]


# -- formula injection --------------------------------------------------------------------------
def test_a_subject_that_looks_like_a_formula_is_stored_as_text_and_reads_back_as_typed(book):
    items = register_hostile(book)
    wb = openpyxl.load_workbook(book)
    ws = wb[SHEETS["register"]]
    b = bk.load(book)
    for item, text in items.items():
        r = b.register_rows[item]
        subject, sender = ws.cell(r, 7), ws.cell(r, 5)
        assert (subject.value, subject.data_type) == (text, "s")
        assert (sender.value, sender.data_type) == (text, "s")
        assert b.letters[item].subject == text  # not taken for a formula when read back
        h.TALLY["messages asserted"] += 1
    assert b.problems == []
    first = next(i for i, t in items.items() if t == HOSTILE[0])
    code, out, _ = h.run_cli("show", book, first, "--now", NOW, "--json")
    assert code == 0 and '"subject": "=HYPERLINK(\\"http://x\\",\\"y\\")"' in out
    # and the next write (which reads through openpyxl) still takes the row as a letter
    code, out, _ = h.run_cli("assign", book, first, "--unit", "วท.", "--at", NOW, "--by", "clerk")
    assert code == 0, out
    assert h.register_and_log_agree(book) == []


def test_no_formula_reaches_a_workbook_xlflow_writes_from_hostile_text(book, tmp_path):
    register_hostile(book)
    written = [book]
    if "evaluate" in main.commands:
        out = tmp_path / "evaluation.xlsx"
        code, printed, exc = h.run_cli("evaluate", book, "--fiscal-year", "2570", "--round", "6", "-o", out, "--now", NOW)
        assert (code, exc) == (0, None), printed
        written.append(out)
    for path in written:
        copies = cells_holding(path, HOSTILE)
        assert copies, f"{path.name}: the hostile subjects were not copied"
        for c in copies:
            assert c.data_type == "s", f"{path.name}!{c.coordinate} is a {c.data_type}: {c.value}"
            h.TALLY["messages asserted"] += 1
        with zipfile.ZipFile(path) as z:  # no formula anywhere mentions the hostile text
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    formulas = re.findall(r"<f[^>]*>([^<]*)</f>", z.read(name).decode("utf-8"))
                    assert not [f for f in formulas if "HYPERLINK" in f or "cmd|" in f or "SUM(1+1)" in f], f"{path.name}:{name}"


def test_the_forms_copy_hostile_process_text_as_text(book):
    if "forms" not in main.commands:
        pytest.fail("xlflow forms is missing")
    wb = openpyxl.load_workbook(book)
    info = wb[SHEETS["info"]]
    for r in range(2, info.max_row + 1):
        if info.cell(r, 1).value == "prepared_by":
            info.cell(r, 3).value = HOSTILE[0]
            info.cell(r, 3).data_type = "s"
    wb.save(book)
    code, out, exc = h.run_cli("forms", book)
    assert (code, exc) == (0, None), out
    copies = [c for c in cells_holding(book, [HOSTILE[0]]) if c.parent.title != SHEETS["info"]]
    assert copies and all(c.data_type == "s" for c in copies)
    h.TALLY["messages asserted"] += 1


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_text_starting_with_a_formula_character_is_guarded(text):
    assert bk.neutralise(text) == "'" + text
    h.TALLY["messages asserted"] += 1


def test_csv_guard_leaves_ordinary_text_alone():
    assert bk.neutralise("เชิญประชุม = ด่วน") == "เชิญประชุม = ด่วน"
    assert bk.neutralise("") == ""


# -- header injection ---------------------------------------------------------------------------
def test_a_line_break_in_a_subject_cannot_add_a_mail_header():
    msg = mail.build_message("pmqa@mol.go.th", ["somsri@mol.go.th"], "เชิญประชุม\r\nBcc: x@evil.example", "text", "<p>html</p>")
    raw = msg.as_bytes()
    back = email.message_from_bytes(raw, policy=email.policy.default)
    assert back["Bcc"] is None
    assert back.get_all("Subject") == [back["Subject"]]
    assert "x@evil.example" not in mail.envelope_recipients(back)
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw
    h.TALLY["hostile texts"] += 1
    h.TALLY["broken inputs"] += 1
    h.TALLY["messages asserted"] += 1


def test_a_line_break_in_a_registered_subject_adds_no_header_to_the_checkers_mail(book, tmp_path):
    code, out, _ = h.run_cli("register", book, "--subject", "ขอข้อมูล\r\nBcc: x@evil.example\r\n\r\n<b>x</b>", "--at", "2026-11-25T08:00", "--by", "clerk")
    assert code == 0, out
    outbox = tmp_path / "outbox"
    code, out, exc = h.run_cli("check", book, "--now", NOW, "--outbox", outbox)
    assert exc is None and code == 0, out
    emls = sorted(outbox.rglob("*.eml"))
    assert emls
    for eml in emls:
        back = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert back["Bcc"] is None
        assert "x@evil.example" not in " ".join(mail.envelope_recipients(back))
    h.TALLY["hostile texts"] += 1
    h.TALLY["broken inputs"] += 1
    h.TALLY["messages asserted"] += 1


# -- the SMTP password --------------------------------------------------------------------------
def _everything_written(folder: Path) -> bytes:
    """All bytes under ``folder``, with each workbook's parts unzipped."""
    out = b""
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        out += data
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                out += b"".join(z.read(n) for n in z.namelist())
    return out


def _toml(book: Path, server) -> None:
    (book.parent / "xlflow.toml").write_text(
        f'[smtp]\nhost = "{server.host}"\nport = {server.port}\nsecurity = "starttls"\nusername = "{TLS_USER}"\n'
        f"sender = \"pmqa@mol.go.th\"\ncafile = '{server.cafile}'\ntimeout = 5\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("right", [True, False], ids=["accepted", "refused"])
def test_the_smtp_password_is_in_no_output_log_state_workbook_or_message(book, smtp_tls_server, monkeypatch, right):
    secret = TLS_PASSWORD if right else "wrong-S3cret-x9-Qz"
    monkeypatch.setenv("XLFLOW_SMTP_PASSWORD", secret)
    _toml(book, smtp_tls_server)
    code, out, exc = h.run_cli("check", book, "--now", NOW)
    assert exc is None
    if right:
        assert code == 0, out
        assert smtp_tls_server.received  # the login worked and mail went out
    else:
        assert code in (1, 75), out
        assert f"refused the login for user {TLS_USER}" in out
    leaked = [where for where, data in (
        ("output", out.encode("utf-8")),
        ("files", _everything_written(book.parent)),
        ("messages", b"".join(r.raw if isinstance(r.raw, bytes) else str(r.raw).encode() for r in smtp_tls_server.received)),
    ) for enc in ("utf-8", "utf-16-le") if secret.encode(enc) in data]
    assert leaked == []
    h.TALLY["messages asserted"] += 1


# -- verify -------------------------------------------------------------------------------------
def _edit_log(book: Path, fn) -> None:
    wb = openpyxl.load_workbook(book)
    fn(wb[SHEETS["log"]])
    wb.save(book)


def _insert_copy(ws):
    vals = [c.value for c in ws[3]]
    ws.insert_rows(4)
    for i, v in enumerate(vals, start=1):
        ws.cell(4, i).value = v


TAMPER = {
    "edited": (lambda ws: setattr(ws["G3"], "value", "แก้ไขเอง"),
               "Error: บันทึกการดำเนินงาน row 3: this row was edited by hand or inserted (its hash does not match its content) — item 2/2569, register at 25 พ.ย. 2569 09:05 น.\n"),
    "edited_time": (lambda ws: setattr(ws["E5"], "value", datetime(2026, 11, 25, 9, 0)),
                    "Error: บันทึกการดำเนินงาน row 5: this row was edited by hand or inserted (its hash does not match its content) — item 1/2569, assign at 25 พ.ย. 2569 09:00 น.\n"),
    "inserted": (_insert_copy, "Error: บันทึกการดำเนินงาน row 4: a row was inserted here (it is numbered 2, expected 3)\n"),
    "deleted": (lambda ws: ws.delete_rows(3), "Error: บันทึกการดำเนินงาน row 3: the row(s) numbered 2 before it were deleted (found 3, expected 2)\n"),
}


def test_verify_says_the_log_is_intact_when_nobody_touched_it(book):
    code, out, exc = h.run_cli("verify", book)
    assert (code, out.splitlines()[0], exc) == (0, "the log is intact", None)


@pytest.mark.parametrize("how", sorted(TAMPER))
def test_verify_names_the_row_edited_inserted_or_deleted_by_hand(book, how):
    fn, message = TAMPER[how]
    _edit_log(book, fn)
    before = h.sha256(book)
    assert h.run_cli("verify", book) == (1, message, None)
    assert h.sha256(book) == before
    h.TALLY["broken inputs"] += 1
    h.TALLY["messages asserted"] += 1
