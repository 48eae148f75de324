"""Standing (issue 19): sellers' defect rate and its consequences, buyers' signals, a
seller's request to exclude a defect, an agent's answers, used-return reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from refundkit.domain.money import AmountText
from refundkit.entrypoints.api import dispute_schemas as ds
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import IdempotencyDep, command, query
from refundkit.entrypoints.api.schemas import Body
from refundkit.service import standing, used_returns
from refundkit.service.standing import BuyerView, SellerView
from refundkit.service.standing_ports import Exclusion

router = APIRouter(prefix="/v1", tags=["standing"], route_class=GuardedRoute)


class ConsequencesOut(BaseModel):
    approve_returns_at_once: bool
    extra_escrow_hold_days: int
    fast_refund_from_balance: bool


class DefectOut(BaseModel):
    order_id: str
    kind: str
    """``dispute_lost``, ``chargeback`` or ``closed_without_seller``."""
    source_id: str
    """The dispute or chargeback that made the order defective."""
    at: datetime
    excluded: bool


class ExclusionOut(BaseModel):
    id: str
    order_id: str
    reason: str
    status: str
    requested_at: datetime
    decided_by: str | None
    note: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, x: Exclusion) -> ExclusionOut:
        return cls(id=x.id, order_id=x.order_id, reason=x.reason, status=x.status,
                   requested_at=x.requested_at, decided_by=x.decided_by, note=x.note,
                   decided_at=x.decided_at)  # fmt: skip


class SellerStandingOut(BaseModel):
    seller_id: str
    standing: str
    """``good``, ``at_risk`` or ``restricted``."""
    defect_rate: str
    """Defective orders over orders in the window, a fraction to four places ("0.0250")."""
    defect_rate_basis_points: int
    window_days: int
    since: datetime
    orders: int
    defects_counted: int
    minimum_orders: int
    below_minimum_orders: bool
    rule: str | None
    """The policy key whose threshold the rate reached (None: good)."""
    at_risk_from_basis_points: int
    restricted_from_basis_points: int
    consequences: ConsequencesOut
    defects: list[DefectOut]
    exclusions: list[ExclusionOut]


def _fraction(part: int, whole: int) -> str:
    """part / whole to four places, rounded half up, with integers only."""
    if not whole:
        return "0.0000"
    scaled = (part * 20_000 + whole) // (2 * whole)
    return f"{scaled // 10_000}.{scaled % 10_000:04d}"


def _seller_out(deps: DepsDep, view: SellerView) -> SellerStandingOut:
    r, policy = view.reading, deps.policies.active.seller_standing
    c = r.consequences
    return SellerStandingOut(
        seller_id=view.seller_id, standing=r.standing.value,
        defect_rate=_fraction(r.counted, r.orders), defect_rate_basis_points=r.rate_basis_points,
        window_days=view.window_days, since=view.since, orders=r.orders,
        defects_counted=r.counted, minimum_orders=policy.minimum_orders,
        below_minimum_orders=r.below_minimum, rule=r.rule,
        at_risk_from_basis_points=policy.at_risk_from_basis_points,
        restricted_from_basis_points=policy.restricted_from_basis_points,
        consequences=ConsequencesOut(
            approve_returns_at_once=c.approve_returns_at_once,
            extra_escrow_hold_days=c.extra_escrow_hold_days,
            fast_refund_from_balance=c.fast_refund_from_balance),
        defects=[DefectOut(order_id=d.order_id, kind=d.kind.value, source_id=d.source_id,
                           at=d.at, excluded=d.excluded) for d in r.defects],
        exclusions=[ExclusionOut.of(x) for x in view.exclusions],
    )  # fmt: skip


class SignalOut(BaseModel):
    signal: str
    rule: str
    """The policy key that names the signal and its threshold."""
    count: int
    threshold: str
    raised: bool
    cleared_at: datetime | None
    """When an agent last cleared it: only what happened after counts."""


class ClearanceOut(BaseModel):
    id: str
    signal: str
    note: str
    cleared_by: str
    cleared_at: datetime


class BuyerStandingOut(BaseModel):
    buyer_id: str
    standing: str
    """``good``, ``warned``, ``no_fast_refund`` or ``agent_review``."""
    rule: str | None
    window_days: int
    since: datetime
    orders: int
    fast_refund_allowed: bool
    agent_review: bool
    signals: list[SignalOut]
    clearances: list[ClearanceOut]


def _buyer_out(view: BuyerView) -> BuyerStandingOut:
    r = view.reading
    return BuyerStandingOut(
        buyer_id=view.buyer_id, standing=r.standing.value, rule=r.rule,
        window_days=view.window_days, since=view.since, orders=r.orders,
        fast_refund_allowed=r.fast_refund_allowed, agent_review=r.agent_review,
        signals=[SignalOut(signal=s.signal.value, rule=s.rule, count=s.count,
                           threshold=s.threshold, raised=s.raised, cleared_at=s.cleared_at)
                 for s in r.signals],
        clearances=[ClearanceOut(id=c.id, signal=c.signal, note=c.note, cleared_by=c.cleared_by,
                                 cleared_at=c.cleared_at) for c in view.clearances],
    )  # fmt: skip


@router.get("/sellers/{seller_id}/standing", response_model=SellerStandingOut)
def seller_standing(seller_id: str, deps: DepsDep, user: UserDep) -> SellerStandingOut:
    """The seller's defect rate over the policy's window, its defects, the standing and what
    it costs them (the seller, platform, agents)."""
    view = query(deps, lambda uow: standing.seller_standing(deps, uow, user, seller_id))
    return _seller_out(deps, view)


class ExclusionIn(Body):
    order_id: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=2000)


@router.post("/sellers/{seller_id}/standing/exclusions", response_model=SellerStandingOut,
             status_code=201)  # fmt: skip
def request_exclusion(seller_id: str, body: ExclusionIn, deps: DepsDep, user: UserDep,
                      idem: IdempotencyDep) -> Response:  # fmt: skip
    """The seller asks that one defect (an order) stop counting; an agent decides. [seller]"""
    return command(deps, idem, lambda uow: standing.request_exclusion(
        deps, uow, user, seller_id, body.order_id, body.reason),
        lambda view: _seller_out(deps, view), 201)  # fmt: skip


class ExclusionDecisionIn(Body):
    accept: bool
    note: str = Field(min_length=1, max_length=2000)


@router.post("/sellers/{seller_id}/standing/exclusions/{exclusion_id}/decision",
             response_model=SellerStandingOut)  # fmt: skip
def decide_exclusion(seller_id: str, exclusion_id: str, body: ExclusionDecisionIn,
                     deps: DepsDep, user: UserDep, idem: IdempotencyDep) -> Response:  # fmt: skip
    """Accept (the defect stops counting) or refuse, with a note. [agent]"""
    return command(deps, idem, lambda uow: standing.decide_exclusion(
        deps, uow, user, seller_id, exclusion_id, accept=body.accept, note=body.note),
        lambda view: _seller_out(deps, view))  # fmt: skip


@router.get("/buyers/{buyer_id}/standing", response_model=BuyerStandingOut)
def buyer_standing(buyer_id: str, deps: DepsDep, user: UserDep) -> BuyerStandingOut:
    """The buyer's signals, each with its rule, and the standing they give (the buyer,
    platform, agents)."""
    return _buyer_out(query(deps, lambda uow: standing.buyer_standing(deps, uow, user, buyer_id)))


class ClearanceIn(Body):
    signal: Literal["claim_rate", "not_received_after_delivery", "chargeback_after_refund",
                    "returns_reported_used"]  # fmt: skip
    note: str = Field(min_length=1, max_length=2000)


@router.post("/buyers/{buyer_id}/standing/clearances", response_model=BuyerStandingOut,
             status_code=201)  # fmt: skip
def clear_signal(buyer_id: str, body: ClearanceIn, deps: DepsDep, user: UserDep,
                 idem: IdempotencyDep) -> Response:  # fmt: skip
    """The buyer's appeal, granted: the signal counts only what happens from now. [agent]"""
    return command(deps, idem, lambda uow: standing.clear_signal(
        deps, uow, user, buyer_id, body.signal, body.note), _buyer_out, 201)  # fmt: skip


class UsedReturnIn(Body):
    condition: Literal["used", "incomplete"]
    note: str = Field(min_length=1, max_length=2000)


@router.post("/disputes/{dispute_id}/used-return-report", response_model=ds.DisputeOut,
             tags=["disputes"])  # fmt: skip
def report_used_return(dispute_id: str, body: UsedReturnIn, deps: DepsDep, user: UserDep,
                       idem: IdempotencyDep) -> Response:  # fmt: skip
    """The returned goods came back used or incomplete: within the policy's days of the
    return's delivery scan; the dispute goes to an agent. [seller]"""
    return command(deps, idem, lambda uow: ds.DisputeOut.of(deps.currencies, used_returns.report(
        deps, uow, user, dispute_id, body.condition, body.note)), lambda out: out)  # fmt: skip


class DeductionIn(Body):
    deduction: str = Field(description='Major units, as a string ("12.50"); "0" refuses it.')
    note: str = Field(min_length=1, max_length=2000)


@router.post("/disputes/{dispute_id}/used-return-report/decision",
             response_model=ds.DisputeOut, tags=["disputes"])  # fmt: skip
def decide_used_return(dispute_id: str, body: DeductionIn, deps: DepsDep, user: UserDep,
                       idem: IdempotencyDep) -> Response:  # fmt: skip
    """The agent's deduction, up to the policy's share of the agreed refund; the dispute
    resolves with the refund less the deduction. [agent]"""
    amount = AmountText(body.deduction, "deduction")
    return command(deps, idem, lambda uow: ds.DisputeOut.of(deps.currencies, used_returns.decide(
        deps, uow, user, dispute_id, amount, body.note)), lambda out: out)  # fmt: skip
