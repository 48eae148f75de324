"""What the parties and the agents add to a dispute without moving it: messages, an
agent's request for evidence, and added evidence. Each checks who may, builds its event,
and returns the same ``Outcome`` as every other command; the service stores the records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.context import Context, Outcome
from refundkit.domain.disputes.commands import _event, _step
from refundkit.domain.disputes.machine import DisputeAction
from refundkit.domain.disputes.model import Dispute
from refundkit.domain.errors import Forbidden, InvalidTransition, ValidationError
from refundkit.domain.roles import Role

MAX_MESSAGE_CHARS = 5000
PARTIES = ("buyer", "seller")


@dataclass(frozen=True, slots=True)
class DisputeNote:
    """A message in a dispute's thread."""

    id: str
    dispute_id: str
    author_id: str
    author_role: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceRequest:
    """An agent asks a party for evidence, due by ``due_by`` (no automatic consequence)."""

    id: str
    dispute_id: str
    party: str
    requested_by: str
    note: str
    due_by: datetime
    created_at: datetime


def _party_or_staff(ctx: Context, d: Dispute, doing: str) -> str:
    """The actor's id, once it is the dispute's buyer or seller, or staff."""
    if ctx.actor.role is Role.PLATFORM:
        raise Forbidden(f"the platform does not {doing}")
    own = {Role.BUYER: d.buyer_id, Role.SELLER: d.seller_id}.get(ctx.actor.role)
    if own is not None and ctx.actor.id != own:
        raise Forbidden("not your dispute")
    assert ctx.actor.id is not None
    return ctx.actor.id


def post_message(ctx: Context, d: Dispute, body: str) -> tuple[DisputeNote, Outcome]:
    author = _party_or_staff(ctx, d, "take part in the thread")
    text = body.strip()
    if not 1 <= len(text) <= MAX_MESSAGE_CHARS:
        raise ValidationError(f"a message is 1 to {MAX_MESSAGE_CHARS} characters", field="body")
    note = DisputeNote(ctx.ids.new("msg"), d.id, author, ctx.actor.role.value, text, ctx.now)
    return note, Outcome(events=[_event(ctx, d, "dispute.message_posted", message_id=note.id)])


def request_evidence(
    ctx: Context, d: Dispute, party: str, note: str
) -> tuple[EvidenceRequest, Outcome]:
    """An agent asks the buyer or the seller for evidence (the table's row
    ``request_evidence``), due in ``disputes.evidence_answer_days``."""
    _step(ctx, d, DisputeAction.REQUEST_EVIDENCE)
    if party not in PARTIES:
        raise ValidationError("party is buyer or seller", field="party")
    if not note.strip():
        raise ValidationError("say what evidence is needed", field="note")
    assert ctx.actor.id is not None
    due = ctx.now + ctx.policy.disputes.evidence_answer
    request = EvidenceRequest(ctx.ids.new("evr"), d.id, party, ctx.actor.id, note.strip(), due,
                              ctx.now)  # fmt: skip
    return request, Outcome(events=[_event(ctx, d, "dispute.evidence_requested", party=party,
                                           due_by=due.isoformat(), note=request.note)])  # fmt: skip


def add_evidence(ctx: Context, d: Dispute, file_ids: Sequence[str]) -> Outcome:
    """Either party or an agent adds evidence to a dispute that is still open; the files
    themselves are checked and attached by the evidence store."""
    _party_or_staff(ctx, d, "add evidence")
    if not d.is_open:
        raise InvalidTransition(f"evidence cannot be added to a dispute that is {d.status.value}")
    files = list(dict.fromkeys(file_ids))
    return Outcome(events=[_event(ctx, d, "dispute.evidence_added", files=files)])
