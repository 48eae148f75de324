"""Chargebacks reported as the provider would, for the tests."""

from __future__ import annotations

from market import Market
from refundkit.domain.chargebacks.model import Chargeback, ChargebackStatus
from refundkit.service import chargebacks
from refundkit.service.chargebacks import ChargebackReport

FEE = 1500


def bank(market: Market, order_id: str, status: ChargebackStatus, *, ref: str = "du_1",
         amount: int | None = None, fee: int = FEE) -> Chargeback:  # fmt: skip
    news = ChargebackReport("sandbox", ref, order_id, status, amount, "USD", "fraudulent", fee)
    return market.tx(lambda uow: chargebacks.report(market.deps, uow, news))


def the_chargebacks(market: Market, order_id: str) -> list[Chargeback]:
    return market.tx(lambda uow: chargebacks.for_order(uow, order_id))
