"""`refundkit ledger verify` proves the books and names every violation."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from market import Market
from refundkit.adapters.db import tables as t
from refundkit.entrypoints.bootstrap import build
from refundkit.entrypoints.cli.main import app


@pytest.fixture
def books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Market:
    url = f"sqlite:///{tmp_path / 'books.sqlite3'}"
    monkeypatch.setenv("REFUNDKIT_DATABASE_URL", url)
    market = Market(build(url=url, sandbox=True))
    order = market.shipped()
    market.advance_to(order.deadlines.delivery_deadline)
    return market


def test_verify_passes_on_sound_books(books: Market) -> None:
    result = CliRunner().invoke(app, ["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "every invariant holds" in result.output


def test_verify_names_an_entry_that_does_not_balance(books: Market) -> None:
    with books.rt.engine.begin() as conn:
        entry = conn.execute(sa.select(t.journal_entries.c.id).limit(1)).scalar_one()
        conn.execute(t.postings.insert(), {"entry_id": entry, "account": "psp_clearing",
                                           "currency": "USD", "amount": 7,
                                           "occurred_at": books.now})  # fmt: skip
    result = CliRunner().invoke(app, ["ledger", "verify"])
    assert result.exit_code == 1
    assert entry in result.output
    assert "does not balance" in result.output
