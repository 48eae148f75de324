"""The columns an order's read selects and how its line and extension rows become domain
objects (``order_repository.py`` maps the order itself)."""

from __future__ import annotations

from sqlalchemy.engine import RowMapping

from refundkit.adapters.db import tables as t
from refundkit.domain.orders.model import ExtensionStatus, OrderLine, ProtectionExtension

_DEADLINES = (
    "pay_by",
    "free_cancel_until",
    "ship_by",
    "cancel_respond_by",
    "delivery_deadline",
    "dispute_opens_at",
    "dispute_closes_at",
)
_MUTABLE = (
    "status",
    "paid_amount",
    "refunded_amount",
    "released_amount",
    "commission_amount",
    "clawed_back_amount",
    "charged_back_amount",
    "charged_back_from_escrow",
    "advanced_amount",
    "open_chargeback_id",
    "payment_reference",
    "paid_at",
    "cancel_requested_at",
    "cancel_reason",
    "cancelled_at",
    "shipped_at",
    "carrier",
    "tracking_number",
    "delivered_at",
    "confirmed_at",
    "completed_at",
    "released_at",
    "extension_days_granted",
    "dispute_holds",
    "tracking_flags",
    "escrow_hold_days",
)


_LINE_COLUMNS = [c.label(f"line_{c.name}") for c in t.order_lines.c if c.name != "order_id"]
_EXTENSION_COLUMNS = [
    c.label(f"ext_{c.name}") for c in t.protection_extensions.c if c.name != "order_id"
]


_LINE_FIELDS = ("sku", "title", "quantity", "unit_price", "item_id", "category")


def _line(row: RowMapping, prefix: str) -> tuple[OrderLine, int]:
    """A line and its cancelled units, from its columns (named with ``prefix``)."""
    line = OrderLine(*(row[f"{prefix}{name}"] for name in _LINE_FIELDS))
    return line, row[f"{prefix}cancelled"]


def line_refunds_of(stored: list[int] | None, lines: int, shipping: int) -> list[int]:
    """``Order.line_refunds`` from the order row: what was refunded of each line (the
    ``line_refunds`` column, null for none) and of shipping."""
    return [*(stored or [0] * lines), shipping]


def stored_line_refunds(line_refunds: list[int]) -> list[int] | None:
    """The ``line_refunds`` column for ``Order.line_refunds`` (its lines' part)."""
    by_line = line_refunds[:-1]
    return by_line if any(by_line) else None


def _extension(row: RowMapping, prefix: str) -> ProtectionExtension:
    return ProtectionExtension(
        id=row[f"{prefix}id"],
        days=row[f"{prefix}days"],
        status=ExtensionStatus(row[f"{prefix}status"]),
        requested_at=row[f"{prefix}requested_at"],
        respond_by=row[f"{prefix}respond_by"],
        decided_at=row[f"{prefix}decided_at"],
    )
