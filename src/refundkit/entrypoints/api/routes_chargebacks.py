"""Chargebacks: read one; and in sandbox mode the platform stands in for the buyer's bank,
so demos and tests drive every chargeback rule without a payment provider."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from refundkit.domain.chargebacks.model import Chargeback
from refundkit.domain.money import AmountText
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.chargeback_schemas import ChargebackOut
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import IdempotencyDep, command, query
from refundkit.service import chargebacks
from refundkit.service.ports import UnitOfWork

router = APIRouter(prefix="/v1", tags=["chargebacks"], route_class=GuardedRoute)


class SandboxChargebackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: str | None = Field(default=None, description="decimal major units; default: all paid")
    reason: str = Field(min_length=1, max_length=200)
    inquiry: bool = False
    """True: the bank only asks (nothing withdrawn, the order stays refundable)."""


class SandboxCloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["won", "lost"]


@router.get("/chargebacks/{chargeback_id}", response_model=ChargebackOut)
def get_chargeback(chargeback_id: str, deps: DepsDep, user: UserDep) -> ChargebackOut:
    found = query(deps, lambda uow: chargebacks.get(uow, user, chargeback_id))
    return ChargebackOut.of(deps.currencies, found)


@router.post("/sandbox/orders/{order_id}/chargeback", status_code=201,
             response_model=ChargebackOut, tags=["sandbox"])  # fmt: skip
def sandbox_chargeback(
    order_id: str, body: SandboxChargebackIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    """The sandbox bank opens a chargeback (or an inquiry) on a paid order. [platform,
    sandbox mode]"""

    # Parsed by the use case in the order's currency, once the order is locked.
    amount = None if body.amount is None else AmountText(body.amount, "amount")

    def work(uow: UnitOfWork) -> Chargeback:
        return chargebacks.sandbox_open(deps, uow, user, order_id, amount=amount,
                                        reason=body.reason, inquiry=body.inquiry)  # fmt: skip

    return command(deps, idem, work, lambda cb: ChargebackOut.of(deps.currencies, cb), 201)


@router.post("/sandbox/chargebacks/{chargeback_id}/close", response_model=ChargebackOut,
             tags=["sandbox"])  # fmt: skip
def sandbox_close(
    chargeback_id: str, body: SandboxCloseIn, deps: DepsDep, user: UserDep, idem: IdempotencyDep
) -> Response:
    """The sandbox bank decides the chargeback: ``won`` or ``lost``. [platform, sandbox
    mode]"""

    def work(uow: UnitOfWork) -> Chargeback:
        return chargebacks.sandbox_close(deps, uow, user, chargeback_id, body.outcome)

    return command(deps, idem, work, lambda cb: ChargebackOut.of(deps.currencies, cb))
