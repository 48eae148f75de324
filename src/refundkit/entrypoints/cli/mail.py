"""``refundkit notifications``: the mail log from the command line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from rich.console import Console

from refundkit.domain.errors import RefundkitError
from refundkit.service.ports import UnitOfWork

T = TypeVar("T")

notifications_app = typer.Typer(help="The mail log: notifications sent or queued.",
                                no_args_is_help=True)  # fmt: skip
console = Console()
errors = Console(stderr=True)


@notifications_app.command("list")
def list_notifications(
    user: Annotated[str | None, typer.Option(help="Only messages to this user id")] = None,
    order: Annotated[str | None, typer.Option(help="Only messages about this order id")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind (dispute_opened, ...)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first")] = 20,
) -> None:
    """List notifications, newest first: id, created, kind, email, status, channel, subject."""
    found = _read(lambda uow: uow.notifications.search(
        recipient_id=user, order_id=order, kind=kind, starting_after=None, limit=limit,
    ))  # fmt: skip
    for n in found:  # one line each, tab-separated, for grep and cut
        typer.echo("\t".join([n.id, n.created_at.isoformat(timespec="minutes"), n.kind.value,
                              n.email, n.status.value, n.channel or "-", n.subject]))  # fmt: skip
    if not found:
        typer.echo("no notifications")


@notifications_app.command("show")
def show_notification(
    notification_id: Annotated[str, typer.Argument(help="The notification's id (ntf_...)")],
) -> None:
    """Print one message as it was (or will be) sent."""
    found = _read(lambda uow: uow.notifications.get(notification_id))
    if found is None:
        errors.print(f"[bold red]error:[/] no notification {notification_id}")
        raise typer.Exit(code=2)
    error = f"; last error: {found.last_error}" if found.last_error else ""
    console.print(f"To: {found.email}\nSubject: {found.subject}\n"
                  f"Status: {found.status.value} ({found.attempts} attempts{error})\n\n"
                  f"{found.body}", highlight=False, markup=False)  # fmt: skip


def _read(work: Callable[[UnitOfWork], T]) -> T:
    from refundkit.entrypoints.bootstrap import build
    from refundkit.service import transactions

    try:
        runtime = build()
    except RefundkitError as exc:
        errors.print(f"[bold red]error:[/] {exc.detail}")
        raise typer.Exit(code=2) from exc
    try:
        return transactions.run(runtime.deps, work, readonly=True)
    finally:
        runtime.close()
