"""Sending notification mail against a real SMTP server (aiosmtpd on 127.0.0.1): a sender
whose lease ran out cannot overwrite a newer claim's answer, which answers are final and
which are retried, and a mailer that breaks on one message books it as a failed attempt."""

from __future__ import annotations

from collections.abc import Iterator
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
