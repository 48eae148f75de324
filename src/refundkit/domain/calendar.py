"""Business days: Monday to Friday, less the public holidays of a country."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Protocol

from refundkit.domain.errors import ValidationError

# Ten years of business days; anything longer is a bug, not a deadline.
MAX_BUSINESS_DAYS = 2_600
# No real calendar has a month without a business day; stop a broken one looping forever.
_MAX_CONSECUTIVE_CLOSED_DAYS = 31
_SATURDAY = 5


class HolidayCalendar(Protocol):
    def is_holiday(self, country: str, day: date) -> bool:
        """True if ``day`` is a public holiday in ``country`` (ISO 3166 alpha-2)."""
        ...


def is_business_day(calendar: HolidayCalendar, country: str, day: date) -> bool:
    return day.weekday() < _SATURDAY and not calendar.is_holiday(country, day)


def add_business_days(
    calendar: HolidayCalendar, country: str, start: datetime, days: int
) -> datetime:
    """The moment ``days`` business days after ``start``, at the same wall-clock time.

    Days are counted on the calendar of ``start``'s own timezone: pass ``start`` in the
    local zone of ``country`` when local dates matter. ``start`` itself need not be a
    business day (Saturday + 1 business day = Monday).
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationError("start must be a timezone-aware datetime", field="start")
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise ValidationError(f"days must be a non-negative int, got {days!r}", field="days")
    if days > MAX_BUSINESS_DAYS:
        raise ValidationError(f"days must be at most {MAX_BUSINESS_DAYS}", field="days")
    day = start.date()
    remaining = days
    closed_in_a_row = 0
    while remaining:
        day += timedelta(days=1)
        if is_business_day(calendar, country, day):
            remaining -= 1
            closed_in_a_row = 0
        else:
            closed_in_a_row += 1
            if closed_in_a_row > _MAX_CONSECUTIVE_CLOSED_DAYS:
                raise ValidationError(f"holiday calendar of {country!r} has no business days")
    # replace() keeps tzinfo, time and fold: the same wall-clock time on the new date.
    return start.replace(year=day.year, month=day.month, day=day.day)
