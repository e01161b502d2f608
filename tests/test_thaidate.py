"""Thai dates: BE years, Thai months and digits, fiscal years, rounds, parsing what people type."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from xlflow.errors import DateError, OutsideCalendar, XlflowError
from xlflow.thaidate import (
    ROUNDS,
    be_year,
    ce_year,
    excel_serial,
    fiscal_year,
    fiscal_year_range,
    format_date,
    format_datetime,
    from_excel_serial,
    parse_date,
    parse_datetime,
    round_range,
    to_arabic_digits,
    to_thai_digits,
)

BKK = ZoneInfo("Asia/Bangkok")
D = date(2026, 11, 25)
FIX = "type it as day/month/BE year, e.g. 25/11/2569"
FIX_DT = "type it as day/month/BE year and time, e.g. 25/11/2569 09:30"


# -- digits and years ------------------------------------------------------------------
def test_to_thai_digits_converts_every_digit_and_leaves_the_rest():
    assert to_thai_digits("0123456789") == "๐๑๒๓๔๕๖๗๘๙"
    assert to_thai_digits("25 พ.ย. 2569 09:30 น.") == "๒๕ พ.ย. ๒๕๖๙ ๐๙:๓๐ น."


def test_to_arabic_digits_converts_every_thai_digit_and_leaves_the_rest():
    assert to_arabic_digits("๐๑๒๓๔๕๖๗๘๙") == "0123456789"
    assert to_arabic_digits("ที่ รง ๐๒๐๑/๑๒๓") == "ที่ รง 0201/123"


def test_digit_conversions_are_inverse():
    s = "เลขที่ 123/2569"
    assert to_arabic_digits(to_thai_digits(s)) == s


def test_be_year_adds_543_and_ce_year_subtracts_it():
    assert be_year(2026) == 2569
    assert ce_year(2569) == 2026
    assert ce_year(be_year(1999)) == 1999


# -- formatting ------------------------------------------------------------------------
def test_format_date_full_is_day_thai_month_be_year():
    assert format_date(D) == "25 พฤศจิกายน 2569"
    assert format_date(D, "full") == "25 พฤศจิกายน 2569"


def test_format_date_abbr_uses_the_official_abbreviation():
    assert format_date(D, "abbr") == "25 พ.ย. 2569"
    assert format_date(date(2026, 1, 1), "abbr") == "1 ม.ค. 2569"


def test_format_date_with_thai_digits():
    assert format_date(D, "abbr", thai_digits=True) == "๒๕ พ.ย. ๒๕๖๙"
    assert format_date(D, "full", thai_digits=True) == "๒๕ พฤศจิกายน ๒๕๖๙"


def test_format_date_has_no_leading_zero_on_the_day():
    assert format_date(date(2026, 3, 5)) == "5 มีนาคม 2569"


def test_format_date_names_every_month_like_pythainlp():
    from pythainlp.util import thai_strftime

    for m in range(1, 13):
        d = date(2026, m, 9)
        assert format_date(d) == thai_strftime(datetime(2026, m, 9), "%-d %B %Y")
        assert format_date(d, "abbr") == thai_strftime(datetime(2026, m, 9), "%-d %b %Y")


def test_format_date_of_an_aware_datetime_uses_the_bangkok_date():
    # 20:00 UTC on the 24th is 03:00 on the 25th in Bangkok
    assert format_date(datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)) == "25 พฤศจิกายน 2569"


def test_format_date_unknown_style_is_refused():
    with pytest.raises(ValueError, match='date style "long" is unknown'):
        format_date(D, "long")


def test_format_datetime_default_is_abbr_with_time_and_nor():
    assert format_datetime(datetime(2026, 11, 25, 9, 30)) == "25 พ.ย. 2569 09:30 น."


def test_format_datetime_full_and_thai_digits():
    t = datetime(2026, 11, 25, 9, 30)
    assert format_datetime(t, "full") == "25 พฤศจิกายน 2569 09:30 น."
    assert format_datetime(t, thai_digits=True) == "๒๕ พ.ย. ๒๕๖๙ ๐๙:๓๐ น."


def test_format_datetime_converts_an_aware_time_to_bangkok():
    assert format_datetime(datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)) == "25 พ.ย. 2569 09:30 น."
    assert format_datetime(datetime(2026, 11, 25, 9, 30, tzinfo=BKK)) == "25 พ.ย. 2569 09:30 น."


def test_format_datetime_refuses_a_plain_date():
    with pytest.raises(TypeError):
        format_datetime(D)  # type: ignore[arg-type]


# -- fiscal years and rounds -----------------------------------------------------------
@pytest.mark.parametrize(
    "d, fy",
    [
        (date(2025, 9, 30), 2568),
        (date(2025, 10, 1), 2569),
        (date(2025, 12, 31), 2569),
        (date(2026, 1, 1), 2569),
        (date(2026, 9, 30), 2569),
        (date(2026, 10, 1), 2570),
    ],
)
def test_fiscal_year_turns_over_on_1_october(d, fy):
    assert fiscal_year(d) == fy


def test_fiscal_year_of_a_datetime_and_of_an_aware_one_in_bangkok():
    assert fiscal_year(datetime(2025, 9, 30, 23, 59)) == 2568
    # 30 Sep 18:00 UTC is 1 Oct 01:00 in Bangkok: already the new fiscal year
    assert fiscal_year(datetime(2025, 9, 30, 18, 0, tzinfo=timezone.utc)) == 2569


def test_fiscal_year_range_is_1_october_to_30_september_inclusive():
    assert fiscal_year_range(2569) == (date(2025, 10, 1), date(2026, 9, 30))
    assert fiscal_year_range(2570) == (date(2026, 10, 1), date(2027, 9, 30))


def test_fiscal_year_range_holds_every_day_of_its_fiscal_year():
    start, end = fiscal_year_range(2569)
    assert fiscal_year(start) == fiscal_year(end) == 2569
    assert fiscal_year(start - timedelta(days=1)) == 2568
    assert fiscal_year(end + timedelta(days=1)) == 2570


def test_fiscal_year_range_refuses_a_ce_year():
    with pytest.raises(DateError, match="fiscal year 2026 is not a Buddhist Era year"):
        fiscal_year_range(2026)


def test_rounds_are_6_9_and_12_months():
    assert ROUNDS == (6, 9, 12)


def test_round_6_is_october_to_march():
    assert round_range(2569, 6) == (date(2025, 10, 1), date(2026, 3, 31))


def test_round_9_is_october_to_june():
    assert round_range(2569, 9) == (date(2025, 10, 1), date(2026, 6, 30))


def test_round_12_is_the_whole_fiscal_year():
    assert round_range(2569, 12) == (date(2025, 10, 1), date(2026, 9, 30))
    assert round_range(2569, 12) == fiscal_year_range(2569)


def test_round_6_ends_on_31_march_in_a_leap_year_too():
    assert round_range(2571, 6) == (date(2027, 10, 1), date(2028, 3, 31))


@pytest.mark.parametrize("months", [0, 3, 8, 10, 24, True])
def test_any_other_round_is_a_value_error_that_names_the_rounds(months):
    with pytest.raises(ValueError, match="round must be 6, 9 or 12"):
        round_range(2569, months)


# -- Excel serial numbers --------------------------------------------------------------
def test_excel_serial_of_a_date_and_a_datetime():
    assert excel_serial(D) == 46351
    assert excel_serial(datetime(2026, 11, 25, 18, 0)) == 46351.75
    assert excel_serial(datetime(2026, 11, 25, 9, 30)) == pytest.approx(46351 + 9.5 / 24)


def test_excel_serial_of_an_aware_datetime_is_bangkok_time():
    assert excel_serial(datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc)) == pytest.approx(46351 + 9.5 / 24)


def test_from_excel_serial_is_naive():
    assert from_excel_serial(46351) == datetime(2026, 11, 25)
    assert from_excel_serial(46351.75) == datetime(2026, 11, 25, 18, 0)
    assert from_excel_serial(46351.75).tzinfo is None


def test_from_excel_serial_rounds_float_noise_to_the_millisecond():
    assert from_excel_serial(excel_serial(datetime(2026, 11, 25, 9, 30))) == datetime(2026, 11, 25, 9, 30)
    assert from_excel_serial(excel_serial(datetime(2026, 11, 25, 16, 29, 59))) == datetime(2026, 11, 25, 16, 29, 59)


def test_excel_serial_follows_excels_1900_leap_year_bug():
    # serial 1 is 1 Jan 1900; Excel counts a 29 Feb 1900 as serial 60; 1 Mar 1900 is 61
    assert excel_serial(date(1900, 1, 1)) == 1
    assert excel_serial(date(1900, 2, 28)) == 59
    assert excel_serial(date(1900, 3, 1)) == 61
    assert from_excel_serial(1) == datetime(1900, 1, 1)
    assert from_excel_serial(59) == datetime(1900, 2, 28)
    assert from_excel_serial(61) == datetime(1900, 3, 1)


def test_excel_serial_agrees_with_openpyxl():
    from openpyxl.utils.datetime import from_excel, to_excel

    for t in (datetime(2026, 11, 25, 9, 30), datetime(2000, 2, 29, 13, 0), datetime(1900, 3, 1)):
        assert excel_serial(t) == pytest.approx(to_excel(t))
        assert from_excel_serial(to_excel(t)) == from_excel(to_excel(t))


def test_from_excel_serial_refuses_serial_60_and_below_1():
    with pytest.raises(DateError, match=r'^"60" is not a date \(Excel\'s serial 60 is 29 February 1900'):
        from_excel_serial(60)
    with pytest.raises(DateError, match=r'^"0.5" is not a date'):
        from_excel_serial(0.5)


# -- parse_date: every accepted form ---------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "25/11/2569",  # BE, slashes
        "25/11/2026",  # CE, slashes
        "25-11-2569",  # dashes
        "25.11.2569",  # dots
        "25/11/69",  # short BE year
        "2569-11-25",  # year first, BE
        "2026-11-25",  # ISO
        "2569/11/25",  # year first with slashes
        "๒๕/๑๑/๒๕๖๙",  # Thai digits
        "25 พ.ย. 2569",  # abbreviated month
        "25 พ.ย.2569",  # no space before the year
        "25พ.ย.2569",  # no spaces at all
        "25 พย 2569",  # abbreviation without dots
        "25 พฤศจิกายน 2569",  # full month
        "25 พฤศจิกา 2569",  # spoken short form
        "25 พฤศจิกายน พ.ศ. 2569",  # with the era, as in letters
        "๒๕ พฤศจิกายน ๒๕๖๙",  # Thai digits and month
        "วันที่ 25 พ.ย. 2569",  # leading วันที่
        "วันที่ 25/11/2569",
        "วันที่๒๕ พฤศจิกายน ๒๕๖๙",
        "วันพุธที่ 25 พฤศจิกายน 2569",  # with the (right) weekday
        "  25/11/2569  ",  # surrounding spaces
        "25\u00a0พ.ย.\u00a02569",  # non-breaking spaces pasted from Word
        "25 พ.ย. 69",  # month name with the short BE year
        "25-Nov-2026",  # Excel's English text form
    ],
)
def test_parse_date_reads_text_typed_by_people(text):
    assert parse_date(text) == D


def test_parse_date_reads_dates_and_datetimes():
    assert parse_date(D) == D
    assert parse_date(datetime(2026, 11, 25, 9, 30)) == D


def test_parse_date_of_an_aware_datetime_is_its_bangkok_date():
    assert parse_date(datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)) == D


def test_parse_date_reads_excel_serial_numbers():
    assert parse_date(46351) == D
    assert parse_date(46351.0) == D
    assert parse_date(46351.75) == D  # the date of a serial with a time
    assert parse_date(32874) == date(1990, 1, 1)  # the first day of the calendar's range
    assert parse_date(73415) == date(2100, 12, 31)  # its last


@pytest.mark.parametrize("value", [1, 32873, 73416, 2958465])
def test_parse_date_refuses_a_serial_outside_the_calendars_range(value):
    # Excel's serials reach 1900 and 9999; the calendar (one range, owned by worktime) does not
    with pytest.raises(OutsideCalendar, match="outside the calendar's range BE 2533–2643 / 1990–2100"):
        parse_date(value)


def test_parse_date_of_text_with_a_time_is_its_date():
    assert parse_date("25/11/2569 09:30") == D
    assert parse_date("2026-11-24T20:00Z") == D  # Bangkok date


def test_parse_date_slashed_text_is_day_first():
    assert parse_date("03/04/2569") == date(2026, 4, 3)
    assert parse_date("3/4/2569") == date(2026, 4, 3)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1/1/2533", date(1990, 1, 1)),  # the first BE year of the calendar's range
        ("31/12/2643", date(2100, 12, 31)),  # its last day
        ("1/1/1990", date(1990, 1, 1)),  # the same range in CE
        ("31/12/2100", date(2100, 12, 31)),
        ("1/1/33", date(1990, 1, 1)),  # 2533 BE, the short form
        ("1/1/99", date(2056, 1, 1)),  # 2599 BE
        ("29/2/2567", date(2024, 2, 29)),  # a BE leap year
    ],
)
def test_parse_date_year_rules(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text, shown",
    [
        ("15/12/2699", "15/12/2699 is 2156-12-15"),  # BE 2569 mistyped: the cell
        ("1/1/2400", "1/1/2400 is 1857-01-01"),  # the lowest BE year the reading rule knows
        ("31/12/2532", "31/12/2532 is 1989-12-31"),  # the day before the range
        ("1/1/2644", "1/1/2644 is 2101-01-01"),  # the day after it
        ("1/1/2200", "1/1/2743 is 2200-01-01"),  # the highest CE year the reading rule knows
        ("1/1/1900", "1/1/2443 is 1900-01-01"),
        ("1/1/00", "1/1/2500 is 1957-01-01"),  # 2500 BE
    ],
)
def test_parse_date_refuses_a_year_outside_the_calendars_range_where_it_is_typed(text, shown):
    with pytest.raises(OutsideCalendar) as e:
        parse_date(text, "ทะเบียนหนังสือรับ!M2")
    assert str(e.value) == (
        f'ทะเบียนหนังสือรับ!M2: "{text}" is not a date ({shown}, outside the calendar\'s range BE 2533–2643 / 1990–2100)'
        " — check the year; type it as day/month/BE year, e.g. 25/11/2569"
    )
    assert isinstance(e.value, DateError)
    with pytest.raises(OutsideCalendar):
        parse_datetime(text + " 09:00")


def test_parse_date_accepts_every_thai_month_full_and_abbreviated():
    from xlflow.thaidate import THAI_MONTHS, THAI_MONTHS_ABBR

    for m, (full, abbr) in enumerate(zip(THAI_MONTHS, THAI_MONTHS_ABBR), start=1):
        assert parse_date(f"1 {full} 2569") == date(2026, m, 1)
        assert parse_date(f"1 {abbr} 2569") == date(2026, m, 1)


def test_parse_date_reads_what_format_date_writes():
    for d in (date(2025, 10, 1), date(2026, 2, 28), D, date(2027, 12, 31)):
        for style in ("full", "abbr"):
            for thai in (False, True):
                assert parse_date(format_date(d, style, thai)) == d


# -- parse_date: errors, messages asserted exactly -------------------------------------
def test_parse_date_error_for_a_day_that_does_not_exist():
    with pytest.raises(DateError) as e:
        parse_date("31/02/2569", where="Register!F12")
    assert str(e.value) == (
        'Register!F12: "31/02/2569" is not a date (February 2569 has no day 31) — ' + FIX
    )


def test_parse_date_error_for_text_that_is_no_date():
    with pytest.raises(DateError) as e:
        parse_date("abc", where="Register!F12")
    assert str(e.value) == 'Register!F12: "abc" is not a date — ' + FIX


def test_parse_date_error_for_a_year_between_ce_and_be():
    with pytest.raises(DateError) as e:
        parse_date("25/11/2300", where="Register!F12")
    assert str(e.value) == (
        'Register!F12: "25/11/2300" is not a date (year 2300 is neither a Buddhist Era year, '
        "2400 or later, nor a Christian Era year, 1900–2200) — " + FIX
    )


def test_parse_date_error_for_an_empty_string():
    with pytest.raises(DateError) as e:
        parse_date("", where="Register!F12")
    assert str(e.value) == 'Register!F12: "" is not a date (it is empty) — ' + FIX


def test_parse_date_error_for_serial_0():
    with pytest.raises(DateError) as e:
        parse_date(0, where="Register!F12")
    assert str(e.value) == (
        'Register!F12: "0" is not a date (Excel date serial numbers start at 1, which is 1 January 1900) — ' + FIX
    )


def test_parse_date_error_without_where_starts_with_the_value():
    with pytest.raises(DateError) as e:
        parse_date("31/02/2569")
    assert str(e.value) == '"31/02/2569" is not a date (February 2569 has no day 31) — ' + FIX


def test_parse_date_error_for_a_serial_past_9999():
    with pytest.raises(DateError) as e:
        parse_date(2958466)
    assert str(e.value) == '"2958466" is not a date (a serial number this large is past 31 December 9999) — ' + FIX


def test_parse_date_error_for_a_negative_serial():
    with pytest.raises(DateError) as e:
        parse_date(-5)
    assert str(e.value) == '"-5" is not a date (Excel date serial numbers start at 1, which is 1 January 1900) — ' + FIX


def test_parse_date_error_for_serial_60_the_day_that_never_was():
    with pytest.raises(DateError) as e:
        parse_date(60)
    assert str(e.value) == '"60" is not a date (Excel\'s serial 60 is 29 February 1900, a day that never existed) — ' + FIX


def test_parse_date_error_for_none_reads_as_empty():
    with pytest.raises(DateError) as e:
        parse_date(None, where="Register!F12")
    assert str(e.value) == 'Register!F12: "" is not a date (it is empty) — ' + FIX


def test_parse_date_error_for_blank_text():
    with pytest.raises(DateError) as e:
        parse_date("   ")
    assert str(e.value) == '"   " is not a date (it is empty) — ' + FIX


def test_parse_date_error_for_month_13():
    with pytest.raises(DateError) as e:
        parse_date("1/13/2569")
    assert str(e.value) == '"1/13/2569" is not a date (there is no month 13) — ' + FIX


def test_parse_date_error_for_day_0():
    with pytest.raises(DateError) as e:
        parse_date("0/11/2569")
    assert str(e.value) == '"0/11/2569" is not a date (there is no day 0) — ' + FIX


def test_parse_date_error_for_29_february_in_a_common_year():
    with pytest.raises(DateError) as e:
        parse_date("29/02/2569")
    assert str(e.value) == '"29/02/2569" is not a date (February 2569 has no day 29) — ' + FIX


def test_parse_date_error_for_a_three_digit_year():
    with pytest.raises(DateError) as e:
        parse_date("25/11/569")
    assert str(e.value) == '"25/11/569" is not a date (the year 569 should have 4 digits, e.g. 2569) — ' + FIX


def test_parse_date_error_for_a_year_before_1900():
    with pytest.raises(DateError) as e:
        parse_date("25/11/1850")
    assert str(e.value) == (
        '"25/11/1850" is not a date (year 1850 is too early: Buddhist Era years are 2400 or later, '
        "Christian Era years 1900 or later) — " + FIX
    )


def test_parse_date_error_for_an_unknown_month_name():
    with pytest.raises(DateError) as e:
        parse_date("25 พฤศจิ 2569")
    assert str(e.value) == '"25 พฤศจิ 2569" is not a date ("พฤศจิ" is not a month name) — ' + FIX


def test_parse_date_error_for_a_weekday_that_does_not_match():
    with pytest.raises(DateError) as e:
        parse_date("วันศุกร์ที่ 25 พ.ย. 2569")
    assert str(e.value) == (
        '"วันศุกร์ที่ 25 พ.ย. 2569" is not a date (25 November 2569 is a Wednesday, not a Friday) — ' + FIX
    )


@pytest.mark.parametrize("value", ["abc", "25/11", "11/2569", "46351", True, object(), [2569, 11, 25]])
def test_parse_date_refuses_other_values_with_the_common_prefix(value):
    with pytest.raises(DateError) as e:
        parse_date(value, where="Register!F12")
    assert str(e.value).startswith(f'Register!F12: "{value}" is not a date')


def test_date_error_is_a_value_error_and_an_xlflow_error():
    with pytest.raises(ValueError):
        parse_date("abc")
    with pytest.raises(XlflowError):
        parse_date("abc")


# -- parse_datetime ---------------------------------------------------------------------
T = datetime(2026, 11, 25, 9, 30)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-25T09:30",
        "2026-11-25 09:30",
        "2026-11-25T09:30:00",
        "2026-11-25 09:30:00+07:00",
        "2026-11-25T09:30:00+0700",
        "2026-11-25T02:30:00Z",  # UTC
        "2026-11-25T02:30:00+00:00",
        "2026-11-24T21:30:00-05:00",  # New York, the day before
        "2569-11-25 09:30",  # ISO shape, BE year
        "25/11/2569 09:30",
        "25/11/2569 9:30",
        "25/11/2569 9.30 น.",  # Thai style: a dot and น.
        "25/11/2569 09.30น.",
        "25/11/2569 เวลา 09.30 น.",
        "25/11/2026 09:30",
        "๒๕/๑๑/๒๕๖๙ ๐๙.๓๐ น.",  # Thai digits
        "25 พ.ย. 2569 09:30 น.",  # what format_datetime writes
        "วันที่ 25 พฤศจิกายน 2569 เวลา 9.30 น.",
    ],
)
def test_parse_datetime_reads_text_with_a_time(text):
    assert parse_datetime(text) == T


def test_parse_datetime_keeps_seconds_and_fractions():
    assert parse_datetime("2026-11-25T09:30:15") == datetime(2026, 11, 25, 9, 30, 15)
    assert parse_datetime("2026-11-25T09:30:15.25") == datetime(2026, 11, 25, 9, 30, 15, 250000)


def test_parse_datetime_of_a_date_alone_is_midnight():
    assert parse_datetime("25/11/2569") == datetime(2026, 11, 25)
    assert parse_datetime("25 พ.ย. 2569") == datetime(2026, 11, 25)
    assert parse_datetime(D) == datetime(2026, 11, 25)
    assert parse_datetime(46351) == datetime(2026, 11, 25)


def test_parse_datetime_reads_datetimes_naive_and_aware_as_naive_bangkok():
    assert parse_datetime(T) == T
    got = parse_datetime(datetime(2026, 11, 25, 2, 30, tzinfo=timezone.utc))
    assert got == T and got.tzinfo is None
    assert parse_datetime(datetime(2026, 11, 25, 9, 30, tzinfo=BKK)) == T


def test_parse_datetime_reads_an_excel_serial_with_a_fraction():
    assert parse_datetime(46351.75) == datetime(2026, 11, 25, 18, 0)
    assert parse_datetime(excel_serial(T)) == T


def test_parse_datetime_results_are_always_naive():
    for v in ("2026-11-25T02:30:00Z", datetime(2026, 11, 25, 9, 30, tzinfo=BKK), 46351.5, "25/11/2569 9.30 น."):
        assert parse_datetime(v).tzinfo is None


def test_parse_datetime_reads_what_format_datetime_writes():
    for thai in (False, True):
        for style in ("full", "abbr"):
            assert parse_datetime(format_datetime(T, style, thai)) == T


def test_parse_datetime_error_for_a_day_that_does_not_exist():
    with pytest.raises(DateError) as e:
        parse_datetime("31/02/2569 09:30", where="Register!G12")
    assert str(e.value) == (
        'Register!G12: "31/02/2569 09:30" is not a date and time (February 2569 has no day 31) — ' + FIX_DT
    )


def test_parse_datetime_error_for_text_that_is_no_date():
    with pytest.raises(DateError) as e:
        parse_datetime("abc", where="Register!G12")
    assert str(e.value) == 'Register!G12: "abc" is not a date and time — ' + FIX_DT


def test_parse_datetime_error_for_a_year_between_ce_and_be():
    with pytest.raises(DateError) as e:
        parse_datetime("25/11/2300 09:30")
    assert str(e.value) == (
        '"25/11/2300 09:30" is not a date and time (year 2300 is neither a Buddhist Era year, '
        "2400 or later, nor a Christian Era year, 1900–2200) — " + FIX_DT
    )


def test_parse_datetime_error_for_an_empty_string():
    with pytest.raises(DateError) as e:
        parse_datetime("", where="Register!G12")
    assert str(e.value) == 'Register!G12: "" is not a date and time (it is empty) — ' + FIX_DT


def test_parse_datetime_error_for_serial_0():
    with pytest.raises(DateError) as e:
        parse_datetime(0)
    assert str(e.value) == (
        '"0" is not a date and time (Excel date serial numbers start at 1, which is 1 January 1900) — ' + FIX_DT
    )


def test_parse_datetime_error_for_an_hour_past_23():
    with pytest.raises(DateError) as e:
        parse_datetime("25/11/2569 25:00")
    assert str(e.value) == '"25/11/2569 25:00" is not a date and time (there is no time 25:00) — ' + FIX_DT


def test_parse_datetime_error_for_minute_60():
    with pytest.raises(DateError) as e:
        parse_datetime("25/11/2569 9.60 น.")
    assert str(e.value) == '"25/11/2569 9.60 น." is not a date and time (there is no time 9:60) — ' + FIX_DT


@pytest.mark.parametrize("value", ["abc", "09:30", "25/11/2569 noon", "25/11/2569 0930", None, True])
def test_parse_datetime_refuses_other_values_with_the_common_prefix(value):
    with pytest.raises(DateError) as e:
        parse_datetime(value, where="Register!G12")
    shown = "" if value is None else str(value)
    assert str(e.value).startswith(f'Register!G12: "{shown}" is not a date and time')
