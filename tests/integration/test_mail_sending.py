"""Sending notification mail against a real SMTP server (aiosmtpd on 127.0.0.1): a sender
whose lease ran out cannot overwrite a newer claim's answer, which answers are final and
which are retried, and a mailer that breaks on one message books it as a failed attempt."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from market import Market
from refundkit.adapters.mail import SmtpMailer, parse_smtp_url
from refundkit.domain.notifications import LEASE, NotificationKind, NotificationStatus
from refundkit.service import mailing, notifications
from refundkit.service.notification_records import Mailer, MailResult, Notification, OutgoingMail
from smtp_server import Mailbox, smtp_server


@pytest.fixture
def mailbox(market: Market) -> Iterator[Mailbox]:
    with smtp_server() as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        yield box


def reminders(market: Market) -> list[Notification]:
    kind = NotificationKind.DISPUTE_WINDOW_REMINDER.value
    found, _ = market.tx(lambda uow: notifications.list_notifications(
        uow, market.platform, user_id=None, order_id=None, kind=kind, starting_after=None,
        limit=100))  # fmt: skip
    return found


def one_reminder_due(market: Market) -> None:
    order = market.shipped()
    closes = order.deadlines.dispute_closes_at
    assert closes is not None
    market.advance_to(closes - timedelta(days=5))


class LateSender:
    """A sender that stalls past its lease: meanwhile (the clock moved on) a second sender
    claims the same message and sends it; then the first one's answer comes back failed."""

    channel = "smtp"

    def __init__(self, market: Market, other: Mailer) -> None:
        self.market, self.other = market, other
        self.second_sent = 0

    def send(self, mail: OutgoingMail) -> MailResult:
        clock = self.market.rt.sandbox_clock
        assert clock is not None
        clock.set(self.market.now + LEASE + timedelta(seconds=1))
        self.second_sent = mailing.send_due(self.market.deps, self.other)
        return MailResult(False, False, "timed out")


def test_a_sender_whose_lease_ran_out_cannot_overwrite_the_next_claim(
    market: Market, mailbox: Mailbox
) -> None:
    one_reminder_due(market)
    assert market.deps.mailer is not None
    late = LateSender(market, market.deps.mailer)
    assert mailing.send_due(market.deps, late) == 1
    assert late.second_sent == 1
    [message] = reminders(market)
    # The late "failed" answer of the first claim did not re-queue the sent message.
    assert (message.status, message.attempts, message.last_error) == (
        NotificationStatus.SENT, 2, None)  # fmt: skip
    market.advance(days=1)
    assert mailing.send_due(market.deps, market.deps.mailer) == 0
    assert len(mailbox.got) == 1


def test_a_wrong_smtp_password_is_retried_not_failed_for_good(market: Market) -> None:
    with smtp_server(login=("mailer", "s3cret")) as box:
        wrong = box.url.replace("s3cret", "wrong")
        market.deps.mailer = SmtpMailer(parse_smtp_url(wrong))
        one_reminder_due(market)
        assert mailing.send_due(market.deps, market.deps.mailer) == 1
        [queued] = reminders(market)
        assert queued.status is NotificationStatus.QUEUED and "535" in (queued.last_error or "")
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))  # the password is fixed
        market.advance(minutes=1)
        assert mailing.send_due(market.deps, market.deps.mailer) == 1
    [sent] = reminders(market)
    assert (sent.status, sent.attempts) == (NotificationStatus.SENT, 2) and len(box.got) == 1


def test_a_refused_sender_is_retried_not_failed_for_good(market: Market) -> None:
    with smtp_server(sender_reply="553 5.7.1 sender address rejected") as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        one_reminder_due(market)
        mailing.send_due(market.deps, market.deps.mailer)
    [queued] = reminders(market)
    assert queued.status is NotificationStatus.QUEUED and "553" in (queued.last_error or "")
    assert queued.next_attempt_at == market.now + timedelta(minutes=1)


@contextmanager
def refusing_greeting(reply: bytes) -> Iterator[int]:
    """A server that greets every connection with ``reply`` (say, 554) and hangs up."""

    class Greeter(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.sendall(reply)

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Greeter) as server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            thread.join()


def test_a_554_greeting_is_retried_not_failed_for_good(market: Market) -> None:
    with refusing_greeting(b"554 5.3.2 no service for now\r\n") as port:
        market.deps.mailer = SmtpMailer(parse_smtp_url(f"smtp://127.0.0.1:{port}"))
        one_reminder_due(market)
        mailing.send_due(market.deps, market.deps.mailer)
    [queued] = reminders(market)
    assert queued.status is NotificationStatus.QUEUED and "554" in (queued.last_error or "")


def test_a_recipient_refused_at_data_fails_for_good(market: Market) -> None:
    with smtp_server(["554 5.7.1 message rejected"]) as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        one_reminder_due(market)
        mailing.send_due(market.deps, market.deps.mailer)
    [failed] = reminders(market)
    assert failed.status is NotificationStatus.FAILED and "554" in (failed.last_error or "")
