"""The checker run against a real SMTP server (aiosmtpd on 127.0.0.1): digests arrive once,
outages and refusals are retried, a kill between acceptance and record repeats one message
once, the doors (check, watch) give a scheduler the exit codes it understands."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from smtp_fixtures import SmtpTestServer, settings_for, smtp_server, smtp_tls_server, TLS_PASSWORD  # noqa: F401 (fixtures)
from test_checks import at, do, make_register, reg, script, walk

from xlflow import book as bk
from xlflow import checker, checks, schema
from xlflow.checker import EX_TEMPFAIL, run_check
from xlflow.settings import CheckSettings, Settings
from xlflow.statestore import StateStore, register_key

NOW = at(2026, 11, 25, 11, 0)  # Wednesday, in office hours
ALL = ["head@mol.go.th", "somchai@mol.go.th", "dir.wt@mol.go.th", "dir.spr@mol.go.th"]


def three_items(path: Path) -> Path:
    """1/2569 overdue at 1.2 (the bureau's head told), 2/2569 overdue at 2.1 and 3/2569 due
    soon at 2.3 (both สมชาย's), as of 11:00 on Wednesday 25 November 2026."""
    return script(
        path,
        reg(at(2026, 11, 25, 9, 0), "เชิญประชุม ILO"),
        reg(at(2026, 11, 25, 9, 0), "ขอข้อมูลแรงงานต่างด้าว"),
        reg(at(2026, 11, 25, 9, 0), "สรุปท่าที ASEAN"),
        walk("2/2569", "2.1", at(2026, 11, 25, 9, 0)),
        walk("3/2569", "2.3", at(2026, 11, 25, 10, 30)),
    )


@pytest.fixture(scope="module")
def base_three(tmp_path_factory) -> Path:
    return three_items(make_register(tmp_path_factory.mktemp("three") / "Coordination_Register.xlsx"))


@pytest.fixture
def book(base_three, tmp_path) -> Path:
    return Path(shutil.copy(base_three, tmp_path / "Coordination_Register.xlsx"))


@pytest.fixture
def cli():
    """Run the command line in-process: ``cli("check", book, "--now", ...)``."""
    from click.testing import CliRunner

    from xlflow.cli import main

    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_toml(book: Path, server: SmtpTestServer, extra: str = "") -> None:
    (book.parent / "xlflow.toml").write_text(
        f'[smtp]\nhost = "{server.host}"\nport = {server.port}\nsecurity = "none"\nsender = "xlflow@mol.go.th"\ntimeout = 5\n{extra}',
        encoding="utf-8",
    )


@pytest.fixture
def mailbook(book, smtp_server) -> Path:
    """The three-item register with xlflow.toml pointing at the test server."""
    write_toml(book, smtp_server)
    return book


def inbox(server) -> dict[str, list]:
    """Received messages by recipient."""
    out: dict[str, list] = {}
    for r in server.received:
        for to in r.rcpt_tos:
            out.setdefault(to, []).append(r.message)
    return out


def sent_rows(book: Path) -> set[tuple[str, str]]:
    path = book.parent / ".xlflow-state.sqlite"
    if not path.exists():
        return set()
    with sqlite3.connect(path) as db:
        return set(db.execute("SELECT key, recipient FROM sent"))


# -- the digests ------------------------------------------------------------------------------------
def test_each_person_gets_one_digest_and_a_second_run_sends_nothing(mailbook, smtp_server):
    r = run_check(mailbook, NOW)
    assert r.exit_code == 0, r.lines
    got = inbox(smtp_server)
    assert sorted(got) == sorted(ALL)
    assert all(len(v) == 1 for v in got.values())
    m = got["somchai@mol.go.th"][0]
    assert str(m["Subject"]) == "xlflow: เกินกำหนด 1 เรื่อง ใกล้ครบกำหนด 1 เรื่อง / 1 overdue, 1 due soon"
    assert b"=?utf-8?" in next(x.raw for x in smtp_server.received if "somchai@mol.go.th" in x.rcpt_tos).lower()
    assert m["From"] == "xlflow@mol.go.th" and m["To"] == "somchai@mol.go.th"
    assert m.get_content_type() == "multipart/alternative"
    text = m.get_body(("plain",)).get_content()
    page = m.get_body(("html",)).get_content()
    for words in ("2/2569 — ขอข้อมูลแรงงานต่างด้าว", "3/2569 — สรุปท่าที ASEAN", "25 พ.ย. 2569 10:00 น.", "1.0 working hours late"):
        assert words in text
    assert "ขอข้อมูลแรงงานต่างด้าว" in page and "1/2569" not in text  # not somchai's item
    director = got["dir.wt@mol.go.th"][0]
    assert str(director["Subject"]).startswith("xlflow สรุปสำหรับผู้อำนวยการ: เกินกำหนด 2 เรื่อง ใกล้ครบกำหนด 1 เรื่อง")
    assert "no email for เลขา ไร้อีเมล in the People sheet, row 6" in director.get_body(("plain",)).get_content()
    assert ("2/2569|2.1|0|overdue", "somchai@mol.go.th") in sent_rows(mailbook)

    again = run_check(mailbook, NOW + timedelta(minutes=15))
    assert again.exit_code == 0 and again.sent == []
    assert len(smtp_server.received) == 4
    assert "nothing new to announce" in again.lines


def test_a_new_breach_later_is_sent_alone(mailbook, smtp_server):
    run_check(mailbook, NOW)
    # at 11:31 3/2569 (2.3 from 10:30, 60 minutes) is overdue: a new breach
    r = run_check(mailbook, at(2026, 11, 25, 11, 31))
    assert [(to, keys) for to, _, keys in r.sent] == [
        ("somchai@mol.go.th", ["3/2569|2.3|0|overdue"]),
        ("dir.wt@mol.go.th", ["3/2569|2.3|0|overdue"]),
        ("dir.spr@mol.go.th", ["3/2569|2.3|0|overdue"]),
    ]
    assert str(inbox(smtp_server)["somchai@mol.go.th"][1]["Subject"]) == "xlflow: เกินกำหนด 1 เรื่อง / 1 overdue"


def test_mail_waits_for_office_hours(mailbook, smtp_server):
    evening = run_check(mailbook, at(2026, 11, 25, 17, 0))
    assert evening.exit_code == 0 and evening.held
    assert "outside office hours: 4 message(s) and 0 round(s) wait until the office opens" in evening.lines
    lunch = run_check(mailbook, at(2026, 11, 25, 12, 30))
    assert lunch.held and smtp_server.received == []
    saturday = run_check(mailbook, at(2026, 11, 28, 10, 0))
    assert saturday.held and any(x.startswith("the weekend: ") for x in saturday.lines)  # said as it is
    morning = run_check(mailbook, at(2026, 11, 26, 8, 30))
    assert morning.exit_code == 0 and len(smtp_server.received) == 4


def test_office_hours_only_can_be_switched_off(book, smtp_server):
    write_toml(book, smtp_server, "[check]\noffice_hours_only = false\n")
    r = run_check(book, at(2026, 11, 28, 20, 0))  # Saturday evening
    assert not r.held and len(smtp_server.received) == 4


def test_server_down_sends_and_records_nothing_and_the_next_run_sends_all(mailbook, smtp_server):
    smtp_server.stop()
    r = run_check(mailbook, NOW)
    assert r.exit_code == EX_TEMPFAIL
    assert sent_rows(mailbook) == set()
    assert any(line.startswith("not sent to head@mol.go.th: cannot connect to the SMTP server 127.0.0.1:") for line in r.lines)
    assert "not sent to somchai@mol.go.th: the server failed earlier in this run — the next run sends it" in r.lines
    smtp_server.start()
    r = run_check(mailbook, NOW + timedelta(minutes=30))
    assert r.exit_code == 0
    assert {k: len(v) for k, v in inbox(smtp_server).items()} == {e: 1 for e in ALL}


def test_a_421_at_connect_is_retried_by_the_next_run(mailbook, smtp_server):
    smtp_server.fail_next_connect_with(421)
    r = run_check(mailbook, NOW)
    assert r.exit_code == EX_TEMPFAIL and smtp_server.received == []
    assert "421" in r.failed[0][1]
    assert run_check(mailbook, NOW).exit_code == 0
    assert {k: len(v) for k, v in inbox(smtp_server).items()} == {e: 1 for e in ALL}


def test_a_451_for_one_message_does_not_stop_the_others(mailbook, smtp_server):
    smtp_server.fail_next_mail_with(451)
    r = run_check(mailbook, NOW)
    assert r.exit_code == EX_TEMPFAIL
    assert sorted(inbox(smtp_server)) == sorted(ALL[1:])  # the first (head@) failed, the rest went
    assert run_check(mailbook, NOW).exit_code == 0
    assert {k: len(v) for k, v in inbox(smtp_server).items()} == {e: 1 for e in ALL}


def test_a_550_for_one_recipient_lets_the_others_through_and_it_is_retried(mailbook, smtp_server):
    smtp_server.refuse_recipient("somchai@mol.go.th", 550)
    r = run_check(mailbook, NOW)
    assert r.exit_code == EX_TEMPFAIL
    assert sorted(inbox(smtp_server)) == sorted(e for e in ALL if e != "somchai@mol.go.th")
    assert r.failed[0][0] == "somchai@mol.go.th" and "550" in r.failed[0][1]
    r = run_check(mailbook, NOW + timedelta(minutes=10))  # still refused: tried again, nothing else resent
    assert r.exit_code == EX_TEMPFAIL and len(smtp_server.received) == 3
    smtp_server.handler.plan.refused.clear()
    r = run_check(mailbook, NOW + timedelta(minutes=20))
    assert r.exit_code == 0 and [to for to, _, _ in r.sent] == ["somchai@mol.go.th"]
    assert {k: len(v) for k, v in inbox(smtp_server).items()} == {e: 1 for e in ALL}


def test_a_disconnect_in_the_middle_of_a_digest_is_sent_again_next_run(mailbook, smtp_server):
    smtp_server.disconnect_after_data()
    r = run_check(mailbook, NOW)
    assert r.exit_code == EX_TEMPFAIL
    assert len(smtp_server.dropped) == 1 and smtp_server.received == []
    assert "closed the connection unexpectedly" in r.failed[0][1]
    assert sent_rows(mailbook) == set()
    assert run_check(mailbook, NOW).exit_code == 0
    assert {k: len(v) for k, v in inbox(smtp_server).items()} == {e: 1 for e in ALL}


def test_a_run_killed_between_acceptance_and_record_repeats_that_message_once(mailbook, smtp_server):
    env = {**os.environ, "XLFLOW_FAULT": "after-accept"}
    p = subprocess.run([sys.executable, "-m", "xlflow.cli", "check", str(mailbook), "--now", "2026-11-25T11:00"],
                       env=env, capture_output=True, timeout=120)
    assert p.returncode == -signal.SIGKILL
    assert [r.rcpt_tos for r in smtp_server.received] == [["head@mol.go.th"]]  # accepted, then killed
    assert sent_rows(mailbook) == set()  # ... before the record
    r = run_check(mailbook, NOW + timedelta(minutes=5))  # the stale lock of the killed run is taken over
    assert r.exit_code == 0
    assert {k: len(v) for k, v in inbox(smtp_server).items()} == {"head@mol.go.th": 2, "somchai@mol.go.th": 1, "dir.wt@mol.go.th": 1, "dir.spr@mol.go.th": 1}
    assert run_check(mailbook, NOW + timedelta(minutes=10)).sent == []
    with StateStore(mailbook.parent / ".xlflow-state.sqlite", register=register_key(bk.load(mailbook).register_id, mailbook)) as store:
        runs = store.last_runs(3)
    assert [x.outcome for x in runs] == ["ok", "ok", None]  # the killed run never finished


def test_a_second_checker_waits_and_gives_up_with_tempfail(mailbook, smtp_server, monkeypatch):
    monkeypatch.setattr(checker, "LOCK_WAIT", 0.2)
    with bk.writer_lock(mailbook.parent / ".xlflow-state.sqlite"):
        r = run_check(mailbook, NOW)
    assert r.exit_code == EX_TEMPFAIL and smtp_server.received == []
    assert "another xlflow checker is running on this register — this run stops; the next one goes on" in r.lines


def test_register_text_cannot_inject_headers(base_three, tmp_path, smtp_server):
    path = make_register(tmp_path / "r.xlsx")
    script(path, reg(at(2026, 11, 25, 9, 0), "ด่วน\r\nBcc: spy@evil.example\r\nSubject: <b>x</b>"))
    write_toml(path, smtp_server)
    assert run_check(path, NOW).exit_code == 0
    assert all("spy@evil.example" not in r.rcpt_tos for r in smtp_server.received)
    for r in smtp_server.received:
        assert r.message["Bcc"] is None
        assert len(r.message.get_all("Subject")) == 1
        assert "&lt;b&gt;x&lt;/b&gt;" in r.message.get_body(("html",)).get_content()


def test_digests_go_over_starttls_with_a_verified_certificate(book, smtp_tls_server, monkeypatch):
    monkeypatch.setenv("XLFLOW_TEST_SMTP_PASSWORD", TLS_PASSWORD)
    s = settings_for(smtp_tls_server, book_path=book)
    r = run_check(book, NOW, settings=s)
    assert r.exit_code == 0, r.lines
    assert sorted(inbox(smtp_tls_server)) == sorted(ALL)


# -- the doors -----------------------------------------------------------------------------------------
def test_check_command_exit_codes_and_log_file(mailbook, smtp_server, cli):
    smtp_server.stop()
    res = cli("check", mailbook, "--now", "2026-11-25T11:00")
    assert res.exit_code == 75
    smtp_server.start()
    res = cli("check", mailbook, "--now", "2026-11-25T11:05")
    assert res.exit_code == 0
    assert "sent to somchai@mol.go.th: xlflow: เกินกำหนด 1 เรื่อง ใกล้ครบกำหนด 1 เรื่อง / 1 overdue, 1 due soon (2 item(s))" in res.output
    log = (mailbook.parent / "xlflow-check.log").read_text(encoding="utf-8")
    assert "[now 2026-11-25 11:00] not sent to head@mol.go.th: cannot connect" in log
    assert "[now 2026-11-25 11:05] sent to somchai@mol.go.th" in log
    assert "[now 2026-11-25 11:05] done: 4 sent, 0 not sent (exit 0)" in log
    assert "[now 2026-11-25 11:05] problem: no email for เลขา ไร้อีเมล in the People sheet, row 6 — add one so that they are told" in log


def test_check_command_exit_1_for_an_unreadable_register_or_settings(tmp_path, cli):
    res = cli("check", tmp_path / "missing.xlsx", "--now", "2026-11-25T11:00")
    assert res.exit_code == 1
    assert res.output.endswith(f"Error: {tmp_path / 'missing.xlsx'}: no such file — check the path, or make a register with: xlflow init {tmp_path / 'missing.xlsx'}\n")
    (tmp_path / "xlflow.toml").write_text("[check]\ndue_soon_minuts = 30\n", encoding="utf-8")
    res = cli("check", tmp_path / "missing.xlsx")
    assert res.exit_code == 1
    assert "Error: unknown key 'due_soon_minuts' in [check] of xlflow.toml — did you mean 'due_soon_minutes'?" in res.output
    assert "due_soon_minuts" in (tmp_path / "xlflow-check.log").read_text(encoding="utf-8")


def test_dry_run_prints_what_would_be_sent_and_sends_and_records_nothing(mailbook, smtp_server, cli):
    res = cli("check", mailbook, "--now", "2026-11-25T11:00", "--dry-run")
    assert res.exit_code == 0
    assert "would send to somchai@mol.go.th: xlflow: เกินกำหนด 1 เรื่อง ใกล้ครบกำหนด 1 เรื่อง / 1 overdue, 1 due soon" in res.output
    assert "    2/2569|2.1|0|overdue" in res.output
    assert res.output.endswith("dry run: nothing was sent or recorded\n")
    assert smtp_server.received == [] and smtp_server.connections == 0
    assert not (mailbook.parent / ".xlflow-state.sqlite").exists()
    assert not (mailbook.parent / "xlflow-check.log").exists()
    # after a real run the dry run shows only what is still new
    run_check(mailbook, NOW)
    res = cli("check", mailbook, "--now", "2026-11-25T11:00", "--dry-run")
    assert "would send" not in res.output and "nothing new to announce" in res.output


def test_outbox_option_writes_eml_files_instead_of_sending(mailbook, smtp_server, tmp_path, cli):
    res = cli("check", mailbook, "--now", "2026-11-25T11:00", "--outbox", tmp_path / "out")
    assert res.exit_code == 0 and smtp_server.received == []
    files = sorted((tmp_path / "out").glob("*.eml"))
    assert len(files) == 4
    import email
    import email.policy

    msgs = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]
    assert sorted(m["To"] for m in msgs) == sorted(ALL)


def test_without_smtp_settings_mail_goes_to_the_outbox_beside_the_workbook(book):
    r = run_check(book, NOW)
    assert r.exit_code == 0
    assert len(list((book.parent / "outbox").glob("*.eml"))) == 4
    assert run_check(book, NOW).sent == []


def test_a_bad_process_cell_is_named_and_every_breach_still_announced(mailbook, smtp_server):
    import openpyxl

    from xlflow.schema import SHEETS

    wb = openpyxl.load_workbook(mailbook)
    wb[SHEETS["process"]]["F3"] = "สิบห้า"  # 1.2's standard is not a number: the manual's 15 minutes stand in
    wb.save(mailbook)
    r = run_check(mailbook, NOW)
    assert r.exit_code == checker.EX_DATAERR and r.error == ""
    assert sorted(inbox(smtp_server)) == sorted(ALL)
    named = ('ขั้นตอนการปฏิบัติงาน!F3: "สิบห้า" is not a positive whole number of working minutes — type the standard in minutes, '
             "e.g. 60 for one hour (the manual's value was used for this run)")
    assert r.problems == [named] and f"problem: {named}" in r.lines
    text = inbox(smtp_server)["dir.wt@mol.go.th"][0].get_body(("plain",)).get_content()
    assert named in " ".join(text.split())
    assert "1/2569" in text  # the item at 1.2 is still timed and announced


def test_an_unreadable_register_is_told_to_the_directors_once_a_day(mailbook, smtp_server):
    import openpyxl

    from xlflow.schema import SHEETS

    wb = openpyxl.load_workbook(mailbook)
    del wb[SHEETS["log"]]  # not a cell: the Log sheet itself is gone
    wb.save(mailbook)
    r = run_check(mailbook, NOW)
    assert r.exit_code == 1 and r.error.startswith(f'Coordination_Register.xlsx: the sheet "{SHEETS["log"]}" is missing')
    assert sorted(inbox(smtp_server)) == ["dir.spr@mol.go.th", "dir.wt@mol.go.th"]
    text = inbox(smtp_server)["dir.wt@mol.go.th"][0].get_body(("plain",)).get_content()
    assert f'2026-11-25: the register Coordination_Register.xlsx cannot be read: Coordination_Register.xlsx: the sheet "{SHEETS["log"]}" is missing' in " ".join(text.split())
    assert run_check(mailbook, NOW + timedelta(hours=1)).exit_code == 1
    assert len(smtp_server.received) == 2  # once a day
    run_check(mailbook, at(2026, 11, 26, 9, 0))
    assert len(smtp_server.received) == 4


def test_watch_runs_the_check_each_time_and_survives_an_exception(book, tmp_path):
    import schedule

    sched = schedule.Scheduler()
    sleeps, runs, lines = [], [], []

    def fake_sleep(seconds):
        sleeps.append(seconds)
        for job in sched.jobs:  # time passes: the job is due
            job.next_run = datetime.now()

    def flaky(path, now):
        runs.append(now)
        if len(runs) == 1:
            raise RuntimeError("the share was unplugged")
        return run_check(path, now)

    times = iter([NOW, NOW + timedelta(minutes=10), NOW + timedelta(minutes=20)])
    n = checker.watch(book, max_runs=3, sleep=fake_sleep, clock=lambda: next(times), scheduler=sched, run=flaky, echo=lines.append)
    assert n == 3 and len(runs) == 3
    assert sleeps and all(s >= 1 for s in sleeps)
    log = (book.parent / "xlflow-check.log").read_text(encoding="utf-8")
    assert "the check failed (RuntimeError: the share was unplugged) — the loop goes on" in log
    assert "Traceback" in log
    assert len(list((book.parent / "outbox").glob("*.eml"))) == 4  # the second run sent; the third had nothing new
    assert sched.jobs[0].interval == 30 and sched.jobs[0].unit == "minutes"


def test_watch_skips_runs_outside_office_hours(book):
    import schedule

    sched = schedule.Scheduler()
    runs, lines = [], []

    def fake_sleep(seconds):
        for job in sched.jobs:
            job.next_run = datetime.now()

    times = iter([NOW, at(2026, 11, 25, 19, 0), at(2026, 11, 26, 9, 0)])
    record = lambda path, now: (runs.append(now), run_check(path, now))[1]  # noqa: E731
    checker.watch(book, every_minutes=5, max_runs=3, sleep=fake_sleep, clock=lambda: next(times), scheduler=sched, run=record, echo=lines.append)
    assert runs == [NOW, at(2026, 11, 26, 9, 0)]
    assert "2026-11-25 19:00: outside office hours — no check" in lines
    assert sched.jobs[0].interval == 5


def test_watch_command_runs_once_with_max_runs(book, cli):
    # the door only: the clock here is the real one, so only what does not depend on it is checked
    res = cli("watch", book, "--max-runs", "1", "--every", "15")
    assert res.exit_code == 0
    assert res.output.startswith(f"watching {book} every 15 minute(s)\n")
    assert "[watch] watching" in (book.parent / "xlflow-check.log").read_text(encoding="utf-8")


# -- the property: exactly once, over runs, outages and clock times ----------------------------------
class _Killed(BaseException):
    """Stands for SIGKILL inside the window between acceptance and record."""


@pytest.fixture(scope="module")
def prop_server():
    server = SmtpTestServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def prop_book(tmp_path_factory) -> Path:
    """Items whose breaches come and change over three days (Wed 25 – Fri 27 Nov 2026)."""
    path = make_register(tmp_path_factory.mktemp("prop") / "Coordination_Register.xlsx")
    return script(
        path,
        reg(at(2026, 11, 25, 8, 30), "ก เชิญประชุม", reply_by=date(2026, 11, 26)),
        reg(at(2026, 11, 25, 10, 0), "ข ขอข้อมูล"),
        reg(at(2026, 11, 25, 13, 0), "ค สรุปท่าที"),
        reg(at(2026, 11, 26, 9, 0), "ง พักเรื่อง"),
        walk("2/2569", "3.2", at(2026, 11, 25, 10, 0)),
        walk("3/2569", "4.1", at(2026, 11, 25, 13, 0), officer="สมหญิง รักงาน"),
        walk("4/2569", "2.3", at(2026, 11, 26, 9, 0)),
        do("4/2569", "pause", at(2026, 11, 26, 9, 30), note="รอคำตอบ"),
    )


FAULTS = ["none", "none", "down", "421", "451", "disconnect", "refuse", "kill"]


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.integers(min_value=0, max_value=900), st.sampled_from(FAULTS)), min_size=1, max_size=6))
def test_every_breach_is_announced_once_after_recovery_whatever_happens(prop_book, prop_server, tmp_path_factory, steps):
    folder = tmp_path_factory.mktemp("run")
    s = Settings(
        book_path=prop_book,
        smtp=settings_for(prop_server).smtp,
        check=CheckSettings(state_file=folder / "state.sqlite", log_file=folder / "check.log"),
    )
    server = prop_server
    server.handler.received.clear()
    accepted: list[tuple[str, str]] = []  # (recipient, key) for every message the server accepted
    messages: list[list[tuple[str, str]]] = []  # the same, message by message
    killed: dict[tuple[str, str], int] = {}  # (recipient, key) → kills inside the window of its message
    kills = {"n": 0}
    kill_now = {"on": False}

    def hook(recipients, keys):
        pairs = [(r.lower(), k) for r in recipients for k in keys]
        accepted.extend(pairs)
        messages.append(pairs)
        if kill_now["on"]:
            kill_now["on"] = False
            kills["n"] += 1
            for pair in set(pairs):
                killed[pair] = killed.get(pair, 0) + 1
            raise _Killed()

    now = at(2026, 11, 25, 8, 0)
    for minutes, fault in steps:
        now += timedelta(minutes=minutes)
        if fault == "down":
            server.stop()
        elif fault == "421":
            server.fail_next_connect_with(421)
        elif fault == "451":
            server.fail_next_mail_with(451)
        elif fault == "disconnect":
            server.disconnect_after_data()
        elif fault == "refuse":
            server.refuse_recipient("somchai@mol.go.th", 550)
        kill_now["on"] = fault == "kill"
        try:
            run_check(prop_book, now, settings=s, after_accept=hook)
        except _Killed:
            pass
        server.start()
        server.handler.plan = type(server.handler.plan)()
    # recovery: the server is well; a run at the next moment the office is open
    cal = bk.load(prop_book).calendar
    final = cal.next_working(now + timedelta(minutes=1)).replace(tzinfo=None)
    kill_now["on"] = False
    r = run_check(prop_book, final, settings=s, after_accept=hook)
    assert r.exit_code == 0, r.lines

    # the hook saw exactly what the server accepted
    assert sorted({r_.lower() for x in server.received for r_ in x.rcpt_tos}) == sorted({r_ for r_, _ in accepted})
    f = checks.find(bk.load(prop_book), final)
    got = {}
    for pair in accepted:
        got[pair] = got.get(pair, 0) + 1
    # every breach present now has reached each of its recipients, and the directors
    for b in f.breaches:
        for email in [*f.to[b.key], *f.directors]:
            assert got.get((email, b.key), 0) >= 1, (email, b.key, steps)
    # and every reminder and escalation due now has reached its people
    for x in f.followups:
        for email in f.followup_to[x.key]:
            assert got.get((email, x.key), 0) >= 1, (email, x.key, steps)
    # none twice, except a message killed between acceptance and record: once more per kill
    for pair, n in got.items():
        assert n <= 1 + killed.get(pair, 0), (pair, n, steps)
    # and each kill repeats at most the one message it hit
    seen, repeats = set(), 0
    for pairs in messages:
        repeats += any(p in seen for p in pairs)
        seen.update(pairs)
    assert repeats <= kills["n"], (repeats, kills, steps)


def test_a_missing_password_stops_the_run_with_exit_1_and_the_fix(book, smtp_tls_server, monkeypatch):
    monkeypatch.delenv("XLFLOW_TEST_SMTP_PASSWORD", raising=False)
    r = run_check(book, NOW, settings=settings_for(smtp_tls_server, book_path=book))
    assert r.exit_code == 1
    assert r.error == (
        "[smtp] username is xlflow but the environment variable XLFLOW_TEST_SMTP_PASSWORD is not set — set it "
        'to the mailbox password (on Windows: setx XLFLOW_TEST_SMTP_PASSWORD "...") and start the checker again'
    )
    assert smtp_tls_server.connections == 1  # one login attempt, not one per digest
    assert smtp_tls_server.received == []


# -- each register its own memory ----------------------------------------------------------------------
def test_two_registers_in_one_folder_never_silence_each_other(tmp_path, smtp_server):
    # a register per fiscal year, side by side: both have a 1/2569, and one state file
    a = three_items(make_register(tmp_path / "Register_FY2569.xlsx"))
    b = three_items(make_register(tmp_path / "Register_FY2570.xlsx"))
    write_toml(a, smtp_server)
    assert bk.load(a).register_id != bk.load(b).register_id
    ra = run_check(a, NOW)
    rb = run_check(b, NOW)
    assert [to for to, _, _ in ra.sent] == [to for to, _, _ in rb.sent] == ALL
    assert sorted(k for _, _, keys in rb.sent for k in keys) == sorted(k for _, _, keys in ra.sent for k in keys)
    assert len(smtp_server.received) == 8
    assert run_check(a, NOW).sent == run_check(b, NOW).sent == []
    assert [p.name for p in tmp_path.glob(".xlflow-state.sqlite")] == [".xlflow-state.sqlite"]


def test_a_register_without_an_id_is_remembered_by_its_path_until_a_write_gives_it_one(book, smtp_server):
    from xlflow.ports.package import REGISTER_ID

    import openpyxl

    wb = openpyxl.load_workbook(book)
    del wb.defined_names[REGISTER_ID]  # as if copied from the shipped template and used by the ribbon only
    wb.save(book)
    write_toml(book, smtp_server)
    assert bk.load(book).register_id is None
    assert len(run_check(book, NOW).sent) == 4
    log = (book.parent / "xlflow-check.log").read_text(encoding="utf-8")
    assert "this register has no id yet: its memory is kept under its path" in log
    assert run_check(book, NOW + timedelta(minutes=5)).sent == []
    script(book, reg(at(2026, 11, 25, 10, 0), "ใหม่"))  # the first write gives it its id ...
    assert bk.load(book).register_id is not None
    r = run_check(book, NOW + timedelta(minutes=10))  # ... and nothing is announced twice
    assert {k for _, _, keys in r.sent for k in keys} == {"4/2569|1.2|0|overdue"}
    assert any(line.startswith("the register now has its id: the memory kept under its path") for line in r.lines)


# -- the checker witnesses the Log (issue 16) --------------------------------------------------
def test_each_run_keeps_the_logs_witness_and_tells_the_directors(book, cli):
    import email
    import email.policy
    import openpyxl

    from xlflow.statestore import witnesses_of

    r = run_check(book, NOW)
    assert r.exit_code == 0
    [w] = witnesses_of(book)  # kept beside the workbook, for this register
    assert w.rows == len(bk.load(book).log) and w.register_id == bk.load(book).register_id
    assert run_check(book, NOW).exit_code == 0 and len(witnesses_of(book)) == 1  # the Log as it was: nothing new kept
    summaries = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in (book.parent / "outbox").glob("*.eml")]
    texts = [m.get_body(("plain",)).get_content() for m in summaries]
    assert any(w.line() in t for t in texts)  # a copy of it in the directors' mailboxes
    ok = cli("verify", book)
    assert ok.exit_code == 0 and "matches the witness of" in ok.output
    # a Log row changed after the run, the chain recomputed: the witness shows it
    wb = openpyxl.load_workbook(book)
    ws = wb[schema.SHEETS["log"]]
    hm = schema.header_map(schema.SHEETS["log"], [c.value for c in ws[1]], schema.LOG_COLUMNS)
    ws.cell(row=2, column=hm["note"] + 1).value = "แก้ไขภายหลัง"  # a note the Register does not show
    prev = ""
    for r in range(2, ws.max_row + 1):
        vals = {f: ws.cell(row=r, column=c + 1).value for f, c in hm.items()}
        if vals["seq"] is None:
            continue
        import json

        from xlflow.model import LogEntry
        e = LogEntry(int(vals["seq"]), vals["item"], vals["substep"], vals["action"], vals["at"], vals["by"], vals["note"] or "",
                     json.loads(vals["data"]) if vals["data"] else {}).chained(prev)
        prev = e.hash
        ws.cell(row=r, column=hm["hash"] + 1).value = e.hash
    wb.save(book)
    bad = cli("verify", book)
    assert bad.exit_code == 1 and "differs from the witness of" in bad.output
