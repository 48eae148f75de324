"""The ``[returnless]`` and ``[compensation]`` sections of the policy (issue 19, items 1
and 4): when a cheap dispute is refunded without the goods coming back, and what store
credit the platform pays on top of a refund."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from refundkit.domain.errors import PolicyError
from refundkit.domain.policy_table import PolicyTable, check_int

RETURNLESS_KEYS = ("rules",)
RULE_KEYS = ("name", "max_price", "reasons", "categories")
COMPENSATION_KEYS = ("counterfeit_multiple", "late_delivery_after_hours", "late_delivery_credit")
MAX_RULES = 50
MAX_CATEGORY_CHARS = 64
MAX_MULTIPLE = 10
MAX_CREDIT_MINOR = 10**12


@dataclass(frozen=True, slots=True)
class ReturnlessRule:
    """Refund without return: goods that would come back priced at or under ``max_price``
    (minor units, by currency; a currency not listed never matches), for these reasons, of
    these categories (empty: any item, with a category or without)."""

    name: str
    max_price: tuple[tuple[str, int], ...]
    reasons: frozenset[str]
    categories: frozenset[str]

    def limit_for(self, currency: str) -> int | None:
        return dict(self.max_price).get(currency)


@dataclass(frozen=True, slots=True)
class ReturnlessPolicy:
    rules: tuple[ReturnlessRule, ...]
    """Tried in order; the first that matches names the decision."""


@dataclass(frozen=True, slots=True)
class CompensationPolicy:
    counterfeit_multiple: int
    """A counterfeit dispute resolved with a full refund pays this multiple of the disputed
    items' price as store credit on top (0: none)."""
    late_delivery_after_hours: int
    late_delivery_credit: tuple[tuple[str, int], ...]
    """(currency, minor units) of store credit for a parcel not delivered this many hours
    after its delivery deadline; a currency not listed pays none."""

    def late_credit_for(self, currency: str) -> int:
        return dict(self.late_delivery_credit).get(currency, 0)


def _currency_table(t: PolicyTable, name: str, *, maximum: int) -> tuple[tuple[str, int], ...]:
    raw = t.data[name]
    if not isinstance(raw, Mapping):
        raise PolicyError(t.key(name), "must be a table of currency = minor units")
    found: list[tuple[str, int]] = []
    for currency, value in sorted(raw.items()):
        key = f"{t.key(name)}.{currency}"
        if not (isinstance(currency, str) and len(currency) == 3 and currency.isupper()):
            raise PolicyError(key, "currency codes are three capital letters")
        found.append((currency, check_int(value, key, minimum=0, maximum=maximum)))
    return tuple(found)


def parse_returnless(t: PolicyTable, reasons: frozenset[str]) -> ReturnlessPolicy:
    raw = t.data["rules"]
    key = t.key("rules")
    if not isinstance(raw, list):
        raise PolicyError(key, "must be a list of rules (tables)")
    if len(raw) > MAX_RULES:
        raise PolicyError(key, f"at most {MAX_RULES} rules, got {len(raw)}")
    rules: list[ReturnlessRule] = []
    for index, item in enumerate(raw):
        rule = PolicyTable(item, f"{key}[{index}]", RULE_KEYS)
        name = rule.text("name")
        if any(r.name == name for r in rules):
            raise PolicyError(rule.key("name"), f"rule names are unique, {name!r} is repeated")
        categories = rule.data["categories"]
        if not isinstance(categories, list) or not all(
            isinstance(c, str) and 0 < len(c) <= MAX_CATEGORY_CHARS for c in categories
        ):
            raise PolicyError(rule.key("categories"),
                              f"must be a list of categories (1 to {MAX_CATEGORY_CHARS} "
                              "characters each)")  # fmt: skip
        rules.append(
            ReturnlessRule(
                name=name,
                max_price=_currency_table(rule, "max_price", maximum=MAX_CREDIT_MINOR),
                reasons=rule.names("reasons", reasons, "dispute reasons"),
                categories=frozenset(categories),
            )
        )
    return ReturnlessPolicy(tuple(rules))


def parse_compensation(t: PolicyTable) -> CompensationPolicy:
    return CompensationPolicy(
        counterfeit_multiple=t.integer("counterfeit_multiple", minimum=0, maximum=MAX_MULTIPLE),
        late_delivery_after_hours=t.hours("late_delivery_after_hours", minimum=0),
        late_delivery_credit=_currency_table(t, "late_delivery_credit", maximum=MAX_CREDIT_MINOR),
    )


OFF_FOR_EARLIER_VERSIONS: dict[str, dict[str, object]] = {
    "returnless": {"rules": []},
    "compensation": {"counterfeit_multiple": 0, "late_delivery_after_hours": 48,
                     "late_delivery_credit": {}},
}  # fmt: skip
"""What a version stored before these tables existed takes for them: nothing waived, no
credit paid, so the orders placed under it keep the outcomes they were promised (a
built-in default here would change them)."""


@dataclass(frozen=True, slots=True)
class SellerReturnless:
    """A seller's own returnless limits, set by the platform: they only ever narrow the
    policy's rules (a refund without return needs both to agree)."""

    max_price: tuple[tuple[str, int], ...] = ()
    """(currency, minor units): a currency listed caps the price; one not listed keeps the
    policy's limit."""
    reasons: frozenset[str] | None = None
    """Reasons the seller allows a refund without return for; None: every one the policy does."""
    categories: frozenset[str] | None = None
    """Categories the seller allows it for (every disputed item must have one); None: any."""

    def limit_for(self, currency: str) -> int | None:
        return dict(self.max_price).get(currency)
