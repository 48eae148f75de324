"""Money views and reports: account balances, the ledger summary, sellers' balances and
payouts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from refundkit.domain.ledger import seller_debt_account, seller_payable_account
from refundkit.domain.money import CurrencyCatalog
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import (
    RequiredIdempotencyDep,
    command,
    query,
)
from refundkit.service import ledger_queries, payouts
from refundkit.service.payouts import SellerBalance

router = APIRouter(prefix="/v1", route_class=GuardedRoute)


def _postings(catalog: CurrencyCatalog, account: str, totals: dict[str, int]) -> list[s.PostingOut]:
    """One row per currency, amounts as decimal strings."""
    return [
        s.PostingOut(account=account, currency=c, amount=s.money_text(catalog, v, c))
        for c, v in sorted(totals.items())
    ]


class BalanceOut(BaseModel):
    account: str
    at: datetime | None
    balances: list[s.PostingOut]


@router.get("/ledger/accounts/{account}/balance", response_model=BalanceOut, tags=["ledger"])
def balance(
    account: str,
    deps: DepsDep,
    user: UserDep,
    at: Annotated[s.IsoDateTime | None, Query()] = None,
) -> BalanceOut:
    found = query(deps, lambda uow: ledger_queries.account_balance(uow, user, account, at))
    return BalanceOut(account=account, at=at, balances=_postings(deps.currencies, account, found))


class SummaryOut(BaseModel):
    at: datetime | None
    escrow: list[s.PostingOut]
    sellers_payable: list[s.PostingOut]
    refunds_in_flight: list[s.PostingOut]
    platform_commission: list[s.PostingOut]
    platform_cover: list[s.PostingOut]
    """What the platform paid for refunds the sellers' balances could not: the sellers' debt."""
    store_credit: list[s.PostingOut]
    """Buyers' store credit: what the platform owes buyers to spend in the shop."""
    platform_compensation: list[s.PostingOut]
    """What compensation credit the platform bore itself (late deliveries), positive."""


@router.get("/ledger/summary", response_model=SummaryOut, tags=["ledger"])
def ledger_summary(
    deps: DepsDep, user: UserDep, at: Annotated[s.IsoDateTime | None, Query()] = None
) -> SummaryOut:
    """Where the money is, per currency, now or at any past moment (platform, agents)."""
    found = query(deps, lambda uow: ledger_queries.summary(uow, user, at))

    def rows(name: str, totals: dict[str, int]) -> list[s.PostingOut]:
        return _postings(deps.currencies, name, totals)

    return SummaryOut(
        at=at,
        escrow=rows("escrow", found.escrow),
        sellers_payable=rows("sellers_payable", found.sellers_payable),
        refunds_in_flight=rows("refunds_in_flight", found.refunds_in_flight),
        platform_commission=rows("platform_commission", found.platform_commission),
        platform_cover=rows("platform_cover", found.platform_cover),
        store_credit=rows("store_credit", found.store_credit),
        platform_compensation=rows("platform_compensation", found.platform_compensation),
    )


class SellerBalanceOut(BaseModel):
    seller_id: str
    at: datetime | None
    payable: list[s.PostingOut]
    """Released to the seller and not yet paid out, per currency."""
    owed: list[s.PostingOut]
    """What the seller owes the platform for refunds it covered, per currency."""


def _seller_out(deps: DepsDep, found: SellerBalance) -> SellerBalanceOut:
    return SellerBalanceOut(
        seller_id=found.seller_id,
        at=found.at,
        payable=_postings(deps.currencies, seller_payable_account(found.seller_id), found.payable),
        owed=_postings(deps.currencies, seller_debt_account(found.seller_id), found.owed),
    )


@router.get("/sellers/{seller_id}/balance", response_model=SellerBalanceOut, tags=["ledger"])
def seller_balance(
    seller_id: str,
    deps: DepsDep,
    user: UserDep,
    at: Annotated[s.IsoDateTime | None, Query()] = None,
) -> SellerBalanceOut:
    """The seller's balance and debt, now or at any past moment (the seller, platform, agents)."""
    found = query(deps, lambda uow: payouts.seller_balance(uow, user, seller_id, at))
    return _seller_out(deps, found)


class PayoutIn(s.Body):
    amount: str = Field(description='Major units, as a string ("120.00").')
    currency: str = Field(pattern="^[A-Z]{3}$")
    reference: str = Field(default="", max_length=200)


@router.post(
    "/sellers/{seller_id}/payouts", response_model=SellerBalanceOut, status_code=201,
    tags=["ledger"],
)  # fmt: skip
def record_payout(
    seller_id: str, body: PayoutIn, deps: DepsDep, user: UserDep, idem: RequiredIdempotencyDep
) -> Response:
    """The platform reports that it paid part of a seller's balance out (never more than the
    balance). Requires an Idempotency-Key."""
    amount = s.minor_units(deps.currencies, body.amount, body.currency, "amount", positive=True)
    return command(
        deps, idem,
        lambda uow: payouts.record_payout(deps, uow, user, seller_id, body.currency, amount,
                                          body.reference),
        lambda found: _seller_out(deps, found),
        status_code=201,
    )  # fmt: skip
