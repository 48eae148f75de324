"""What happens to the order and the books when the bank opens, decides or drops a
chargeback. Each command returns the outcome the service writes in one transaction.

The money (docs/decisions.md, "Chargebacks"):

- an inquiry moves nothing; the order stays refundable;
- a chargeback withdraws the disputed amount and the provider's fee (``chargeback:<id>``
  goes negative); while it is open nothing is refunded or released on the order;
- won: both come back (``chargeback_reinstated``);
- lost: refunds still waiting to be sent are canceled as far as the bank already repaid
  the buyer; the rest of the disputed amount counts against the order (never refundable
  again); it is recovered out of escrow while escrow holds it, else from the seller's
  balance, with the fee, unless the seller proved delivery (a delivered scan to the order's
  postcode): then the platform bears amount and fee. What the bank repaid twice (a refund
  had already given it back) the platform bears and claims back with the refund as evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from refundkit.domain.chargebacks.machine import move
from refundkit.domain.chargebacks.model import Chargeback, ChargebackAction, ChargebackStatus
from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes import advance
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.errors import ChargebackOpen, InvalidAmount, ValidationError
from refundkit.domain.events import Event
from refundkit.domain.ledger import (
    PLATFORM_CHARGEBACK_LOSSES,
    PSP_CLEARING,
    EntryKind,
    JournalEntry,
    Move,
    chargeback_account,
    escrow_account,
    journal_entry,
    seller_payable_account,
)
from refundkit.domain.orders.escrow import escrow_unadvanced, undo_refund
from refundkit.domain.orders.model import Order
from refundkit.domain.refunds import Refund, mark_canceled


def open_chargeback(
    ctx: Context, order: Order, *, chargeback_id: str, psp: str, psp_reference: str,
    amount: int | None, currency: str, reason: str, inquiry: bool, fee: int,
) -> tuple[Chargeback, Outcome]:  # fmt: skip
    if order.paid_at is None or order.paid_amount == 0:
        raise ValidationError("an order that was never paid cannot be charged back")
    if currency.upper() != order.currency:
        raise ValidationError(f"the order was paid in {order.currency}", field="currency")
    disputed = order.paid_amount if amount is None else amount
    if disputed <= 0 or disputed > order.paid_amount:
        raise InvalidAmount(f"a chargeback is of 1 to {order.paid_amount} (what was paid)")
    if fee < 0:
        raise InvalidAmount("a chargeback fee is not negative")
    chargeback = Chargeback(
        id=chargeback_id, order_id=order.id, psp=psp, psp_reference=psp_reference,
        status=ChargebackStatus.INQUIRY, amount=disputed, currency=order.currency,
        reason=reason, opened_at=ctx.now, fee=fee,
    )  # fmt: skip
    outcome = Outcome(events=[_event(ctx, chargeback, "chargeback.opened", inquiry=inquiry)])
    if not inquiry:
        chargeback.status = ChargebackStatus.NEEDS_RESPONSE
        outcome.merge(_withdraw(ctx, order, chargeback))
    return chargeback, outcome


def escalate(ctx: Context, order: Order, chargeback: Chargeback, fee: int) -> Outcome:
    """The inquiry became a chargeback."""
    move(chargeback, ChargebackAction.ESCALATE)
    chargeback.fee = max(fee, chargeback.fee)
    return _withdraw(ctx, order, chargeback)


def _withdraw(ctx: Context, order: Order, chargeback: Chargeback) -> Outcome:
    if order.open_chargeback_id not in (None, chargeback.id):
        raise ChargebackOpen(f"chargeback {order.open_chargeback_id} is already open")
    order.open_chargeback_id = chargeback.id
    chargeback.funds_withdrawn_at = ctx.now
    chargeback.suspended_dispute_id = order.open_dispute_id
    account = chargeback_account(chargeback.id)
    entries = [
        _entry(ctx, chargeback, EntryKind.CHARGEBACK_WITHDRAWN, "withdrawn by the bank",
               Move(account, PSP_CLEARING, chargeback.amount)),
        _entry(ctx, chargeback, EntryKind.CHARGEBACK_FEE, "the provider's chargeback fee",
               Move(account, PSP_CLEARING, chargeback.fee)),
    ]  # fmt: skip
    event = _event(ctx, chargeback, "chargeback.funds_withdrawn", fee=chargeback.fee,
                   suspended_dispute_id=chargeback.suspended_dispute_id)  # fmt: skip
    return Outcome(events=[event], entries=[e for e in entries if e is not None])


def respond(ctx: Context, chargeback: Chargeback, evidence: str) -> Outcome:
    move(chargeback, ChargebackAction.RESPOND)
    chargeback.evidence = evidence
    return Outcome(events=[_event(ctx, chargeback, "chargeback.updated", evidence=evidence)])


def close_inquiry(ctx: Context, chargeback: Chargeback) -> Outcome:
    move(chargeback, ChargebackAction.CLOSE_INQUIRY)
    chargeback.closed_at = ctx.now
    return Outcome(events=[_event(ctx, chargeback, "chargeback.closed")])


def win(ctx: Context, order: Order, chargeback: Chargeback) -> Outcome:
    move(chargeback, ChargebackAction.WIN)
    chargeback.closed_at = ctx.now
    order.open_chargeback_id = None
    back = _entry(ctx, chargeback, EntryKind.CHARGEBACK_REINSTATED, "reinstated: won",
                  Move(PSP_CLEARING, chargeback_account(chargeback.id),
                       chargeback.amount + chargeback.fee))  # fmt: skip
    assert back is not None
    return Outcome(
        events=[_event(ctx, chargeback, "chargeback.funds_reinstated"),
                _event(ctx, chargeback, "chargeback.closed")],
        entries=[back],
    )  # fmt: skip


def lose(
    ctx: Context, order: Order, chargeback: Chargeback, held: Sequence[Refund],
    *, seller_proved_delivery: bool, advancing: Sequence[Dispute] = (),
) -> Outcome:  # fmt: skip
    """``held``: the order's refunds not yet sent to the provider (newest first); those it
    cancels the caller saves. ``advancing``: the disputes whose advances those refunds carry
    (a Fast Refund from the seller's balance): a canceled one voids its advance, which the
    caller saves. Escrow pays the chargeback only from what it holds outside advances (they
    are the seller's, repaid when the suspended disputes close)."""
    move(chargeback, ChargebackAction.LOSE)
    chargeback.closed_at = ctx.now
    order.open_chargeback_id = None
    outcome = Outcome()
    for refund in held:
        if order.refunded_amount + order.charged_back_amount + chargeback.amount <= (
            order.paid_amount
        ):
            break
        by_id = {d.id: d for d in advancing}
        outcome.merge(_cancel(ctx, order, refund, chargeback,
                              by_id.get(refund.advance_dispute_id or "")))  # fmt: skip
    counted = min(chargeback.amount, order.refundable)
    chargeback.counted = counted
    order.charged_back_amount += counted
    account = chargeback_account(chargeback.id)
    whole = chargeback.amount + chargeback.fee
    if seller_proved_delivery:
        chargeback.borne_by_platform = whole
        moves = [Move(PLATFORM_CHARGEBACK_LOSSES, account, whole)]
        kind, memo = EntryKind.CHARGEBACK_BORNE, "lost; the seller proved delivery"
    else:
        from_escrow = min(counted, escrow_unadvanced(order))
        order.charged_back_from_escrow += from_escrow
        from_seller = counted - from_escrow + chargeback.fee
        chargeback.recovered_from_seller = from_seller
        chargeback.borne_by_platform = chargeback.amount - counted
        moves = [
            Move(escrow_account(order.id), account, from_escrow),
            Move(seller_payable_account(order.seller_id), account, from_seller),
            Move(PLATFORM_CHARGEBACK_LOSSES, account, chargeback.borne_by_platform),
        ]
        kind, memo = EntryKind.CHARGEBACK_RECOVERED, "lost; recovered from escrow and seller"
    entry = _entry(ctx, chargeback, kind, memo, *moves)
    assert entry is not None
    outcome.entries.append(entry)
    outcome.events.append(
        _event(ctx, chargeback, "chargeback.closed", counted=counted,
               recovered_from_seller=chargeback.recovered_from_seller,
               borne_by_platform=chargeback.borne_by_platform)
    )  # fmt: skip
    return outcome


def _cancel(
    ctx: Context, order: Order, refund: Refund, chargeback: Chargeback, d: Dispute | None
) -> Outcome:
    mark_canceled(refund, reason=f"the bank repaid the buyer (chargeback {chargeback.id})",
                  now=ctx.now)  # fmt: skip
    moves = undo_refund(order, refund, advance.void(refund, d))
    entry = journal_entry(
        entry_id=ctx.ids.new("je"), kind=EntryKind.REFUND_REVERSED, occurred_at=ctx.now,
        order_id=order.id, currency=order.currency, moves=moves,
        memo=f"refund {refund.id} canceled: chargeback {chargeback.id} lost",
    )  # fmt: skip
    event = Event("refund.canceled", refund.id, order.id, ctx.now, ctx.actor.role, ctx.actor.id,
                  {"amount": refund.amount, "currency": refund.currency,
                   "chargeback_id": chargeback.id})  # fmt: skip
    return Outcome(events=[event], entries=[entry])


def _entry(ctx: Context, chargeback: Chargeback, kind: EntryKind, memo: str,
           *moves: Move) -> JournalEntry | None:  # fmt: skip
    """The entry, or None when every move is zero (a chargeback without a fee)."""
    if not any(m.amount for m in moves):
        return None
    return journal_entry(
        entry_id=ctx.ids.new("je"), kind=kind, occurred_at=ctx.now,
        order_id=chargeback.order_id, currency=chargeback.currency, moves=moves,
        memo=f"chargeback {chargeback.id}: {memo}",
    )  # fmt: skip


def _event(ctx: Context, chargeback: Chargeback, kind: str, **data: object) -> Event:
    return Event(
        kind, chargeback.id, chargeback.order_id, ctx.now, ctx.actor.role, ctx.actor.id,
        {"status": chargeback.status.value, "amount": chargeback.amount,
         "currency": chargeback.currency, "reason": chargeback.reason,
         "psp_reference": chargeback.psp_reference, **data},
    )  # fmt: skip
