"""``refundkit simulate``: the command around the simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from refundkit.domain.errors import RefundkitError

console = Console()
errors = Console(stderr=True)


def simulate(
    orders: Annotated[int, typer.Option(min=10, help="How many orders to generate")] = 10_000,
    seed: Annotated[int, typer.Option(help="The same seed gives the same marketplace")] = 7,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="SQLite file (must be new) or PostgreSQL database (the simulator "
            "works in schemas refundkit_sim and refundkit_sim_whatif there); "
            "default: SQLite files beside the report"
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="Replay the same history under this policy and compare"),
    ] = None,
    base_policy: Annotated[
        Path | None, typer.Option(help="The policy of the first run (default: built in)")
    ] = None,
    out: Annotated[Path, typer.Option(help="Where the report goes")] = Path("var/simulation"),
    days: Annotated[int, typer.Option(min=1, help="Days over which orders are placed")] = 30,
    quick: Annotated[bool, typer.Option(help="A small run: 200 orders placed over 7 days")] = False,
) -> None:
    """Generate a marketplace from a seed, live it through on the sandbox clock, and write a
    report (Markdown and SVG charts) of outcomes, money, deadlines and flagged sellers."""
    from refundkit.entrypoints.simulation.run import Options
    from refundkit.entrypoints.simulation.run import simulate as run_simulation

    if quick:
        orders, days = 200, 7
    options = Options(seed, orders, out, database_url, base_policy, policy, days)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("days · {task.fields[placed]:,} orders placed"),
                  TimeElapsedColumn(), console=console) as bar:  # fmt: skip

        def progress_for(name: str):  # type: ignore[no-untyped-def]
            task = bar.add_task(f"simulating ({name})", total=None, placed=0)

            def tick(done: int, total: int, placed: int) -> None:
                bar.update(task, completed=done, total=total, placed=placed)

            return tick

        try:
            path, runs = run_simulation(options, progress_for)
        except RefundkitError as exc:
            errors.print(f"[bold red]error:[/] {exc.detail}")
            raise typer.Exit(code=2) from exc
    for run in runs:
        f = run.figures
        ledger = "[green]balances[/]" if not f.ledger_problems else "[red]VIOLATIONS[/]"
        console.print(
            f"{run.name}: policy {f.policy_version}, {f.orders:,} orders, {f.disputes:,} disputes "
            f"({f.automatic:,} automatic, {f.by_agents:,} by agents), ledger {ledger}, "
            f"{run.stats.wall_seconds:.1f} s",
            highlight=False,
        )
    console.print(f"report: [bold]{path}[/]", soft_wrap=True)
    if any(r.figures.ledger_problems for r in runs):
        for run in runs:
            for problem in run.figures.ledger_problems[:20]:
                errors.print(f"[red]x[/] {run.name}: {problem}", highlight=False)
        raise typer.Exit(code=1)
