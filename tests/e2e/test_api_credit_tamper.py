"""`refundkit ledger verify` over store credit (issue 19, item 4), on both databases: clean
books after a refund to credit; a forged credit entry (credit from nowhere) and credit
spent beyond its balance are each named, and the command exits 1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from api_client import Api, api_fixture  # noqa: F401
from test_api_credit import Shop
from typer.testing import CliRunner

from books import START
from refundkit.adapters.db import tables as t
from refundkit.adapters.db.ledger_repository import invariant_violations
from refundkit.entrypoints.bootstrap import Runtime, build
from refundkit.entrypoints.cli.main import app


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    """The shared runtime, without its check of the books at the end: these books are
    tampered with on purpose (and the journal is append-only, so they stay so)."""
    rt = build(url=database_url, sandbox=True, migrate=False, sandbox_start=START)
    yield rt
    rt.close()


def test_ledger_verify_proves_credit_funded_and_never_negative(
    api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = Shop(api)
    shop.do(shop.seller, shop.open("not_received", refund_destination="store_credit")["id"],
            "accept")  # fmt: skip
    with api.rt.engine.connect() as conn:
        assert invariant_violations(conn) == []
    account = f"store_credit:{shop.buyer['id']}"
    now = datetime.now(UTC)
    with api.rt.engine.begin() as conn:
        # Credit out of thin air: a refund-to-credit entry that takes nothing from escrow.
        conn.execute(
            t.journal_entries.insert(),
            {
                "id": "je_forged",
                "kind": "refund_to_credit",
                "occurred_at": now,
                "order_id": shop.order_id,
                "memo": "forged",
            },
        )
        conn.execute(t.postings.insert(), [
            {"entry_id": "je_forged", "account": "psp_clearing", "currency": "USD",
             "amount": -500, "occurred_at": now},
            {"entry_id": "je_forged", "account": account, "currency": "USD", "amount": 500,
             "occurred_at": now}])  # fmt: skip
        # Spending more than the balance holds.
        conn.execute(
            t.journal_entries.insert(),
            {
                "id": "je_overspent",
                "kind": "payment_held",
                "occurred_at": now,
                "order_id": None,
                "memo": "overspent",
            },
        )
        conn.execute(t.postings.insert(), [
            {"entry_id": "je_overspent", "account": account, "currency": "USD", "amount": -9999,
             "occurred_at": now},
            {"entry_id": "je_overspent", "account": "psp_clearing", "currency": "USD",
             "amount": 9999, "occurred_at": now}])  # fmt: skip
    with api.rt.engine.connect() as conn:
        found = invariant_violations(conn)
    assert any("je_forged" in f and "psp_clearing" in f for f in found), found
    assert any(f.startswith(f"{account} is negative") for f in found), found
    assert any(shop.order_id in f and "store credit" in f for f in found), found
    monkeypatch.setenv("REFUNDKIT_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["ledger", "verify"])
    assert result.exit_code == 1, result.output
    assert "je_forged" in result.output
