"""The items of an order as the API shows them: ids, units and money per item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from refundkit.domain.orders.lines import LineHolding


def item_out(h: LineHolding, m: Callable[[int], str]) -> dict[str, Any]:
    """An item with what its units went through and what they are worth (``m`` writes an
    amount of the order's currency)."""
    li = h.line
    return {
        "id": li.id, "sku": li.sku, "title": li.title, "quantity": li.quantity,
        "unit_price": m(li.unit_price), "total": m(li.total),
        "units": {"shipped": h.shipped, "delivered": h.delivered, "disputed": h.disputed,
                  "refunded": h.refunded},
        "amounts": {"total": m(li.total), "shipped": m(h.worth(h.shipped)),
                    "delivered": m(h.worth(h.delivered)), "disputed": m(h.worth(h.disputed)),
                    "refunded": m(h.refunded_amount), "refundable": m(h.refundable_amount)},
    }  # fmt: skip
