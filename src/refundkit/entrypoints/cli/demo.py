"""Demo data for ``serve --demo``: users of every role and tier, orders in every state."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from rich.console import Console

from refundkit.adapters.evidence_storage import uploads_from_env
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.orders.model import Address, OrderLine
from refundkit.domain.orders.placement import OrderDraft
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role
from refundkit.entrypoints.cli.demo_images import sample_photo
from refundkit.service import disputes, files, orders, transactions
from refundkit.service.deps import Deps
from refundkit.service.orders import OrderDetails
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import Tier, User
from refundkit.service.timers import SandboxClock, advance_clock
from refundkit.service.users import (
    PLATFORM_EMAIL,
    NewUser,
    add_user,
    ensure_platform_key,
    new_api_key,
)


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


TRY = {
    "ana@demo.refundkit": "cancel the USB-C hub for free; open a dispute on the Desk lamp; "
                          "ask for more time; read the earbuds dispute",
    "ben@demo.refundkit": "accept or escalate the seller's offer on the Phone charger; see the "
                          "Tea set refund an agent decided",
    "chloe@demo.refundkit": "follow an escalated dispute (Hand-painted vase)",
    "dev@demo.refundkit": "follow the damaged Porcelain teapot in the agents' queue",
    "gadgets@demo.refundkit": "ship the USB-C hub; answer the earbuds dispute; answer an "
                              "extension request",
    "ceramics@demo.refundkit": "answer a cancellation request; ship the Ceramic mug",
    "agent@demo.refundkit": "decide the Porcelain teapot case (with a photo); the overdue vase",
    "admin@demo.refundkit": "the dashboard; everything an agent does",
}  # fmt: skip
"""What each demo person can try on the pages (the sign-in page shows it in demo mode)."""


def seed(deps: Deps, platform_key: str | None, clock: SandboxClock | None) -> DemoData | None:
    """Fill an empty database; answers None (and changes nothing) when it holds users. The
    platform alone (``REFUNDKIT_PLATFORM_KEY`` makes it at start) is no user of a demo."""
    key = platform_key or new_api_key()
    hasher = PasswordHasher()

    def people(uow: UnitOfWork) -> tuple[User, list[DemoAccount]] | None:
        platform_only = 1 if uow.users.by_email(PLATFORM_EMAIL) is not None else 0
        if uow.users.count() > platform_only:
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
    ben, dev = by_email["ben@demo.refundkit"], by_email["dev@demo.refundkit"]
    gadgets = by_email["gadgets@demo.refundkit"]
    ceramics = by_email["ceramics@demo.refundkit"]
    made: dict[str, str] = {}

    def run(step: Callable[[UnitOfWork], OrderDetails]) -> str:
        return transactions.run(deps, step).order.id

    def place(label: str, buyer: User, seller: User, method: PaymentMethod, *steps: str) -> None:
        def draft(b: User, s: User) -> OrderDraft:
            return OrderDraft(
                b.id, s.id, b.country, s.country, "USD",
                (OrderLine(f"SKU-{label.upper()}", _TITLES.get(label, f"Demo item ({label})"),
                           1, 4500),),
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
        # States that take time to reach are lived through on the sandbox clock; disputes
        # open on different days so the operator's dashboard has a history to draw.
        place("completed", chloe, gadgets, PaymentMethod.CARD, "pay", "ship", "confirm")
        place("expired", ana, gadgets, PaymentMethod.CARD)
        for label, buyer, seller, method in (
            ("dispute_awaiting_seller", ana, gadgets, PaymentMethod.CARD),
            ("dispute_escalated", chloe, ceramics, PaymentMethod.WALLET),
            ("dispute_negotiating", ben, gadgets, PaymentMethod.CARD),
            ("dispute_auto_accepted", dev, gadgets, PaymentMethod.WALLET),
            ("dispute_agent_decided", ben, ceramics, PaymentMethod.WALLET),
            ("dispute_window_open", ana, gadgets, PaymentMethod.CARD),
            ("dispute_damaged", dev, ceramics, PaymentMethod.CARD),
        ):
            place(label, buyer, seller, method, "pay", "ship")
        advance_clock(deps, clock, timedelta(days=6))
        _disputes_early(deps, made, by_email)
        advance_clock(deps, clock, timedelta(days=4))
        _escalated(deps, made, by_email)
        advance_clock(deps, clock, timedelta(days=6))
        _disputes_late(deps, made, by_email)
        place("cancel_requested", ana, ceramics, PaymentMethod.CARD, "pay")
        advance_clock(deps, clock, timedelta(hours=25))
        run(lambda uow: orders.cancel_order(deps, uow, ana, made["cancel_requested"], "too slow"))
    place("awaiting_payment", ana, gadgets, PaymentMethod.CARD)
    place("paid", chloe, ceramics, PaymentMethod.WALLET, "pay")
    place("paid_free_cancel", ana, gadgets, PaymentMethod.CARD, "pay")
    place("to_ship", ben, ceramics, PaymentMethod.CARD, "pay")
    place("cancelled", chloe, gadgets, PaymentMethod.WALLET, "pay", "cancel")
    place("shipped", ana, gadgets, PaymentMethod.CARD, "pay", "ship")
    place("delivered", chloe, gadgets, PaymentMethod.CARD, "pay", "ship", "confirm")
    place("extension_pending", ana, gadgets, PaymentMethod.WALLET, "pay", "ship", "extend")
    return made


_TITLES = {
    "completed": "Bluetooth speaker", "dispute_awaiting_seller": "Wireless earbuds",
    "dispute_escalated": "Hand-painted vase", "dispute_negotiating": "Phone charger",
    "dispute_auto_accepted": "Smart watch", "dispute_agent_decided": "Tea set",
    "dispute_window_open": "Desk lamp", "paid_free_cancel": "USB-C hub",
    "to_ship": "Ceramic mug", "shipped": "Mechanical keyboard", "delivered": "Power bank",
    "extension_pending": "Serving bowl", "cancel_requested": "Olive oil jug",
    "awaiting_payment": "Travel adapter", "expired": "Camera strap", "paid": "Salad bowl",
    "cancelled": "Phone case", "dispute_damaged": "Porcelain teapot",
}  # fmt: skip


def print_demo(
    console: Console, data: DemoData | None, url: str, accounts: list[DemoAccount]
) -> None:
    """Plain lines, never truncated: people copy these keys into their shell."""
    out = console.print
    out(f"\n[bold]Demo people[/] at {url}/sign-in  (sandbox: passwords are shown once)")
    if data is not None:
        out(f"export REFUNDKIT_PLATFORM_KEY={data.platform_key}", soft_wrap=True)
    for a in accounts:
        tier = f" ({a.user.tier.value})" if a.user.tier else ""
        key = f"  api key: {a.api_key}" if a.api_key else ""
        out(f"{a.user.role.value:<7} {a.user.name}{tier} <{a.user.email}>  "
            f"password: {a.password}{key}", soft_wrap=True, highlight=False)  # fmt: skip
    if data is None:
        return
    out("[bold]Demo orders[/]")
    for label, oid in data.orders.items():
        out(f"  {label:<24} {oid}", soft_wrap=True, highlight=False)


_NOT_RECEIVED = DisputeForm("not_received", "tracking_stuck", False, 4999, False,
                            "The tracking has not moved for ten days.")  # fmt: skip


def _disputes_early(deps: Deps, made: dict[str, str], by_email: dict[str, User]) -> None:
    """One the seller lets lapse (the policy accepts it), one an agent decides."""
    ben, dev = by_email["ben@demo.refundkit"], by_email["dev@demo.refundkit"]
    ceramics, alex = by_email["ceramics@demo.refundkit"], by_email["agent@demo.refundkit"]
    transactions.run(deps, lambda uow: disputes.open_dispute(
        deps, uow, dev, made["dispute_auto_accepted"], _NOT_RECEIVED, []))  # fmt: skip
    d = transactions.run(deps, lambda uow: disputes.open_dispute(
        deps, uow, ben, made["dispute_agent_decided"], _NOT_RECEIVED, [])).dispute.id  # fmt: skip
    transactions.run(deps, lambda uow: disputes.offer(
        deps, uow, ceramics, d, 1500, False, "The parcel is late: 15.00 for it."))  # fmt: skip
    transactions.run(deps, lambda uow: disputes.escalate(deps, uow, ben, d))
    transactions.run(deps, lambda uow: disputes.decide(
        deps, uow, alex, d, "partial_refund", 2500, False,
        "The parcel arrived late; half the price for the delay."))  # fmt: skip


def _escalated(deps: Deps, made: dict[str, str], by_email: dict[str, User]) -> None:
    chloe, ceramics = by_email["chloe@demo.refundkit"], by_email["ceramics@demo.refundkit"]
    d = transactions.run(deps, lambda uow: disputes.open_dispute(
        deps, uow, chloe, made["dispute_escalated"], _NOT_RECEIVED, [])).dispute.id  # fmt: skip
    transactions.run(deps, lambda uow: disputes.reject(
        deps, uow, ceramics, d, "The parcel left our shop on time."))  # fmt: skip
    transactions.run(deps, lambda uow: disputes.escalate(deps, uow, chloe, d))


def _disputes_late(deps: Deps, made: dict[str, str], by_email: dict[str, User]) -> None:
    """One for the seller to answer, one with the seller's counter-offer for the buyer."""
    ana, ben = by_email["ana@demo.refundkit"], by_email["ben@demo.refundkit"]
    gadgets = by_email["gadgets@demo.refundkit"]
    transactions.run(deps, lambda uow: disputes.open_dispute(
        deps, uow, ana, made["dispute_awaiting_seller"], _NOT_RECEIVED, []))  # fmt: skip
    d = transactions.run(deps, lambda uow: disputes.open_dispute(
        deps, uow, ben, made["dispute_negotiating"], _NOT_RECEIVED, [])).dispute.id  # fmt: skip
    transactions.run(deps, lambda uow: disputes.offer(
        deps, uow, gadgets, d, 2000, False, "It is on its way: 20.00 for the delay."))  # fmt: skip
    _damaged(deps, made, by_email)


def _damaged(deps: Deps, made: dict[str, str], by_email: dict[str, User]) -> None:
    """A damaged item with a photo, a counter-offer, then the agents' queue (within its SLA)."""
    dev, ceramics = by_email["dev@demo.refundkit"], by_email["ceramics@demo.refundkit"]
    uploads = uploads_from_env()
    staged = uploads.blobs.stage()
    try:
        staged.write(sample_photo())
        photo = files.store_upload(deps, uploads, dev, staged, purpose="dispute_evidence",
                                   filename="cracked-teapot.png")  # fmt: skip
    finally:
        staged.discard()
    form = DisputeForm("damaged", None, True, 4999, False,
                       "The teapot arrived cracked down the side; the box was dented.")  # fmt: skip
    d = transactions.run(deps, lambda uow: disputes.open_dispute(
        deps, uow, dev, made["dispute_damaged"], form, [photo.id])).dispute.id  # fmt: skip
    transactions.run(deps, lambda uow: disputes.offer(
        deps, uow, ceramics, d, 1000, False, "A small crack: 10.00 back."))  # fmt: skip
    transactions.run(deps, lambda uow: disputes.escalate(deps, uow, dev, d))


def reissue_passwords(deps: Deps) -> list[DemoAccount]:
    """``serve --demo`` on a database seeded before: the demo people (and only they, by their
    demo addresses) get new random passwords, so a restarted demo can still be signed in to.
    Their API keys were shown at the first start and are not shown again."""
    hasher = PasswordHasher()

    def work(uow: UnitOfWork) -> list[DemoAccount]:
        accounts = []
        for _role, _name, email, _country, _tier in _PEOPLE:
            user = uow.users.by_email(email)
            if user is None:
                continue
            password = secrets.token_urlsafe(9)
            uow.users.set_password_hash(user.id, hasher.hash(password))
            accounts.append(DemoAccount(user, "", password))
        return accounts

    return transactions.run(deps, work)
