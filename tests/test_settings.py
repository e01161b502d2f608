"""xlflow.toml beside the workbook: defaults, every key, and the exact corrective messages."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from xlflow.errors import SettingsError
from xlflow.settings import CheckSettings, Settings, SmtpSettings, load_settings

SECRET = "Zq9-hunter2-ลับมาก"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return tmp_path / "register.xlsx"


def write(book: Path, text: str) -> None:
    (book.parent / "xlflow.toml").write_text(text, encoding="utf-8")


def error(book: Path, text: str) -> str:
    write(book, text)
    with pytest.raises(SettingsError) as e:
        load_settings(book)
    return str(e.value)


# ------------------------------------------------------------------------------ defaults

def test_missing_file_gives_defaults_beside_the_book(book):
    s = load_settings(book)
    here = book.parent
    assert s.config_path is None
    assert s.book_path == book
    assert not s.smtp_configured
    assert (s.smtp.port, s.smtp.security, s.smtp.password_env) == (587, "starttls", "XLFLOW_SMTP_PASSWORD")
    assert s.smtp.verify_certificate is True and s.smtp.timeout == 30 and s.smtp.cafile is None
    c = s.check
    assert (c.due_soon_minutes, c.due_soon_fraction, c.office_hours_only) == (60, 0.25, True)
    assert (c.reply_by_warn_days, c.every_minutes, c.outbox) == (2, 30, None)
    assert c.log_file == here / "xlflow-check.log"
    assert c.state_file == here / ".xlflow-state.sqlite"
    assert s.rounds.months == (9, 12)
    assert s.rounds.folder == here / "evaluations"
    assert s.rounds.file_name(2569, 9) == "FY2569-R9.xlsx"
    assert s.rounds.path(2569, 12) == here / "evaluations" / "FY2569-R12.xlsx"
    assert s.outbox_folder == here / "outbox"


def test_empty_file_is_all_defaults(book):
    write(book, "# nothing yet\n")
    s = load_settings(book)
    assert s.config_path == book.parent / "xlflow.toml"
    assert dataclasses.replace(s, config_path=None) == Settings(book_path=book)


def test_every_key_is_read(book, tmp_path):
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    abs_log = tmp_path / "logs" / "check.log"
    write(book, f"""
[smtp]
host = "smtp.mol.go.th"
port = 2525
security = "STARTTLS"
username = "pmqa@mol.go.th"
password_env = "MOL_SMTP_PW"
sender = "สปร. <pmqa@mol.go.th>"
verify_certificate = false
timeout = 12.5
cafile = "ca.pem"

[check]
due_soon_minutes = 90
due_soon_fraction = 0.5
office_hours_only = false
reply_by_warn_days = 3
every_minutes = 15
log_file = '{abs_log}'
state_file = "state/xlflow.sqlite"
outbox = "mail-out"

[rounds]
months = [12, 6, 9]
folder = 'ผลประเมิน'
name_pattern = "ปีงบ{{fy}}-รอบ{{round}}.xlsx"
""")
    s = load_settings(book)
    here = tmp_path
    assert s.smtp == SmtpSettings(host="smtp.mol.go.th", port=2525, security="starttls", username="pmqa@mol.go.th",
                                  password_env="MOL_SMTP_PW", sender="สปร. <pmqa@mol.go.th>",
                                  verify_certificate=False, timeout=12.5, cafile=here / "ca.pem")
    assert s.smtp_configured
    assert s.check == CheckSettings(due_soon_minutes=90, due_soon_fraction=0.5, office_hours_only=False,
                                    reply_by_warn_days=3, every_minutes=15, log_file=abs_log,
                                    state_file=here / "state" / "xlflow.sqlite", outbox=here / "mail-out")
    assert s.rounds.months == (6, 9, 12)
    assert s.rounds.path(2569, 3) == here / "ผลประเมิน" / "ปีงบ2569-รอบ3.xlsx"
    assert s.outbox_folder == here / "mail-out"
    assert s.sender == "สปร. <pmqa@mol.go.th>"


@pytest.mark.parametrize("security, port", [("ssl", 465), ("starttls", 587), ("none", 25)])
def test_default_port_follows_security(book, security, port):
    write(book, f'[smtp]\nhost = "mail.local"\nsender = "a@b.go.th"\nsecurity = "{security}"\n')
    assert load_settings(book).smtp.port == port


def test_sender_defaults_to_an_address_username(book):
    write(book, '[smtp]\nhost = "mail.local"\nusername = "pmqa@mol.go.th"\n')
    assert load_settings(book).sender == "pmqa@mol.go.th"


def test_empty_host_means_outbox(book):
    write(book, '[smtp]\nhost = ""\n')
    assert not load_settings(book).smtp_configured


def test_utf8_bom_from_notepad_is_fine(book):
    (book.parent / "xlflow.toml").write_bytes("\ufeff[check]\nevery_minutes = 10\n".encode("utf-8"))
    assert load_settings(book).check.every_minutes == 10


def test_settings_built_in_code_resolve_paths_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = Settings(book_path=Path("data/register.xlsx"))
    assert s.book_path == tmp_path / "data" / "register.xlsx"
    assert s.check.state_file == tmp_path / "data" / ".xlflow-state.sqlite"
    again = dataclasses.replace(s, smtp=SmtpSettings(host="x"))
    assert again.check.state_file == s.check.state_file and again.rounds.folder == s.rounds.folder


def test_settings_are_frozen(book):
    s = load_settings(book)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.smtp = SmtpSettings()  # type: ignore[misc]


# ------------------------------------------------------------------------------ password

def test_password_comes_from_the_environment(book, monkeypatch):
    write(book, '[smtp]\nhost = "mail.local"\nusername = "pmqa@mol.go.th"\npassword_env = "MOL_PW"\n')
    s = load_settings(book)
    monkeypatch.delenv("MOL_PW", raising=False)
    assert s.password() is None
    monkeypatch.setenv("MOL_PW", SECRET)
    assert s.password() == SECRET
    for shown in (repr(s), str(s), repr(s.smtp), str(s.smtp)):
        assert SECRET not in shown


def test_default_password_variable(book, monkeypatch):
    monkeypatch.setenv("XLFLOW_SMTP_PASSWORD", SECRET)
    assert load_settings(book).password() == SECRET
    assert SECRET not in repr(load_settings(book))


def test_password_in_the_file_is_refused_without_showing_it(book):
    msg = error(book, f'[smtp]\nhost = "mail.local"\nsender = "a@b.go.th"\npassword = "{SECRET}"\n')
    assert msg == (
        "xlflow.toml must not hold a password ('password' in [smtp]) — delete that line and put the "
        "password in the environment variable XLFLOW_SMTP_PASSWORD instead (on Windows: setx "
        'XLFLOW_SMTP_PASSWORD "..."); a file beside the workbook can be read by anyone who can open the folder'
    )
    assert SECRET not in msg


@pytest.mark.parametrize("text, where", [
    (f'smtp_password = "{SECRET}"\n', "('smtp_password' at the top)"),
    (f'[check]\npasswd = "{SECRET}"\n', "('passwd' in [check])"),
    (f'[smtp]\npassword_env = "MY_PW"\nPassword = "{SECRET}"\n', "('Password' in [smtp])"),
])
def test_password_anywhere_is_refused(book, text, where):
    msg = error(book, text)
    assert where in msg and SECRET not in msg
    if "MY_PW" in text:
        assert "environment variable MY_PW" in msg


def test_password_env_holding_the_password_is_not_echoed(book):
    msg = error(book, f'[smtp]\npassword_env = "{SECRET}"\n')
    assert SECRET not in msg
    assert msg == (
        "xlflow.toml [smtp] password_env: is not the name of an environment variable — write the NAME of the "
        "variable that holds the password (letters, digits and _), e.g. password_env = \"XLFLOW_SMTP_PASSWORD\""
        " — never the password itself"
    )


# --------------------------------------------------------------------------- unknown keys

def test_misspelt_section(book):
    assert error(book, '[smpt]\nhost = "x"\n') == (
        "unknown key 'smpt' in xlflow.toml — did you mean 'smtp'? Valid keys: smtp, check, rounds, followup")


def test_followup_defaults_and_values(book):
    s = load_settings(book)
    assert (s.followup.remind_every_days, s.followup.escalate, s.followup.escalate_floor_days) == (1, ((2, "ผอ.วท."), (4, "ผอ.สปร.")), 1.0)
    (book.parent / "xlflow.toml").write_text(
        '[followup]\nremind_every_days = 2\nescalate_at = [3]\nescalate_to = ["ผอ.สปร."]\nescalate_floor_days = 0.5\n', encoding="utf-8")
    s = load_settings(book)
    assert (s.followup.remind_every_days, s.followup.escalate, s.followup.escalate_floor_days) == (2, ((3, "ผอ.สปร."),), 0.5)


@pytest.mark.parametrize("text, message", [
    ("escalate_at = [4, 2]", "xlflow.toml [followup] escalate_at: [4, 2] is not in rising order without repeats — "),
    ("escalate_at = [2, 0]", "xlflow.toml [followup] escalate_at: [2, 0] is not a list of whole numbers of at least 1 — "),
    ('escalate_at = [2]', "xlflow.toml [followup] escalate_at: escalate_at has 1 multiple(s) and escalate_to 2 role(s) — give one role per multiple"),
    ("remind_every_days = -1", "xlflow.toml [followup] remind_every_days: -1 is out of range — "),
    ('escalate_to = "ผอ.วท."', 'xlflow.toml [followup] escalate_to: "ผอ.วท." is not a list of role names — '),
])
def test_followup_mistakes_are_named(book, text, message):
    assert error(book, f"[followup]\n{text}\n").startswith(message)


def test_misspelt_key_in_a_section(book):
    assert error(book, '[smtp]\nhots = "x"\n') == (
        "unknown key 'hots' in [smtp] of xlflow.toml — did you mean 'host'? Valid keys: host, port, security, "
        "username, password_env, sender, verify_certificate, timeout, cafile")


def test_unknown_key_with_nothing_near(book):
    assert error(book, "[rounds]\ncolour = 3\n") == (
        "unknown key 'colour' in [rounds] of xlflow.toml — valid keys: months, folder, name_pattern")


def test_key_outside_its_section(book):
    assert error(book, 'host = "smtp.mol.go.th"\n') == (
        "key 'host' in xlflow.toml belongs in the [smtp] section — move it below a line [smtp]")


def test_section_written_as_a_value(book):
    assert error(book, 'smtp = "smtp.mol.go.th"\n') == (
        "'smtp' in xlflow.toml must be a section — write a line [smtp] followed by key = value lines, "
        "not smtp = ...")


# ------------------------------------------------------------------------------- values

@pytest.mark.parametrize("text, message", [
    ('[smtp]\nport = "587"\n',
     'xlflow.toml [smtp] port: "587" is not a whole number — write a number without quotes, e.g. port = 587'),
    ("[smtp]\nport = 70000\n",
     "xlflow.toml [smtp] port: 70000 is out of range — write a whole number from 1 to 65535, e.g. port = 587"),
    ('[smtp]\nsecurity = "tls"\n',
     'xlflow.toml [smtp] security: "tls" is not one of starttls, ssl, none — use security = "starttls" for '
     'port 587 or security = "ssl" for port 465'),
    ('[smtp]\nhost = "smtp.mol.go.th:587"\n',
     'xlflow.toml [smtp] host: "smtp.mol.go.th:587" is not a server name — write only the name, e.g. '
     'host = "smtp.mol.go.th", and the port as port = 587'),
    ('[smtp]\nverify_certificate = "no"\n',
     'xlflow.toml [smtp] verify_certificate: "no" is not true or false — write verify_certificate = true or '
     'verify_certificate = false, without quotes'),
    ("[smtp]\ntimeout = 0\n",
     "xlflow.toml [smtp] timeout: 0 is out of range — write a number more than 0 and at most 600, e.g. timeout = 30"),
    ('[smtp]\nhost = "mail.local"\n',
     'xlflow.toml [smtp] has a host but no sender — add sender = "pmqa@mol.go.th" (the address the reminders '
     'come from)'),
    ('[smtp]\nhost = "mail.local"\nsender = "pmqa"\n',
     'xlflow.toml [smtp] sender: "pmqa" is not an e-mail address — write the From address, e.g. '
     'sender = "pmqa@mol.go.th"'),
    ('[smtp]\nhost = "mail.local"\nsender = "a@b.go.th"\nsecurity = "none"\nusername = "u"\n',
     'xlflow.toml [smtp] security = "none" with a username would send the password unencrypted — use '
     'security = "starttls" (port 587) or "ssl" (port 465)'),
    ("[check]\ndue_soon_fraction = 1.5\n",
     "xlflow.toml [check] due_soon_fraction: 1.5 is out of range — write a number at least 0 and at most 1, "
     "e.g. due_soon_fraction = 0.25"),
    ("[check]\ndue_soon_minutes = -5\n",
     "xlflow.toml [check] due_soon_minutes: -5 is out of range — write a whole number of at least 0, "
     "e.g. due_soon_minutes = 60"),
    ("[check]\nevery_minutes = 7.5\n",
     "xlflow.toml [check] every_minutes: 7.5 is not a whole number — write a number without quotes, "
     "e.g. every_minutes = 30"),
    ("[check]\noffice_hours_only = 1\n",
     "xlflow.toml [check] office_hours_only: 1 is not true or false — write office_hours_only = true or "
     "office_hours_only = false, without quotes"),
    ("[check]\noutbox = 5\n",
     'xlflow.toml [check] outbox: 5 is not text — write it in quotes, e.g. outbox = "outbox"'),
    ('[check]\nstate_file = "register.xlsx"\n',
     'xlflow.toml [check] state_file: "register.xlsx" is a workbook — xlflow keeps it in a file of its own '
     'beside the workbook, e.g. state_file = ".xlflow-state.sqlite"'),
    ("[rounds]\nmonths = [9, 3]\n",
     "xlflow.toml [rounds] months: [9, 3] holds something that is not a round (6, 9 or 12) — list the rounds to "
     "deliver, each 6, 9 or 12 (months into the fiscal year), e.g. months = [9, 12]"),
    ("[rounds]\nmonths = [9, 9]\n",
     "xlflow.toml [rounds] months: [9, 9] names a round twice — list the rounds to deliver, each 6, 9 or 12 "
     "(months into the fiscal year), e.g. months = [9, 12]"),
    ("[rounds]\nmonths = 9\n",
     "xlflow.toml [rounds] months: 9 is not a list of rounds — list the rounds to deliver, each 6, 9 or 12 "
     "(months into the fiscal year), e.g. months = [9, 12]"),
    ('[rounds]\nname_pattern = "FY{fy}.xlsx"\n',
     'xlflow.toml [rounds] name_pattern: "FY{fy}.xlsx" does not contain both {fy} and {round} — without them '
     'two rounds would overwrite one file; use {fy} for the fiscal year and {round} for the round month, '
     'e.g. name_pattern = "FY{fy}-R{round}.xlsx"'),
    ('[rounds]\nname_pattern = "FY{year}-R{round}.xlsx"\n',
     'xlflow.toml [rounds] name_pattern: "FY{year}-R{round}.xlsx" cannot be filled in — use {fy} for the '
     'fiscal year and {round} for the round month, e.g. name_pattern = "FY{fy}-R{round}.xlsx"'),
    ('[rounds]\nname_pattern = "FY{fy}-R{round}.csv"\n',
     'xlflow.toml [rounds] name_pattern: "FY{fy}-R{round}.csv" does not end in .xlsx — use {fy} for the '
     'fiscal year and {round} for the round month, e.g. name_pattern = "FY{fy}-R{round}.xlsx"'),
])
def test_value_errors_say_what_and_how(book, text, message):
    assert error(book, text) == message


def test_missing_cafile(book, tmp_path):
    msg = error(book, '[smtp]\ncafile = "nope.pem"\n')
    assert msg == (
        f'xlflow.toml [smtp] cafile: "nope.pem" is not a file ({tmp_path / "nope.pem"} not found) — give the path '
        f"of the PEM file holding the server's CA certificate, or remove the line")


def test_windows_path_in_double_quotes_gets_a_hint(book):
    msg = error(book, '[check]\noutbox = "C:\\xlflow\\outbox"\n')
    assert msg.startswith("xlflow.toml is not valid TOML: ")
    assert msg.endswith(r"— write Windows paths in single quotes, e.g. outbox = 'C:\xlflow\outbox'")


def test_broken_toml(book):
    msg = error(book, "[check\n")
    assert msg.startswith("xlflow.toml is not valid TOML: ") and "line 1" in msg


def test_not_utf8(book):
    (book.parent / "xlflow.toml").write_bytes("[rounds]\nfolder = 'ผล'\n".encode("cp874"))
    with pytest.raises(SettingsError) as e:
        load_settings(book)
    assert str(e.value) == (f"{book.parent / 'xlflow.toml'} is not saved as UTF-8 — open it in Notepad and use "
                            f"Save As with Encoding UTF-8")
