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
from refundkit.service import mailing
from refundkit.service.notification_records import Mailer, MailResult, Notification, OutgoingMail
from smtp_server import Mailbox, smtp_server


@pytest.fixture
def mailbox(market: Market) -> Iterator[Mailbox]:
    with smtp_server() as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        yield box


def reminders(market: Market) -> list[Notification]:
    return market.messages(NotificationKind.DISPUTE_WINDOW_REMINDER)


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


def a_message_with_a_broken_subject(market: Market) -> Notification:
    """A subject with a line break: no mail header can hold it."""
    now = market.now
    message = Notification(
        id=market.deps.ids.new("ntf"), kind=NotificationKind.DISPUTE_OUTCOME,
        subject_id="dsp_x", recipient_id=market.buyer.id, occasion="test",
        email=market.buyer.email, subject="Decided\r\nBcc: everyone@example.com",
        body="Body", order_id=None, dispute_id=None, status=NotificationStatus.QUEUED,
        channel=None, attempts=0, next_attempt_at=now, last_error=None, created_at=now,
        sent_at=None,
    )  # fmt: skip
    market.tx(lambda uow: uow.notifications.add_all([message]))
    return message


def booked(market: Market, notification_id: str) -> Notification:
    found = market.tx(lambda uow: uow.notifications.get(notification_id))
    assert found is not None
    return found


def test_a_message_the_smtp_mailer_cannot_build_is_a_failed_attempt_with_backoff(
    market: Market, mailbox: Mailbox
) -> None:
    message = a_message_with_a_broken_subject(market)
    assert market.deps.mailer is not None
    assert mailing.send_due(market.deps, market.deps.mailer) == 1
    after = booked(market, message.id)
    assert (after.status, after.attempts) == (NotificationStatus.QUEUED, 1)
    assert after.next_attempt_at == market.now + timedelta(minutes=1)
    assert "ValueError" in (after.last_error or "") and mailbox.got == []


class BrokenMailer:
    channel = "smtp"

    def send(self, mail: OutgoingMail) -> MailResult:
        raise RuntimeError("the mailer broke")


def test_a_mailer_that_raises_books_a_failed_attempt_and_sends_the_rest(market: Market) -> None:
    with smtp_server() as box:
        mailer = SmtpMailer(parse_smtp_url(box.url))
        one_reminder_due(market)
        first = a_message_with_a_broken_subject(market)
        assert mailing.send_due(market.deps, BrokenMailer()) == 2
        for message in [booked(market, first.id), *reminders(market)]:
            assert (message.status, message.attempts) == (NotificationStatus.QUEUED, 1)
            assert message.next_attempt_at == market.now + timedelta(minutes=1)
            assert message.last_error == "RuntimeError: the mailer broke"
        market.advance(minutes=1)
        mailing.send_due(market.deps, mailer)
    [reminder] = reminders(market)
    assert reminder.status is NotificationStatus.SENT and len(box.got) == 1


def test_a_resent_mail_keeps_its_message_id(market: Market) -> None:
    with smtp_server(["451 4.3.0 try again later"]) as box:
        market.deps.mailer = SmtpMailer(parse_smtp_url(box.url))
        one_reminder_due(market)
        mailing.send_due(market.deps, market.deps.mailer)
        market.advance(minutes=1)
        mailing.send_due(market.deps, market.deps.mailer)
    [message] = reminders(market)
    [mail] = box.got
    assert box.tries == 2 and message.attempts == 2
    assert mail["Message-ID"] == f"<{message.id}@refundkit>"
