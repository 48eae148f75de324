"""Escrow held for open disputes, per line (issue 18, item 4).

Each dispute that holds an order (``Order.dispute_holds``) keeps back, from each line and
then from the shipping fee, what it may still refund: for a dispute on named units, their
price and their share of shipping (``disputes.lines.cap_parts``), never more than what the
line may give back outside the other disputes' holds; for a whole-order dispute (None),
everything that is left. The holds never overlap, so:

- a dispute's refund comes out of its own hold (``disputes.lines.refund_dispute``), and
  any other refund out of what no dispute holds (``free_room``);
- at the order's normal release time the money no dispute holds goes to the seller and
  the holds stay in escrow (``lifecycle.complete``); when a dispute ends after that time,
  what it held and did not refund follows at once.
"""

from __future__ import annotations

from refundkit.domain.orders.model import Order, OrderStatus


def reserved(order: Order) -> list[int]:
    """What the disputes on named units hold of each line, then of shipping."""
    parts = [0] * (len(order.lines) + 1)
    for held in order.dispute_holds.values():
        if held is not None:
            parts = [a + b for a, b in zip(parts, held, strict=True)]
    return parts


def free_room(order: Order) -> list[int]:
    """What each line (then shipping) may still give back outside the holds on named units."""
    pairs = zip(order.refund_room_by_line, reserved(order), strict=True)
    return [max(0, room - held) for room, held in pairs]


def held_amount(order: Order) -> int:
    """What escrow keeps back for the disputes holding the order: their holds, or all that
    is left while a whole-order dispute holds it; and the advances sellers' balances made of
    their Fast Refunds (``Order.advanced_amount``), repaid to the balance when each ends."""
    if any(held is None for held in order.dispute_holds.values()):
        return sum(order.refund_room_by_line) + order.advanced_amount
    return sum(reserved(order)) + order.advanced_amount


def hold(order: Order, dispute_id: str, parts: tuple[int, ...] | None) -> None:
    order.dispute_holds[dispute_id] = parts


def lift(order: Order, dispute_id: str) -> bool:
    """The dispute no longer holds the order; True if it did."""
    return order.dispute_holds.pop(dispute_id, ()) != ()


def take(order: Order, dispute_id: str, parts: tuple[int, ...]) -> None:
    """A refund of ``parts`` made for the dispute comes off its hold (on named units)."""
    held = order.dispute_holds.get(dispute_id)
    if held is not None:
        order.dispute_holds[dispute_id] = tuple(
            max(0, h - p) for h, p in zip(held, parts, strict=True)
        )


def partly_released(order: Order) -> bool:
    """Its release time came while disputes held it: the rest went to the seller, the holds
    stayed in escrow (what each ends with follows it at once)."""
    return order.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED) and (
        order.released_at is not None
    )
