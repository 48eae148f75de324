"""Public holidays from the ``holidays`` package, cached per country and year."""

from __future__ import annotations

import re
from datetime import date

import holidays

from refundkit.domain.errors import ValidationError

_COUNTRY_SHAPE = re.compile(r"[A-Z]{2}")


class HolidaysCalendar:
    """``HolidayCalendar`` backed by ``holidays.country_holidays`` (national holidays only).

    A country the package does not know has no holidays: weekends only.
    """

    def __init__(self) -> None:
        # A plain dict: concurrent misses compute the same set twice, harmlessly.
        self._cache: dict[tuple[str, int], frozenset[date]] = {}

    def is_holiday(self, country: str, day: date) -> bool:
        return day in self._holidays(country, day.year)

    def _holidays(self, country: str, year: int) -> frozenset[date]:
        key = (country, year)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if not isinstance(country, str) or not _COUNTRY_SHAPE.fullmatch(country):
            raise ValidationError(
                f"country must be two upper-case letters, got {country!r}", field="country"
            )
        try:
            found = frozenset(holidays.country_holidays(country, years=year).keys())
        except NotImplementedError:  # the package's answer for an unknown country
            found = frozenset()
        self._cache[key] = found
        return found
