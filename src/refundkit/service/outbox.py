"""The last step of every transaction that wrote events: each event gets the object it is
about (for webhooks) and the messages it calls for (notifications), in that transaction.

Doing it once, just before commit, rather than in each command keeps the commands as they
are and renders every object as the transaction leaves it: the state its events committed
with, whichever order the command saved things in.
"""

from __future__ import annotations

import logging
from typing import Any

from refundkit.service import notifications
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import StoredEvent

log = logging.getLogger("refundkit.outbox")
OBJECT_OF_FAMILY = {"order": "order", "dispute": "dispute", "return": "dispute",
                    "refund": "refund"}  # fmt: skip
"""Which object an event of each family carries: its subject (a return is the dispute's)."""


def seal(deps: Deps, uow: UnitOfWork) -> None:
    """All events at once (one read per object, one write of messages); if that fails, each
    event alone, so one event whose object or messages cannot be made (a bug in a view or a
    notice) loses only those, logged, and never undoes the work its transaction did (a
    completion, a refund) or that of the other events with it."""
    events = uow.events.written()
    if not events:
        return
    try:
        with uow.savepoint():
            _seal(deps, uow, events)
        return
    except Exception:
        log.warning("sealing %d events failed; sealing them one by one", len(events))
    for event in events:
        try:
            with uow.savepoint():
                _seal(deps, uow, [event])
        except Exception:
            log.exception("event %s (%s on %s) sealed without its object and messages",
                          event.id, event.type, event.subject_id)  # fmt: skip


def _seal(deps: Deps, uow: UnitOfWork, events: list[StoredEvent]) -> None:
    if deps.render_object is not None:
        uow.events.attach_objects(_objects(deps, uow, events))
    notifications.store_for_events(deps, uow, events)


def _objects(deps: Deps, uow: UnitOfWork, events: list[StoredEvent]) -> dict[str, dict[str, Any]]:
    assert deps.render_object is not None
    rendered: dict[tuple[str, str], dict[str, Any] | None] = {}
    objects: dict[str, dict[str, Any]] = {}
    for event in events:
        kind = OBJECT_OF_FAMILY.get(event.type.split(".", 1)[0])
        if kind is None:
            continue
        key = (kind, event.subject_id)
        if key not in rendered:
            rendered[key] = deps.render_object(deps, uow, kind, event.subject_id)
        found = rendered[key]
        if found is not None:
            objects[event.id] = found
    return objects
