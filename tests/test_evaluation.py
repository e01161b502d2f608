"""The evaluation of a round: numbers checked against an independent computation.

The log is made by hand (seven letters, one sent back, one paused over a holiday and a
weekend, some open at the end of the round, one corrected click). The expected working
minutes are counted minute by minute from the office hours and the two fixed holidays in
this file — not by xlflow.worktime — and the statistics are computed with pandas.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xlflow import book as bk
from xlflow import template
from xlflow.cli import main
from xlflow.errors import XlflowError
from xlflow.evaluation import evaluate, latest_complete_round, quantile, summarize
from xlflow.model import Letter, Person
from xlflow.process import Process
from xlflow.render import to_pdf
from xlflow.service import commit, plan_action, plan_register
from xlflow.workflow import act, register, replay
from xlflow.worktime import WorkCalendar

# -- the fixed world of these tests --------------------------------------------------------
HOLIDAYS = (date(2025, 12, 5), date(2025, 12, 10))  # a Friday and a Wednesday off
MORNING = (time(8, 30), time(12, 0))
AFTERNOON = (time(13, 0), time(16, 30))
#: The manual's standards (section 6), in working minutes.
STANDARD = {"1.1": 5, "1.2": 15, "1.3": 5, "1.4": 5, "1.5": 15, "1.6": 5, "2.1": 60, "2.2": 60, "2.3": 60,
            "3.1": 60, "3.2": 120, "4.1": 120, "4.2": 60, "5.1": 120, "5.2": 60}
STEP_OF = {k: int(k.split(".")[0]) for k in STANDARD}
#: Sub-steps whose responsible role includes the officer in charge (section 6).
OFFICER_SUBSTEPS = {"2.1", "2.3", "3.1", "3.2", "4.1", "4.2", "5.2"}
FY, ROUND = 2569, 6  # 1 Oct 2025 – 31 Mar 2026
PERIOD = (datetime(2025, 10, 1), datetime(2026, 4, 1))
NOW = datetime(2026, 4, 20, 10, 0)
O1, O2 = "นางสาวทดสอบ หนึ่ง", "นายทดสอบ สอง"
EXEC = "ผู้บริหาร ทดสอบ"


def office_minutes(a: datetime, b: datetime) -> int:
    """Working minutes from a to b, counted one minute at a time."""
    n, t = 0, a
    while t < b:
        if t.weekday() < 5 and t.date() not in HOLIDAYS:
            tod = t.time()
            if MORNING[0] <= tod < MORNING[1] or AFTERNOON[0] <= tod < AFTERNOON[1]:
                n += 1
        t += timedelta(minutes=1)
    return n


def T(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%d %H:%M")


# Each letter: (item, subject, received, actions). An action: (action, sub-step, time, extra).
# "mistake" is an advance that the next action, "correct", undoes.
def _through_step1(day: str, times: list[str], officer: str) -> list[tuple]:
    t = [f"{day} {x}" for x in times]
    return [
        ("register", "1.1", t[0], {}),
        ("assign", "1.2", t[1], {"unit": "วท."}), ("advance", "1.2", t[2], {}),
        ("advance", "1.3", t[3], {}), ("advance", "1.4", t[4], {}),
        ("assign", "1.5", t[5], {"officer": officer}), ("advance", "1.5", t[6], {}),
        ("advance", "1.6", t[7], {}),
    ]


LETTERS = [
    ("1/2568", "ขอเชิญประชุม ILO", "2025-11-03 09:00",
     _through_step1("2025-11-03", ["09:04", "09:10", "09:20", "09:24", "09:28", "09:30", "09:40", "09:44"], O1) + [
         ("advance", "2.1", "2025-11-03 10:30", {}), ("advance", "2.2", "2025-11-03 11:00", {}),
         ("mistake", "2.3", "2025-11-03 11:05", {}), ("correct", "3.1", "2025-11-03 11:06", {}),
         ("advance", "2.3", "2025-11-03 11:50", {}), ("advance", "3.1", "2025-11-03 13:30", {}),
         ("advance", "3.2", "2025-11-03 15:30", {}), ("advance", "4.1", "2025-11-04 09:30", {}),
         ("advance", "4.2", "2025-11-04 10:00", {}), ("approve", "5.1", "2025-11-04 11:00", {}),
         ("advance", "5.2", "2025-11-04 14:00", {}),
     ]),
    ("2/2568", "ขอความเห็นร่างปฏิญญาอาเซียน", "2025-11-05 09:00",
     _through_step1("2025-11-05", ["09:10", "09:15", "09:20", "09:25", "09:30", "09:35", "09:45", "09:50"], O2) + [
         ("advance", "2.1", "2025-11-05 10:40", {}), ("advance", "2.2", "2025-11-05 11:40", {}),
         ("advance", "2.3", "2025-11-05 13:40", {}), ("advance", "3.1", "2025-11-05 14:40", {}),
         ("advance", "3.2", "2025-11-05 16:30", {}), ("advance", "4.1", "2025-11-06 09:30", {}),
         ("advance", "4.2", "2025-11-06 10:30", {}),
         ("reject", "5.1", "2025-11-06 11:30", {"note": "ขอข้อมูลเพิ่มเติมจากกรมการจัดหางาน"}),
         ("advance", "3.1", "2025-11-06 14:00", {}), ("advance", "3.2", "2025-11-06 15:00", {}),
         ("advance", "4.1", "2025-11-06 16:00", {}), ("advance", "4.2", "2025-11-07 09:00", {}),
         ("approve", "5.1", "2025-11-07 10:00", {}), ("advance", "5.2", "2025-11-07 10:30", {}),
     ]),
    ("3/2568", "ขอข้อมูลจากสถานเอกอัครราชทูต", "2025-12-04 08:30",
     _through_step1("2025-12-04", ["08:35", "08:40", "08:45", "08:50", "08:55", "09:00", "09:05", "09:10"], O1) + [
         ("advance", "2.1", "2025-12-04 09:50", {}), ("advance", "2.2", "2025-12-04 10:00", {}),
         ("pause", "2.3", "2025-12-04 11:00", {"note": "รอความเห็นจากกรมการจัดหางาน"}),
         ("resume", "2.3", "2025-12-09 09:00", {}), ("advance", "2.3", "2025-12-09 09:30", {}),
         ("advance", "3.1", "2025-12-09 10:30", {}), ("advance", "3.2", "2025-12-11 09:00", {}),
         ("advance", "4.1", "2025-12-11 11:00", {}), ("advance", "4.2", "2025-12-11 11:30", {}),
         ("approve", "5.1", "2025-12-11 13:30", {}), ("advance", "5.2", "2025-12-11 14:00", {}),
     ]),
    ("4/2568", "เรื่องที่เริ่มก่อนปีงบประมาณ", "2025-09-30 15:00", [
        ("register", "1.1", "2025-09-30 15:05", {}), ("assign", "1.2", "2025-09-30 15:10", {"unit": "วท."}),
        ("advance", "1.2", "2025-10-01 08:40", {}), ("advance", "1.3", "2025-10-01 08:45", {}),
    ]),
    ("5/2569", "เรื่องที่รอหน่วยงานภายนอกตอนสิ้นรอบ", "2026-03-30 09:00",
     _through_step1("2026-03-30", ["09:05", "09:10", "09:15", "09:20", "09:25", "09:30", "09:35", "09:40"], O2) + [
         ("advance", "2.1", "2026-03-30 10:40", {}), ("advance", "2.2", "2026-03-30 11:40", {}),
         ("pause", "2.3", "2026-03-31 10:00", {"note": "รอคำตอบจากกระทรวงการต่างประเทศ"}),
     ]),
    ("6/2569", "เรื่องที่ค้างมอบหมายตอนสิ้นรอบ", "2026-03-31 09:00", [
        ("register", "1.1", "2026-03-31 09:03", {}),
    ]),
    ("7/2569", "เรื่องที่รับวันสุดท้ายและลงทะเบียนรอบถัดไป", "2026-03-31 16:00", [
        ("register", "1.1", "2026-04-01 08:40", {}), ("assign", "1.2", "2026-04-01 08:45", {"unit": "วท."}),
        ("advance", "1.2", "2026-04-01 08:50", {}),
    ]),
]
FINISHING = {"register", "advance", "approve", "reject"}


def make_log(process: Process) -> list:
    """The LETTERS through the pure core (register, act), as a Log."""
    log, seq = [], 0
    for item, _subject, received, actions in LETTERS:
        entries = []
        for action, _code, at, extra in actions:
            seq += 1
            kind = "advance" if action == "mistake" else action
            if kind == "register":
                e = register(item, at=T(at), by="สารบรรณ", process=process, received_at=T(received), seq=seq)
            else:
                state = replay(entries, process)
                who = EXEC if kind in ("approve", "reject") else "ผู้ปฏิบัติ"
                e, _ = act(state, entries, kind, at=T(at), by=who, process=process, seq=seq, **extra)
            entries.append(e)
            log.append(e)
    return log


def make_book(process: Process | None = None) -> bk.Book:
    process = process or Process.default()
    log = make_log(process)
    letters = {item: Letter(item=item, received_at=T(rec), subject=subj, sender="ILO") for item, subj, rec, _ in LETTERS}
    return bk.Book(
        path=None, process=process, calendar=WorkCalendar(holidays=HOLIDAYS), holidays=list(HOLIDAYS),
        people=[Person(O1, "เจ้าหน้าที่ วท. ที่รับผิดชอบ"), Person(O2, "เจ้าหน้าที่ วท. ที่รับผิดชอบ")],
        letters=letters, log=log, register_rows={}, log_rows={}, sha256="0" * 64,
    )


def expected_segments() -> pd.DataFrame:
    """Every finished sub-step of LETTERS, from the action lists: its start is the previous
    finishing action (1.1 starts when the letter was received); paused spans are cut out."""
    rows = []
    for item, _subject, received, actions in LETTERS:
        started, rnd, pauses = T(received), 0, []
        officer = next((x[3]["officer"] for x in actions if x[3].get("officer")), None)
        todo = [a for i, a in enumerate(actions) if a[0] != "mistake" and a[0] != "correct"]
        for action, code, at, _extra in todo:
            if action == "pause":
                pauses.append([T(at), None])
            elif action == "resume":
                pauses[-1][1] = T(at)
            elif action in FINISHING:
                wall = office_minutes(started, T(at))
                paused = sum(office_minutes(a, b) for a, b in pauses)
                rows.append(dict(item=item, code=code, step=STEP_OF[code], round=rnd, finished=T(at),
                                 minutes=wall - paused, standard=STANDARD[code], officer=officer, outcome=action))
                started, pauses = T(at), []
                if action == "reject":
                    rnd += 1
    return pd.DataFrame(rows)


def in_period(df: pd.DataFrame, end: datetime = PERIOD[1]) -> pd.DataFrame:
    return df[(df.finished >= PERIOD[0]) & (df.finished < end)]


def agg(df: pd.DataFrame, by: str) -> pd.DataFrame:
    g = df.assign(within=df.minutes <= df.standard).groupby(by)
    out = g.agg(cases=("minutes", "size"), within=("within", "sum"), median=("minutes", "median"), max=("minutes", "max"))
    out["p90"] = g["minutes"].quantile(0.9)
    out["pct"] = 100 * out.within / out.cases
    return out


@pytest.fixture(scope="module")
def summary():
    return summarize(make_book(), FY, ROUND, NOW)


# -- the hand counts themselves ------------------------------------------------------------------
def test_hand_counted_minutes_skip_lunch_nights_weekends_holidays_and_pauses():
    seg = expected_segments().set_index(["item", "code", "round"]).minutes
    assert seg["1/2568", "3.1", 0] == 40  # 11:50→12:00 and 13:00→13:30
    assert seg["1/2568", "4.1", 0] == 120  # 15:30→16:30 and the next morning 08:30→09:30
    assert seg["3/2568", "2.3", 0] == 90  # 60 before the pause, 30 after; Fri 5 Dec is a holiday
    assert seg["3/2568", "3.2", 0] == 330  # Tue 10:30→16:30 less lunch, Wed 10 Dec off, Thu 08:30→09:00
    assert seg["2/2568", "3.1", 1] == 90  # the second pass after the send-back


# -- per sub-step, step, officer -----------------------------------------------------------------
def test_per_substep_numbers_equal_an_independent_pandas_computation(summary):
    exp = agg(in_period(expected_segments()), "code")
    got = {s["code"]: s for s in summary["substeps"]}
    assert set(got) == set(STANDARD)
    for code in STANDARD:
        if code not in exp.index:
            assert got[code]["cases"] == 0 and got[code]["pct"] is None and got[code]["median"] is None
            continue
        e = exp.loc[code]
        assert got[code]["standard"] == STANDARD[code]
        assert got[code]["cases"] == e.cases, code
        assert got[code]["within"] == e.within, code
        assert got[code]["pct"] == pytest.approx(e.pct), code
        assert got[code]["median"] == pytest.approx(e["median"]), code
        assert got[code]["p90"] == pytest.approx(e.p90), code
        assert got[code]["max"] == pytest.approx(e["max"]), code
    # the send-back makes 3.1–5.1 two cases of letter 2; letter 4's 1.2 finished on 1 October
    assert got["3.1"]["cases"] == 4 and got["5.1"]["cases"] == 4 and got["1.2"]["cases"] == 5


def test_per_step_passes_equal_pandas_with_the_send_back_pass_measured_on_its_own_substeps(summary):
    seg = expected_segments()
    seg["pass"] = (seg[["item", "step", "round"]] != seg[["item", "step", "round"]].shift()).any(axis=1).cumsum()
    passes = seg.groupby("pass").agg(step=("step", "first"), minutes=("minutes", "sum"), standard=("standard", "sum"),
                                     finished=("finished", "last"))
    exp = agg(in_period(passes), "step")
    got = {s["step"]: s for s in summary["steps"]}
    for step, e in exp.iterrows():
        assert (got[step]["cases"], got[step]["within"]) == (e.cases, e.within), step
        assert got[step]["median"] == pytest.approx(e["median"])
        assert got[step]["p90"] == pytest.approx(e.p90)
        assert got[step]["max"] == pytest.approx(e["max"])
    assert got[5]["cases"] == 4  # letter 2 passed step 5 twice: rejected (5.1 only), then approved
    assert got[1]["standard"] == 50 and got[3]["standard"] == 180


def test_per_officer_counts_only_their_substeps_and_their_open_and_sent_back_items(summary):
    seg = in_period(expected_segments())
    mine = seg[seg.code.isin(OFFICER_SUBSTEPS) & seg.officer.notna()]
    exp = agg(mine, "officer")
    got = {o["officer"]: o for o in summary["officers"]}
    for name, e in exp.iterrows():
        assert (got[name]["cases"], got[name]["within"]) == (e.cases, e.within)
        assert got[name]["median"] == pytest.approx(e["median"])
        assert got[name]["p90"] == pytest.approx(e.p90)
    assert got[O1]["items"] == 2 and got[O2]["items"] == 2
    assert got[O2]["sendbacks"] == 1 and got[O1]["sendbacks"] == 0
    assert (got[O2]["open"], got[O2]["overdue"]) == (1, 0)  # letter 5, paused


def test_totals_months_and_completed_rounds(summary):
    seg = in_period(expected_segments())
    t = summary["totals"]
    assert t["cases"] == len(seg)
    assert t["within"] == int((seg.minutes <= seg.standard).sum())
    assert t["pct"] == pytest.approx(100 * t["within"] / t["cases"])
    assert (t["received"], t["completed"], t["open"], t["overdue"], t["paused"], t["sendbacks"]) == (6, 3, 4, 3, 1, 1)
    months = {m["month"]: (m["received"], m["completed"]) for m in summary["months"]}
    assert list(months)[0] == date(2025, 10, 1) and list(months)[-1] == date(2026, 3, 1) and len(months) == 6
    assert months[date(2025, 11, 1)] == (2, 2) and months[date(2025, 12, 1)] == (1, 1) and months[date(2026, 3, 1)] == (3, 0)
    assert summary["rounds_completed"] == {0: 2, 1: 1}
    assert t["paused_minutes"] == office_minutes(T("2025-12-04 11:00"), T("2025-12-09 09:00"))


def test_a_substep_counts_in_the_round_it_finished_in(summary):
    got = {s["code"]: s for s in summary["substeps"]}
    # letter 4: 1.1 finished on 30 Sep 2025 (the year before), 1.2 on 1 Oct (inside);
    # letter 7: received on 31 Mar, registered on 1 Apr (the next round): no 1.1 case here
    assert got["1.1"]["cases"] == 5  # letters 1, 2, 3, 5 and 6
    assert got["1.2"]["max"] == office_minutes(T("2025-09-30 15:05"), T("2025-10-01 08:40")) == 95


def test_open_items_at_the_end_are_paused_or_overdue_in_working_time(summary):
    end = PERIOD[1]
    got = {o["item"]: o for o in summary["open"]}
    assert set(got) == {"4/2568", "5/2569", "6/2569", "7/2569"}
    assert got["4/2568"]["substep"] == "1.4" and got["4/2568"]["status"] == "overdue"
    assert got["4/2568"]["worked"] == office_minutes(T("2025-10-01 08:45"), end)
    assert got["5/2569"]["status"] == "paused" and got["5/2569"]["late"] == 0
    assert got["5/2569"]["worked"] == 320  # Mon 11:40→16:30 less lunch, Tue 08:30→10:00
    assert got["5/2569"]["paused_since"] == T("2026-03-31 10:00")
    assert got["6/2569"]["substep"] == "1.2" and got["6/2569"]["worked"] == 387 and got["6/2569"]["late"] == 372
    assert got["7/2569"]["substep"] == "1.1" and got["7/2569"]["worked"] == 30  # received, not yet registered
    assert [o["item"] for o in summary["open"]][-1] == "5/2569"  # overdue first, paused after


def test_sendback_is_listed_with_its_reason_who_and_round(summary):
    (sb,) = summary["sendbacks"]
    assert sb == {"item": "2/2568", "subject": "ขอความเห็นร่างปฏิญญาอาเซียน", "substep": "5.1", "at": T("2025-11-06 11:30"),
                  "by": EXEC, "note": "ขอข้อมูลเพิ่มเติมจากกรมการจัดหางาน", "round": 1, "officer": O2}


def test_figures_stop_at_now_when_the_round_is_not_over():
    now = T("2025-11-05 12:00")
    s = summarize(make_book(), FY, ROUND, now)
    assert s["cutoff"] == now and s["complete"] is False
    exp = in_period(expected_segments(), end=now)
    assert s["totals"]["cases"] == len(exp)
    open_ = {o["item"]: o for o in s["open"]}
    assert set(open_) == {"2/2568", "4/2568"}
    assert open_["2/2568"]["substep"] == "2.3" and open_["2/2568"]["worked"] == 20


def test_a_holiday_added_later_retimes_the_past():
    book = make_book()
    before = {s["code"]: s for s in summarize(book, FY, ROUND, NOW)["substeps"]}
    book.calendar = WorkCalendar(holidays=(*HOLIDAYS, date(2025, 11, 4)))  # Tue 4 Nov declared a day off
    after = {s["code"]: s for s in summarize(book, FY, ROUND, NOW)["substeps"]}
    # letter 1's 5.2 ran Tue 11:00 → 14:00: 120 minutes (late) before, none on a day off
    assert (before["5.2"]["cases"], before["5.2"]["within"], before["5.2"]["max"]) == (3, 2, 120)
    assert (after["5.2"]["cases"], after["5.2"]["within"], after["5.2"]["max"]) == (3, 3, 30)


def test_a_round_that_has_not_begun_is_refused():
    with pytest.raises(XlflowError) as e:
        summarize(make_book(), 2570, 9, NOW)
    assert str(e.value).startswith("the 9-month round of fiscal year 2570 starts 1 ตุลาคม 2569")


def test_quantile_interpolates_like_pandas():
    xs = [4, 16, 5, 30, 10, 7]
    for q in (0, 0.1, 0.5, 0.9, 1):
        assert quantile(xs, q) == pytest.approx(pd.Series(xs).quantile(q))
    assert quantile([], 0.5) is None


def test_latest_complete_round():
    assert latest_complete_round(datetime(2026, 11, 25, 10)) == (2569, 12)
    assert latest_complete_round(datetime(2026, 7, 1, 0, 0)) == (2569, 9)
    assert latest_complete_round(datetime(2026, 6, 30, 16)) == (2569, 6)
    assert latest_complete_round(datetime(2026, 2, 1)) == (2568, 12)


# -- the workbook, through the file door and LibreOffice -------------------------------------------
def _register_file(tmp_path: Path) -> Path:
    """A register on disk holding LETTERS, written through the service layer."""
    path = template.init(tmp_path / "ทะเบียน.xlsx", today=date(2025, 11, 25))
    items = {}

    def registrations(b, c):
        for item, subject, received, actions in LETTERS:
            reg = actions[0]
            items[item] = plan_register(b, c, at=T(reg[2]), by="สารบรรณ", received_at=T(received), subject=subject,
                                        sender="=HYPERLINK(\"http://x\")" if item == "4/2568" else "ILO")

    def actions(b, c):
        for item, _subject, _received, acts in LETTERS:
            for action, _code, at, extra in acts[1:]:
                kind = "advance" if action == "mistake" else action
                who = EXEC if kind in ("approve", "reject") else "ผู้ปฏิบัติ"
                plan_action(b, c, items[item], kind, at=T(at), by=who, **extra)

    commit(path, registrations)
    commit(path, actions)
    return path


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evaluation")
    reg = _register_file(tmp)
    out = evaluate(reg, FY, ROUND, tmp / "ประเมินผล.xlsx", now=NOW, progress=False)
    return reg, out


def test_evaluate_writes_cover_tables_charts_and_forms(evaluated):
    reg, out = evaluated
    wb = load_workbook(out)
    assert wb.sheetnames == ["ปก", "รายขั้นตอนย่อย", "รายขั้นตอนหลัก", "รายเจ้าหน้าที่", "การส่งกลับ", "ยุติก่อนครบขั้นตอน", "ตอบตามกำหนด",
                             "ค้างดำเนินการ", "รายเดือน", "เทียบรอบก่อน", "สาเหตุ",
                             "แบบฟอร์มการออกแบบกระบวนการ", "แบบฟอร์มขั้นตอนการปฏิบัติงาน"]
    cover = {r[0]: r[1] for r in wb["ปก"].iter_rows(min_row=4, max_col=2, values_only=True) if r[0]}
    assert cover["ทะเบียนที่ใช้คำนวณ (Register file)"] == "ทะเบียน.xlsx"
    assert cover["SHA-256 ของทะเบียน (Register SHA-256)"] == bk.file_sha256(reg)
    assert cover["ช่วงเวลาประเมิน (Period)"] == "1 ตุลาคม 2568 – 31 มีนาคม 2569"
    assert cover["จัดทำเมื่อ (Made at)"] == "20 เม.ย. 2569 10:00 น."
    assert len(wb["รายขั้นตอนย่อย"]._charts) == 1 and len(wb["รายเดือน"]._charts) == 1
    ws = wb["รายขั้นตอนย่อย"]
    assert ws["A3"].value == "รหัส\nCode" and ws["A4"].value == "1.1"
    assert ws["A3"].font.name == "TH Sarabun New"
    # the numbers in the workbook are the summary's (the register's calendar is the real one)
    s = summarize(bk.load(reg), FY, ROUND, NOW)
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, max_row=18, values_only=True)}
    for x in s["substeps"]:
        assert rows[x["code"]][5] == x["cases"] and rows[x["code"]][6] == x["within"]
    assert ws.print_title_rows == "$3:$3" and ws.page_setup.paperSize == 9  # A4
    opened = [r[0] for r in wb["ค้างดำเนินการ"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert set(opened) == {o["item"] for o in s["open"]}
    # issue 17: a target per sub-step against the result; the previous round; the causes and a blank plan
    for x in s["substeps"]:
        assert rows[x["code"]][11] == x["target"] == 80
        assert rows[x["code"]][12] == {True: "บรรลุ (met)", False: "ไม่บรรลุ (not met)", None: "- (no cases)"}[x["target_met"]]
    causes = [r[0] for r in wb["สาเหตุ"].iter_rows(values_only=True) if r[0]]
    assert "แนวทางการปรับปรุง (improvement plan)" in causes
    assert [x["code"] for x in s["causes"]["substeps_past_standard"]][0] in causes


def test_evaluate_never_writes_the_register_and_refuses_to_overwrite_it(evaluated, tmp_path):
    reg, _ = evaluated
    before = bk.file_sha256(reg)
    with pytest.raises(XlflowError, match="this is the register itself"):
        evaluate(reg, FY, ROUND, reg, now=NOW)
    assert bk.file_sha256(reg) == before


def _thai_families() -> set[str]:
    out = subprocess.run(["fc-list", ":charset=0e01", "family"], capture_output=True, text=True, check=True).stdout
    return {f.replace(" ", "").lower() for line in out.splitlines() for f in line.split(",") if f}


def _covered() -> list[tuple[int, int]]:
    """Code point ranges some installed font covers (what LibreOffice can draw at all)."""
    out = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True, text=True, check=True).stdout
    ranges = []
    for tok in out.split():
        a, _, b = tok.partition("-")
        ranges.append((int(a, 16), int(b or a, 16)))
    return ranges


def assert_pdf_thai_complete(pdf: Path, must_read: list[str]) -> str:
    """Embedded fonts only, a Thai one among them, every character drawable, texts read back exactly."""
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts, "no fonts in the PDF"
    names = []
    for line in fonts:
        cols = line.split()
        assert cols[-5] == "yes", f"font not embedded: {line}"  # emb column
        names.append(re.sub(r"^[A-Z]{6}\+", "", cols[0]).split("-")[0].lower())
    thai = _thai_families()
    assert any(n in thai for n in names), f"no Thai font embedded: {names}"
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    ranges = _covered()
    missing = sorted({ch for ch in text if not ch.isspace() and not any(a <= ord(ch) <= b for a, b in ranges)})
    assert not missing, f"characters no installed font has: {missing}"
    assert "\ufffd" not in text
    for s in must_read:
        assert s in text, s
    return text


def test_libreoffice_renders_the_evaluation_with_thai_fonts_and_headers(evaluated, tmp_path):
    _, out = evaluated
    (pdf,) = to_pdf([out], tmp_path)
    text = assert_pdf_thai_complete(pdf, [
        "รายงานผลการติดตามประเมินผล รอบ ๖ เดือน ปีงบประมาณ ๒๕๖๙",
        "ผลการปฏิบัติงานรายขั้นตอนย่อย (by sub-step) — 1 ตุลาคม 2568 – 31 มีนาคม 2569",
        "ผลการปฏิบัติงานรายขั้นตอนหลัก (by step)",
        "ผลการปฏิบัติงานรายเจ้าหน้าที่ผู้รับผิดชอบ (by officer)",
        "การส่งกลับแก้ไข (send-backs)",
        "ขอข้อมูลเพิ่มเติมจากกรมการจัดหางาน",
        "แบบฟอร์มการออกแบบกระบวนการ",
        "แบบฟอร์มขั้นตอนการปฏิบัติงาน",
        "=HYPERLINK(\"http://x\")",  # a sender that looks like a formula stays text
    ])
    assert "6/11/2568 11:30" in text  # a send-back's time, in the Buddhist Era


def test_cli_evaluate_writes_the_default_file_and_explains_a_ce_year(evaluated):
    reg, _ = evaluated
    runner = CliRunner()
    r = runner.invoke(main, ["evaluate", str(reg), "--fiscal-year", "2569", "--round", "6", "--now", "2026-04-20T10:00"])
    assert r.exit_code == 0, r.output
    out = reg.with_name("Evaluation_FY2569_round6.xlsx")
    assert r.stdout == f"wrote {out}\n" and out.exists()
    from xlflow.render import font_stand_in

    stand_in = font_stand_in(shown="this PC shows and prints the workbook in")  # here Laksaman: said, not hidden
    assert stand_in and "TH Sarabun New is not installed here; this PC shows and prints the workbook in Laksaman instead" in stand_in
    assert r.stderr == f"xlflow: {stand_in}\n"
    r = runner.invoke(main, ["evaluate", str(reg), "--fiscal-year", "2026", "--round", "9"])
    assert r.exit_code == 1
    assert r.output == ("Error: fiscal year 2026 is not a Buddhist Era year — fiscal years are named by the BE year "
                        "they end in, e.g. 2569 for 1 October 2025 – 30 September 2026\n")
    r = runner.invoke(main, ["evaluate", str(reg), "--fiscal-year", "2569", "--round", "7"])
    assert r.exit_code == 2 and "'7' is not one of '6', '9', '12'" in r.output
