"""Currency exponents come from ISO 4217; codes that cannot be money are refused."""

from __future__ import annotations

import pytest

from refundkit.adapters.currencies import Iso4217Catalog
from refundkit.domain.errors import ValidationError


@pytest.mark.parametrize(("code", "exponent"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3)])
def test_known_exponents(code: str, exponent: int) -> None:
    assert Iso4217Catalog().exponent(code) == exponent


@pytest.mark.parametrize("code", ["ZZZ", "XAU", "XTS", "usd", "Usd", "US", "USDX", ""])
def test_unknown_malformed_or_unitless_codes_rejected(code: str) -> None:
    with pytest.raises(ValidationError, match="currency"):
        Iso4217Catalog().exponent(code)


def test_repeated_lookups_agree() -> None:
    catalog = Iso4217Catalog()
    assert catalog.exponent("JPY") == catalog.exponent("JPY") == 0
    with pytest.raises(ValidationError):
        catalog.exponent("XAU")
    with pytest.raises(ValidationError):
        catalog.exponent("XAU")
