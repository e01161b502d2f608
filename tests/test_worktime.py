"""Working time: office hours, weekends, Thai holidays; due times and minutes within standard."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlflow.worktime import BKK, Holiday, WorkCalendar, aware, local, thai_holidays

HOLIDAYS = thai_holidays([2025, 2026, 2027])
CAL = WorkCalendar(HOLIDAYS)
DAYS_OFF = {h.day for h in HOLIDAYS if h.off}


def bkk(*args) -> datetime:
    return datetime(*args, tzinfo=BKK)


# -- strategies --------------------------------------------------------------------------
_LO, _HI = datetime(2025, 1, 1), datetime(2027, 12, 31, 23, 59, 59, 999999)
naive_times = st.datetimes(min_value=_LO, max_value=_HI)
bangkok_times = st.datetimes(min_value=_LO, max_value=_HI, timezones=st.just(BKK))
utc_times = st.datetimes(min_value=_LO, max_value=_HI - timedelta(hours=7), timezones=st.just(timezone.utc))
moments = st.one_of(naive_times, bangkok_times, utc_times)
work_minutes = st.integers(min_value=1, max_value=5000)
fractional_minutes = st.floats(min_value=1, max_value=5000, allow_nan=False, allow_infinity=False)

PROPS = settings(max_examples=300, deadline=None)


def in_office_hours(t: datetime) -> bool:
    """Inside 08:30–12:00 or 13:00–16:30 (period ends included) on a working day."""
    lt = local(t)
    tod = lt.time()
    return (
        lt.weekday() < 5
        and lt.date() not in DAYS_OFF
        and (time(8, 30) <= tod <= time(12, 0) or time(13, 0) <= tod <= time(16, 30))
    )


# -- properties ---------------------------------------------------------------------------
@PROPS
@given(moments, work_minutes)
def test_due_time_is_always_inside_office_hours(t, m):
    due = CAL.add(t, m)
    assert in_office_hours(due), (t, m, due)


@PROPS
@given(moments, fractional_minutes)
def test_due_time_of_fractional_minutes_is_inside_office_hours(t, m):
    assert in_office_hours(CAL.add(t, m))


@PROPS
@given(moments, st.one_of(work_minutes, fractional_minutes))
def test_working_minutes_from_start_to_due_time_are_the_minutes_added(t, m):
    assert CAL.between(t, CAL.add(t, m)) == pytest.approx(m, abs=1e-6)


@PROPS
@given(moments, work_minutes)
def test_due_time_is_after_the_start_and_is_bangkok_aware(t, m):
    due = CAL.add(t, m)
    assert due.tzinfo is not None and due.utcoffset() == timedelta(hours=7)
    assert due > aware(t)


@PROPS
@given(moments, moments, work_minutes)
def test_add_is_monotonic_in_the_start(t1, t2, m):
    t1, t2 = sorted((t1, t2), key=aware)
    assert CAL.add(t1, m) <= CAL.add(t2, m)


@PROPS
@given(moments, work_minutes, work_minutes)
def test_add_is_monotonic_in_the_minutes(t, m1, m2):
    m1, m2 = sorted((m1, m2))
    assert CAL.add(t, m1) <= CAL.add(t, m2)


@PROPS
@given(moments, moments, moments)
def test_between_is_monotonic_in_its_second_argument(a, b1, b2):
    b1, b2 = sorted((b1, b2), key=aware)
    assert CAL.between(a, b1) <= CAL.between(a, b2)


@PROPS
@given(moments, moments)
def test_between_is_antisymmetric(a, b):
    assert CAL.between(a, b) == -CAL.between(b, a)


@PROPS
@given(naive_times)
def test_naive_time_is_bangkok_local(t):
    assert CAL.minutes(t) == CAL.minutes(t.replace(tzinfo=BKK))
    assert CAL.add(t, 30) == CAL.add(t.replace(tzinfo=BKK), 30)


@PROPS
@given(moments)
def test_next_working_is_add_zero_and_costs_no_working_minutes(t):
    nxt = CAL.next_working(t)
    assert CAL.add(t, 0) == nxt
    assert CAL.is_working(nxt)
    assert CAL.between(t, nxt) == 0
    assert nxt >= aware(t)
    if CAL.is_working(t):
        assert nxt == aware(t)


@PROPS
@given(st.lists(st.one_of(st.none(), moments), max_size=40))
def test_minutes_many_equals_minutes_elementwise_including_none(stamps):
    assert CAL.minutes_many(stamps) == [None if t is None else CAL.minutes(t) for t in stamps]


# -- explicit due times --------------------------------------------------------------------
def test_friday_1625_plus_an_hour_is_due_monday_0925():
    assert CAL.add(bkk(2026, 11, 27, 16, 25), 60) == bkk(2026, 11, 30, 9, 25)


def test_naive_start_gives_bangkok_aware_due_time():
    assert CAL.add(datetime(2026, 11, 27, 16, 25), 60) == bkk(2026, 11, 30, 9, 25)


def test_start_on_a_saturday_counts_from_monday_opening():
    assert CAL.add(bkk(2026, 11, 28, 10, 0), 60) == bkk(2026, 11, 30, 9, 30)
    assert CAL.add(bkk(2026, 11, 28, 10, 0), 0) == bkk(2026, 11, 30, 8, 30)


def test_start_in_the_lunch_hour_counts_from_1300():
    assert CAL.add(bkk(2026, 11, 25, 12, 15), 30) == bkk(2026, 11, 25, 13, 30)
    assert CAL.add(bkk(2026, 11, 25, 12, 15), 0) == bkk(2026, 11, 25, 13, 0)


def test_work_running_into_lunch_resumes_at_1300():
    assert CAL.add(bkk(2026, 11, 25, 11, 45), 30) == bkk(2026, 11, 25, 13, 15)


def test_due_exactly_at_the_end_of_the_morning_is_1200():
    assert CAL.add(bkk(2026, 11, 25, 11, 0), 60) == bkk(2026, 11, 25, 12, 0)


def test_due_exactly_at_closing_is_1630_the_same_day():
    assert CAL.add(bkk(2026, 11, 25, 16, 0), 30) == bkk(2026, 11, 25, 16, 30)


def test_start_before_0830_counts_from_opening():
    assert CAL.add(bkk(2026, 11, 25, 7, 0), 30) == bkk(2026, 11, 25, 9, 0)


def test_start_after_1630_counts_from_next_mornings_opening():
    assert CAL.add(bkk(2026, 11, 25, 18, 0), 30) == bkk(2026, 11, 26, 9, 0)


def test_a_full_working_day_is_seven_hours():
    assert CAL.day_minutes == 420
    assert CAL.add(bkk(2026, 11, 25, 8, 30), 420) == bkk(2026, 11, 25, 16, 30)
    assert CAL.add(bkk(2026, 11, 25, 8, 30), 421) == bkk(2026, 11, 26, 8, 31)


def test_songkran_2026_is_skipped():
    # Fri 10 Apr 16:00 + 1 h: 30 min on Friday, weekend, Songkran Mon 13 – Wed 15 April
    assert CAL.add(bkk(2026, 4, 10, 16, 0), 60) == bkk(2026, 4, 16, 9, 0)
    assert CAL.between(bkk(2026, 4, 10, 12, 0), bkk(2026, 4, 16, 12, 0)) == 420


def test_chakri_day_2026_is_skipped():
    # Fri 3 Apr 16:00 + 1 h: weekend, Chakri Memorial Day Mon 6 April
    assert CAL.add(bkk(2026, 4, 3, 16, 0), 60) == bkk(2026, 4, 7, 9, 0)


def test_new_year_2027_is_skipped():
    # Wed 30 Dec 2026 16:00 + 1 h: New Year's Eve Thu 31 Dec, New Year's Day Fri 1 Jan, weekend
    assert CAL.add(bkk(2026, 12, 30, 16, 0), 60) == bkk(2027, 1, 4, 9, 0)


def test_visakha_bucha_day_in_lieu_2026_is_skipped():
    # Visakha Bucha falls on Sun 31 May 2026; Mon 1 June is the day in lieu
    assert not CAL.is_working_day(date(2026, 6, 1))
    assert CAL.add(bkk(2026, 5, 29, 16, 0), 60) == bkk(2026, 6, 2, 9, 0)


def test_fathers_day_in_lieu_7_december_2026_is_skipped():
    # 5 December 2026 is a Saturday; Mon 7 December is the day in lieu
    assert not CAL.is_working_day(date(2026, 12, 7))
    assert CAL.add(bkk(2026, 12, 4, 16, 0), 60) == bkk(2026, 12, 8, 9, 0)


def test_add_refuses_negative_minutes():
    with pytest.raises(ValueError, match="negative"):
        CAL.add(bkk(2026, 11, 25, 9, 0), -1)


# -- between -----------------------------------------------------------------------------
def test_between_across_a_weekend_counts_only_working_minutes():
    # Fri 15:30 → 16:30 is 60 min, Mon 08:30 → 09:30 is 60 min
    assert CAL.between(bkk(2026, 11, 27, 15, 30), bkk(2026, 11, 30, 9, 30)) == 120


def test_between_is_negative_when_the_end_is_earlier():
    assert CAL.between(bkk(2026, 11, 30, 9, 30), bkk(2026, 11, 27, 15, 30)) == -120


def test_between_leaves_out_the_lunch_hour():
    assert CAL.between(bkk(2026, 11, 25, 11, 0), bkk(2026, 11, 25, 14, 0)) == 120


def test_between_two_times_off_duty_is_zero():
    assert CAL.between(bkk(2026, 11, 28, 9, 0), bkk(2026, 11, 29, 15, 0)) == 0  # Sat → Sun
    assert CAL.between(bkk(2026, 11, 25, 12, 5), bkk(2026, 11, 25, 12, 55)) == 0  # lunch
    assert CAL.between(bkk(2026, 11, 25, 17, 0), bkk(2026, 11, 26, 8, 0)) == 0  # overnight


def test_between_mixes_naive_and_aware_times():
    assert CAL.between(datetime(2026, 11, 25, 9, 0), datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)) == 60


# -- Labour Day ---------------------------------------------------------------------------
def test_labour_day_is_listed_but_not_off_by_default():
    labour = [h for h in HOLIDAYS if h.day == date(2026, 5, 1)]
    assert len(labour) == 1 and labour[0].off is False


def test_labour_day_is_a_working_day_by_default():
    assert CAL.is_working_day(date(2026, 5, 1))
    # Thu 30 Apr 16:00 + 1 h is due on Labour Day itself
    assert CAL.add(bkk(2026, 4, 30, 16, 0), 60) == bkk(2026, 5, 1, 9, 0)


def test_labour_day_is_skipped_once_the_office_marks_it_off():
    cal = WorkCalendar(HOLIDAYS + [Holiday(date(2026, 5, 1), "วันแรงงานแห่งชาติ", off=True)])
    assert not cal.is_working_day(date(2026, 5, 1))
    # Fri 1 May off, weekend, Mon 4 May Coronation Day
    assert cal.add(bkk(2026, 4, 30, 16, 0), 60) == bkk(2026, 5, 5, 9, 0)


def test_labour_day_in_lieu_2027_stays_a_working_day():
    assert CAL.is_working_day(date(2027, 5, 3))


def test_plain_dates_are_days_off():
    cal = WorkCalendar(holidays=[date(2026, 11, 26)])
    assert cal.add(bkk(2026, 11, 25, 16, 0), 60) == bkk(2026, 11, 27, 9, 0)


# -- next_working, is_working, next_working_day ----------------------------------------------
@pytest.mark.parametrize(
    "t, expected",
    [
        (bkk(2026, 11, 25, 9, 0), bkk(2026, 11, 25, 9, 0)),  # open: itself
        (bkk(2026, 11, 25, 7, 0), bkk(2026, 11, 25, 8, 30)),  # before opening
        (bkk(2026, 11, 25, 12, 0), bkk(2026, 11, 25, 13, 0)),  # lunch starts
        (bkk(2026, 11, 25, 12, 30), bkk(2026, 11, 25, 13, 0)),  # lunch
        (bkk(2026, 11, 25, 16, 30), bkk(2026, 11, 26, 8, 30)),  # closing
        (bkk(2026, 11, 27, 17, 0), bkk(2026, 11, 30, 8, 30)),  # Friday evening
        (bkk(2026, 11, 28, 10, 0), bkk(2026, 11, 30, 8, 30)),  # Saturday
        (bkk(2026, 4, 10, 17, 0), bkk(2026, 4, 16, 8, 30)),  # before Songkran
        (datetime(2026, 11, 28, 10, 0), bkk(2026, 11, 30, 8, 30)),  # naive is Bangkok
    ],
)
def test_next_working(t, expected):
    assert CAL.next_working(t) == expected


@pytest.mark.parametrize(
    "t, expected",
    [
        (bkk(2026, 11, 25, 8, 29, 59), False),
        (bkk(2026, 11, 25, 8, 30), True),
        (bkk(2026, 11, 25, 11, 59, 59), True),
        (bkk(2026, 11, 25, 12, 0), False),
        (bkk(2026, 11, 25, 12, 59), False),
        (bkk(2026, 11, 25, 13, 0), True),
        (bkk(2026, 11, 25, 16, 29, 59), True),
        (bkk(2026, 11, 25, 16, 30), False),
        (bkk(2026, 11, 28, 10, 0), False),  # Saturday
        (bkk(2026, 4, 14, 10, 0), False),  # Songkran
        (bkk(2026, 5, 1, 10, 0), True),  # Labour Day, by default
        (datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc), True),  # 10:00 in Bangkok
        (datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc), False),  # 17:00 in Bangkok
    ],
)
def test_is_working(t, expected):
    assert CAL.is_working(t) is expected


@pytest.mark.parametrize(
    "d, expected",
    [
        (date(2026, 11, 25), date(2026, 11, 26)),  # Wed → Thu
        (date(2026, 11, 27), date(2026, 11, 30)),  # Fri → Mon
        (date(2026, 11, 28), date(2026, 11, 30)),  # Sat → Mon
        (date(2026, 4, 10), date(2026, 4, 16)),  # over Songkran
        (date(2026, 12, 30), date(2027, 1, 4)),  # over New Year
        (date(2026, 5, 29), date(2026, 6, 2)),  # over the day in lieu
    ],
)
def test_next_working_day_is_the_first_working_day_after(d, expected):
    assert CAL.next_working_day(d) == expected


def test_is_working_day_weekends_and_holidays():
    assert CAL.is_working_day(date(2026, 11, 25))
    assert not CAL.is_working_day(date(2026, 11, 28))  # Saturday
    assert not CAL.is_working_day(date(2026, 4, 13))  # Songkran


# -- columns ---------------------------------------------------------------------------------
def test_minutes_many_keeps_none_and_matches_minutes():
    stamps = [
        bkk(2026, 11, 25, 9, 30),
        None,
        datetime(2026, 11, 25, 9, 30, 0, 500000),  # sub-second times count too
        datetime(2026, 11, 28, 10, 0),
        datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc),
    ]
    got = CAL.minutes_many(stamps)
    assert got[1] is None
    assert got == [None if t is None else CAL.minutes(t) for t in stamps]
    assert got[2] - got[0] == pytest.approx(0.5 / 60)


# -- construction ----------------------------------------------------------------------------
def test_office_hours_with_start_after_end_are_refused():
    with pytest.raises(ValueError, match="the start must be before the end"):
        WorkCalendar(hours=[(time(16, 30), time(8, 30))])


def test_overlapping_office_hours_are_refused():
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar(hours=[(time(8, 30), time(12, 0)), (time(11, 0), time(16, 30))])


def test_empty_office_hours_are_refused():
    with pytest.raises(ValueError, match="office hours are empty"):
        WorkCalendar(hours=[])


def test_times_outside_the_calendar_range_are_refused():
    with pytest.raises(ValueError, match="outside the calendar's range"):
        CAL.minutes(datetime(1980, 1, 1))


def test_the_calendar_owns_one_range_of_years_and_says_so_in_an_xlflow_error():
    from xlflow.errors import DateError, OutsideCalendar, XlflowError
    from xlflow.worktime import FIRST_YEAR, LAST_YEAR, covers, range_text

    assert (FIRST_YEAR, LAST_YEAR) == (1990, 2100) and range_text() == "BE 2533–2643 / 1990–2100"
    assert covers(date(1990, 1, 1)) and covers(datetime(2100, 12, 31, 23, 59)) and not covers(date(2101, 1, 1))
    assert not covers(datetime(1989, 12, 31, 23, 0))
    assert covers(datetime(1989, 12, 31, 17, 30, tzinfo=timezone.utc))  # 00:30 on 1 January 1990 in Bangkok
    with pytest.raises(OutsideCalendar) as e:
        CAL.minutes(datetime(2156, 12, 15, 9, 0))  # 15/12/2699 typed for 2569
    assert isinstance(e.value, XlflowError) and isinstance(e.value, DateError)
    assert str(e.value) == "15/12/2699 (2156-12-15) is outside the calendar's range, BE 2533–2643 / 1990–2100 — check the year"
    assert e.value.when == date(2156, 12, 15)
    with pytest.raises(OutsideCalendar, match="beyond the calendar's range"):
        CAL.add(datetime(2100, 12, 31, 9, 0), 10**6)  # a due time past the end
    for bad in ([(time(9), time(8))], []):
        with pytest.raises(DateError):  # an XlflowError, not a bare ValueError
            WorkCalendar(hours=bad)


def test_the_calendar_says_why_the_office_is_closed():
    cal = WorkCalendar(holidays=[Holiday(date(2026, 12, 7), "ชดเชยวันพ่อแห่งชาติ"), Holiday(date(2026, 12, 10), "วันรัฐธรรมนูญ")])
    assert cal.closed_why(datetime(2026, 12, 7, 10, 0)) == "a holiday (ชดเชยวันพ่อแห่งชาติ)"
    assert cal.closed_why(datetime(2026, 12, 5, 10, 0)) == "the weekend"
    assert cal.closed_why(datetime(2026, 12, 8, 12, 30)) == "outside office hours"  # lunch
    assert cal.closed_why(datetime(2026, 12, 8, 10, 0)) == ""
