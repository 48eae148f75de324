"""Names of the dispute timers."""

from __future__ import annotations

SELLER_SILENCE = "dispute.seller_silence"
AUTO_ESCALATE = "dispute.auto_escalate"
RETURN_LAPSE = "dispute.return_lapse"
RETURN_SILENCE = "dispute.return_silence"
AGENT_OVERDUE = "dispute.agent_overdue"
