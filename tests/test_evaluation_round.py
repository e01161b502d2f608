"""Issue 17: one computation of a round, as of the round's end — the officer and the state at
the cutoff — read by the workbook, ``evaluate --json`` and the checker's covering mail."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from test_evaluation import (EXEC, FY, LETTERS, NOW, O1, O2, OFFICER_SUBSTEPS, PERIOD, ROUND, T, _register_file, _through_step1,
                             expected_segments, in_period, make_book, office_minutes)

from xlflow.cli import main

from xlflow import checks
from xlflow.evaluation import NOT_ASSIGNED, summarize
from xlflow.workflow import act, register, replay


def _add(book, item: str, received: str, actions: list[tuple]):
    """Append one letter's actions to the book's Log (through the pure core)."""
    process, entries, seq = book.process, [], max(e.seq for e in book.log)
    for action, _code, at, extra in actions:
        seq += 1
        if action == "register":
            e = register(item, at=T(at), by="สารบรรณ", process=process, received_at=T(received), seq=seq)
        else:
            who = EXEC if action in ("approve", "reject") else "ผู้ปฏิบัติ"
            e, _ = act(replay(entries, process), entries, action, at=T(at), by=who, process=process, seq=seq, **extra)
        entries.append(e)
    return replace(book, log=[*book.log, *entries])


def test_an_item_reassigned_after_the_round_counts_under_the_officer_in_charge_at_its_end():
    # 84/2569 in the demo: in charge on 30 September is the officer then, not the one assigned on 1 October
    book = _add(make_book(), "8/2569", "2026-03-30 09:00",
                _through_step1("2026-03-30", ["09:05", "09:10", "09:15", "09:20", "09:25", "09:30", "09:35", "09:40"], O2)
                + [("assign", "2.1", "2026-04-01 09:00", {"officer": O1})])
    s = summarize(book, FY, ROUND, NOW)
    (it,) = [o for o in s["open"] if o["item"] == "8/2569"]
    assert it["officer"] == O2 and it["substep"] == "2.1" and it["status"] == "overdue"
    before = {o["officer"]: o for o in summarize(make_book(), FY, ROUND, NOW)["officers"]}
    after = {o["officer"]: o for o in s["officers"]}
    assert after[O2]["open"] == before[O2]["open"] + 1 and after[O2]["overdue"] == before[O2]["overdue"] + 1
    assert after[O1]["open"] == before[O1]["open"]
    # the figures of the next round see the new officer
    later = summarize(book, FY, 9, datetime(2026, 4, 2, 9, 0))
    assert next(o for o in later["open"] if o["item"] == "8/2569")["officer"] == O1


def test_an_item_assigned_only_after_the_round_is_unassigned_at_its_end():
    book = _add(make_book(), "9/2569", "2026-03-31 09:00", [
        ("register", "1.1", "2026-03-31 09:05", {}), ("assign", "1.2", "2026-03-31 09:10", {"unit": "วท."}),
        ("advance", "1.2", "2026-03-31 09:15", {}), ("advance", "1.3", "2026-03-31 09:20", {}),
        ("advance", "1.4", "2026-03-31 09:25", {}), ("assign", "1.5", "2026-04-01 09:00", {"officer": O1}),
    ])
    s = summarize(book, FY, ROUND, NOW)
    (it,) = [o for o in s["open"] if o["item"] == "9/2569"]
    assert it["officer"] == "" and it["substep"] == "1.5"
    assert next(o for o in s["officers"] if o["officer"] == NOT_ASSIGNED)["open"] >= 1


def test_the_covering_mail_quotes_the_summary_the_workbook_is_written_from():
    book = make_book()
    s = summarize(book, FY, ROUND, NOW)
    st = checks.round_stats(book, FY, ROUND, now=NOW)
    t = s["totals"]
    assert (st.received, st.completed, st.steps, st.within) == (t["received"], t["completed"], t["cases"], t["within"])
    assert st == checks.RoundStats.of(s)
    assert (st.start, st.end) == (PERIOD[0].date(), s["end"])


# -- the reviewer's figures against an independent recomputation (issue 17, point 4) ------------------
@pytest.fixture(scope="module")
def s():
    return summarize(make_book(), FY, ROUND, NOW)


def test_lead_time_is_receipt_to_the_answer_sent_in_working_time(s):
    done = {item: (T(rec), T(actions[-1][2])) for item, _subj, rec, actions in LETTERS if actions[-1][1] == "5.2"}
    leads = pd.Series([office_minutes(a, b) for a, b in done.values()], dtype=float)
    assert s["totals"]["completed"] == len(done) == 3
    assert s["totals"]["lead_time_median_minutes"] == pytest.approx(leads.median())
    assert s["totals"]["lead_time_p90_minutes"] == pytest.approx(leads.quantile(0.9))


def test_each_substep_is_measured_against_its_target(s):
    exp = in_period(expected_segments())
    pct = exp.assign(w=exp.minutes <= exp.standard).groupby("code")["w"].mean() * 100
    for x in s["substeps"]:
        assert x["target"] == 80
        assert x["target_met"] == (None if x["code"] not in pct else bool(pct[x["code"]] >= 80))
    assert s["totals"]["targets_met"] == int((pct >= 80).sum())
    assert s["totals"]["targets_measured"] == len(pct)


def test_causes_rank_the_working_time_past_standard_and_count_the_pauses(s):
    exp = in_period(expected_segments())
    exp = exp.assign(past=(exp.minutes - exp.standard).clip(lower=0))
    late = exp[exp.past > 0]
    by_sub = late.groupby("code")["past"].sum()
    got = {x["code"]: x["past_minutes"] for x in s["causes"]["substeps_past_standard"]}
    assert got == pytest.approx(by_sub.to_dict())
    assert [x["past_minutes"] for x in s["causes"]["substeps_past_standard"]] == sorted(got.values(), reverse=True)
    by_off = late[late.code.isin(OFFICER_SUBSTEPS)].groupby("officer")["past"].sum()
    assert {x["officer"]: x["past_minutes"] for x in s["causes"]["officers_past_standard"]} == pytest.approx(by_off.to_dict())
    # 3/2568 paused at 2.3 waiting for the Department of Employment (5/2569's pause is still open at the end)
    assert s["causes"]["pause_reasons"] == [{"reason": "รอความเห็นจากกรมการจัดหางาน", "count": 1,
                                             "minutes": office_minutes(T("2025-12-04 11:00"), T("2025-12-09 09:00"))}]
    assert s["causes"]["sendbacks_by_round"] == {1: 1}


def test_the_previous_round_is_the_same_round_a_year_before_when_the_log_has_it(s):
    prev = s["previous"]
    # 4/2568 was received on 30 September 2025: the 12-month round of FY2568 has it
    assert (prev["fiscal_year"], prev["round"]) == (2568, 12)
    assert prev["totals"]["received"] == 1 and s["change"]["received"] == s["totals"]["received"] - 1
    assert s["change"]["lead_time_median_minutes"] is None  # nothing was answered in FY2568
    assert set(s["change"]) >= {"received", "completed", "pct", "reply_by_met_pct", "lead_time_median_minutes", "substeps_pct"}


def test_the_comparison_sheet_names_each_figure_in_words_and_shows_counts_whole_and_percentages_with_their_sign(s, tmp_path):
    from xlflow.evaluation import write_workbook

    book = make_book()
    ws = write_workbook(s, book, tmp_path / "r.xlsx", NOW)["เทียบรอบก่อน"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=4, max_col=4) if r[0].value}
    received = rows["หนังสือรับในรอบ (letters received)"]
    assert (received[1].value, received[2].value) == (s["totals"]["received"], 1)
    assert [c.number_format for c in received[1:]] == ["#,##0", "#,##0", "+#,##0;-#,##0;0"]
    pct = rows["ร้อยละภายในมาตรฐานเวลา (% within standard)"]
    assert pct[1].number_format == '0.0"%"' and pct[3].number_format == '+0.0" จุด";-0.0" จุด";0'
    assert rows["ระยะเวลารับถึงตอบ มัธยฐาน (นาทีทำการ) (lead time, median (working min))"][1].number_format == "#,##0.0"
    assert not [k for k in rows if "_" in k]  # no key of the JSON shows through


#: The JSON's keys (README, "Evaluation and forms"): added to, never renamed.
JSON_KEYS = {
    "schema", "fiscal_year", "round", "start", "end", "cutoff", "complete", "register", "register_sha256", "made_at", "workbook",
    "received", "completed", "open", "overdue", "paused", "sendbacks", "cases", "within", "pct", "paused_minutes",
    "cancelled", "closed", "forwarded", "reply_by_total", "reply_by_met", "reply_by_met_pct", "reply_own_date",
    "lead_time_median_minutes", "lead_time_p90_minutes", "targets_met", "targets_measured",
    "substeps", "steps", "officers", "sendbacks_list", "rounds_completed", "open_items", "ended", "replies", "months",
    "causes", "previous", "change", "improvement_plan", "problems",
}


def test_evaluate_json_prints_every_figure_of_the_workbook_as_one_object(tmp_path):
    reg = _register_file(tmp_path)
    r = CliRunner().invoke(main, ["evaluate", str(reg), "--fiscal-year", str(FY), "--round", str(ROUND),
                                  "--now", "2026-04-20T10:00", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out) == JSON_KEYS and out["schema"] == "xlflow-evaluation/1"
    from xlflow import book as bk

    s = summarize(bk.load(reg), FY, ROUND, NOW)
    assert (out["start"], out["end"], out["cutoff"]) == ("2025-10-01", "2026-03-31", "2026-04-01T00:00:00")
    for k in ("received", "completed", "cases", "within", "reply_by_total", "reply_by_met", "targets_met"):
        assert out[k] == s["totals"][k]
    assert out["lead_time_median_minutes"] == pytest.approx(s["totals"]["lead_time_median_minutes"])
    assert [x["code"] for x in out["substeps"]] == [x["code"] for x in s["substeps"]]
    assert set(out["substeps"][0]) >= {"code", "standard", "cases", "within", "pct", "median", "p90", "max", "target", "target_met"}
    assert [x["item"] for x in out["open_items"]] == [x["item"] for x in s["open"]]
    assert len(out["sendbacks_list"]) == out["sendbacks"] == 1
    assert out["improvement_plan"] == "" and out["workbook"].endswith(".xlsx")
