"""Demo data for ``serve --demo``: users of every role and tier, orders in every state."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from rich.console import Console

from refundkit.domain.orders.model import Address, OrderLine
from refundkit.domain.orders.placement import OrderDraft
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role
from refundkit.service import orders, transactions
from refundkit.service.deps import Deps
from refundkit.service.orders import OrderDetails
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import Tier, User
from refundkit.service.timers import SandboxClock, advance_clock
from refundkit.service.users import NewUser, add_user, ensure_platform_key, new_api_key


@dataclass
class DemoAccount:
    user: User
    api_key: str
    password: str


@dataclass
class DemoData:
    platform_key: str
    accounts: list[DemoAccount]
    orders: dict[str, str]


_PEOPLE = [
    (Role.BUYER, "Ana Buyer", "ana@demo.refundkit", "DE", Tier.STANDARD),
    (Role.BUYER, "Ben Gold", "ben@demo.refundkit", "FR", Tier.GOLD),
    (Role.BUYER, "Chloe Platinum", "chloe@demo.refundkit", "US", Tier.PLATINUM),
    (Role.BUYER, "Dev Diamond", "dev@demo.refundkit", "BR", Tier.DIAMOND),
    (Role.SELLER, "Shenzhen Gadgets", "gadgets@demo.refundkit", "CN", None),
    (Role.SELLER, "Lisbon Ceramics", "ceramics@demo.refundkit", "PT", None),
    (Role.AGENT, "Alex Agent", "agent@demo.refundkit", "IE", None),
    (Role.ADMIN, "Olga Operator", "admin@demo.refundkit", "IE", None),
]


def seed(deps: Deps, platform_key: str | None, clock: SandboxClock | None) -> DemoData | None:
    """Fill an empty database; answers None (and changes nothing) when it holds users."""
    key = platform_key or new_api_key()
    hasher = PasswordHasher()

    def people(uow: UnitOfWork) -> tuple[User, list[DemoAccount]] | None:
        if uow.users.count() > 0:
            return None
        platform = ensure_platform_key(deps, uow, key)
        made = []
        for role, name, email, country, tier in _PEOPLE:
            password = secrets.token_urlsafe(9)
            new = NewUser(role, name, email, country, tier, hasher.hash(password))
            user, api_key = add_user(deps, uow, new)
            made.append(DemoAccount(user, api_key, password))
        return platform, made

    created = transactions.run(deps, people)
    if created is None:
        return None
    platform, accounts = created
    by_email = {a.user.email: a.user for a in accounts}
    return DemoData(key, accounts, _orders(deps, platform, by_email, clock))


def _orders(
    deps: Deps, platform: User, by_email: dict[str, User], clock: SandboxClock | None
) -> dict[str, str]:
    ana, chloe = by_email["ana@demo.refundkit"], by_email["chloe@demo.refundkit"]
    gadgets = by_email["gadgets@demo.refundkit"]
    ceramics = by_email["ceramics@demo.refundkit"]
    made: dict[str, str] = {}

    def run(step: Callable[[UnitOfWork], OrderDetails]) -> str:
        return transactions.run(deps, step).order.id

    def place(label: str, buyer: User, seller: User, method: PaymentMethod, *steps: str) -> None:
        def draft(b: User, s: User) -> OrderDraft:
            return OrderDraft(
                b.id, s.id, b.country, s.country, "USD",
                (OrderLine(f"SKU-{label.upper()}", f"Demo item ({label})", 1, 4500),),
                499, method, Address(b.country, "Berlin", "10115"), 30,
            )  # fmt: skip

        oid = run(lambda uow: orders.create_order(deps, uow, platform, draft, buyer.id, seller.id))
        made[label] = oid
        for step in steps:
            if step == "pay":
                run(lambda uow: orders.pay_order(deps, uow, platform, oid, f"demo_{oid}"))
            elif step == "ship":
                run(lambda uow: orders.ship_order(deps, uow, seller, oid, "DHL", f"DEMO{oid[-8:]}"))
            elif step == "confirm":
                run(lambda uow: orders.confirm_receipt(deps, uow, buyer, oid))
            elif step == "cancel":
                run(lambda uow: orders.cancel_order(deps, uow, buyer, oid, "changed my mind"))
            elif step == "extend":
                run(lambda uow: orders.request_extension(deps, uow, buyer, oid, 10))

    if clock is not None:
        # States that take time to reach are lived through on the sandbox clock.
        place("completed", chloe, gadgets, PaymentMethod.CARD, "pay", "ship", "confirm")
        place("expired", ana, gadgets, PaymentMethod.CARD)
        place("dispute_awaiting_seller", ana, gadgets, PaymentMethod.CARD, "pay", "ship")
        place("dispute_escalated", chloe, ceramics, PaymentMethod.WALLET, "pay", "ship")
        advance_clock(deps, clock, timedelta(days=16))
        _disputes(deps, made, by_email)
        place("cancel_requested", ana, ceramics, PaymentMethod.CARD, "pay")
        advance_clock(deps, clock, timedelta(hours=25))
        run(lambda uow: orders.cancel_order(deps, uow, ana, made["cancel_requested"], "too slow"))
    place("awaiting_payment", ana, gadgets, PaymentMethod.CARD)
    place("paid", chloe, ceramics, PaymentMethod.WALLET, "pay")
    place("cancelled", chloe, gadgets, PaymentMethod.WALLET, "pay", "cancel")
    place("shipped", ana, gadgets, PaymentMethod.CARD, "pay", "ship")
    place("delivered", chloe, gadgets, PaymentMethod.CARD, "pay", "ship", "confirm")
    place("extension_pending", ana, ceramics, PaymentMethod.WALLET, "pay", "ship", "extend")
    return made


def print_demo(console: Console, data: DemoData, url: str) -> None:
    """Plain lines, never truncated: people copy these keys into their shell."""
    out = console.print
    out(f"\n[bold]Demo data ready[/] at {url}  (sandbox: keys and passwords are shown once)")
    out(f"export REFUNDKIT_PLATFORM_KEY={data.platform_key}", soft_wrap=True)
    for a in data.accounts:
        tier = f" ({a.user.tier.value})" if a.user.tier else ""
        out(
            f"{a.user.role.value:<7} {a.user.name}{tier} <{a.user.email}>  "
            f"password: {a.password}  api key: {a.api_key}",
            soft_wrap=True,
            highlight=False,
        )
    out("[bold]Demo orders[/]")
    for label, oid in data.orders.items():
        out(f"  {label:<24} {oid}", soft_wrap=True, highlight=False)


def _disputes(deps: Deps, made: dict[str, str], by_email: dict[str, User]) -> None:
    """Two not-received disputes: one for the seller to answer, one in the agents' queue."""
    from refundkit.domain.disputes.commands import DisputeForm
    from refundkit.service import disputes

    ana, chloe = by_email["ana@demo.refundkit"], by_email["chloe@demo.refundkit"]
    ceramics = by_email["ceramics@demo.refundkit"]
    form = DisputeForm("not_received", "tracking_stuck", False, 4999, False,
                       "The tracking has not moved for ten days.")  # fmt: skip
    transactions.run(
        deps,
        lambda uow: disputes.open_dispute(
            deps, uow, ana, made["dispute_awaiting_seller"], form, []
        ),
    )
    d = transactions.run(
        deps,
        lambda uow: disputes.open_dispute(deps, uow, chloe, made["dispute_escalated"], form, []),
    ).dispute.id
    transactions.run(
        deps,
        lambda uow: disputes.reject(deps, uow, ceramics, d, "The parcel left our shop on time."),
    )
    transactions.run(deps, lambda uow: disputes.escalate(deps, uow, chloe, d))
