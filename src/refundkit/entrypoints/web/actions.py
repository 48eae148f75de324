"""The buttons a page shows: exactly the ``next_actions`` of the order or dispute that the
signed-in person's role may take now, each with the fields its command needs. No rule is
decided here: an action missing from ``next_actions`` has no button."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from refundkit.domain.roles import Role

_Due = Any
"""A ``NextAction`` of an order or of a dispute (both have actor, action, due_by)."""


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    kind: str = "text"
    """text, textarea, number, money, select, checkbox"""
    required: bool = True
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


@dataclass(frozen=True, slots=True)
class ActionForm:
    action: str
    label: str
    fields: tuple[Field, ...] = ()
    style: str = "primary"
    """primary, secondary or danger (a button that gives something up)."""
    link: str | None = None
    """A page with a form of its own instead of an inline one (opening a dispute)."""


REASON = Field("reason", "Reason (optional)", "textarea", required=False)
ORDER_FORMS: dict[str, ActionForm] = {
    "cancel": ActionForm("cancel", "Cancel the order", (REASON,), "danger"),
    "confirm_receipt": ActionForm("confirm_receipt", "Confirm I received it"),
    "request_extension": ActionForm(
        "request_extension", "Ask for more protection time",
        (Field("days", "Extra days", "number", hint="The seller has 48 hours to answer."),),
        "secondary",
    ),
    "open_dispute": ActionForm("open_dispute", "Open a dispute", link="dispute/new"),
    "ship": ActionForm("ship", "Mark as shipped", (
        Field("carrier", "Carrier"), Field("tracking_number", "Tracking number"))),
    "approve_cancellation": ActionForm("approve_cancellation", "Approve the cancellation"),
    "reject_cancellation": ActionForm("reject_cancellation", "Refuse the cancellation",
                                      (Field("reason", "Why"),), "danger"),
    "approve_extension": ActionForm("approve_extension", "Approve the extension"),
    "reject_extension": ActionForm("reject_extension", "Refuse the extension", (), "danger"),
}  # fmt: skip

OUTCOMES = (("full_refund", "Full refund"), ("partial_refund", "Partial refund"),
            ("no_refund", "No refund"))  # fmt: skip
DISPUTE_FORMS: dict[str, ActionForm] = {
    "accept": ActionForm("accept", "Accept the buyer's request"),
    "counter_offer": ActionForm("offer", "Make a counter-offer", (
        Field("refund_amount", "Refund you offer", "money"),
        Field("return_goods", "The goods must come back", "checkbox", required=False),
        Field("note", "Note to the buyer", "textarea", required=False)), "secondary"),
    "offer": ActionForm("offer", "Make an offer", (
        Field("refund_amount", "Refund you propose", "money"),
        Field("return_goods", "The goods go back to the seller", "checkbox", required=False),
        Field("note", "Note", "textarea", required=False)), "secondary"),
    "reject": ActionForm("reject", "Reject the request", (Field("reason", "Why"),), "danger"),
    "escalate": ActionForm("escalate", "Ask an agent to decide", (), "secondary"),
    "withdraw": ActionForm("withdraw", "Withdraw the dispute", (), "danger"),
    "ship_return": ActionForm("return_shipment", "I sent the goods back", (
        Field("carrier", "Carrier"), Field("tracking_number", "Tracking number"),
        Field("postage", "Postage paid (optional)", "money", required=False),
        Field("seller_label", "I used the seller's prepaid label", "checkbox",
              required=False))),
    "confirm_return": ActionForm("return_received", "Confirm the returned goods", (
        Field("condition", "Condition", "select", options=(
            ("as_sent", "As I sent them"),
            ("not_as_sent", "Not as I sent them (used or unpacked): an agent decides"))),)),
    "appeal": ActionForm("appeal", "Appeal the outcome", (
        Field("reason", "Why the outcome is wrong", "textarea"),
        Field("evidence", "New evidence", "file"),), "secondary"),
}  # fmt: skip
"""Keyed by the ``next_actions`` name; ``ActionForm.action`` is the URL it posts to. The
agents' decision and evidence requests have forms of their own on the case page."""


def my_forms(
    next_actions: list[tuple[str, str]], role: Role, forms: dict[str, ActionForm]
) -> list[ActionForm]:
    """(actor, action) pairs -> the forms this role may use now, in the order given."""
    return [forms[action] for actor, action in next_actions
            if actor == role.value and action in forms]  # fmt: skip


def due_by_form(
    next_actions: list[_Due], role: Role, forms: dict[str, ActionForm]
) -> dict[str, _Due]:
    """The next action behind each form (by the form's ``action``): its deadline and what
    happens when it passes, shown under the button."""
    return {forms[str(a.action)].action: a for a in next_actions
            if str(a.actor) == role.value and str(a.action) in forms}  # fmt: skip
