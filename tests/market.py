"""A small driver for tests: people and orders through the service layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from refundkit.domain.notifications import NotificationKind
from refundkit.domain.orders.model import Address, Order, OrderLine
from refundkit.domain.orders.placement import OrderDraft
from refundkit.domain.refunds import PaymentMethod, Refund
from refundkit.domain.roles import Role
from refundkit.entrypoints.bootstrap import Runtime
from refundkit.service import notifications, orders, payouts, refunds, transactions
from refundkit.service.notification_records import Notification
from refundkit.service.orders import OrderDetails
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import StoredEvent, Tier, User
from refundkit.service.timers import advance_clock, fire_due
from refundkit.service.users import NewUser, add_user, ensure_platform_key

T = TypeVar("T")


class Market:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self.deps = runtime.deps
        self.platform = self.tx(lambda uow: ensure_platform_key(self.deps, uow, "pk_test"))
        self._n = 0
        self.buyer = self.user(Role.BUYER, "DE")
        self.seller = self.user(Role.SELLER, "CN")

    def on(self, runtime: Runtime) -> Market:
        """The same people, served by another runtime (e.g. another policy)."""
        other = Market.__new__(Market)
        other.rt, other.deps, other._n = runtime, runtime.deps, self._n + 1000
        other.platform, other.buyer, other.seller = self.platform, self.buyer, self.seller
        return other

    def tx(self, work: Callable[[UnitOfWork], T]) -> T:
        return transactions.run(self.deps, work)

    def user(self, role: Role, country: str, tier: Tier | None = None) -> User:
        self._n += 1
        new = NewUser(role, f"{role.value} {self._n}", f"{role.value}{self._n}@t.io", country, tier)
        return self.tx(lambda uow: add_user(self.deps, uow, new))[0]

    @property
    def now(self) -> datetime:
        return self.deps.clock.now()

    def advance(self, **delta: float) -> None:
        assert self.rt.sandbox_clock is not None
        advance_clock(self.deps, self.rt.sandbox_clock, timedelta(**delta))

    def advance_to(self, moment: datetime) -> None:
        assert self.rt.sandbox_clock is not None
        advance_clock(self.deps, self.rt.sandbox_clock, moment - self.now)

    def place(
        self,
        *,
        buyer: User | None = None,
        seller: User | None = None,
        method: PaymentMethod = PaymentMethod.CARD,
        lines: tuple[OrderLine, ...] = (OrderLine("sku-1", "Lamp", 2, 1250),),
        shipping_fee: int = 500,
        promised_days: int = 20,
        handling_days: int | None = None,
        country: str = "DE",
    ) -> Order:
        buyer = buyer or self.buyer
        seller = seller or self.seller

        def draft(b: User, s: User) -> OrderDraft:
            return OrderDraft(
                b.id, s.id, b.country, s.country, "USD", lines, shipping_fee, method,
                Address(country, "Berlin", "10115"), promised_days, handling_days,
            )  # fmt: skip

        return self.tx(
            lambda uow: orders.create_order(self.deps, uow, self.platform, draft, buyer.id,
                                            seller.id)
        ).order  # fmt: skip

    def paid(self, **kw: object) -> Order:
        order = self.place(**kw)  # type: ignore[arg-type]
        return self.pay(order.id)

    def shipped(self, **kw: object) -> Order:
        order = self.paid(**kw)
        return self.ship(order.id)

    def pay(self, order_id: str, reference: str = "p") -> Order:
        return self.tx(lambda uow: orders.pay_order(self.deps, uow, self.platform, order_id,
                                                    reference)).order  # fmt: skip

    def ship(self, order_id: str, seller: User | None = None) -> Order:
        who = seller or self.seller
        return self.tx(lambda uow: orders.ship_order(self.deps, uow, who, order_id, "DHL", "T1"))\
            .order  # fmt: skip

    def released(self, **kw: object) -> Order:
        """Shipped, confirmed by the buyer, and paid to the seller once the window closed."""
        order = self.shipped(**kw)
        buyer = kw.get("buyer") or self.buyer
        assert isinstance(buyer, User)
        self.tx(lambda uow: orders.confirm_receipt(self.deps, uow, buyer, order.id))
        self.advance(days=16)
        released = self.order(order.id)
        assert released.released_at is not None
        return released

    def refund(self, order_id: str, amount: int, by: User | None = None) -> Refund:
        who = by or self.platform
        return self.tx(
            lambda uow: refunds.refund_order(self.deps, uow, who, order_id, amount,
                                            "goodwill")
        )  # fmt: skip

    def payout(self, seller: User, amount: int) -> None:
        self.tx(lambda uow: payouts.record_payout(self.deps, uow, self.platform, seller.id,
                                                  "USD", amount, "bank"))  # fmt: skip

    def get(self, order_id: str, viewer: User | None = None) -> OrderDetails:
        who = viewer or self.platform
        return self.tx(lambda uow: orders.get_order(self.deps, uow, who, order_id))

    def order(self, order_id: str) -> Order:
        return self.get(order_id).order

    def refunds(self, order_id: str) -> list[Refund]:
        found, _ = self.tx(
            lambda uow: refunds.list_refunds(uow, self.platform, order_id, starting_after=None,
                                             limit=100)
        )  # fmt: skip
        return list(found)

    def events(self, order_id: str) -> list[StoredEvent]:
        found, _ = self.tx(
            lambda uow: orders.timeline(uow, self.platform, order_id, starting_after=None,
                                        limit=100)
        )  # fmt: skip
        return list(found)

    def balance(self, account: str, at: datetime | None = None) -> int:
        return self.tx(lambda uow: uow.ledger.balance(account, at=at)).get("USD", 0)

    def fire_due(self) -> int:
        return fire_due(self.deps)

    def messages(
        self, kind: NotificationKind | None = None, order_id: str | None = None
    ) -> list[Notification]:
        """Every stored notification (newest first), as the platform lists them."""
        found, _ = self.tx(lambda uow: notifications.list_notifications(
            uow, self.platform, user_id=None, order_id=order_id,
            kind=kind.value if kind else None, starting_after=None, limit=100))  # fmt: skip
        return found


def evidence_file(market: Market, owner: User) -> str:
    """A file record as an upload leaves it (the bytes themselves do not matter here)."""
    from refundkit.service.file_ports import FileRecord

    file_id = market.deps.ids.new("file")
    record = FileRecord(file_id, owner.id, "dispute_evidence", "text/plain", 4, "0" * 64,
                        f"test-{file_id}", "note.txt", market.now)  # fmt: skip
    market.tx(lambda uow: uow.files.add(record))
    return file_id
