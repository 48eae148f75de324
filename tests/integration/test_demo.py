"""`serve --demo` fills an empty database with orders in every state it names."""

from __future__ import annotations

from refundkit.domain.orders.model import OrderStatus
from refundkit.domain.roles import Role
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.entrypoints.cli.demo import seed
from refundkit.service import transactions
from refundkit.service.users import authenticate, ensure_platform_key


def test_demo_orders_are_in_the_states_they_are_labelled_with(runtime: Runtime) -> None:
    data = seed(runtime.deps, "pk_demo", runtime.sandbox_clock)
    assert data is not None
    statuses = {
        label: transactions.run(runtime.deps, lambda uow, o=oid: uow.orders.get(o)).status
        for label, oid in data.orders.items()
    }
    for label, status in statuses.items():
        if label in {s.value for s in OrderStatus}:
            assert status.value == label, (label, status)
    assert statuses["extension_pending"] is OrderStatus.SHIPPED
    assert statuses["dispute_escalated"] is OrderStatus.SHIPPED
    roles = {a.user.role.value for a in data.accounts}
    assert roles == {"buyer", "seller", "agent", "admin"}
    assert seed(runtime.deps, None, runtime.sandbox_clock) is None  # only an empty database


def test_a_fresh_database_gets_the_demo_with_a_platform_key_set(runtime: Runtime) -> None:
    """REFUNDKIT_PLATFORM_KEY makes the platform's row when the service starts: that row
    alone does not make the database "already holding users"."""
    deps = runtime.deps
    transactions.run(deps, lambda uow: ensure_platform_key(deps, uow, "pk_from_env"))
    data = seed(deps, "pk_from_env", runtime.sandbox_clock)
    assert data is not None and data.orders
    assert authenticate(deps, "pk_from_env").role is Role.PLATFORM
    assert seed(deps, "pk_from_env", runtime.sandbox_clock) is None
