"""`refundkit webhooks deliveries` and `redeliver`: the operator's view and second chance."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from market import Market
from refundkit.domain.webhooks import DeliveryStatus
from refundkit.entrypoints.bootstrap import build
from refundkit.entrypoints.cli.main import app
from refundkit.service import webhooks
from webhook_receiver import receiver


def test_an_operator_lists_and_redelivers_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'hooks.sqlite3'}"
    monkeypatch.setenv("REFUNDKIT_DATABASE_URL", url)
    market = Market(build(url=url, sandbox=True))
    try:
        with receiver() as shop:
            endpoint = market.tx(lambda uow: webhooks.create_endpoint(
                market.deps, uow, market.platform, shop.url, ["order.paid"]))  # fmt: skip
            market.paid()
            webhooks.relay(market.deps)
            assert market.deps.webhook_sender is not None
            webhooks.send_due(market.deps, market.deps.webhook_sender)
            listed = CliRunner().invoke(app, ["webhooks", "deliveries", endpoint.id])
            assert listed.exit_code == 0, listed.output
            assert "order.paid" in listed.output and "succeeded" in listed.output
            [delivery] = market.tx(lambda uow: uow.webhooks.deliveries(
                endpoint.id, starting_after=None, limit=5))  # fmt: skip
            command = ["webhooks", "redeliver", str(delivery.id), "--sandbox"]
            again = CliRunner().invoke(app, command)
            assert again.exit_code == 0, again.output
            queued = market.tx(lambda uow: uow.webhooks.delivery(delivery.id))
            assert queued is not None
            assert queued.status is DeliveryStatus.PENDING
            webhooks.send_due(market.deps, market.deps.webhook_sender)
        assert len(shop.got) == 2
        missing = CliRunner().invoke(app, ["webhooks", "redeliver", "999999"])
        assert missing.exit_code == 2
        assert "no webhook delivery 999999" in missing.output
    finally:
        market.rt.close()
