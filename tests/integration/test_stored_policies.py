"""A policy version stored by an earlier release keeps loading after an upgrade that added
tables or keys: the orders placed under it still work, with the new keys at their defaults."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from market import Market
from refundkit.adapters.db import tables
from refundkit.adapters.policy_files import (
    default_policy_text,
    load_default_policy,
    load_policy_text,
    load_stored_policy_text,
)
from refundkit.domain.errors import PolicyError
from refundkit.domain.orders.model import OrderStatus
from refundkit.service import orders

OLD_VERSION = "2026-10.1"


def _older_release_text() -> str:
    """The default policy as an earlier release stored it: no [limits] and no [tracking]
    tables yet, and sellers given 72 hours to answer a cancellation request."""
    text = default_policy_text()
    text = re.sub(r'^version = ".*"$', f'version = "{OLD_VERSION}"', text, flags=re.M)
    text = text.replace("seller_answer_hours = 48", "seller_answer_hours = 72")
    assert "seller_answer_hours = 72" in text
    for table in ("limits", "tracking"):
        text = re.sub(rf"^\[{table}\]\n(?:(?!\[).*\n?)*", "", text, flags=re.M)
    assert "[limits]" not in text and "[tracking]" not in text
    return text


def test_the_service_refuses_to_start_on_a_policy_file_that_lacks_a_table() -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy_text(_older_release_text())
    assert raised.value.key in {"limits", "tracking"}


def test_a_stored_older_version_takes_the_defaults_only_for_what_it_lacks() -> None:
    old = load_stored_policy_text(_older_release_text())
    default = load_default_policy()
    assert old.version == OLD_VERSION
    assert old.cancellation.seller_answer_hours == 72
    assert old.limits == default.limits
    assert old.tracking == default.tracking


def test_an_order_placed_under_an_older_release_loads_and_acts_on_its_own_rules(
    market: Market,
) -> None:
    order = market.paid()
    with market.rt.engine.begin() as conn:
        conn.execute(
            tables.policies.insert(),
            {"version": OLD_VERSION, "text": _older_release_text(), "registered_at": market.now},
        )
        conn.execute(
            sa.update(tables.orders)
            .where(tables.orders.c.id == order.id)
            .values(policy_version=OLD_VERSION)
        )
    # Past the free window the buyer can only ask; the seller's time to answer is the old
    # release's 72 hours, not today's 48.
    market.advance(hours=30)
    done = market.tx(
        lambda uow: orders.cancel_order(market.deps, uow, market.buyer, order.id, "changed")
    )
    assert done.order.policy_version == OLD_VERSION
    assert done.order.status is OrderStatus.CANCEL_REQUESTED
    assert done.order.deadlines.cancel_respond_by == market.now + timedelta(hours=72)
