"""The per-item fields of the dispute form (``qty-<item id>``) and of the seller's parcel form
(``ship-<item id>``), and a use case's message about ``lines[i]`` in the page's words."""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette.datastructures import FormData

from refundkit.domain.errors import ValidationError
from refundkit.domain.orders.model import Order

DISPUTE_PREFIX = "qty-"
SHIP_PREFIX = "ship-"
_LINE = re.compile(r"^lines\[(\d+)\](?:\.\w+)?:?\s*")


def quantities(form: FormData, prefix: str) -> dict[str, str]:
    """Item id -> the text posted for it under ``prefix`` (in the order posted)."""
    found: dict[str, str] = {}
    for key, value in form.multi_items():
        if key.startswith(prefix) and isinstance(value, str) and key[len(prefix) :]:
            found.setdefault(key[len(prefix) :], value)
    return found


def line_field(field: str, lines: Sequence[tuple[str, int]] | None, prefix: str) -> str:
    """``lines[1]`` (a use case's field) -> the page's field of that item, ``qty-li_…``."""
    found = re.match(r"^lines\[(\d+)\]", field)
    if found is None or not lines or int(found.group(1)) >= len(lines):
        return field
    return prefix + lines[int(found.group(1))][0]


def readable(detail: str, order: Order) -> str:
    """A use case's message with the ``lines[i]`` prefix gone and item ids as titles."""
    text = _LINE.sub("", detail)
    for line in order.lines:
        if line.id:
            text = text.replace(line.id, line.title)
    text = text.replace(
        "use the sub_reason missing_items", "choose “missing items” under “More precisely”"
    )
    text = text.replace("not_received", "“not received”")
    return text[:1].upper() + text[1:]


def parcel_lines(posted: dict[str, str]) -> tuple[tuple[str, int], ...]:
    """The units per item a seller puts in a parcel (empty or 0: none of that item). Whole
    numbers only; how many are left to ship is the use case's check (``lines[i]``)."""
    lines: list[tuple[str, int]] = []
    for item_id, text in posted.items():
        try:
            quantity = int(text.strip() or "0")
        except ValueError:
            raise ValidationError("the units must be a whole number", field=SHIP_PREFIX + item_id
                                  ) from None  # fmt: skip
        if quantity < 0:
            raise ValidationError("the units cannot be below 0", field=SHIP_PREFIX + item_id)
        if quantity:
            lines.append((item_id, quantity))
    if not lines:
        raise ValidationError("put at least one unit in the parcel", field="ship-units")
    return tuple(lines)


def dispute_lines(posted: dict[str, str]) -> tuple[tuple[str, int], ...] | None:
    """The units of each item a buyer chose (an empty choice: not that item; none at all:
    None, the whole order). Whole numbers of at least 1; what is left to dispute is the use
    case's check (``lines[i]``), said in the page's words when the form is shown again."""
    lines: list[tuple[str, int]] = []
    for item_id, text in posted.items():
        if not text.strip():
            continue
        field = DISPUTE_PREFIX + item_id
        try:
            quantity = int(text.strip())
        except ValueError:
            raise ValidationError("the units must be a whole number", field=field) from None
        if quantity < 1:
            raise ValidationError("choose at least 1 unit, or “none” to leave the item out",
                                  field=field)  # fmt: skip
        lines.append((item_id, quantity))
    return tuple(lines) or None
