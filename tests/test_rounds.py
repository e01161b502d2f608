"""Round delivery (issue 9): on the first working day after a round closes, in office hours,
the checker compiles the evaluation workbook with ``xlflow.evaluation.evaluate`` and mails
it to the PMQA team, directors in copy — once; an outage or an unreadable register on the
day delays it to the first good run; ``--redeliver`` sends it again on purpose.
Against a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import io
import shutil
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest

from smtp_fixtures import smtp_server  # noqa: F401 (fixture)
from test_checker import cli, write_toml  # noqa: F401 (fixture)
from test_checks import at, do, make_register, reg, script, walk

from xlflow import book as bk
from xlflow import checks
from xlflow.checker import EX_TEMPFAIL, run_check
from xlflow.schema import SHEETS

DAY = at(2026, 7, 1, 9, 0)  # Wednesday: the first working day after FY2569's 9-month round (ends Tue 30 June)
PERIOD = "1 ตุลาคม 2568 – 30 มิถุนายน 2569"
SUBJECT = "xlflow: ผลการประเมินรอบ 9 เดือน ปีงบประมาณ 2569 / evaluation of fiscal year 2569, 9-month round"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def base_round(tmp_path_factory) -> Path:
    """FY2569: two letters done inside the 9-month round (one sent back once), one of FY2568."""
    path = make_register(tmp_path_factory.mktemp("round") / "Coordination_Register.xlsx", today=date(2026, 6, 1))
    return script(
        path,
        reg(at(2026, 3, 2, 9, 0), "เชิญประชุม ILO"),
        reg(at(2026, 6, 15, 9, 0), "ท่าที ASEAN"),
        reg(at(2025, 9, 15, 9, 0), "ปีงบประมาณก่อน"),
        walk("1/2569", "5.2", at(2026, 3, 2, 9, 0)),
        do("1/2569", "advance", at(2026, 3, 2, 10, 30)),  # 5.2: 90 working minutes against 60
        walk("2/2569", "5.1", at(2026, 6, 15, 9, 0)),
        do("2/2569", "reject", at(2026, 6, 15, 9, 30), note="ปรับท่าที"),
        walk("2/2569", "5.2", at(2026, 6, 16, 9, 0)),  # 3.1 took 390 working minutes against 60
        do("2/2569", "advance", at(2026, 6, 16, 9, 10)),
        walk("1/2568", "5.2", at(2025, 9, 15, 9, 0)),
        do("1/2568", "advance", at(2025, 9, 15, 9, 5)),
    )


@pytest.fixture
def book(base_round, tmp_path, smtp_server) -> Path:
    path = Path(shutil.copy(base_round, tmp_path / "Coordination_Register.xlsx"))
    write_toml(path, smtp_server)
    run_check(path, at(2026, 6, 29, 10, 0))  # the checker's first run: rounds are delivered from here on
    return path


def round_mails(server) -> list:
    return [r for r in server.received if str(r.message["Subject"]) == SUBJECT]


def attachment(message) -> tuple[str, bytes, str]:
    (part,) = list(message.iter_attachments())
    return part.get_filename(), part.get_content(), part.get_content_type()


def cover(data: bytes) -> dict[str, object]:
    """The evaluation workbook's cover sheet as {label: value}."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    return {str(r[0]): r[1] for r in ws.iter_rows(values_only=True) if r and r[0] and len(r) > 1}


def test_a_closed_round_is_delivered_on_the_first_working_day_after_in_office_hours(book, smtp_server):
    for when in (at(2026, 6, 30, 15, 0), at(2026, 7, 1, 8, 0)):  # the last day; before the office opens
        r = run_check(book, when)
        assert r.exit_code == 0 and r.delivered == [] and round_mails(smtp_server) == []
    r = run_check(book, DAY)
    assert r.exit_code == 0, r.lines
    assert r.delivered == ["FY2569-R9"]
    (got,) = round_mails(smtp_server)
    assert sorted(got.rcpt_tos) == ["dir.spr@mol.go.th", "dir.wt@mol.go.th", "pmqa@mol.go.th"]
    assert got.message["To"] == "pmqa@mol.go.th"
    assert got.message["Cc"] == "dir.wt@mol.go.th, dir.spr@mol.go.th"
    name, data, mime = attachment(got.message)
    assert (name, mime) == ("FY2569-R9.xlsx", XLSX)
    kept = book.parent / "evaluations" / "FY2569-R9.xlsx"
    assert kept.read_bytes() == data
    figures = cover(data)
    assert any(PERIOD in str(v) for v in figures.values())  # the workbook covers the right period
    text = got.message.get_body(("plain",)).get_content()
    assert f"ช่วงเวลา / period: {PERIOD}" in text
    assert f"ไฟล์เก็บไว้ที่ / the file is kept at: {kept}" in text
    # two letters, two completed, 35 sub-steps of which 33 within their standard
    assert "หนังสือรับเข้า / letters received: 2 เรื่อง / 2" in text
    assert "ภายในมาตรฐานเวลา / within the time standard: 33 (94.3%)" in text
    assert "94.3" in got.message.get_body(("html",)).get_content()


def test_the_covering_message_agrees_with_the_workbook(book, smtp_server):
    run_check(book, DAY)
    (got,) = round_mails(smtp_server)
    figures = cover(attachment(got.message)[1])
    stats = checks.round_stats(bk.load(book), 2569, 9)
    value = lambda label: next(v for k, v in figures.items() if k.startswith(label))  # noqa: E731
    assert int(value("หนังสือรับในรอบ")) == stats.received == 2
    assert int(value("ดำเนินการเสร็จในรอบ")) == stats.completed == 2
    assert int(value("ขั้นตอนย่อยที่เสร็จ")) == stats.steps == 35
    assert str(value("ร้อยละภายในมาตรฐานเวลา")) == f"{stats.percent:.1f}%"
    text = got.message.get_body(("plain",)).get_content()
    assert "computed by xlflow on 1 ก.ค. 2569 09:00 น.\r\n" in text and "น.." not in text  # one full stop


def test_a_second_run_sends_nothing(book, smtp_server):
    run_check(book, DAY)
    r = run_check(book, DAY + timedelta(minutes=30))
    assert r.exit_code == 0 and r.delivered == [] and r.sent == []
    r = run_check(book, at(2026, 7, 20, 10, 0))
    assert r.delivered == [] and len(round_mails(smtp_server)) == 1


def test_a_round_closed_during_an_outage_is_delivered_on_the_first_run_after(book, smtp_server):
    smtp_server.stop()
    r = run_check(book, DAY)
    assert r.exit_code == EX_TEMPFAIL and r.delivered == []
    assert any(k == "FY2569-R9" for k, _ in r.failed)
    smtp_server.start()
    smtp_server.fail_next_connect_with(421)  # and still unwell at the next run
    assert run_check(book, DAY + timedelta(minutes=30)).exit_code == EX_TEMPFAIL
    r = run_check(book, at(2026, 7, 2, 8, 45))  # Thursday: the server is back
    assert r.exit_code == 0 and r.delivered == ["FY2569-R9"]
    assert len(round_mails(smtp_server)) == 1
    assert run_check(book, at(2026, 7, 2, 9, 45)).delivered == []


def test_a_refused_recipient_is_sent_the_round_again_alone(book, smtp_server):
    smtp_server.refuse_recipient("dir.spr@mol.go.th", 550)
    r = run_check(book, DAY)
    assert r.exit_code == EX_TEMPFAIL and r.delivered == []
    assert sorted(round_mails(smtp_server)[0].rcpt_tos) == ["dir.wt@mol.go.th", "pmqa@mol.go.th"]
    smtp_server.handler.plan.refused.clear()
    r = run_check(book, DAY + timedelta(minutes=30))
    assert r.exit_code == 0 and r.delivered == ["FY2569-R9"]
    assert [m.rcpt_tos for m in round_mails(smtp_server)][1] == ["dir.spr@mol.go.th"]


def test_redeliver_sends_a_round_again_on_purpose(book, smtp_server, cli):
    run_check(book, DAY)
    res = cli("check", book, "--now", "2026-07-06T19:00", "--redeliver", "2569", "9")  # even after hours
    assert res.exit_code == 0, res.output
    assert "FY2569-R9: redelivery on purpose" in res.output
    assert "FY2569-R9: delivered to pmqa@mol.go.th, dir.wt@mol.go.th, dir.spr@mol.go.th" in res.output
    again = SUBJECT.replace(" / ", " (ส่งซ้ำ) / ") + " (sent again)"  # the subject says it is the round once more
    assert len(round_mails(smtp_server)) == 1 and [str(r.message["Subject"]) for r in smtp_server.received][-1] == again
    assert run_check(book, at(2026, 7, 7, 9, 0)).delivered == []
    # an older round than the checker's first run goes only this way
    res = cli("check", book, "--now", "2026-07-07T09:00", "--redeliver", "2568", "12")
    assert res.exit_code == 0 and "FY2568-R12: delivered to" in res.output
    assert cover(attachment(smtp_server.received[-1].message)[1]) is not None
    res = cli("check", book, "--now", "2026-07-07T09:00", "--redeliver", "2569", "12")
    assert res.exit_code == 1
    assert res.output.endswith(
        "Error: --redeliver 2569 12: the 12-month round of fiscal year 2569 ends on 30 กันยายน 2569 (2026-09-30) — it can be delivered after that day\n"
    )
    res = cli("check", book, "--now", "2026-07-07T09:00", "--redeliver", "2569", "7")
    assert res.exit_code == 1
    assert res.output.endswith('Error: --redeliver 2569 7: round "7" is unknown — round must be 6, 9 or 12 (months from 1 October)\n')


def test_an_unreadable_register_on_the_day_is_reported_and_the_delivery_waits(book, smtp_server, tmp_path):
    good = Path(shutil.copy(book, tmp_path / "good.xlsx"))
    wb = openpyxl.load_workbook(book)
    del wb[SHEETS["log"]]  # not a cell (a cell never stops the checker): the Log sheet itself
    wb.save(book)
    before = len(smtp_server.received)
    r = run_check(book, DAY)
    assert r.exit_code == 1 and r.delivered == []
    told = smtp_server.received[before:]
    assert sorted(x for m in told for x in m.rcpt_tos) == ["dir.spr@mol.go.th", "dir.wt@mol.go.th"]
    assert "cannot be read" in told[0].message.get_body(("plain",)).get_content()
    assert not (book.parent / "evaluations" / "FY2569-R9.xlsx").exists()
    shutil.copy(good, book)
    r = run_check(book, at(2026, 7, 2, 9, 0))
    assert r.exit_code == 0 and r.delivered == ["FY2569-R9"]


def test_a_register_whose_people_cannot_be_read_either_is_only_logged(book, smtp_server):
    book.write_bytes(b"PK\x03\x04 this is not a workbook any more")
    before = len(smtp_server.received)  # (the first run told the directors the test Calendar lists no fiscal year)
    r = run_check(book, DAY)
    assert r.exit_code == 1 and len(smtp_server.received) == before
    assert "the directors' e-mails cannot be read either — nobody was told; see this log" in r.lines
    log = (book.parent / "xlflow-check.log").read_text(encoding="utf-8")
    assert "error: the register cannot be read: Coordination_Register.xlsx:" in log


def test_six_month_round_folder_and_names_come_from_xlflow_toml(base_round, tmp_path, smtp_server):
    path = Path(shutil.copy(base_round, tmp_path / "Coordination_Register.xlsx"))
    write_toml(path, smtp_server, '[rounds]\nmonths = [6, 9, 12]\nfolder = "ประเมินผล"\nname_pattern = "R{round}-{fy}.xlsx"\n')
    run_check(path, at(2026, 3, 30, 10, 0))
    r = run_check(path, at(2026, 4, 1, 9, 0))  # FY2569's 6-month round ended Tuesday 31 March
    assert r.delivered == ["FY2569-R6"]
    assert attachment(smtp_server.received[-1].message)[0] == "R6-2569.xlsx"
    assert (path.parent / "ประเมินผล" / "R6-2569.xlsx").exists()


def test_dry_run_names_the_round_and_compiles_nothing(book, smtp_server, cli):
    res = cli("check", book, "--now", "2026-07-01T09:00", "--dry-run")
    assert res.exit_code == 0
    assert f"would compile {book.parent / 'evaluations' / 'FY2569-R9.xlsx'} and send it to pmqa@mol.go.th, dir.wt@mol.go.th, dir.spr@mol.go.th" in res.output
    assert not (book.parent / "evaluations").exists() and round_mails(smtp_server) == []


def test_without_pmqa_the_round_goes_to_the_directors(base_round, tmp_path, smtp_server):
    from test_checks import PEOPLE, write_people

    path = Path(shutil.copy(base_round, tmp_path / "Coordination_Register.xlsx"))
    write_people(path, [p for p in PEOPLE if p[1] != "ทีม PMQA"])
    write_toml(path, smtp_server)
    run_check(path, at(2026, 6, 29, 10, 0))
    r = run_check(path, DAY)
    assert r.delivered == ["FY2569-R9"]
    assert "FY2569-R9: no PMQA team e-mail in the People sheet — sent to the directors only" in r.lines
    assert round_mails(smtp_server)[0].message["To"] == "dir.wt@mol.go.th, dir.spr@mol.go.th"
