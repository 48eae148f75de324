"""Request and response bodies. Money travels as a decimal string beside its currency."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from refundkit.domain.ledger import EntryKind
from refundkit.domain.money import (
    CurrencyCatalog,
    format_minor,
    parse_major,
    parse_positive_major,
)
from refundkit.domain.refunds import PaymentMethod, Refund, RefundStatus
from refundkit.domain.roles import Role
from refundkit.service.records import StoredEvent, Tier, User

ItemT = TypeVar("ItemT")


class Body(BaseModel):
    """Unknown fields are refused, so a typo or a smuggled field never passes silently; no
    text may hold a NUL character (PostgreSQL cannot store one)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if holds_nul(data):
            raise ValueError("text may not contain NUL (\\u0000) characters")
        return data


def holds_nul(data: Any) -> bool:
    """Whether any text in ``data`` (keys included) holds NUL; walked with a stack, not by
    recursion, so no nesting can overflow it."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def _iso_8601(value: Any) -> Any:
    """A time in the query is an ISO 8601 string, not a number read as Unix seconds."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError("expected an ISO 8601 time, e.g. 2026-12-01T09:00:00Z")
    return value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_8601)]


MoneyText = Field(description='Decimal string in major units, e.g. "12.34"', max_length=32)


class UserIn(Body):
    role: Literal["buyer", "seller", "agent", "admin"]
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    country: str = Field(max_length=2)
    tier: Literal["standard", "gold", "platinum", "diamond"] | None = None


class UserOut(BaseModel):
    id: str
    object: Literal["user"] = "user"
    role: Role
    name: str
    email: str
    country: str
    tier: Tier | None
    created_at: datetime
    api_key: str | None = None

    @classmethod
    def of(cls, user: User, api_key: str | None = None) -> UserOut:
        return cls(
            id=user.id,
            role=user.role.value,
            name=user.name,
            email=user.email,
            country=user.country,
            tier=user.tier.value if user.tier else None,
            created_at=user.created_at,
            api_key=api_key,
        )


class ItemIn(Body):
    sku: str = Field(max_length=100)
    title: str = Field(max_length=500)
    quantity: int
    unit_price: str = MoneyText
    category: str | None = Field(default=None, min_length=1, max_length=64)
    """The shop's category of the item; returnless rules may name categories."""


class AddressIn(Body):
    country: str = Field(max_length=2)
    city: str = Field(max_length=200)
    postcode: str | None = Field(default=None, max_length=32)


class OrderIn(Body):
    buyer_id: str = Field(max_length=40)
    seller_id: str = Field(max_length=40)
    currency: str = Field(max_length=3)
    items: list[ItemIn] = Field(max_length=100)
    shipping_fee: str = MoneyText
    payment_method: Literal["card", "wallet"]
    ship_to: AddressIn
    promised_delivery_days: int
    handling_days: int | None = None


class PayIn(Body):
    payment_reference: str | None = Field(default=None, max_length=200)


class ReasonIn(Body):
    reason: str = Field(
        default="", max_length=1000, description="Optional: why, for the other party."
    )


class RequiredReasonIn(Body):
    reason: str = Field(min_length=1, max_length=1000, description="Why (required).")


class RefundIn(Body):
    amount: str = Field(
        description="Amount to refund, in major units of the order's currency, as a string "
        '("12.50"); at most what is still refundable.'
    )
    reason: str = Field(min_length=1, max_length=1000)


class EmptyIn(Body):
    pass


class ShipIn(Body):
    carrier: str = Field(max_length=100)
    tracking_number: str = Field(max_length=100)


class ExtensionIn(Body):
    days: int


class ClockAdvanceIn(Body):
    days: int = Field(default=0, ge=0, le=3650)
    hours: int = Field(default=0, ge=0, le=87600)
    minutes: int = Field(default=0, ge=0, le=5_256_000)


class TrackingEventIn(Body):
    carrier: str = Field(max_length=100)
    tracking_number: str = Field(max_length=100)
    status: Literal[
        "info_received", "in_transit", "out_for_delivery", "delivered", "exception",
        "returned_to_sender",
    ]  # fmt: skip
    country: str = Field(max_length=2)
    city: str = Field(max_length=200)
    postcode: str | None = Field(default=None, max_length=32)
    # JSON has no datetime type: an ISO 8601 string with its offset is the only form.
    occurred_at: datetime = Field(strict=False)
    description: str | None = Field(default=None, max_length=1000)


class TrackingBatchIn(Body):
    events: list[TrackingEventIn] = Field(min_length=1, max_length=1000)


def money_text(catalog: CurrencyCatalog, minor: int, currency: str) -> str:
    return format_minor(minor, catalog.exponent(currency))


def minor_units(
    catalog: CurrencyCatalog, text: str, currency: str, field: str, *, positive: bool
) -> int:
    """An amount sent as a decimal string ("12.50"), in minor units of ``currency``; refused
    (with ``field`` named) if malformed, finer than the currency allows, or not positive
    when ``positive``."""
    parse = parse_positive_major if positive else parse_major
    return parse(text, currency, catalog.exponent(currency), field=field).minor


class EtaOut(BaseModel):
    earliest: datetime
    latest: datetime


class RefundOut(BaseModel):
    id: str
    object: Literal["refund"] = "refund"
    order_id: str
    amount: str
    currency: str
    status: RefundStatus
    method: PaymentMethod
    reason: str
    eta: EtaOut
    created_at: datetime
    execute_after: datetime
    succeeded_at: datetime | None
    failure_reason: str | None
    psp: str | None
    """The payment provider that executed the refund (``sandbox``, ``stripe``); null until
    it is executed."""
    psp_reference: str | None
    """The provider's own id of the refund (Stripe's ``re_...``); null until the provider
    made one."""
    line_amounts: list[str]
    """What the refund took from each item of the order, in order, then from shipping."""
    clawed_back: str
    """The part refunded after the seller was paid: taken back from the seller's balance (the
    platform covering what the balance could not), the rest came out of escrow."""
    destination: Literal["original", "store_credit"] = "original"
    """``original``: to the payment method (``method``); ``store_credit``: paid at once to the
    buyer's store credit, as the buyer chose (no provider, never cashed out)."""

    @classmethod
    def of(cls, catalog: CurrencyCatalog, refund: Refund) -> RefundOut:
        return cls(
            id=refund.id,
            order_id=refund.order_id,
            amount=money_text(catalog, refund.amount, refund.currency),
            currency=refund.currency,
            status=refund.status.value,
            method=refund.method.value,
            reason=refund.reason,
            eta=EtaOut(earliest=refund.eta.earliest, latest=refund.eta.latest),
            created_at=refund.created_at,
            execute_after=refund.execute_after,
            succeeded_at=refund.succeeded_at,
            failure_reason=refund.failure_reason,
            psp=refund.psp,
            psp_reference=refund.psp_reference,
            line_amounts=[money_text(catalog, a, refund.currency) for a in refund.line_amounts],
            clawed_back=money_text(catalog, refund.clawback_amount, refund.currency),
            destination=refund.destination.value,
        )


class EventOut(BaseModel):
    id: str
    type: str
    subject_id: str
    occurred_at: datetime
    actor_role: Role
    actor_id: str | None
    data: dict[str, Any]

    @classmethod
    def of(cls, event: StoredEvent) -> EventOut:
        return cls(
            id=event.id,
            type=event.type,
            subject_id=event.subject_id,
            occurred_at=event.occurred_at,
            actor_role=event.actor_role,
            actor_id=event.actor_id,
            data=event.data,
        )


class PostingOut(BaseModel):
    account: str
    currency: str
    amount: str


class EntryOut(BaseModel):
    id: str
    kind: EntryKind
    occurred_at: datetime
    order_id: str | None
    memo: str
    postings: list[PostingOut]


class ClockOut(BaseModel):
    now: datetime


class Page(BaseModel, Generic[ItemT]):
    """A page of a list (Stripe's shape); the spec names each kind (``OrderPage``, ...)."""

    object: Literal["list"] = "list"
    data: list[ItemT]
    has_more: bool = Field(description="More items lie beyond this page, in its direction.")


class EventPage(Page[EventOut]):
    pass


class RefundPage(Page[RefundOut]):
    pass


class EntryPage(Page[EntryOut]):
    pass
