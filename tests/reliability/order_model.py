"""A simple model of DESIGN §2-4 for the model-based test: orders and disputes as plain
records, the rules of who may act when, and what each deadline does when it passes.

Deadlines the calendar computes (``ship_by``, in business days) are taken from the API when
it sets them; every other one the model computes itself and checks against the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

TOTAL = 3000  # 2 x 12.50 + 5.00 shipping, in cents
PAY_WITHIN = timedelta(hours=24)
FREE_CANCEL = timedelta(hours=24)
CANCEL_ANSWER = timedelta(hours=48)
PROMISED = timedelta(days=20)
OPENS_AFTER_SHIPMENT = timedelta(days=5)
CLOSES_AFTER_DELIVERY = timedelta(days=15)
SELLER_ANSWER = timedelta(days=5)
AUTO_ESCALATE = timedelta(days=15)
MAX_DISPUTES = 2

OPEN_DISPUTE = ("awaiting_seller", "negotiating", "escalated")


@dataclass
class MDispute:
    id: str
    order_id: str
    status: str
    requested: int
    opened_at: datetime
    offer: tuple[str, int] | None = None
    """The latest open offer: (role of who made it, amount)."""
    outcome: str | None = None
    refund_amount: int | None = None

    @property
    def respond_by(self) -> datetime:
        return self.opened_at + SELLER_ANSWER

    @property
    def escalate_at(self) -> datetime:
        return self.opened_at + AUTO_ESCALATE


@dataclass
class MOrder:
    id: str
    buyer: int
    seller: int
    placed_at: datetime
    status: str = "awaiting_payment"
    paid: int = 0
    refunded: int = 0
    paid_at: datetime | None = None
    ship_by: datetime | None = None
    cancel_requested_at: datetime | None = None
    shipped_at: datetime | None = None
    confirmed_at: datetime | None = None
    hold_lifted_at: datetime | None = None
    dispute: str | None = None
    disputes: list[str] = field(default_factory=list)

    @property
    def refundable(self) -> int:
        return self.paid - self.refunded

    @property
    def pay_by(self) -> datetime:
        return self.placed_at + PAY_WITHIN

    @property
    def free_cancel_until(self) -> datetime | None:
        return self.paid_at + FREE_CANCEL if self.paid_at else None

    @property
    def delivery_deadline(self) -> datetime | None:
        return self.shipped_at + PROMISED if self.shipped_at else None

    @property
    def dispute_opens_at(self) -> datetime | None:
        if self.shipped_at is None:
            return None
        opens = self.shipped_at + OPENS_AFTER_SHIPMENT
        return min(opens, self.confirmed_at) if self.confirmed_at else opens

    @property
    def dispute_closes_at(self) -> datetime | None:
        if self.confirmed_at is not None:
            return self.confirmed_at + CLOSES_AFTER_DELIVERY
        return self.delivery_deadline

    def completes_at(self) -> datetime | None:
        if self.status not in ("shipped", "delivered") or self.dispute is not None:
            return None
        closes = self.dispute_closes_at
        assert closes is not None
        return max(closes, self.hold_lifted_at) if self.hold_lifted_at else closes


class Model:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.orders: dict[str, MOrder] = {}
        self.disputes: dict[str, MDispute] = {}

    # --- what may be done -------------------------------------------------------------

    def may_open(self, o: MOrder, amount: int) -> bool:
        earlier = [self.disputes[d] for d in o.disputes]
        opens, closes = o.dispute_opens_at, o.dispute_closes_at
        return (
            o.status in ("shipped", "delivered")
            and o.dispute is None
            and opens is not None
            and closes is not None
            and opens <= self.now < closes
            and all(d.status == "withdrawn" for d in earlier)
            and len(earlier) < MAX_DISPUTES
            and 0 < amount <= o.refundable
        )

    # --- what happens ---------------------------------------------------------------------

    def refund(self, o: MOrder, amount: int) -> None:
        assert 0 <= amount <= o.refundable, "the model itself would over-refund"
        o.refunded += amount

    def settle(self, d: MDispute, amount: int) -> None:
        o = self.orders[d.order_id]
        refundable = o.refundable
        d.status, d.refund_amount, d.offer = "resolved", amount, None
        if amount == 0:
            d.outcome = "no_refund"
        else:
            d.outcome = "full_refund" if amount == refundable else "partial_refund"
        self.refund(o, amount)
        o.dispute = None
        if o.refundable == 0:
            o.status = "refunded"
        else:
            o.hold_lifted_at = self.now

    def withdraw(self, d: MDispute) -> None:
        o = self.orders[d.order_id]
        d.status, d.offer = "withdrawn", None
        o.dispute, o.hold_lifted_at = None, self.now

    def cancel_with_refund(self, o: MOrder) -> None:
        o.status = "cancelled"
        self.refund(o, o.refundable)

    def _next_due(self) -> tuple[datetime, int, object] | None:
        due: list[tuple[datetime, int, object]] = []
        for d in self.disputes.values():
            if d.status == "awaiting_seller":
                due.append((d.respond_by, 0, d))
            elif d.status == "negotiating":
                due.append((d.escalate_at, 0, d))
        for o in self.orders.values():
            at: datetime | None = None
            if o.status == "awaiting_payment":
                at = o.pay_by
            elif o.status == "paid":
                at = o.ship_by
            elif o.status == "cancel_requested":
                assert o.cancel_requested_at is not None and o.ship_by is not None
                at = min(o.cancel_requested_at + CANCEL_ANSWER, o.ship_by)
            else:
                at = o.completes_at()
            if at is not None:
                due.append((at, 1, o))
        return min(due, key=lambda x: (x[0], x[1])) if due else None

    def advance(self, to: datetime) -> None:
        """Every deadline up to ``to`` does its work, in order, each at its own time."""
        while (nxt := self._next_due()) is not None and nxt[0] <= to:
            at, _, thing = nxt
            self.now = max(self.now, at)
            if isinstance(thing, MDispute):
                if thing.status == "awaiting_seller":
                    self.settle(thing, thing.requested)
                else:
                    thing.status, thing.offer = "escalated", None
            else:
                assert isinstance(thing, MOrder)
                if thing.status == "awaiting_payment":
                    thing.status = "expired"
                elif thing.status in ("paid", "cancel_requested"):
                    self.cancel_with_refund(thing)
                else:
                    thing.status = "completed"
        self.now = to
