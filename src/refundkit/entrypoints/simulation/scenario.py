"""The generated history of a synthetic marketplace, drawn from a seed.

Everything people do is drawn here, before anything runs, so the same history can be
replayed under another policy: what the policy changes is which of these steps it accepts
and what its timers do, never what the people wanted to do."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

CURRENCY_BY_COUNTRY = {"US": "USD", "GB": "GBP", "JP": "JPY", "KW": "KWD", "DE": "EUR",
                       "FR": "EUR", "ES": "EUR", "BR": "USD", "RU": "USD", "PL": "EUR"}  # fmt: skip
BUYER_COUNTRIES = (("US", 26), ("DE", 14), ("FR", 10), ("GB", 10), ("ES", 7), ("PL", 6),
                   ("BR", 9), ("RU", 6), ("JP", 8), ("KW", 4))  # fmt: skip
SELLER_COUNTRIES = (("CN", 60), ("US", 10), ("DE", 8), ("TR", 8), ("PT", 4), ("VN", 10))
TIERS = (("standard", 70), ("gold", 18), ("platinum", 8), ("diamond", 4))
# A typical price in each currency's minor units (JPY has no minor unit, KWD three).
TYPICAL_PRICE = {"USD": 3500, "EUR": 3200, "GBP": 2800, "JPY": 4800, "KWD": 11000}
# What a buyer pays to post a return back, declared when they ship it (issue 19's what-if
# counts the postage a policy saves); drawn from no random number, so the history is the
# same as before it.
RETURN_POSTAGE = {"USD": 690, "EUR": 590, "GBP": 495, "JPY": 900, "KWD": 2500}
CITIES = {"US": ("Austin", "73301"), "DE": ("Berlin", "10115"), "FR": ("Lyon", "69001"),
          "GB": ("Leeds", "LS1 1UR"), "ES": ("Sevilla", "41001"), "PL": ("Krakow", "30-001"),
          "BR": ("Recife", "50000-000"), "RU": ("Kazan", "420000"), "JP": ("Osaka", "530-0001"),
          "KW": ("Kuwait City", "13001")}  # fmt: skip
CARRIERS = ("DHL", "UPS", "Cainiao", "4PX", "USPS")
FAULT_REASONS = (("not_as_described", 34), ("damaged", 20), ("not_working", 16),
                 ("counterfeit", 6), ("changed_mind", 8), ("not_received", 16))  # fmt: skip


class Honesty(StrEnum):
    HONEST = "honest"
    SLOPPY = "sloppy"
    """Ships late now and then, answers disputes late."""
    SILENT = "silent"
    """Ships, but never answers a dispute."""
    FRAUD = "fraud"
    """Never-shipped parcels and reused tracking numbers."""


HONESTY_MIX: tuple[tuple[str, int], ...] = (
    (Honesty.HONEST, 70), (Honesty.SLOPPY, 18), (Honesty.SILENT, 8), (Honesty.FRAUD, 4),
)  # fmt: skip


class Parcel(StrEnum):
    NORMAL = "normal"
    LOST = "lost"
    """Scans stop in the origin country."""
    ELSEWHERE = "delivered_elsewhere"
    RETURNED = "returned_to_sender"
    NEVER_SHIPPED = "never_shipped"
    """A tracking number with no scan, ever."""
    REUSED = "reused_tracking"
    """The tracking number of another buyer's parcel."""


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    country: str
    tier: str | None = None
    honesty: Honesty | None = None


@dataclass(slots=True)
class DisputePlan:
    reason: str
    sub_reason: str | None
    after_delivery: bool
    opens_after: timedelta
    """From delivery (or shipment, when the parcel never arrives)."""
    requested_share: float
    return_goods: bool
    seller_answer: str | None
    """accept, offer, reject, or None (silence)."""
    seller_delay: timedelta
    offer_share: float
    buyer_reply: str | None
    """After an offer: accept or escalate; after a rejection: escalate or withdraw."""
    buyer_delay: timedelta
    agent_outcome: str
    ships_return: bool
    return_delay: timedelta
    return_transit: timedelta
    return_condition: str | None
    """as_sent, not_as_sent, or None: the seller never confirms."""
    confirm_delay: timedelta


@dataclass(slots=True)
class OrderPlan:
    index: int
    buyer: int
    seller: int
    country: str
    """Where the parcel goes: the buyer's country."""
    origin: str
    """Where it leaves from: the seller's country."""
    currency: str
    unit_price: int
    quantity: int
    shipping_fee: int
    method: str
    promised_days: int
    placed_after: timedelta
    pays: bool
    pay_delay: timedelta
    cancel: str | None
    """free (within the free window), request_approved, request_rejected, request_silent."""
    cancel_delay: timedelta
    ships: bool
    ship_delay: timedelta
    carrier: str
    tracking: str
    parcel: Parcel
    transit: timedelta
    confirms: bool
    confirm_delay: timedelta
    dispute: DisputePlan | None = None
    ids: dict[str, str] = field(default_factory=dict)
    """Filled while running: order_id, dispute_id."""


@dataclass(slots=True)
class Scenario:
    seed: int
    buyers: list[Person]
    sellers: list[Person]
    orders: list[OrderPlan]
    placement_days: int
    agents: int


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def _days(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=round(rng.uniform(low, high) * 1440))


def generate(seed: int, orders: int, *, placement_days: int = 30) -> Scenario:
    """Buyers, sellers and ``orders`` orders with everything their people will do."""
    rng = random.Random(seed)
    buyers = [Person(i, _pick(rng, BUYER_COUNTRIES), _pick(rng, TIERS))
              for i in range(max(4, orders // 5))]  # fmt: skip
    sellers = [Person(i, _pick(rng, SELLER_COUNTRIES), None,
                      Honesty(_pick(rng, HONESTY_MIX)))
               for i in range(max(4, orders // 40))]  # fmt: skip
    sellers[0] = Person(0, "CN", None, Honesty.FRAUD)  # every market has one
    plans: list[OrderPlan] = []
    for i in range(orders):
        order_rng = random.Random(f"{seed}:{i}")
        plans.append(_order(order_rng, i, buyers, sellers, plans, placement_days))
    return Scenario(seed, buyers, sellers, plans, placement_days, max(1, orders // 4000))


def _order(
    rng: random.Random, i: int, buyers: list[Person], sellers: list[Person],
    earlier: list[OrderPlan], placement_days: int,
) -> OrderPlan:  # fmt: skip
    buyer = rng.choice(buyers)
    seller = rng.choice(sellers)
    honesty = seller.honesty or Honesty.HONEST
    currency = CURRENCY_BY_COUNTRY[buyer.country]
    price = max(1, round(TYPICAL_PRICE[currency] * rng.lognormvariate(0, 0.8)))
    if currency == "KWD":
        price = max(10, price // 10 * 10)  # fils in tens, as shops price them
    cancel_draw = rng.random()
    cancel = None
    if cancel_draw < 0.07:
        cancel = "free"
    elif cancel_draw < 0.10:
        cancel = rng.choice(["request_approved", "request_rejected", "request_silent"])
    parcel = Parcel.NORMAL
    parcel_draw = rng.random()
    if honesty is Honesty.FRAUD and parcel_draw < 0.35:
        others = [p for p in earlier[-200:] if p.buyer != buyer.index and p.seller == seller.index]
        parcel = Parcel.REUSED if others and parcel_draw < 0.2 else Parcel.NEVER_SHIPPED
    elif parcel_draw < 0.015:
        parcel = Parcel.LOST
    elif parcel_draw < 0.02:
        parcel = Parcel.ELSEWHERE
    elif parcel_draw < 0.025:
        parcel = Parcel.RETURNED
    tracking = f"{rng.choice('LRCU')}{rng.randrange(10**9, 10**10)}{seller.country}"
    carrier = rng.choice(CARRIERS)
    if parcel is Parcel.REUSED:
        source = rng.choice(
            [p for p in earlier[-200:] if p.buyer != buyer.index and p.seller == seller.index]
        )
        tracking, carrier = source.tracking, source.carrier
    promised = rng.choice((15, 20, 25, 30, 45))
    transit = _days(rng, 3, promised * 0.8)
    if rng.random() < 0.04:
        transit = _days(rng, promised + 1, promised + 10)  # the carrier is later than promised
    late_shipper = honesty is Honesty.SLOPPY and rng.random() < 0.08
    plan = OrderPlan(
        index=i, buyer=buyer.index, seller=seller.index, country=buyer.country,
        origin=seller.country, currency=currency, unit_price=price,
        quantity=rng.choice((1, 1, 1, 2, 3)),
        shipping_fee=0 if rng.random() < 0.4 else max(1, price // 8),
        method="wallet" if rng.random() < 0.3 else "card",
        promised_days=promised,
        placed_after=_days(rng, 0, placement_days), pays=rng.random() > 0.03,
        pay_delay=_days(rng, 0.001, 0.2), cancel=cancel,
        cancel_delay=_days(rng, 0.05, 0.8) if cancel == "free" else _days(rng, 1.1, 2.5),
        ships=not late_shipper, ship_delay=_days(rng, 0.3, 4.5), carrier=carrier,
        tracking=tracking, parcel=parcel, transit=transit,
        confirms=rng.random() < 0.55, confirm_delay=_days(rng, 0.2, 6),
    )  # fmt: skip
    plan.dispute = _dispute(rng, plan, honesty)
    return plan


_DISPUTE_RATE = {Honesty.HONEST: 0.02, Honesty.SLOPPY: 0.05, Honesty.SILENT: 0.04,
                 Honesty.FRAUD: 0.10}  # fmt: skip


def _dispute(rng: random.Random, plan: OrderPlan, honesty: Honesty) -> DisputePlan | None:
    undelivered = plan.parcel in (Parcel.LOST, Parcel.NEVER_SHIPPED, Parcel.REUSED,
                                  Parcel.RETURNED, Parcel.ELSEWHERE)  # fmt: skip
    wants = rng.random() < (0.7 if undelivered else _DISPUTE_RATE[honesty])
    if not wants or not plan.pays or plan.cancel == "free":
        return None
    sub: str | None
    if undelivered:
        reason = "not_received"
        sub = {Parcel.LOST: "tracking_stuck", Parcel.NEVER_SHIPPED: "no_tracking_info",
               Parcel.REUSED: "tracking_shared", Parcel.RETURNED: "returned_to_sender",
               Parcel.ELSEWHERE: "wrong_address"}[plan.parcel]  # fmt: skip
    else:
        reason = _pick(rng, FAULT_REASONS)
        sub = {
            "not_as_described": rng.choice(
                ["wrong_item", "wrong_size_or_colour", "poor_quality", "missing_parts"]
            ),
            "changed_mind": "no_longer_needed",
            "not_received": "tracking_stuck",
        }.get(reason)
    late = rng.random() < 0.06
    if undelivered or reason == "not_received":
        opens_after = _days(rng, 6, 14)
    else:
        opens_after = _days(rng, 13.5, 19) if late else _days(rng, 0.5, 12)
    answer: str | None = _pick(rng, (("accept", 40), ("offer", 35), ("reject", 25)))
    if honesty is Honesty.FRAUD:
        answer = _pick(rng, (("reject", 70), ("offer", 30)))
    elif honesty is Honesty.SILENT:
        answer = None
    seller_delay = _days(rng, 0.2, 3)
    if honesty is Honesty.SLOPPY and rng.random() < 0.35:
        seller_delay = _days(rng, 5.2, 9)  # after the answer window: too late
    reply: str | None = None
    if answer == "offer":
        reply = _pick(rng, (("accept", 55), ("escalate", 30), ("", 15))) or None
    elif answer == "reject":
        reply = _pick(rng, (("escalate", 65), ("withdraw", 15), ("", 20))) or None
    agent = {Honesty.FRAUD: "full_refund", Honesty.SLOPPY: "full_refund",
             Honesty.SILENT: "full_refund"}.get(honesty) or _pick(
        rng, (("partial_refund", 50), ("no_refund", 30), ("full_refund", 20)))  # fmt: skip
    returns = reason == "changed_mind" or (reason != "not_received" and rng.random() < 0.4)
    condition = _pick(rng, (("as_sent", 75), ("not_as_sent", 10), ("", 15))) or None
    return DisputePlan(
        reason=reason, sub_reason=sub, after_delivery=not undelivered and reason != "not_received",
        opens_after=opens_after,
        requested_share=1.0 if rng.random() < 0.75 else rng.uniform(0.3, 0.7),
        return_goods=returns, seller_answer=answer, seller_delay=seller_delay,
        offer_share=rng.uniform(0.3, 0.6) if honesty is not Honesty.FRAUD else 0.15,
        buyer_reply=reply, buyer_delay=_days(rng, 0.3, 4), agent_outcome=agent,
        ships_return=rng.random() < 0.9, return_delay=_days(rng, 0.5, 8),
        return_transit=_days(rng, 3, 10), return_condition=condition,
        confirm_delay=_days(rng, 0.5, 6),
    )  # fmt: skip


Where = tuple[str, str, str | None]


def scan_history(plan: OrderPlan) -> list[tuple[timedelta, str, Where]]:
    """The carrier's scans of the parcel, by its fate."""
    if plan.parcel in (Parcel.NEVER_SHIPPED, Parcel.REUSED):
        return []
    dest_country = plan.country
    city, postcode = CITIES[dest_country]
    origin: Where = (plan.origin, "Origin hub", None)
    transit = plan.transit
    scans: list[tuple[timedelta, str, Where]] = [
        (timedelta(hours=2), "info_received", origin),
        (timedelta(days=1), "in_transit", origin),
    ]
    if plan.parcel is Parcel.LOST:
        return scans
    scans.append((min(transit * 0.5, timedelta(days=6)), "in_transit", (dest_country, city, None)))
    if plan.parcel is Parcel.RETURNED:
        scans.append((transit, "returned_to_sender", origin))
        return scans
    scans.append((transit - timedelta(hours=6), "out_for_delivery", (dest_country, city, None)))
    if plan.parcel is Parcel.ELSEWHERE:
        scans.append((transit, "delivered", (dest_country, "Elsewhere", "00000")))
    else:
        scans.append((transit, "delivered", (dest_country, city, postcode)))
    return scans
