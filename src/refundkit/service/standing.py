"""Standing use cases (issue 19): read a seller's or a buyer's standing, a seller's request
to exclude a defect and the agent's answer, an agent's clearance of a buyer's signal, and
the consequences a standing has on a new order or dispute.

Standing judges people, not orders: like ``[limits]`` it is read with the **active**
policy. What applied to an order or dispute is recorded on it (``*.standing_applied``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.errors import (
    DefectExclusionExists,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from refundkit.domain.events import Event
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.domain.standing import consequences
from refundkit.domain.standing.buyer import BuyerReading, read_buyer
from refundkit.domain.standing.policy import BuyerSignal, BuyerSignalsPolicy, SellerStandingPolicy
from refundkit.domain.standing.seller import SellerReading, find_defects, read_standing
from refundkit.service.access import SEES_EVERYTHING
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.standing_ports import BuyerFactsRead, Clearance, Exclusion, SellerFacts
from refundkit.service.transactions import record

STAFF = frozenset({Role.AGENT, Role.ADMIN})
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class SellerView:
    seller_id: str
    reading: SellerReading
    window_days: int
    since: datetime
    exclusions: tuple[Exclusion, ...]


@dataclass(frozen=True, slots=True)
class BuyerView:
    buyer_id: str
    reading: BuyerReading
    window_days: int
    since: datetime
    clearances: tuple[Clearance, ...]


def _person(uow: UnitOfWork, user: User, person_id: str, role: Role) -> User:
    """A seller or buyer the caller may see: themself, or anyone for staff and platform."""
    found = uow.users.get(person_id)
    visible = user.role in SEES_EVERYTHING or user.id == person_id
    if found is None or found.role is not role or not visible:
        raise NotFound(f"no {role.value} {person_id}")
    return found


def seller_reading(deps: Deps, uow: UnitOfWork, seller_id: str) -> SellerReading:
    """The seller's standing now, in one statement (what a new order or dispute needs)."""
    return _seller_reading(deps, uow, seller_id)[0]


def _seller_reading(deps: Deps, uow: UnitOfWork, seller_id: str) -> tuple[SellerReading, datetime]:
    policy = deps.policies.active.seller_standing
    since = deps.clock.now() - timedelta(days=policy.window_days)
    return _seller_of(policy, uow.standing.seller_facts(seller_id, since)), since


def _seller_of(policy: SellerStandingPolicy, facts: SellerFacts) -> SellerReading:
    defects = find_defects(policy, facts.disputes, facts.chargebacks, facts.excluded)
    return read_standing(policy, facts.orders, defects)


def seller_view(deps: Deps, uow: UnitOfWork, seller_id: str) -> SellerView:
    """The standing with every exclusion asked for (the pages and ``GET …/standing``)."""
    reading, since = _seller_reading(deps, uow, seller_id)
    exclusions = tuple(uow.standing.exclusions(seller_id))
    window = deps.policies.active.seller_standing.window_days
    return SellerView(seller_id, reading, window, since, exclusions)


def buyer_reading(deps: Deps, uow: UnitOfWork, buyer_id: str) -> BuyerReading:
    """The buyer's standing now, in one statement (what a new order or dispute needs)."""
    return _buyer_reading(deps, uow, buyer_id)[0]


def _buyer_reading(deps: Deps, uow: UnitOfWork, buyer_id: str) -> tuple[BuyerReading, datetime]:
    policy = deps.policies.active.buyer_signals
    since = deps.clock.now() - timedelta(days=policy.window_days)
    return _buyer_of(policy, uow.standing.buyer_facts(buyer_id, since)), since


def _buyer_of(policy: BuyerSignalsPolicy, read: BuyerFactsRead) -> BuyerReading:
    latest = {BuyerSignal(signal): at for signal, at in read.cleared.items()}
    return read_buyer(policy, read.facts, latest)


def readings(deps: Deps, uow: UnitOfWork, order: Order) -> tuple[SellerReading, BuyerReading]:
    """The order's seller's standing and its buyer's, now, in one statement (a new order or
    dispute needs both)."""
    active = deps.policies.active
    sellers, buyers = active.seller_standing, active.buyer_signals
    now = deps.clock.now()
    seller, buyer = uow.standing.parties_facts(
        order.seller_id, now - timedelta(days=sellers.window_days),
        order.buyer_id, now - timedelta(days=buyers.window_days),
    )  # fmt: skip
    return _seller_of(sellers, seller), _buyer_of(buyers, buyer)


def buyer_view(deps: Deps, uow: UnitOfWork, buyer_id: str) -> BuyerView:
    """The standing with every clearance an agent gave (the pages and ``GET …/standing``)."""
    reading, since = _buyer_reading(deps, uow, buyer_id)
    clearances = tuple(uow.standing.clearances(buyer_id))
    window = deps.policies.active.buyer_signals.window_days
    return BuyerView(buyer_id, reading, window, since, clearances)


def seller_standing(deps: Deps, uow: UnitOfWork, user: User, seller_id: str) -> SellerView:
    _person(uow, user, seller_id, Role.SELLER)
    return seller_view(deps, uow, seller_id)


def buyer_standing(deps: Deps, uow: UnitOfWork, user: User, buyer_id: str) -> BuyerView:
    _person(uow, user, buyer_id, Role.BUYER)
    return buyer_view(deps, uow, buyer_id)


def _note(text: str, field: str) -> str:
    if not text.strip() or len(text) > MAX_NOTE:
        raise ValidationError(f"{field} must be 1 to {MAX_NOTE} characters", field=field)
    return text.strip()


def request_exclusion(
    deps: Deps, uow: UnitOfWork, user: User, seller_id: str, order_id: str, reason: str
) -> SellerView:
    """The seller asks that a defect which was not their fault stop counting."""
    if user.role is not Role.SELLER or user.id != seller_id:
        raise NotFound(f"no seller {seller_id}")
    view = seller_view(deps, uow, seller_id)
    if not any(d.order_id == order_id for d in view.reading.defects):
        raise NotFound(f"order {order_id} is no defect of this seller in the window")
    now = deps.clock.now()
    exclusion = Exclusion(deps.ids.new("dex"), seller_id, order_id, _note(reason, "reason"),
                          "pending", now)  # fmt: skip
    if not uow.standing.add_exclusion(exclusion):
        raise DefectExclusionExists(f"order {order_id} already has an exclusion request")
    data = {"seller_id": seller_id, "reason": exclusion.reason}
    record(uow, Outcome(events=[Event("seller.defect_exclusion_requested", exclusion.id,
                                      order_id, now, user.role, user.id, data)]))  # fmt: skip
    return seller_view(deps, uow, seller_id)


def decide_exclusion(
    deps: Deps, uow: UnitOfWork, user: User, seller_id: str, exclusion_id: str, *,
    accept: bool, note: str,
) -> SellerView:  # fmt: skip
    if user.role not in STAFF:
        raise Forbidden("an agent decides an exclusion")
    found = uow.standing.exclusion(exclusion_id, for_update=True)
    if found is None or found.seller_id != seller_id:
        raise NotFound(f"no exclusion {exclusion_id}")
    if found.status != "pending":
        raise InvalidTransition(f"the exclusion was already {found.status}")
    now = deps.clock.now()
    found.status = "accepted" if accept else "refused"
    found.decided_by, found.note, found.decided_at = user.id, _note(note, "note"), now
    uow.standing.save_exclusion(found)
    record(uow, Outcome(events=[Event("seller.defect_exclusion_decided", found.id,
                                      found.order_id, now, user.role, user.id,
                                      {"seller_id": seller_id, "status": found.status,
                                       "note": found.note})]))  # fmt: skip
    return seller_view(deps, uow, seller_id)


def clear_signal(
    deps: Deps, uow: UnitOfWork, user: User, buyer_id: str, signal: str, note: str
) -> BuyerView:
    """The buyer's appeal, answered: an agent clears a signal; it counts only what happens
    after this moment."""
    if user.role not in STAFF:
        raise Forbidden("an agent clears a buyer's signal")
    _person(uow, user, buyer_id, Role.BUYER)
    try:
        chosen = BuyerSignal(signal)
    except ValueError:
        names = ", ".join(s.value for s in BuyerSignal)
        raise ValidationError(f"signal is one of: {names}", field="signal") from None
    now = deps.clock.now()
    assert user.id is not None
    clearance = Clearance(deps.ids.new("scl"), buyer_id, chosen.value, _note(note, "note"),
                          user.id, now)  # fmt: skip
    uow.standing.add_clearance(clearance)
    record(uow, Outcome(events=[Event("buyer.signal_cleared", clearance.id, None, now,
                                      user.role, user.id, {"buyer_id": buyer_id,
                                                           "signal": chosen.value,
                                                           "note": clearance.note})]))  # fmt: skip
    return buyer_view(deps, uow, buyer_id)


def on_new_order(deps: Deps, uow: UnitOfWork, ctx: Context, order: Order) -> Outcome:
    seller, buyer = readings(deps, uow, order)
    return consequences.on_new_order(ctx, order, seller, buyer)


def on_new_dispute(deps: Deps, uow: UnitOfWork, ctx: Context, d: Dispute, order: Order) -> Outcome:
    seller, buyer = readings(deps, uow, order)
    return consequences.on_new_dispute(ctx, d, order, seller, buyer)


def fast_refund_tier(deps: Deps, uow: UnitOfWork, buyer_id: str, tier: str | None) -> str | None:
    """The tier Fast Refund may use: none while the buyer's signals have turned it off."""
    if tier is None:
        return None
    return tier if buyer_reading(deps, uow, buyer_id).fast_refund_allowed else None
