"""A buyer's store credit and a seller's own returnless limits (issue 19)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from refundkit.domain.credit_policy import MAX_CATEGORY_CHARS, ReturnlessRule
from refundkit.domain.errors import ValidationError
from refundkit.domain.money import CurrencyCatalog
from refundkit.entrypoints.api import schemas as s
from refundkit.entrypoints.api.auth import DepsDep, UserDep
from refundkit.entrypoints.api.guards import GuardedRoute
from refundkit.entrypoints.api.responses import PageDep, command, query
from refundkit.service import credit
from refundkit.service.credit import CreditView, SellerRulesView

router = APIRouter(prefix="/v1", tags=["store credit"], route_class=GuardedRoute)


class SellerReturnlessIn(s.Body):
    max_price: dict[str, str] = Field(default_factory=dict, max_length=50)
    """Currency -> the highest price (decimal text) of goods refunded without return; a
    currency left out keeps the policy's limit. Never above the policy's."""
    reasons: list[str] | None = Field(default=None, max_length=10)
    """The reasons the seller allows it for (among the policy's); null: the policy's."""
    categories: list[str] | None = Field(default=None, max_length=100)
    """The categories it is allowed for (every disputed item must have one); null: any."""


class ReturnlessRuleOut(BaseModel):
    name: str
    max_price: dict[str, str]
    reasons: list[str]
    categories: list[str]


class SellerReturnlessOut(BaseModel):
    object: Literal["returnless_rules"] = "returnless_rules"
    seller_id: str
    max_price: dict[str, str]
    reasons: list[str] | None
    categories: list[str] | None
    policy_version: str
    """The active policy, whose rules the seller's may only narrow."""
    policy_rules: list[ReturnlessRuleOut]

    @classmethod
    def of(cls, catalog: CurrencyCatalog, view: SellerRulesView) -> SellerReturnlessOut:
        own = view.own

        def prices(pairs: tuple[tuple[str, int], ...]) -> dict[str, str]:
            return {c: s.money_text(catalog, v, c) for c, v in pairs}

        def rule(r: ReturnlessRule) -> ReturnlessRuleOut:
            return ReturnlessRuleOut(name=r.name, max_price=prices(r.max_price),
                                     reasons=sorted(r.reasons),
                                     categories=sorted(r.categories))  # fmt: skip

        return cls(
            seller_id=view.seller_id,
            max_price=prices(own.max_price) if own else {},
            reasons=sorted(own.reasons) if own and own.reasons is not None else None,
            categories=sorted(own.categories) if own and own.categories is not None else None,
            policy_version=view.policy_version,
            policy_rules=[rule(r) for r in view.policy_rules],
        )


CreditKind = Literal["refund_to_credit", "credit_compensation", "credit_late_delivery"]


class CreditBalanceOut(BaseModel):
    currency: str
    amount: str


class CreditEntryOut(BaseModel):
    id: str
    """The journal entry's id (``GET /v1/ledger/...`` shows its postings)."""
    object: Literal["credit_entry"] = "credit_entry"
    kind: CreditKind
    """``refund_to_credit`` (a refund the buyer chose to take as credit),
    ``credit_compensation`` (counterfeit, recovered from the seller) or
    ``credit_late_delivery``."""
    occurred_at: datetime
    order_id: str | None
    currency: str
    amount: str
    """Signed: positive is credit granted."""
    memo: str


class CreditPage(s.Page[CreditEntryOut]):
    buyer_id: str
    balances: list[CreditBalanceOut]
    """The credit by currency; spent only in the shop, never cashed out."""


def _credit_page(catalog: CurrencyCatalog, view: CreditView) -> CreditPage:
    return CreditPage(
        buyer_id=view.buyer_id,
        balances=[CreditBalanceOut(currency=c, amount=s.money_text(catalog, v, c))
                  for c, v in sorted(view.balances.items())],
        data=[CreditEntryOut(id=e.entry_id, kind=e.kind, occurred_at=e.occurred_at,
                             order_id=e.order_id, currency=e.currency,
                             amount=s.money_text(catalog, e.amount, e.currency), memo=e.memo)
              for e in view.entries],
        has_more=view.has_more,
    )  # fmt: skip


@router.get("/buyers/{buyer_id}/credit", response_model=CreditPage)
def get_buyer_credit(buyer_id: str, deps: DepsDep, user: UserDep, page: PageDep) -> CreditPage:
    found = query(deps, lambda uow: credit.buyer_credit(
        uow, user, buyer_id, starting_after=page.starting_after,
        ending_before=page.ending_before, limit=page.limit))  # fmt: skip
    return _credit_page(deps.currencies, found)


@router.get("/sellers/{seller_id}/returnless-rules", response_model=SellerReturnlessOut)
def get_returnless_rules(seller_id: str, deps: DepsDep, user: UserDep) -> SellerReturnlessOut:
    found = query(deps, lambda uow: credit.seller_rules(deps, uow, user, seller_id))
    return SellerReturnlessOut.of(deps.currencies, found)


@router.put("/sellers/{seller_id}/returnless-rules", response_model=SellerReturnlessOut)
def set_returnless_rules(
    seller_id: str, body: SellerReturnlessIn, deps: DepsDep, user: UserDep
) -> Response:
    reasons = body.reasons
    for category in body.categories or []:
        if not 0 < len(category) <= MAX_CATEGORY_CHARS:
            raise ValidationError(f"categories are 1 to {MAX_CATEGORY_CHARS} characters",
                                    field="categories")  # fmt: skip
    return command(
        deps, None,
        lambda uow: credit.set_seller_rules(deps, uow, user, seller_id, body.max_price, reasons,
                                            body.categories),
        lambda view: SellerReturnlessOut.of(deps.currencies, view),
    )  # fmt: skip
