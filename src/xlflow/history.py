"""An item's timeline from the Log: where did this letter wait, and who did what when.

For an auditor or a director: every action as logged (a withdrawn one marked, with the
correction that withdrew it), and every sub-step as worked — started, finished, working
minutes against the standard, pauses and their reasons, send-back rounds. Pure: Log entries,
the process and the calendar in; plain data out (the CLI shows it, ``--json`` prints it).
"""

from __future__ import annotations

from datetime import datetime

from .model import LogEntry
from .process import Process
from .workflow import ENDINGS, paused_minutes, replay, segment_minutes
from .worktime import WorkCalendar


def item_history(entries: list[LogEntry], process: Process, calendar: WorkCalendar, now: datetime) -> dict:
    """The timeline of one item (its Log entries in order); an open sub-step is counted up to ``now``."""
    state = replay(entries, process)
    effective = set(state.effective)
    withdrawn_by: dict[int, int] = {}
    stack: list[int] = []
    for e in entries:  # which correction withdrew which action (the last one still in force)
        if e.action == "correct":
            if len(stack) > 1:
                withdrawn_by[stack.pop()] = e.seq
        else:
            stack.append(e.seq)
    actions = [{
        "seq": e.seq, "at": e.at.isoformat(timespec="minutes"), "by": e.by, "action": e.action, "substep": e.substep,
        "note": e.note, "data": dict(e.data), "in_force": e.seq in effective or e.action == "correct",
        "withdrawn_by": withdrawn_by.get(e.seq),
    } for e in entries]
    steps = []
    for seg in state.segments:
        sub = process[seg.substep] if seg.substep in process else None
        worked = segment_minutes(seg, calendar, now)
        standard = sub.standard if sub else None
        ended = seg.outcome in ENDINGS  # the item was cancelled, closed or sent on here: the sub-step was not finished
        steps.append({
            "substep": seg.substep, "name": sub.name_th if sub else "", "role": sub.role if sub else "", "round": seg.round,
            "started": seg.started.isoformat(timespec="minutes"),
            "finished": seg.finished.isoformat(timespec="minutes") if seg.finished else None,
            "worked_minutes": None if worked is None else round(worked, 1), "standard_minutes": standard,
            "within_standard": None if worked is None or standard is None or not seg.finished or ended else worked <= standard,
            "over_minutes": None if worked is None or standard is None or ended else round(max(0.0, worked - standard), 1),
            "paused_minutes": round(paused_minutes(seg, calendar, seg.finished or now), 1),
            "pauses": [{"from": p.start.isoformat(timespec="minutes"), "to": p.end.isoformat(timespec="minutes") if p.end else None,
                        "reason": p.reason} for p in seg.pauses],
            "by": seg.by, "outcome": seg.outcome or ("open" if not seg.finished else ""),
        })
    waited = [s for s in steps if s["over_minutes"]]
    return {
        "item": state.item, "substep": "done" if state.done else state.substep, "round": state.round,
        "completed_at": state.completed_at.isoformat(timespec="minutes") if state.completed_at else None,
        # issue 18: how it ended early (cancelled, closed, forwarded; None: completed or open), the answer's own number and date
        "ended": state.ended or None, "end_reason": state.end_note or None, "forwarded_to": state.forwarded_to or None,
        "reply_no": state.reply_no or None, "reply_date": state.reply_date.isoformat() if state.reply_date else None,
        "scan": state.scan or None,
        "worked_minutes": round(sum(s["worked_minutes"] or 0 for s in steps), 1),
        "longest_over": max(waited, key=lambda s: s["over_minutes"])["substep"] if waited else None,
        "actions": actions, "substeps": steps,
    }
