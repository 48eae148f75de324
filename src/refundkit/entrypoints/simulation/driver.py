"""Runs a generated history through the service layer (the use cases the API calls), hour by
hour of sandbox time: the steps people take, then every timer that fell due."""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.disputes.model import DisputeStatus
from refundkit.domain.errors import RefundkitError
from refundkit.domain.orders.model import Address, OrderLine
from refundkit.domain.orders.placement import OrderDraft
from refundkit.domain.refunds import PaymentMethod
from refundkit.domain.roles import Role
from refundkit.entrypoints.simulation.clock import SimulatedClock
from refundkit.entrypoints.simulation.scenario import (
    CITIES,
    RETURN_POSTAGE,
    OrderPlan,
    Parcel,
    Scenario,
    scan_history,
)
from refundkit.service import disputes, files, orders, tracking, transactions
from refundkit.service.deps import Deps
from refundkit.service.file_ports import Uploads
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import Tier, TrackingScan, User
from refundkit.service.timers import fire_due
from refundkit.service.users import NewUser, add_user, ensure_platform_key

TICK = timedelta(hours=1)
STEPS_PER_TRANSACTION = 200
AGENT_DECISIONS_PER_DAY = 40
TAIL_DAYS = 130
"""Days simulated after the last order is placed: the longest protection plus a dispute."""


@dataclass
class RunStats:
    steps: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    timers_fired: int = 0
    wall_seconds: float = 0.0
    sim_days: int = 0


@dataclass(order=True)
class _Step:
    when: datetime
    seq: int
    kind: str = field(compare=False)
    plan: int = field(compare=False)
    data: dict[str, object] = field(compare=False, default_factory=dict)


Progress = Callable[[int, int, int], None]
"""(simulated days done, of how many, orders placed so far)"""


class Driver:
    def __init__(
        self, deps: Deps, clock: SimulatedClock, scenario: Scenario, uploads: Uploads
    ) -> None:
        self.deps, self.clock, self.scenario, self.uploads = deps, clock, scenario, uploads
        self.start = clock.now()
        self.stats = RunStats()
        self._queue: list[_Step] = []
        self._seq = itertools.count()
        self._by_dispute: dict[str, OrderPlan] = {}
        self._returns_planned: set[str] = set()
        self._confirms_planned: set[str] = set()
        self.buyers: list[User] = []
        self.sellers: list[User] = []
        self.platform: User
        self.agent: User
        self.placed = 0

    # --- the run ---------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> RunStats:
        import time

        began = time.perf_counter()
        self._people()
        for plan in self.scenario.orders:
            self._at(self.start + plan.placed_after, "create", plan)
        total_days = self.scenario.placement_days + TAIL_DAYS
        end = self.start + timedelta(days=total_days)
        now = self.start
        while now < end:
            now = self._next_tick(now, end)
            self.clock.set(now)
            self._run_due_steps(now)
            if now.hour == 10:
                self._daily_rounds()
            self.stats.timers_fired += fire_due(self.deps, batch=500)
            if progress:
                progress((now - self.start).days, total_days, self.placed)
        self.stats.sim_days = total_days
        self.stats.wall_seconds = time.perf_counter() - began
        return self.stats

    def _next_tick(self, now: datetime, end: datetime) -> datetime:
        """The next hour in which something happens: a step, a timer, the daily round
        (quiet hours are skipped, not lived through one by one)."""
        soonest = [end, (now - timedelta(hours=10)).replace(hour=0, minute=0, second=0,
                                                            microsecond=0)
                   + timedelta(days=1, hours=10)]  # fmt: skip
        if self._queue:
            soonest.append(self._queue[0].when)
        due = transactions.run(self.deps, lambda uow: uow.timers.next_due_at(), readonly=True)
        if due is not None:
            soonest.append(due)
        target = min(soonest)
        on_the_hour = target.replace(minute=0, second=0, microsecond=0)
        if on_the_hour < target:
            on_the_hour += TICK
        return min(max(now + TICK, on_the_hour), end)

    def _people(self) -> None:
        deps = self.deps

        def make(uow: UnitOfWork) -> None:
            self.platform = ensure_platform_key(deps, uow, "pk_simulation")
            self.agent = add_user(deps, uow, NewUser(Role.AGENT, "Agent", "agent@sim.invalid",
                                                     "IE"))[0]  # fmt: skip
            for b in self.scenario.buyers:
                new = NewUser(Role.BUYER, f"Buyer {b.index}", f"b{b.index}@sim.invalid",
                              b.country, Tier(b.tier or "standard"))  # fmt: skip
                self.buyers.append(add_user(deps, uow, new)[0])
            for s in self.scenario.sellers:
                new = NewUser(Role.SELLER, f"Seller {s.index}", f"s{s.index}@sim.invalid",
                              s.country)  # fmt: skip
                self.sellers.append(add_user(deps, uow, new)[0])

        transactions.run(deps, make)

    def _at(self, when: datetime, kind: str, plan: OrderPlan, **data: object) -> None:
        heapq.heappush(self._queue, _Step(when, next(self._seq), kind, plan.index, data))

    def _run_due_steps(self, now: datetime) -> None:
        due: list[_Step] = []
        while self._queue and self._queue[0].when <= now:
            due.append(heapq.heappop(self._queue))
        if not due:
            return
        for step in due:
            if step.kind == "open_dispute":
                self._upload_evidence(step)
        for start in range(0, len(due), STEPS_PER_TRANSACTION):
            chunk = due[start : start + STEPS_PER_TRANSACTION]
            transactions.run(self.deps, lambda uow, c=chunk: self._run_steps(uow, c))  # type: ignore[misc]

    def _run_steps(self, uow: UnitOfWork, steps: list[_Step]) -> None:
        for step in steps:
            plan = self.scenario.orders[step.plan]
            self.stats.steps[step.kind] += 1
            try:
                with uow.savepoint():
                    _HANDLERS[step.kind](self, uow, plan, step)
            except RefundkitError as refusal:
                self.stats.refused[f"{step.kind}: {refusal.code}"] += 1

    # --- people's steps -------------------------------------------------------------------

    def _buyer(self, plan: OrderPlan) -> User:
        return self.buyers[plan.buyer]

    def _seller(self, plan: OrderPlan) -> User:
        return self.sellers[plan.seller]

    def _total(self, plan: OrderPlan) -> int:
        return plan.unit_price * plan.quantity + plan.shipping_fee

    def _create(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        buyer = self._buyer(plan)
        city, postcode = CITIES[plan.country]

        def draft(b: User, s: User) -> OrderDraft:
            return OrderDraft(
                b.id, s.id, b.country, s.country, plan.currency,
                (OrderLine(f"SKU-{plan.index % 997}", "Simulated item", plan.quantity,
                           plan.unit_price),),
                plan.shipping_fee, PaymentMethod(plan.method),
                Address(plan.country, city, postcode), plan.promised_days,
            )  # fmt: skip

        found = orders.create_order(self.deps, uow, self.platform, draft, buyer.id,
                                    self._seller(plan).id)  # fmt: skip
        plan.ids["order"] = found.order.id
        self.placed += 1
        if plan.pays:
            self._at(step.when + plan.pay_delay, "pay", plan)

    def _pay(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        orders.pay_order(self.deps, uow, self.platform, plan.ids["order"], f"psp_{plan.index}")
        if plan.cancel is not None:
            self._at(step.when + plan.cancel_delay, "cancel", plan)
        if plan.ships:
            self._at(step.when + plan.ship_delay, "ship", plan)

    def _cancel(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        found = orders.cancel_order(self.deps, uow, self._buyer(plan), plan.ids["order"],
                                    "changed my mind")  # fmt: skip
        if found.order.status.value == "cancel_requested" and plan.cancel != "request_silent":
            self._at(step.when + timedelta(hours=7), "cancel_answer", plan)

    def _cancel_answer(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        seller, oid = self._seller(plan), plan.ids["order"]
        if plan.cancel == "request_approved":
            orders.approve_cancellation(self.deps, uow, seller, oid)
        else:
            orders.reject_cancellation(self.deps, uow, seller, oid, "already packed")

    def _ship(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        orders.ship_order(self.deps, uow, self._seller(plan), plan.ids["order"], plan.carrier,
                          plan.tracking)  # fmt: skip
        shipped = step.when
        for offset, status, where in scan_history(plan):
            self._at(shipped + offset, "scan", plan, status=status, where=where)
        delivered = shipped + plan.transit
        arrives = plan.parcel is Parcel.NORMAL
        if arrives and plan.confirms:
            self._at(delivered + plan.confirm_delay, "confirm", plan)
        if plan.dispute is not None:
            base = delivered if plan.dispute.after_delivery else shipped
            self._at(base + plan.dispute.opens_after, "open_dispute", plan)

    def _scan(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        where = step.data["where"]
        assert isinstance(where, tuple)
        country, city, postcode = where
        scan = TrackingScan(
            str(step.data.get("carrier", plan.carrier)),
            str(step.data.get("tracking", plan.tracking)), str(step.data["status"]), country,
            city, postcode, step.when, None, self.clock.now(),
        )  # fmt: skip
        tracking.ingest_scans(self.deps, uow, self.platform, [scan])

    def _confirm(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        orders.confirm_receipt(self.deps, uow, self._buyer(plan), plan.ids["order"])

    def _upload_evidence(self, step: _Step) -> None:
        plan = self.scenario.orders[step.plan]
        if plan.dispute is None or not plan.dispute.after_delivery:
            return
        staged = self.uploads.blobs.stage()
        staged.write(f"Photo notes for order {plan.index}: {plan.dispute.reason}.\n".encode())
        try:
            record = files.store_upload(
                self.deps, self.uploads, self._buyer(plan), staged,
                purpose="dispute_evidence", filename="notes.txt",
            )  # fmt: skip
        finally:
            staged.discard()
        step.data["evidence"] = record.id

    def _open_dispute(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        d = plan.dispute
        assert d is not None
        requested = max(1, round(self._total(plan) * d.requested_share))
        form = DisputeForm(d.reason, d.sub_reason, d.after_delivery, requested, d.return_goods,
                           f"Simulated {d.reason} dispute")  # fmt: skip
        evidence = [str(step.data["evidence"])] if "evidence" in step.data else []
        found = disputes.open_dispute(self.deps, uow, self._buyer(plan), plan.ids["order"], form,
                                      evidence)  # fmt: skip
        plan.ids["dispute"] = found.dispute.id
        plan.ids["requested"] = str(requested)
        self._by_dispute[found.dispute.id] = plan
        if d.seller_answer is not None and found.dispute.status is DisputeStatus.AWAITING_SELLER:
            self._at(step.when + d.seller_delay, "seller_answer", plan)

    def _seller_answer(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        d, seller, did = plan.dispute, self._seller(plan), plan.ids["dispute"]
        assert d is not None
        if d.seller_answer == "accept":
            disputes.accept(self.deps, uow, seller, did)
            return
        if d.seller_answer == "offer":
            amount = max(1, round(int(plan.ids["requested"]) * d.offer_share))
            disputes.offer(self.deps, uow, seller, did, amount, d.return_goods, "a partial refund")
        else:
            disputes.reject(self.deps, uow, seller, did, "the parcel was sent as described")
        if d.buyer_reply is not None:
            self._at(step.when + d.buyer_delay, "buyer_reply", plan)

    def _buyer_reply(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        d, buyer, did = plan.dispute, self._buyer(plan), plan.ids["dispute"]
        assert d is not None
        action = {"accept": disputes.accept, "escalate": disputes.escalate,
                  "withdraw": disputes.withdraw}[d.buyer_reply or ""]  # fmt: skip
        action(self.deps, uow, buyer, did)

    def _ship_return(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        did = plan.ids["dispute"]
        number = f"RET{plan.index:09d}"
        postage = RETURN_POSTAGE[plan.currency]
        disputes.ship_return(self.deps, uow, self._buyer(plan), did, "DHL", number,
                             postage=postage)  # fmt: skip
        d = plan.dispute
        assert d is not None
        seller = self._seller(plan)
        where = (seller.country, "Warehouse", None)
        self._at(step.when + d.return_transit, "scan", plan, status="delivered", where=where,
                 carrier="DHL", tracking=number)  # fmt: skip

    def _confirm_return(self, uow: UnitOfWork, plan: OrderPlan, step: _Step) -> None:
        d = plan.dispute
        assert d is not None
        assert d.return_condition is not None
        disputes.confirm_return(self.deps, uow, self._seller(plan), plan.ids["dispute"],
                                d.return_condition)  # fmt: skip

    # --- daily rounds: the agents' queue, returns to send and to confirm -------------------

    def _daily_rounds(self) -> None:
        now = self.clock.now()
        capacity = AGENT_DECISIONS_PER_DAY * self.scenario.agents
        queue = self._listed(DisputeStatus.ESCALATED, self.agent, capacity)

        def decide(uow: UnitOfWork) -> None:
            for found in queue:
                plan = self._by_dispute.get(found.id)
                if plan is None or plan.dispute is None:
                    continue
                self.stats.steps["agent_decision"] += 1
                outcome = plan.dispute.agent_outcome
                amount = None
                if outcome == "partial_refund":
                    amount = max(1, int(plan.ids["requested"]) // 2)
                goods = plan.dispute.return_goods and outcome != "no_refund"
                try:
                    with uow.savepoint():
                        disputes.decide(self.deps, uow, self.agent, found.id, outcome, amount,
                                        goods, "decided on the evidence")  # fmt: skip
                except RefundkitError as refusal:
                    self.stats.refused[f"agent_decision: {refusal.code}"] += 1

        if queue:
            transactions.run(self.deps, decide)
        for found in self._listed(DisputeStatus.AWAITING_RETURN, self.platform, None):
            plan = self._by_dispute.get(found.id)
            if plan is None or plan.dispute is None or found.id in self._returns_planned:
                continue
            self._returns_planned.add(found.id)
            if plan.dispute.ships_return:
                self._at(now + plan.dispute.return_delay, "ship_return", plan)
        for found in self._listed(DisputeStatus.RETURN_IN_TRANSIT, self.platform, None):
            plan = self._by_dispute.get(found.id)
            if (plan is None or plan.dispute is None or found.return_delivered_at is None
                    or found.id in self._confirms_planned):  # fmt: skip
                continue
            self._confirms_planned.add(found.id)
            if plan.dispute.return_condition is not None:
                self._at(now + plan.dispute.confirm_delay, "confirm_return", plan)

    def _listed(self, status: DisputeStatus, who: User, most: int | None) -> list[_Listed]:
        found: list[_Listed] = []
        after: str | None = None
        while most is None or len(found) < most:
            page, more = transactions.run(
                self.deps,
                lambda uow, a=after: disputes.list_disputes(  # type: ignore[misc]
                    self.deps, uow, who, status=status, starting_after=a, limit=100),
                readonly=True,
            )  # fmt: skip
            found += [_Listed(p.dispute.id, p.dispute.return_delivered_at) for p in page]
            if not more or not page:
                break
            after = page[-1].dispute.id
        return found if most is None else found[:most]


@dataclass(frozen=True, slots=True)
class _Listed:
    id: str
    return_delivered_at: datetime | None


_HANDLERS: dict[str, Callable[[Driver, UnitOfWork, OrderPlan, _Step], None]] = {
    "create": Driver._create,
    "pay": Driver._pay,
    "cancel": Driver._cancel,
    "cancel_answer": Driver._cancel_answer,
    "ship": Driver._ship,
    "scan": Driver._scan,
    "confirm": Driver._confirm,
    "open_dispute": Driver._open_dispute,
    "seller_answer": Driver._seller_answer,
    "buyer_reply": Driver._buyer_reply,
    "ship_return": Driver._ship_return,
    "confirm_return": Driver._confirm_return,
}
