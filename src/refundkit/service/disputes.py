"""Use cases of disputes (DESIGN §3). Each runs inside the caller's transaction; the order
row is always locked before the dispute row, so two commands never wait on each other."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.chargebacks.suspension import refuse_while_suspended
from refundkit.domain.context import SYSTEM_ACTOR, Context, Outcome
from refundkit.domain.disputes import appeals, commands, returns, thread, timeouts
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.machine import DisputeAction, find_transition, next_actions
from refundkit.domain.disputes.model import Dispute, DisputeReason, DisputeStatus
from refundkit.domain.errors import (
    ConcurrentUpdate,
    Forbidden,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from refundkit.domain.machine import NextAction
from refundkit.domain.money import AmountText, Money, money_of
from refundkit.domain.orders.model import Order
from refundkit.domain.roles import Role
from refundkit.service import rate_limits, standing, tracking_signals
from refundkit.service.access import SEES_EVERYTHING, actor_of, visible_order
from refundkit.service.deps import Deps
from refundkit.service.paging import window
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import DisputeNote, User
from refundkit.service.transactions import record, seller_balance_locked


@dataclass(frozen=True, slots=True)
class DisputeDetails:
    """A dispute as a use case returns it: with its order's ``currency``, so an edge renders
    the amounts without reading the order again."""

    dispute: Dispute
    next_actions: list[NextAction[DisputeAction]]
    overdue: bool
    now: datetime
    currency: str


@dataclass(frozen=True, slots=True)
class DisputeRequest:
    """A dispute as an edge sends it: the requested refund still text, parsed by
    ``open_dispute`` in the order's currency once the order is locked."""

    reason: str
    sub_reason: str | None
    item_received: bool
    requested_refund: AmountText
    return_goods: bool
    description: str
    lines: tuple[tuple[str, int], ...] | None = None
    refund_destination: str = "original"


def details(deps: Deps, d: Dispute, currency: str) -> DisputeDetails:
    now = deps.clock.now()
    overdue = (
        d.status is DisputeStatus.ESCALATED and d.agent_due_by is not None and now >= d.agent_due_by
    )
    return DisputeDetails(d, next_actions(d, now), overdue, now, currency)


def _money(deps: Deps, amount: int | AmountText, order: Order, *, positive: bool = False) -> Money:
    """The one parse of an amount sent to a dispute command, in its order's currency."""
    return money_of(amount, order.currency, deps.currencies, positive=positive)


def may_see(user: User, d: Dispute) -> bool:
    if user.role in SEES_EVERYTHING:
        return True
    return (user.role is Role.BUYER and user.id == d.buyer_id) or (
        user.role is Role.SELLER and user.id == d.seller_id
    )


def visible_dispute(
    uow: UnitOfWork, user: User, dispute_id: str, *, for_update: bool = False
) -> Dispute:
    d = uow.disputes.get(dispute_id)
    if d is None or not may_see(user, d):
        raise NotFound(f"no dispute {dispute_id}")
    if not for_update:
        return d
    locked = uow.disputes.get(dispute_id, for_update=True)
    assert locked is not None
    return locked


def open_dispute(
    deps: Deps, uow: UnitOfWork, user: User, order_id: str, form: DisputeForm | DisputeRequest,
    evidence_ids: Sequence[str],
) -> DisputeDetails:  # fmt: skip
    order = visible_order(uow, user, order_id, for_update=True)
    if isinstance(form, DisputeRequest):
        form = DisputeForm(form.reason, form.sub_reason, form.item_received,
                           _money(deps, form.requested_refund, order, positive=True).minor,
                           form.return_goods, form.description, form.lines,
                           form.refund_destination)  # fmt: skip
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    earlier = uow.disputes.for_order(order.id)
    dispute, outcome = commands.open_dispute(ctx, order, earlier, form, len(set(evidence_ids)))
    outcome.merge(standing.on_new_dispute(deps, uow, ctx, dispute, order))
    uow.disputes.add(dispute)
    _attach(deps, uow, ctx, user, dispute.id, evidence_ids)
    record(uow, outcome)
    if dispute.reason is DisputeReason.NOT_RECEIVED and order.tracking_flags:
        record(uow, tracking_signals.resolve_not_received(deps, uow, order))
        dispute = uow.disputes.get(dispute.id) or dispute
    uow.orders.save(order)
    rate_limits.charge(deps, uow, user, rate_limits.DISPUTE_OPENED)
    return details(deps, dispute, order.currency)


def _act(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str,
    step: Callable[[Context, Dispute, Order], Outcome],
) -> DisputeDetails:  # fmt: skip
    found = visible_dispute(uow, user, dispute_id)
    order = uow.orders.get(found.order_id, for_update=True)
    d = uow.disputes.get(dispute_id, for_update=True)
    assert order is not None
    assert d is not None
    # While a chargeback is open, the table's guard refuses (``NO_CHARGEBACK``).
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    outcome = step(ctx, d, order)
    uow.disputes.save(d)
    uow.orders.save(order)
    record(uow, outcome)
    return details(deps, d, order.currency)


def accept(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str,
    refund_destination: str | None = None,
) -> DisputeDetails:  # fmt: skip
    return _act(deps, uow, user, dispute_id,
                lambda ctx, d, o: commands.accept(ctx, d, o, refund_destination))  # fmt: skip


def offer(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, amount: int | AmountText,
    return_goods: bool, note: str,
) -> DisputeDetails:  # fmt: skip
    def step(ctx: Context, d: Dispute, o: Order) -> Outcome:
        return commands.make_offer(ctx, d, o, _money(deps, amount, o), return_goods, note)

    made = _act(deps, uow, user, dispute_id, step)
    rate_limits.charge(deps, uow, user, rate_limits.OFFER_MADE)
    return made


def reject(deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, reason: str) -> DisputeDetails:
    return _act(deps, uow, user, dispute_id, lambda ctx, d, o: commands.reject(ctx, d, reason))


def escalate(deps: Deps, uow: UnitOfWork, user: User, dispute_id: str) -> DisputeDetails:
    return _act(
        deps, uow, user, dispute_id, lambda ctx, d, o: commands.escalate(ctx, d, o.buyer_country)
    )


def withdraw(deps: Deps, uow: UnitOfWork, user: User, dispute_id: str) -> DisputeDetails:
    return _act(deps, uow, user, dispute_id, commands.withdraw)


def decide(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, outcome: str,
    amount: int | AmountText | None, return_goods: bool, rationale: str,
) -> DisputeDetails:  # fmt: skip
    def step(ctx: Context, d: Dispute, o: Order) -> Outcome:
        money = None if amount is None else _money(deps, amount, o)
        return commands.decide(ctx, d, o, outcome, money, return_goods, rationale)

    return _act(deps, uow, user, dispute_id, step)


def request_evidence(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, party: str, note: str
) -> DisputeDetails:
    d = visible_dispute(uow, user, dispute_id, for_update=True)
    order = _order_of(uow, d)
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    request, outcome = thread.request_evidence(ctx, d, party, note)
    uow.disputes.add_evidence_request(request.id, d.id, request.party, request.requested_by,
                                      request.note, request.due_by, request.created_at)  # fmt: skip
    record(uow, outcome)
    return details(deps, d, order.currency)


def appeal(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, reason: str,
    evidence_ids: Sequence[str],
) -> DisputeDetails:  # fmt: skip
    """Once per dispute, by either party, within the appeal window, with new evidence: a
    support case for an agent (``appeals.appeal``, the table's row ``appeal``). It holds
    the order's money until the agent has answered."""

    def step(ctx: Context, d: Dispute, order: Order) -> Outcome:
        others = uow.disputes.for_order(order.id)
        made, outcome = appeals.appeal(ctx, d, order, reason, len(evidence_ids), others)
        uow.disputes.add_appeal(made)
        _attach(deps, uow, ctx, user, d.id, evidence_ids, "appeal")
        return outcome

    return _act(deps, uow, user, dispute_id, step)


def decide_appeal(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, *, uphold: bool,
    outcome: str | None, amount: int | AmountText | None, rationale: str,
) -> DisputeDetails:  # fmt: skip
    visible_dispute(uow, user, dispute_id)
    if user.role not in (Role.AGENT, Role.ADMIN):
        raise Forbidden("only an agent decides an appeal")

    def step(ctx: Context, d: Dispute, order: Order) -> Outcome:
        refuse_while_suspended(order)  # no row of the dispute table: refused here
        # Read under the order and dispute locks: two agents cannot both decide it.
        open_appeal = uow.disputes.open_appeal(d.id)
        if open_appeal is None:
            raise InvalidTransition("this dispute has no open appeal")
        if not uow.disputes.close_appeal(open_appeal["id"], "upheld" if uphold else "changed"):
            raise ConcurrentUpdate("the appeal was decided by someone else")
        money = None if amount is None else _money(deps, amount, order)
        return appeals.decide_appeal(ctx, d, order, uphold=uphold, outcome=outcome,
                                      amount=money, rationale=rationale)  # fmt: skip

    return _act(deps, uow, user, dispute_id, step)


def list_appeals(
    uow: UnitOfWork, user: User, *, status: str | None, limit: int
) -> list[dict[str, object]]:
    if user.role not in (Role.AGENT, Role.ADMIN, Role.PLATFORM):
        raise Forbidden("the appeals queue is for agents")
    return [dict(a) for a in uow.disputes.appeals(status=status, limit=limit)]


def post_message(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, body: str
) -> DisputeNote:
    d = visible_dispute(uow, user, dispute_id)
    note, outcome = thread.post_message(_context(deps, uow, user, d), d, body)
    uow.disputes.add_note(note)
    record(uow, outcome)
    return note


def messages(uow: UnitOfWork, user: User, dispute_id: str) -> list[DisputeNote]:
    return uow.disputes.notes(visible_dispute(uow, user, dispute_id).id)


def get_dispute(deps: Deps, uow: UnitOfWork, user: User, dispute_id: str) -> DisputeDetails:
    d = visible_dispute(uow, user, dispute_id)
    return details(deps, d, _order_of(uow, d).currency)


def list_disputes(
    deps: Deps, uow: UnitOfWork, user: User, *, status: DisputeStatus | None,
    starting_after: str | None, limit: int, ending_before: str | None = None,
) -> tuple[list[DisputeDetails], bool]:  # fmt: skip
    queue = status is DisputeStatus.ESCALATED and user.role in (Role.AGENT, Role.ADMIN)
    found = uow.disputes.search_with_currency(
        buyer_id=user.id if user.role is Role.BUYER else None,
        seller_id=user.id if user.role is Role.SELLER else None,
        status=status, starting_after=starting_after, limit=limit + 1, queue=queue,
        ending_before=ending_before,
    )  # fmt: skip
    page, more = window(found, limit, backwards=ending_before is not None)
    return [details(deps, d, currency) for d, currency in page], more


def fire_timer(deps: Deps, uow: UnitOfWork, dispute_id: str, kind: str) -> str:
    """The worker: silence accepts, a stalled negotiation escalates, a return never sent
    closes the dispute, an unconfirmed return is refunded (the table's ``system`` row that
    the timer ``kind`` names, ``domain/disputes/timeouts.py``)."""
    step, command = timeouts.STEPS[kind]
    found = uow.disputes.get(dispute_id)
    if found is None:
        return "skipped: dispute gone"
    order = uow.orders.get(found.order_id, for_update=True)
    d = uow.disputes.get(dispute_id, for_update=True)
    assert order is not None
    assert d is not None
    if order.open_chargeback_id is not None:
        # Suspended: the dispute closes when the bank decides, so its timers do nothing.
        return f"skipped: suspended by chargeback {order.open_chargeback_id}"
    ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
    try:
        find_transition(d, step, SYSTEM_ACTOR.role, ctx.now)
    except (InvalidTransition, Forbidden) as refusal:
        # The dispute moved on before its deadline: nothing to do, by design.
        return f"skipped: {refusal.detail}"
    outcome = command(ctx, d, order)
    uow.disputes.save(d)
    uow.orders.save(order)
    record(uow, outcome)
    return f"fired: {d.status.value}"


def ship_return(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, carrier: str, tracking: str,
    *, postage: int | AmountText = 0, seller_label: bool = False,
) -> DisputeDetails:  # fmt: skip
    def step(ctx: Context, d: Dispute, order: Order) -> Outcome:
        paid = _money(deps, postage, order)
        buyer = uow.users.get(d.buyer_id)
        tier = buyer.tier.value if buyer and buyer.tier else None
        tier = standing.fast_refund_tier(deps, uow, d.buyer_id, tier)
        balance = 0
        if tier is not None and d.fast_refund_from_balance:
            balance = seller_balance_locked(uow, order.seller_id, order.currency)
        return returns.ship_return(ctx, d, order, carrier, tracking, tier, postage=paid,
                                   seller_label=seller_label, seller_balance=balance)  # fmt: skip

    return _act(deps, uow, user, dispute_id, step)


def confirm_return(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, condition: str
) -> DisputeDetails:
    return _act(deps, uow, user, dispute_id,
                lambda ctx, d, o: returns.confirm_return(ctx, d, o, condition))  # fmt: skip


def return_delivered(
    deps: Deps, uow: UnitOfWork, carrier: str, tracking: str, at: datetime
) -> None:
    """A delivered scan of a return's tracking number starts the seller's 15 days."""
    for found in uow.disputes.returns_in_transit(carrier, tracking):
        d = uow.disputes.get(found.id, for_update=True)
        assert d is not None
        order = uow.orders.get(d.order_id)
        assert order is not None
        ctx = deps.context(uow, SYSTEM_ACTOR, order.policy_version)
        outcome = returns.return_delivered(ctx, d, at)
        uow.disputes.save(d)
        record(uow, outcome)


def _order_of(uow: UnitOfWork, d: Dispute) -> Order:
    order = uow.orders.get(d.order_id)
    assert order is not None
    return order


def _context(deps: Deps, uow: UnitOfWork, user: User, d: Dispute) -> Context:
    """The context of a step on a dispute: its order's pinned policy (DESIGN §5)."""
    return deps.context(uow, actor_of(user), _order_of(uow, d).policy_version)


def _attach(
    deps: Deps, uow: UnitOfWork, ctx: Context, user: User, dispute_id: str,
    file_ids: Sequence[str], note: str = "",
) -> None:  # fmt: skip
    """The one way evidence is attached (opening, appealing, adding): through the evidence
    store, if uploads are on, at most the order's policy's ``max_evidence_files``."""
    if not file_ids:
        return
    if deps.attach_evidence is None:
        raise ValidationError("evidence uploads are not available here", field="evidence_ids")
    deps.attach_evidence(uow, user, dispute_id, file_ids, ctx.policy.disputes.max_evidence_files,
                         note)  # fmt: skip


def add_evidence(
    deps: Deps, uow: UnitOfWork, user: User, dispute_id: str, file_ids: Sequence[str], note: str
) -> DisputeDetails:
    """Either party or an agent adds evidence to a dispute that is still open."""
    d = visible_dispute(uow, user, dispute_id, for_update=True)
    order = _order_of(uow, d)
    ctx = deps.context(uow, actor_of(user), order.policy_version)
    outcome = thread.add_evidence(ctx, d, file_ids)
    _attach(deps, uow, ctx, user, d.id, file_ids, note)
    record(uow, outcome)
    return details(deps, d, order.currency)
