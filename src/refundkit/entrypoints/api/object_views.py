"""The objects events carry in their webhooks: rendered exactly as the API shows them, by
the same response models, when the event's transaction commits (service/outbox.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from refundkit.entrypoints.api.chargeback_schemas import ChargebackOut
from refundkit.entrypoints.api.dispute_schemas import DisputeOut
from refundkit.entrypoints.api.order_schemas import OrderOut
from refundkit.entrypoints.api.schemas import RefundOut
from refundkit.service import disputes, orders
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork


class ObjectViews:
    """``Deps.render_object``: one object, or (``many``) the objects of a transaction's
    events together: its orders' chargebacks and disputes read once for all of them, so a
    sweep's batch renders in the statements of one order."""

    def __call__(
        self, deps: Deps, uow: UnitOfWork, kind: str, object_id: str
    ) -> dict[str, Any] | None:
        return render_object(deps, uow, kind, object_id)

    def many(
        self, deps: Deps, uow: UnitOfWork, kind: str, object_ids: Sequence[str]
    ) -> dict[str, dict[str, Any] | None]:
        if kind != "order":
            return {oid: render_object(deps, uow, kind, oid) for oid in object_ids}
        found = [o for o in (uow.orders.seen(oid) or uow.orders.get(oid) for oid in object_ids)
                 if o is not None]  # fmt: skip
        shown = {d.order.id: OrderOut.of(deps.currencies, d).model_dump(mode="json")
                 for d in orders.details_many(deps, uow, found)}  # fmt: skip
        return {oid: shown.get(oid) for oid in object_ids}


def render_object(deps: Deps, uow: UnitOfWork, kind: str, object_id: str) -> dict[str, Any] | None:
    if kind == "order":
        order = uow.orders.seen(object_id) or uow.orders.get(object_id)
        if order is None:
            return None
        return OrderOut.of(deps.currencies, orders.details(deps, uow, order)).model_dump(
            mode="json"
        )
    if kind == "dispute":
        dispute = uow.disputes.seen(object_id) or uow.disputes.get(object_id)
        owner = (
            (uow.orders.seen(dispute.order_id) or uow.orders.get(dispute.order_id))
            if dispute
            else None
        )
        if dispute is None or owner is None:
            return None
        found = disputes.details(deps, dispute, owner.currency)
        return DisputeOut.of(deps.currencies, found).model_dump(mode="json")
    if kind == "refund":
        refund = uow.refunds.seen(object_id) or uow.refunds.get(object_id)
        return (
            None
            if refund is None
            else RefundOut.of(deps.currencies, refund).model_dump(mode="json")
        )
    if kind == "chargeback":
        chargeback = uow.chargebacks.get(object_id)
        return (
            None
            if chargeback is None
            else ChargebackOut.of(deps.currencies, chargeback).model_dump(mode="json")
        )
    return None
