"""Reading an order's timeline inside a transaction that wrote events writes nothing early:
those events still get their object and their messages when the transaction commits."""

from __future__ import annotations

from market import Market
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.notifications import NotificationKind
from refundkit.service import disputes, notifications
from refundkit.service.ports import UnitOfWork


def test_a_timeline_read_mid_transaction_keeps_the_events_whole(market: Market) -> None:
    order = market.shipped()
    market.advance(days=6)
    form = DisputeForm("not_received", None, False, 1000, False, "Nothing arrived.")

    def open_then_read(uow: UnitOfWork) -> list[str]:
        disputes.open_dispute(market.deps, uow, market.buyer, order.id, form, [])
        return [e.type for e in uow.events.for_order(order.id, starting_after=None, limit=100)]

    seen = market.tx(open_then_read)
    assert "dispute.opened" in seen and seen[0] == "order.created"
    [opened] = [e for e in market.events(order.id) if e.type == "dispute.opened"]
    assert opened.object is not None and opened.object["object"] == "dispute"
    told, _ = market.tx(lambda uow: notifications.list_notifications(
        uow, market.platform, user_id=None, order_id=order.id,
        kind=NotificationKind.DISPUTE_OPENED.value, starting_after=None, limit=10))  # fmt: skip
    assert [n.recipient_id for n in told] == [market.seller.id]


def test_a_timeline_read_mid_transaction_pages_in_order(market: Market) -> None:
    order = market.shipped()
    market.advance(days=6)
    form = DisputeForm("not_received", None, False, 1000, False, "Nothing arrived.")
    before = [e.id for e in market.events(order.id)]

    def open_then_page(uow: UnitOfWork) -> tuple[list[str], list[str]]:
        disputes.open_dispute(market.deps, uow, market.buyer, order.id, form, [])
        first = [e.id for e in uow.events.for_order(order.id, starting_after=None, limit=2)]
        rest = [e.id for e in uow.events.for_order(order.id, starting_after=first[-1],
                                                  limit=100)]  # fmt: skip
        return first, rest

    first, rest = market.tx(open_then_page)
    assert first + rest == [e.id for e in market.events(order.id)]
    assert first == before[:2] and len(rest) > len(before) - 2
