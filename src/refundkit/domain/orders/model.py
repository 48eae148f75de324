"""The order aggregate: what was bought, what happened, and every deadline, stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from refundkit.domain.money import Money
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.tracking import Flag


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    EXPIRED = "expired"
    PAID = "paid"
    CANCEL_REQUESTED = "cancel_requested"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    REFUNDED = "refunded"


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    title: str
    quantity: int
    unit_price: int
    id: str = ""
    """The item's id (``li_...``), given when the order is placed; parcels and disputes name
    the units they hold by it."""
    category: str | None = None
    """The shop's category of the item (optional): returnless rules may name categories."""

    @property
    def total(self) -> int:
        return self.quantity * self.unit_price


class ParcelStatus(StrEnum):
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"


@dataclass
class Parcel:
    """Units of an order shipped together under one tracking number."""

    id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    delivery_deadline: datetime
    units: dict[str, int]
    """Item id -> units of that item in the parcel."""
    delivered_at: datetime | None = None
    """When a delivered scan dated after the shipment reached the carrier."""
    tracking_flags: list[Flag] = field(default_factory=list)

    @property
    def status(self) -> ParcelStatus:
        return ParcelStatus.DELIVERED if self.delivered_at else ParcelStatus.IN_TRANSIT


@dataclass(frozen=True, slots=True)
class Address:
    country: str
    city: str
    postcode: str | None = None


@dataclass
class ProtectionExtension:
    id: str
    days: int
    status: ExtensionStatus
    requested_at: datetime
    respond_by: datetime
    decided_at: datetime | None = None


@dataclass
class Deadlines:
    pay_by: datetime | None = None
    free_cancel_until: datetime | None = None
    ship_by: datetime | None = None
    cancel_respond_by: datetime | None = None
    delivery_deadline: datetime | None = None
    dispute_opens_at: datetime | None = None
    dispute_closes_at: datetime | None = None


@dataclass
class Order:
    id: str
    buyer_id: str
    seller_id: str
    buyer_country: str
    seller_country: str
    currency: str
    lines: list[OrderLine]
    shipping_fee: int
    payment_method: PaymentMethod
    ship_to: Address
    promised_delivery_days: int
    handling_days: int
    policy_version: str
    status: OrderStatus
    created_at: datetime
    deadlines: Deadlines = field(default_factory=Deadlines)
    paid_amount: int = 0
    refunded_amount: int = 0
    released_amount: int = 0
    commission_amount: int = 0
    clawed_back_amount: int = 0
    """Refunded after release: taken back from the seller, not from escrow."""
    charged_back_amount: int = 0
    """Lost to chargebacks: the bank gave it back to the buyer (never refundable again)."""
    charged_back_from_escrow: int = 0
    """The part of ``charged_back_amount`` recovered out of escrow (the rest came from the
    seller's balance, or the platform bore it)."""
    advanced_amount: int = 0
    """What sellers' balances advanced of its disputes' Fast Refunds and escrow still owes
    back (``disputes.advance``): escrow keeps it until each dispute ends."""
    open_chargeback_id: str | None = None
    """A chargeback (not an inquiry) is open: no refund, no release until it ends."""
    payment_reference: str | None = None
    paid_at: datetime | None = None
    cancel_requested_at: datetime | None = None
    cancel_reason: str | None = None
    cancelled_at: datetime | None = None
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    delivered_at: datetime | None = None
    confirmed_at: datetime | None = None
    completed_at: datetime | None = None
    released_at: datetime | None = None
    extension_days_granted: int = 0
    extensions: list[ProtectionExtension] = field(default_factory=list)
    dispute_holds: dict[str, tuple[int, ...] | None] = field(default_factory=dict)
    """Every dispute holding the order (open, or its appeal waiting for an agent), in the
    order they began to hold it: what escrow keeps back for it from each line, then from
    shipping (``domain/orders/holds.py``); None: a whole-order dispute, which holds all
    that is left."""
    tracking_flags: list[Flag] = field(default_factory=list)
    """Tracking signals raised on this order, each once, with its evidence."""
    parcels: list[Parcel] = field(default_factory=list)
    """Every parcel shipped, in shipping order; the first one's carrier, number and time are
    also the order's own ``carrier``, ``tracking_number`` and ``shipped_at``."""
    cancelled_units: dict[str, int] = field(default_factory=dict)
    """Item id -> units cancelled (and refunded) because they were not shipped in time."""
    line_refunds: list[int] = field(default_factory=list)
    """Refunded so far from each line, then from the shipping fee (one more entry)."""
    escrow_hold_days: int = 0
    """Days the seller's money stays held past the dispute window's close, set when the order
    is placed by the seller's standing then (``seller_standing.*.extra_escrow_hold_days``)."""
    version: int = 0

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines) + self.shipping_fee

    @property
    def refundable(self) -> int:
        """What may still go back to the buyer: paid, less refunds pending or made and what
        chargebacks already gave back."""
        return self.paid_amount - self.refunded_amount - self.charged_back_amount

    # The amounts as ``Money`` in the order's currency: the domain's amount rules compute
    # with these; the int fields above are what the repository stores and the API renders.

    def money(self, minor: int) -> Money:
        """``minor`` units of this order's currency."""
        return Money(minor, self.currency)

    @property
    def total_money(self) -> Money:
        return self.money(self.total)

    @property
    def paid_money(self) -> Money:
        return self.money(self.paid_amount)

    @property
    def refundable_money(self) -> Money:
        return self.money(self.refundable)

    @property
    def commission_money(self) -> Money:
        return self.money(self.commission_amount)

    @property
    def refund_room_by_line(self) -> list[int]:
        """What each line (then the shipping fee) may still give back."""
        totals = [line.total for line in self.lines] + [self.shipping_fee]
        taken = self.line_refunds or [0] * len(totals)
        return [total - done for total, done in zip(totals, taken, strict=True)]

    @property
    def open_dispute_id(self) -> str | None:
        """The latest dispute holding the order (the order JSON's ``dispute_id``)."""
        return next(reversed(self.dispute_holds), None)

    @property
    def disputed(self) -> bool:
        """At least one dispute holds the order: it does not complete until the last ends."""
        return bool(self.dispute_holds)

    @property
    def pending_extension(self) -> ProtectionExtension | None:
        for extension in self.extensions:
            if extension.status is ExtensionStatus.PENDING:
                return extension
        return None

    def shipped_units(self, item_id: str) -> int:
        return sum(p.units.get(item_id, 0) for p in self.parcels)

    def units_to_ship(self, item_id: str) -> int:
        """Units of the item neither shipped nor cancelled."""
        line = self.line(item_id)
        assert line is not None
        return line.quantity - self.shipped_units(item_id) - self.cancelled_units.get(item_id, 0)

    @property
    def everything_shipped(self) -> bool:
        return all(self.units_to_ship(line.id) == 0 for line in self.lines)

    def parcel(self, parcel_id: str) -> Parcel | None:
        return next((p for p in self.parcels if p.id == parcel_id), None)

    def line(self, item_id: str) -> OrderLine | None:
        return next((line for line in self.lines if line.id == item_id), None)

    def extension(self, extension_id: str) -> ProtectionExtension | None:
        return next((e for e in self.extensions if e.id == extension_id), None)
