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
from refundkit.service.notification_records import Notification
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import StoredEvent

log = logging.getLogger("refundkit.outbox")
OBJECT_OF_FAMILY = {"order": "order", "dispute": "dispute", "return": "dispute",
                    "refund": "refund"}  # fmt: skip
"""Which object an event of each family carries: its subject (a return is the dispute's)."""


def seal(deps: Deps, uow: UnitOfWork) -> None:
    """All events at once (one read per object, one read of recipients, one write of
    messages); if making them fails, each event alone, so one event whose object or
    messages cannot be made (a bug in a view or a notice) loses only those, logged, and
    never undoes the work its transaction did (a completion, a refund) or that of the other
    events with it. Objects and messages are made first and written after, so no savepoint
    is needed: what fails while making them wrote nothing (decisions.md, 2026-12-01)."""
    events = uow.events.written()
    if not events:
        return
    try:
        objects, queued = _made(deps, uow, events)
    except Exception:
        log.warning("sealing %d events failed; sealing them one by one", len(events))
        objects, queued = {}, []
        for event in events:
            try:
                one, messages = _made(deps, uow, [event])
            except Exception:
                log.exception("event %s (%s on %s) sealed without its object and messages",
                              event.id, event.type, event.subject_id)  # fmt: skip
                continue
            objects.update(one)
            queued += messages
    if objects:
        uow.events.attach_objects(objects)
    uow.notifications.add_all(queued)


def _made(
    deps: Deps, uow: UnitOfWork, events: list[StoredEvent]
) -> tuple[dict[str, dict[str, Any]], list[Notification]]:
    objects = _objects(deps, uow, events) if deps.render_object is not None else {}
    return objects, notifications.for_events(deps, uow, events)


def _objects(deps: Deps, uow: UnitOfWork, events: list[StoredEvent]) -> dict[str, dict[str, Any]]:
    """Each event's object, rendered once per object; a renderer with ``many`` renders the
    objects of one kind together."""
    assert deps.render_object is not None
    wanted: dict[tuple[str, str], list[str]] = {}
    for event in events:
        kind = OBJECT_OF_FAMILY.get(event.type.split(".", 1)[0])
        if kind is not None:
            wanted.setdefault((kind, event.subject_id), []).append(event.id)
    many = getattr(deps.render_object, "many", None)
    rendered: dict[tuple[str, str], dict[str, Any] | None] = {}
    for kind in dict.fromkeys(k for k, _ in wanted):
        ids = [subject for k, subject in wanted if k == kind]
        if many is not None:
            done = many(deps, uow, kind, ids)
            rendered.update(((kind, subject), done.get(subject)) for subject in ids)
        else:
            rendered.update(((kind, s), deps.render_object(deps, uow, kind, s)) for s in ids)
    return {event_id: found for key, found in rendered.items() if found is not None
            for event_id in wanted[key]}  # fmt: skip
