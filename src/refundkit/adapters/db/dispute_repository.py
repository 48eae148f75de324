"""Disputes with their offers; messages, evidence requests and appeals beside them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from refundkit.adapters.db import tables as t
from refundkit.adapters.db.dialects import locked
from refundkit.domain.disputes.appeals import Appeal
from refundkit.domain.disputes.model import (
    DecidedBy,
    Dispute,
    DisputeOutcome,
    DisputeReason,
    DisputeStatus,
    Offer,
    OfferStatus,
)
from refundkit.domain.errors import ConcurrentUpdate, NotFound
from refundkit.service.records import DisputeNote

_FIELDS = (
    "status", "respond_by", "escalate_at", "escalated_at", "agent_due_by", "outcome",
    "refund_amount", "decided_by", "rule", "rationale", "resolved_at", "appeal_until",
    "return_ship_by", "return_carrier", "return_tracking_number", "return_shipped_at",
    "return_delivered_at", "return_confirm_by", "fast_refunded_at", "return_postage",
    "return_postage_payer", "return_seller_label", "refund_destination", "compensation_credit",
    "fast_refund_from_balance", "advance",
)  # fmt: skip


def _disputes() -> sa.Select[Any]:
    """Disputes with what they read of their order's row in the same statement: its
    currency and the chargeback open on it (neither is stored with the dispute)."""
    return sa.select(
        t.disputes,
        t.orders.c.currency.label("order_currency"),
        t.orders.c.open_chargeback_id.label("order_chargeback_id"),
    ).join(t.orders, t.orders.c.id == t.disputes.c.order_id)


class SqlDisputeRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._latest: dict[str, Dispute] = {}
        self._by_order: dict[str, list[Dispute]] = {}
        """``for_orders`` once per order and transaction; every write here forgets it."""

    def add(self, d: Dispute) -> None:
        self._by_order.clear()
        row = self._values(d)
        row.update(
            id=d.id, order_id=d.order_id, buyer_id=d.buyer_id, seller_id=d.seller_id,
            reason=d.reason.value, sub_reason=d.sub_reason, item_received=d.item_received,
            requested_refund=d.requested_refund, return_goods=d.return_goods,
            description=d.description, opened_at=d.opened_at, version=d.version,
            lines=[{"item_id": i, "quantity": n} for i, n in d.units.items()] or None,
        )  # fmt: skip
        self._conn.execute(t.disputes.insert(), row)
        self._write_offers(d)
        self._latest[d.id] = d

    def get(self, dispute_id: str, *, for_update: bool = False) -> Dispute | None:
        query = _disputes().where(t.disputes.c.id == dispute_id)
        if for_update:
            query = locked(self._conn, query, of=t.disputes)
        row = self._conn.execute(query).mappings().first()
        if row is None:
            return None
        found = self._latest[dispute_id] = self._load([row])[0]
        return found

    def seen(self, dispute_id: str) -> Dispute | None:
        return self._latest.get(dispute_id)

    def forget_seen(self) -> None:
        """A savepoint rolled back: instances it changed may hold changes never written."""
        self._latest.clear()
        self._by_order.clear()

    def save(self, d: Dispute) -> None:
        self._by_order.clear()
        values = self._values(d)
        values["version"] = d.version + 1
        done = self._conn.execute(
            t.disputes.update()
            .where(t.disputes.c.id == d.id, t.disputes.c.version == d.version)
            .values(values)
        )
        if done.rowcount != 1:
            raise ConcurrentUpdate(f"dispute {d.id} was changed by someone else")
        d.version += 1
        self._write_offers(d)
        self._latest[d.id] = d

    def for_order(self, order_id: str) -> list[Dispute]:
        return self.for_orders([order_id]).get(order_id, [])

    def for_orders(self, order_ids: Sequence[str]) -> dict[str, list[Dispute]]:
        missing = [i for i in dict.fromkeys(order_ids) if i not in self._by_order]
        if missing:
            rows = (
                self._conn.execute(
                    _disputes().where(t.disputes.c.order_id.in_(missing)).order_by(t.disputes.c.id)
                )
                .mappings()
                .all()
            )
            read: dict[str, list[Dispute]] = {i: [] for i in missing}
            for d in self._load(rows) if rows else []:
                read[d.order_id].append(d)
            self._by_order.update(read)
        return {i: list(self._by_order[i]) for i in order_ids if self._by_order[i]}

    def search(
        self, *, buyer_id: str | None, seller_id: str | None, status: DisputeStatus | None,
        starting_after: str | None, limit: int, queue: bool = False,
        ending_before: str | None = None,
    ) -> list[Dispute]:  # fmt: skip
        return [d for d, _ in self.search_with_currency(
            buyer_id=buyer_id, seller_id=seller_id, status=status,
            starting_after=starting_after, limit=limit, queue=queue,
            ending_before=ending_before)]  # fmt: skip

    def search_with_currency(
        self, *, buyer_id: str | None, seller_id: str | None, status: DisputeStatus | None,
        starting_after: str | None, limit: int, queue: bool = False,
        ending_before: str | None = None,
    ) -> list[tuple[Dispute, str]]:  # fmt: skip
        """A page of disputes, each with its offers, whether it was appealed and its order's
        currency, in one statement whatever the page's size (a cursor is looked up in one
        more): the page of disputes (the agent queue in the order of ``ix_disputes_queue``),
        joined to its orders' currencies, then to its offers. The statements are built once
        for each shape of list and bound to its values (building them cost more than
        running them)."""
        cursor = starting_after if starting_after is not None else ending_before
        backwards = starting_after is None and ending_before is not None
        find, page = _list_statements(buyer_id is not None, seller_id is not None,
                                      status is not None, queue, backwards,
                                      cursor is not None)  # fmt: skip
        params: dict[str, Any] = {"buyer_id": buyer_id, "seller_id": seller_id, "limit": limit,
                                  "status": status.value if status else None}  # fmt: skip
        if cursor is not None:
            at = self._conn.execute(find, {**params, "cursor": cursor}).first()
            if at is None:
                field = "starting_after" if starting_after is not None else "ending_before"
                raise NotFound(f"no item {cursor!r} in this list", field=field)
            params.update({f"at_{i}": value for i, value in enumerate(at)})
        found: dict[str, tuple[RowMapping, list[Offer]]] = {}
        for r in self._conn.execute(page, params).mappings():
            _, offers = found.setdefault(r["id"], (r, []))
            if r["offer_id"] is not None:
                offers.append(Offer(
                    r["offer_id"], r["offer_by_role"], r["offer_by_user"],
                    r["offer_refund_amount"], r["offer_return_goods"], r["offer_note"],
                    OfferStatus(r["offer_status"]), r["offer_created_at"]))  # fmt: skip
        disputes = []
        for r, offers in found.values():
            d = self._dispute(r, offers)
            d.appealed = bool(r["appealed"])
            for offer in d.offers:
                offer.currency = d.currency
            disputes.append((d, str(r["order_currency"])))
        return list(reversed(disputes)) if backwards else disputes

    def returns_in_transit(self, carrier: str, tracking_number: str) -> list[Dispute]:
        c = t.disputes.c
        rows = (
            self._conn.execute(
                _disputes().where(
                    c.status == DisputeStatus.RETURN_IN_TRANSIT.value,
                    c.return_carrier == carrier,
                    c.return_tracking_number == tracking_number,
                )
            )
            .mappings()
            .all()
        )
        return self._load(rows) if rows else []

    def add_note(self, note: DisputeNote) -> None:
        self._by_order.clear()
        self._conn.execute(
            t.dispute_messages.insert(),
            {"id": note.id, "dispute_id": note.dispute_id, "author_id": note.author_id,
             "author_role": note.author_role, "body": note.body, "created_at": note.created_at},
        )  # fmt: skip

    def notes(self, dispute_id: str) -> list[DisputeNote]:
        rows = self._conn.execute(
            sa.select(t.dispute_messages)
            .where(t.dispute_messages.c.dispute_id == dispute_id)
            .order_by(t.dispute_messages.c.id)
        ).mappings()
        return [DisputeNote(r["id"], r["dispute_id"], r["author_id"], r["author_role"],
                            r["body"], r["created_at"]) for r in rows]  # fmt: skip

    def add_evidence_request(
        self, request_id: str, dispute_id: str, party: str, requested_by: str, note: str,
        due_by: datetime, created_at: datetime,
    ) -> None:  # fmt: skip
        self._by_order.clear()
        self._conn.execute(
            t.evidence_requests.insert(),
            {"id": request_id, "dispute_id": dispute_id, "party": party,
             "requested_by": requested_by, "note": note, "due_by": due_by, "status": "open",
             "created_at": created_at},
        )  # fmt: skip

    def evidence_requests(self, dispute_id: str) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            sa.select(t.evidence_requests)
            .where(t.evidence_requests.c.dispute_id == dispute_id)
            .order_by(t.evidence_requests.c.id)
        ).mappings()
        return [dict(r) for r in rows]

    def add_appeal(self, appeal: Appeal) -> None:
        self._by_order.clear()
        self._conn.execute(
            t.appeals.insert(),
            {"id": appeal.id, "dispute_id": appeal.dispute_id, "by_role": appeal.by_role,
             "by_user": appeal.by_user, "reason": appeal.reason, "status": appeal.status,
             "created_at": appeal.created_at},
        )  # fmt: skip

    def _load(self, rows: Sequence[RowMapping]) -> list[Dispute]:
        ids = [r["id"] for r in rows]
        offers: dict[str, list[Offer]] = {i: [] for i in ids}
        for o in self._conn.execute(
            sa.select(t.dispute_offers)
            .where(t.dispute_offers.c.dispute_id.in_(ids))
            .order_by(t.dispute_offers.c.id)
        ).mappings():
            offers[o["dispute_id"]].append(
                Offer(o["id"], o["by_role"], o["by_user"], o["refund_amount"], o["return_goods"],
                      o["note"], OfferStatus(o["status"]), o["created_at"])
            )  # fmt: skip
        appealed = set(self._conn.execute(
            sa.select(t.appeals.c.dispute_id).where(t.appeals.c.dispute_id.in_(ids))
        ).scalars())  # fmt: skip
        found = [self._dispute(r, offers[r["id"]]) for r in rows]
        for d in found:
            d.appealed = d.id in appealed
            for offer in d.offers:
                offer.currency = d.currency
        return found

    @staticmethod
    def _dispute(r: RowMapping, offers: list[Offer]) -> Dispute:
        return Dispute(
            id=r["id"], order_id=r["order_id"], buyer_id=r["buyer_id"], seller_id=r["seller_id"],
            status=DisputeStatus(r["status"]), reason=DisputeReason(r["reason"]),
            sub_reason=r["sub_reason"], item_received=r["item_received"],
            requested_refund=r["requested_refund"], return_goods=r["return_goods"],
            description=r["description"], opened_at=r["opened_at"], respond_by=r["respond_by"],
            escalate_at=r["escalate_at"], escalated_at=r["escalated_at"],
            agent_due_by=r["agent_due_by"],
            outcome=DisputeOutcome(r["outcome"]) if r["outcome"] else None,
            refund_amount=r["refund_amount"],
            decided_by=DecidedBy(r["decided_by"]) if r["decided_by"] else None,
            rule=r["rule"], rationale=r["rationale"], resolved_at=r["resolved_at"],
            appeal_until=r["appeal_until"], offers=offers, version=r["version"],
            currency=r["order_currency"], open_chargeback_id=r["order_chargeback_id"],
            units={li["item_id"]: li["quantity"] for li in r["lines"] or []},
            refund_destination=r["refund_destination"],
            compensation_credit=r["compensation_credit"],
            advance=r["advance"],
            **{name: r[name] for name in _FIELDS if name.startswith(("return_", "fast_"))},
        )  # fmt: skip

    @staticmethod
    def _values(d: Dispute) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(d, name) for name in _FIELDS}
        values["status"] = d.status.value
        values["outcome"] = d.outcome.value if d.outcome else None
        values["decided_by"] = d.decided_by.value if d.decided_by else None
        return values

    def _write_offers(self, d: Dispute) -> None:
        if not d.offers:
            return
        existing = set(self._conn.execute(
            sa.select(t.dispute_offers.c.id).where(t.dispute_offers.c.dispute_id == d.id)
        ).scalars())  # fmt: skip
        for o in d.offers:
            if o.id in existing:
                self._conn.execute(t.dispute_offers.update()
                                   .where(t.dispute_offers.c.id == o.id)
                                   .values(status=o.status.value))  # fmt: skip
            else:
                self._conn.execute(
                    t.dispute_offers.insert(),
                    {"id": o.id, "dispute_id": d.id, "by_role": o.by_role, "by_user": o.by_user,
                     "refund_amount": o.refund_amount, "return_goods": o.return_goods,
                     "note": o.note, "status": o.status.value, "created_at": o.created_at},
                )  # fmt: skip

    def appeals(self, *, status: str | None, limit: int) -> list[dict[str, Any]]:
        query = sa.select(t.appeals).order_by(t.appeals.c.created_at, t.appeals.c.id).limit(limit)
        if status is not None:
            query = query.where(t.appeals.c.status == status)
        return [dict(r) for r in self._conn.execute(query).mappings()]

    def open_appeal(self, dispute_id: str) -> dict[str, Any] | None:
        row = (
            self._conn.execute(
                sa.select(t.appeals).where(
                    t.appeals.c.dispute_id == dispute_id, t.appeals.c.status == "open"
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    def close_appeal(self, appeal_id: str, status: str) -> bool:
        """Close an open appeal; False when it was no longer open."""
        self._by_order.clear()
        done = self._conn.execute(
            t.appeals.update()
            .where(t.appeals.c.id == appeal_id, t.appeals.c.status == "open")
            .values(status=status)
        )
        return done.rowcount == 1


@lru_cache(maxsize=64)
def _list_statements(
    buyer: bool, seller: bool, status: bool, queue: bool, backwards: bool, cursor: bool
) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The cursor's lookup and the page of one shape of dispute list, with bound values
    (Stripe's cursors, as ``paging.keyset_page``: the page after or before an id of this
    very list, in the list's order; the agent queue oldest due first, the others newest
    first)."""
    c = t.disputes.c
    appealed = sa.exists().where(t.appeals.c.dispute_id == c.id)
    query = _disputes().add_columns(appealed.label("appealed"))
    if buyer:
        query = query.where(c.buyer_id == sa.bindparam("buyer_id"))
    if seller:
        query = query.where(c.seller_id == sa.bindparam("seller_id"))
    if status:
        query = query.where(c.status == sa.bindparam("status"))
    keys = [c.agent_due_by, c.id] if queue else [c.id]
    find = query.with_only_columns(*keys).where(c.id == sa.bindparam("cursor")).limit(1)
    ascending = queue != backwards  # the queue runs oldest first; a page before runs back
    if cursor:
        mine = sa.tuple_(*keys)
        theirs = sa.tuple_(*(sa.bindparam(f"at_{i}", type_=k.type) for i, k in enumerate(keys)))
        query = query.where(mine > theirs if ascending else mine < theirs)
    inner = query.order_by(*(k.asc() if ascending else k.desc() for k in keys))
    listed = inner.limit(sa.bindparam("limit", type_=sa.Integer)).subquery("page")
    o = t.dispute_offers
    ordered = [listed.c[k.name] for k in keys]
    page = (
        sa.select(listed, *(col.label(f"offer_{col.name}") for col in o.c))
        .select_from(listed.outerjoin(o, o.c.dispute_id == listed.c.id))
        .order_by(*(k.asc() if ascending else k.desc() for k in ordered), o.c.id)
    )
    return find, page
