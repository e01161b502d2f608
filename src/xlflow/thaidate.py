"""Thai dates: Buddhist Era years, Thai month names and digits, fiscal years and rounds.

Why this module exists: people in a Thai government office write dates the Thai way
(``25/11/2569``, ``25 พ.ย. 2569``, ``๒๕ พฤศจิกายน ๒๕๖๙``, ``9.30 น.``), while Excel and Python
count in the Christian Era. Every door of xlflow (the register reader, the checker, the
CLI, the ribbon, mail and reports) must read and write those dates the same way, so the
one reading lives here, as pure Python with no Excel library, and is tested on its own.

The rules, in short:

* BE year = CE year + 543.
* Slashed text is always day/month/year (Thai usage, never month/day).
* A 4-digit year of 2400 or more is BE, one in 1900–2200 is CE, a 2-digit year is the
  short BE form (``69`` is 2569); a year in 2201–2399 fits neither and is refused.
* A date is read only inside the one range of years the working calendar covers
  (:data:`xlflow.worktime.FIRST_YEAR`–:data:`~xlflow.worktime.LAST_YEAR`, BE 2533–2643):
  ``15/12/2699`` (meant 2569) is refused where it is typed, not by a later step.
* The fiscal year runs 1 October – 30 September and is named by the BE year it ends in.
* Times are Asia/Bangkok wall-clock; an aware time is converted, and the result is naive,
  as Excel stores it.

Every error is a :class:`xlflow.errors.DateError` whose message starts with
``<where>: "<value>" is not a date`` (or ``... is not a date and time``), says why and how
to type it. The month names are written out here rather than borrowed from pythainlp so
that the formatter and the parser cannot drift apart.
"""

from __future__ import annotations

import math
import numbers
import re
from datetime import date, datetime, time, timedelta, timezone

from xlflow.errors import DateError, OutsideCalendar
from xlflow.worktime import covers, local, range_text

__all__ = [
    "ROUNDS",
    "THAI_MONTHS",
    "THAI_MONTHS_ABBR",
    "to_thai_digits",
    "to_arabic_digits",
    "format_date",
    "format_datetime",
    "fiscal_year",
    "fiscal_year_range",
    "round_range",
    "be_year",
    "ce_year",
    "parse_date",
    "parse_datetime",
    "excel_serial",
    "from_excel_serial",
]

#: Full Thai month names, January first.
THAI_MONTHS: tuple[str, ...] = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
#: Abbreviated Thai month names as used in official letters, January first.
THAI_MONTHS_ABBR: tuple[str, ...] = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

#: The evaluation rounds of a fiscal year, in months from 1 October.
ROUNDS: tuple[int, ...] = (6, 9, 12)
_ROUND_END = {6: (3, 31), 9: (6, 30), 12: (9, 30)}

_BE_OFFSET = 543
_THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_THAI = str.maketrans("0123456789", _THAI_DIGITS)
_TO_ARABIC = str.maketrans(_THAI_DIGITS, "0123456789")

# Excel's 1900 date system: serial 1 is 1 January 1900 and serial 60 is 29 February 1900,
# a day that never existed (kept for Lotus 1-2-3 compatibility). From serial 61
# (1 March 1900) on, serial n is 30 December 1899 + n days.
_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_EPOCH_EARLY = datetime(1899, 12, 31)  # for serials below 60
_EXCEL_MAX = 2958465  # 31 December 9999

_DATE_FIX = "type it as day/month/BE year, e.g. 25/11/2569"
_DATETIME_FIX = "type it as day/month/BE year and time, e.g. 25/11/2569 09:30"


# -- digits and years -------------------------------------------------------------------
def to_thai_digits(s: str) -> str:
    """``s`` with the digits 0–9 written as Thai digits ๐–๙ (everything else unchanged)."""
    return str(s).translate(_TO_THAI)


def to_arabic_digits(s: str) -> str:
    """``s`` with Thai digits ๐–๙ written as 0–9 (everything else unchanged)."""
    return str(s).translate(_TO_ARABIC)


def be_year(ce: int) -> int:
    """The Buddhist Era year of a Christian Era year (2026 → 2569)."""
    return ce + _BE_OFFSET


def ce_year(be: int) -> int:
    """The Christian Era year of a Buddhist Era year (2569 → 2026)."""
    return be - _BE_OFFSET


# -- formatting ------------------------------------------------------------------------
def _as_date(d: date | datetime) -> date:
    if isinstance(d, datetime):
        return local(d).date()
    if isinstance(d, date):
        return d
    raise TypeError(f"expected a date or datetime, got {type(d).__name__} {d!r}")


def format_date(d: date | datetime, style: str = "full", thai_digits: bool = False) -> str:
    """``25 พฤศจิกายน 2569`` (style ``"full"``) or ``25 พ.ย. 2569`` (``"abbr"``).

    An aware datetime is shown as its Bangkok date. ``thai_digits`` writes ๒๕ พ.ย. ๒๕๖๙.
    """
    d = _as_date(d)
    if style == "full":
        month = THAI_MONTHS[d.month - 1]
    elif style == "abbr":
        month = THAI_MONTHS_ABBR[d.month - 1]
    else:
        raise ValueError(f'date style "{style}" is unknown: use "full" (25 พฤศจิกายน 2569) or "abbr" (25 พ.ย. 2569)')
    text = f"{d.day} {month} {be_year(d.year)}"
    return to_thai_digits(text) if thai_digits else text


def format_datetime(t: datetime, style: str = "abbr", thai_digits: bool = False) -> str:
    """``25 พ.ย. 2569 09:30 น.``; an aware time is shown as Bangkok wall-clock time."""
    if not isinstance(t, datetime):
        raise TypeError(f"expected a datetime, got {type(t).__name__} {t!r} (use format_date for a date)")
    t = local(t)
    text = f"{format_date(t, style)} {t:%H:%M} น."
    return to_thai_digits(text) if thai_digits else text


# -- fiscal years and rounds -----------------------------------------------------------
def fiscal_year(d: date | datetime) -> int:
    """The BE fiscal year of ``d``: 1 Oct 2025 – 30 Sep 2026 is fiscal year 2569."""
    d = _as_date(d)
    return be_year(d.year + 1 if d.month >= 10 else d.year)


def _check_fy(fy_be: int) -> int:
    if isinstance(fy_be, bool) or not isinstance(fy_be, numbers.Integral):
        raise DateError(f'fiscal year "{fy_be}" is not a year — give the BE year, e.g. 2569')
    if fy_be < 2400:
        raise DateError(
            f"fiscal year {fy_be} is not a Buddhist Era year — fiscal years are named by the BE year "
            f"they end in, e.g. {be_year(2026)} for 1 October 2025 – 30 September 2026"
        )
    return int(fy_be)


def fiscal_year_range(fy_be: int) -> tuple[date, date]:
    """First and last day (inclusive) of BE fiscal year ``fy_be``: 2569 → 2025-10-01, 2026-09-30."""
    end = ce_year(_check_fy(fy_be))
    return date(end - 1, 10, 1), date(end, 9, 30)


def round_range(fy_be: int, months: int) -> tuple[date, date]:
    """First and last day (inclusive) of the 6-, 9- or 12-month round of fiscal year ``fy_be``.

    6 → 1 Oct – 31 Mar, 9 → 1 Oct – 30 Jun, 12 → 1 Oct – 30 Sep.
    """
    if isinstance(months, bool) or months not in _ROUND_END:
        raise DateError(f'round "{months}" is unknown — round must be 6, 9 or 12 (months from 1 October)')
    start, _ = fiscal_year_range(fy_be)
    m, d = _ROUND_END[int(months)]
    return start, date(ce_year(fy_be), m, d)


# -- Excel serial numbers --------------------------------------------------------------
def excel_serial(t: datetime | date) -> float:
    """The Excel (1900 date system) serial number of ``t``; an aware time is taken in Bangkok."""
    if isinstance(t, datetime):
        t = local(t)
    elif isinstance(t, date):
        t = datetime.combine(t, time())
    else:
        raise TypeError(f"expected a date or datetime, got {type(t).__name__} {t!r}")
    epoch = _EXCEL_EPOCH if t >= datetime(1900, 3, 1) else _EXCEL_EPOCH_EARLY
    delta = t - epoch
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def _serial_problem(x: float) -> str | None:
    if isinstance(x, float) and not math.isfinite(x):
        return "it is not a number Excel uses for dates"
    if x < 1:
        return "Excel date serial numbers start at 1, which is 1 January 1900"
    if x >= _EXCEL_MAX + 1:
        return "a serial number this large is past 31 December 9999"
    if 60 <= x < 61:
        return "Excel's serial 60 is 29 February 1900, a day that never existed"
    return None


def from_excel_serial(x: float) -> datetime:
    """The naive (Bangkok) datetime of an Excel serial number, to the nearest millisecond.

    Serials below 1 (Excel's "time only" values), 60 (the fictitious 29 February 1900)
    and beyond 31 December 9999 raise :class:`DateError`.
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise DateError(f'"{x}" is not a date — an Excel serial number is needed')
    problem = _serial_problem(x)
    if problem:
        raise DateError(f'"{x}" is not a date ({problem})')
    epoch = _EXCEL_EPOCH if x >= 61 else _EXCEL_EPOCH_EARLY
    days = math.floor(x)
    ms = round((x - days) * 86_400_000)
    try:
        return epoch + timedelta(days=days, milliseconds=ms)
    except OverflowError:  # a hair below serial 2958466 rounds up past 9999-12-31
        return datetime.max.replace(microsecond=999000)


# -- parsing text ----------------------------------------------------------------------
class _Bad(Exception):
    """Internal: the reason a value is not a date (turned into a DateError by the caller)."""

    def __init__(self, reason: str = "", outside: datetime | None = None):
        super().__init__(reason)
        self.reason = reason
        self.outside = outside  # a real date, outside the calendar's range of years


def _month_key(s: str) -> str:
    return re.sub(r"[\s.]", "", s)


_MONTH_WORDS: dict[str, int] = {}
for _i, (_full, _abbr) in enumerate(zip(THAI_MONTHS, THAI_MONTHS_ABBR), start=1):
    _MONTH_WORDS[_month_key(_full)] = _i
    _MONTH_WORDS[_month_key(_abbr)] = _i
    # the spoken short form: มกรา, กุมภา, มีนา, เมษา, ..., ธันวา
    _MONTH_WORDS[re.sub(r"(คม|ยน|พันธ์)$", "", _full)] = _i
for _i, _en in enumerate(_EN_MONTHS, start=1):
    _MONTH_WORDS[_en.lower()] = _i
    _MONTH_WORDS[_en[:3].lower()] = _i
_MONTH_WORDS["sept"] = 9

_WEEKDAYS_TH = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")
_WEEKDAY_WORDS = {w: i for i, w in enumerate(_WEEKDAYS_TH)}
_WEEKDAY_WORDS["พฤหัส"] = 3
_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# "วันที่ 25 ...", "วันพุธที่ 25 ...", "วันพุธ 25 ..."
_PREFIX = re.compile(r"^วัน(?:(?P<wd>จันทร์|อังคาร|พุธ|พฤหัสบดี|พฤหัส|ศุกร์|เสาร์|อาทิตย์)\s*)?(?:ที่)?\s*")
_NUMERIC_DMY = re.compile(r"^(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d+)$")
_NUMERIC_YMD = re.compile(r"^(?P<y>\d{4})(?P<sep>[/-])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})$")
_WORDS_DMY = re.compile(
    r"^(?P<d>\d{1,2})\s*(?:-\s*)?(?P<m>[^\d\s-][^\d-]*?)\s*(?:-\s*)?"
    r"(?:(?:พ\.\s?ศ\.?|ค\.\s?ศ\.?|BE|AD|CE)\s*)?(?P<y>\d+)$",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?:\s+|T)(?:เวลา\s*)?(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:[.,](?P<f>\d{1,6})\d*)?)?"
    r"\s*(?:น\.?|นาฬิกา)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


def _year(text: str) -> tuple[int, str]:
    """The CE year of a typed year, and the year as it should be shown in messages."""
    if len(text) == 2:
        be = 2500 + int(text)
        return ce_year(be), str(be)
    if len(text) != 4:
        raise _Bad(f"the year {text} should have 4 digits, e.g. 2569")
    y = int(text)
    if y >= 2400:
        return ce_year(y), text
    if 1900 <= y <= 2200:
        return y, text
    if 2200 < y < 2400:
        raise _Bad(f"year {y} is neither a Buddhist Era year, 2400 or later, nor a Christian Era year, 1900–2200")
    raise _Bad(f"year {y} is too early: Buddhist Era years are 2400 or later, Christian Era years 1900 or later")


def _make_date(d: int, m: int, ytext: str) -> date:
    y, shown = _year(ytext)
    if not 1 <= m <= 12:
        raise _Bad(f"there is no month {m}")
    if d < 1:
        raise _Bad(f"there is no day {d}")
    try:
        return date(y, m, d)
    except ValueError:
        raise _Bad(f"{_EN_MONTHS[m - 1]} {shown} has no day {d}") from None


def _normalize(text: str) -> str:
    s = to_arabic_digits(text).replace("\u00a0", " ").replace("\u200b", "").strip()
    return re.sub(r"\s+", " ", s)


def _text_date(s: str) -> date:
    """A date from normalised text that holds nothing but a date."""
    weekday = None
    p = _PREFIX.match(s)
    if p:
        weekday = _WEEKDAY_WORDS[p["wd"]] if p["wd"] else None
        s = s[p.end():]
    r = _NUMERIC_DMY.match(s)
    if r:
        d = _make_date(int(r["d"]), int(r["m"]), r["y"])
    elif r := _NUMERIC_YMD.match(s):
        d = _make_date(int(r["d"]), int(r["m"]), r["y"])
    elif r := _WORDS_DMY.match(s):
        month = _MONTH_WORDS.get(_month_key(r["m"]).lower())
        if month is None:
            raise _Bad(f'"{r["m"].strip()}" is not a month name')
        d = _make_date(int(r["d"]), month, r["y"])
    else:
        raise _Bad()
    if weekday is not None and d.weekday() != weekday:
        raise _Bad(
            f"{d.day} {_EN_MONTHS[d.month - 1]} {be_year(d.year)} is a {_EN_WEEKDAYS[d.weekday()]}, "
            f"not a {_EN_WEEKDAYS[weekday]}"
        )
    return d


def _text_datetime(s: str) -> tuple[datetime, bool]:
    """A naive Bangkok datetime from normalised text; the flag says whether it held a time."""
    try:
        return datetime.combine(_text_date(s), time()), False
    except _Bad as bad:
        m = _TIME.search(s)
        if not m:
            raise bad from None
    d = _text_date(s[: m.start()].strip())
    h, mi = int(m["h"]), int(m["mi"])
    sec = int(m["s"] or 0)
    micro = int(m["f"].ljust(6, "0")) if m["f"] else 0
    if h > 23 or mi > 59 or sec > 59:
        raise _Bad(f"there is no time {m['h']}:{m['mi']}" + (f":{m['s']}" if m["s"] else ""))
    t = datetime.combine(d, time(h, mi, sec, micro))
    if m["tz"]:
        tz = m["tz"].upper()
        if tz == "Z":
            offset = timedelta(0)
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            hh, mm = int(digits[:2]), int(digits[2:])
            if hh > 23 or mm > 59:
                raise _Bad(f"{m['tz']} is not a time-zone offset")
            offset = sign * timedelta(hours=hh, minutes=mm)
        t = local(t.replace(tzinfo=timezone(offset)))
    return t, True


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _fail(value: object, where: str, what: str, bad: _Bad, fix: str) -> DateError:
    msg = f'"{_shown(value)}" is not {what}'
    if where:
        msg = f"{where}: {msg}"
    if bad.reason:
        msg += f" ({bad.reason})"
    if bad.outside is not None:
        return OutsideCalendar(f"{msg} — check the year; {fix}", bad.outside)
    return DateError(f"{msg} — {fix}")


def _parse(value: object) -> datetime:
    """A naive Bangkok datetime from any accepted value inside the calendar's range of years,
    or :class:`_Bad`."""
    got = _parse_any(value)
    if not covers(got):
        raise _Bad(f"{got.day}/{got.month}/{be_year(got.year)} is {got:%Y-%m-%d}, outside the calendar's range {range_text()}", outside=got)
    return got


def _parse_any(value: object) -> datetime:
    if isinstance(value, datetime):
        return local(value)
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, bool):
        raise _Bad()
    if isinstance(value, numbers.Real):
        x = float(value)
        problem = _serial_problem(x)
        if problem:
            raise _Bad(problem)
        return from_excel_serial(x)
    if value is None:
        raise _Bad("it is empty")
    if isinstance(value, str):
        s = _normalize(value)
        if not s:
            raise _Bad("it is empty")
        return _text_datetime(s)[0]
    raise _Bad()


def parse_date(value: object, where: str = "") -> date:
    """The date in a cell value: a date, a datetime, an Excel serial number or typed text.

    Text is read day/month/year: ``25/11/2569``, ``25-11-2569``, ``2569-11-25``,
    ``๒๕/๑๑/๒๕๖๙``, ``25 พ.ย. 2569``, ``วันที่ 25 พฤศจิกายน 2569``, ``วันพุธที่ 25 พ.ย. 2569``
    (the weekday is checked) and Excel's ``25-Nov-2026``. A year of 2400 or more is
    BE, 1900–2200 CE, two digits the short BE form; the date must lie in the calendar's
    range (:func:`xlflow.worktime.covers`, 1990–2100), else :class:`OutsideCalendar` (a
    :class:`DateError`). An aware datetime (or text with a time zone) gives its Bangkok date.
    ``where`` (e.g. ``"Register!F12"``) starts the message of the :class:`DateError` raised
    for anything else.
    """
    try:
        return _parse(value).date()
    except _Bad as bad:
        raise _fail(value, where, "a date", bad, _DATE_FIX) from None


def parse_datetime(value: object, where: str = "") -> datetime:
    """The date and time in a cell value, as a NAIVE Bangkok-local datetime.

    Accepts what :func:`parse_date` accepts (a date alone is midnight), Excel serials with
    a fraction, ISO 8601 text (``2026-11-25T09:30``, ``2026-11-25 09:30:00+07:00``) and
    Thai text with a time (``25/11/2569 09:30``, ``25/11/2569 9.30 น.``). Aware values
    are converted to Bangkok time.
    """
    try:
        return _parse(value)
    except _Bad as bad:
        raise _fail(value, where, "a date and time", bad, _DATETIME_FIX) from None
