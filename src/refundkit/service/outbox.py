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
    """All events at once (one read per object, one write of messages); if that fails, each
    event alone, so one event whose object or messages cannot be made (a bug in a view or a
    notice) loses only those, logged, and never undoes the work its transaction did (a
    completion, a refund) or that of the other events with it.

    The objects and messages are made first, by reads only, outside any savepoint: an error
    there (Python's) leaves the transaction as it was. Only the write of the messages, when
    there are any, runs in a savepoint, so a transaction whose events call for no message
    sends no SAVEPOINT and RELEASE. (A read the database itself refused would leave a
    PostgreSQL transaction aborted: the request then fails whole and changes nothing.)"""
    events = uow.events.written()
    if not events:
        return
    try:
        objects, messages = _prepared(deps, uow, events)
        _write(uow, objects, messages)
        return
    except Exception:
        log.warning("sealing %d events failed; sealing them one by one", len(events))
    for event in events:
        try:
            with uow.savepoint():
                objects, messages = _prepared(deps, uow, [event])
                _write(uow, objects, messages, in_savepoint=True)
        except Exception:
            log.exception("event %s (%s on %s) sealed without its object and messages",
                          event.id, event.type, event.subject_id)  # fmt: skip


def _prepared(
    deps: Deps, uow: UnitOfWork, events: list[StoredEvent]
) -> tuple[dict[str, dict[str, Any]], list[Notification]]:
    objects = _objects(deps, uow, events) if deps.render_object is not None else {}
    return objects, notifications.messages_for_events(deps, uow, events)


def _write(
    uow: UnitOfWork, objects: dict[str, dict[str, Any]], messages: list[Notification],
    *, in_savepoint: bool = False,
) -> None:  # fmt: skip
    if messages:
        if in_savepoint:
            uow.notifications.add_all(messages)
        else:
            with uow.savepoint():
                uow.notifications.add_all(messages)
    if objects:
        uow.events.attach_objects(objects)


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
