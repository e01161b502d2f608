"""The pure workflow core, driven directly: register, act, replay, timing. No workbook here."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from xlflow.errors import IllegalAction
from xlflow.model import DONE, LogEntry
from xlflow.process import Process
from xlflow.workflow import RULES, act, item_number, next_number, parse_item, register, replay, replay_all, timing
from xlflow.worktime import BKK, WorkCalendar

P = Process.default()
#: Fixed days off for these tests (as a Calendar sheet would list them): the 2026 Father's Day
#: substitute and Constitution Day. Nothing here reads the ``holidays`` library.
CAL = WorkCalendar(holidays=[date(2026, 12, 7), date(2026, 12, 10)])


def bkk(*parts) -> datetime:
    return datetime(*parts, tzinfo=BKK)


def naive(*parts) -> datetime:
    return datetime(*parts)


class Item:
    """One item's log, kept the way the register keeps it: entries appended, state replayed."""

    def __init__(self, at: datetime, number: str = "1/2569", received_at: datetime | None = None):
        self.entries = [register(number, at=at, by="สารบรรณ สปร.", process=P, received_at=received_at, seq=1)]
        self.state = replay(self.entries, P)

    def do(self, action: str, at: datetime, by: str = "somchai", **kw) -> LogEntry:
        entry, self.state = act(self.state, self.entries, action, at=at, by=by, process=P, seq=len(self.entries) + 1, **kw)
        self.entries.append(entry)
        assert replay(self.entries, P) == self.state  # the state is what the log says, nothing more
        return entry

    def refused(self, action: str, at: datetime, **kw) -> str:
        """Try an illegal action: return its message, and check nothing changed."""
        before_state, before_entries = self.state, list(self.entries)
        with pytest.raises(IllegalAction) as exc:
            self.do(action, at, **kw)
        assert self.state == before_state
        assert self.entries == before_entries
        assert replay(self.entries, P) == before_state
        return str(exc.value)

    def to(self, code: str, at: datetime) -> None:
        """Advance (assigning unit and officer on the way) until the item is at ``code``."""
        while self.state.substep != code:
            sub = P[self.state.substep]
            if sub.requires == "unit" and not self.state.unit:
                self.do("assign", at, unit="วท.")
            if sub.requires == "officer" and not self.state.officer:
                self.do("assign", at, officer="สมชาย ใจดี")
            self.do("approve" if sub.is_decision else "advance", at)


# -- registration numbers -------------------------------------------------------------------------
def test_registration_number_is_shown_as_number_slash_be_year():
    assert item_number(1234, 2569) == "1234/2569"


def test_registration_numbers_run_on_within_a_calendar_year():
    assert next_number([], bkk(2026, 1, 2, 9, 0)) == "1/2569"
    assert next_number(["1/2569", "2/2569"], bkk(2026, 11, 25, 9, 0)) == "3/2569"
    assert next_number(["56/2569", "57/2569"], bkk(2026, 12, 31, 16, 29)) == "58/2569"


def test_registration_numbers_restart_on_1_january():
    assert next_number(["56/2569", "57/2569"], bkk(2027, 1, 2, 9, 0)) == "1/2570"
    assert next_number(["57/2569", "1/2570"], bkk(2027, 1, 4, 9, 0)) == "2/2570"


def test_registration_year_is_the_bangkok_year_of_a_utc_time():
    # 20:00 UTC on 31 December is already 03:00 on 1 January in Bangkok
    assert next_number(["57/2569"], datetime(2026, 12, 31, 20, 0, tzinfo=timezone.utc)) == "1/2570"


def test_numbers_of_other_years_and_stray_text_do_not_count():
    assert next_number(["900/2568", "note", "", "12/2569 copy"], bkk(2026, 3, 1, 9, 0)) == "1/2569"


def test_parse_item_reads_number_and_year_and_explains_the_form():
    assert parse_item(" 12 / 2569 ") == (12, 2569)
    with pytest.raises(IllegalAction) as exc:
        parse_item("เรื่องที่ 12")
    assert str(exc.value) == '"เรื่องที่ 12" is not a registration number — type it as number/BE year, e.g. 12/2569'


# -- register -----------------------------------------------------------------------------------------
def test_register_finishes_1_1_and_starts_1_2():
    it = Item(bkk(2026, 11, 25, 9, 0), received_at=bkk(2026, 11, 25, 8, 40))
    e = it.entries[0]
    assert (e.item, e.substep, e.action, e.at, e.by) == ("1/2569", "1.1", "register", naive(2026, 11, 25, 9, 0), "สารบรรณ สปร.")
    assert e.data == {"received_at": "2026-11-25T08:40:00"}
    s = it.state
    assert (s.substep, s.started_at, s.round, s.unit, s.officer) == ("1.2", naive(2026, 11, 25, 9, 0), 0, "", "")
    first = s.segments[0]
    assert (first.substep, first.started, first.finished, first.outcome) == ("1.1", naive(2026, 11, 25, 8, 40), naive(2026, 11, 25, 9, 0), "advance")


def test_register_received_after_registration_is_refused():
    with pytest.raises(IllegalAction) as exc:
        register("1/2569", at=bkk(2026, 11, 25, 9, 0), by="x", process=P, received_at=bkk(2026, 11, 25, 9, 5))
    assert str(exc.value) == "item 1/2569: received 25 พ.ย. 2569 09:05 น. is after its registration 25 พ.ย. 2569 09:00 น. — check the received time"


def test_log_times_are_naive_bangkok_wall_clock():
    it = Item(datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc))
    assert it.entries[0].at == naive(2026, 11, 25, 9, 0)


# -- advance and assign -----------------------------------------------------------------------------
def test_advance_stamps_the_substep_done_and_starts_the_next():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.do("assign", bkk(2026, 11, 25, 9, 5), unit="กลุ่มวิเทศสัมพันธ์")
    e = it.do("advance", bkk(2026, 11, 25, 9, 10), by="เลขานุการ")
    assert (e.substep, e.action, e.at, e.by) == ("1.2", "advance", naive(2026, 11, 25, 9, 10), "เลขานุการ")
    assert (it.state.substep, it.state.started_at, it.state.unit) == ("1.3", naive(2026, 11, 25, 9, 10), "กลุ่มวิเทศสัมพันธ์")
    done = it.state.segments[1]
    assert (done.substep, done.started, done.finished, done.by, done.outcome) == (
        "1.2", naive(2026, 11, 25, 9, 0), naive(2026, 11, 25, 9, 10), "เลขานุการ", "advance",
    )


def test_finishing_1_2_without_a_unit_is_refused():
    it = Item(bkk(2026, 11, 25, 9, 0))
    assert it.refused("advance", bkk(2026, 11, 25, 9, 10)) == (
        "item 1/2569 at 1.2 (เสนอ ผอ.สปร. พิจารณามอบหมายหน่วยงานที่เกี่ยวข้องในสังกัด สปร.): "
        "no หน่วยงาน (unit) is assigned — assign the unit before you advance"
    )


def test_finishing_1_5_without_an_officer_is_refused_and_changes_nothing():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("1.5", bkk(2026, 11, 25, 9, 10))
    assert it.refused("advance", bkk(2026, 11, 25, 9, 20)) == (
        "item 1/2569 at 1.5 (เสนอ ผอ.วท. พิจารณามอบหมายเจ้าหน้าที่ที่เกี่ยวข้องในสังกัด วท.): "
        "no เจ้าหน้าที่ผู้รับผิดชอบ (officer) is assigned — assign the officer before you advance"
    )
    it.do("assign", bkk(2026, 11, 25, 9, 21), officer="สมชาย ใจดี")
    it.do("advance", bkk(2026, 11, 25, 9, 22))
    assert (it.state.substep, it.state.officer) == ("1.6", "สมชาย ใจดี")


def test_officer_cannot_be_assigned_before_1_5():
    it = Item(bkk(2026, 11, 25, 9, 0))
    assert it.refused("assign", bkk(2026, 11, 25, 9, 5), officer="สมชาย ใจดี") == (
        "item 1/2569 at 1.2 (เสนอ ผอ.สปร. พิจารณามอบหมายหน่วยงานที่เกี่ยวข้องในสังกัด สปร.): the officer is assigned at 1.5 "
        "(เสนอ ผอ.วท. พิจารณามอบหมายเจ้าหน้าที่ที่เกี่ยวข้องในสังกัด วท.) — advance the item to 1.5 first"
    )


def test_officer_not_in_the_people_list_is_refused():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("1.5", bkk(2026, 11, 25, 9, 10))
    assert it.refused("assign", bkk(2026, 11, 25, 9, 11), officer="สมชาย", officers=["สมชาย ใจดี", "สมหญิง รักงาน"]) == (
        'item 1/2569 at 1.5 (เสนอ ผอ.วท. พิจารณามอบหมายเจ้าหน้าที่ที่เกี่ยวข้องในสังกัด วท.): "สมชาย" is not in the People sheet — '
        "add the officer there first, or check the spelling"
    )


def test_assign_with_nobody_named_is_refused():
    it = Item(bkk(2026, 11, 25, 9, 0))
    assert it.refused("assign", bkk(2026, 11, 25, 9, 5), unit="  ") == (
        "item 1/2569 at 1.2 (เสนอ ผอ.สปร. พิจารณามอบหมายหน่วยงานที่เกี่ยวข้องในสังกัด สปร.): say whom to assign — a unit or an officer"
    )


def test_reassigning_the_officer_later_replaces_the_name():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("2.1", bkk(2026, 11, 25, 9, 10))
    it.do("assign", bkk(2026, 11, 25, 10, 0), officer="สมหญิง รักงาน")
    assert (it.state.substep, it.state.officer) == ("2.1", "สมหญิง รักงาน")


# -- decision at 5.1 -----------------------------------------------------------------------------------
def test_approve_at_5_1_goes_on_to_5_2():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("5.1", bkk(2026, 11, 25, 10, 0))
    it.do("approve", bkk(2026, 11, 25, 11, 0))
    assert (it.state.substep, it.state.round) == ("5.2", 0)


def test_reject_at_5_1_returns_to_3_1_and_raises_the_round():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("5.1", bkk(2026, 11, 25, 10, 0))
    e = it.do("reject", bkk(2026, 11, 25, 11, 0), note="ขอข้อมูลเพิ่ม")
    assert (e.substep, e.action, e.note) == ("5.1", "reject", "ขอข้อมูลเพิ่ม")
    assert (it.state.substep, it.state.round, it.state.started_at) == ("3.1", 1, naive(2026, 11, 25, 11, 0))
    assert it.state.segments[-2].outcome == "reject"
    assert it.state.segments[-1].round == 1
    it.to("5.1", bkk(2026, 11, 25, 13, 0))
    it.do("reject", bkk(2026, 11, 25, 14, 0), note="ยังไม่ครบถ้วน")
    assert (it.state.substep, it.state.round) == ("3.1", 2)


def test_approve_at_2_1_is_refused_naming_item_and_substep():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("2.1", bkk(2026, 11, 25, 9, 10))
    assert it.refused("approve", bkk(2026, 11, 25, 9, 30)) == (
        f"item 1/2569 at 2.1 ({P['2.1'].name_th}): "
        "approve is only possible at a decision (5.1) — use advance here"
    )
    assert "send back is only possible at a decision (5.1)" in it.refused("reject", bkk(2026, 11, 25, 9, 30))


def test_advance_at_the_decision_is_refused():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("5.1", bkk(2026, 11, 25, 10, 0))
    assert it.refused("advance", bkk(2026, 11, 25, 10, 30)) == (
        "item 1/2569 at 5.1 (ผู้บริหารรับทราบ/พิจารณาให้ความเห็นชอบ): "
        "this is a decision — approve it or send it back (reject) instead of advance"
    )


# -- done ---------------------------------------------------------------------------------------------------
def test_advancing_5_2_makes_the_item_done():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("5.2", bkk(2026, 11, 25, 10, 0))
    it.do("advance", bkk(2026, 11, 25, 15, 0))
    assert it.state.done and it.state.substep == DONE
    assert it.state.completed_at == naive(2026, 11, 25, 15, 0)
    assert it.state.segments[-1].outcome == "done"
    assert timing(it.state, P, CAL, bkk(2026, 12, 25, 9, 0)).status == "done"


def test_advancing_a_done_item_is_refused_and_changes_nothing():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("5.2", bkk(2026, 11, 25, 10, 0))
    it.do("advance", bkk(2026, 11, 25, 15, 0))
    assert it.refused("advance", bkk(2026, 11, 25, 15, 5)) == (
        "item 1/2569 is done (completed 25 พ.ย. 2569 15:00 น.): it cannot advance — use correct to undo the last action if it was a mistake"
    )
    for action, kw in (("pause", {"note": "x"}), ("resume", {}), ("assign", {"unit": "u"}), ("approve", {})):
        assert it.refused(action, bkk(2026, 11, 25, 15, 5), **kw).startswith("item 1/2569 is done (completed 25 พ.ย. 2569 15:00 น.)")


# -- pause and resume -------------------------------------------------------------------------------------
def test_pause_needs_a_reason():
    it = Item(bkk(2026, 11, 30, 8, 30))
    it.to("2.1", bkk(2026, 11, 30, 9, 0))
    assert it.refused("pause", bkk(2026, 11, 30, 9, 20), note="   ") == (
        f"item 1/2569 at 2.1 ({P['2.1'].name_th}): "
        "a reason is required to pause — say what the work waits for"
    )


def test_paused_item_is_neither_due_nor_overdue():
    it = Item(bkk(2026, 11, 30, 8, 30))
    it.to("2.1", bkk(2026, 11, 30, 9, 0))
    it.do("pause", bkk(2026, 11, 30, 9, 20), note="รอความเห็นกรมการจัดหางาน")
    assert (it.state.paused_since, it.state.pause_reason) == (naive(2026, 11, 30, 9, 20), "รอความเห็นกรมการจัดหางาน")
    much_later = timing(it.state, P, CAL, bkk(2027, 1, 15, 15, 0))
    assert (much_later.status, much_later.due_at, much_later.due_soon_at, much_later.late) == ("paused", None, None, 0.0)


def test_paused_time_does_not_count_against_the_standard():
    it = Item(bkk(2026, 11, 30, 8, 30))
    it.to("2.1", bkk(2026, 11, 30, 9, 0))  # Monday 09:00, standard 60 min
    assert timing(it.state, P, CAL, bkk(2026, 11, 30, 9, 0)).due_at == naive(2026, 11, 30, 10, 0)
    it.do("pause", bkk(2026, 11, 30, 9, 20), note="รอความเห็นกรมการจัดหางาน")  # 20 min worked
    it.do("resume", bkk(2026, 12, 1, 10, 0))  # Tuesday 10:00: 40 min left
    t = timing(it.state, P, CAL, bkk(2026, 12, 1, 10, 0))
    assert t.due_at == naive(2026, 12, 1, 10, 40)
    assert t.worked == pytest.approx(20)
    assert timing(it.state, P, CAL, bkk(2026, 12, 1, 10, 39)).status == "due_soon"
    late = timing(it.state, P, CAL, bkk(2026, 12, 1, 11, 0))
    assert (late.status, late.late) == ("overdue", pytest.approx(20))
    seg = it.state.current
    assert [(p.start, p.end, p.reason) for p in seg.pauses] == [
        (naive(2026, 11, 30, 9, 20), naive(2026, 12, 1, 10, 0), "รอความเห็นกรมการจัดหางาน")
    ]


def test_paused_item_cannot_advance_and_resume_needs_a_pause():
    it = Item(bkk(2026, 11, 30, 8, 30))
    it.to("2.2", bkk(2026, 11, 30, 9, 0))
    assert it.refused("resume", bkk(2026, 11, 30, 9, 10)) == (
        "item 1/2569 at 2.2 (ส่งหนังสือถึงหน่วยงานที่เกี่ยวข้องเพื่อพิจารณาดำเนินการ): the item is not paused — nothing to resume"
    )
    it.do("pause", bkk(2026, 11, 30, 9, 10), note="รอหนังสือตอบ")
    assert it.refused("advance", bkk(2026, 11, 30, 9, 30)) == (
        "item 1/2569 at 2.2 (ส่งหนังสือถึงหน่วยงานที่เกี่ยวข้องเพื่อพิจารณาดำเนินการ): the item is paused (รอหนังสือตอบ) — resume it before you advance"
    )
    assert "resume it before you pause" in it.refused("pause", bkk(2026, 11, 30, 9, 30), note="again")


# -- correct ---------------------------------------------------------------------------------------------------
def test_correct_undoes_the_last_action_and_is_logged_as_its_own_action():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("2.1", bkk(2026, 11, 25, 9, 10))
    before = it.state
    mistaken = it.do("advance", bkk(2026, 11, 25, 9, 30))
    e = it.do("correct", bkk(2026, 11, 25, 9, 31), by="หัวหน้า")
    assert (e.action, e.substep, e.by, e.note, e.data) == ("correct", "2.2", "หัวหน้า", "undo advance", {"undoes": mistaken.seq})
    assert (it.state.substep, it.state.started_at) == ("2.1", before.started_at)
    assert it.state.segments == before.segments
    assert [x.action for x in it.entries[-2:]] == ["advance", "correct"]  # the log keeps both


def test_correct_twice_undoes_two_actions_and_can_reopen_a_done_item():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("5.1", bkk(2026, 11, 25, 9, 10))
    it.do("approve", bkk(2026, 11, 25, 10, 0))
    it.do("advance", bkk(2026, 11, 25, 10, 30))
    assert it.state.done
    it.do("correct", bkk(2026, 11, 25, 10, 31), note="ยังไม่ได้ส่ง")
    assert (it.state.substep, it.state.completed_at) == ("5.2", None)
    it.do("correct", bkk(2026, 11, 25, 10, 32))
    assert it.state.substep == "5.1"


def test_correct_of_a_send_back_lowers_the_round_again():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.to("5.1", bkk(2026, 11, 25, 9, 10))
    it.do("reject", bkk(2026, 11, 25, 10, 0), note="ขอแก้ไขท่าที")
    it.do("correct", bkk(2026, 11, 25, 10, 1))
    assert (it.state.substep, it.state.round) == ("5.1", 0)


def test_registration_itself_cannot_be_corrected():
    it = Item(bkk(2026, 11, 25, 9, 0))
    assert it.refused("correct", bkk(2026, 11, 25, 9, 5)) == (
        "item 1/2569 at 1.2 (เสนอ ผอ.สปร. พิจารณามอบหมายหน่วยงานที่เกี่ยวข้องในสังกัด สปร.): "
        "nothing to undo — the registration itself cannot be undone"
    )


# -- other refusals --------------------------------------------------------------------------------------------
def test_action_stamped_before_the_last_action_is_refused():
    it = Item(bkk(2026, 11, 25, 9, 0))
    it.do("assign", bkk(2026, 11, 25, 9, 30), unit="วท.")
    assert it.refused("advance", bkk(2026, 11, 25, 9, 20)) == (
        "item 1/2569 at 1.2 (เสนอ ผอ.สปร. พิจารณามอบหมายหน่วยงานที่เกี่ยวข้องในสังกัด สปร.): "
        "the time 25 พ.ย. 2569 09:20 น. is before the item's last action (assign at 25 พ.ย. 2569 09:30 น.) — give a later time"
    )


def test_unknown_action_is_refused_with_the_list_of_actions():
    it = Item(bkk(2026, 11, 25, 9, 0))
    assert it.refused("finish", bkk(2026, 11, 25, 9, 5)) == (
        '"finish" is not an action — use one of: advance, approve, reject, pause, resume, assign, cancel, close, forward, link, correct'
    )


def test_rules_table_covers_every_action_but_register_and_correct():
    from xlflow.model import ACTIONS

    assert set(RULES) == set(ACTIONS) - {"register", "correct"}


def test_replay_without_a_registration_is_refused():
    e = LogEntry(1, "3/2569", "1.2", "advance", naive(2026, 11, 25, 9, 0), "x")
    with pytest.raises(IllegalAction) as exc:
        replay([e], P)
    assert str(exc.value) == "item 3/2569 has no registration in the log"


def test_replay_all_groups_the_log_by_item():
    a, b = Item(bkk(2026, 11, 25, 9, 0), "1/2569"), Item(bkk(2026, 11, 25, 9, 5), "2/2569")
    b.do("assign", bkk(2026, 11, 25, 9, 6), unit="วท.")
    mixed = [a.entries[0], b.entries[0], b.entries[1]]
    states = replay_all(mixed, P)
    assert states == {"1/2569": a.state, "2/2569": b.state}


# -- timing in working time ---------------------------------------------------------------------------------------
def test_due_time_skips_lunch():
    it = Item(bkk(2026, 11, 25, 11, 50))  # 1.2, 15 min: 10 before lunch, 5 after
    assert timing(it.state, P, CAL, bkk(2026, 11, 25, 11, 50)).due_at == naive(2026, 11, 25, 13, 5)


def test_due_time_skips_the_weekend_and_a_calendar_holiday():
    it = Item(bkk(2026, 12, 4, 16, 25))  # Friday 16:25; Monday 7 December is a day off
    t = timing(it.state, P, CAL, bkk(2026, 12, 4, 16, 25))
    assert t.due_at == naive(2026, 12, 8, 8, 40)  # 1.2's 15 min: 5 on Friday, 10 on Tuesday


def test_status_moves_from_on_time_to_due_soon_to_overdue():
    it = Item(bkk(2026, 11, 30, 8, 30))
    it.to("3.2", bkk(2026, 11, 30, 9, 0))  # 120 min: due 11:00, warned an hour before (the larger of 60 min and 25 %)
    at = lambda h, m: timing(it.state, P, CAL, bkk(2026, 11, 30, h, m))  # noqa: E731
    assert at(9, 0).due_at == naive(2026, 11, 30, 11, 0)
    assert at(9, 0).due_soon_at == naive(2026, 11, 30, 10, 0)
    assert [at(9, 59).status, at(10, 0).status, at(10, 59).status, at(11, 0).status] == ["on_time", "due_soon", "due_soon", "overdue"]
    assert at(13, 30).late == pytest.approx(90)  # 11:00–12:00 and 13:00–13:30


def test_a_holiday_added_later_re_times_an_open_item():
    it = Item(bkk(2026, 11, 30, 8, 30))
    it.to("3.2", bkk(2026, 11, 30, 16, 0))  # 30 min on Monday, 90 min on the next working day
    assert timing(it.state, P, CAL, bkk(2026, 11, 30, 16, 0)).due_at == naive(2026, 12, 1, 10, 0)
    cabinet_day = WorkCalendar(holidays=[date(2026, 12, 1), date(2026, 12, 7), date(2026, 12, 10)])
    assert timing(it.state, P, cabinet_day, bkk(2026, 11, 30, 16, 0)).due_at == naive(2026, 12, 2, 10, 0)


def test_a_batch_can_register_a_letter_and_act_on_it_in_one_save(register_book):
    """The demo and bulk imports plan many actions on one load and write once."""
    from xlflow import service

    def plan(b, change):
        item = service.plan_register(b, change, at=datetime(2026, 11, 25, 9, 0), by="c", subject="ขอเชิญประชุม")
        service.plan_action(b, change, item, "assign", at=datetime(2026, 11, 25, 9, 5), by="c", unit="วท.")
        service.plan_action(b, change, item, "advance", at=datetime(2026, 11, 25, 9, 6), by="c")

    change = service.commit(register_book, plan)
    assert [e.action for e in change.log] == ["register", "assign", "advance"]
    assert len(change.rows) == 1
    view = service.show(register_book, "1/2569", now=datetime(2026, 11, 25, 9, 7))
    assert (view["substep"], view["unit"]) == ("1.3", "วท.")
    assert service.verify(register_book) is None


def test_a_segment_made_fast_is_the_segment_made_the_usual_way():
    import dataclasses

    from xlflow.model import Pause, Segment, segment

    t0, t1 = datetime(2026, 11, 25, 9, 0, tzinfo=BKK), datetime(2026, 11, 25, 10, 0, tzinfo=BKK)
    args = ("7/2570", "2.1", 1, t0, t1, (Pause(t0, t1, "รอ"),), "กนก", "advance")
    fast, usual = segment(*args), Segment(*args)
    assert fast == usual and hash(fast) == hash(usual) and repr(fast) == repr(usual)
    assert dataclasses.replace(fast, finished=None) == dataclasses.replace(usual, finished=None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.finished = None
