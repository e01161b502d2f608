"""Working time: Thai government office hours, weekends and holidays.

Due times and "within standard" are counted in working minutes, never wall-clock ones.
The calendar keeps one running total of working minutes per day (a prefix sum), so
``minutes(t)`` — the working minutes from a fixed origin to ``t`` — costs one look-up and
a few comparisons. Every other function is arithmetic on it:

    between(a, b) = minutes(b) - minutes(a)
    add(t, m)     = the first moment whose minutes() is minutes(t) + m

That makes the properties hold by construction (``between(t, add(t, m)) == m``, both
monotonic) and lets a 100,000-row register be timed per column rather than per row.

>>> from datetime import datetime
>>> cal = WorkCalendar(holidays=[])
>>> cal.add(datetime(2026, 11, 27, 16, 25, tzinfo=BKK), 60)   # Friday 16:25 + 1 h
datetime.datetime(2026, 11, 30, 9, 25, tzinfo=zoneinfo.ZoneInfo(key='Asia/Bangkok'))

Time zone is Asia/Bangkok throughout; a naive time (as Excel stores it) is Bangkok local.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from .errors import DateError, OutsideCalendar

BKK = ZoneInfo("Asia/Bangkok")

#: Thai government office hours: 08:30–12:00 and 13:00–16:30 (lunch 12:00–13:00).
OFFICE_HOURS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 0), time(16, 30)))
#: Monday to Friday (``date.weekday()`` numbers).
WORKDAYS: frozenset[int] = frozenset(range(5))

#: The one range of years (CE) that xlflow works in. The calendar is built over it, and every
#: reader (the register's cells, typed dates, ``--at``) refuses a date outside it, so that a
#: typed year such as 2699 is named where it was typed instead of stopping a later step.
FIRST_YEAR = 1990
LAST_YEAR = 2100
_ORIGIN = date(FIRST_YEAR, 1, 1)
_LAST = date(LAST_YEAR, 12, 31)
_BE = 543


def range_text() -> str:
    """The range in words: ``BE 2533–2643 / 1990–2100``."""
    return f"BE {FIRST_YEAR + _BE}–{LAST_YEAR + _BE} / {FIRST_YEAR}–{LAST_YEAR}"


def covers(d: date | datetime) -> bool:
    """Whether ``d`` (a date, or a naive or aware time, taken in Bangkok) is inside the range."""
    if isinstance(d, datetime) and d.tzinfo is not None:
        d = local(d)
    return FIRST_YEAR <= d.year <= LAST_YEAR


def outside(d: date | datetime) -> OutsideCalendar:
    """The error for a date outside the range (raise it)."""
    day = d.date() if isinstance(d, datetime) else d
    return OutsideCalendar(
        f"{day.day}/{day.month}/{day.year + _BE} ({day.isoformat()}) is outside the calendar's range, "
        f"{range_text()} — check the year",
        day,
    )


def local(t: datetime) -> datetime:
    """``t`` as a naive Bangkok wall-clock time (a naive input already is one)."""
    if t.tzinfo is not None:
        t = t.astimezone(BKK).replace(tzinfo=None)
    return t


def aware(t: datetime) -> datetime:
    """``t`` with the Bangkok time zone attached (a naive input is taken as Bangkok time)."""
    return t.replace(tzinfo=BKK) if t.tzinfo is None else t.astimezone(BKK)


def _mins(t: time) -> float:
    return t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 60e6


@dataclass(frozen=True)
class Holiday:
    """A day in the Calendar sheet. ``off`` False keeps a listed day a working day."""

    day: date
    name: str
    off: bool = True
    source: str = ""


class WorkCalendar:
    """Office hours, working weekdays and days off; converts between clock and working time."""

    def __init__(
        self,
        holidays: Iterable[date | Holiday] = (),
        hours: Sequence[tuple[time, time]] = OFFICE_HOURS,
        workdays: Iterable[int] = WORKDAYS,
    ):
        hours = tuple(sorted(hours))
        for (s, e) in hours:
            if not s < e:
                raise DateError(f"office hours {s:%H:%M}–{e:%H:%M}: the start must be before the end")
        for (_, e1), (s2, _) in zip(hours, hours[1:]):
            if s2 < e1:
                raise DateError(f"office hours overlap at {s2:%H:%M}")
        if not hours:
            raise DateError("office hours are empty: at least one period such as 08:30–16:30 is needed")
        self.hours = hours
        self.workdays = frozenset(workdays)
        days_off = set()
        self.names: dict[date, str] = {}  # a day off's name, to say why the office is closed
        for h in holidays:
            if isinstance(h, Holiday):
                if h.off:
                    days_off.add(h.day)
                    self.names[h.day] = h.name
            else:
                days_off.add(h)
        self.days_off = frozenset(days_off)
        self._spans = [(_mins(s), _mins(e)) for s, e in hours]
        self.day_minutes = sum(e - s for s, e in self._spans)
        n = (_LAST - _ORIGIN).days + 1
        prefix = [0.0] * (n + 1)
        acc = 0.0
        d = _ORIGIN
        one = timedelta(days=1)
        for i in range(n):
            prefix[i] = acc
            if self._is_workday(d):
                acc += self.day_minutes
            d += one
        prefix[n] = acc
        self._prefix = prefix
        self._days: dict[date, tuple[float, bool]] = {}  # day → (its prefix, a working day?)

    # -- days --------------------------------------------------------------------------
    def _is_workday(self, d: date) -> bool:
        return d.weekday() in self.workdays and d not in self.days_off

    def is_working_day(self, d: date) -> bool:
        """A weekday of work that is not a day off."""
        return self._is_workday(d)

    def _index(self, d: date) -> int:
        i = (d - _ORIGIN).days
        if not 0 <= i < len(self._prefix) - 1:
            raise outside(d)
        return i

    # -- the one primitive -------------------------------------------------------------
    def _day(self, d: date) -> tuple[float, bool]:
        """(working minutes before ``d``, whether ``d`` is a working day), cached per day."""
        hit = self._days.get(d)
        if hit is None:
            hit = self._days[d] = (self._prefix[self._index(d)], self._is_workday(d))
        return hit

    def minutes(self, t: datetime) -> float:
        """Working minutes from the calendar's origin to ``t``."""
        if t.tzinfo is not None:
            t = local(t)
        base, work = self._days.get(t.date()) or self._day(t.date())
        if not work:
            return base
        tod = t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 60e6  # _mins(t.time())
        for s, e in self._spans:
            if tod <= s:
                break
            base += (tod if tod < e else e) - s
        return base

    def moment(self, total: float) -> datetime:
        """The first moment at which ``minutes()`` reaches ``total`` (inverse of :meth:`minutes`)."""
        prefix = self._prefix
        j = bisect.bisect_left(prefix, total)
        if j == 0:
            return aware(datetime.combine(_ORIGIN, self.hours[0][0]))
        if j >= len(prefix):
            raise OutsideCalendar(f"the time is beyond the calendar's range, {range_text()} — check the dates of the item")
        i = j - 1  # prefix[i] < total <= prefix[i+1]: the day that reaches it
        rest = total - prefix[i]
        d = _ORIGIN + timedelta(days=i)
        for s, e in self._spans:
            if rest <= e - s + 1e-9:
                return aware(datetime.combine(d, time()) + timedelta(minutes=s + rest))
            rest -= e - s
        s, e = self._spans[-1]
        return aware(datetime.combine(d, time()) + timedelta(minutes=e))

    # -- what the workflow asks --------------------------------------------------------
    def between(self, a: datetime, b: datetime) -> float:
        """Working minutes from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        return self.minutes(b) - self.minutes(a)

    def add(self, t: datetime, minutes: float) -> datetime:
        """The due time: ``t`` plus ``minutes`` of working time, always inside office hours.

        ``add(t, 0)`` is :meth:`next_working` (work that starts on a Saturday is due when
        the office opens).
        """
        if minutes < 0:
            raise DateError("cannot add a negative number of working minutes")
        if minutes == 0:
            return self.next_working(t)
        return self.moment(self.minutes(t) + minutes)

    def next_working(self, t: datetime) -> datetime:
        """``t`` itself if the office is working then, else the moment it next opens."""
        lt = local(t)
        d = lt.date()
        if self._is_workday(d):
            tod = _mins(lt.time())
            for s, e in self._spans:
                if s <= tod < e:
                    return aware(lt)
                if tod < s:
                    return aware(datetime.combine(d, time()) + timedelta(minutes=s))
        d += timedelta(days=1)
        while not self._is_workday(d):
            d += timedelta(days=1)
            if d > _LAST:
                raise OutsideCalendar(f"no working day left in the calendar's range, {range_text()}")
        return aware(datetime.combine(d, self.hours[0][0]))

    def closed_why(self, t: datetime) -> str:
        """Why the office is closed at ``t``, in a log's words: a holiday (by name), the weekend,
        or outside office hours (``""`` when it is open)."""
        lt = local(t)
        d = lt.date()
        if d in self.days_off:
            return f"a holiday ({self.names[d]})" if self.names.get(d) else "a holiday"
        if d.weekday() not in self.workdays:
            return "the weekend"
        return "" if self.is_working(lt) else "outside office hours"

    def is_working(self, t: datetime) -> bool:
        """Whether the office is open at ``t`` (used to hold mail outside office hours)."""
        lt = local(t)
        if not self._is_workday(lt.date()):
            return False
        tod = _mins(lt.time())
        return any(s <= tod < e for s, e in self._spans)

    def next_working_day(self, d: date) -> date:
        """The first working day after ``d``."""
        d += timedelta(days=1)
        while not self._is_workday(d):
            d += timedelta(days=1)
            if d > _LAST:
                raise OutsideCalendar(f"no working day left in the calendar's range, {range_text()}")
        return d

    # -- columns -----------------------------------------------------------------------
    def minutes_many(self, stamps: Iterable[datetime | None]) -> list[float | None]:
        """:meth:`minutes` over a column; ``None`` stays ``None``. Cached per day."""
        cache = self._days
        spans = self._spans
        out: list[float | None] = []
        for t in stamps:
            if t is None:
                out.append(None)
                continue
            if t.tzinfo is not None:
                t = local(t)
            d = t.date()
            hit = cache.get(d)
            if hit is None:
                hit = (self._prefix[self._index(d)], self._is_workday(d))
                cache[d] = hit
            base, work = hit
            if work:
                tod = t.hour * 60 + t.minute + t.second / 60 + t.microsecond / 60e6
                for s, e in spans:
                    if tod <= s:
                        break
                    base += (tod if tod < e else e) - s
            out.append(base)
        return out


def thai_holidays(years: Iterable[int], language: str = "th") -> list[Holiday]:
    """Thailand's PUBLIC and GOVERNMENT holidays from the ``holidays`` library.

    National Labour Day (1 May, and its day in lieu) is listed with ``off=False``: it is a
    private-sector holiday and government offices open; the office can flip it in the
    Calendar sheet. Years outside what the library tables (the Royal Ploughing Ceremony
    only to 2026) must be added by the office.
    """
    import holidays as hol  # the maintained source of Thai holidays

    cats = (hol.PUBLIC, hol.GOVERNMENT)
    th = hol.country_holidays("TH", years=sorted(set(years)), categories=cats, language=language)
    en = hol.country_holidays("TH", years=sorted(set(years)), categories=cats, language="en_US")
    out = []
    for d in sorted(th):
        name_en = en.get(d, "")
        labour = "Labor Day" in name_en or "Labour Day" in name_en
        out.append(Holiday(d, th[d] if language == "th" else name_en, off=not labour, source=f"holidays {hol.__version__}"))
    return out


# -- how far the Calendar sheet reaches ------------------------------------------------------------
#: Days the ``holidays`` library tables only some years ahead; for a later year the office adds
#: the day to the Calendar sheet once it is announced: (a part of its name, English and Thai,
#: to find it by in the library and in the sheet; its Thai and English names; its month).
#: วันพืชมงคล (พระราชพิธีพืชมงคลจรดพระนังคัลแรกนาขวัญ) is set each year by the Bureau of the
#: Royal Household; holidays 0.x tables it only to 2026.
ANNOUNCED_LATE: tuple[tuple[str, str, str, str, int], ...] = (
    ("Ploughing", "พืชมงคล", "วันพืชมงคล", "Royal Ploughing Ceremony", 5),
)
#: A fiscal year counts as listed in the Calendar sheet when it holds at least this many days.
LISTED_DAYS = 8
#: Warn this many days before the Calendar sheet runs out.
WARN_DAYS = 60


@dataclass(frozen=True)
class Gap:
    """Something the Calendar sheet lacks: it ``ends`` (on ``day``), is ``empty``, or a day
    of ``ANNOUNCED_LATE`` is ``missing`` (in the month starting ``day``)."""

    kind: str
    day: date | None = None
    name_th: str = ""
    name_en: str = ""


def _fy_end(d: date) -> date:
    """The last day (30 September) of the fiscal year of ``d``."""
    return date(d.year + 1 if d.month >= 10 else d.year, 9, 30)


def listed_until(days: Iterable[Holiday | date]) -> date | None:
    """The last day of the last fiscal year the Calendar sheet lists (with at least
    :data:`LISTED_DAYS` days in it), or None when it lists no fiscal year."""
    counts: dict[date, int] = {}
    for h in days:
        d = h.day if isinstance(h, Holiday) else h
        counts[_fy_end(d)] = counts.get(_fy_end(d), 0) + 1
    full = [end for end, n in counts.items() if n >= LISTED_DAYS]
    return max(full) if full else None


@lru_cache(maxsize=64)
def library_tables(fragment: str, year: int) -> bool:
    """Whether the ``holidays`` library lists a Thai holiday whose English name holds
    ``fragment`` in ``year``."""
    import holidays as hol

    got = hol.country_holidays("TH", years=[year], categories=(hol.PUBLIC, hol.GOVERNMENT), language="en_US")
    return any(fragment.casefold() in str(name).casefold() for name in got.values())


def calendar_gaps(days: Sequence[Holiday], today: date, warn_days: int = WARN_DAYS) -> list[Gap]:
    """What the office must add to the Calendar sheet, as of ``today``: its end within
    ``warn_days`` (or passed: due times beyond it count no holidays), and each day of
    :data:`ANNOUNCED_LATE` of this year that the library does not table and no row names
    (from 1 January of its year to the end of its month)."""
    end = listed_until(days)
    if end is None:
        return [Gap("empty")]
    out = []
    if (end - today).days <= warn_days:
        out.append(Gap("ends", end))
    for en_part, th_part, name_th, name_en, month in ANNOUNCED_LATE:
        year = today.year
        first = date(year, month, 1)
        last = (date(year, month + 1, 1) if month < 12 else date(year + 1, 1, 1)) - timedelta(days=1)
        if today > last or first > end or library_tables(en_part, year):
            continue
        named = any(
            h.day.year == year and (th_part in f"{h.name} {h.source}" or en_part.casefold() in f"{h.name} {h.source}".casefold())
            for h in days if isinstance(h, Holiday)
        )
        if not named:
            out.append(Gap("missing", first, name_th, name_en))
    return out
