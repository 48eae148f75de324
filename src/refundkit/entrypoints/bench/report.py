"""The benchmark table, for the terminal and as Markdown."""

from __future__ import annotations

from refundkit.entrypoints.bench.measure import Result
from refundkit.entrypoints.bench.run import BenchRun

COLUMNS = (
    "#",
    "workload",
    "ops",
    "ops/s",
    "p50 ms",
    "p99 ms",
    "peak RSS MB",
    "SQL/op",
    "ceiling/s",
    "ratio",
)


def row(r: Result) -> list[str]:
    p50, p99 = r.percentile_ms(0.5), r.percentile_ms(0.99)
    return [
        str(r.number),
        r.name,
        f"{r.ops:,}",
        f"{r.ops_per_s:,.0f}",
        "-" if p50 is None else f"{p50:.1f}",
        "-" if p99 is None else f"{p99:.1f}",
        f"{r.peak_rss_mb:.0f}",
        f"{r.statements_per_op:.1f}" if r.statements_per_op >= 1 else f"{r.statements_per_op:.3f}",
        "-" if r.ceiling_ops_per_s is None else f"{r.ceiling_ops_per_s:,.0f}",
        "-" if r.ratio is None else f"{r.ratio:.2f}",
    ]


def markdown(run: BenchRun) -> str:
    lines = [
        f"Database: {run.dialect} (`{run.database}`), {run.machine}",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    lines += ["| " + " | ".join(row(r)) + " |" for r in run.results]
    lines += ["", "| ceiling of | what the ceiling is | targets |", "|---|---|---|"]
    lines += [
        f"| {r.number} {r.name} | {r.ceiling_name} | {'; '.join(r.targets)} |" for r in run.results
    ]
    notes = [f"- {r.number} {r.name}: {n}" for r in run.results for n in r.notes]
    if notes:
        lines += ["", *notes]
    if run.audit:
        lines += [
            "",
            "| statements of one command (BEGIN and COMMIT counted) | measured | target |",
            "|---|---|---|",
        ]
        lines += [f"| {name} | {n} | <= {target} |" for name, n, target in run.audit]
    return "\n".join(lines) + "\n"
