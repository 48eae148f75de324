"""Notifications by email (issue 6), against a real SMTP server (aiosmtpd) on 127.0.0.1:
the buyer's reminders before the dispute window closes, sent on the right day, once, and
never for a confirmed or disputed order; a failing server is retried, not lost."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from market import Market
from refundkit.adapters.mail import SmtpMailer, parse_smtp_url
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.notifications import NotificationKind, NotificationStatus
from refundkit.domain.orders import timers as order_timers
from refundkit.service import disputes, mailing, orders, reminders
from refundkit.service.notification_records import Notification
from refundkit.service.records import DueTimer
from smtp_server import Mailbox, free_port, smtp_server

REMINDER = "days left to open a dispute"


@pytest.fixture
def mailbox(market: Market) -> Iterator[Mailbox]:
    with smtp_server() as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        yield box


def send(market: Market) -> int:
    """What the worker does each turn for mail."""
    assert market.deps.mailer is not None
    return mailing.send_due(market.deps, market.deps.mailer)


def stored(market: Market, kind: NotificationKind | None = None,
           order_id: str | None = None) -> list[Notification]:  # fmt: skip
    return market.messages(kind, order_id)


def reminders_in(box: Mailbox) -> list[str]:
    return [s for s in box.subjects() if REMINDER in s]


def test_the_buyer_is_reminded_5_and_2_days_before_the_window_closes(
    market: Market, mailbox: Mailbox
) -> None:
    order = market.shipped()  # window closes with the delivery deadline, 20 days on
    closes = order.deadlines.dispute_closes_at
    assert closes is not None
    market.advance_to(closes - timedelta(days=5, minutes=1))
    send(market)
    assert reminders_in(mailbox) == []
    market.advance(minutes=1)
    assert send(market) == 1
    [first] = mailbox.to(market.buyer.email)
    assert first["Subject"] == f"Order {order.id}: 5 days left to open a dispute"
    body = first.get_content()
    assert closes.isoformat() in body and "in 5 days" in body
    assert f"/orders/{order.id}" in body
    assert send(market) == 0  # sent once, not again on the next turn
    market.advance_to(closes - timedelta(days=2))
    send(market)
    assert reminders_in(mailbox) == [
        f"Order {order.id}: 5 days left to open a dispute",
        f"Order {order.id}: 2 days left to open a dispute",
    ]
    market.advance_to(closes + timedelta(days=1))
    send(market)
    assert len(reminders_in(mailbox)) == 2
    assert market.order(order.id).status.value == "completed"


def test_a_moved_window_moves_its_reminders(market: Market, mailbox: Mailbox) -> None:
    order = market.shipped()
    old_close = order.deadlines.dispute_closes_at
    assert old_close is not None
    market.advance(days=3)
    market.tx(lambda uow: orders.request_extension(market.deps, uow, market.buyer, order.id, 10))
    ext = market.order(order.id).extensions[0].id
    market.tx(lambda uow: orders.answer_extension(market.deps, uow, market.seller, order.id,
                                                  ext, True))  # fmt: skip
    market.advance_to(old_close - timedelta(days=1))
    send(market)
    assert reminders_in(mailbox) == []  # the old close's reminders did not fire
    new_close = market.order(order.id).deadlines.dispute_closes_at
    assert new_close == old_close + timedelta(days=10)
    market.advance_to(new_close - timedelta(days=2))
    send(market)
    body = mailbox.to(market.buyer.email)[0].get_content()
    assert len(reminders_in(mailbox)) == 2 and new_close.isoformat() in body


def test_no_reminder_for_a_confirmed_order(market: Market, mailbox: Mailbox) -> None:
    order = market.shipped()
    market.advance(days=1)
    market.tx(lambda uow: orders.confirm_receipt(market.deps, uow, market.buyer, order.id))
    market.advance(days=30)
    send(market)
    assert reminders_in(mailbox) == []
    assert stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER) == []


def test_no_reminder_for_a_disputed_order(market: Market, mailbox: Mailbox) -> None:
    order = market.shipped()
    market.advance(days=6)
    form = DisputeForm("not_received", None, False, 1000, False, "Nothing arrived.")
    market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                form, []))  # fmt: skip
    market.advance(days=30)
    send(market)
    assert reminders_in(mailbox) == []
    assert stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER) == []
    # The seller was told of the dispute, with the time to respond by.
    [opened] = stored(market, NotificationKind.DISPUTE_OPENED)
    assert opened.recipient_id == market.seller.id and "Respond by: " in opened.body


def test_a_reminder_timer_handled_twice_makes_one_message(market: Market) -> None:
    order = market.shipped()
    closes = order.deadlines.dispute_closes_at
    assert closes is not None
    due = closes - timedelta(days=5)
    market.advance_to(due - timedelta(minutes=1))
    timer = DueTimer(0, order_timers.DISPUTE_WINDOW_REMINDER, order.id, due)
    market.advance(minutes=1)  # the worker fires the real timer here
    results = [market.tx(lambda uow: reminders.remind_dispute_window(market.deps, uow, timer))
               for _ in range(2)]  # fmt: skip
    assert results == ["reminded", "reminded"]
    [message] = stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER)
    assert message.recipient_id == market.buyer.id


def test_two_senders_side_by_side_send_each_message_once(market: Market, mailbox: Mailbox) -> None:
    shipped = [market.shipped() for _ in range(12)]
    closes = shipped[0].deadlines.dispute_closes_at
    assert closes is not None
    market.advance_to(closes - timedelta(days=5))
    start = threading.Barrier(2)
    sent: list[int] = []

    def sender() -> None:
        start.wait()
        while (count := send(market)) > 0:
            sent.append(count)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [m["X-Refundkit-Notification"] for m in mailbox.got]
    assert len(ids) == 12 and len(set(ids)) == 12 and sum(sent) == 12
    assert all(n.status is NotificationStatus.SENT and n.attempts == 1
               for n in stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER))  # fmt: skip


def test_a_failing_smtp_server_is_retried_not_lost(market: Market) -> None:
    with smtp_server(["451 4.3.0 try again later", "421 4.4.2 busy"]) as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        order = market.shipped()
        market.advance_to(order.deadlines.dispute_closes_at - timedelta(days=5))  # type: ignore[operator]
        assert send(market) == 1
        [queued] = stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER)
        assert queued.status is NotificationStatus.QUEUED and "451" in (queued.last_error or "")
        assert send(market) == 0  # not due again yet: backoff
        market.advance(minutes=1)
        assert send(market) == 1  # 421: still queued
        market.advance(minutes=4)
        assert send(market) == 1
    [sent] = stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER)
    assert (sent.status, sent.attempts, sent.channel) == (NotificationStatus.SENT, 3, "smtp")
    assert box.tries == 3 and len(box.got) == 1


def test_a_server_that_is_down_gets_the_message_once_it_is_up(market: Market) -> None:
    port = free_port()
    market.deps.mailer = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{port}"))
    order = market.shipped()
    market.advance_to(order.deadlines.dispute_closes_at - timedelta(days=5))  # type: ignore[operator]
    send(market)
    [queued] = stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER)
    assert queued.status is NotificationStatus.QUEUED and "refused" in (queued.last_error or "")
    with smtp_server(port=port) as box:
        market.advance(minutes=1)
        assert send(market) == 1
    assert box.subjects() == [f"Order {order.id}: 5 days left to open a dispute"]


def test_a_mail_refused_for_good_fails_at_once(market: Market) -> None:
    with smtp_server(["550 5.1.1 no such mailbox"]) as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        order = market.shipped()
        market.advance_to(order.deadlines.dispute_closes_at - timedelta(days=5))  # type: ignore[operator]
        send(market)
        market.advance(days=1)
        send(market)
    [failed] = stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER)
    assert (failed.status, failed.attempts) == (NotificationStatus.FAILED, 1)
    assert box.tries == 1


def test_smtp_with_a_login(market: Market) -> None:
    with smtp_server(login=("mailer", "s3cret")) as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        order = market.shipped()
        market.advance_to(order.deadlines.dispute_closes_at - timedelta(days=5))  # type: ignore[operator]
        send(market)
    assert len(box.got) == 1


def test_without_smtp_the_mail_log_keeps_every_message(market: Market) -> None:
    from refundkit.adapters.mail import MailLog

    market.deps.mailer = MailLog()
    order = market.shipped()
    market.advance_to(order.deadlines.dispute_closes_at - timedelta(days=2))  # type: ignore[operator]
    send(market)
    found = stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER, order_id=order.id)
    assert [(n.status, n.channel) for n in found] == [(NotificationStatus.SENT, "log")] * 2


def test_a_delivered_scan_moves_the_reminders_to_its_window(
    market: Market, mailbox: Mailbox
) -> None:
    from refundkit.service import tracking
    from refundkit.service.records import TrackingScan

    order = market.shipped()
    market.advance(days=3)
    scan = TrackingScan("DHL", "T1", "delivered", "DE", "Berlin", "10115", market.now, None,
                        market.now)  # fmt: skip
    market.tx(lambda uow: tracking.ingest_scans(market.deps, uow, market.platform, [scan]))
    closes = market.order(order.id).deadlines.dispute_closes_at
    assert closes == market.now + timedelta(days=15)
    market.advance(days=30)
    send(market)
    sent = [m for m in mailbox.to(market.buyer.email) if REMINDER in str(m["Subject"])]
    assert [m["Subject"] for m in sent] == [
        f"Order {order.id}: 5 days left to open a dispute",
        f"Order {order.id}: 2 days left to open a dispute",
    ]
    assert all(closes.isoformat() in m.get_content() for m in sent)


def test_a_savepoint_rolled_back_forgets_its_events(market: Market) -> None:
    from refundkit.domain.events import Event
    from refundkit.domain.roles import Role

    order = market.paid()

    def note(n: int) -> Event:
        return Event("order.note", order.id, order.id, market.now, Role.SYSTEM, None, {"n": n})

    def failing(uow) -> None:  # type: ignore[no-untyped-def]
        with uow.savepoint():
            uow.events.add([note(2)])
            raise RuntimeError("a timer handler failed")

    def work(uow) -> None:  # type: ignore[no-untyped-def]
        uow.events.add([note(1)])
        with pytest.raises(RuntimeError):
            failing(uow)
        uow.events.add([note(3)])

    market.tx(work)
    assert [e.data["n"] for e in market.events(order.id) if e.type == "order.note"] == [1, 3]


def test_a_message_claimed_by_a_worker_that_died_is_sent_after_its_lease(
    market: Market, mailbox: Mailbox
) -> None:
    order = market.shipped()
    market.advance_to(order.deadlines.dispute_closes_at - timedelta(days=5))  # type: ignore[operator]
    now = market.now
    [claimed] = market.tx(lambda uow: uow.notifications.claim_due(now, now + timedelta(minutes=2),
                                                                  10))  # fmt: skip
    # That worker died here, before sending or booking anything.
    assert send(market) == 0  # leased: not due for the others
    market.advance(minutes=2)
    assert send(market) == 1
    assert [m["X-Refundkit-Notification"] for m in mailbox.got] == [claimed.id]
    [sent] = stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER)
    assert (sent.status, sent.attempts) == (NotificationStatus.SENT, 2)


def test_no_reminder_for_a_refunded_order(market: Market) -> None:
    order = market.shipped()
    market.advance(days=2)
    market.refund(order.id, order.total)
    assert market.order(order.id).status.value == "refunded"
    market.advance(days=30)
    assert stored(market, NotificationKind.DISPUTE_WINDOW_REMINDER) == []
    told = {(n.kind, n.recipient_id) for n in stored(market, order_id=order.id)}
    assert (NotificationKind.REFUND_CREATED, market.buyer.id) in told
