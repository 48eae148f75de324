"""Currency exponents from the ISO 4217 table of the ``iso4217`` package."""

from __future__ import annotations

import iso4217

from refundkit.domain.errors import ValidationError
from refundkit.domain.money import check_currency_shape


class Iso4217Catalog:
    """``CurrencyCatalog``: USD -> 2, JPY -> 0, KWD -> 3.

    Codes without minor units (gold XAU, test XTS, ...) cannot be money here: unknown.
    """

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def exponent(self, currency: str) -> int:
        cached = self._cache.get(currency)
        if cached is not None:
            return cached
        check_currency_shape(currency)
        try:
            exponent = iso4217.Currency(currency).exponent
        except ValueError:
            exponent = None
        if not isinstance(exponent, int):
            raise ValidationError(f"unknown currency {currency!r}", field="currency")
        self._cache[currency] = exponent
        return exponent
