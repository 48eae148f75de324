"""Figures for notifications: a small market lives 30 days on the sandbox clock, two senders
share the mail outbox, and a real SMTP server (aiosmtpd, a dev dependency) counts what
arrives.

    .venv/bin/python scripts/notification_figures.py [--orders 200] [--database-url URL]

Prints the messages stored by kind, the mails received, duplicates, reminders that reached
confirmed or disputed orders (must be 0), and the send rate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from market import Market  # noqa: E402
from refundkit.adapters.mail import SmtpMailer, parse_smtp_url  # noqa: E402
from refundkit.domain.disputes.commands import DisputeForm  # noqa: E402
from refundkit.entrypoints.bootstrap import build  # noqa: E402
from refundkit.service import disputes, mailing, orders  # noqa: E402
from smtp_server import smtp_server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/figures.sqlite3"
    runtime = build(url=url, sandbox=True, sandbox_start=datetime(2026, 11, 2, 9, tzinfo=UTC))
    market = Market(runtime)
    shipped = [market.shipped().id for _ in range(args.orders)]
    market.advance(days=5)
    confirmed, disputed = set(shipped[0::3]), set(shipped[1::5]) - set(shipped[0::3])
    form = DisputeForm("not_received", None, False, 1000, False, "Nothing came.")
    for order_id in shipped:
        if order_id in confirmed:
            market.tx(lambda uow, o=order_id: orders.confirm_receipt(
                market.deps, uow, market.buyer, o))  # fmt: skip
        elif order_id in disputed:
            market.tx(lambda uow, o=order_id: disputes.open_dispute(
                market.deps, uow, market.buyer, o, form, []))  # fmt: skip
    market.advance(days=30)
    with smtp_server() as box:
        mailer = SmtpMailer(parse_smtp_url(box.url))
        started = time.perf_counter()
        threads = [threading.Thread(target=_drain, args=(market, mailer)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    stored = market.tx(lambda uow: uow.notifications.search(
        recipient_id=None, order_id=None, kind=None, starting_after=None, limit=10**6))  # fmt: skip
    ids = [str(m["X-Refundkit-Notification"]) for m in box.got]
    wrong = [n for n in stored if n.kind.value == "dispute_window_reminder"
             and n.order_id in confirmed | disputed]  # fmt: skip
    print(f"database: {runtime.engine.dialect.name}; orders: {len(shipped)} "
          f"({len(confirmed)} confirmed, {len(disputed)} disputed, "
          f"{len(shipped) - len(confirmed) - len(disputed)} neither)")  # fmt: skip
    for kind, count in sorted(Counter(n.kind.value for n in stored).items()):
        print(f"  {kind:<26} {count:>6}")
    print(f"messages stored: {len(stored)}; mails received: {len(ids)}; "
          f"duplicates: {len(ids) - len(set(ids))}; reminders to confirmed or disputed "
          f"orders: {len(wrong)}")  # fmt: skip
    print(f"two senders: {len(ids)} mails in {elapsed:.2f} s ({len(ids) / elapsed:.0f}/s)")
    runtime.close()


def _drain(market: Market, mailer: SmtpMailer) -> None:
    while mailing.send_due(market.deps, mailer):
        pass


if __name__ == "__main__":
    main()
