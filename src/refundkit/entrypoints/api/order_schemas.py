"""The order as the API shows it: its lines, amounts, deadlines, extensions, flags and what
each party may do next."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from refundkit.domain.money import CurrencyCatalog
from refundkit.domain.orders.machine import OrderAction
from refundkit.domain.orders.model import ExtensionStatus, Order, OrderStatus, ProtectionExtension
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role
from refundkit.domain.tracking import Signal
from refundkit.entrypoints.api.chargeback_schemas import ChargebackOut
from refundkit.entrypoints.api.line_views import order_parts
from refundkit.entrypoints.api.schemas import Page, money_text
from refundkit.service.orders import OrderDetails


class NextActionOut(BaseModel):
    """Who may do what to the order now, by when, and what happens if nobody does."""

    actor: Role
    action: OrderAction
    due_by: datetime | None
    on_timeout: str | None


class ExtensionOut(BaseModel):
    id: str
    object: Literal["protection_extension"] = "protection_extension"
    order_id: str
    days: int
    status: ExtensionStatus
    requested_at: datetime
    respond_by: datetime
    decided_at: datetime | None

    @classmethod
    def of(cls, order: Order, x: ProtectionExtension) -> ExtensionOut:
        return cls(id=x.id, order_id=order.id, days=x.days, status=x.status.value,
                   requested_at=x.requested_at, respond_by=x.respond_by,
                   decided_at=x.decided_at)  # fmt: skip


class AddressOut(BaseModel):
    country: str
    city: str
    postcode: str | None


class AmountsOut(BaseModel):
    total: str
    paid: str
    refunded: str
    refundable: str
    released: str
    clawed_back: str
    charged_back: str
    commission: str


class DeadlinesOut(BaseModel):
    pay_by: datetime | None
    free_cancel_until: datetime | None
    ship_by: datetime | None
    cancel_respond_by: datetime | None
    delivery_deadline: datetime | None
    dispute_opens_at: datetime | None
    dispute_closes_at: datetime | None


class TrackingFlagOut(BaseModel):
    signal: Signal
    raised_at: datetime
    evidence: Any


class OrderOut(BaseModel):
    id: str
    object: Literal["order"] = "order"
    status: OrderStatus
    currency: str
    buyer_id: str
    seller_id: str
    items: list[dict[str, Any]]
    """Each item with its id, units (shipped, delivered, disputed, refunded) and amounts."""
    shipping_fee: str
    payment_method: PaymentMethod
    ship_to: AddressOut
    promised_delivery_days: int
    handling_days: int
    policy_version: str
    amounts: AmountsOut
    deadlines: DeadlinesOut
    carrier: str | None
    tracking_number: str | None
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    confirmed_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    protection_extensions: list[ExtensionOut]
    extension_days_granted: int
    tracking_flags: list[TrackingFlagOut]
    dispute_id: str | None
    disputes: list[dict[str, Any]]
    parcels: list[dict[str, Any]]
    late: bool
    chargebacks: list[ChargebackOut]
    """The buyer's bank reversing the payment (docs/chargebacks.md), oldest first."""
    next_actions: list[NextActionOut]

    @classmethod
    def of(cls, catalog: CurrencyCatalog, found: OrderDetails) -> OrderOut:
        order: Order = found.order

        def m(minor: int) -> str:
            return money_text(catalog, minor, order.currency)

        d = order.deadlines
        return cls(
            id=order.id,
            status=order.status.value,
            currency=order.currency,
            buyer_id=order.buyer_id,
            seller_id=order.seller_id,
            **order_parts(found, m),
            shipping_fee=m(order.shipping_fee),
            payment_method=order.payment_method.value,
            ship_to=AddressOut(country=order.ship_to.country, city=order.ship_to.city,
                               postcode=order.ship_to.postcode),
            promised_delivery_days=order.promised_delivery_days,
            handling_days=order.handling_days,
            policy_version=order.policy_version,
            amounts=AmountsOut(total=m(order.total), paid=m(order.paid_amount),
                               refunded=m(order.refunded_amount), refundable=m(order.refundable),
                               released=m(order.released_amount),
                               clawed_back=m(order.clawed_back_amount),
                               charged_back=m(order.charged_back_amount),
                               commission=m(order.commission_amount)),
            deadlines=DeadlinesOut(pay_by=d.pay_by, free_cancel_until=d.free_cancel_until,
                                   ship_by=d.ship_by, cancel_respond_by=d.cancel_respond_by,
                                   delivery_deadline=d.delivery_deadline,
                                   dispute_opens_at=d.dispute_opens_at,
                                   dispute_closes_at=d.dispute_closes_at),
            carrier=order.carrier,
            tracking_number=order.tracking_number,
            created_at=order.created_at,
            paid_at=order.paid_at,
            shipped_at=order.shipped_at,
            delivered_at=order.delivered_at,
            confirmed_at=order.confirmed_at,
            completed_at=order.completed_at,
            cancelled_at=order.cancelled_at,
            protection_extensions=[ExtensionOut.of(order, x) for x in order.extensions],
            extension_days_granted=order.extension_days_granted,
            tracking_flags=[
                TrackingFlagOut(signal=f.signal.value, raised_at=f.raised_at, evidence=f.evidence)
                for f in order.tracking_flags
            ],
            dispute_id=order.open_dispute_id,
            chargebacks=[ChargebackOut.of(catalog, cb) for cb in found.chargebacks],
            next_actions=[
                NextActionOut(actor=a.actor.value, action=a.action.value, due_by=a.due_by,
                              on_timeout=a.on_timeout)
                for a in found.next_actions
            ],
        )  # fmt: skip


class OrderPage(Page[OrderOut]):
    pass
