"""Business days: weekends and the country's holidays are skipped, time of day is kept."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from refundkit.adapters.holiday_calendar import HolidaysCalendar
from refundkit.domain.calendar import add_business_days, is_business_day
from refundkit.domain.errors import ValidationError


class FakeCalendar:
    def __init__(self, holidays: dict[str, set[date]] | None = None) -> None:
        self.holidays = holidays or {}

    def is_holiday(self, country: str, day: date) -> bool:
        return day in self.holidays.get(country, set())


NO_HOLIDAYS = FakeCalendar()


def test_friday_plus_one_business_day_is_monday_same_time() -> None:
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    assert add_business_days(NO_HOLIDAYS, "US", friday, 1) == datetime(
        2026, 3, 9, 10, 0, tzinfo=UTC
    )


def test_weekend_start_counts_from_the_next_business_day() -> None:
    saturday = datetime(2026, 3, 7, 8, 30, tzinfo=UTC)
    assert add_business_days(NO_HOLIDAYS, "US", saturday, 1).date() == date(2026, 3, 9)


def test_seven_business_days_span_a_weekend() -> None:
    wednesday = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
    assert add_business_days(NO_HOLIDAYS, "US", wednesday, 7).date() == date(2026, 3, 13)


def test_zero_days_returns_start() -> None:
    start = datetime(2026, 3, 7, 8, 30, tzinfo=UTC)
    assert add_business_days(NO_HOLIDAYS, "US", start, 0) == start


def test_holiday_of_that_country_is_skipped_only_there() -> None:
    monday = date(2026, 3, 9)
    calendar = FakeCalendar({"FR": {monday}})
    friday = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)
    assert add_business_days(calendar, "FR", friday, 1).date() == date(2026, 3, 10)
    assert add_business_days(calendar, "DE", friday, 1).date() == monday
    assert not is_business_day(calendar, "FR", monday)
    assert is_business_day(calendar, "DE", monday)
    assert not is_business_day(calendar, "DE", date(2026, 3, 8))  # Sunday


def test_time_of_day_and_zone_preserved_across_dst_change() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    friday = datetime(2026, 3, 27, 9, 15, 42, tzinfo=berlin)  # DST starts Sunday 29 March
    result = add_business_days(NO_HOLIDAYS, "DE", friday, 1)
    assert result == datetime(2026, 3, 30, 9, 15, 42, tzinfo=berlin)
    assert result.utcoffset() == timedelta(hours=2)

    fixed = timezone(timedelta(hours=-3))
    start = datetime(2026, 3, 6, 23, 59, tzinfo=fixed)
    assert add_business_days(NO_HOLIDAYS, "BR", start, 2) == datetime(
        2026, 3, 10, 23, 59, tzinfo=fixed
    )


def test_naive_datetime_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        add_business_days(NO_HOLIDAYS, "US", datetime(2026, 3, 6, 10, 0), 1)


@pytest.mark.parametrize("days", [-1, True, 1.0])
def test_bad_day_counts_rejected(days: int) -> None:
    with pytest.raises(ValidationError):
        add_business_days(NO_HOLIDAYS, "US", datetime(2026, 3, 6, tzinfo=UTC), days)


def test_calendar_without_business_days_does_not_loop_forever() -> None:
    class AlwaysClosed:
        def is_holiday(self, country: str, day: date) -> bool:
            return True

    with pytest.raises(ValidationError):
        add_business_days(AlwaysClosed(), "XX", datetime(2026, 3, 6, tzinfo=UTC), 1)


def test_real_calendar_skips_german_christmas() -> None:
    calendar = HolidaysCalendar()
    # Dec 25 (Fri) and Dec 26 (Sat) are German public holidays, Dec 27 is a Sunday.
    assert calendar.is_holiday("DE", date(2026, 12, 25))
    assert calendar.is_holiday("DE", date(2026, 12, 26))
    assert not calendar.is_holiday("DE", date(2026, 12, 24))
    start = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    assert add_business_days(calendar, "DE", start, 1) == datetime(2026, 12, 28, 10, 0, tzinfo=UTC)


def test_real_calendar_holidays_differ_by_country() -> None:
    calendar = HolidaysCalendar()
    independence_day = date(2026, 7, 3)  # observed on Friday, July 4 is a Saturday
    assert calendar.is_holiday("US", independence_day)
    assert not calendar.is_holiday("DE", independence_day)
    start = datetime(2026, 7, 2, 10, 0, tzinfo=UTC)
    assert add_business_days(calendar, "US", start, 1).date() == date(2026, 7, 6)
    assert add_business_days(calendar, "DE", start, 1).date() == independence_day


def test_real_calendar_unknown_country_has_weekends_only() -> None:
    calendar = HolidaysCalendar()
    assert not calendar.is_holiday("XX", date(2026, 12, 25))
    start = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)
    assert add_business_days(calendar, "XX", start, 1).date() == date(2026, 12, 25)


def test_real_calendar_rejects_malformed_country() -> None:
    with pytest.raises(ValidationError, match="country"):
        HolidaysCalendar().is_holiday("de", date(2026, 12, 25))
