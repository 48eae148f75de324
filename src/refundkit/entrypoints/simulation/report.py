"""The simulation report: Markdown beside SVG charts; with a second policy, the two runs of
the same history side by side."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from refundkit.domain.money import Money, format_major
from refundkit.entrypoints.simulation.charts import bar_chart
from refundkit.entrypoints.simulation.driver import RunStats
from refundkit.entrypoints.simulation.figures import (
    Figures,
    MoneyFigures,
    percentile,
    resolution_histogram,
)
from refundkit.entrypoints.simulation.scenario import Honesty
from refundkit.entrypoints.simulation.standing_figures import StandingFigures
from refundkit.entrypoints.simulation.standing_report import standing_section, what_if_section

OUTCOMES = ("full_refund", "partial_refund", "no_refund", "withdrawn")


@dataclass
class Run:
    name: str
    """"base" or "what-if"."""
    figures: Figures
    stats: RunStats
    database: str
    standing: StandingFigures = field(default_factory=StandingFigures)


def write_report(
    out: Path, seed: int, orders: int, runs: Sequence[Run], honesty: dict[str, Honesty],
    exponent: Callable[[str], int],
) -> Path:  # fmt: skip
    """Write ``report.md`` and its charts into ``out``; answers the report's path."""
    out.mkdir(parents=True, exist_ok=True)
    md: list[str] = [f"# refundkit simulation: {orders:,} orders, seed {seed}", ""]
    md += _summary(runs)
    for run in runs:
        md += _run_section(out, run, honesty, exponent, prefix="" if len(runs) == 1 else run.name)
    md += standing_section(runs, lambda v, c: _money(v, c, exponent))
    if len(runs) == 2:
        md += _comparison(out, runs, exponent)
        md += what_if_section(runs[0].standing, runs[1].standing,
                              lambda v, c: _money(v, c, exponent))  # fmt: skip
    path = out / "report.md"
    path.write_text("\n".join(md) + "\n")
    return path


def _money(amount: int, currency: str, exponent: Callable[[str], int]) -> str:
    return f"{format_major(Money(amount, currency), exponent(currency))} {currency}"


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "-"


def _summary(runs: Sequence[Run]) -> list[str]:
    head = "| | " + " | ".join(f"{r.name} (policy {r.figures.policy_version})" for r in runs)
    lines = [head + " |", "|---" * (len(runs) + 1) + "|"]

    def row(label: str, value: Callable[[Run], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(value(r) for r in runs) + " |")

    row("orders", lambda r: f"{r.figures.orders:,}")
    row("cancelled", lambda r: _pct(r.figures.orders_by_status["cancelled"], r.figures.orders))
    row(
        "disputed",
        lambda r: f"{r.figures.disputes:,} ({_pct(r.figures.disputes, r.figures.orders)})",
    )
    row("decided automatically (policy)", lambda r: f"{r.figures.automatic:,}")
    row("decided by agents", lambda r: f"{r.figures.by_agents:,}")
    row(
        "agreed by the parties",
        lambda r: f"{r.figures.decided_by['buyer'] + r.figures.decided_by['seller']:,}",
    )
    row("median days to resolution", lambda r: f"{percentile(r.figures.resolution_days, 0.5):.1f}")
    row("deadlines missed", lambda r: f"{sum(r.figures.deadlines_missed.values()):,}")
    row(
        "sellers flagged by tracking",
        lambda r: f"{len(set().union(*r.figures.flagged_sellers.values())):,}",
    )
    row(
        "ledger",
        lambda r: (
            "balances"
            if not r.figures.ledger_problems
            else f"**{len(r.figures.ledger_problems)} violations**"
        ),
    )
    row("journal entries", lambda r: f"{r.figures.journal_entries:,}")
    row("steps refused by the policy", lambda r: f"{sum(r.stats.refused.values()):,}")
    row(
        "wall time", lambda r: f"{r.stats.wall_seconds:.1f} s for {r.stats.sim_days} simulated days"
    )
    row("database", lambda r: f"`{r.database}`")
    return [*lines, ""]  # fmt: skip


def _run_section(
    out: Path, run: Run, honesty: dict[str, Honesty], exponent: Callable[[str], int],
    prefix: str,
) -> list[str]:  # fmt: skip
    f = run.figures
    tag = f"{prefix}-" if prefix else ""
    title = f" ({prefix})" if prefix else ""
    md = [f"## Outcomes by reason{title}", ""]
    reasons = sorted(f.outcomes_by_reason)
    labels = [
        *OUTCOMES,
        *sorted({k for c in f.outcomes_by_reason.values() for k in c} - set(OUTCOMES)),
    ]
    md += ["| reason | " + " | ".join(labels) + " | total |", "|---" * (len(labels) + 2) + "|"]
    for reason in reasons:
        c = f.outcomes_by_reason[reason]
        md.append(f"| {reason} | " + " | ".join(str(c.get(k, 0)) for k in labels)
                  + f" | {sum(c.values())} |")  # fmt: skip
    _chart(out, f"{tag}outcomes.svg", md, f"Dispute outcomes by reason{title}", reasons,
           [(k, [f.outcomes_by_reason[r].get(k, 0) for r in reasons]) for k in labels])  # fmt: skip
    md += ["", f"## Money refunded and who bore it{title}", "",
           "From the ledger: a refund before the seller is paid comes out of escrow (the "
           "seller's sale is undone); after, it is clawed back from the seller's balance and the "
           "platform gives back its commission; what a balance cannot pay the platform covers, "
           "and it stays the platform's loss until recovered.", "",
           "| currency | paid in | refunded | borne by sellers | borne by the platform | "
           "of which cover not recovered | released to sellers | commission |",
           "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    currencies = sorted(f.money)
    for cur in currencies:
        m = f.money[cur]
        md.append(f"| {cur} | " + " | ".join(_money(v, cur, exponent) for v in (
            m.paid, m.refunded, m.seller_bore, m.platform_bore, m.cover_outstanding, m.released,
            m.commission)) + " |")  # fmt: skip
    _chart(out, f"{tag}money.svg", md, f"Refunds borne, per currency (major units){title}",
           currencies, _money_series(f.money, currencies, exponent),
           labels=_money_labels(f.money, currencies, exponent))  # fmt: skip
    md += ["", f"## Who decided{title}", "",
           "| decided by | disputes | median days | p90 days |", "|---|---|---|---|"]  # fmt: skip
    deciders = sorted(f.decided_by)
    for who in deciders:
        days = f.resolution_by_decider.get(who, [])
        md.append(f"| {who} | {f.decided_by[who]} | {percentile(days, 0.5):.1f} | "
                  f"{percentile(days, 0.9):.1f} |")  # fmt: skip
    _chart(out, f"{tag}deciders.svg", md, f"Automatic, agreed and agent resolutions{title}",
           deciders, [("disputes", [f.decided_by[w] for w in deciders])])  # fmt: skip
    hist = resolution_histogram(f.resolution_days)
    md += ["", f"## Time to resolution{title}", "",
           f"Median {percentile(f.resolution_days, 0.5):.1f} days, p90 "
           f"{percentile(f.resolution_days, 0.9):.1f} days over {len(f.resolution_days)} resolved "
           "disputes (sandbox time, from opening to the outcome)."]  # fmt: skip
    _chart(out, f"{tag}resolution.svg", md, f"Days from opening to outcome{title}",
           [h[0] for h in hist], [("disputes", [h[1] for h in hist])])  # fmt: skip
    md += ["", f"## Deadlines missed{title}", "", "| deadline | times |", "|---|---|"]
    missed = sorted(f.deadlines_missed.items(), key=lambda kv: -kv[1])
    md += [f"| {k} | {v:,} |" for k, v in missed]
    _chart(out, f"{tag}deadlines.svg", md, f"Deadlines missed (the timer acted){title}",
           [k for k, _ in missed], [("times", [v for _, v in missed])])  # fmt: skip
    md += ["", f"## Sellers flagged{title}", ""]
    md += _sellers(f, honesty)
    if run.stats.refused:
        md += ["", f"## Steps the policy refused{title}", "",
               "What people tried that the rules did not allow (same history in every run).", "",
               "| step: error code | times |", "|---|---|"]  # fmt: skip
        md += [f"| {k} | {v:,} |" for k, v in sorted(run.stats.refused.items())]
    return [*md, ""]


def _sellers(f: Figures, honesty: dict[str, Honesty]) -> list[str]:
    md = ["Tracking flags raised on a seller's orders, and sellers with at least 3 disputes "
          "and 10 % of their paid orders disputed, against what the generator made them:", "",
          "| flag | sellers | of them fraudulent | sloppy | silent | honest |",
          "|---|---|---|---|---|---|"]  # fmt: skip
    groups = [*sorted(f.flagged_sellers.items()), ("high dispute rate", f.disputed_sellers)]
    for name, sellers in groups:
        kinds = [honesty.get(s) for s in sellers]
        md.append(f"| {name} | {len(sellers)} | " + " | ".join(
            str(kinds.count(h)) for h in (Honesty.FRAUD, Honesty.SLOPPY, Honesty.SILENT,
                                          Honesty.HONEST)) + " |")  # fmt: skip
    fraud = sum(1 for h in honesty.values() if h is Honesty.FRAUD)
    md.append("")
    md.append(f"The market had {len(honesty)} sellers, {fraud} of them fraudulent.")
    return md


def _money_series(
    money: dict[str, MoneyFigures], currencies: list[str], exponent: Callable[[str], int]
) -> list[tuple[str, list[float]]]:
    def major(v: int, cur: str) -> float:
        return float(v) / float(10 ** exponent(cur))  # display only: bar lengths, never money

    return [("sellers", [major(money[c].seller_bore, c) for c in currencies]),
            ("platform", [major(money[c].platform_bore, c) for c in currencies])]  # fmt: skip


def _money_labels(
    money: dict[str, MoneyFigures], currencies: list[str], exponent: Callable[[str], int]
) -> list[list[str]]:
    return [[_money(money[c].seller_bore, c, exponent) for c in currencies],
            [_money(money[c].platform_bore, c, exponent) for c in currencies]]  # fmt: skip


def _chart(
    out: Path, name: str, md: list[str], title: str, categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]], labels: Sequence[Sequence[str]] | None = None,
) -> None:  # fmt: skip
    if not categories:
        return
    (out / name).write_text(bar_chart(title, categories, series, value_labels=labels))
    md += ["", f"![{title}]({name})", ""]


def _comparison(out: Path, runs: Sequence[Run], exponent: Callable[[str], int]) -> list[str]:
    base, other = runs[0].figures, runs[1].figures
    md = ["## What changed under the other policy", "",
          f"The same generated history, replayed under policy {other.policy_version} "
          f"instead of {base.policy_version}.", "",
          "| figure | base | what-if | change |", "|---|---|---|---|"]  # fmt: skip
    rows: list[tuple[str, float, float]] = [
        ("disputes", base.disputes, other.disputes),
        ("full refunds", *_count(runs, "full_refund")),
        ("partial refunds", *_count(runs, "partial_refund")),
        ("no refund", *_count(runs, "no_refund")),
        ("decided automatically", base.automatic, other.automatic),
        ("decided by agents", base.by_agents, other.by_agents),
        ("median days to resolution", percentile(base.resolution_days, 0.5),
         percentile(other.resolution_days, 0.5)),
        ("deadlines missed", sum(base.deadlines_missed.values()),
         sum(other.deadlines_missed.values())),
        ("steps refused", sum(runs[0].stats.refused.values()),
         sum(runs[1].stats.refused.values())),
    ]  # fmt: skip
    for label, a, b in rows:
        md.append(f"| {label} | {a:,.1f} | {b:,.1f} | {b - a:+,.1f} |".replace(".0 |", " |"))
    md += ["", "| currency | refunded (base) | refunded (what-if) | sellers bore (base) | "
           "sellers bore (what-if) | platform bore (base) | platform bore (what-if) |",
           "|---|---|---|---|---|---|---|"]  # fmt: skip
    for cur in sorted(set(base.money) | set(other.money)):
        ma, mb = base.money.get(cur, MoneyFigures()), other.money.get(cur, MoneyFigures())
        cells = [ma.refunded, mb.refunded, ma.seller_bore, mb.seller_bore, ma.platform_bore,
                 mb.platform_bore]  # fmt: skip
        md.append(f"| {cur} | " + " | ".join(_money(v, cur, exponent) for v in cells) + " |")
    _chart(out, "comparison.svg", md, "Base policy and what-if, side by side",
           [r[0] for r in rows if r[0] != "median days to resolution"],
           [("base", [r[1] for r in rows if r[0] != "median days to resolution"]),
            ("what-if", [r[2] for r in rows if r[0] != "median days to resolution"])])  # fmt: skip
    return [*md, ""]


def _count(runs: Sequence[Run], outcome: str) -> tuple[int, int]:
    a, b = (sum(c.get(outcome, 0) for c in r.figures.outcomes_by_reason.values()) for r in runs)
    return a, b
