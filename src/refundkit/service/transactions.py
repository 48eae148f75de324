"""Running a use case in one transaction (retried on lost races), and writing everything a
domain command produced together. The HTTP idempotency replay lives beside the API's
responses (``entrypoints/api/idempotency.py``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from refundkit.domain.context import Outcome
from refundkit.domain.errors import ConcurrentUpdate
from refundkit.domain.ledger import (
    SELLER_PAYABLE_PREFIX,
    JournalEntry,
    assert_escrow_covers,
    escrow_accounts_touched,
    is_escrow,
    seller_accounts_to_settle,
    seller_debt_account,
    seller_of,
    seller_payable_account,
    seller_payables_credited,
    settle_seller_balances,
)
from refundkit.service import outbox
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork

T = TypeVar("T")
MAX_ATTEMPTS = 8


def record(uow: UnitOfWork, outcome: Outcome, *, held: Mapping[str, int] | None = None) -> None:
    """Write events, timers, ledger entries and refunds of one command, checking escrow.

    ``held``: escrow balances the caller derived from rows it holds locked (an order's own
    figures, ``escrow.escrow_balance``, as they were before the command): no read of the
    ledger for those accounts. The ledger proof checks that the two always agree."""
    known = dict(held or {})
    for entry in outcome.entries:
        touched = sorted(escrow_accounts_touched(entry))
        if all(account in known for account in touched):
            balances = {account: known[account] for account in touched}
        else:
            balances = uow.ledger.balances(touched)
        assert_escrow_covers(entry, balances)
        for posting in entry.postings:
            if posting.account in known:
                known[posting.account] += posting.amount
        _write_entry(uow, entry)
    for refund in outcome.refunds:
        uow.refunds.add(refund)
    uow.events.add(outcome.events)
    uow.timers.schedule(outcome.timers)


def record_many(
    uow: UnitOfWork, outcomes: Sequence[Outcome], *, held: Mapping[str, int] | None = None
) -> None:
    """``record`` for many commands at once (the timer sweep): escrow checked for every entry
    against one read of the balances, the entries, events and timers each written in one
    statement. An entry that takes from a seller's balance, or pays a seller who owes the
    platform, is written the way ``record`` writes it, after the others."""
    entries = [entry for outcome in outcomes for entry in outcome.entries]
    if any(_debits_payable(entry) for entry in entries):
        for outcome in outcomes:
            record(uow, outcome, held=held)
        return
    touched = sorted({a for e in entries for a in escrow_accounts_touched(e)})
    known = held or {}
    balances = {a: known[a] for a in touched if a in known}
    balances.update(uow.ledger.balances([a for a in touched if a not in known]))
    for entry in entries:
        assert_escrow_covers(entry, balances)
        for posting in entry.postings:
            if posting.account in balances or is_escrow(posting.account):
                balances[posting.account] = balances.get(posting.account, 0) + posting.amount
    owing = _sellers_owing(uow, entries)
    uow.ledger.append_many([e for e in entries if not _pays_sellers(e, owing)])
    for entry in entries:
        if _pays_sellers(entry, owing):
            _write_entry(uow, entry)
    for outcome in outcomes:
        for refund in outcome.refunds:
            uow.refunds.add(refund)
    uow.events.add([event for outcome in outcomes for event in outcome.events])
    uow.timers.schedule([timer for outcome in outcomes for timer in outcome.timers])


def _debits_payable(entry: JournalEntry) -> bool:
    return any(p.account.startswith(SELLER_PAYABLE_PREFIX) and p.amount < 0
               for p in entry.postings)  # fmt: skip


def _sellers_owing(uow: UnitOfWork, entries: Sequence[JournalEntry]) -> set[tuple[str, str]]:
    """(payable account, currency) credited by these entries whose seller owes the platform."""
    credited = {pair for entry in entries for pair in seller_payables_credited(entry)}
    if not credited:
        return set()
    debts = uow.ledger.balances_by_currency(
        sorted({seller_debt_account(seller_of(account)) for account, _ in credited})
    )
    return {(account, currency) for account, currency in credited
            if debts.get((seller_debt_account(seller_of(account)), currency), 0) < 0}  # fmt: skip


def _pays_sellers(entry: JournalEntry, owing: set[tuple[str, str]]) -> bool:
    return bool(owing) and any(pair in owing for pair in seller_payables_credited(entry))


def _write_entry(uow: UnitOfWork, entry: JournalEntry) -> None:
    """Append one entry with the covers and the debt recoveries its sellers' balances call
    for (the pure rules of ``ledger.settle_seller_balances``), read under those balances'
    locks. An entry that neither takes from a seller nor pays one who owes is appended
    alone, with no lock."""
    debited, credited = seller_accounts_to_settle(entry)
    owing = _sellers_owing(uow, [entry]) if credited else set()
    locked = sorted(set(debited) | {account for account, _ in owing})
    if not locked:
        uow.ledger.append(entry)
        return
    for account in locked:
        uow.ledger.lock_account(account)
    accounts = sorted(set(locked) | {seller_debt_account(seller_of(a)) for a in locked})
    settled = settle_seller_balances(entry, uow.ledger.balances_by_currency(accounts))
    for written in (*settled.covers, entry, *settled.recoveries):
        uow.ledger.append(written)


def seller_balance_locked(uow: UnitOfWork, seller_id: str, currency: str) -> int:
    """What the seller's balance holds in ``currency``, read under the lock ``_write_entry``
    takes on it to settle a clawback (taken here first, held to the commit): what a Fast
    Refund from the balance advances of it is still there when its entry is written."""
    account = seller_payable_account(seller_id)
    uow.ledger.lock_account(account)
    return uow.ledger.balances_by_currency([account]).get((account, currency), 0)


def run(deps: Deps, work: Callable[[UnitOfWork], T], *, readonly: bool = False) -> T:
    """Run ``work`` in a transaction and commit, retrying when another writer won a race."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with deps.uow(readonly=readonly) as uow:
                result = work(uow)
                if not readonly:
                    outbox.seal(deps, uow)
                    uow.commit()
                return result
        except ConcurrentUpdate:
            if attempt == MAX_ATTEMPTS:
                raise
    raise AssertionError("unreachable")
