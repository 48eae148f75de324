"""What the standing rules (issue 19) did in a simulated run, read at its end: returns shipped
and their postage, sellers by standing, buyers by standing. Two runs of the same history
under two policies give the what-if: returns avoided, postage saved, sellers restricted,
buyers flagged."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from refundkit.adapters.db import tables as t
from refundkit.service import standing, transactions
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import User


@dataclass
class StandingFigures:
    returns: int = 0
    """Disputes whose goods were posted back."""
    postage: dict[str, int] = field(default_factory=dict)
    """Postage of those returns, per currency, in minor units."""
    sellers: Counter[str] = field(default_factory=Counter)
    """Sellers by standing at the end of the run (good, at_risk, restricted)."""
    buyers: Counter[str] = field(default_factory=Counter)
    """Buyers by standing at the end (good, warned, no_fast_refund, agent_review)."""
    approved_at_once: int = 0
    """Disputes a seller's standing accepted at once."""
    sent_to_agents: int = 0
    """Disputes a buyer's standing sent to an agent at once."""

    @property
    def buyers_flagged(self) -> int:
        return sum(n for name, n in self.buyers.items() if name != "good")


def read_standing_figures(deps: Deps, engine: Engine, sellers: list[User],
                          buyers: list[User]) -> StandingFigures:  # fmt: skip
    f = StandingFigures()
    d, o, e = t.disputes, t.orders, t.events
    with engine.connect() as conn:
        for currency, count, postage in conn.execute(
            sa.select(o.c.currency, sa.func.count(), sa.func.sum(d.c.return_postage))
            .select_from(d.join(o, o.c.id == d.c.order_id))
            .where(d.c.return_shipped_at.is_not(None)).group_by(o.c.currency)
        ):  # fmt: skip
            f.returns += int(count)
            f.postage[currency] = int(postage or 0)
        f.approved_at_once = conn.execute(
            sa.select(sa.func.count()).select_from(d).where(d.c.rule.like("seller_standing.%"))
        ).scalar_one()
        f.sent_to_agents = conn.execute(
            sa.select(sa.func.count()).select_from(e).where(
                e.c.type == "dispute.escalated",
                e.c.data["rule"].as_string() == "buyer_signals.agent_review_from_signals")
        ).scalar_one()  # fmt: skip

    def read(uow: UnitOfWork) -> None:
        for seller in sellers:
            f.sellers[standing.seller_reading(deps, uow, seller.id).standing.value] += 1
        for buyer in buyers:
            f.buyers[standing.buyer_reading(deps, uow, buyer.id).standing.value] += 1

    transactions.run(deps, read, readonly=True)
    return f
