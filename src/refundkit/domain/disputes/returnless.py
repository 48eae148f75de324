"""Refund without return (issue 19, item 1): when the seller agrees to a refund that asks
for the goods back (accepting the buyer's request or the buyer's offer, or silent past the
answer deadline), a policy rule may waive the return for cheap goods. The seller's own
limits only narrow the policy: both must agree."""

from __future__ import annotations

from refundkit.domain.context import Context
from refundkit.domain.credit_policy import ReturnlessRule, SellerReturnless
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.orders.model import Order, OrderLine


def goods_back(order: Order, d: Dispute) -> list[tuple[OrderLine, int]]:
    """The items (and units) that would come back: the dispute's units, else every item."""
    if d.units:
        return [(line, d.units[line.id]) for line in order.lines if d.units.get(line.id)]
    return [(line, line.quantity) for line in order.lines]


def _covers(
    limit: int | None, reasons: frozenset[str] | None, categories: frozenset[str] | None,
    price: int, reason: str, kinds: list[str | None],
) -> bool:  # fmt: skip
    if limit is None or price > limit:
        return False
    if reasons is not None and reason not in reasons:
        return False
    return not categories or all(kind in categories for kind in kinds)


def _seller_allows(seller: SellerReturnless | None, currency: str, price: int, reason: str,
                   kinds: list[str | None]) -> bool:  # fmt: skip
    if seller is None:
        return True
    limit = seller.limit_for(currency)
    return _covers(price if limit is None else limit, seller.reasons, seller.categories, price,
                   reason, kinds)  # fmt: skip


def waiving_rule(
    ctx: Context, order: Order, d: Dispute, seller: SellerReturnless | None
) -> ReturnlessRule | None:
    """The first rule of the order's policy that waives this dispute's return, if the
    seller's own limits allow it too; None: the goods go back."""
    back = goods_back(order, d)
    price = sum(line.unit_price * units for line, units in back)
    kinds = [line.category for line, _ in back]
    reason = d.reason.value
    for rule in ctx.policy.returnless.rules:
        if _covers(rule.limit_for(order.currency), rule.reasons, rule.categories, price, reason,
                   kinds):  # fmt: skip
            return rule if _seller_allows(seller, order.currency, price, reason, kinds) else None
    return None
