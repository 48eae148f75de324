"""Store credit and each seller's own returnless limits (issue 19, items 1 and 4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from refundkit.domain import compensation
from refundkit.domain.context import SYSTEM_ACTOR, Outcome
from refundkit.domain.credit_policy import ReturnlessRule, SellerReturnless
from refundkit.domain.errors import Forbidden, LooserThanPolicy, NotFound, ValidationError
from refundkit.domain.events import TimerRequest
from refundkit.domain.ledger import EntryKind
from refundkit.domain.money import AmountText, minor_units_of
from refundkit.domain.orders import timers as order_timers
from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.policy import DISPUTE_REASONS
from refundkit.domain.roles import Role
from refundkit.service import refunds
from refundkit.service.access import SEES_EVERYTHING
from refundkit.service.credit_ports import CreditEntry
from refundkit.service.deps import Deps
from refundkit.service.paging import window
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User
from refundkit.service.transactions import record

SETS_SELLER_RULES = frozenset({Role.PLATFORM, Role.ADMIN})
LATE_CREDIT_STATUSES = frozenset(
    {OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED}
)
"""An order completed at its delivery deadline with nothing showing delivery is still late;
a cancelled or refunded one earns nothing."""


@dataclass(frozen=True, slots=True)
class SellerRulesView:
    seller_id: str
    own: SellerReturnless | None
    policy_version: str
    policy_rules: tuple[ReturnlessRule, ...]


@dataclass(frozen=True, slots=True)
class CreditView:
    buyer_id: str
    balances: dict[str, int]
    entries: list[CreditEntry]
    has_more: bool


def _seller(uow: UnitOfWork, user: User, seller_id: str) -> User:
    """The seller, if the caller may see them: themselves, or the platform's staff."""
    found = uow.users.get(seller_id)
    visible = user.role in SEES_EVERYTHING or (user.role is Role.SELLER and user.id == seller_id)
    if found is None or found.role is not Role.SELLER or not visible:
        raise NotFound(f"no seller {seller_id}")
    return found


def seller_rules(deps: Deps, uow: UnitOfWork, user: User, seller_id: str) -> SellerRulesView:
    _seller(uow, user, seller_id)
    policy = deps.policies.active
    return SellerRulesView(seller_id, uow.credit.seller_returnless(seller_id), policy.version,
                           policy.returnless.rules)  # fmt: skip


def set_seller_rules(
    deps: Deps, uow: UnitOfWork, user: User, seller_id: str,
    max_price: Mapping[str, str], reasons: Sequence[str] | None,
    categories: Sequence[str] | None,
) -> SellerRulesView:  # fmt: skip
    """Replace the seller's own limits. Stricter only: each must narrow what the active
    policy waives (a price at most the policy's highest in that currency, reasons and
    categories among the policy's), else ``looser_than_policy`` and nothing changes. They
    narrow every order's rules when a dispute is decided, whatever its policy version."""
    _seller(uow, user, seller_id)
    if user.role not in SETS_SELLER_RULES:
        raise Forbidden("a seller's returnless rules are set with the platform's key")
    rules = deps.policies.active.returnless.rules
    limits: list[tuple[str, int]] = []
    for currency, text in sorted(max_price.items()):
        field = f"max_price.{currency}"
        minor = minor_units_of(AmountText(text, field), currency, deps.currencies,
                               positive=False)  # fmt: skip
        known = [limit for r in rules if (limit := r.limit_for(currency)) is not None]
        highest = max(known, default=None)
        if highest is None or minor > highest:
            raise LooserThanPolicy(
                f"{field}: the policy waives returns in {currency} up to "
                f"{'nothing' if highest is None else highest} minor units; a seller's limit "
                "may only be lower", field=field)  # fmt: skip
        limits.append((currency, minor))
    allowed_reasons = frozenset().union(*(r.reasons for r in rules))
    if reasons is not None:
        unknown = sorted(set(reasons) - DISPUTE_REASONS)
        if unknown:
            raise ValidationError(f"unknown dispute reasons {unknown}", field="reasons")
        looser = sorted(set(reasons) - allowed_reasons)
        if looser:
            raise LooserThanPolicy(f"reasons: the policy waives no return for {looser}",
                                   field="reasons")  # fmt: skip
    if categories is not None and all(r.categories for r in rules):
        looser = sorted(set(categories) - frozenset().union(*(r.categories for r in rules)))
        if looser:
            raise LooserThanPolicy(f"categories: the policy waives no return for {looser}",
                                   field="categories")  # fmt: skip
    own = SellerReturnless(
        max_price=tuple(limits),
        reasons=None if reasons is None else frozenset(reasons),
        categories=None if categories is None else frozenset(categories),
    )
    uow.credit.set_seller_returnless(seller_id, own, now=deps.clock.now(), by=user.id)
    return seller_rules(deps, uow, user, seller_id)


def buyer_credit(
    uow: UnitOfWork, user: User, buyer_id: str, *, starting_after: str | None,
    ending_before: str | None, limit: int,
) -> CreditView:  # fmt: skip
    """The buyer's credit by currency and its entries, newest first: to the buyer alone, or
    the platform's staff; anyone else is told there is no such buyer."""
    found = uow.users.get(buyer_id)
    visible = user.role in SEES_EVERYTHING or (user.role is Role.BUYER and user.id == buyer_id)
    if found is None or found.role is not Role.BUYER or not visible:
        raise NotFound(f"no buyer {buyer_id}")
    rows = uow.credit.entries(buyer_id, starting_after=starting_after,
                              ending_before=ending_before, limit=limit + 1)  # fmt: skip
    page, more = window(rows, limit, backwards=starting_after is None and bool(ending_before))
    return CreditView(buyer_id, uow.credit.balances(buyer_id), page, more)


def late_delivery_timer(deps: Deps, uow: UnitOfWork, order_id: str) -> str:
    """The worker's look at a parcel's delivery deadline plus the policy's hours: still not
    delivered (no delivered scan, no confirmation; the order may have completed at the
    deadline meanwhile), the buyer gets the late-delivery credit, once per order. A deadline
    moved by an extension sets the timer again for the new moment."""
    order = uow.orders.get(order_id, for_update=True)
    if order is None:
        return "skipped: order gone"
    if order.status not in LATE_CREDIT_STATUSES:
        return f"skipped: order {order.status.value}"
    if uow.credit.granted_for_order(order.id, EntryKind.CREDIT_LATE_DELIVERY.value):
        return "skipped: already credited"
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    outcome = compensation.late_delivery_credit(ctx, order)
    if outcome.entries:
        record(uow, outcome)
        return "fired: late delivery credit"
    due = compensation.late_delivery_due(ctx, order)
    if due is None or due <= ctx.now or not ctx.policy.compensation.late_credit_for(order.currency):
        return "skipped: delivered in time"
    record(uow, Outcome(timers=[TimerRequest(order_timers.LATE_DELIVERY_CREDIT, order.id, due)]))
    return f"postponed: {due.isoformat()}"


def compensation_debt_due(deps: Deps, uow: UnitOfWork, dispute_id: str) -> str:
    """The day a counterfeit compensation the seller's balance could not pay was due."""
    dispute = uow.disputes.get(dispute_id)
    order = uow.orders.get(dispute.order_id) if dispute else None
    if dispute is None or order is None:
        return "skipped: dispute gone"
    return refunds.debt_overdue(deps, uow, order, dispute_id=dispute.id,
                                reason="counterfeit_compensation")  # fmt: skip
