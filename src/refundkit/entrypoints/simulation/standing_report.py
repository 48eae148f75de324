"""The report's standing sections (issue 19): each run's returns, postage and standings, and
with two runs the what-if: returns avoided, postage saved, sellers restricted, buyers
flagged under one policy against the other, from the same history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from refundkit.entrypoints.simulation.standing_figures import StandingFigures

SELLER_STANDINGS = ("good", "at_risk", "restricted")
BUYER_STANDINGS = ("good", "warned", "no_fast_refund", "agent_review")


class HasStanding(Protocol):
    name: str
    standing: StandingFigures


def standing_section(runs: Sequence[HasStanding], money: Callable[[int, str], str]) -> list[str]:
    md = ["## Standing of sellers and buyers", "",
          "At the end of each run, every seller's defect rate and every buyer's signals read "
          "with the run's policy (`[seller_standing]`, `[buyer_signals]`).", "",
          "| | " + " | ".join(r.name for r in runs) + " |",
          "|---" * (len(runs) + 1) + "|"]  # fmt: skip

    def row(label: str, value: Callable[[StandingFigures], str]) -> None:
        md.append(f"| {label} | " + " | ".join(value(r.standing) for r in runs) + " |")

    row("returns posted back", lambda s: f"{s.returns:,}")

    def postage(cur: str) -> Callable[[StandingFigures], str]:
        return lambda s: money(s.postage.get(cur, 0), cur)

    def sellers(name: str) -> Callable[[StandingFigures], str]:
        return lambda s: f"{s.sellers.get(name, 0):,}"

    def buyers(name: str) -> Callable[[StandingFigures], str]:
        return lambda s: f"{s.buyers.get(name, 0):,}"

    for cur in sorted({c for r in runs for c in r.standing.postage}):
        row(f"return postage ({cur})", postage(cur))
    for name in SELLER_STANDINGS:
        row(f"sellers {name}", sellers(name))
    for name in BUYER_STANDINGS:
        row(f"buyers {name}", buyers(name))
    row("returns approved at once (seller standing)", lambda s: f"{s.approved_at_once:,}")
    row("disputes sent to an agent (buyer signals)", lambda s: f"{s.sent_to_agents:,}")
    return [*md, ""]


def what_if_section(base: StandingFigures, other: StandingFigures,
                    money: Callable[[int, str], str]) -> list[str]:  # fmt: skip
    md = ["## What the other policy saves", "",
          "| figure | base | what-if | saved or changed |", "|---|---|---|---|",
          f"| returns avoided | {base.returns:,} | {other.returns:,} | "
          f"{base.returns - other.returns:+,} |"]  # fmt: skip
    for cur in sorted(set(base.postage) | set(other.postage)):
        a, b = base.postage.get(cur, 0), other.postage.get(cur, 0)
        saved = money(a - b, cur)
        md.append(f"| postage saved ({cur}) | {money(a, cur)} | {money(b, cur)} | {saved} |")
    a, b = base.sellers.get("restricted", 0), other.sellers.get("restricted", 0)
    md.append(f"| sellers restricted | {a:,} | {b:,} | {b - a:+,} |")
    a, b = base.buyers_flagged, other.buyers_flagged
    md.append(f"| buyers flagged | {a:,} | {b:,} | {b - a:+,} |")
    return [*md, ""]
