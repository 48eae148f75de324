"""Refunds: the one use case that refunds an order outside a dispute, executing refunds at
the PSP, and reading them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from refundkit.domain.context import SYSTEM_ACTOR, Outcome
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.ledger import (
    PSP_CLEARING,
    REFUNDS_IN_FLIGHT,
    EntryKind,
    JournalEntry,
    Move,
    escrow_account,
    journal_entry,
    seller_debt_account,
)
from refundkit.domain.money import AmountText, money_of
from refundkit.domain.orders import timers as timer_kinds
from refundkit.domain.orders.escrow import escrow_balance, undo_refund
from refundkit.domain.orders.model import Order
from refundkit.domain.orders.platform_refund import refund_by_platform
from refundkit.domain.refunds import (
    Refund,
    RefundStatus,
    mark_failed,
    mark_failed_after_success,
    mark_submitted,
    mark_succeeded,
)
from refundkit.service import rate_limits
from refundkit.service.access import actor_of, visible_order
from refundkit.service.deps import Deps
from refundkit.service.paging import window
from refundkit.service.ports import PspRefund, UnitOfWork
from refundkit.service.records import User
from refundkit.service.transactions import record

log = logging.getLogger(__name__)


def refund_order(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, amount: int | AmountText,
    reason: str,
) -> Refund:  # fmt: skip
    """A platform or agent refund outside any dispute. ``amount`` sent as text is parsed
    here, once, in the order's currency, after the order is read under its row lock."""
    order = visible_order(uow, user, order_id, for_update=True)
    money = money_of(amount, order.currency, deps.currencies, positive=True)
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    held = {escrow_account(order.id): escrow_balance(order)}  # derived, under the row lock
    outcome = refund_by_platform(ctx, order, money, reason)
    uow.orders.save(order)
    record(uow, outcome, held=held)
    rate_limits.charge(deps, uow, user, rate_limits.REFUND_MADE)
    return outcome.refunds[0]


def execute_refund(deps: Deps, uow: UnitOfWork, refund_id: str) -> str:
    """The timer after settlement: ask the PSP, keyed by the refund's id (retries are safe).

    The order's row is locked first (as every command on the order does), so a chargeback
    opening on the order waits for this call, or this call sees it and holds the refund."""
    order = uow.orders.get_by_refund(refund_id, for_update=True)
    refund = uow.refunds.get(refund_id, for_update=True) if order is not None else None
    if refund is None or refund.status is not RefundStatus.PENDING or refund.executed_at:
        return "skipped: not awaiting execution"
    assert order is not None
    if order.open_chargeback_id is not None:
        # The bank is repaying the buyer: sent only if the chargeback is won (it reschedules).
        return f"held: chargeback {order.open_chargeback_id} is open"
    now = deps.clock.now()
    answer = deps.payments.refund(
        idempotency_key=refund.id,
        order_id=order.id,
        payment_reference=order.payment_reference,
        amount=refund.amount,
        currency=refund.currency,
        method=refund.method,
        buyer_country=order.buyer_country,
        now=now,
    )
    return _apply_psp_answer(deps, uow, refund, answer, submitted=True)


def poll_refund(deps: Deps, uow: UnitOfWork, refund_id: str) -> str:
    refund = uow.refunds.get(refund_id, for_update=True)
    if refund is None or refund.status is not RefundStatus.PENDING or not refund.psp_reference:
        return "skipped: not in flight"
    answer = deps.payments.refund_status(refund.psp_reference, deps.clock.now())
    return _apply_psp_answer(deps, uow, refund, answer, submitted=False)


def _apply_psp_answer(
    deps: Deps, uow: UnitOfWork, refund: Refund, answer: PspRefund, *, submitted: bool
) -> str:
    now = deps.clock.now()
    if submitted:
        mark_submitted(refund, psp=deps.payments.name, psp_reference=answer.psp_reference,
                       eta=answer.eta or refund.eta, now=now)  # fmt: skip
    outcome = Outcome()
    if answer.status == "succeeded":
        mark_succeeded(refund, now=now)
        outcome.entries.append(
            _entry(
                deps,
                refund,
                EntryKind.REFUND_PAID_OUT,
                Move(REFUNDS_IN_FLIGHT, PSP_CLEARING, refund.amount),
            )
        )
    elif answer.status == "failed":
        mark_failed(refund, reason=answer.failure_reason or "refused by the PSP", now=now)
        order = uow.orders.get(refund.order_id, for_update=True)
        assert order is not None
        moves = undo_refund(order, refund)
        uow.orders.save(order)
        outcome.entries.append(_entry(deps, refund, EntryKind.REFUND_REVERSED, *moves))
    else:
        poll_at = next_poll(refund, now)
        outcome.timers.append(TimerRequest(timer_kinds.REFUND_POLL, refund.id, poll_at))
    if refund.status is not RefundStatus.PENDING:
        outcome.events.append(
            Event(
                f"refund.{refund.status.value}",
                refund.id,
                refund.order_id,
                now,
                SYSTEM_ACTOR.role,
                None,
                {"amount": refund.amount, "currency": refund.currency},
            )
        )
    uow.refunds.save(refund)
    record(uow, outcome)
    return f"refund {refund.status.value}"  # fmt: skip


def _failed_after_success(deps: Deps, uow: UnitOfWork, refund: Refund, answer: PspRefund) -> str:
    """Stripe may fail a refund it reported succeeded: the money comes back from the
    provider and goes where the refund took it from; the order is refundable again."""
    order = uow.orders.get(refund.order_id, for_update=True)
    assert order is not None
    now = deps.clock.now()
    mark_failed_after_success(refund, reason=answer.failure_reason or "failed at the PSP",
                              now=now)  # fmt: skip
    moves = [Move(PSP_CLEARING, REFUNDS_IN_FLIGHT, refund.amount), *undo_refund(order, refund)]
    uow.orders.save(order)
    uow.refunds.save(refund)
    data = {"amount": refund.amount, "currency": refund.currency, "after_success": True}
    event = Event("refund.failed", refund.id, refund.order_id, now, SYSTEM_ACTOR.role, None, data)
    entry = _entry(deps, refund, EntryKind.REFUND_REVERSED, *moves)
    record(uow, Outcome(events=[event], entries=[entry]))
    return f"refund {refund.id} failed after it had succeeded"


PENDING_POLL_EVERY = timedelta(hours=6)
"""A refund still pending at the provider is asked about again this often (its webhook may
have been lost); never before its earliest arrival date."""


def next_poll(refund: Refund, now: datetime) -> datetime:
    if refund.eta.earliest > now:
        return refund.eta.earliest
    return now + PENDING_POLL_EVERY


def _entry(deps: Deps, refund: Refund, kind: EntryKind, *moves: Move) -> JournalEntry:
    return journal_entry(
        entry_id=deps.ids.new("je"),
        kind=kind,
        occurred_at=deps.clock.now(),
        order_id=refund.order_id,
        currency=refund.currency,
        moves=moves,
        memo=f"refund {refund.id}",
    )


def list_refunds(
    uow: UnitOfWork, user: User, order_id: str, *, starting_after: str | None, limit: int,
    ending_before: str | None = None,
) -> tuple[Sequence[Refund], bool]:  # fmt: skip
    visible_order(uow, user, order_id)
    found = uow.refunds.list_for_order(order_id, starting_after=starting_after, limit=limit + 1,
                                       ending_before=ending_before)  # fmt: skip
    return window(found, limit, backwards=ending_before is not None)


def seller_debt_due(deps: Deps, uow: UnitOfWork, refund_id: str) -> str:
    """The day a clawed-back refund was due from the seller: if the seller still owes the
    platform in that currency, say so (the platform decides how to collect)."""
    refund = uow.refunds.get(refund_id)
    order = uow.orders.get(refund.order_id) if refund else None
    if refund is None or order is None:
        return "skipped: refund gone"
    return debt_overdue(deps, uow, order, refund_id=refund.id)


def debt_overdue(deps: Deps, uow: UnitOfWork, order: Order, **about: str) -> str:
    """The day money the seller owes on ``order`` was due: if the seller still owes the
    platform in its currency, ``seller.debt_overdue`` says so, with what it was for."""
    owed = -uow.ledger.balance(seller_debt_account(order.seller_id)).get(order.currency, 0)
    if owed <= 0:
        return "settled: the seller owes nothing"
    record(uow, Outcome(events=[Event(
        "seller.debt_overdue", order.seller_id, order.id, deps.clock.now(), SYSTEM_ACTOR.role,
        None, {"seller_id": order.seller_id, "owed": owed, "currency": order.currency, **about},
    )]))  # fmt: skip
    return f"overdue: the seller owes {owed}"


def provider_update(
    deps: Deps, uow: UnitOfWork, answer: PspRefund, *, refund_id: str | None, amount: int,
    currency: str,
) -> str:  # fmt: skip
    """The provider says what became of one of its refunds (a webhook): settle or fail ours.

    Found by the provider's id, else by our id in its metadata (the webhook may come while the
    transaction that executed the refund still holds its row: the lock makes it wait, and
    then the reference is there). Anything else changes nothing and says why."""
    refund = None
    if answer.psp_reference:
        refund = uow.refunds.by_psp_reference(answer.psp_reference, for_update=True)
    if refund is None and refund_id:
        refund = uow.refunds.get(refund_id, for_update=True)
        if refund is not None and refund.psp_reference != answer.psp_reference:
            if refund.executed_at is None:
                return "ignored: not executed here yet (the worker's retry, same key, reads it)"
            return "ignored: our refund names another provider refund"
    if refund is None:
        return "ignored: no refund of refundkit"
    if (refund.amount, refund.currency.lower()) != (amount, currency.lower()):
        log.warning("provider refund %s differs from ours %s", answer.psp_reference, refund.id)
        return f"ignored: the provider's amount differs from refund {refund.id}"
    if refund.status is RefundStatus.SUCCEEDED and answer.status == "failed":
        return _failed_after_success(deps, uow, refund, answer)
    if refund.status is not RefundStatus.PENDING:
        return f"ignored: refund {refund.id} already {refund.status.value}"
    if answer.status == "pending":
        return f"refund {refund.id} still pending"
    return _apply_psp_answer(deps, uow, refund, answer, submitted=False)
