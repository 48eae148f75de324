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
    """All events at once (one read per object, one write of messages); if making them
    fails, each event alone, so one event whose object or messages cannot be made (a bug in
    a view or a notice) loses only those, logged, and never undoes the work its transaction
    did (a completion, a refund) or that of the other events with it.

    The objects and messages are made first, by reads only, outside any savepoint: an error
    there (Python's) leaves the transaction as it was. Their write then needs no savepoint
    either (no SAVEPOINT and RELEASE per command, decisions.md 2026-12-01): a database error
    while writing the messages fails the transaction whole, which changes nothing. (A read
    the database itself refused would leave a PostgreSQL transaction aborted: the request
    then fails whole too.)"""
    events = uow.events.written()
    if not events:
        return
    try:
        objects, messages = _prepared(deps, uow, events)
    except Exception:
        log.warning("sealing %d events failed; sealing them one by one", len(events))
        objects, messages = {}, []
        for event in events:
            try:
                one, theirs = _prepared(deps, uow, [event])
            except Exception:
                log.exception("event %s (%s on %s) sealed without its object and messages",
                              event.id, event.type, event.subject_id)  # fmt: skip
                continue
            objects.update(one)
            messages += theirs
    if messages:
        uow.notifications.add_all(messages)
    if objects:
        uow.events.attach_objects(objects)


def _prepared(
    deps: Deps, uow: UnitOfWork, events: list[StoredEvent]
) -> tuple[dict[str, dict[str, Any]], list[Notification]]:
    objects = _objects(deps, uow, events) if deps.render_object is not None else {}
    return objects, notifications.messages_for_events(deps, uow, events)


def _objects(deps: Deps, uow: UnitOfWork, events: list[StoredEvent]) -> dict[str, dict[str, Any]]:
    """Each event's object, rendered once per object; a renderer with ``many`` renders the
    objects of one kind together (a sweep's batch of orders in the statements of one)."""
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
