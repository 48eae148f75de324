"""The one shape of every error answer (RFC 9457 problem details) and the stable codes.

``CODES`` lists every ``code`` the API can answer; a unit test checks it against the error
tree, so a new error class cannot ship without its code in the spec."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ProblemCode(StrEnum):
    """Every stable ``code`` of a problem answer."""

    VALIDATION_ERROR = "validation_error"
    INVALID_AMOUNT = "invalid_amount"
    INVALID_POLICY = "invalid_policy"
    EVIDENCE_REQUIRED = "evidence_required"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INVALID_TRANSITION = "invalid_transition"
    WINDOW_CLOSED = "window_closed"
    UNITS_ALREADY_DISPUTED = "units_already_disputed"
    CONFLICT = "conflict"
    CONCURRENT_UPDATE = "concurrent_update"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_REQUEST_IN_PROGRESS = "idempotency_request_in_progress"
    AMOUNT_EXCEEDS_REFUNDABLE = "amount_exceeds_refundable"
    CURRENCY_MISMATCH = "currency_mismatch"
    LOOSER_THAN_POLICY = "looser_than_policy"
    FILE_TOO_LARGE = "file_too_large"
    QUOTA_EXCEEDED = "quota_exceeded"
    TOO_MANY_FILES = "too_many_files"
    EMPTY_FILE = "empty_file"
    INVALID_EVIDENCE = "invalid_evidence"
    FILE_TYPE_NOT_ALLOWED = "file_type_not_allowed"
    RATE_LIMITED = "rate_limited"
    BODY_TOO_LARGE = "body_too_large"
    REQUEST_TIMEOUT = "request_timeout"
    CHARGEBACK_OPEN = "chargeback_open"
    DEFECT_EXCLUSION_EXISTS = "defect_exclusion_exists"
    DEDUCTION_EXCEEDS_CAP = "deduction_exceeds_cap"
    INVALID_SIGNATURE = "invalid_signature"
    PSP_WEBHOOKS_NOT_CONFIGURED = "psp_webhooks_not_configured"
    HTTP_ERROR = "http_error"
    LEDGER_INVARIANT_BROKEN = "ledger_invariant_broken"
    INTERNAL_ERROR = "internal_error"


class FieldIssue(BaseModel):
    field: str = Field(description="The field's path, e.g. items[0].unit_price; empty for "
                       "the whole body.")  # fmt: skip
    message: str


class Problem(BaseModel):
    """An error answer (``application/problem+json``, RFC 9457). Branch on ``code``."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="https://refundkit.dev/problems/{code}")
    title: str
    status: int
    code: ProblemCode
    detail: str = Field(description="What went wrong, for a person to read.")
    instance: str = Field(
        description="The request's id (also in the X-Request-Id header): quote it to support."
    )
    field: str | None = Field(
        default=None, description="The input at fault, e.g. items[0].unit_price or body."
    )
    errors: list[FieldIssue] | None = Field(
        default=None, description="validation_error from the request's shape: every issue."
    )
    retry_after: int | None = Field(
        default=None, description="rate_limited: seconds until the action is allowed again."
    )
    key: str | None = Field(default=None, description="invalid_policy: the policy key.")
