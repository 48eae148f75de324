"""Money moves of an order: into escrow, back to the buyer, out to the seller."""

from __future__ import annotations

from datetime import datetime

from refundkit.domain.context import Context, Outcome
from refundkit.domain.errors import AmountExceedsRefundable, ChargebackOpen
from refundkit.domain.events import Event, TimerRequest
from refundkit.domain.ledger import (
    PLATFORM_COMMISSION,
    PSP_CLEARING,
    REFUNDS_IN_FLIGHT,
    EntryKind,
    Move,
    escrow_account,
    journal_entry,
    seller_payable_account,
    store_credit_account,
)
from refundkit.domain.money import Money, allocate, basis_points_of
from refundkit.domain.orders import holds, timers
from refundkit.domain.orders.model import Order
from refundkit.domain.refunds import (
    Eta,
    Refund,
    RefundDestination,
    RefundStatus,
    plan_refund,
)


def escrow_balance(order: Order) -> int:
    """What escrow holds for the order, in its minor units (see ``escrow_held``): what was
    paid, less what refunds, chargebacks and releases took out of it. A refund's part that a
    seller's balance advanced (``Order.advanced_amount``) stays until it is repaid."""
    from_escrow = (order.refunded_amount - order.clawed_back_amount - order.advanced_amount
                   + order.charged_back_from_escrow)  # fmt: skip
    return order.paid_amount - from_escrow - order.released_amount


def escrow_unadvanced(order: Order) -> int:
    """What escrow holds for the order outside the advances it owes sellers' balances: all
    a refund or a chargeback may take from it."""
    return escrow_balance(order) - order.advanced_amount


def advance_from(balance: int, from_escrow: int, from_balance_already: int) -> int:
    """What a seller's balance of ``balance`` advances of the ``from_escrow`` part of a Fast
    Refund, after the ``from_balance_already`` the refund claws back from it: as much as it
    holds, never past that part, never taking it below zero (docs/decisions.md)."""
    return max(0, min(from_escrow, balance - from_balance_already))


def escrow_held(order: Order) -> Money:
    """What escrow holds for the order, in its currency."""
    return order.money(escrow_balance(order))


def _commission_on(ctx: Context, amount: Money) -> Money:
    """The platform's commission on ``amount`` (basis points, rounded half up)."""
    return Money(basis_points_of(amount.minor, ctx.policy.commission.basis_points),
                 amount.currency)  # fmt: skip


def hold_payment(ctx: Context, order: Order, amount: Money) -> Outcome:
    paid = order.paid_money + amount  # refuses another currency than the order's
    order.paid_amount = paid.minor
    entry = journal_entry(
        entry_id=ctx.ids.new("je"),
        kind=EntryKind.PAYMENT_HELD,
        occurred_at=ctx.now,
        order_id=order.id,
        currency=order.currency,
        moves=[Move(PSP_CLEARING, escrow_account(order.id), amount.minor)],
        memo="payment held in escrow",
    )
    return Outcome(entries=[entry])


def settles_at(ctx: Context, order: Order) -> datetime:
    assert order.paid_at is not None
    return order.paid_at + ctx.policy.payment.settlement


def refund_buyer(
    ctx: Context, order: Order, amount: Money, reason: str, *,
    parts: tuple[int, ...] | None = None,
    destination: RefundDestination = RefundDestination.ORIGINAL,
    escrow_at_most: int | None = None,
    advance_up_to: int = 0,
) -> Outcome:  # fmt: skip
    """Reserve a refund now; the PSP is called once the payment settles.

    What escrow still holds pays first. Past that (the seller was already paid), the rest is
    clawed back: from the seller's balance, less the platform's commission on it, which the
    platform gives back. If the seller's balance cannot pay, the platform covers the buyer at
    once and the seller owes it (the service records that cover, as it knows the balances).
    ``parts`` says what each line (then shipping) gives back, when the refund is for given
    units; else ``amount`` is split over what the lines may still give back.
    ``escrow_at_most``: the most escrow pays (the rest of a dispute's refund past its hold,
    once the undisputed money was released, is the seller's to pay back).
    ``advance_up_to``: what the seller's balance holds when a Fast Refund is taken from it
    first (``advance_from``): that part (``Refund.advanced``) comes from the balance and
    escrow keeps it (``Order.advanced_amount``) until the dispute ends; 0: none.

    Never while a chargeback is open on the order: the bank is repaying the buyer.

    To ``store_credit`` (the buyer chose it): the same money, from the same sources, goes
    into the buyer's credit at once; no provider is called and no timer is set."""
    refuse_while_charged_back(order)
    refund = plan_refund(
        refund_id=ctx.ids.new("re"),
        order_id=order.id,
        amount=amount,
        refundable=order.refundable_money,
        method=order.payment_method,
        reason=reason,
        now=ctx.now,
        settles_at=settles_at(ctx, order),
        buyer_country=order.buyer_country,
        policy=ctx.policy,
        calendar=ctx.calendar,
    )
    # The split: escrow pays first, the rest is clawed back from the seller, who is spared
    # the commission on it (never more than the platform took).
    from_escrow = min(amount, order.money(escrow_unadvanced(order)))
    if escrow_at_most is not None:
        from_escrow = min(from_escrow, order.money(escrow_at_most))
    clawback = amount - from_escrow
    commission_back = min(_commission_on(ctx, clawback), order.commission_money)
    refund.line_amounts = take_from_lines(order, amount.minor, parts)
    refund.clawback_amount = clawback.minor
    refund.commission_back = commission_back.minor
    if advance_up_to > 0:
        refund.advanced = advance_from(advance_up_to, from_escrow.minor,
                                       (clawback - commission_back).minor)  # fmt: skip
    order.refunded_amount += amount.minor
    order.clawed_back_amount += clawback.minor
    order.commission_amount -= commission_back.minor
    order.advanced_amount += refund.advanced
    if destination is RefundDestination.STORE_CREDIT:
        return _refund_to_credit(ctx, order, refund, reason, clawback.minor,
                                 commission_back.minor)  # fmt: skip
    entry = journal_entry(
        entry_id=ctx.ids.new("je"),
        kind=EntryKind.REFUND_RESERVED,
        occurred_at=ctx.now,
        order_id=order.id,
        currency=order.currency,
        moves=[Move(source, REFUNDS_IN_FLIGHT, part) for source, part in _sources(order, refund)],
        memo=f"refund {refund.id}: {reason}",
    )
    outcome = Outcome(
        events=[_refund_event(ctx, order, refund, "refund.created", reason=reason)],
        entries=[entry],
        refunds=[refund],
        timers=[TimerRequest(timers.REFUND_EXECUTE, refund.id, refund.execute_after)],
    )
    if clawback.is_positive:
        due = ctx.now + ctx.policy.refunds.seller_funds_within
        outcome.events.append(
            _refund_event(ctx, order, refund, "refund.clawed_back", seller_id=order.seller_id,
                          clawback=clawback.minor, commission_back=commission_back.minor,
                          seller_owes=(clawback - commission_back).minor,
                          due_at=due.isoformat())
        )  # fmt: skip
        outcome.timers.append(TimerRequest(timers.SELLER_DEBT_DUE, refund.id, due))
    return outcome


def _refund_to_credit(
    ctx: Context, order: Order, refund: Refund, reason: str, clawback: int, commission_back: int
) -> Outcome:
    refund.destination = RefundDestination.STORE_CREDIT
    refund.status = RefundStatus.SUCCEEDED
    refund.executed_at = refund.succeeded_at = refund.execute_after = ctx.now
    refund.eta = Eta(ctx.now, ctx.now)
    credit = store_credit_account(order.buyer_id)
    entry = journal_entry(
        entry_id=ctx.ids.new("je"), kind=EntryKind.REFUND_TO_CREDIT, occurred_at=ctx.now,
        order_id=order.id, currency=order.currency,
        moves=[Move(source, credit, part) for source, part in _sources(order, refund)],
        memo=f"refund {refund.id} to store credit: {reason}",
    )  # fmt: skip
    events = [
        _refund_event(ctx, order, refund, "refund.created", reason=reason,
                      destination=refund.destination.value),
        _refund_event(ctx, order, refund, "refund.succeeded", destination=refund.destination.value),
        Event("credit.granted", order.buyer_id, order.id, ctx.now, ctx.actor.role, ctx.actor.id,
              {"amount": refund.amount, "currency": order.currency, "kind": "refund",
               "buyer_id": order.buyer_id, "refund_id": refund.id, "entry_id": entry.id}),
    ]  # fmt: skip
    if clawback:
        events.append(_refund_event(ctx, order, refund, "refund.clawed_back",
                                    seller_id=order.seller_id, clawback=clawback,
                                    commission_back=commission_back,
                                    seller_owes=clawback - commission_back))  # fmt: skip
    return Outcome(events=events, entries=[entry], refunds=[refund])


def refuse_while_charged_back(order: Order) -> None:
    if order.open_chargeback_id is not None:
        raise ChargebackOpen(
            f"chargeback {order.open_chargeback_id} is open on this order: the buyer's bank "
            "is deciding; no refund or release until it ends",
            chargeback_id=order.open_chargeback_id,
        )


def undo_refund(order: Order, refund: Refund, advance_back: int = 0) -> list[Move]:
    """A refund the PSP refused: its money goes back where it came from (escrow, the
    seller's balance, the platform's commission) and it no longer counts against the order.
    ``advance_back``: the part of its advance still outstanding (``disputes.advance.void``),
    which goes back to the seller's balance; an advance already repaid made that part
    escrow's, so it goes back to escrow."""
    order.refunded_amount -= refund.amount
    order.clawed_back_amount -= refund.clawback_amount
    order.commission_amount += refund.commission_back
    order.advanced_amount -= advance_back
    give_back_to_lines(order, refund.line_amounts)
    return [Move(REFUNDS_IN_FLIGHT, source, part)
            for source, part in _sources(order, refund, advance_back)]  # fmt: skip


def _sources(order: Order, refund: Refund, advanced: int | None = None) -> list[tuple[str, int]]:
    """Where the refund's money came from: escrow, the seller's balance (the clawback less
    the commission given back, and the advance), the platform's commission."""
    advanced = refund.advanced if advanced is None else advanced
    return [
        (escrow_account(order.id), refund.amount - refund.clawback_amount - advanced),
        (seller_payable_account(order.seller_id),
         refund.clawback_amount - refund.commission_back + advanced),
        (PLATFORM_COMMISSION, refund.commission_back),
    ]  # fmt: skip


def _refund_event(ctx: Context, order: Order, refund: Refund, kind: str, **data: object) -> Event:
    return Event(
        kind,
        refund.id,
        order.id,
        ctx.now,
        ctx.actor.role,
        ctx.actor.id,
        {"amount": refund.amount, "currency": order.currency, **data},
    )


def take_from_lines(
    order: Order, amount: int, given: tuple[int, ...] | None = None
) -> tuple[int, ...]:
    """Split a refund over what each line (and the shipping fee) may still give back
    outside the disputes' holds, by largest remainder (or as ``given``, a dispute's refund
    out of its own hold): the parts add up to the cent and no line gives more than it holds."""
    room = order.refund_room_by_line
    if given is not None and (len(given) != len(room) or sum(given) != amount):
        raise AmountExceedsRefundable("the refund's parts do not add up to it")
    free = holds.free_room(order)
    if given is None and amount > sum(free):
        raise AmountExceedsRefundable("the refund would take money held for a dispute")
    parts = (
        list(given) if given is not None else allocate(amount, free) if amount else [0] * len(room)
    )
    if any(part > left for part, left in zip(parts, room, strict=True)):
        raise AmountExceedsRefundable("the refund does not fit what the lines hold")
    order.line_refunds = [
        done + part for done, part in zip(order.line_refunds or [0] * len(room), parts, strict=True)
    ]
    return tuple(parts)


def give_back_to_lines(order: Order, parts: tuple[int, ...]) -> None:
    """A refund that failed at the PSP no longer counts against its lines."""
    if parts and order.line_refunds:
        order.line_refunds = [done - part for done, part in zip(order.line_refunds, parts,
                                                                strict=True)]  # fmt: skip


def release_to_seller(ctx: Context, order: Order) -> Outcome:
    """Pay what is left in escrow to the seller, less the platform's commission; held while a
    chargeback is open (the bank may take it back). What disputes still hold stays (see
    ``holds``): ``funds_released`` then says how much was kept back."""
    refuse_while_charged_back(order)
    balance = escrow_held(order)
    kept = min(balance, order.money(holds.held_amount(order)))
    held = balance - kept
    if kept.is_positive and held.is_zero:
        return Outcome()
    fee = _commission_on(ctx, held)
    amount, commission = held.minor, fee.minor
    order.released_amount += amount
    order.commission_amount += commission
    order.released_at = ctx.now
    if held.is_zero:
        return Outcome()
    entry = journal_entry(
        entry_id=ctx.ids.new("je"),
        kind=EntryKind.FUNDS_RELEASED,
        occurred_at=ctx.now,
        order_id=order.id,
        currency=order.currency,
        moves=[
            Move(escrow_account(order.id), seller_payable_account(order.seller_id),
                 (held - fee).minor),
            Move(escrow_account(order.id), PLATFORM_COMMISSION, commission),
        ],
        memo="released to the seller less commission",
    )  # fmt: skip
    event = Event(
        "order.funds_released",
        order.id,
        order.id,
        ctx.now,
        ctx.actor.role,
        ctx.actor.id,
        {
            "amount": amount,
            "commission": commission,
            "seller_id": order.seller_id,
            **({"held_for_disputes": kept.minor} if kept.is_positive else {}),
        },
    )
    return Outcome(events=[event], entries=[entry])
