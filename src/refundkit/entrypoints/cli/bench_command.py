"""``refundkit bench``: the command around the benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console(width=max(Console().width, 150))


def bench(
    database_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL database to measure (the benchmark works in schema "
            "refundkit_bench there) or a new SQLite file; default: a SQLite file "
            "under --out"
        ),
    ] = None,
    quick: Annotated[bool, typer.Option(help="A small run (about a minute)")] = False,
    only: Annotated[str | None, typer.Option(help="Run only these workloads, e.g. 1,3")] = None,
    sweep_orders: Annotated[
        int | None, typer.Option(min=100, help="Orders in the timer sweep (default 1,000,000)")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where the database and the table go")] = Path(
        "var/bench"
    ),
) -> None:
    """Measure the six workloads (throughput, p50/p99, peak memory, SQL statements per
    operation) each beside a raw ceiling measured in the same run on the same database."""
    from dataclasses import replace

    from refundkit.entrypoints.bench.report import COLUMNS, markdown, row
    from refundkit.entrypoints.bench.run import FULL, QUICK
    from refundkit.entrypoints.bench.run import bench as run_bench

    plan = QUICK if quick else FULL
    if sweep_orders is not None:
        plan = replace(plan, sweep_orders=sweep_orders)
    wanted = None
    if only:
        try:
            wanted = {int(part) for part in only.split(",")}
        except ValueError as exc:
            console.print("[bold red]error:[/] --only takes workload numbers, e.g. 1,3")
            raise typer.Exit(code=2) from exc
        if not wanted <= {1, 2, 3, 4, 5, 6}:
            console.print("[bold red]error:[/] the workloads are numbered 1 to 6")
            raise typer.Exit(code=2)
    with console.status("preparing") as status:
        result = run_bench(database_url, out, plan, wanted, lambda text: status.update(text))
    table = Table(*COLUMNS, title=f"refundkit bench on {result.dialect}")
    for r in result.results:
        table.add_row(*row(r))
    console.print(table)
    for r in result.results:
        for note in r.notes:
            console.print(f"  {r.number} {r.name}: {note}", highlight=False)
    for name, n, target in result.audit:
        mark = "[green]ok[/]" if n <= target else "[red]over[/]"
        console.print(f"  {name}: {n} statements (target <= {target}) {mark}", highlight=False)
    report = out / f"bench-{result.dialect}.md"
    report.write_text(markdown(result))
    console.print(f"table: [bold]{report}[/]", soft_wrap=True)
