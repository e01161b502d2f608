"""Our working-time arithmetic against an independent implementation: pandas CustomBusinessHour.

pandas steps in whole business hours over several opening periods a day (the lunch break
included) and knows holidays; for whole hours it must agree with WorkCalendar.add exactly.
"""

from datetime import datetime

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.tseries.offsets import CustomBusinessHour

from xlflow.worktime import BKK, WorkCalendar, thai_holidays

HOLS = [h for h in thai_holidays([2025, 2026, 2027])]
CAL = WorkCalendar(HOLS)
PD_HOUR = CustomBusinessHour(start=["08:30", "13:00"], end=["12:00", "16:30"], holidays=[h.day for h in HOLS if h.off])


def _pandas_due(t: datetime, hours: int) -> datetime:
    ts = pd.Timestamp(t)
    # pandas rolls a start outside office hours forward first, as we do.
    return (ts + hours * PD_HOUR).to_pydatetime()


@settings(max_examples=300, deadline=None)
@given(
    t=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30)).map(lambda d: d.replace(second=0, microsecond=0, minute=(d.minute // 30) * 30)),
    hours=st.integers(min_value=1, max_value=40),
)
def test_due_time_agrees_with_pandas_custom_business_hour(t, hours):
    ours = CAL.add(t, hours * 60).replace(tzinfo=None)
    theirs = _pandas_due(t, hours)
    # pandas puts a due time that ends a period at the start of the next one; same moment of work.
    if theirs != ours:
        assert CAL.minutes(theirs) == CAL.minutes(ours), (t, hours, ours, theirs)
    else:
        assert theirs == ours


def test_friday_afternoon_over_songkran_agrees_with_pandas():
    t = datetime(2026, 4, 10, 16, 0)
    assert CAL.add(t, 120) == datetime(2026, 4, 16, 10, 0, tzinfo=BKK)
    assert _pandas_due(t, 2) == datetime(2026, 4, 16, 10, 0)
