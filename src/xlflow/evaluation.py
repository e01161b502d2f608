"""The evaluation of a round (ติดตามประเมินผล, section 8 of the manual), as numbers and as a workbook.

Why: the PMQA team asks, for the 6-, 9- or 12-month round of a fiscal year, how each
sub-step performed against its time standard — cases, how many within the standard, the
share, the median, 90th percentile and slowest working time — per step and per officer,
how many matters were sent back, and what was still open and overdue when the round
ended. Everything is computed from the Log with the Calendar: the stamps are replayed
(:func:`xlflow.workflow.replay`) and each sub-step's working minutes, pauses excluded, come
from :func:`xlflow.workflow.segment_minutes`; no stored duration is trusted, so a holiday
added later re-times the past.

Rules:

* A sub-step counts in the round when it **finished** inside the period
  (1 October 00:00 up to the end of the round's last day, or up to ``now`` if that is
  earlier). Each time a sub-step is worked is a case: a matter sent back works 3.1–5.1
  again, and each pass counts.
* Within standard means working minutes ≤ the standard (the Process sheet's, in force now).
* A step's case is one pass through its sub-steps (same item and send-back round), timed
  as the sum of its sub-steps and measured against the sum of their standards; a pass
  through step 5 that ends in a send-back at 5.1 is measured against 5.1's standard.
* Percentiles interpolate linearly between the sorted values (as numpy and pandas do).
* An item is open at the end when it was received before the end and not completed by
  then; it is overdue when its current sub-step had used its standard (paused time not
  counted), as :func:`xlflow.workflow.timing` says at that moment.
* An item that ended before its last sub-step (issue 18, :data:`xlflow.workflow.ENDINGS`):
  a **cancelled** registration (a duplicate, the wrong register) was never a letter to work
  on — it is left out of every figure and counted under its own heading in the round its
  number was taken (registered: a letter received on 30 September and registered, then
  cancelled, on 1 October is the new fiscal year's); an item **closed** early or **sent on** is counted under its
  own heading in the round it ended, its sub-steps finished before count as usual, and the
  sub-step it ended at is no case (it was not finished: neither within nor past standard).
  Neither is "completed" (answered through the last sub-step).
* Reply-by compliance (the sender's outcome): the letters whose sender asked for an answer
  by a date, completed in the round or still open at its end with the date passed, and of
  them those answered by then — by the answer's own date when 5.2 recorded it, else the day
  5.2 finished. A letter still open past its date is missed, not left out.

:func:`summarize` returns plain numbers (what the tests compare); :func:`evaluate` writes
them, with charts and the two appendix forms, to a new workbook.

>>> s = summarize(book, 2569, 9, now=datetime(2026, 7, 1, 9, 0))   # doctest: +SKIP
>>> s["substeps"][0]["pct"]                                           # doctest: +SKIP
92.5
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from . import book as bk
from .errors import WorkbookError, XlflowError
from .model import ItemState, LogEntry, Pause, Segment, shown_outside
from .process import Process
from .schema import SHEETS
from .thaidate import THAI_MONTHS_ABBR, fiscal_year as fiscal_year_of, format_date, format_datetime, round_range, to_thai_digits
from .workflow import ENDINGS, received_of, replay, segment_minutes
from .worktime import BKK, WorkCalendar, local

NOT_ASSIGNED = "(ยังไม่มอบหมาย)"
EPS = 1e-6


# -- numbers -------------------------------------------------------------------------------
def quantile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile with linear interpolation between sorted values (numpy's default)."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def stats(cases: list[tuple[float, float]]) -> dict:
    """Cases, within standard, % within, median, 90th percentile and slowest, from
    ``(working minutes, standard)`` pairs."""
    mins = [m for m, _ in cases]
    within = sum(1 for m, std in cases if m <= std + EPS)
    n = len(cases)
    return {
        "cases": n,
        "within": within,
        "pct": (100.0 * within / n) if n else None,
        "median": quantile(mins, 0.5),
        "p90": quantile(mins, 0.9),
        "max": max(mins) if mins else None,
    }


def period(fiscal_year: int, round_months: int) -> tuple[datetime, datetime]:
    """The round as ``[start, end)`` naive Bangkok datetimes: 1 Oct 00:00 to the day after its last day."""
    first, last = round_range(fiscal_year, round_months)
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


def latest_complete_round(now: datetime) -> tuple[int, int]:
    """The most recent round (fiscal year, months) that had ended by ``now``."""
    now = local(now)
    fy = fiscal_year_of(now)
    best = None
    for y in (fy, fy - 1):
        for m in (12, 9, 6):
            _, end = period(y, m)
            if end <= now and (best is None or end > best[0]):
                best = (end, y, m)
    assert best is not None  # the previous fiscal year's 12-month round always has
    return best[1], best[2]


def _officer_roles(process: Process) -> set[str]:
    return {r.name_th for r in process.roles if r.officer}


def _progress(iterable, total: int, desc: str, progress: bool | None):
    show = sys.stderr.isatty() if progress is None else progress
    if not show:
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, total=total, desc=desc, unit=" item", leave=False, file=sys.stderr)


def _at_cutoff(state: ItemState, cutoff: datetime) -> tuple[Segment, bool] | None:
    """The segment an open item was in at ``cutoff``, cut there, and whether it was paused."""
    segs = state.segments
    if not segs or segs[0].started >= cutoff:
        return None  # not yet received at the cutoff (a letter received but not yet registered is open at 1.1)
    if state.completed_at is not None and state.completed_at < cutoff:
        return None  # done by then
    cur = None
    for s in segs:
        if s.started <= cutoff and (s.finished is None or s.finished > cutoff):
            cur = s
    if cur is None:
        return None
    pauses, paused = [], False
    for p in cur.pauses:
        if p.start >= cutoff:
            continue
        if p.end is None or p.end > cutoff:
            pauses.append(Pause(p.start, cutoff, p.reason))
            paused = True
        else:
            pauses.append(p)
    return replace(cur, finished=cutoff, pauses=tuple(pauses)), paused


def _officer_at(entries: list[LogEntry], process: Process, cutoff: datetime) -> str:
    """The officer in charge of an item as the register stood at ``cutoff`` (its Log up to then)."""
    before = [e for e in entries if e.at < cutoff]
    if not before:
        return ""
    try:
        return replay(before, process, history=False).officer
    except XlflowError:
        return ""


def _group_stats(df, by: str | list[str]):
    """:func:`stats` per group of a cases DataFrame (columns ``minutes``, ``within``), by groupby."""
    g = df.groupby(by, sort=False)
    out = g.agg(cases=("minutes", "size"), within=("within", "sum"), median=("minutes", "median"),
                max=("minutes", "max"), past=("past", "sum"), past_cases=("is_past", "sum"))
    out["p90"] = g["minutes"].quantile(0.9)
    return out


def _py(record: dict) -> dict:
    """A record with pandas' timestamps as plain datetimes and its missing values as None."""
    import pandas as pd

    out = {}
    for k, v in record.items():
        if isinstance(v, pd.Timestamp):
            v = v.to_pydatetime()
        elif v is pd.NaT or (isinstance(v, float) and math.isnan(v)):
            v = None
        out[k] = v
    return out


def _stats_of(row) -> dict:
    if row is None or not row["cases"]:
        return {"cases": 0, "within": 0, "pct": None, "median": None, "p90": None, "max": None}
    n, w = int(row["cases"]), int(row["within"])
    return {"cases": n, "within": w, "pct": 100.0 * w / n, "median": float(row["median"]),
            "p90": float(row["p90"]), "max": float(row["max"])}


#: The columns of :func:`_facts`' frames: one row per finished sub-step segment, per letter, per pause.
SEG_COLUMNS = ["item", "subject", "substep", "step", "round", "finished", "minutes", "standard", "by", "outcome",
               "officer", "officer_sub", "pass", "note", "officer_now"]
LETTER_COLUMNS = ["item", "subject", "received", "registered", "completed_at", "ended", "ended_substep", "ended_by", "end_note",
                  "forwarded_to", "officer", "rounds", "reply_by", "reply_date", "reply_no", "lead", "sendbacks"]
PAUSE_COLUMNS = ["item", "substep", "reason", "start", "end", "minutes", "officer", "finished"]


def _facts(book, cutoff: datetime, progress, since: datetime | None = None) -> tuple:
    """Per-item facts: one row per finished sub-step segment, per letter, per pause, per open item.

    A letter finished before ``since`` (the round's first day) or received after ``cutoff``
    adds nothing to the round's figures (every one of them counts what happened inside the
    round, or is open at its end), so it is left out here: a register of many years is not
    walked segment by segment, and the previous round's comparison walks only its own letters."""
    process: Process = book.process
    cal: WorkCalendar = book.calendar
    problems: list[str] = [str(p) for p in getattr(book, "problems", [])]
    officer_roles = _officer_roles(process)
    officer_sub = {sub.code: bool(officer_roles & set(sub.roles)) for sub in process}  # once per sub-step, not per case
    subs = process._index  # code → sub-step, one dict look-up per segment
    seg_rows, letter_rows, pause_rows, open_rows = [], [], [], []
    unknown_subs: set[str] = set()
    # an item's replay and its segments' working minutes do not depend on the round: the
    # previous round's comparison reuses them (kept on the book for as long as it lives)
    cache = book.__dict__.get("_evaluation_cache")
    if cache is None or cache["calendar"] is not cal or cache["process"] is not process:  # a calendar edited: timed anew
        cache = book.__dict__["_evaluation_cache"] = {"state": {}, "minutes": {}, "calendar": cal, "process": process}
    if "groups" not in cache:  # the Log by item, and each send-back's note: read once for every round
        groups: dict[str, list[LogEntry]] = {}
        for e in book.log:
            groups.setdefault(e.item, []).append(e)
        cache["groups"] = groups
        cache["notes"] = {(e.item, e.at): e.note for e in book.log if e.action == "reject"}
    states, minutes_of, groups, notes = cache["state"], cache["minutes"], cache["groups"], cache["notes"]

    def seg_minutes(seg):
        key = id(seg)
        if key not in minutes_of:
            minutes_of[key] = (seg, segment_minutes(seg, cal))  # the segment is kept so that its id stays its own
        return minutes_of[key][1]

    for item, entries in _progress(groups.items(), len(groups), "evaluation", progress):
        try:
            if item not in states:
                if entries[0].action == "register" and received_of(entries[0]) >= cutoff:
                    continue  # received after the round's end: in none of its figures, and not replayed for them
                states[item] = replay(entries, process)
            state = states[item]
            if since is not None and state.completed_at is not None and state.completed_at < since:
                continue
            if state.segments and state.segments[0].started >= cutoff:
                continue  # received after the round's end: in none of its figures
        except XlflowError as e:
            problems.append(f"{SHEETS['log']}: item {item} cannot be replayed ({e}) — it is left out of the evaluation")
            continue
        letter = book.letters.get(item)
        officer_now = _officer_at(entries, process, cutoff) if entries[-1].at >= cutoff else state.officer
        officer = officer_now or NOT_ASSIGNED
        segs = state.segments
        subject, sender = shown_outside(letter)  # a secret letter's subject stays in the register
        secret = subject if letter is not None and letter.secrecy else ""  # its class in brackets
        words = (lambda text: secret if text else text) if secret else (lambda text: text)  # its notes too
        sendback_count = sum(1 for s in segs if s.outcome == "reject")
        letter_rows.append((
            item, subject, segs[0].started, segs[0].finished, state.completed_at, state.ended, segs[-1].substep, segs[-1].by, words(state.end_note),
            state.forwarded_to, officer_now, state.round, letter.reply_by if letter else None, state.reply_date,
            state.reply_no, cal.between(segs[0].started, state.completed_at) if state.completed_at and not state.ended else None,
            sendback_count,
        ))
        if state.ended == "cancelled":
            continue  # a registration made by mistake: no letter, no figure
        pass_id = pass_key = None
        for seg in segs:
            if seg.finished is None or seg.outcome in ENDINGS:  # open, or where it ended early: no case
                continue
            sub = subs.get(seg.substep)
            if sub is None:
                unknown_subs.add(seg.substep)
                continue
            if pass_key != (seg.round, sub.step):  # a new pass: another step, or the same one again after a send-back
                pass_key, pass_id = (seg.round, sub.step), f"{item}\x1f{len(seg_rows)}"
            minutes = seg_minutes(seg)
            seg_rows.append((  # a tuple in SEG_COLUMNS' order: a million of them are made for a large register
                item, subject, seg.substep, sub.step, seg.round, seg.finished, minutes, sub.standard, seg.by,
                seg.outcome, officer, officer_sub[seg.substep], pass_id,
                words(notes.get((item, seg.finished), "")) if seg.outcome == "reject" else "", officer_now,
            ))
            for p in seg.pauses:
                if p.end is not None:
                    pause_rows.append((item, seg.substep, words((p.reason or "").strip()) or "(ไม่ระบุ)", p.start, p.end,
                                       cal.between(p.start, p.end), officer, seg.finished))
        at_end = _at_cutoff(state, cutoff)
        if at_end is not None:
            seg, paused = at_end
            sub = process[seg.substep] if seg.substep in process else None
            if sub is None:
                continue
            worked = segment_minutes(seg, cal)
            status = "paused" if paused else "overdue" if worked >= sub.standard - EPS else "on_time"
            open_rows.append({
                "item": item, "subject": subject, "sender": sender,
                "substep": seg.substep, "substep_name": sub.name_th, "started": seg.started, "worked": worked,
                "standard": sub.standard, "late": max(0.0, worked - sub.standard) if status == "overdue" else 0.0,
                "status": status, "officer": officer_now, "round": seg.round,
                "reply_by": letter.reply_by if letter else None,
                "paused_since": next((p.start for p in seg.pauses if p.end == cutoff), None) if paused else None,
            })
    if unknown_subs:
        problems.append(
            f"{SHEETS['log']}: sub-step(s) {', '.join(sorted(unknown_subs))} are in the Log but not in the "
            f"{SHEETS['process']} sheet — their cases are left out; restore the rows in the {SHEETS['process']} sheet"
        )
    import pandas as pd

    def frame(rows, columns):
        if not rows:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        return pd.DataFrame.from_records(rows, columns=columns)

    segs_df = frame(seg_rows, SEG_COLUMNS)
    letters_df = frame(letter_rows, LETTER_COLUMNS)
    pauses_df = frame(pause_rows, PAUSE_COLUMNS)
    return segs_df, letters_df, pauses_df, open_rows, problems


def summarize(book, fiscal_year: int, round_months: int, now: datetime, progress: bool | None = False,
              compare: bool = True) -> dict:
    """The round's figures from a loaded register (:class:`xlflow.book.Book`): pure, no workbook.

    The one computation of a round: the evaluation workbook, ``xlflow evaluate --json`` and
    the checker's covering mail (:func:`xlflow.checks.round_stats`) all read it. Per-item facts
    (one row per finished sub-step segment, per letter, per pause) are pandas DataFrames,
    aggregated with groupby; every figure stands as of the cutoff (the officer in charge and
    the state then, not later).

    Keys: ``fiscal_year``, ``round``, ``start``/``end`` (first and last day), ``cutoff``
    (the moment the numbers stand at), ``substeps``, ``steps``, ``officers`` (lists of
    dicts with :func:`stats`' keys), ``sendbacks``, ``rounds_completed``, ``open``,
    ``months``, ``totals``, ``causes``, ``previous``, ``change``, ``problems``. Minutes are
    working minutes.
    """
    import pandas as pd

    process: Process = book.process
    start, end = period(fiscal_year, round_months)
    now = local(now)
    if now <= start:
        raise XlflowError(
            f"the {round_months}-month round of fiscal year {fiscal_year} starts {format_date(start)}, "
            f"after the time given ({format_datetime(now)}) — choose a round that has begun, or give a later --now"
        )
    cutoff = min(end, now)
    segs, letters, pauses, open_items, problems = _facts(book, cutoff, progress, since=start)

    def inside(col):
        col = pd.to_datetime(col)
        return (col.notna() & (col >= start) & (col < cutoff)).astype(bool)

    # sub-step cases: finished inside the period
    if len(segs):
        segs = segs.assign(minutes=segs["minutes"].astype(float), standard=segs["standard"].astype(float))
        segs = segs.assign(within=lambda d: d["minutes"] <= d["standard"] + EPS,
                           past=lambda d: (d["minutes"] - d["standard"]).clip(lower=0.0),
                           is_past=lambda d: d["minutes"] > d["standard"] + EPS)
    else:
        segs = segs.assign(within=False, past=0.0, is_past=False)
    cases = segs[inside(segs["finished"])] if len(segs) else segs
    by_sub = _group_stats(cases, "substep") if len(cases) else None
    substeps = []
    for s in process:
        row = by_sub.loc[s.code] if by_sub is not None and s.code in by_sub.index else None
        st = _stats_of(row)
        target = float(getattr(s, "target", 80) or 80)
        substeps.append({"code": s.code, "step": s.step, "name_th": s.name_th, "name_en": s.name_en, "role": s.role,
                         "standard": s.standard, **st, "target": target,
                         "target_met": None if st["pct"] is None else bool(st["pct"] >= target - EPS),
                         "past_minutes": float(row["past"]) if row is not None else 0.0,
                         "past_cases": int(row["past_cases"]) if row is not None else 0})
    # step passes: a pass counts in the round its last sub-step finished in
    if len(segs):
        passes = segs.groupby("pass", sort=False).agg(step=("step", "last"), finished=("finished", "last"),
                                                     minutes=("minutes", "sum"), standard=("standard", "sum"))
        passes = passes[inside(passes["finished"])]
        passes = passes.assign(within=lambda d: d["minutes"] <= d["standard"] + EPS, past=0.0, is_past=False)
        by_step = _group_stats(passes, "step") if len(passes) else None
    else:
        by_step = None
    steps = []
    for number in dict.fromkeys(s.step for s in process):
        stp = process.step(number)
        row = by_step.loc[number] if by_step is not None and number in by_step.index else None
        steps.append({"step": number, "name_th": stp.name_th if stp else "", "name_en": stp.name_en if stp else "",
                      "standard": sum(s.standard for s in process if s.step == number), **_stats_of(row)})
    # send-backs
    rejects = cases[cases["outcome"] == "reject"] if len(cases) else cases
    sendbacks = [_py({"item": r.item, "subject": r.subject, "substep": r.substep, "at": r.finished, "by": r.by, "note": r.note,
                  "round": int(r.round) + 1, "officer": r.officer_now})
                 for r in rejects.sort_values(["finished", "item"]).itertuples()] if len(rejects) else []
    # letters: received, completed, ended, replies, lead time
    live = letters[letters["ended"] != "cancelled"]
    received_in = live[inside(live["received"])]
    completed = live[inside(live["completed_at"]) & (live["ended"] == "")]
    ended_at = letters["completed_at"].where(letters["ended"] != "cancelled", letters["registered"])  # its number's round
    was_ended = (letters["ended"] != "") & inside(ended_at)
    ended = letters[was_ended].assign(at=ended_at[was_ended])
    ended_items = [_py({"item": r.item, "subject": r.subject, "status": r.ended, "substep": r.ended_substep, "at": r.completed_at,
                    "by": r.ended_by, "reason": r.end_note, "to": r.forwarded_to, "received": r.received, "officer": r.officer})
                   for r in ended.sort_values(["at", "item"]).itertuples()]
    asked = completed[completed["reply_by"].notna()]
    replies = []
    for r in asked.itertuples():
        answered = r.reply_date if isinstance(r.reply_date, date) else r.completed_at.date()
        replies.append({"item": r.item, "subject": r.subject, "reply_by": r.reply_by, "answered": answered,
                        "own_date": isinstance(r.reply_date, date), "reply_no": r.reply_no,
                        "on_time": answered <= r.reply_by, "officer": r.officer, "unanswered": False})
    for o in open_items:  # still open when the round ended, its date already passed: missed, not left out
        if isinstance(o["reply_by"], date) and o["reply_by"] < cutoff.date():
            replies.append({"item": o["item"], "subject": o["subject"], "reply_by": o["reply_by"], "answered": None,
                            "own_date": False, "reply_no": "", "on_time": False, "officer": o["officer"], "unanswered": True})
    replies.sort(key=lambda r: (r["on_time"], r["answered"] or date.max, r["item"]))
    on_time = sum(1 for r in replies if r["on_time"])
    rounds_completed = {int(k): int(v) for k, v in completed.groupby("rounds").size().sort_index().items()}
    # months
    month_keys = []
    d = start.date()
    while d < end.date():
        month_keys.append(date(d.year, d.month, 1))
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    month_of = lambda col: col.map(lambda t: date(t.year, t.month, 1))  # noqa: E731
    rec_m = received_in.groupby(month_of(received_in["received"])).size() if len(received_in) else {}
    com_m = completed.groupby(month_of(completed["completed_at"])).size() if len(completed) else {}
    months = [{"month": m, "received": int(rec_m.get(m, 0)), "completed": int(com_m.get(m, 0))} for m in month_keys]
    # officers: their sub-steps' cases, their open items and send-backs, as of the cutoff
    open_items.sort(key=lambda r: ({"overdue": 0, "paused": 1, "on_time": 2}[r["status"]], -r["late"], r["item"]))
    mine = cases[cases["officer_sub"].astype(bool)] if len(cases) else cases
    by_off = _group_stats(mine, "officer") if len(mine) else None
    items_off = mine.groupby("officer")["item"].nunique() if len(mine) else {}
    open_df = pd.DataFrame(open_items, columns=["officer", "status"]) if open_items else pd.DataFrame(columns=["officer", "status"])
    open_df["officer"] = open_df["officer"].map(lambda o: o or NOT_ASSIGNED)
    open_off = open_df.groupby("officer").size()
    overdue_off = open_df[open_df["status"] == "overdue"].groupby("officer").size()
    sb_off = rejects.groupby("officer").size() if len(rejects) else {}
    names = set(by_off.index if by_off is not None else ()) | set(open_off.index) | set(sb_off.keys() if len(sb_off) else ())
    officers = []
    for name in sorted(names):
        row = by_off.loc[name] if by_off is not None and name in by_off.index else None
        officers.append({"officer": name, "items": int(items_off.get(name, 0)) if len(items_off) else 0, **_stats_of(row),
                         "open": int(open_off.get(name, 0)), "overdue": int(overdue_off.get(name, 0)),
                         "sendbacks": int(sb_off.get(name, 0)) if len(sb_off) else 0,
                         "past_minutes": float(row["past"]) if row is not None else 0.0,
                         "past_cases": int(row["past_cases"]) if row is not None else 0})
    # causes
    in_pauses = pauses[inside(pauses["finished"])] if len(pauses) else pauses
    pause_reasons = []
    if len(in_pauses):
        pr = in_pauses.groupby("reason").agg(count=("item", "size"), minutes=("minutes", "sum")).sort_values(["count", "minutes"], ascending=False)
        pause_reasons = [{"reason": k, "count": int(v["count"]), "minutes": float(v["minutes"])} for k, v in pr.iterrows()]
    sb_round = rejects.groupby(rejects["round"] + 1).size().sort_index() if len(rejects) else {}
    causes = {
        "substeps_past_standard": sorted(({"code": x["code"], "name_th": x["name_th"], "past_cases": x["past_cases"],
                                            "past_minutes": x["past_minutes"]} for x in substeps if x["past_cases"]),
                                          key=lambda x: (-x["past_minutes"], x["code"])),
        "officers_past_standard": sorted(({"officer": x["officer"], "past_cases": x["past_cases"], "past_minutes": x["past_minutes"]}
                                          for x in officers if x["past_cases"]), key=lambda x: (-x["past_minutes"], x["officer"])),
        "pause_reasons": pause_reasons,
        "sendbacks_by_round": {int(k): int(v) for k, v in (sb_round.items() if len(sb_round) else ())},
    }
    leads = completed["lead"].astype(float) if len(completed) else pd.Series(dtype=float)
    total = _stats_of(_group_stats(cases.assign(all=0), "all").iloc[0]) if len(cases) else _stats_of(None)
    summary = {
        "fiscal_year": fiscal_year,
        "round": round_months,
        "start": start.date(),
        "end": end.date() - timedelta(days=1),
        "cutoff": cutoff,
        "complete": cutoff == end,
        "substeps": substeps,
        "steps": steps,
        "officers": officers,
        "sendbacks": sendbacks,
        "rounds_completed": rounds_completed,
        "open": open_items,
        "ended": ended_items,
        "replies": replies,
        "months": months,
        "totals": {
            "received": len(received_in),
            "completed": len(completed),
            "open": len(open_items),
            "overdue": sum(1 for o in open_items if o["status"] == "overdue"),
            "paused": sum(1 for o in open_items if o["status"] == "paused"),
            "sendbacks": len(sendbacks),
            "cases": total["cases"],
            "within": total["within"],
            "pct": total["pct"],
            "paused_minutes": float(in_pauses["minutes"].sum()) if len(in_pauses) else 0.0,
            **{status: sum(1 for r in ended_items if r["status"] == status) for status in (e.status for e in ENDINGS.values())},
            "reply_by_total": len(replies),
            "reply_by_met": on_time,
            "reply_by_met_pct": (100.0 * on_time / len(replies)) if replies else None,
            "reply_own_date": sum(1 for r in replies if r["own_date"]),
            "lead_time_median_minutes": float(leads.median()) if len(leads) else None,
            "lead_time_p90_minutes": float(leads.quantile(0.9)) if len(leads) else None,
            "targets_met": sum(1 for x in substeps if x["target_met"]),
            "targets_measured": sum(1 for x in substeps if x["target_met"] is not None),
        },
        "causes": causes,
        "previous": None,
        "change": {},
        "problems": problems,
    }
    if compare:
        summary["previous"], summary["change"] = _previous(book, fiscal_year, round_months, summary)
    return summary


#: The figures compared with the previous round (the change is this round's minus the previous one's).
COMPARED = ("received", "completed", "cases", "within", "pct", "sendbacks", "open", "overdue",
            "reply_by_total", "reply_by_met", "reply_by_met_pct", "lead_time_median_minutes", "lead_time_p90_minutes")


def _previous(book, fiscal_year: int, round_months: int, current: dict) -> tuple[dict | None, dict]:
    """The same round of the previous fiscal year when the Log has letters in it, else the round
    that ended last before this one; and the change of :data:`COMPARED` and of each sub-step's %."""
    candidates = [(fiscal_year - 1, round_months)]
    ends = sorted(((period(y, m)[1], y, m) for y in (fiscal_year, fiscal_year - 1) for m in (6, 9, 12)), reverse=True)
    this_end = period(fiscal_year, round_months)[1]
    candidates += [(y, m) for e, y, m in ends if e < this_end and (y, m) not in candidates]
    for y, m in candidates:
        try:
            prev = summarize(book, y, m, period(y, m)[1], compare=False)
        except XlflowError:
            continue
        if prev["totals"]["received"] or prev["totals"]["cases"]:
            break
    else:
        return None, {}
    prev_subs = {x["code"]: x["pct"] for x in prev["substeps"]}
    brief = {"fiscal_year": y, "round": m, "start": prev["start"], "end": prev["end"],
             "totals": {k: prev["totals"][k] for k in COMPARED},
             "substeps_pct": prev_subs}
    diff = lambda a, b: None if a is None or b is None else a - b  # noqa: E731
    change = {k: diff(current["totals"][k], prev["totals"][k]) for k in COMPARED}
    change["substeps_pct"] = {x["code"]: diff(x["pct"], prev_subs.get(x["code"])) for x in current["substeps"]}
    return brief, change


# -- JSON ------------------------------------------------------------------------------------
#: Version of the JSON object of ``xlflow evaluate --json``: a key is added, never renamed or
#: removed, within one version (README, "Evaluation and forms").
JSON_SCHEMA = "xlflow-evaluation/1"


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, datetime):
        return v.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 4)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # a numpy scalar
        return _jsonable(v.item())
    return v


def to_json(summary: dict, book=None, book_path: Path | None = None, workbook: Path | None = None,
            made_at: datetime | None = None) -> dict:
    """Every figure of the evaluation workbook as one JSON-ready object (``evaluate --json``).

    The round's totals stand at the top level (``received``, ``pct``, ``reply_by_met_pct``,
    ``lead_time_median_minutes`` …); the tables are lists of objects; dates are ISO, times
    naive Bangkok ISO, minutes working minutes, percentages 0–100, a figure without cases null.
    """
    s = summary
    out = {
        "schema": JSON_SCHEMA,
        "fiscal_year": s["fiscal_year"], "round": s["round"], "start": s["start"], "end": s["end"],
        "cutoff": s["cutoff"], "complete": s["complete"],
        "register": Path(book_path).name if book_path else None,
        "register_sha256": getattr(book, "sha256", None) if book is not None else None,
        "made_at": made_at, "workbook": str(workbook) if workbook else None,
        **s["totals"],
        "substeps": s["substeps"], "steps": s["steps"], "officers": s["officers"],
        "sendbacks_list": s["sendbacks"], "rounds_completed": s["rounds_completed"],
        "open_items": s["open"], "ended": s["ended"], "replies": s["replies"], "months": s["months"],
        "causes": s["causes"], "previous": s["previous"], "change": s["change"],
        "improvement_plan": "",
        "problems": s["problems"],
    }
    return _jsonable(out)


# -- the workbook ----------------------------------------------------------------------------
STATUS_WORDS = {"overdue": "เกินกำหนด (overdue)", "paused": "พักเรื่อง (paused)", "on_time": "ตามกำหนด (on time)"}
MET_WORDS = {True: "บรรลุ (met)", False: "ไม่บรรลุ (not met)", None: "- (no cases)"}
ENDED_WORDS = {"cancelled": "ยกเลิก (cancelled)", "closed": "ปิดเรื่อง (closed)", "forwarded": "ส่งต่อ (sent on)"}


IMPROVEMENT_TITLE = "แนวทางการปรับปรุง (improvement plan)"
#: How the comparison sheet names and shows each figure of :data:`COMPARED`: (Thai, English, kind).
COMPARED_WORDS = {
    "received": ("หนังสือรับในรอบ", "letters received", "count"),
    "completed": ("ดำเนินการเสร็จในรอบ", "completed", "count"),
    "cases": ("ขั้นตอนย่อยที่เสร็จ (ครั้ง)", "sub-step cases", "count"),
    "within": ("ภายในมาตรฐาน (ครั้ง)", "within standard", "count"),
    "pct": ("ร้อยละภายในมาตรฐานเวลา", "% within standard", "pct"),
    "sendbacks": ("ส่งกลับแก้ไข (ครั้ง)", "sent back", "count"),
    "open": ("ค้างดำเนินการ ณ สิ้นรอบ", "open at the end", "count"),
    "overdue": ("เกินกำหนด ณ สิ้นรอบ", "overdue at the end", "count"),
    "reply_by_total": ("หนังสือที่ผู้ส่งกำหนดวันตอบ", "letters with a reply-by date", "count"),
    "reply_by_met": ("ตอบภายในวันที่กำหนด", "answered by that date", "count"),
    "reply_by_met_pct": ("ร้อยละตอบภายในวันที่กำหนด", "% answered by the reply-by date", "pct"),
    "lead_time_median_minutes": ("ระยะเวลารับถึงตอบ มัธยฐาน (นาทีทำการ)", "lead time, median (working min)", "min"),
    "lead_time_p90_minutes": ("ระยะเวลารับถึงตอบ เปอร์เซ็นไทล์ 90 (นาทีทำการ)", "lead time, 90th percentile (working min)", "min"),
}
#: Number formats of the comparison sheet by kind: (the figures, their change). A % changes by points.
COMPARED_FORMATS = {
    "count": ("#,##0", "+#,##0;-#,##0;0"),
    "pct": ('0.0"%"', '+0.0" จุด";-0.0" จุด";0'),
    "min": ("#,##0.0", "+#,##0.0;-#,##0.0;0"),
}


def _num(v) -> str:
    return "-" if v is None else f"{v:,.1f}"


def _previous_label(prev: dict | None) -> str:
    if not prev:
        return "รอบก่อน: ไม่มีข้อมูลในบันทึกการดำเนินงาน (no earlier round in the Log)"
    return f"รอบ {to_thai_digits(prev['round'])} เดือน ปีงบประมาณ {to_thai_digits(prev['fiscal_year'])} (FY{prev['fiscal_year']}, {prev['round']}-month round)"


def as_of(summary: dict) -> str:
    """When the figures stand: the end of the round, or the moment given if the round is not over."""
    if summary["complete"]:
        return f"สิ้นวันที่ {format_date(summary['end'])} (end of the round)"
    return f"{format_datetime(summary['cutoff'])} (ยังไม่สิ้นสุดรอบ / the round is not over)"


def _month_label(m: date) -> str:
    return f"{THAI_MONTHS_ABBR[m.month - 1]} {str(m.year + 543)[2:]}"


class _Writer:
    """Small helpers for a sheet of Thai tables in TH Sarabun New."""

    def __init__(self, wb):
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        self.wb = wb
        thin = Side(style="thin", color="808080")
        self.title = Font(name=bk.FONT, size=18, bold=True)
        self.head = Font(name=bk.FONT, size=14, bold=True, color="FFFFFF")
        self.bold = Font(name=bk.FONT, size=14, bold=True)
        self.body = Font(name=bk.FONT, size=14)
        self.small = Font(name=bk.FONT, size=12, italic=True)
        self.fill = PatternFill("solid", fgColor="1F4E78")
        self.box = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.left = Alignment(wrap_text=True, vertical="top", horizontal="left")
        self.center = Alignment(wrap_text=True, vertical="center", horizontal="center")

    def sheet(self, name: str, title: str):
        ws = self.wb.create_sheet(name)
        c = ws.cell(row=1, column=1, value=title)
        c.font = self.title
        ws.sheet_view.zoomScale = 90
        return ws

    def table(self, ws, row: int, columns: list[tuple[str, str, float, str | None]], rows: list[list]) -> int:
        """Columns: (Thai header, English header, width, number format). A column titled
        ("", "") is no column of its own: the one on its left spans it (a long officer's name
        or pause reason in a sheet whose columns other tables share). Returns the next free row."""
        from copy import copy

        from openpyxl.utils import get_column_letter

        from .forms import fit_height

        spans = [i for i, (th, en, _w, _f) in enumerate(columns) if i and (th, en) == ("", "")]
        widths = [w for _, _, w, _ in columns]
        shown = list(widths)  # the width a value has to wrap in: its own and the columns it spans
        for i in reversed(spans):
            shown[i - 1] += shown[i]
            shown[i] = 0
        for i, (th, en, width, _fmt) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        made: dict = {}  # number format → the cell style made once (openpyxl hashes every style set anew)
        for r, values in enumerate([None] + rows, start=row):
            head = values is None
            if head:
                values = [f"{th}\n{en}" if (th, en) != ("", "") else None for th, en, _w, _f in columns]
            for i, v in enumerate(values, start=1):
                c = ws.cell(row=r, column=i)
                if head:
                    c.value = v
                    c.font, c.fill, c.alignment, c.border = self.head, self.fill, self.center, self.box
                    continue
                bk.set_text(c, v if i - 1 not in spans else None)
                fmt = columns[i - 1][3] if v is not None else None
                if fmt not in made:
                    c.font, c.border, c.alignment = self.body, self.box, self.wrap
                    if fmt:
                        c.number_format = fmt
                    made[fmt] = copy(c._style)
                else:
                    c._style = copy(made[fmt])
            for i in spans:
                ws.merge_cells(start_row=r, start_column=i, end_row=r, end_column=i + 1)
            fit_height(ws, r, [(v, w - 1 if head else w) for v, w in zip(values, shown) if isinstance(v, str) and w])
        return row + 1 + len(rows)

    def page(self, ws, title_row: int, landscape: bool = True) -> None:
        from openpyxl.worksheet.properties import PageSetupProperties

        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
        ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top = 0.6
        # LibreOffice gives the footer the space between the footer margin and the bottom
        # margin: 0.5 in of it (not openpyxl's default 0.1 in) holds the 12 pt Thai line whole
        ws.page_margins.bottom = 0.8
        ws.page_margins.header = ws.page_margins.footer = 0.3
        if title_row:
            ws.print_title_rows = f"{title_row}:{title_row}"
            ws.freeze_panes = ws.cell(row=title_row + 1, column=1)
        ws.oddFooter.center.text = "หน้า &P / &N"
        ws.oddFooter.center.font = f"{bk.FONT},Regular"
        ws.oddFooter.center.size = 12


def _chart_text(size: int = 1200):
    from openpyxl.chart.text import RichText
    from openpyxl.drawing.text import CharacterProperties, Font, Paragraph, ParagraphProperties

    cp = CharacterProperties(latin=Font(typeface=bk.FONT), cs=Font(typeface=bk.FONT), sz=size)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=cp), endParaRPr=cp)]), cp


def _chart_title(text: str):
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import Paragraph, ParagraphProperties, RegularTextRun

    _, cp = _chart_text(1400)
    cp.b = True
    para = Paragraph(pPr=ParagraphProperties(defRPr=cp), r=[RegularTextRun(rPr=cp, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _bar_chart(title: str, y_title: str, x_title: str):
    from openpyxl.chart import BarChart

    ch = BarChart()
    ch.type = "col"
    ch.title = _chart_title(title)
    ch.y_axis.title = y_title
    ch.x_axis.title = x_title
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    rich, _ = _chart_text()
    ch.x_axis.txPr = rich
    ch.y_axis.txPr = _chart_text()[0]
    ch.height, ch.width = 9, 24
    return ch


def _witness_line(book, made_at: datetime) -> str:
    """The Log's witness as this evaluation read it: a copy kept outside the register, for
    ``xlflow verify --against`` (see :mod:`xlflow.witness`)."""
    from .service import log_hashes
    from .witness import of_log

    if not getattr(book, "log_parts", None):
        return "-"
    return of_log(getattr(book, "register_id", None), made_at.replace(tzinfo=None), log_hashes(book)).line()


def write_workbook(summary: dict, book, book_path: Path, made_at: datetime):
    """The evaluation as an openpyxl workbook (cover, tables, charts, the two forms)."""
    from openpyxl import Workbook
    from openpyxl.chart import Reference

    from .forms import duration_th, fill_form_sheets

    wb = Workbook()
    w = _Writer(wb)
    wb.remove(wb.active)
    s = summary
    fy, rm = s["fiscal_year"], s["round"]
    MIN = "#,##0.0"
    PCT = "0.0%"
    info = dict(getattr(book, "info", {}) or {})
    from .forms import form_fields

    fields = form_fields(book.process, info)

    # Cover ------------------------------------------------------------------------------
    cv = w.sheet("ปก", f"รายงานผลการติดตามประเมินผล รอบ {to_thai_digits(rm)} เดือน ปีงบประมาณ {to_thai_digits(fy)}")
    cv.cell(row=2, column=1, value=f"Evaluation of the {rm}-month round, fiscal year {fy} (BE)").font = w.small
    period_th = f"{format_date(s['start'])} – {format_date(s['end'])}"
    t = s["totals"]
    pct = f"{t['pct']:.1f}%" if t["pct"] is not None else "-"
    lines = [
        ("กระบวนการ", "Process", fields["process_name"]),
        ("หน่วยงาน", "Unit", fields["unit"]),
        ("ช่วงเวลาประเมิน", "Period", period_th),
        ("ข้อมูล ณ", "Figures as of", as_of(s)),
        ("ทะเบียนที่ใช้คำนวณ", "Register file", Path(book_path).name),
        ("SHA-256 ของทะเบียน", "Register SHA-256", book.sha256 or bk.file_sha256(book_path)),
        ("จัดทำเมื่อ", "Made at", format_datetime(made_at)),
        ("พยานของบันทึกการดำเนินงาน", "Witness of the Log (xlflow verify --against)", _witness_line(book, made_at)),
        ("หนังสือรับในรอบ", "Letters received", t["received"]),
        ("ดำเนินการเสร็จในรอบ", "Completed", t["completed"]),
        ("ขั้นตอนย่อยที่เสร็จ (ครั้ง)", "Sub-step cases", t["cases"]),
        ("ร้อยละภายในมาตรฐานเวลา", "% within standard", pct),
        ("ส่งกลับแก้ไข (ครั้ง)", "Sent back", t["sendbacks"]),
        ("ค้างดำเนินการ ณ สิ้นรอบ", "Open at the end", t["open"]),
        ("เกินกำหนด ณ สิ้นรอบ", "Overdue at the end", t["overdue"]),
        ("พักเรื่อง ณ สิ้นรอบ", "Paused at the end", t["paused"]),
        ("ยกเลิกเลขทะเบียน (ลงทะเบียนผิดพลาด)", "Registrations cancelled (made by mistake)", t["cancelled"]),
        ("ปิดเรื่องก่อนครบขั้นตอน", "Closed early", t["closed"]),
        ("ส่งต่อหน่วยงานอื่น", "Sent on to another bureau or department", t["forwarded"]),
        ("ตอบภายในวันที่ผู้ส่งกำหนด", "Answered by the sender's reply-by date",
         f"{t['reply_by_met']} / {t['reply_by_total']} ({t['reply_by_met_pct']:.1f}%)" if t["reply_by_total"] else "-"),
        ("ระยะเวลารับถึงตอบ มัธยฐาน (นาทีทำการ)", "Lead time, receipt to answer sent, median (working min)", _num(t["lead_time_median_minutes"])),
        ("ระยะเวลารับถึงตอบ เปอร์เซ็นไทล์ 90 (นาทีทำการ)", "Lead time, 90th percentile (working min)", _num(t["lead_time_p90_minutes"])),
        ("ขั้นตอนย่อยที่บรรลุค่าเป้าหมาย", "Sub-steps that met their target", f"{t['targets_met']} / {t['targets_measured']}"),
        ("เทียบกับ", "Compared with", _previous_label(s["previous"])),
    ]
    from .forms import fit_height

    r = 4
    cv.column_dimensions["A"].width = 46
    cv.column_dimensions["B"].width = 70
    for th, en, v in lines:
        a = cv.cell(row=r, column=1, value=f"{th} ({en})")
        a.font, a.alignment = w.bold, w.wrap
        b = cv.cell(row=r, column=2)
        bk.set_text(b, v)
        b.font, b.alignment = w.body, w.left
        fit_height(cv, r, [(a.value, 46), (str(v), 70)], words=True)  # a witness or a hash breaks only at a hyphen
        r += 1
    r += 1
    notes = [
        "เวลาทั้งหมดเป็นนาทีทำการ (จันทร์–ศุกร์ 08:30–12:00 และ 13:00–16:30 เว้นวันหยุดราชการในแผ่นงานวันหยุดราชการ) คำนวณจากบันทึกการดำเนินงาน "
        "ไม่นับเวลาพักเรื่อง ยกเว้นระยะเวลารับถึงตอบซึ่งนับรวมเวลาพักเรื่อง (ผู้ส่งรอตลอดเวลานั้น)",
        "All times are working minutes computed from the Log with the Calendar, pauses excluded — except the lead time from receipt "
        "to the answer, which counts them (the sender waits through them); a sub-step counts in the round when it finished inside it.",
        "มาตรฐานเวลาตามแผ่นงาน ขั้นตอนการปฏิบัติงาน (คู่มือ หัวข้อ ๖) / Standards from the Process sheet (manual, section 6).",
    ]
    notes += [f"• {x}" for x in book.process.inconsistencies()]
    notes += [f"⚠ {p}" for p in s["problems"]]
    for line in notes:
        c = cv.cell(row=r, column=1)
        bk.set_text(c, line)
        c.font, c.alignment = w.small, w.wrap
        cv.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
        fit_height(cv, r, [(line, 110 * 14 / 12)], line_pt=19)
        r += 1
    w.page(cv, 0, landscape=False)

    # By sub-step -------------------------------------------------------------------------
    ws = w.sheet("รายขั้นตอนย่อย", f"ผลการปฏิบัติงานรายขั้นตอนย่อย (by sub-step) — {period_th}")
    cols = [
        ("รหัส", "Code", 7, None), ("ขั้นตอนย่อย", "Sub-step", 46, None), ("ผู้รับผิดชอบ", "Responsible", 26, None),
        ("มาตรฐาน (นาที)", "Standard (min)", 11, "#,##0"), ("มาตรฐาน", "Standard", 11, None),
        ("จำนวนครั้งที่เสร็จ", "Cases completed", 11, "#,##0"), ("ภายในมาตรฐาน", "Within standard", 11, "#,##0"),
        ("ร้อยละภายในมาตรฐาน", "% within standard", 12, PCT), ("มัธยฐาน (นาที)", "Median (min)", 11, MIN),
        ("เปอร์เซ็นไทล์ 90 (นาที)", "90th percentile (min)", 12, MIN), ("นานที่สุด (นาที)", "Slowest (min)", 11, MIN),
        ("ค่าเป้าหมาย (%)", "Target (%)", 11, "0.0"), ("ผลเทียบเป้าหมาย", "Against the target", 14, None),
    ]
    rows = [[x["code"], x["name_th"], x["role"], x["standard"], duration_th(x["standard"]), x["cases"], x["within"],
             None if x["pct"] is None else x["pct"] / 100, x["median"], x["p90"], x["max"], x["target"], MET_WORDS[x["target_met"]]]
            for x in s["substeps"]]
    end_row = w.table(ws, 3, cols, rows)
    w.page(ws, 3)
    ch = _bar_chart(f"ร้อยละภายในมาตรฐานเวลา รายขั้นตอนย่อย (% within standard) {period_th}", "ร้อยละ (%)", "ขั้นตอนย่อย (sub-step)")
    ch.add_data(Reference(ws, min_col=8, min_row=4, max_row=end_row - 1), titles_from_data=False)
    ch.set_categories(Reference(ws, min_col=1, min_row=4, max_row=end_row - 1))
    ch.legend = None
    ch.y_axis.scaling.min = 0
    ch.y_axis.scaling.max = 1
    ch.y_axis.number_format = "0%"
    ws.add_chart(ch, f"B{end_row + 2}")

    # By step ------------------------------------------------------------------------------
    ws = w.sheet("รายขั้นตอนหลัก", f"ผลการปฏิบัติงานรายขั้นตอนหลัก (by step) — {period_th}")
    cols = [
        ("ขั้นตอน", "Step", 8, None), ("ชื่อขั้นตอน", "Step name", 50, None), ("มาตรฐานรวม (นาที)", "Standard (min)", 12, "#,##0"),
        ("มาตรฐาน", "Standard", 11, None), ("จำนวนครั้งที่ผ่าน", "Passes completed", 11, "#,##0"),
        ("ภายในมาตรฐาน", "Within standard", 11, "#,##0"), ("ร้อยละภายในมาตรฐาน", "% within standard", 12, PCT),
        ("มัธยฐาน (นาที)", "Median (min)", 11, MIN), ("เปอร์เซ็นไทล์ 90 (นาที)", "90th percentile (min)", 12, MIN),
        ("นานที่สุด (นาที)", "Slowest (min)", 11, MIN),
    ]
    rows = [[x["step"], x["name_th"], x["standard"], duration_th(x["standard"]), x["cases"], x["within"],
             None if x["pct"] is None else x["pct"] / 100, x["median"], x["p90"], x["max"]] for x in s["steps"]]
    r = w.table(ws, 3, cols, rows)
    c = ws.cell(row=r + 1, column=1, value="การผ่านขั้นตอนหนึ่งครั้ง = ขั้นตอนย่อยของขั้นตอนนั้นในรอบการส่งกลับเดียวกัน / one pass = the step's sub-steps in one send-back round")
    c.font = w.small
    w.page(ws, 3)

    # By officer ---------------------------------------------------------------------------
    ws = w.sheet("รายเจ้าหน้าที่", f"ผลการปฏิบัติงานรายเจ้าหน้าที่ผู้รับผิดชอบ (by officer) — {period_th}")
    cols = [
        ("เจ้าหน้าที่", "Officer", 28, None), ("จำนวนเรื่อง", "Items", 10, "#,##0"), ("ขั้นตอนที่เสร็จ (ครั้ง)", "Cases", 11, "#,##0"),
        ("ภายในมาตรฐาน", "Within standard", 11, "#,##0"), ("ร้อยละภายในมาตรฐาน", "% within standard", 12, PCT),
        ("มัธยฐาน (นาที)", "Median (min)", 11, MIN), ("เปอร์เซ็นไทล์ 90 (นาที)", "90th percentile (min)", 12, MIN),
        ("นานที่สุด (นาที)", "Slowest (min)", 11, MIN), ("ค้าง ณ สิ้นรอบ", "Open at end", 10, "#,##0"),
        ("เกินกำหนด ณ สิ้นรอบ", "Overdue at end", 11, "#,##0"), ("ถูกส่งกลับ (ครั้ง)", "Sent back", 10, "#,##0"),
    ]
    rows = [[x["officer"], x["items"], x["cases"], x["within"], None if x["pct"] is None else x["pct"] / 100,
             x["median"], x["p90"], x["max"], x["open"], x["overdue"], x["sendbacks"]] for x in s["officers"]]
    r = w.table(ws, 3, cols, rows)
    ws.cell(row=r + 1, column=1, value="นับเฉพาะขั้นตอนย่อยที่ผู้รับผิดชอบคือเจ้าหน้าที่ วท. ที่รับผิดชอบ / only the sub-steps the officer in charge is responsible for").font = w.small
    w.page(ws, 3)

    # Send-backs ---------------------------------------------------------------------------
    ws = w.sheet("การส่งกลับ", f"การส่งกลับแก้ไข (send-backs) — {period_th}")
    cols = [
        ("เลขทะเบียนรับ", "Item", 13, None), ("เรื่อง", "Subject", 50, None), ("ขั้นตอน", "At sub-step", 9, None),
        ("เมื่อ", "When", 18, bk.DATETIME_FORMAT), ("โดย", "By", 22, None), ("เหตุผล", "Reason", 36, None),
        ("รอบที่", "Round", 8, "#,##0"), ("เจ้าหน้าที่", "Officer", 24, None),
    ]
    rows = [[x["item"], x["subject"], x["substep"], x["at"], x["by"], x["note"], x["round"], x["officer"]] for x in s["sendbacks"]]
    r = w.table(ws, 3, cols, rows)
    r += 1
    ws.cell(row=r, column=1, value="เรื่องที่เสร็จในรอบ จำแนกตามจำนวนครั้งที่ถูกส่งกลับ / completed items by number of send-backs").font = w.bold
    w.table(ws, r + 1, [("ส่งกลับ (ครั้ง)", "Send-backs", 13, "#,##0"), ("จำนวนเรื่อง", "Items", 50, "#,##0")],
            [[k, v] for k, v in s["rounds_completed"].items()])
    w.page(ws, 3)

    # Ended before the last sub-step (issue 18) ----------------------------------------------
    ws = w.sheet("ยุติก่อนครบขั้นตอน", f"เรื่องที่ยกเลิก ปิดเรื่อง หรือส่งต่อก่อนครบขั้นตอน (ended early) — {period_th}")
    cols = [
        ("เลขทะเบียนรับ", "Item", 13, None), ("เรื่อง", "Subject", 44, None), ("การยุติ", "Ended as", 16, None),
        ("ที่ขั้นตอน", "At sub-step", 9, None), ("เมื่อ", "When", 18, bk.DATETIME_FORMAT), ("โดย", "By", 22, None),
        ("เหตุผล", "Reason", 36, None), ("ส่งต่อถึง", "Sent on to", 24, None),
    ]
    rows = [[x["item"], x["subject"], ENDED_WORDS[x["status"]], x["substep"], x["at"], x["by"], x["reason"], x["to"]] for x in s["ended"]]
    r = w.table(ws, 3, cols, rows)
    notes = ("ยกเลิกเลขทะเบียน: นับในรอบที่ลงทะเบียน ไม่นับในตัวเลขอื่นใด / cancelled registrations: counted in the round they were registered, in no other figure",
             "ปิดเรื่อง ส่งต่อ: นับในรอบที่ยุติ ขั้นตอนย่อยที่ยุติไม่นับเป็นภายในหรือเกินมาตรฐาน / closed, sent on: counted in the round they ended; "
             "the sub-step they ended at is neither within nor past its standard")
    for k, line in enumerate(notes, start=1):
        ws.cell(row=r + k, column=1, value=line).font = w.small
    w.page(ws, 3)

    # Reply-by compliance ------------------------------------------------------------------
    ws = w.sheet("ตอบตามกำหนด", f"การตอบภายในวันที่ผู้ส่งกำหนด (reply-by compliance) — {period_th}")
    cols = [
        ("เลขทะเบียนรับ", "Item", 13, None), ("เรื่อง", "Subject", 44, None), ("กำหนดตอบ", "Reply by", 13, bk.DATE_FORMAT),
        ("ตอบเมื่อ", "Answered", 13, bk.DATE_FORMAT), ("ตามวันที่", "Answered by", 20, None),
        ("เลขที่หนังสือตอบ", "Reply no.", 20, None), ("ตามกำหนด", "On time", 12, None), ("เจ้าหน้าที่", "Officer", 24, None),
    ]
    rows = [[x["item"], x["subject"], x["reply_by"], x["answered"] or "-",
             "ยังไม่ตอบ ณ สิ้นรอบ (not answered at the round's end)" if x["unanswered"]
             else "ลงวันที่หนังสือตอบ (its own date)" if x["own_date"] else "วันที่ 5.2 เสร็จ (5.2 finished)",
             x["reply_no"] or "-", "ใช่ (yes)" if x["on_time"] else "ไม่ (no)", x["officer"]] for x in s["replies"]]
    r = w.table(ws, 3, cols, rows)
    ws.cell(row=r + 1, column=1, value="ตอบเมื่อ = ลงวันที่หนังสือตอบ ถ้าบันทึกไว้ที่ขั้นตอน 5.2 มิฉะนั้นวันที่ 5.2 เสร็จ / answered = the answer's own date "
                                       "when 5.2 recorded it, else the day 5.2 finished").font = w.small
    w.page(ws, 3)

    # Open at the end ------------------------------------------------------------------------
    ws = w.sheet("ค้างดำเนินการ", f"เรื่องค้างดำเนินการ ณ {as_of(s)} — open and overdue")
    cols = [
        ("เลขทะเบียนรับ", "Item", 13, None), ("เรื่อง", "Subject", 44, None), ("จาก", "From", 26, None),
        ("ขั้นตอน", "Sub-step", 9, None), ("เริ่มขั้นตอน", "Started", 18, bk.DATETIME_FORMAT),
        ("ใช้เวลา (นาที)", "Worked (min)", 11, MIN), ("มาตรฐาน (นาที)", "Standard (min)", 11, "#,##0"),
        ("เกิน (นาที)", "Late by (min)", 11, MIN), ("สถานะ", "Status", 18, None), ("เจ้าหน้าที่", "Officer", 24, None),
        ("ส่งกลับ (ครั้ง)", "Round", 8, "#,##0"), ("กำหนดตอบ", "Reply by", 13, bk.DATE_FORMAT),
    ]
    rows = [[x["item"], x["subject"], x["sender"], x["substep"], x["started"], x["worked"], x["standard"], x["late"],
             STATUS_WORDS[x["status"]], x["officer"], x["round"], x["reply_by"]] for x in s["open"]]
    w.table(ws, 3, cols, rows)
    w.page(ws, 3)

    # By month ---------------------------------------------------------------------------
    ws = w.sheet("รายเดือน", f"จำนวนหนังสือรายเดือน (letters per month) — {period_th}")
    cols = [("เดือน", "Month", 14, None), ("รับ", "Received", 12, "#,##0"), ("เสร็จ", "Completed", 12, "#,##0")]
    rows = [[_month_label(x["month"]), x["received"], x["completed"]] for x in s["months"]]
    end_row = w.table(ws, 3, cols, rows)
    ch = _bar_chart(f"จำนวนหนังสือรายเดือน (letters per month) {period_th}", "จำนวน (letters)", "เดือน (month)")
    ch.add_data(Reference(ws, min_col=2, max_col=3, min_row=3, max_row=end_row - 1), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=4, max_row=end_row - 1))
    ch.y_axis.scaling.min = 0
    ws.add_chart(ch, "E3")
    w.page(ws, 3)

    # The previous round and the change ------------------------------------------------------
    ws = w.sheet("เทียบรอบก่อน", f"เทียบกับ{_previous_label(s['previous'])} (the previous round, and the change)")
    prev = s["previous"]
    cols = [("ตัวชี้วัด", "Figure", 52, None), ("รอบนี้", "This round", 14, "#,##0.0"), ("รอบก่อน", "Previous", 14, "#,##0.0"),
            ("เปลี่ยนแปลง", "Change", 14, "+#,##0.0;-#,##0.0;0")]
    rows = [[f"{th} ({en})", t[k], prev["totals"][k] if prev else None, s["change"].get(k)] for k, (th, en, _) in COMPARED_WORDS.items()]
    kinds = [kind for _, _, kind in COMPARED_WORDS.values()]
    rows += [[f"ร้อยละภายในมาตรฐาน ขั้นตอนย่อย {x['code']} (% within standard, {x['code']})", x["pct"],
              prev["substeps_pct"].get(x["code"]) if prev else None, s["change"].get("substeps_pct", {}).get(x["code"])]
             for x in s["substeps"]]
    kinds += ["pct"] * len(s["substeps"])
    r = w.table(ws, 3, cols, rows)
    for row, kind in enumerate(kinds, start=4):  # a count shows as one, a % with its sign, its change in points
        shown, change = COMPARED_FORMATS[kind]
        for col, fmt in ((2, shown), (3, shown), (4, change)):
            if ws.cell(row=row, column=col).value is not None:
                ws.cell(row=row, column=col).number_format = fmt
    ws.cell(row=r + 1, column=1, value="รอบก่อน = รอบเดียวกันของปีงบประมาณก่อน ถ้าบันทึกการดำเนินงานมีข้อมูล มิฉะนั้นรอบที่สิ้นสุดก่อนหน้า / "
                                       "previous = the same round of the previous fiscal year when the Log has it, else the round that ended before").font = w.small
    w.page(ws, 3)

    # Causes and the improvement plan -----------------------------------------------------------
    ws = w.sheet("สาเหตุ", f"สาเหตุของความล่าช้า (causes) — {period_th}")
    ca = s["causes"]
    r = 3
    ws.cell(row=r, column=1, value="ขั้นตอนย่อยที่ใช้เวลาเกินมาตรฐานมากที่สุด / sub-steps with the most working time past standard").font = w.bold
    r = w.table(ws, r + 1, [("รหัส", "Code", 10, None), ("ขั้นตอนย่อย", "Sub-step", 60, None), ("ครั้งที่เกิน", "Cases past", 14, "#,##0"),
                            ("เวลาที่เกินรวม (นาที)", "Minutes past", 16, MIN)],
                [[x["code"], x["name_th"], x["past_cases"], x["past_minutes"]] for x in ca["substeps_past_standard"]]) + 1
    ws.cell(row=r, column=1, value="เจ้าหน้าที่ที่ใช้เวลาเกินมาตรฐานมากที่สุด / officers with the most working time past standard").font = w.bold
    r = w.table(ws, r + 1, [("เจ้าหน้าที่", "Officer", 10, None), ("", "", 60, None), ("ครั้งที่เกิน", "Cases past", 14, "#,##0"),
                            ("เวลาที่เกินรวม (นาที)", "Minutes past", 16, MIN)],
                [[x["officer"], "", x["past_cases"], x["past_minutes"]] for x in ca["officers_past_standard"]]) + 1
    ws.cell(row=r, column=1, value="เหตุผลการพักเรื่อง / pause reasons").font = w.bold
    r = w.table(ws, r + 1, [("ครั้ง", "Count", 10, "#,##0"), ("เหตุผล", "Reason", 60, None), ("", "", 14, None),
                            ("เวลาพักรวม (นาที)", "Minutes paused", 16, MIN)],
                [[x["count"], x["reason"], "", x["minutes"]] for x in ca["pause_reasons"]]) + 1
    ws.cell(row=r, column=1, value="การส่งกลับแก้ไข จำแนกตามครั้งที่ / send-backs by round").font = w.bold
    r = w.table(ws, r + 1, [("ครั้งที่", "Round", 10, "#,##0"), ("จำนวน (ครั้ง)", "Send-backs", 60, "#,##0")],
                [[k, v] for k, v in ca["sendbacks_by_round"].items()]) + 1
    c = ws.cell(row=r, column=1, value=IMPROVEMENT_TITLE)
    c.font = w.title
    ws.cell(row=r + 1, column=1, value="สำหรับหน่วยงานกรอก / for the office to fill in").font = w.small
    for k in range(r + 2, r + 8):
        ws.merge_cells(start_row=k, start_column=1, end_row=k, end_column=4)
        for col in range(1, 5):
            ws.cell(row=k, column=col).border = w.box
        ws.row_dimensions[k].height = 28
    w.page(ws, 0)

    # The two appendix forms ---------------------------------------------------------------
    fill_form_sheets(wb, book.process, info)
    wb.active = 0
    wb.properties.creator = "xlflow"
    wb.properties.title = f"ผลการติดตามประเมินผล รอบ {rm} เดือน ปีงบประมาณ {fy}"
    wb.properties.created = made_at.replace(tzinfo=None)
    return wb


def evaluate(book_path: Path, fiscal_year: int, round_months: int, output: Path, now: datetime | None = None,
             progress: bool | None = None) -> Path:
    """``xlflow evaluate``: read the register, compute the round, write a new workbook at ``output``.

    ``now`` (default: the present, Bangkok time) is when the workbook is made and the latest
    moment the figures can stand at. The register is only read.
    """
    return evaluate_round(book_path, fiscal_year, round_months, output, now, progress)[0]


def evaluate_round(book_path: Path, fiscal_year: int, round_months: int, output: Path, now: datetime | None = None,
                   progress: bool | None = None, as_json: bool = False) -> tuple[Path, dict]:
    """:func:`evaluate`, and the summary the workbook was written from (the checker's covering
    mail quotes it: one computation, so the mail and the workbook agree). With ``as_json``
    the summary comes as :func:`to_json` gives it."""
    book_path, output = Path(book_path), Path(output)
    if output.suffix.lower() != ".xlsx":
        raise WorkbookError(f"{output.name}: the evaluation workbook must be an .xlsx file — give a name ending in .xlsx")
    if output.resolve() == book_path.resolve():
        raise WorkbookError(f"{output}: this is the register itself — give another file name for the evaluation (-o)")
    if not output.parent.exists():
        raise WorkbookError(f"{output.parent}: no such folder — create it first, or give another -o")
    now = local(now) if now is not None else local(datetime.now(BKK))
    b = bk.load(book_path)
    summary = summarize(b, fiscal_year, round_months, now, progress=progress)
    wb = write_workbook(summary, b, book_path, now)
    bk.refuse_if_open(output)
    from .forms import add_flowchart

    design = wb[SHEETS["form_design"]] if SHEETS["form_design"] in wb.sheetnames else None
    written = _write_evaluation(wb, output, after_save=(lambda p: add_flowchart(p, b.process, design)) if design is not None else None)
    if as_json:  # every figure of the workbook just written, as one JSON object
        return written, to_json(summary, b, book_path, written, now)
    return written, summary


def _write_evaluation(wb, output: Path, after_save=None) -> Path:
    """Save the evaluation workbook at ``output``: a temporary file beside it, renamed over.

    On Windows an old evaluation held open (Excel refuses earlier by its lock file; a viewer,
    an antivirus, a sync client) fails the rename with a sharing violation: retried briefly
    (:mod:`xlflow.sharing`), then refused as in use. Every failure is a WorkbookError.
    """
    from .errors import WorkbookBusy
    from .sharing import IN_USE, call_retrying_sharing, is_sharing_violation

    tmp = output.with_name(f".~xlflow-tmp-{os.getpid()}-{output.name}")
    held = False  # True at the rename, where a sharing violation means "in use"
    try:
        wb.save(tmp)
        if after_save is not None:  # openpyxl cannot draw shapes: the flow chart goes into the saved file
            tmp = after_save(tmp)
        held = True
        call_retrying_sharing(os.replace, tmp, output)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        if held and is_sharing_violation(e):
            raise WorkbookBusy(f"{output.name}: {IN_USE} — the evaluation was not written; close the old "
                               "file there and run the command again") from None
        if held and output.is_dir():
            raise WorkbookError(f"{output}: is a folder — give -o a file name ending in .xlsx") from None
        raise WorkbookError(f"{output.name}: the evaluation could not be saved ({e.strerror or e}) — check that the folder is writable and the disk not full") from None
    return output
