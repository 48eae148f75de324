"""Names of the order's timers; the service maps each to the command that handles it."""

from __future__ import annotations

EXPIRE = "order.expire"
AUTO_CANCEL = "order.auto_cancel"
CANCELLATION_SILENCE = "order.cancellation_silence"
COMPLETE = "order.complete"
EXTENSION_SILENCE = "order.extension_silence"
REFUND_EXECUTE = "refund.execute"
REFUND_POLL = "refund.poll"
SELLER_DEBT_DUE = "refund.seller_debt_due"
COMPENSATION_DEBT_DUE = "dispute.compensation_debt_due"
TRACKING_CHECK = "order.tracking_check"
DISPUTE_WINDOW_REMINDER = "order.dispute_window_reminder"
CHARGEBACK_EVIDENCE = "chargeback.evidence"
LATE_DELIVERY_CREDIT = "order.late_delivery_credit"
