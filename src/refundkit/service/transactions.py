"""Running a use case in one transaction: retries on lost races, idempotent replays, and
writing everything a domain command produced together."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from refundkit.domain.context import Outcome
from refundkit.domain.errors import ConcurrentUpdate, Conflict, IdempotencyKeyReused
from refundkit.domain.ledger import (
    SELLER_PAYABLE_PREFIX,
    EntryKind,
    JournalEntry,
    Move,
    assert_escrow_covers,
    escrow_accounts_touched,
    is_escrow,
    journal_entry,
    payable_shortfalls,
    seller_debt_account,
    seller_of,
    seller_payables_credited,
)
from refundkit.service import outbox
from refundkit.service.deps import Deps
from refundkit.service.ports import UnitOfWork
from refundkit.service.records import IdempotencyRecord

T = TypeVar("T")
MAX_ATTEMPTS = 8
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
"""Of wall-clock time (``Deps.real_now``): a sandbox clock moved on a week still replays a
key sent a minute ago."""


def record(uow: UnitOfWork, outcome: Outcome) -> None:
    """Write events, timers, ledger entries and refunds of one command, checking escrow."""
    for entry in outcome.entries:
        touched = sorted(escrow_accounts_touched(entry))
        assert_escrow_covers(entry, uow.ledger.balances(touched))
        _cover_shortfalls(uow, entry)
        uow.ledger.append(entry)
        _recover_debts(uow, entry)
    for refund in outcome.refunds:
        uow.refunds.add(refund)
    uow.events.add(outcome.events)
    uow.timers.schedule(outcome.timers)


def record_many(uow: UnitOfWork, outcomes: Sequence[Outcome]) -> None:
    """``record`` for many commands at once (the timer sweep): escrow checked for every entry
    against one read of the balances, the entries, events and timers each written in one
    statement. An entry that takes from a seller's balance, or pays a seller who owes the
    platform, is written the way ``record`` writes it, after the others."""
    entries = [entry for outcome in outcomes for entry in outcome.entries]
    if any(_debits_payable(entry) for entry in entries):
        for outcome in outcomes:
            record(uow, outcome)
        return
    balances = uow.ledger.balances(sorted({a for e in entries for a in escrow_accounts_touched(e)}))
    for entry in entries:
        assert_escrow_covers(entry, balances)
        for posting in entry.postings:
            if posting.account in balances or is_escrow(posting.account):
                balances[posting.account] = balances.get(posting.account, 0) + posting.amount
    owing = _sellers_owing(uow, entries)
    uow.ledger.append_many([e for e in entries if not _pays_sellers(e, owing)])
    for entry in entries:
        if _pays_sellers(entry, owing):
            uow.ledger.append(entry)
            _recover_debts(uow, entry)
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


def _cover_shortfalls(uow: UnitOfWork, entry: JournalEntry) -> None:
    """A clawback the seller's balance cannot pay: the platform pays the difference, which the
    seller now owes (their debt account goes below zero by as much)."""
    debited = sorted({p.account for p in entry.postings
                      if p.account.startswith(SELLER_PAYABLE_PREFIX) and p.amount < 0})  # fmt: skip
    if not debited:
        return
    for account in debited:
        uow.ledger.lock_account(account)
    shortfalls = payable_shortfalls(entry, uow.ledger.balances_by_currency(debited))
    for number, short in enumerate(shortfalls, start=1):
        debt = seller_debt_account(seller_of(short.account))
        uow.ledger.append(journal_entry(
            entry_id=f"{entry.id}.cover{number}", kind=EntryKind.PLATFORM_COVERED,
            occurred_at=entry.occurred_at, order_id=entry.order_id, currency=short.currency,
            moves=[Move(debt, short.account, short.amount)],
            memo="the platform covers what the seller's balance cannot; the seller owes it",
        ))  # fmt: skip


def _recover_debts(uow: UnitOfWork, entry: JournalEntry) -> None:
    """Money paid into a seller's balance first pays back what the seller owes."""
    for number, (account, currency) in enumerate(seller_payables_credited(entry), start=1):
        debt = seller_debt_account(seller_of(account))
        owed = -uow.ledger.balances_by_currency([debt]).get((debt, currency), 0)
        if owed <= 0:
            continue
        uow.ledger.lock_account(account)
        balances = uow.ledger.balances_by_currency([account, debt])
        owed = -balances.get((debt, currency), 0)
        take = min(owed, balances.get((account, currency), 0))
        if take <= 0:
            continue
        uow.ledger.append(journal_entry(
            entry_id=f"{entry.id}.debt{number}", kind=EntryKind.DEBT_RECOVERED,
            occurred_at=entry.occurred_at, order_id=entry.order_id, currency=currency,
            moves=[Move(account, debt, take)],
            memo="paid from the seller's balance towards what the seller owes",
        ))  # fmt: skip


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


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    principal_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Answer:
    status_code: int
    body: str
    replayed: bool = False


def run_idempotent(
    deps: Deps,
    request: IdempotentRequest,
    work: Callable[[UnitOfWork], T],
    render: Callable[[T], tuple[int, str]],
    redact: Callable[[T], str] | None = None,
) -> Answer:
    """Do the work and store its answer under the key in the same transaction, so a request
    retried after a crash (even one between commit and response) is answered, not redone.

    ``redact`` gives the body to store when the live answer holds a secret (a new API key)
    that must never rest in the database; a replay then answers the redacted body."""

    def attempt(uow: UnitOfWork) -> Answer:
        previous = _live_record(deps, uow, request)
        if previous is not None:
            return _replay(previous, request)
        result = work(uow)
        status_code, body = render(result)
        uow.idempotency.add(
            IdempotencyRecord(
                request.principal_id,
                request.key,
                request.fingerprint,
                status_code,
                redact(result) if redact else body,
                deps.real_now(),
            )
        )
        return Answer(status_code, body)

    try:
        return run(deps, attempt)
    except Conflict:
        # Another request with the same key committed first: answer as it did.
        stored = run(deps, lambda uow: _live_record(deps, uow, request), readonly=True)
        if stored is None:
            raise
        return _replay(stored, request)


def _live_record(
    deps: Deps, uow: UnitOfWork, request: IdempotentRequest
) -> IdempotencyRecord | None:
    stored = uow.idempotency.get(request.principal_id, request.key)
    if stored is None:
        return None
    if stored.created_at + IDEMPOTENCY_KEY_TTL < deps.real_now():
        # Expired: the key is free again; the old row goes in this same transaction.
        uow.idempotency.remove(request.principal_id, request.key)
        return None
    return stored


def _replay(stored: IdempotencyRecord, request: IdempotentRequest) -> Answer:
    if stored.fingerprint != request.fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used with another request; use a new key"
        )
    return Answer(stored.status_code, stored.body, replayed=True)


def replay_if_known(deps: Deps, request: IdempotentRequest) -> Answer | None:
    """For work that spans several transactions (the sandbox clock): answer a known key."""
    stored = run(deps, lambda uow: _live_record(deps, uow, request))
    return None if stored is None else _replay(stored, request)


def remember(deps: Deps, request: IdempotentRequest, status_code: int, body: str) -> None:
    def store(uow: UnitOfWork) -> None:
        uow.idempotency.add(
            IdempotencyRecord(
                request.principal_id, request.key, request.fingerprint, status_code, body,
                deps.real_now(),
            )
        )  # fmt: skip

    run(deps, store)
