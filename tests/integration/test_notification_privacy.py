"""What the parties read of a failure is a plain sentence: the payment provider's reason for
a failed refund and the mail server's answer stay with the platform."""

from __future__ import annotations

from datetime import timedelta

from market import Market
from refundkit.adapters.mail import SmtpMailer, parse_smtp_url
from refundkit.domain.notifications import NotificationKind
from refundkit.domain.refunds import PaymentMethod, RefundStatus
from refundkit.service import mailing, notifications, orders
from refundkit.service.notification_records import Notification
from refundkit.service.records import User
from smtp_server import smtp_server


def seen_by(market: Market, user: User, kind: NotificationKind) -> list[Notification]:
    found, _ = market.tx(lambda uow: notifications.list_notifications(
        uow, user, user_id=None, order_id=None, kind=kind.value, starting_after=None,
        limit=100))  # fmt: skip
    return found


def test_a_failed_refund_message_does_not_quote_the_provider(market: Market) -> None:
    order = market.place(method=PaymentMethod.WALLET)
    market.pay(order.id, "sandbox_declined-1")
    market.tx(lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, ""))
    market.advance(hours=24)
    [refund] = market.refunds(order.id)
    assert refund.status is RefundStatus.FAILED and refund.failure_reason
    told = seen_by(market, market.platform, NotificationKind.REFUND_FAILED)
    assert {n.recipient_id for n in told} == {market.buyer.id, market.seller.id}
    for message in told:
        assert refund.failure_reason not in message.body
        assert "could not pay the refund" in message.body


def test_only_the_platform_reads_the_mail_servers_answer(market: Market) -> None:
    with smtp_server(["451 4.3.0 mailbox busy at mx7.example"]) as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        order = market.shipped()
        closes = order.deadlines.dispute_closes_at
        assert closes is not None
        market.advance_to(closes - timedelta(days=5))
        mailing.send_due(market.deps, market.deps.mailer)
    kind = NotificationKind.DISPUTE_WINDOW_REMINDER
    [for_platform] = seen_by(market, market.platform, kind)
    [for_buyer] = seen_by(market, market.buyer, kind)
    assert "mx7.example" in (for_platform.last_error or "")
    assert for_buyer.last_error == notifications.NOT_YET_DELIVERED
    got = market.tx(lambda uow: notifications.get_notification(uow, market.buyer,
                                                               for_buyer.id))  # fmt: skip
    assert got.last_error == notifications.NOT_YET_DELIVERED
