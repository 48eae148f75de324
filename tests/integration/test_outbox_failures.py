"""The outbox's last step (objects for webhooks, messages for people) failing for one event
never undoes the work of its transaction: the orders of a timer batch still complete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from market import Market
from refundkit.domain.notifications import NotificationKind
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork


def test_one_event_whose_object_cannot_be_rendered_blocks_nothing(
    market: Market, caplog: pytest.LogCaptureFixture
) -> None:
    broken, sound = market.shipped(), market.shipped()
    closes = broken.deadlines.dispute_closes_at
    assert closes is not None and closes == sound.deadlines.dispute_closes_at
    render = market.deps.render_object
    assert render is not None

    def render_but_not_broken(deps: Deps, uow: UnitOfWork, kind: str,
                              object_id: str) -> dict[str, Any] | None:  # fmt: skip
        if object_id == broken.id:
            raise RuntimeError("a view that breaks on this order")
        return render(deps, uow, kind, object_id)

    market.deps.render_object = render_but_not_broken
    market.advance_to(closes + timedelta(minutes=1))  # reminders, then completions
    assert market.order(broken.id).status.value == "completed"
    assert market.order(sound.id).status.value == "completed"
    [broken_done] = [e for e in market.events(broken.id) if e.type == "order.completed"]
    [sound_done] = [e for e in market.events(sound.id) if e.type == "order.completed"]
    assert broken_done.object is None and sound_done.object is not None
    reminded = {n.order_id for n in _reminders(market)}
    assert reminded == {sound.id}  # the broken order's events lost their messages only
    assert "sealed without its object and messages" in caplog.text


def _reminders(market: Market) -> list[Any]:
    return market.messages(NotificationKind.DISPUTE_WINDOW_REMINDER)
