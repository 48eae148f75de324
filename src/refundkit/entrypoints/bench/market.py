"""The people and orders the workloads start from, made through the service layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.orders.model import Address, OrderLine
from refundkit.domain.orders.placement import OrderDraft
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import disputes, orders, tracking, transactions
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import Tier, TrackingScan, User
from refundkit.service.users import NewUser, add_user, ensure_platform_key

PLATFORM_KEY = "pk_bench_platform"
SINK_ALLOWED = "127.0.0.1/32"
THROWAWAY_KEY = "bench-throwaway-database-key-not-secret"
"""The bench's own database and webhook sink (on 127.0.0.1) outside the sandbox: the sink
is allowed explicitly, and the webhook secrets are sealed with a key of no value."""


@dataclass
class People:
    platform: User
    buyers: list[User]
    sellers: list[User]
    agent: User
    agent_key: str
    buyer_key: str | None = None
    """The API key of the first buyer (who uploads evidence)."""


def make_people(runtime: Runtime, buyers: int = 40, sellers: int = 10) -> People:
    deps = runtime.deps

    def make(uow: UnitOfWork) -> People:
        platform = ensure_platform_key(deps, uow, PLATFORM_KEY)
        agent, agent_key = add_user(
            deps, uow, NewUser(Role.AGENT, "Agent", "agent@bench.invalid", "IE")
        )
        made = [
            add_user(
                deps, uow, NewUser(Role.BUYER, f"B{i}", f"b{i}@bench.invalid", "DE", Tier.STANDARD)
            )
            for i in range(buyers)
        ]
        made_buyers = [user for user, _ in made]
        made_sellers = [
            add_user(deps, uow, NewUser(Role.SELLER, f"S{i}", f"s{i}@bench.invalid", "CN"))[0]
            for i in range(sellers)
        ]
        return People(platform, made_buyers, made_sellers, agent, agent_key, made[0][1])

    return transactions.run(deps, make)


def order_body(buyer: User, seller: User, n: int) -> dict[str, object]:
    """An order as a shop reports it over the API."""
    return {
        "buyer_id": buyer.id,
        "seller_id": seller.id,
        "currency": "USD",
        "items": [
            {"sku": f"sku-{n % 50}", "title": "Desk lamp", "quantity": 2, "unit_price": "12.50"}
        ],
        "shipping_fee": "5.00",
        "payment_method": "card",
        "ship_to": {"country": "DE", "city": "Berlin", "postcode": "10115"},
        "promised_delivery_days": 20,
    }


def draft_for(buyer: User, seller: User, unit_price: int = 1250) -> OrderDraft:
    return OrderDraft(
        buyer.id,
        seller.id,
        buyer.country,
        seller.country,
        "USD",
        (OrderLine("sku-1", "Desk lamp", 2, unit_price),),
        500,
        PaymentMethod.CARD,
        Address("DE", "Berlin", "10115"),
        20,
    )


def paid_order(runtime: Runtime, people: People, n: int, unit_price: int = 1250) -> str:
    deps = runtime.deps
    buyer, seller = people.buyers[n % len(people.buyers)], people.sellers[n % len(people.sellers)]

    def make(uow: UnitOfWork) -> str:
        found = orders.create_order(
            deps,
            uow,
            people.platform,
            lambda b, s: draft_for(b, s, unit_price),
            buyer.id,
            seller.id,
        )
        orders.pay_order(deps, uow, people.platform, found.order.id, f"psp_{n}")
        return found.order.id

    return transactions.run(deps, make)


def escalated_dispute(runtime: Runtime, people: People, n: int) -> str:
    """A delivered order whose buyer says it never came, the seller disagrees, and the buyer
    escalates: one more dispute in the agents' queue."""
    deps = runtime.deps
    order_id = paid_order(runtime, people, n)
    buyer, seller = people.buyers[n % len(people.buyers)], people.sellers[n % len(people.sellers)]
    number = f"BENCH{n:08d}"

    def ship_and_deliver(uow: UnitOfWork) -> None:
        orders.ship_order(deps, uow, seller, order_id, "DHL", number)
        now: datetime = deps.clock.now()
        scan = TrackingScan("DHL", number, "delivered", "DE", "Berlin", "10115", now, None, now)
        tracking.ingest_scans(deps, uow, people.platform, [scan])

    transactions.run(deps, ship_and_deliver)
    form = DisputeForm(
        "not_received",
        "wrong_address",
        False,
        3000,
        False,
        "Delivered to a neighbour I do not know.",
    )
    dispute_id = transactions.run(
        deps, lambda uow: disputes.open_dispute(deps, uow, buyer, order_id, form, [])
    ).dispute.id
    transactions.run(
        deps, lambda uow: disputes.reject(deps, uow, seller, dispute_id, "It was delivered.")
    )
    transactions.run(deps, lambda uow: disputes.escalate(deps, uow, buyer, dispute_id))
    return dispute_id


def uploaders(runtime: Runtime, count: int, label: str) -> list[str]:
    """The API keys of ``count`` new buyers who upload evidence: each client of workload 6
    uploads as its own buyer at each size, so no upload runs into a user's quota."""
    deps = runtime.deps

    def make(uow: UnitOfWork) -> list[str]:
        return [
            add_user(deps, uow, NewUser(Role.BUYER, f"Up {label} {n}",
                                        f"up-{label}-{n}@bench.invalid", "DE", Tier.STANDARD))[1]
            for n in range(count)
        ]  # fmt: skip

    return transactions.run(deps, make)
