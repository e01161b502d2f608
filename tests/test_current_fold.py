"""The checker's fold (``workflow.CurrentFold``) says what replaying every item says.

The checker reads a Log of 1.8 million rows holding only the entries of items still open;
that must change nothing it finds. Hypothesis draws interleaved logs of several items — legal
or not (a Log edited by hand, a correction of a finished item, an item with no registration)
— and the open items' states, the finished items and the items that cannot be replayed must
equal those of :func:`xlflow.checks.states_of`, which replays each item from all its entries.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from xlflow.checks import states_of
from xlflow.model import LogEntry, as_row
from xlflow.process import Process
from xlflow.workflow import CurrentFold, current_states

PROCESS = Process.default()
ITEMS = ("1/2569", "2/2569", "3/2569", "4/2569")
ACTIONS = st.sampled_from(["advance"] * 8 + ["approve", "reject", "pause", "resume", "assign", "correct", "correct", "register"])


@st.composite
def logs(draw):
    per_item = {}
    for item in draw(st.lists(st.sampled_from(ITEMS), min_size=1, max_size=4, unique=True)):
        first = ["register"] if draw(st.integers(0, 9)) else []  # now and then an item with no registration
        per_item[item] = first + draw(st.lists(ACTIONS, max_size=45))
    order = [i for i, acts in per_item.items() for _ in acts]
    order = draw(st.permutations(order))
    at, out, cursor = datetime(2026, 10, 1, 9, 0), [], {i: 0 for i in per_item}
    for seq, item in enumerate(order, start=1):
        action = per_item[item][cursor[item]]
        cursor[item] += 1
        at += timedelta(minutes=draw(st.integers(1, 600)))
        data = {"unit": "วท.", "officer": "สมชาย"} if action == "assign" else {}
        note = "รอตอบ" if action == "pause" else ""
        out.append(LogEntry(seq, item, "1.1", action, at, "x", note, data))
    return out


def expected(log):
    states, bad = states_of(log, PROCESS, history=False)
    return {i: s for i, s in states.items() if not s.done}, sorted(bad), {i for i, s in states.items() if s.done}


@settings(max_examples=400, deadline=None)
@given(logs())
def test_the_current_fold_equals_replaying_every_item(log):
    open_, bad, done = current_states(log, PROCESS)
    assert (open_, sorted(bad), done) == expected(log)


@settings(max_examples=300, deadline=None)
@given(logs(), st.integers(1, 7), st.integers(0, 12))
def test_fed_in_pieces_it_holds_only_open_items(log, pieces, keep):
    """Fed sheet by sheet (as the checker reads the Log), entries are held only for open items
    and for items finished within the last ``keep`` rows."""
    fold = CurrentFold(PROCESS)
    fold.KEEP_FINISHED = keep
    size = max(1, len(log) // pieces)
    for k in range(0, len(log), size):
        fold.feed(map(as_row, log[k : k + size]))
        assert not set(fold.live) & fold.done
    for item in fold.again:
        fold.replace(item, [e for e in log if e.item == item])
    open_, bad = fold.states()
    exp_open, exp_bad, exp_done = expected(log)
    assert (open_, sorted(bad), fold.done) == (exp_open, exp_bad, exp_done)
    assert all(fold.fed - n <= keep for n, _ in fold.recent.values())


def test_a_finished_item_holds_nothing_and_a_later_correction_reopens_it():
    t = datetime(2026, 10, 1, 9, 0)
    log = [LogEntry(1, "1/2569", "1.1", "register", t, "x", "", {})]
    steps = len(PROCESS.substeps) - 1  # the registration finishes 1.1; one finishing action for each of the others
    log += [LogEntry(k, "1/2569", "?", "advance", t + timedelta(minutes=k), "x", "", {}) for k in range(2, 2 + steps)]
    fold = CurrentFold(PROCESS)
    fold.feed(map(as_row, log))
    assert fold.done == {"1/2569"} and fold.live == {}
    fold.feed([as_row(LogEntry(2 + steps, "1/2569", "done", "correct", t + timedelta(hours=3), "x", "", {}))])
    assert fold.again == set() and fold.done == set()  # corrected soon after: reopened from the entries kept
    fold = CurrentFold(PROCESS)
    fold.KEEP_FINISHED = 0  # corrected long after: the entries are gone, the item is to be read again
    fold.feed(map(as_row, log))
    assert fold.recent == {} and fold.live == {}
    fold.feed([as_row(LogEntry(2 + steps, "1/2569", "done", "correct", t + timedelta(hours=3), "x", "", {}))])
    assert fold.again == {"1/2569"}
    open_, bad, done = current_states([*log, LogEntry(2 + steps, "1/2569", "done", "correct", t + timedelta(hours=3), "x", "", {})], PROCESS)
    assert done == set() and open_["1/2569"].substep == PROCESS.substeps[-1].code and bad == []
