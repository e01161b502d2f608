"""Follow-up until done (issue 15, point 2): reminders while an item stays late, escalation to
ผอ.วท. and ผอ.สปร. past multiples of its standard, a directors' summary of everything late now
with the new marked — each (breach, recipient, step) sent once, over a real SMTP server on
127.0.0.1 and fixed Bangkok times."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smtp_fixtures import smtp_server  # noqa: F401 (a fixture)
from test_checker import inbox, write_toml
from test_checks import SOMYING, at, make_register, reg, script, walk
from xlflow import book as bk
from xlflow import checks
from xlflow.checker import EX_TEMPFAIL, run_check
from xlflow.settings import Settings

WED = at(2026, 11, 25, 11, 0)  # Wednesday 25 November 2026


@pytest.fixture(scope="module")
def late_base(tmp_path_factory) -> Path:
    """1/2569 at 2.1 (60 minutes, สมชาย) since 09:00 Wednesday: overdue from 10:00. 2/2569 at 3.2
    (120 minutes, สมหญิง) from 10:00, secret (ลับมาก)."""
    path = make_register(tmp_path_factory.mktemp("late") / "Coordination_Register.xlsx")
    return script(
        path,
        reg(at(2026, 11, 25, 9, 0), "เชิญประชุม ILO"),
        reg(at(2026, 11, 25, 9, 0), "ท่าทีการเจรจาการค้า", secrecy="ลับมาก"),
        walk("1/2569", "2.1", at(2026, 11, 25, 9, 0)),
        walk("2/2569", "3.2", at(2026, 11, 25, 10, 0), officer=SOMYING),
    )


@pytest.fixture
def late(late_base, tmp_path, smtp_server) -> Path:
    path = Path(shutil.copy(late_base, tmp_path / "Coordination_Register.xlsx"))
    write_toml(path, smtp_server)
    return path


def keys_to(report, address: str) -> list[str]:
    return [k for to, _, keys in report.sent if address in to for k in keys]


AFTER = at(2026, 11, 25, 13, 5)  # both overdue: 1/2569 since 10:00, 2/2569 since 13:00


def test_the_officer_is_reminded_each_working_day_the_item_stays_late(late, smtp_server):
    first = run_check(late, AFTER)
    assert keys_to(first, "somchai@mol.go.th") == ["1/2569|2.1|0|overdue"]
    assert run_check(late, at(2026, 11, 25, 16, 25)).sent == []  # the day it fell due: no reminder yet
    # Thursday is one working day past Wednesday, the day it fell due: the reminder comes with the
    # day's first run (with the day's others, in one mail), not at 10:00, its own due time of day
    r = run_check(late, at(2026, 11, 26, 8, 30))
    assert sorted((to, keys) for to, _, keys in r.sent) == [("somchai@mol.go.th", ["1/2569|2.1|0|overdue#r1"]),
                                                           ("somying@mol.go.th", ["2/2569|3.2|0|overdue#r1"])]  # late since 13:00 Wed
    # (a reminder is the officer's; the directors have the item in their summary whenever it goes)
    assert run_check(late, at(2026, 11, 26, 12, 0)).sent == []  # once a day
    mail = inbox(smtp_server)["somchai@mol.go.th"][-1]
    assert str(mail["Subject"]) == "xlflow: เตือนซ้ำ 1 เรื่อง / 1 reminder"
    text = mail.get_body(("plain",)).get_content()
    assert "เตือนครั้งที่ 1: ยังค้างอยู่ / reminder 1: still open" in text
    assert "เกินกำหนด 5.5 ชั่วโมงทำการ / 5.5 working hours late" in text  # 10:00–16:30 Wednesday, lunch aside
    # over the weekend and the Father's Day holiday (Monday 7 December) the count is in working days
    r = run_check(late, at(2026, 12, 8, 10, 0))  # Tue 8 Dec: Thu 26, Fri 27, Mon 30, Tue 1 … 8 working days
    assert keys_to(r, "somchai@mol.go.th") == ["1/2569|2.1|0|overdue#r8"]  # the step reached, not the ones missed


def test_an_item_first_found_long_overdue_is_announced_once_not_also_reminded(late, smtp_server):
    """The checker's first run is a week after 1/2569 fell due: its officer reads it once, as
    newly overdue; the reminder due that day is recorded, and the next comes in its own time."""
    r = run_check(late, at(2026, 12, 3, 10, 0))  # Thu 3 Dec: 6 working days past Wednesday 25 November's 10:00
    assert keys_to(r, "somchai@mol.go.th") == ["1/2569|2.1|0|overdue", "1/2569|2.1|0|overdue#r6"]  # both recorded
    text = inbox(smtp_server)["somchai@mol.go.th"][-1].get_body(("plain",)).get_content()
    assert text.count("1/2569") == 1 and "เตือนครั้งที่" not in text
    assert keys_to(run_check(late, at(2026, 12, 3, 15, 0)), "somchai@mol.go.th") == []
    r = run_check(late, at(2026, 12, 4, 10, 0))
    assert keys_to(r, "somchai@mol.go.th") == ["1/2569|2.1|0|overdue#r7"]


def test_escalation_to_the_group_and_then_the_bureau_director_past_multiples_of_the_standard(late, smtp_server):
    run_check(late, AFTER)
    # 2.1's 60 minutes count as one working day (420): twice that is 840 minutes spent, at 09:00 Friday
    r = run_check(late, at(2026, 11, 27, 9, 0))
    assert keys_to(r, "dir.wt@mol.go.th") == ["1/2569|2.1|0|overdue#e2"]
    assert not any(k.endswith("#e2") for k in keys_to(r, "dir.spr@mol.go.th"))
    text = inbox(smtp_server)["dir.wt@mol.go.th"][-1].get_body(("plain",)).get_content()
    assert "ยกระดับถึง ผอ.วท.: ใช้เวลาแล้ว 2 เท่าของมาตรฐานหรือกว่า / escalated to ผอ.วท.: 2 times the standard or more spent" in text
    r = run_check(late, at(2026, 12, 1, 9, 0))  # 4 × 420 = 1680 minutes spent at 09:00 Tuesday 1 December
    assert "1/2569|2.1|0|overdue#e4" in keys_to(r, "dir.spr@mol.go.th")
    assert "1/2569|2.1|0|overdue#e2" not in keys_to(r, "dir.wt@mol.go.th")  # each step once


def test_the_directors_summary_lists_everything_late_now_and_marks_the_new(late, smtp_server):
    run_check(late, WED)
    # 2/2569 (3.2 from 10:00, 120 minutes) is overdue from 12:00... 13:00 with lunch: a new breach
    r = run_check(late, at(2026, 11, 25, 13, 5))
    assert keys_to(r, "dir.wt@mol.go.th") == ["2/2569|3.2|0|overdue"]
    mail = inbox(smtp_server)["dir.wt@mol.go.th"][-1]
    subject = str(mail["Subject"])
    # (the test register's Calendar lists three days only: the directors are told it lists no fiscal year)
    assert subject == "xlflow สรุปสำหรับผู้อำนวยการ: เกินกำหนด 2 เรื่อง ปัญหาที่ต้องแก้ 1 รายการ (ใหม่ 1) / directors' summary: 2 overdue, 1 problem to fix, 1 new"
    text = mail.get_body(("plain",)).get_content()
    assert "เกินกำหนด / overdue (2)" in text
    assert "- 1/2569 — เชิญประชุม ILO" in text  # not new: listed, not marked
    assert "- [ใหม่ / new] 2/2569 — [ลับมาก]" in text
    assert "ภาพรวมขณะนี้: เกินกำหนด 2 " in text  # the overview counts what the list shows
    assert "ท่าทีการเจรจาการค้า" not in text and "ท่าทีการเจรจาการค้า" not in mail.get_body(("html",)).get_content()


def test_a_secret_letters_subject_never_leaves_the_workbook(late, smtp_server, tmp_path):
    run_check(late, at(2026, 11, 25, 13, 5), outbox=tmp_path / "out")
    raw = b"".join(p.read_bytes() for p in (tmp_path / "out").glob("*.eml"))
    assert raw and "ท่าทีการเจรจาการค้า".encode() not in raw
    import email
    import email.policy

    texts = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
             for p in (tmp_path / "out").glob("*.eml")]
    mine = next(t for t in texts if t.startswith(f"เรียน {SOMYING} "))
    assert "- 2/2569 — [ลับมาก] (ชั้นความลับ: เรื่องดูได้ในทะเบียนเท่านั้น / secret: the subject is kept in the register)" in mine
    assert "ขั้นตอน / sub-step 3.2" in mine
    assert "ท่าทีการเจรจาการค้า" not in (late.parent / "xlflow-check.log").read_text(encoding="utf-8")


def test_a_reminder_the_server_did_not_take_is_sent_once_by_the_next_run(late, smtp_server):
    run_check(late, WED)
    smtp_server.stop()
    r = run_check(late, at(2026, 11, 26, 10, 0))
    assert r.exit_code == EX_TEMPFAIL
    smtp_server.start()
    r = run_check(late, at(2026, 11, 26, 10, 30))
    assert keys_to(r, "somchai@mol.go.th") == ["1/2569|2.1|0|overdue#r1"]
    assert run_check(late, at(2026, 11, 26, 11, 0)).sent == []
    got = [m for m in inbox(smtp_server)["somchai@mol.go.th"] if "เตือนครั้งที่ 1" in m.get_body(("plain",)).get_content()]
    assert len(got) == 1


def test_follow_up_is_configured_in_xlflow_toml(late, smtp_server):
    write_toml(late, smtp_server, '[followup]\nremind_every_days = 0\nescalate_at = [2]\nescalate_to = ["ผอ.ไม่มี"]\n')
    run_check(late, WED)
    r = run_check(late, at(2026, 11, 27, 9, 0))
    assert not any("#r" in k for _, _, keys in r.sent for k in keys)  # no reminders
    assert 'problem: xlflow.toml [followup] escalate_to: "ผอ.ไม่มี" is not a role of the process — use a role name as the People sheet has it' in r.lines
    assert r.exit_code == 0  # advice, not a cell that cannot be read
    b = bk.load(late)
    f = checks.find(b, at(2026, 11, 27, 9, 0), remind_every_days=0, escalate=((2, "ผอ.ไม่มี"),))
    assert [x.key for x in f.followups] == ["1/2569|2.1|0|overdue#e2"] and f.followup_to["1/2569|2.1|0|overdue#e2"] == []
    assert "no one in the People sheet has the role ผอ.ไม่มี, so item 1/2569 could not be escalated — add the name and e-mail" in [n.en for n in f.notices]


def test_due_soon_scales_with_a_short_standard(late_base, tmp_path):
    # 1.2 has a standard of 15 minutes: "due soon" from 7.5 minutes in, not from the first minute
    path = Path(shutil.copy(late_base, tmp_path / "r.xlsx"))
    script(path, reg(at(2026, 11, 25, 10, 0), "ใหม่"))
    s = Settings(book_path=path)
    kinds = lambda now: {b.key: b.kind for b in checks.find(bk.load(path), now).breaches if b.item == "3/2569"}  # noqa: E731
    assert kinds(at(2026, 11, 25, 10, 7)) == {}
    assert kinds(at(2026, 11, 25, 10, 8)) == {"3/2569|1.2|0|due_soon": "due_soon"}
    assert kinds(at(2026, 11, 25, 10, 15)) == {"3/2569|1.2|0|overdue": "overdue"}
    assert s.check.due_soon_minutes == 60
