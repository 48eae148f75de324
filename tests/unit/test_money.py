"""Money: integer minor units, strict parsing, exact allocation."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refundkit.adapters.currencies import Iso4217Catalog
from refundkit.domain.errors import CurrencyMismatch, InvalidAmount, ValidationError
from refundkit.domain.money import (
    MAX_MINOR,
    AmountText,
    Money,
    allocate,
    basis_points_of,
    format_major,
    parse_amount,
    parse_major,
    parse_positive_major,
)


@pytest.mark.parametrize(
    ("text", "currency", "exponent", "minor"),
    [
        ("12.34", "USD", 2, 1234),
        ("0.50", "USD", 2, 50),
        ("0.5", "USD", 2, 50),
        ("100", "USD", 2, 10000),
        ("0.00", "USD", 2, 0),
        ("1200", "JPY", 0, 1200),
        ("1.234", "KWD", 3, 1234),
        ("10000000000000.00", "USD", 2, MAX_MINOR),
    ],
)
def test_parse_major_accepts_plain_decimals(
    text: str, currency: str, exponent: int, minor: int
) -> None:
    assert parse_major(text, currency, exponent) == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "exponent"),
    [
        (12.34, "USD", 2),
        (12, "USD", 2),
        (True, "USD", 2),
        (None, "USD", 2),
        ("-1.00", "USD", 2),
        ("NaN", "USD", 2),
        ("nan", "USD", 2),
        ("Infinity", "USD", 2),
        ("inf", "USD", 2),
        ("1e3", "USD", 2),
        ("12,34", "USD", 2),
        (" 12", "USD", 2),
        ("12 ", "USD", 2),
        ("12\n", "USD", 2),
        ("", "USD", 2),
        ("+1", "USD", 2),
        ("01", "USD", 2),
        (".5", "USD", 2),
        ("1.", "USD", 2),
        ("1_000", "USD", 2),
        ("١٢", "USD", 2),  # Arabic-Indic digits: int() would accept them
        ("0.001", "USD", 2),
        ("1.500", "USD", 2),
        ("1.5", "JPY", 0),
        ("10000000000000.01", "USD", 2),
        ("9" * 40, "USD", 2),
    ],
)
def test_parse_major_rejects(text: object, currency: str, exponent: int) -> None:
    with pytest.raises(InvalidAmount, match="price"):
        parse_major(text, currency, exponent, field="price")


def test_parse_major_zero_allowed_but_parse_positive_major_rejects_it() -> None:
    assert parse_major("0.00", "USD", 2).is_zero
    with pytest.raises(InvalidAmount, match="amount"):
        parse_positive_major("0.00", "USD", 2)
    assert parse_positive_major("0.01", "USD", 2) == Money(1, "USD")


def test_money_rejects_non_int_minor_units() -> None:
    for bad in (1.0, True, "1", None):
        with pytest.raises(InvalidAmount):
            Money(bad, "USD")  # type: ignore[arg-type]


def test_money_rejects_malformed_currency() -> None:
    for bad in ("usd", "US", "USDX", ""):
        with pytest.raises(ValidationError):
            Money(1, bad)


def test_money_arithmetic_same_currency_only() -> None:
    assert Money(150, "USD") + Money(50, "USD") == Money(200, "USD")
    assert Money(150, "USD") - Money(200, "USD") == Money(-50, "USD")
    assert Money(1, "USD") < Money(2, "USD") <= Money(2, "USD")
    assert Money.zero("EUR").is_zero
    with pytest.raises(CurrencyMismatch, match="currency"):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(CurrencyMismatch, match="currency"):
        Money(1, "USD") - Money(1, "EUR")
    with pytest.raises(CurrencyMismatch, match="currency"):
        _ = Money(1, "USD") < Money(1, "EUR")


def test_money_is_frozen_and_equal_only_in_the_same_currency() -> None:
    money = Money(100, "USD")
    with pytest.raises(dataclasses.FrozenInstanceError):
        money.minor = 5  # type: ignore[misc]
    assert Money(100, "USD") != Money(100, "EUR")
    with pytest.raises(InvalidAmount):
        Money(1.5, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [("12.34", "USD", 1234), ("1200", "JPY", 1200), ("1.234", "KWD", 1234), ("0", "USD", 0)],
)
def test_parse_amount_uses_the_currency_exponent_of_the_catalog(
    text: str, currency: str, minor: int
) -> None:
    parsed = parse_amount(AmountText(text, "refund_amount"), currency, Iso4217Catalog(),
                          positive=False)  # fmt: skip
    assert parsed == Money(minor, currency)


@pytest.mark.parametrize(
    ("text", "currency", "positive"),
    [("1.5", "JPY", False), ("1.500", "USD", False), ("12.5", 12, False), ("0", "USD", True),
     ("0.00", "USD", True), ("-1", "USD", False), (12.5, "USD", False)],
)  # fmt: skip
def test_parse_amount_refuses_over_precise_malformed_or_zero_when_positive(
    text: object, currency: object, positive: bool
) -> None:
    catalog = Iso4217Catalog()
    with pytest.raises(ValidationError, match=r"postage|currency") as refused:
        parse_amount(AmountText(text, "postage"), currency, catalog, positive=positive)  # type: ignore[arg-type]
    if isinstance(currency, str):
        assert refused.value.code == "invalid_amount"
        assert refused.value.extra["field"] == "postage"


@pytest.mark.parametrize(
    ("minor", "exponent", "text"),
    [(1234, 2, "12.34"), (5, 2, "0.05"), (0, 2, "0.00"), (1200, 0, "1200"), (1, 3, "0.001")],
)
def test_format_major(minor: int, exponent: int, text: str) -> None:
    assert format_major(Money(minor, "USD"), exponent) == text


@st.composite
def canonical_amounts(draw: st.DrawFn) -> tuple[str, int]:
    exponent = draw(st.integers(min_value=0, max_value=4))
    minor = draw(st.integers(min_value=0, max_value=MAX_MINOR))
    whole, fraction = divmod(minor, 10**exponent)
    text = str(whole) if exponent == 0 else f"{whole}.{fraction:0{exponent}d}"
    return text, exponent


@given(canonical_amounts())
def test_format_of_parse_is_identity_on_canonical_strings(case: tuple[str, int]) -> None:
    text, exponent = case
    assert format_major(parse_major(text, "XYZ", exponent), exponent) == text


@given(st.integers(min_value=0, max_value=MAX_MINOR), st.integers(min_value=0, max_value=4))
def test_parse_of_format_is_identity(minor: int, exponent: int) -> None:
    money = Money(minor, "USD")
    assert parse_major(format_major(money, exponent), "USD", exponent) == money


weights_lists = st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=12).filter(
    lambda ws: sum(ws) > 0
)


@given(st.integers(min_value=0, max_value=10**12), weights_lists)
def test_allocate_parts_sum_to_total_and_stay_within_one_of_exact_share(
    total: int, weights: list[int]
) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(isinstance(p, int) for p in parts)
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(total * weight, weight_sum)
        assert abs(part - exact) < 1
        if weight == 0:
            assert part == 0


@given(st.integers(min_value=0, max_value=10**12), weights_lists)
def test_allocate_is_deterministic(total: int, weights: list[int]) -> None:
    assert allocate(total, weights) == allocate(total, list(weights))


def test_allocate_ties_go_to_the_earlier_index() -> None:
    assert allocate(1, [1, 1, 1]) == [1, 0, 0]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]


def test_allocate_largest_remainder_wins() -> None:
    # exact shares 3.3, 3.7, 3.0 -> the 0.7 remainder gets the spare unit
    assert allocate(10, [33, 37, 30]) == [3, 4, 3]


@pytest.mark.parametrize(
    ("total", "weights"),
    [(-1, [1]), (10, []), (10, [0, 0]), (10, [1, -1]), (10, [1.5]), (True, [1]), (10, [True])],
)
def test_allocate_rejects_bad_input(total: int, weights: list[int]) -> None:
    with pytest.raises(ValidationError):
        allocate(total, weights)


@pytest.mark.parametrize(
    ("amount", "bp", "share"),
    [
        (1999, 500, 100),  # 99.95 -> 100
        (1990, 500, 100),  # 99.5 -> 100 (half up)
        (1989, 500, 99),  # 99.45 -> 99
        (10000, 0, 0),
        (12345, 10000, 12345),
        (1, 5000, 1),  # 0.5 -> 1
        (1, 4999, 0),
    ],
)
def test_basis_points_of_rounds_half_up(amount: int, bp: int, share: int) -> None:
    assert basis_points_of(amount, bp) == share


def test_basis_points_of_rejects_negative() -> None:
    with pytest.raises(ValidationError):
        basis_points_of(-1, 500)
    with pytest.raises(ValidationError):
        basis_points_of(100, -1)
