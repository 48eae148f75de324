"""Protection extensions, policy versions, release on confirmation, ledger history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from market import Market
from refundkit.adapters.policy_files import default_policy_text
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.errors import InvalidTransition, PolicyError, ValidationError, WindowClosed
from refundkit.domain.ledger import escrow_account, seller_payable_account
from refundkit.domain.orders.model import ExtensionStatus, OrderStatus
from refundkit.entrypoints.bootstrap import build
from refundkit.service import disputes, orders
from refundkit.service.ports import UnitOfWork


def _ask(market: Market, order_id: str, days: int) -> str:
    found = market.tx(
        lambda uow: orders.request_extension(market.deps, uow, market.buyer, order_id, days)
    )
    pending = found.order.pending_extension
    assert pending is not None
    return pending.id


def _answer(market: Market, order_id: str, ext_id: str, approve: bool) -> None:
    market.tx(
        lambda uow: orders.answer_extension(
            market.deps, uow, market.seller, order_id, ext_id, approve
        )
    )


def test_an_approved_extension_moves_the_delivery_deadline_and_the_window(market: Market) -> None:
    order = market.shipped()
    ext = _ask(market, order.id, 10)
    _answer(market, order.id, ext, approve=True)
    after = market.order(order.id)
    assert after.deadlines.delivery_deadline == order.deadlines.delivery_deadline + timedelta(
        days=10
    )
    assert after.deadlines.dispute_closes_at == after.deadlines.delivery_deadline
    market.advance_to(order.deadlines.delivery_deadline)  # the old deadline passes
    assert market.order(order.id).status is OrderStatus.SHIPPED
    market.advance_to(after.deadlines.delivery_deadline)
    assert market.order(order.id).status is OrderStatus.COMPLETED


def test_a_refused_extension_changes_nothing(market: Market) -> None:
    order = market.shipped()
    ext = _ask(market, order.id, 10)
    _answer(market, order.id, ext, approve=False)
    after = market.order(order.id)
    assert after.deadlines.delivery_deadline == order.deadlines.delivery_deadline
    assert after.extensions[0].status is ExtensionStatus.REJECTED


def test_seller_silence_for_48_hours_refuses_an_extension(market: Market) -> None:
    order = market.shipped()
    ext = _ask(market, order.id, 10)
    market.advance(hours=48)
    after = market.order(order.id)
    assert after.extensions[0].status is ExtensionStatus.REJECTED
    assert after.deadlines.delivery_deadline == order.deadlines.delivery_deadline
    with pytest.raises(InvalidTransition):
        _answer(market, order.id, ext, approve=True)


def test_extensions_are_capped_at_30_days_in_all(market: Market) -> None:
    order = market.shipped()
    _answer(market, order.id, _ask(market, order.id, 20), approve=True)
    with pytest.raises(ValidationError):
        _ask(market, order.id, 11)
    _answer(market, order.id, _ask(market, order.id, 10), approve=True)
    with pytest.raises(InvalidTransition):
        _ask(market, order.id, 1)
    assert market.order(order.id).extension_days_granted == 30


def test_one_extension_request_at_a_time(market: Market) -> None:
    order = market.shipped()
    _ask(market, order.id, 5)
    with pytest.raises(WindowClosed):
        _ask(market, order.id, 5)


def test_no_extension_after_the_delivery_deadline(market: Market) -> None:
    order = market.shipped()
    market.rt.sandbox_clock.set(order.deadlines.delivery_deadline)  # type: ignore[union-attr]
    with pytest.raises(WindowClosed):
        _ask(market, order.id, 5)


def _policy_file(tmp_path: Path, **replace: str) -> Path:
    text = default_policy_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_a_new_policy_never_moves_the_deadlines_of_orders_already_placed(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    old = market.paid()
    version = market.deps.policies.active.version
    path = _policy_file(
        tmp_path,
        **{f'version = "{version}"': 'version = "strict-2027"',
           "free_cancel_hours = 24": "free_cancel_hours = 2"},
    )  # fmt: skip
    strict = build(url=database_url, sandbox=True, migrate=False, policy_path=path)
    try:
        other = market.on(strict)
        new = other.paid()
        assert new.policy_version == "strict-2027"
        assert new.deadlines.free_cancel_until == new.paid_at + timedelta(hours=2)
        reread = other.order(old.id)
        assert reread.policy_version == version
        assert reread.deadlines.free_cancel_until == old.paid_at + timedelta(hours=24)
        # Commands on the old order still follow the old policy's 24 hours.
        other.advance(hours=3)
        done = other.tx(lambda uow: orders.cancel_order(strict.deps, uow, market.buyer, old.id, ""))
        assert done.order.status is OrderStatus.CANCELLED
    finally:
        strict.close()


def test_a_changed_policy_must_carry_a_new_version(market: Market, database_url: str,
                                                  tmp_path: Path) -> None:  # fmt: skip
    path = _policy_file(tmp_path, **{"free_cancel_hours = 24": "free_cancel_hours = 2"})
    with pytest.raises(PolicyError) as raised:
        build(url=database_url, sandbox=True, migrate=False, policy_path=path)
    assert raised.value.key == "version"


def test_release_on_confirmation_pays_the_seller_at_once(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    version = market.deps.policies.active.version
    path = _policy_file(
        tmp_path,
        **{f'version = "{version}"': 'version = "early-release"',
           "release_on_confirmation = false": "release_on_confirmation = true"},
    )  # fmt: skip
    early = build(url=database_url, sandbox=True, migrate=False, policy_path=path)
    try:
        market.rt, market.deps = early, early.deps
        order = market.shipped()
        done = market.tx(
            lambda uow: orders.confirm_receipt(early.deps, uow, market.buyer, order.id)
        ).order
        assert done.status is OrderStatus.COMPLETED
        assert market.balance(escrow_account(order.id)) == 0
        assert market.balance(seller_payable_account(market.seller.id)) == 2850
    finally:
        early.close()


def test_balances_can_be_read_at_any_past_moment(market: Market) -> None:
    order = market.shipped()
    paid_moment = market.now
    market.advance_to(order.deadlines.delivery_deadline + timedelta(hours=1))
    seller = seller_payable_account(market.seller.id)
    assert market.balance(escrow_account(order.id), at=paid_moment) == 3000
    assert market.balance(seller, at=paid_moment) == 0
    assert market.balance(seller) == 2850
    assert market.balance(escrow_account(order.id)) == 0


def test_every_due_timer_fires_exactly_once(market: Market) -> None:
    import sqlalchemy as sa

    from refundkit.adapters.db import tables as t

    for _ in range(3):
        market.place()
    market.advance(days=2)
    assert market.fire_due() == 0
    with market.rt.engine.connect() as conn:
        rows = conn.execute(sa.select(t.timers.c.kind, t.timers.c.fired_at)).all()
    assert [k for k, _ in rows] == ["order.expire"] * 3
    assert all(fired is not None for _, fired in rows)


def test_a_stale_timer_does_nothing(market: Market) -> None:
    order = market.shipped()
    ext = _ask(market, order.id, 10)
    _answer(market, order.id, ext, approve=True)
    market.advance_to(order.deadlines.delivery_deadline)

    def results(uow: UnitOfWork) -> list[str]:
        import sqlalchemy as sa

        from refundkit.adapters.db import tables as t

        conn = uow.connection  # type: ignore[attr-defined]
        return list(
            conn.execute(
                sa.select(t.timers.c.result).where(
                    t.timers.c.kind == "order.complete", t.timers.c.fired_at.is_not(None)
                )
            ).scalars()
        )

    [result] = market.tx(results)
    assert result.startswith("skipped")
    assert market.order(order.id).status is OrderStatus.SHIPPED


def test_after_an_early_release_a_dispute_in_the_window_claws_the_refund_back(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    version = market.deps.policies.active.version
    path = _policy_file(
        tmp_path,
        **{f'version = "{version}"': 'version = "early-release-2"',
           "release_on_confirmation = false": "release_on_confirmation = true"},
    )  # fmt: skip
    early = build(url=database_url, sandbox=True, migrate=False, policy_path=path)
    try:
        market.rt, market.deps = early, early.deps
        order = market.shipped()
        market.tx(lambda uow: orders.confirm_receipt(early.deps, uow, market.buyer, order.id))
        market.advance(days=5)
        form = DisputeForm("not_received", None, False, 1000, False, "Confirmed by mistake.")
        d = market.tx(lambda uow: disputes.open_dispute(early.deps, uow, market.buyer, order.id,
                                                        form, [])).dispute  # fmt: skip
        market.tx(lambda uow: disputes.accept(early.deps, uow, market.seller, d.id))
        [refund] = market.refunds(order.id)
        assert (refund.amount, refund.clawback_amount, refund.commission_back) == (1000, 1000, 50)
        assert market.balance(seller_payable_account(market.seller.id)) == 2850 - 950
        market.advance(days=11)  # the window closed: no more disputes
        with pytest.raises(WindowClosed):
            market.tx(lambda uow: disputes.open_dispute(early.deps, uow, market.buyer, order.id,
                                                        form, []))  # fmt: skip
    finally:
        early.close()


def _page_offers_a_dispute(market: Market, order_id: str) -> bool:
    """What the buyer's order page and its dispute form read (``window_open``)."""
    found = market.tx(lambda uow: orders.get_order(market.deps, uow, market.buyer, order_id))
    return any(str(a.action) == "open_dispute" and a.actor.value == "buyer"
               for a in found.next_actions)  # fmt: skip


def _api_opens_a_dispute(market: Market, order_id: str) -> bool:
    """What ``POST /v1/orders/{id}/disputes`` does, undone: the dispute opens or is refused."""
    form = DisputeForm("not_received", None, False, 1000, False, "Confirmed by mistake.")

    def attempt(uow: UnitOfWork) -> bool:
        try:
            with uow.savepoint():
                disputes.open_dispute(market.deps, uow, market.buyer, order_id, form, [])
                raise _Undo
        except _Undo:
            return True
        except (InvalidTransition, WindowClosed):
            return False

    return market.tx(attempt)


class _Undo(Exception):
    pass


def test_the_page_and_the_api_agree_on_a_dispute_after_an_early_release(
    market: Market, database_url: str, tmp_path: Path
) -> None:
    """docs/decisions.md: an order completed early by the buyer's confirmation (policy
    ``protection.release_on_confirmation``) still takes a dispute while its window lasts;
    the buyer's page offers the form exactly when the API accepts one."""
    version = market.deps.policies.active.version
    path = _policy_file(
        tmp_path,
        **{f'version = "{version}"': 'version = "early-release-3"',
           "release_on_confirmation = false": "release_on_confirmation = true"},
    )  # fmt: skip
    early = build(url=database_url, sandbox=True, migrate=False, policy_path=path)
    try:
        market.rt, market.deps = early, early.deps
        order = market.shipped()
        market.tx(lambda uow: orders.confirm_receipt(early.deps, uow, market.buyer, order.id))
        assert market.order(order.id).status is OrderStatus.COMPLETED
        seen = []
        for days in (0, 14, 1):  # at confirmation, a day before the end, after the end
            market.advance(days=days)
            page, api = (
                _page_offers_a_dispute(market, order.id),
                _api_opens_a_dispute(market, order.id),
            )
            assert page == api, f"day {days}: the page says {page}, the API {api}"
            seen.append(api)
        assert seen == [True, True, False]
    finally:
        early.close()
