"""Sending notifications through the outbox, as webhooks are sent.

The sender leases due messages in one short transaction (``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL, the single write lock on SQLite), hands each to the mailer outside
any transaction, and books each answer in a transaction of its own. A worker that dies
after claiming leaves its messages queued until the lease runs out; then any worker sends
them. A worker booking after its lease ran out books nothing: the message's attempt count
(raised by every claim) no longer matches the one it claimed, so it cannot overwrite the
answer of the worker that claimed it since. A message refused for good (a 5xx answer)
fails at once; any other failure is tried again with backoff for three days.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from refundkit.domain.notifications import LEASE, NotificationStatus, next_attempt
from refundkit.service.deps import Deps
from refundkit.service.notification_records import Mailer, MailResult, Notification, OutgoingMail
from refundkit.service.ports import UnitOfWork
from refundkit.service.transactions import run

log = logging.getLogger("refundkit.mail")
SEND_BATCH = 5
MESSAGE_WORST_CASE = timedelta(seconds=90)
"""How long one message can hold a sender: the SMTP timeout (10 s) is per socket operation,
and a message takes about eight (connect, EHLO, STARTTLS, login, MAIL, RCPT, DATA, QUIT).
A batch's worst case (5 x 90 s) ends well inside its lease (10 min); a sender whose lease
would end before one more message could finish stops and leaves the rest to the next
turn (they are due again when the lease runs out)."""


def send_due(deps: Deps, mailer: Mailer) -> int:
    """Lease due messages, send them outside any transaction, book each result."""
    now = deps.clock.now()
    lease_until = now + LEASE
    due = run(deps, lambda uow: uow.notifications.claim_due(now, lease_until, SEND_BATCH))
    for message in due:
        if deps.clock.now() + MESSAGE_WORST_CASE > lease_until:
            break
        result = _send(mailer, message)
        _book_in_transaction(deps, message, result, mailer.channel)
    return len(due)


def _send(mailer: Mailer, message: Notification) -> MailResult:
    """The mailer's answer; a mailer that raises (it should not) is one failed attempt of
    this message, booked with backoff, never a batch left leased and tried without end."""
    try:
        return mailer.send(OutgoingMail(message.id, message.email, message.subject,
                                        message.body))  # fmt: skip
    except Exception as failure:
        log.exception("mailer %s failed on %s", mailer.channel, message.id)
        return MailResult(False, False, f"{type(failure).__name__}: {failure}")


def _book_in_transaction(deps: Deps, message: Notification, result: MailResult,
                         channel: str) -> None:  # fmt: skip
    run(deps, lambda uow: _book(deps, uow, message, result, channel))


def _book(deps: Deps, uow: UnitOfWork, message: Notification, result: MailResult,
          channel: str) -> None:  # fmt: skip
    now = deps.clock.now()
    if result.sent:
        uow.notifications.finish(message.id, message.attempts, NotificationStatus.SENT,
                                 channel=channel, next_attempt_at=now, sent_at=now,
                                 error=None)  # fmt: skip
        return
    retry_at = None if result.permanent else next_attempt(message.attempts, message.created_at,
                                                          now)  # fmt: skip
    status = NotificationStatus.FAILED if retry_at is None else NotificationStatus.QUEUED
    uow.notifications.finish(message.id, message.attempts, status, channel=None,
                             next_attempt_at=retry_at or now, sent_at=None,
                             error=result.error)  # fmt: skip
