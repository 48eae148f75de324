"""The pages show chargebacks: the agent's case page and the order page name the
chargeback, say the dispute is suspended while the bank decides, and show how it ended."""

from __future__ import annotations

from web_client import signed_in

from chargeback_world import bank
from market import Market
from refundkit.domain.chargebacks.model import ChargebackStatus
from refundkit.domain.disputes.commands import DisputeForm
from refundkit.domain.roles import Role
from refundkit.service import disputes


def test_the_case_page_and_the_order_page_show_the_chargeback(market: Market) -> None:
    order = market.shipped()
    market.advance(days=5)
    form = DisputeForm("not_received", None, False, 1200, False, "Nothing arrived.")
    d = market.tx(lambda uow: disputes.open_dispute(market.deps, uow, market.buyer, order.id,
                                                    form, [])).dispute  # fmt: skip
    bank(market, order.id, ChargebackStatus.NEEDS_RESPONSE, ref="du_web")
    agent = market.user(Role.AGENT, "IE")
    case = signed_in(market, agent).get(f"/disputes/{d.id}")
    assert case.status_code == 200, case.text
    assert "Chargebacks at the buyer's bank" in case.text
    assert "The buyer's bank is reversing this payment." in case.text
    assert "du_web" in case.text
    bank(market, order.id, ChargebackStatus.LOST, ref="du_web")
    page = signed_in(market, market.buyer).get(f"/orders/{order.id}")
    assert page.status_code == 200
    assert "du_web" in page.text and "reversing this payment" not in page.text
    assert "recovered from the seller" in page.text
