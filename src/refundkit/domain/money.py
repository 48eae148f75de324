"""Money as integer minor units of an ISO 4217 currency; a float never enters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from refundkit.domain.errors import CurrencyMismatch, InvalidAmount, ValidationError

# Beyond any real order; also keeps arithmetic and storage in 64-bit comfort.
MAX_MINOR = 10**15
# No currency in ISO 4217 has more than 4 decimals (CLF); a wider exponent is a bug.
MAX_EXPONENT = 4
BASIS_POINTS_WHOLE = 10_000

_CURRENCY_SHAPE = re.compile(r"[A-Z]{3}")
# fullmatch, not "$": "$" would let a trailing newline through.
_PLAIN_DECIMAL = re.compile(r"(0|[1-9][0-9]*)(?:\.([0-9]+))?")
# Long enough for MAX_MINOR at any exponent; longer strings are refused before int().
_MAX_TEXT_LENGTH = 32


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_currency_shape(currency: object) -> str:
    """Return ``currency`` if it is three upper-case ASCII letters, else raise."""
    if not isinstance(currency, str) or not _CURRENCY_SHAPE.fullmatch(currency):
        raise ValidationError(
            f"currency must be three upper-case letters, got {currency!r}", field="currency"
        )
    return currency


def _check_exponent(exponent: object) -> int:
    if isinstance(exponent, bool) or not isinstance(exponent, int):
        raise ValidationError(f"currency exponent must be an int, got {exponent!r}")
    if not 0 <= exponent <= MAX_EXPONENT:
        raise ValidationError(f"currency exponent must be in 0..{MAX_EXPONENT}, got {exponent}")
    return exponent


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for USD, yen for JPY). May be negative (balances)."""

    minor: int
    currency: str

    def __post_init__(self) -> None:
        if not _is_int(self.minor):
            raise InvalidAmount(f"minor units must be an int, got {type(self.minor).__name__}")
        check_currency_shape(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    @property
    def is_positive(self) -> bool:
        return self.minor > 0

    @property
    def is_negative(self) -> bool:
        return self.minor < 0

    def _same_currency(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise ValidationError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"currency mismatch: {self.currency} and {other.currency}", field="currency"
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same_currency(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same_currency(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        return self.minor < self._same_currency(other).minor

    def __le__(self, other: Money) -> bool:
        return self.minor <= self._same_currency(other).minor

    def __gt__(self, other: Money) -> bool:
        return self.minor > self._same_currency(other).minor

    def __ge__(self, other: Money) -> bool:
        return self.minor >= self._same_currency(other).minor

    def __str__(self) -> str:
        return f"{self.minor} {self.currency} (minor units)"


class CurrencyCatalog(Protocol):
    def exponent(self, currency: str) -> int:
        """Decimal places of ``currency``; raise ``ValidationError`` if it is unknown."""
        ...


def parse_major(text: object, currency: str, exponent: int, *, field: str = "amount") -> Money:
    """Parse a plain decimal string in major units ("12.34") into ``Money``.

    Only strings are accepted: a JSON number may already have lost precision as a float.
    More decimals than the currency has are refused, even trailing zeros ("1.500" USD).
    """
    _check_exponent(exponent)
    check_currency_shape(currency)
    if not isinstance(text, str):
        raise InvalidAmount(
            f'{field} must be a decimal string such as "12.34", got {type(text).__name__}',
            field=field,
        )
    match = _PLAIN_DECIMAL.fullmatch(text) if len(text) <= _MAX_TEXT_LENGTH else None
    if match is None:
        raise InvalidAmount(
            f'{field} must be a plain non-negative decimal such as "12.34", got {text!r}',
            field=field,
        )
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > exponent:
        raise InvalidAmount(
            f"{field} has more than {exponent} decimal places allowed for {currency}: {text!r}",
            field=field,
        )
    minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
    if minor > MAX_MINOR:
        raise InvalidAmount(f"{field} is too large: {text!r}", field=field)
    return Money(minor, currency)


def parse_positive_major(
    text: object, currency: str, exponent: int, *, field: str = "amount"
) -> Money:
    """Like ``parse_major`` but zero is refused too."""
    money = parse_major(text, currency, exponent, field=field)
    if money.is_zero:
        raise InvalidAmount(f"{field} must be greater than zero", field=field)
    return money


@dataclass(frozen=True, slots=True)
class AmountText:
    """An amount as the caller sent it: a decimal string in major units, not yet parsed.

    The edges (API, pages) do not know the order's currency and must not read it; the use
    case parses this with ``parse_amount`` once the order is loaded under lock. ``field``
    names the input in the error when the text is refused.
    """

    text: object
    field: str = "amount"


def parse_amount(
    raw: AmountText, currency: str, catalog: CurrencyCatalog, *, positive: bool
) -> Money:
    """The one parse of an amount sent in major units, in ``currency`` (the order's),
    with its exponent from ``catalog``; zero refused too when ``positive``."""
    parse = parse_positive_major if positive else parse_major
    return parse(raw.text, currency, catalog.exponent(currency), field=raw.field)


def money_of(
    amount: int | AmountText, currency: str, catalog: CurrencyCatalog, *, positive: bool
) -> Money:
    """``amount`` in ``currency`` (the order's): text from an edge is parsed in it; an int
    comes from a caller that already works in the order's minor units (timers, the
    simulation)."""
    if isinstance(amount, AmountText):
        return parse_amount(amount, currency, catalog, positive=positive)
    return Money(amount, currency)


def minor_units_of(
    amount: int | AmountText, currency: str, catalog: CurrencyCatalog, *, positive: bool
) -> int:
    """Minor units of ``amount`` (see ``money_of``)."""
    return money_of(amount, currency, catalog, positive=positive).minor


def format_major(money: Money, exponent: int) -> str:
    """Render in major units: "12.34", "0.05"; no decimal point when the exponent is 0."""
    return format_minor(money.minor, _check_exponent(exponent))


def format_minor(minor: int, exponent: int) -> str:
    """``format_major`` of ``minor`` units, for an exponent already checked (a currency
    catalog's): the answers of a sweep's batch write thousands of amounts, and building a
    ``Money`` for each cost more than the text."""
    if not _is_int(minor):
        raise InvalidAmount(f"minor units must be an int, got {type(minor).__name__}")
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by the largest-remainder rule.

    The parts always add up to ``total``; each is the floor or ceiling of its exact share;
    equal remainders favour the earlier index, so the split is deterministic.
    """
    if not _is_int(total) or total < 0:
        raise ValidationError(f"total to allocate must be a non-negative int, got {total!r}")
    if isinstance(weights, str | bytes) or not weights:
        raise ValidationError("weights must be a non-empty sequence of ints")
    if not all(_is_int(w) and w >= 0 for w in weights):
        raise ValidationError(f"weights must be non-negative ints, got {list(weights)!r}")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise ValidationError("weights must not all be zero")
    parts = [total * w // weight_sum for w in weights]
    remainders = [total * w % weight_sum for w in weights]
    leftover = total - sum(parts)
    # leftover < number of non-zero remainders, so a zero weight never gets a unit.
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for index in order[:leftover]:
        parts[index] += 1
    return parts


def basis_points_of(amount: int, basis_points: int) -> int:
    """``amount * basis_points / 10000`` rounded half up (500 bp of 1999 -> 100)."""
    if not _is_int(amount) or amount < 0:
        raise ValidationError(f"amount must be a non-negative int, got {amount!r}")
    if not _is_int(basis_points) or basis_points < 0:
        raise ValidationError(f"basis points must be a non-negative int, got {basis_points!r}")
    return (amount * basis_points + BASIS_POINTS_WHOLE // 2) // BASIS_POINTS_WHOLE
