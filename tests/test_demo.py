"""``xlflow demo``: a realistic, reproducible year in a register, and what is made from it."""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xlflow import book as bk
from xlflow.cli import main
from xlflow.demo import make_demo
from xlflow.errors import XlflowError
from xlflow.evaluation import summarize
from xlflow.schema import SHEETS, verify_chain

NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "xlflow-demo"
    t0 = time.monotonic()
    paths = make_demo(folder, now=NOW, progress=False)
    return paths, time.monotonic() - t0


def test_default_demo_finishes_well_under_a_minute(demo):
    _, seconds = demo
    assert seconds < 45


def test_demo_register_holds_a_fiscal_year_of_letters_from_the_expected_senders(demo):
    paths, _ = demo
    b = bk.load(paths["register"])
    assert b.problems == []
    assert len(b.letters) == 120
    received = sorted(l.received_at for l in b.letters.values())
    assert received[0] >= datetime(2025, 10, 1) and received[-1] <= NOW
    assert (received[-1] - received[0]).days > 365  # the whole fiscal year 2569 and the start of 2570
    senders = Counter(l.sender for l in b.letters.values())
    assert any("ILO" in s for s in senders) and any("ASEAN" in s for s in senders)
    assert any(s.startswith("สถานเอกอัครราชทูต") for s in senders)
    for dept in ("กรมการจัดหางาน", "กรมพัฒนาฝีมือแรงงาน", "กรมสวัสดิการและคุ้มครองแรงงาน", "สำนักงานประกันสังคม"):
        assert senders[dept] > 0, dept
    assert all(l.subject and any("\u0e00" <= ch <= "\u0e7f" for ch in l.subject) for l in b.letters.values())
    # numbers run from 1 in each calendar year, in the order the letters were registered
    regs = [e for e in b.log if e.action == "register"]
    by_year: dict[str, list[int]] = {}
    for e in regs:
        n, y = e.item.split("/")
        by_year.setdefault(y, []).append(int(n))
    assert all(ns == list(range(1, len(ns) + 1)) for ns in by_year.values())


def test_people_has_someone_with_an_example_address_for_every_role(demo):
    paths, _ = demo
    b = bk.load(paths["register"])
    roles = {r.name_th for r in b.process.roles}
    assert roles <= {p.role for p in b.people}
    assert all(p.email.endswith("@example.go.th") and p.name for p in b.people)
    assert len([p for p in b.people if p.role == "เจ้าหน้าที่ วท. ที่รับผิดชอบ"]) >= 3


def test_the_year_has_sendbacks_pauses_late_work_and_a_backlog_at_now(demo):
    paths, _ = demo
    b = bk.load(paths["register"])
    actions = Counter(e.action for e in b.log)
    assert actions["reject"] >= 5 and actions["pause"] >= 10 and actions["resume"] >= 5
    status = Counter(t.status for _, t in b.timings(NOW).values())
    assert status["done"] > 90 and status["overdue"] >= 1 and status["overdue"] + status["paused"] + status["due_soon"] + status["on_time"] >= 3
    s = summarize(b, 2569, 12, NOW)
    late = [x for x in s["substeps"] if x["cases"] and x["within"] < x["cases"]]
    assert len(late) >= 10  # some work everywhere took longer than its standard
    assert all(x["pct"] > 50 for x in s["substeps"])  # ... but most of it did not


def test_every_action_is_at_a_working_moment_and_the_log_chain_is_intact(demo):
    paths, _ = demo
    b = bk.load(paths["register"])
    assert all(b.calendar.is_working(e.at) and e.at <= NOW for e in b.log)
    assert all(b.calendar.is_working(l.received_at) for l in b.letters.values())
    assert [e.at for e in b.log] == sorted(e.at for e in b.log)  # one day after another, like a real log
    assert verify_chain(b.log, b.log_where) is None
    officers = {p.name for p in b.people}
    assert all(e.by in officers for e in b.log)


def test_demo_writes_the_latest_rounds_evaluation_and_fills_the_forms(demo):
    paths, _ = demo
    assert paths["evaluation"] == paths["folder"] / "Evaluation_FY2569_round12.xlsx"
    wb = load_workbook(paths["evaluation"], read_only=True)
    assert "รายขั้นตอนย่อย" in wb.sheetnames and SHEETS["form_design"] in wb.sheetnames
    reg = load_workbook(paths["register"], read_only=True)
    assert reg[SHEETS["form_design"]]["A1"].value == "แบบฟอร์มการออกแบบกระบวนการ"
    assert any(r[0] == "ลำดับที่" for r in reg[SHEETS["form_design"]].iter_rows(values_only=True))


def test_the_checker_ran_into_the_outbox_telling_officers_and_directors(demo):
    paths, _ = demo
    mails = sorted(paths["outbox"].glob("*.eml"))
    assert paths["outbox"] == paths["folder"] / "outbox" and mails
    b = bk.load(paths["register"])
    # an officer is told of an overdue item at a sub-step whose role is the officer's (the clerks hear of theirs)
    officers_step = lambda s: any((r := b.process.role(n)) is not None and r.officer for n in b.process[s.substep].roles)  # noqa: E731
    overdue_officers = {s.officer for s, t in b.timings(NOW).values() if t.status == "overdue" and s.officer and officers_step(s)}
    by_name = {p.name: p.email for p in b.people}
    to = {m.name.split("_")[1] for m in mails}
    assert {by_name[o] for o in overdue_officers} <= to
    directors = {p.email for p in b.people if p.role in ("ผอ.วท.", "ผอ.สปร.")}
    assert directors <= to
    assert all(addr.endswith("@example.go.th") for addr in to)
    assert (paths["folder"] / "xlflow.toml").read_text("utf-8").startswith("# xlflow demo settings.")


def test_the_same_seed_and_now_make_the_same_register_and_another_seed_another(tmp_path):
    logs = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        make_demo(tmp_path / name, now=NOW, items=15, progress=False, seed=seed)
        logs.append([e.hash for e in bk.load(tmp_path / name / "Coordination_Register.xlsx").log])
    assert logs[0] == logs[1]
    assert logs[0] != logs[2]


def test_demo_refuses_a_folder_holding_other_files_and_reruns_in_its_own(tmp_path):
    mine = tmp_path / "work"
    mine.mkdir()
    (mine / "budget.xlsx").write_bytes(b"keep me")
    with pytest.raises(XlflowError) as e:
        make_demo(mine, now=NOW, items=3, progress=False)
    assert str(e.value) == (f"{mine}: the folder holds other files and no earlier demo — give a new or empty folder, "
                            "e.g. xlflow demo xlflow-demo, so that nothing of yours is replaced")
    assert (mine / "budget.xlsx").read_bytes() == b"keep me"
    again = tmp_path / "again"
    make_demo(again, now=NOW, items=3, progress=False)
    make_demo(again, now=NOW, items=4, progress=False)
    assert len(bk.load(again / "Coordination_Register.xlsx").letters) == 4


def test_demo_command_prints_where_everything_is(tmp_path):
    folder = tmp_path / "d"
    r = CliRunner().invoke(main, ["demo", str(folder), "--items", "6", "--now", "2026-11-25T10:00"])
    assert r.exit_code == 0, r.output
    reg = folder / "Coordination_Register.xlsx"
    assert r.output.splitlines()[0] == f"demo in {folder}:"
    assert f"  register (ทะเบียนหนังสือรับ, with the filled forms): {reg}" in r.output.splitlines()
    assert f"  evaluation workbook: {folder / 'Evaluation_FY2569_round12.xlsx'}" in r.output.splitlines()
    n = len(list((folder / "outbox").glob("*.eml")))
    assert f"  checker's e-mails (outbox): {folder / 'outbox'} ({n} e-mail(s))" in r.output.splitlines()
    assert reg.exists()
    r = CliRunner().invoke(main, ["demo", str(folder), "--items", "0"])
    assert r.exit_code == 2 and "0 is not in the range x>=1" in r.output


def _mails(outbox):
    import email
    from email import policy

    out = []
    for f in sorted(outbox.glob("*.eml")):
        m = email.message_from_binary_file(f.open("rb"), policy=policy.default)
        out.append((m["Subject"], m["To"], [a.get_filename() for a in m.iter_attachments()], m["Date"]))
    return out


def test_the_demo_shows_a_correction_a_cancelled_and_a_closed_letter(demo):
    paths, _ = demo
    b = bk.load(paths["register"])
    actions = Counter(e.action for e in b.log)
    assert actions["correct"] >= 1 and actions["cancel"] >= 1 and actions["close"] >= 1
    ended = Counter(s.ended for s in b.states().values() if s.ended)
    assert ended["cancelled"] >= 1 and ended["closed"] >= 1
    undone = next(e for e in b.log if e.action == "correct")
    assert undone.note and undone.data["undoes"] == max(e.seq for e in b.log if e.item == undone.item and e.seq < undone.seq)


def test_the_checker_delivered_rounds_9_and_12_to_the_pmqa_team_and_sent_due_soon_reply_by_and_reminders(demo):
    paths, _ = demo
    mails = _mails(paths["outbox"])
    pmqa = {p.email for p in bk.load(paths["register"]).people if p.role == "ทีม PMQA"}
    rounds = [m for m in mails if "ผลการประเมินรอบ" in m[0]]
    assert [("รอบ 9 เดือน" in m[0], "รอบ 12 เดือน" in m[0]) for m in rounds] == [(True, False), (False, True)]
    assert all(m[1] in pmqa and m[2] for m in rounds)  # the round's workbook attached
    assert sorted(p.name for p in (paths["folder"] / "evaluations").glob("*.xlsx")) == ["FY2569-R12.xlsx", "FY2569-R9.xlsx"]
    subjects = [m[0] for m in mails if "ผลการประเมินรอบ" not in m[0]]
    assert any("due soon" in s for s in subjects)
    assert any("reply-by" in s for s in subjects)
    assert any("reminder" in s for s in subjects)


def test_the_demo_is_the_same_with_its_mails_and_rounds_on_every_run(tmp_path):
    a = make_demo(tmp_path / "a", now=NOW, items=24, progress=False)
    b = make_demo(tmp_path / "b", now=NOW, items=24, progress=False)
    assert [m[:3] for m in _mails(a["outbox"])] == [m[:3] for m in _mails(b["outbox"])]
    assert [k for k in a if k.startswith("round")] == [k for k in b if k.startswith("round")]


def test_the_demo_pdf_carries_the_drawn_flow_chart(tmp_path):
    import subprocess

    paths = make_demo(tmp_path / "d", now=NOW, items=8, progress=False, pdf=True)
    design = paths[f"pdf:{SHEETS['form_design']}"]
    text = subprocess.run(["pdftotext", "-raw", str(design), "-"], capture_output=True, text=True, check=True).stdout
    assert all(f"\n{s.code}\n" in text for s in bk.load(paths["register"]).process)  # a drawn box per sub-step
    assert "รหัสเอกสาร WI-วท.-01" in text  # the document control of the info sheet
