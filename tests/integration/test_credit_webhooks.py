"""Store credit reaches the shop (issue 19, item 4): every credit paid records
``credit.granted`` and a webhook endpoint subscribed to ``credit.*`` receives it, signed, with
the amount in minor units, the kind and the buyer."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from market import Market, evidence_file
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.orders.model import OrderLine
from refundkit.service import disputes, webhooks
from webhook_receiver import receiver


def test_credit_granted_is_sent_to_the_shop(market: Market) -> None:
    with receiver() as shop:
        endpoint = market.tx(lambda uow: webhooks.create_endpoint(
            market.deps, uow, market.platform, shop.url, ["credit.*"]))  # fmt: skip
        order = market.shipped(lines=(OrderLine("mug", "Mug", 1, 800),), shipping_fee=200)
        market.advance(days=5)
        form = DisputeForm("counterfeit", None, True, 1000, False, "A fake.",
                           refund_destination="store_credit")  # fmt: skip
        ids = [evidence_file(market, market.buyer)]
        d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                        form, ids)).dispute  # fmt: skip
        market.tx(lambda uow: disputes.accept(market.deps, uow, market.seller, d.id))
        webhooks.relay(market.deps)
        assert market.deps.webhook_sender is not None
        assert webhooks.send_due(market.deps, market.deps.webhook_sender) == 2
    sent = [Webhook(endpoint.secret).verify(r.body, r.headers) for r in shop.got]
    assert {s["type"] for s in sent} == {"credit.granted"}
    got = sorted((s["data"]["kind"], s["data"]["amount"], s["data"]["buyer_id"]) for s in sent)
    assert got == [("counterfeit_compensation", 1600, market.buyer.id),
                   ("refund", 1000, market.buyer.id)]  # fmt: skip
