"""`refundkit notifications list` and `show`: the mail log from the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from market import Market
from refundkit.entrypoints.bootstrap import build
from refundkit.entrypoints.cli.main import app


def test_an_operator_reads_the_mail_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'mail.sqlite3'}"
    monkeypatch.setenv("REFUNDKIT_DATABASE_URL", url)
    market = Market(build(url=url, sandbox=True))
    try:
        order = market.shipped()
        market.advance_to(order.deadlines.dispute_closes_at - timedelta(days=5))  # type: ignore[operator]
        listed = CliRunner().invoke(app, ["notifications", "list", "--order", order.id])
        assert listed.exit_code == 0, listed.output
        [line] = listed.output.splitlines()
        message_id, _, kind, email, status, channel, _ = line.split("\t")
        assert (kind, email, status, channel) == ("dispute_window_reminder", market.buyer.email,
                                                  "queued", "-")  # fmt: skip
        shown = CliRunner().invoke(app, ["notifications", "show", message_id])
        assert shown.exit_code == 0, shown.output
        assert f"To: {market.buyer.email}" in shown.output
        assert f"/orders/{order.id}" in shown.output and "5 days left" in shown.output
        missing = CliRunner().invoke(app, ["notifications", "show", "ntf_nope"])
        assert missing.exit_code == 2 and "no notification ntf_nope" in missing.output
    finally:
        market.rt.close()
