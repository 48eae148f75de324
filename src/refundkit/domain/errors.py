"""One rooted error tree. Each error carries a stable ``code``; HTTP mapping happens at the edge."""

from __future__ import annotations

from typing import Any


class RefundkitError(Exception):
    """Root of every error refundkit raises on purpose."""

    code = "refundkit_error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ValidationError(RefundkitError):
    """Input that can never be valid (bad amount, unknown currency, missing field)."""

    code = "validation_error"


class InvalidAmount(ValidationError):
    code = "invalid_amount"


class CurrencyMismatch(ValidationError):
    """Arithmetic or a comparison between amounts of two currencies (a bug or a bad input)."""

    code = "currency_mismatch"


class LooserThanPolicy(ValidationError):
    """A seller's own returnless limits that would waive a return the policy does not: a
    seller's rules may only be stricter than the policy's."""

    code = "looser_than_policy"


class PolicyError(ValidationError):
    """A policy file that fails its checks; ``key`` names the offending key."""

    code = "invalid_policy"

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}", key=key)
        self.key = key


class NotFound(RefundkitError):
    """Unknown id, or an id the caller may not see (both answer the same)."""

    code = "not_found"


class Forbidden(RefundkitError):
    """The caller's role may never take this action."""

    code = "forbidden"


class InvalidTransition(RefundkitError):
    """The action is not allowed in the object's current state, for this role, now."""

    code = "invalid_transition"


class WindowClosed(InvalidTransition):
    code = "window_closed"


class UnitsAlreadyDisputed(InvalidTransition):
    """A dispute names units another dispute (not withdrawn) already covers: two disputes
    never cover the same unit."""

    code = "units_already_disputed"


class AmountExceedsRefundable(RefundkitError):
    code = "amount_exceeds_refundable"


class LedgerInvariantBroken(RefundkitError):
    """An entry that does not balance or drives an escrow account negative."""

    code = "ledger_invariant_broken"


class ConcurrentUpdate(RefundkitError):
    """Someone changed the object first; the caller may retry."""

    code = "concurrent_update"


class IdempotencyKeyReused(RefundkitError):
    code = "idempotency_key_reused"


class IdempotencyRequestInProgress(RefundkitError):
    code = "idempotency_request_in_progress"


class Unauthenticated(RefundkitError):
    code = "unauthenticated"


class Conflict(RefundkitError):
    """A uniqueness rule (e.g. an email already registered)."""

    code = "conflict"


class EvidenceRequired(ValidationError):
    """A dispute about a received item needs at least one evidence file."""

    code = "evidence_required"


class RateLimited(RefundkitError):
    """Too many of one action by one account in the current window; ``retry_after`` is in
    seconds."""

    code = "rate_limited"


class ChargebackOpen(Conflict):
    """The buyer's bank is reversing the payment: refundkit refunds and releases nothing."""

    code = "chargeback_open"


# Uploads and evidence (service/files.py raises them).


class FileTooLarge(ValidationError):
    code = "file_too_large"


class FileTypeNotAllowed(ValidationError):
    code = "file_type_not_allowed"


class QuotaExceeded(ValidationError):
    """The user's uploads would pass the policy's ``limits.upload_quota_bytes``."""

    code = "quota_exceeded"


class TooManyFiles(ValidationError):
    code = "too_many_files"


class EmptyFile(ValidationError):
    code = "empty_file"


class EvidenceNotUsable(ValidationError):
    """A named file that is unknown, someone else's, or already attached (one answer for
    all three, so nobody learns which ids exist)."""

    code = "invalid_evidence"


# At the edge: bodies (entrypoints/api/bodies.py) and the payment provider's webhooks.


class BodyTooLarge(ValidationError):
    code = "body_too_large"


class BodyTimedOut(RefundkitError):
    """The body did not arrive in time (a client sending it a byte at a time)."""

    code = "request_timeout"


class InvalidSignature(RefundkitError):
    """The body is not what the payment provider signed with our secret (or was signed too
    long ago)."""

    code = "invalid_signature"


class WebhooksNotConfigured(RefundkitError):
    code = "psp_webhooks_not_configured"


class DefectExclusionExists(Conflict):
    """The order already has a request to exclude its defect (one per order)."""

    code = "defect_exclusion_exists"


class DeductionExceedsCap(ValidationError):
    """A used return's deduction above the policy's share of the refund."""

    code = "deduction_exceeds_cap"
