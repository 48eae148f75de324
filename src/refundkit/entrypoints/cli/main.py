"""The ``refundkit`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from refundkit.adapters.settings import Settings
from refundkit.domain.errors import RefundkitError
from refundkit.domain.roles import Role
from refundkit.entrypoints.cli.bench_command import bench
from refundkit.entrypoints.cli.mail import notifications_app
from refundkit.entrypoints.cli.simulate_command import simulate

app = typer.Typer(help="refundkit: buyer protection, disputes, escrow and refunds.",
                  no_args_is_help=True)  # fmt: skip
policy_app = typer.Typer(help="Check policy files.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
ledger_app = typer.Typer(help="Check the books.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(users_app, name="users")
webhooks_app = typer.Typer(help="Webhook endpoints and deliveries.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(notifications_app, name="notifications")
console = Console()
errors = Console(stderr=True)
app.command()(simulate)
app.command()(bench)

PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="Policy TOML for new orders (default: built in)")
]


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _prepare(*, sandbox: bool) -> Settings:
    """Settings checked (a clear refusal when wrong), then the log handler installed."""
    from refundkit.entrypoints.cli.processes import SettingsError, prepare

    try:
        return prepare(sandbox=sandbox)
    except SettingsError as exc:
        raise _fail(str(exc)) from exc


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    sandbox: Annotated[
        bool, typer.Option(help="Sandbox clock and PSP, for tests and demos")
    ] = False,
    demo: Annotated[bool, typer.Option(help="Fill an empty database with demo data")] = False,
    worker: Annotated[bool, typer.Option(help="Run the timer worker in this process")] = True,
    policy: PolicyOption = None,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="API processes on the port (PostgreSQL only)")
    ] = 1,
) -> None:
    """Serve the API (and the worker) on one process, or the API on ``--workers N``
    processes (PostgreSQL; the worker then runs beside them in this one). SIGTERM:
    in-flight requests finish (up to REFUNDKIT_SHUTDOWN_GRACE_SECONDS), then it exits 0."""
    from refundkit.entrypoints.api.app import create_app
    from refundkit.entrypoints.api.guards import body_timeouts_from_env
    from refundkit.entrypoints.bootstrap import build
    from refundkit.entrypoints.cli.demo import (
        TRY,
        DemoData,
        print_demo,
        reissue_passwords,
        seed,
    )
    from refundkit.entrypoints.cli.processes import metrics_listener, serve_api
    from refundkit.entrypoints.serving import server_limits_from_env
    from refundkit.entrypoints.worker import start_in_thread

    settings = _prepare(sandbox=sandbox)
    try:
        limits = server_limits_from_env()
        body_timeouts_from_env()
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    try:
        runtime = build(sandbox=sandbox, policy_path=policy)
    except RefundkitError as exc:
        raise _fail(exc.detail) from exc
    if workers > 1:
        if runtime.engine.dialect.name != "postgresql":
            runtime.close()
            raise _fail("--workers needs PostgreSQL: SQLite has one writer, so it is served "
                        "by one process (--workers 1)")  # fmt: skip
        if demo:
            runtime.close()
            raise _fail("--demo serves one process: leave out --workers")
    url = f"http://{host}:{port}"
    demo_logins = None
    if demo:
        data: DemoData | None = seed(
            runtime.deps,
            settings.platform_key.get_secret_value() if settings.platform_key else None,
            runtime.sandbox_clock,
        )
        if data is None:
            console.print("[yellow]The database already holds users: demo data not added; "
                          "the demo people get new passwords.[/]")  # fmt: skip
            accounts = reissue_passwords(runtime.deps)
            print_demo(console, None, url, accounts)
        else:
            accounts = data.accounts
            print_demo(console, data, url, accounts)
        demo_logins = [{"name": a.user.name, "role": a.user.role.value, "email": a.user.email,
                        "password": a.password, "try": TRY.get(a.user.email, "")}
                       for a in accounts]  # fmt: skip
    in_process = start_in_thread(runtime.deps) if worker else None
    metrics_listener(settings, runtime)
    if workers > 1:
        from refundkit.entrypoints.api_processes import serve_processes

        console.print(f"refundkit is listening on [bold]{url}[/] with {workers} API processes")
        try:
            serve_processes(workers, settings, host=host, port=port, limits=limits,
                            sandbox=sandbox, policy=policy)  # fmt: skip
        finally:
            if in_process is not None:
                in_process[1].set()
                in_process[0].join(settings.shutdown_grace_seconds)
            runtime.close()
        return
    console.print(f"refundkit is listening on [bold]{url}[/] (sign in: {url}/sign-in, "
                  f"API docs: {url}/docs)")  # fmt: skip
    serve_api(create_app(runtime.deps, demo_logins=demo_logins), runtime, settings,
              host=host, port=port, limits=limits, worker=in_process)  # fmt: skip


@app.command("worker")
def worker_command(
    poll: Annotated[float, typer.Option(help="Seconds between polls")] = 1.0,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Timers fired per transaction")] = 100,
    sweepers: Annotated[
        int, typer.Option(min=1, max=16, help="Timer sweepers side by side (PostgreSQL only)")
    ] = 1,
    sandbox: Annotated[
        bool,
        typer.Option(help="Run on the sandbox clock kept in the database (with serve --sandbox)"),
    ] = False,
    policy: PolicyOption = None,
) -> None:
    """Fire due timers, relay events, send webhooks and notifications until stopped (several
    workers may share PostgreSQL). SIGTERM: the batch in hand finishes, then it exits 0."""
    from refundkit.entrypoints.bootstrap import build
    from refundkit.entrypoints.cli.processes import metrics_listener, run_worker_process

    settings = _prepare(sandbox=sandbox)
    try:
        runtime = build(sandbox=sandbox, policy_path=policy)
    except RefundkitError as exc:
        raise _fail(exc.detail) from exc
    if sweepers > 1 and runtime.engine.dialect.name != "postgresql":
        runtime.close()
        raise _fail("--sweepers above 1 needs PostgreSQL (SQLite has a single writer)")
    metrics_listener(settings, runtime)
    run_worker_process(runtime, poll=poll, batch=batch, sweepers=sweepers)


@app.command("config")
def config_command() -> None:
    """Print the effective settings (secrets masked) and where each came from; exits 2
    when one is wrong."""
    from refundkit.adapters.settings import SettingsError, load, shown, unknown_names

    try:
        settings = load()
    except SettingsError as exc:
        raise _fail(str(exc)) from exc
    table = Table("setting", "value", "from")
    for name, value, source in shown(settings):
        table.add_row(name, value, source)
    console.print(table)
    for name, close in unknown_names():
        hint = f"; did you mean {close}?" if close else ""
        errors.print(f"[yellow]warning:[/] {name} is not a setting{hint}", highlight=False)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    from refundkit.adapters.db.engine import create_engine, database_url
    from refundkit.adapters.db.migrate import upgrade

    url = database_url()
    upgrade(create_engine(url))
    console.print("database is up to date")


@policy_app.command("check")
def policy_check(file: Annotated[Path, typer.Argument(help="Policy TOML file")]) -> None:
    """Check a policy file; names the key of the first problem."""
    from refundkit.adapters.policy_files import load_policy_file

    try:
        policy = load_policy_file(file)
    except RefundkitError as exc:
        raise _fail(f"{file}: {exc.detail}") from exc
    console.print(f"[green]ok[/]: {file} is a valid policy (version {policy.version})")


@users_app.command("create")
def users_create(
    role: Annotated[Role, typer.Option(help="buyer, seller, agent or admin")],
    name: Annotated[str, typer.Option()],
    email: Annotated[str, typer.Option()],
    country: Annotated[str, typer.Option(help="ISO 3166 code, e.g. DE")],
    tier: Annotated[str | None, typer.Option(help="standard, gold, platinum, diamond")] = None,
) -> None:
    """Create a user and print its API key (shown once)."""
    from refundkit.entrypoints.bootstrap import build
    from refundkit.service import transactions
    from refundkit.service.records import Tier
    from refundkit.service.users import NewUser, add_user

    if role in (Role.PLATFORM, Role.SYSTEM):
        raise _fail("role must be buyer, seller, agent or admin")
    try:
        tier_value = Tier(tier) if tier else None
    except ValueError as exc:
        raise _fail(f"unknown tier {tier!r}") from exc
    runtime = build()
    new = NewUser(role, name, email, country, tier_value)
    try:
        user, key = transactions.run(runtime.deps, lambda uow: add_user(runtime.deps, uow, new))
    except RefundkitError as exc:
        raise _fail(exc.detail) from exc
    table = Table(show_header=False)
    for label, value in (("id", user.id), ("role", user.role.value), ("email", user.email),
                         ("api key", key)):  # fmt: skip
        table.add_row(label, value)
    console.print(table)


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Prove the ledger's invariants over the whole journal: every entry balances per
    currency, no escrow is negative, no order is refunded beyond what was paid, and each
    order's escrow matches its amounts. Exits 1 and lists every violation otherwise."""
    from refundkit.adapters.db.engine import create_engine, database_url
    from refundkit.adapters.db.ledger_repository import invariant_violations

    engine = create_engine(database_url())
    with engine.connect() as conn:
        problems = invariant_violations(conn)
        entries = conn.exec_driver_sql("SELECT count(*) FROM journal_entries").scalar_one()
    if problems:
        for problem in problems:
            errors.print(f"[red]x[/] {problem}", highlight=False)
        raise typer.Exit(code=1)
    console.print(f"[green]ok[/]: {entries} journal entries, every invariant holds")


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    endpoint_id: Annotated[str, typer.Argument(help="The endpoint's id (we_...)")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="How many, newest first")] = 20,
) -> None:
    """List an endpoint's deliveries with each attempt."""
    from rich.table import Table

    from refundkit.entrypoints.bootstrap import build
    from refundkit.service import transactions
    from refundkit.service.webhook_records import Delivery

    runtime = build()
    try:
        found: list[Delivery] = transactions.run(
            runtime.deps,
            lambda uow: uow.webhooks.deliveries(endpoint_id, starting_after=None, limit=limit),
            readonly=True,
        )
    finally:
        runtime.close()
    table = Table("id", "event", "type", "status", "attempts", "last answer")
    for d in found:
        last = d.attempt_log[-1] if d.attempt_log else None
        answer = "-" if last is None else (last.error or str(last.status_code))
        table.add_row(str(d.id), d.event_id, d.event_type, d.status.value, str(d.attempts),
                      answer)  # fmt: skip
    console.print(table)


@webhooks_app.command("redeliver")
def webhooks_redeliver(
    delivery_id: Annotated[int, typer.Argument(min=1, help="The delivery's number")],
    sandbox: Annotated[
        bool, typer.Option(help="Due at the sandbox clock's time (with serve --sandbox)")
    ] = False,
) -> None:
    """Send a delivery again at the worker's next turn (a fresh three days of retries)."""
    from refundkit.domain.errors import NotFound
    from refundkit.entrypoints.bootstrap import build
    from refundkit.service import transactions, webhooks

    runtime = build(sandbox=sandbox)
    try:
        deps = runtime.deps
        transactions.run(deps, lambda uow: webhooks.redeliver(deps, uow, None, delivery_id))
    except NotFound as exc:
        raise _fail(exc.detail) from exc
    finally:
        runtime.close()
    console.print(f"[green]ok[/]: delivery {delivery_id} will be sent again")


if __name__ == "__main__":
    app()
