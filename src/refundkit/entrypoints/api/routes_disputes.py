"""Disputes (DESIGN §3, §6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.concurrency import run_in_threadpool

from refundkit.domain.disputes.model import DisputeStatus
from refundkit.domain.errors import ValidationError
from refundkit.domain.money import AmountText
from refundkit.domain.roles import Role
from refundkit.entrypoints.api import dispute_schemas as ds
from refundkit.entrypoints.api import routes_files
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.bodies import capped_body, check_depth
from refundkit.entrypoints.api.guards import GuardedRoute, own_body
from refundkit.entrypoints.api.idempotency import IdempotentRequest
from refundkit.entrypoints.api.responses import (
    IdempotencyDep,
    PageDep,
    answer,
    command,
    page_of,
    query,
)
from refundkit.entrypoints.api.routes_files import UploadsDep
from refundkit.service import disputes, files
from refundkit.service.deps import Deps
from refundkit.service.disputes import DisputeDetails, DisputeRequest
from refundkit.service.ports import UnitOfWork

router = APIRouter(tags=["disputes"], route_class=GuardedRoute)


def _rendered(
    deps: Deps, work: Callable[[UnitOfWork], DisputeDetails]
) -> Callable[[UnitOfWork], ds.DisputeOut]:
    """Render what the use case returned (the dispute with its order's currency): the route
    reads nothing of its own."""

    def run(uow: UnitOfWork) -> ds.DisputeOut:
        return ds.DisputeOut.of(deps.currencies, work(uow))

    return run


def _optional(text: str | None, field: str) -> AmountText | None:
    return None if text is None else AmountText(text, field)


def _act(deps: Deps, idem: IdempotentRequest | None,
         work: Callable[[UnitOfWork], DisputeDetails], status: int = 200) -> Response:  # fmt: skip
    return command(deps, idem, _rendered(deps, work), _same, status)


def _same(out: ds.DisputeOut) -> ds.DisputeOut:
    return out


@router.post("/v1/orders/{order_id}/disputes", status_code=201, response_model=ds.DisputeOut)
def open_dispute(order_id: str, body: ds.DisputeIn, deps: DepsDep, user: UserDep,
                 idem: IdempotencyDep) -> Response:  # fmt: skip
    def work(uow: UnitOfWork) -> DisputeDetails:
        lines = (None if body.lines is None
                 else tuple((li.item_id, li.quantity) for li in body.lines))  # fmt: skip
        form = DisputeRequest(body.reason, body.sub_reason, body.item_received,
                              AmountText(body.requested_refund, "requested_refund"),
                              body.return_goods, body.description, lines,
                              body.refund_destination)  # fmt: skip
        return disputes.open_dispute(deps, uow, user, order_id, form, body.evidence_ids)

    return _act(deps, idem, work, 201)


@router.get("/v1/disputes", response_model=ds.DisputePage)
def list_disputes(
    deps: DepsDep, user: UserDep, page: PageDep,
    status: Annotated[DisputeStatus | None, Query()] = None,
) -> Response:  # fmt: skip
    def work(uow: UnitOfWork) -> tuple[list[ds.DisputeOut], bool]:
        found, more = disputes.list_disputes(deps, uow, user, status=status,
                                             starting_after=page.starting_after,
                                             ending_before=page.ending_before,
                                             limit=page.limit)  # fmt: skip
        return [ds.DisputeOut.of(deps.currencies, f)
                for f in found], more  # fmt: skip

    data, more = query(deps, work)
    return answer(ds.DisputePage(data=data, has_more=more))


@router.get("/v1/disputes/{dispute_id}", response_model=ds.DisputeOut)
def get_dispute(dispute_id: str, deps: DepsDep, user: UserDep) -> ds.DisputeOut:
    return query(
        deps, _rendered(deps, lambda uow: disputes.get_dispute(deps, uow, user, dispute_id))
    )


@router.get("/v1/disputes/{dispute_id}/timeline", response_model=s.EventPage)
def dispute_timeline(dispute_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> s.EventPage:
    """The dispute's events, oldest first."""

    def work(uow: UnitOfWork) -> list[s.EventOut]:
        d = disputes.visible_dispute(uow, user, dispute_id)
        events = uow.events.for_order(d.order_id, starting_after=None, limit=1000)
        return [s.EventOut.of(e) for e in events if e.subject_id == d.id]

    data, more = page_of(query(deps, work), page, lambda e: e.id)
    return s.EventPage(data=data, has_more=more)


@router.post("/v1/disputes/{dispute_id}/accept", response_model=ds.DisputeOut)
def accept(dispute_id: str, body: ds.AcceptIn, deps: DepsDep, user: UserDep,
           idem: IdempotencyDep) -> Response:  # fmt: skip
    return _act(deps, idem, lambda uow: disputes.accept(deps, uow, user, dispute_id,
                                                        body.refund_destination))  # fmt: skip


@router.post("/v1/disputes/{dispute_id}/offers", response_model=ds.DisputeOut)
def make_offer(dispute_id: str, body: ds.OfferIn, deps: DepsDep, user: UserDep,
               idem: IdempotencyDep) -> Response:  # fmt: skip
    def work(uow: UnitOfWork) -> DisputeDetails:
        amount = AmountText(body.refund_amount, "refund_amount")
        return disputes.offer(deps, uow, user, dispute_id, amount, body.return_goods, body.note)

    return _act(deps, idem, work)


@router.post("/v1/disputes/{dispute_id}/reject", response_model=ds.DisputeOut)
def reject(dispute_id: str, body: s.RequiredReasonIn, deps: DepsDep, user: UserDep,
           idem: IdempotencyDep) -> Response:  # fmt: skip
    return _act(deps, idem, lambda uow: disputes.reject(deps, uow, user, dispute_id, body.reason))


@router.post("/v1/disputes/{dispute_id}/escalate", response_model=ds.DisputeOut)
def escalate(dispute_id: str, body: s.EmptyIn, deps: DepsDep, user: UserDep,
             idem: IdempotencyDep) -> Response:  # fmt: skip
    return _act(deps, idem, lambda uow: disputes.escalate(deps, uow, user, dispute_id))


@router.post("/v1/disputes/{dispute_id}/withdraw", response_model=ds.DisputeOut)
def withdraw(dispute_id: str, body: s.EmptyIn, deps: DepsDep, user: UserDep,
             idem: IdempotencyDep) -> Response:  # fmt: skip
    return _act(deps, idem, lambda uow: disputes.withdraw(deps, uow, user, dispute_id))


@router.post("/v1/disputes/{dispute_id}/evidence-requests", response_model=ds.DisputeOut,
             status_code=201)  # fmt: skip
def request_evidence(dispute_id: str, body: ds.EvidenceRequestIn, deps: DepsDep, user: UserDep,
                     idem: IdempotencyDep) -> Response:  # fmt: skip
    return _act(
        deps,
        idem,
        lambda uow: disputes.request_evidence(deps, uow, user, dispute_id, body.party, body.note),
        201,
    )


@router.post("/v1/disputes/{dispute_id}/decision", response_model=ds.DisputeOut)
def decide(dispute_id: str, body: ds.DecisionIn, deps: DepsDep, user: UserDep,
           idem: IdempotencyDep) -> Response:  # fmt: skip
    def work(uow: UnitOfWork) -> DisputeDetails:
        amount = _optional(body.refund_amount, "refund_amount")
        return disputes.decide(deps, uow, user, dispute_id, body.outcome, amount,
                               body.return_goods, body.rationale)  # fmt: skip

    return _act(deps, idem, work)


@router.post("/v1/disputes/{dispute_id}/appeal", response_model=ds.DisputeOut, status_code=201)
def appeal(dispute_id: str, body: ds.AppealIn, deps: DepsDep, user: UserDep,
           idem: IdempotencyDep) -> Response:  # fmt: skip
    return _act(
        deps,
        idem,
        lambda uow: disputes.appeal(deps, uow, user, dispute_id, body.reason, body.evidence_ids),
        201,
    )


@router.post("/v1/disputes/{dispute_id}/appeal/decision", response_model=ds.DisputeOut)
def decide_appeal(dispute_id: str, body: ds.AppealDecisionIn, deps: DepsDep, user: UserDep,
                  idem: IdempotencyDep) -> Response:  # fmt: skip
    def work(uow: UnitOfWork) -> DisputeDetails:
        amount = _optional(body.refund_amount, "refund_amount")
        return disputes.decide_appeal(deps, uow, user, dispute_id,
                                      uphold=body.decision == "uphold", outcome=body.outcome,
                                      amount=amount, rationale=body.rationale)  # fmt: skip

    return _act(deps, idem, work)


@router.post("/v1/disputes/{dispute_id}/return-shipment", response_model=ds.DisputeOut)
def return_shipment(dispute_id: str, body: ds.ReturnShipmentIn, deps: DepsDep, user: UserDep,
                    idem: IdempotencyDep) -> Response:  # fmt: skip
    def work(uow: UnitOfWork) -> DisputeDetails:
        postage = _optional(body.postage, "postage") or 0
        return disputes.ship_return(deps, uow, user, dispute_id, body.carrier,
                                    body.tracking_number, postage=postage,
                                    seller_label=body.seller_label)  # fmt: skip

    return _act(deps, idem, work)


@router.post("/v1/disputes/{dispute_id}/return-received", response_model=ds.DisputeOut)
def return_received(dispute_id: str, body: ds.ReturnReceivedIn, deps: DepsDep, user: UserDep,
                    idem: IdempotencyDep) -> Response:  # fmt: skip
    return _act(deps, idem, lambda uow: disputes.confirm_return(
        deps, uow, user, dispute_id, body.condition))  # fmt: skip


@router.get("/v1/appeals", response_model=ds.AppealPage)
def list_appeals(
    deps: DepsDep, user: UserDep, page: PageDep,
    status: Annotated[ds.AppealStatus, Query()] = ds.AppealStatus.OPEN,
) -> ds.AppealPage:  # fmt: skip
    """The appeals queue, oldest first (agents, admins, the platform)."""
    found = query(deps, lambda uow: disputes.list_appeals(uow, user, status=status.value,
                                                          limit=ds.APPEALS_HELD))  # fmt: skip
    data, more = page_of([ds.AppealOut.of(a) for a in found], page, lambda a: a.id)
    return ds.AppealPage(data=data, has_more=more)


@router.post("/v1/disputes/{dispute_id}/messages", response_model=ds.MessageOut,
             status_code=201)  # fmt: skip
def post_message(dispute_id: str, body: ds.MessageIn, deps: DepsDep, user: UserDep,
                 idem: IdempotencyDep) -> Response:  # fmt: skip
    return command(deps, idem,
                   lambda uow: disputes.post_message(deps, uow, user, dispute_id, body.body),
                   ds.MessageOut.of, 201)  # fmt: skip


@router.get("/v1/disputes/{dispute_id}/messages", response_model=ds.MessagePage)
def list_messages(dispute_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> ds.MessagePage:
    """The dispute's thread, oldest first."""
    notes = query(deps, lambda uow: disputes.messages(uow, user, dispute_id))
    data, more = page_of([ds.MessageOut.of(n) for n in notes], page, lambda m: m.id)
    return ds.MessagePage(data=data, has_more=more)


class EvidenceIn(s.Body):
    file_id: str = Field(max_length=40)
    note: str = Field(default="", max_length=1000)


class EvidenceOut(BaseModel):
    id: str
    object: Literal["evidence"] = "evidence"
    file_id: str
    note: str
    added_role: Role
    content_type: str
    size: int
    sha256: str
    filename: str
    created_at: datetime


class EvidencePage(s.Page[EvidenceOut]):
    pass


EVIDENCE_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": routes_files.multipart_upload(
            {"note": {"type": "string", "maxLength": 1000}}, []),
        "application/json": {"schema": EvidenceIn.model_json_schema()},
    },
}  # fmt: skip


@router.post("/v1/disputes/{dispute_id}/evidence", response_model=ds.DisputeOut, status_code=201,
             openapi_extra={"requestBody": EVIDENCE_BODY})  # fmt: skip
@own_body
async def add_evidence(
    dispute_id: str, request: Request, deps: DepsDep, user: UserDep, uploads: UploadsDep
) -> Response:
    """A file as multipart (``file``, ``note``), or ``{file_id, note}`` for an upload made
    with ``POST /v1/files``."""
    if request.headers.get("content-type", "").startswith("multipart/"):
        async with routes_files.received_upload(request, uploads, frozenset({"note"})) as got:
            if got.staged is None:
                raise ValidationError("the upload has no part named 'file'", field="file")
            staged, name = got.staged, got.filename
            note = got.fields.get("note") or ""
            stored = await run_in_threadpool(
                lambda: files.store_upload(deps, uploads, user, staged,
                                           purpose="dispute_evidence", filename=name)
            )  # fmt: skip
        file_id = stored.id
    else:
        raw = await capped_body(request)
        check_depth(raw)
        try:
            body = EvidenceIn.model_validate_json(raw)
        except PydanticValidationError as exc:
            raise ValidationError(f"send {{file_id, note}} or a multipart file: {exc}") from exc
        file_id, note = body.file_id, body.note

    def work(uow: UnitOfWork) -> DisputeDetails:
        return disputes.add_evidence(deps, uow, user, dispute_id, [file_id], note)

    return await run_in_threadpool(lambda: _act(deps, None, work, 201))


@router.get("/v1/disputes/{dispute_id}/evidence", response_model=EvidencePage)
def list_evidence(dispute_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> EvidencePage:
    """The dispute's evidence files, oldest first."""

    def work(uow: UnitOfWork) -> list[EvidenceOut]:
        d = disputes.visible_dispute(uow, user, dispute_id)
        return [
            EvidenceOut(id=e.record.id, file_id=e.file.id, note=e.record.note,
                        added_role=e.record.added_role, content_type=e.file.content_type,
                        size=e.file.size, sha256=e.file.sha256, filename=e.file.display_name,
                        created_at=e.record.created_at)
            for e in files.evidence_of(uow, d.id)
        ]  # fmt: skip

    data, more = page_of(query(deps, work), page, lambda e: e.id)
    return EvidencePage(data=data, has_more=more)
