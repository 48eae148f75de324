"""Events from the payment provider, each stored once by its id and processed in the
transaction that stores it: a replayed event is answered ``duplicate`` and changes nothing;
an event that arrives out of order finds its object already further on and changes nothing.

Refund events settle or fail our refunds; dispute events open, update and close a
chargeback. An event refundkit has no use for is stored too, with the reason it was
ignored, so staff can see everything the provider said."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from refundkit.domain.chargebacks.model import PROVIDER_STATUSES
from refundkit.domain.errors import RefundkitError
from refundkit.service import chargebacks, refunds
from refundkit.service.deps import Deps
from refundkit.service.ports import PspRefund, UnitOfWork
from refundkit.service.psp_ports import PspEvent

Handler = Callable[[Deps, UnitOfWork, PspEvent], str]

_REFUND_STATUSES: dict[str, Literal["pending", "succeeded", "failed"]] = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "failed",
}


def receive(deps: Deps, uow: UnitOfWork, event: PspEvent) -> tuple[bool, str]:
    """(new, what it did). A refusal of the domain is the event's result, not an error: the
    provider would only send the same event again and again."""
    if not uow.psp_events.add_if_new(event, deps.clock.now()):
        return False, f"duplicate: {uow.psp_events.result(event.provider, event.id)}"
    handler = HANDLERS.get(event.type)
    if handler is None:
        result = f"ignored: refundkit does not use {event.type}"
    else:
        try:
            with uow.savepoint():
                result = handler(deps, uow, event)
        except RefundkitError as refusal:
            result = f"refused: {refusal.detail}"
    uow.psp_events.set_result(event.provider, event.id, result)
    return True, result


def refund_answer(obj: Mapping[str, Any]) -> PspRefund:
    """Our answer for a provider's refund object (Stripe's shape: from its API or a webhook)."""
    status = _REFUND_STATUSES.get(str(obj.get("status")), "pending")
    reason = None
    if status == "failed":
        reason = f"Stripe: refund {obj.get('status')}"
        if obj.get("failure_reason"):
            reason += f" ({obj['failure_reason']})"
    return PspRefund(status, str(obj["id"]), failure_reason=reason)


def _refund_update(deps: Deps, uow: UnitOfWork, event: PspEvent) -> str:
    obj = event.object
    if obj.get("object") != "refund" or not obj.get("id"):
        return "ignored: the event carries no refund"
    answer = refund_answer(obj)
    metadata: dict[str, Any] = obj.get("metadata") or {}
    return refunds.provider_update(
        deps, uow, answer, refund_id=metadata.get("refund_id"),
        amount=int(obj.get("amount") or 0), currency=str(obj.get("currency") or ""),
    )  # fmt: skip


def _dispute_update(deps: Deps, uow: UnitOfWork, event: PspEvent) -> str:
    """A Stripe dispute (the API's "The Dispute object"): its status, amount, reason, the
    charge and PaymentIntent it is on, and the balance transactions that withdrew (with the
    fee) or reinstated the money."""
    obj = event.object
    status = PROVIDER_STATUSES.get(str(obj.get("status")))
    if obj.get("object") != "dispute" or not obj.get("id") or status is None:
        return "ignored: the event carries no dispute refundkit knows"
    order_id = uow.chargebacks.order_paid_with(
        [str(obj.get("payment_intent") or ""), str(obj.get("charge") or "")]
    )
    if order_id is None:
        return "ignored: no order of refundkit was paid with this charge"
    fees = [int(bt.get("fee") or 0) for bt in obj.get("balance_transactions") or []
            if isinstance(bt, dict) and int(bt.get("amount") or 0) < 0]  # fmt: skip
    news = chargebacks.ChargebackReport(
        "stripe", str(obj["id"]), order_id, status, int(obj.get("amount") or 0) or None,
        str(obj.get("currency") or ""), str(obj.get("reason") or "general"), sum(fees),
    )  # fmt: skip
    found = chargebacks.report(deps, uow, news)
    return f"chargeback {found.id} {found.status.value}"


HANDLERS: dict[str, Handler] = {
    "refund.created": _refund_update,
    "refund.updated": _refund_update,
    "refund.failed": _refund_update,
    "charge.refund.updated": _refund_update,
    **dict.fromkeys(
        [
            f"charge.dispute.{kind}"
            for kind in ("created", "updated", "closed", "funds_withdrawn", "funds_reinstated")
        ],
        _dispute_update,
    ),
}
