"""An order create in the service (issue 16: at most 6 statements, the use case's own
transaction, BEGIN and COMMIT counted, no key or idempotency): the seller's and the buyer's
standing in one statement, then one statement per kind of row the order writes."""

from __future__ import annotations

from market import Market
from refundkit.domain.orders.model import OrderLine
from statements import counted

CREATE_BUDGET = {"sqlite": 7, "postgresql": 6}
"""Exact since 2 December 2026 (8 and 7 before: the standing was two statements); lower is
welcome (then lower it), higher fails. BEGIN (SQLite), the standing of both parties, the
order, its lines (one statement however many), its payment deadline's timer, the event,
COMMIT. The buyer and seller rows come from the process's party cache (they never change)."""


def test_an_order_create_costs_at_most_its_budget(market: Market) -> None:
    market.place()  # the process now knows the buyer and the seller
    two_lines = (OrderLine("sku-1", "Lamp", 2, 1250), OrderLine("sku-2", "Shade", 1, 900))
    with counted(market.rt.engine, whole=True) as statements:
        market.place(lines=two_lines)
    print(f"\n{len(statements)} statements:\n" + "\n".join(s[:110] for s in statements))
    db = market.rt.engine.dialect.name
    reads = [s for s in statements if s.startswith("SELECT")]
    assert len(reads) == 1, reads  # both parties' standing, one UNION ALL; no user read
    assert "orders.seller_id" in reads[0] and "orders.buyer_id" in reads[0], reads
    writes = [s.split()[3] for s in statements if s.startswith("INSERT")]
    assert writes == ["orders", "order_lines", "timers", "events"], writes
    assert len(statements) <= CREATE_BUDGET[db], statements
