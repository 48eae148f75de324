"""Tracking signals (DESIGN §3): flags raised on an order from its carrier scans, each with the
evidence that raised it. Pure: the scans, the other orders sharing the number and the time
are passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from refundkit.domain.policy import Policy


class Signal(StrEnum):
    SHARED_TRACKING = "shared_tracking"
    """The same carrier and number are on an order of another buyer."""
    NO_TRACKING_INFO = "no_tracking_info"
    STUCK_IN_ORIGIN = "stuck_in_origin"
    WRONG_DIRECTION = "wrong_direction"
    """A scan in a third country, or back in the origin after reaching the destination."""
    DELIVERED_ELSEWHERE = "delivered_elsewhere"
    RETURNED_TO_SENDER = "returned_to_sender"
    DELIVERED_BEFORE_SHIPMENT = "delivered_before_shipment"
    """A delivered scan dated before the parcel was shipped: an old, already delivered tracking
    number. It never counts as delivery (issue 20, item 1)."""


def counts_as_delivery(shipped_at: datetime, delivered_at: datetime) -> bool:
    """A delivered scan ends protection only if it happened after the parcel was shipped: one
    dated before belongs to an earlier parcel under the same number."""
    return delivered_at >= shipped_at


@dataclass(frozen=True, slots=True)
class Scan:
    status: str
    country: str
    city: str
    postcode: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Shipment:
    """What the signals need to know of an order."""

    order_id: str
    shipped_at: datetime
    origin_country: str
    ship_to_country: str
    ship_to_city: str
    ship_to_postcode: str | None


@dataclass(frozen=True, slots=True)
class Flag:
    signal: Signal
    raised_at: datetime
    evidence: str


def _same_place(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def signals(
    shipment: Shipment, scans: Sequence[Scan], shared_with: Sequence[str], now: datetime,
    policy: Policy,
) -> list[Flag]:  # fmt: skip
    """Every signal the scans show at ``now`` (the caller keeps the ones it had already)."""
    rules = policy.tracking
    found: list[Flag] = []
    ordered = sorted(scans, key=lambda s: s.occurred_at)
    if shared_with:
        # Never the other orders' ids: buyers and sellers see this evidence.
        count = len(shared_with)
        orders = "another order" if count == 1 else f"{count} other orders"
        found.append(Flag(Signal.SHARED_TRACKING, now,
                          f"the same carrier and tracking number are on {orders} "
                          "of another buyer"))  # fmt: skip
    waited = now - shipment.shipped_at
    if not ordered and waited >= rules.no_info_after:
        days = rules.no_info_after_days
        found.append(
            Flag(Signal.NO_TRACKING_INFO, now, f"no carrier scan {days} days after shipment")
        )
    origin = shipment.origin_country
    stuck = all(s.country == origin for s in ordered) and origin != shipment.ship_to_country
    if ordered and stuck and waited >= rules.stuck_in_origin_after:
        days = rules.stuck_in_origin_after_days
        found.append(Flag(Signal.STUCK_IN_ORIGIN, now,
                          f"every scan still in {origin} {days} days after shipment"))  # fmt: skip
    destination = shipment.ship_to_country
    reached = False
    for scan in ordered:
        if scan.country == destination:
            reached = True
        elif scan.country != origin:
            found.append(Flag(Signal.WRONG_DIRECTION, now,
                              f"scanned in {scan.country} ({scan.city}), neither {origin} nor "
                              f"{destination}, at {scan.occurred_at.isoformat()}"))  # fmt: skip
            break
        elif reached:
            found.append(Flag(Signal.WRONG_DIRECTION, now,
                              f"back in {origin} ({scan.city}) after reaching {destination}, "
                              f"at {scan.occurred_at.isoformat()}"))  # fmt: skip
            break
    for scan in ordered:
        if scan.status == "delivered" and not _delivered_to_the_order(shipment, scan):
            found.append(Flag(Signal.DELIVERED_ELSEWHERE, now,
                              f"delivered in {scan.city} {scan.postcode or ''}, {scan.country}"
                              f", not {shipment.ship_to_city} {shipment.ship_to_postcode or ''}"
                              .replace("  ", " ")))  # fmt: skip
            break
    for scan in ordered:
        if scan.status == "delivered" and not counts_as_delivery(
            shipment.shipped_at, scan.occurred_at
        ):
            found.append(Flag(Signal.DELIVERED_BEFORE_SHIPMENT, now,
                              f"a delivered scan dated {scan.occurred_at.isoformat()}, before "
                              f"the shipment on {shipment.shipped_at.isoformat()}: the tracking "
                              "number was used for an earlier parcel"))  # fmt: skip
            break
    for scan in ordered:
        if scan.status == "returned_to_sender":
            found.append(Flag(Signal.RETURNED_TO_SENDER, now,
                              f"returned to sender at {scan.occurred_at.isoformat()}"))  # fmt: skip
            break
    return found


def _delivered_to_the_order(shipment: Shipment, scan: Scan) -> bool:
    if scan.country != shipment.ship_to_country:
        return False
    if shipment.ship_to_postcode and scan.postcode:
        return _same_place(shipment.ship_to_postcode, scan.postcode)
    if not scan.city.strip():
        return True  # a scan that names no place is no evidence of another one
    return _same_place(shipment.ship_to_city, scan.city)
