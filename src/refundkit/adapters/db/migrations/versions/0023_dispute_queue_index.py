"""The agents' queue (``GET /v1/disputes?status=escalated``, oldest due first) is read in
the order of an index on ``(status, agent_due_by, id)``: a page is the index's next rows,
never a sort of every escalated dispute (issue 16).

Revision ID: 0023_queue
Revises: 0022_credit
"""

from __future__ import annotations

from alembic import op

revision = "0023_queue"
down_revision = "0022_credit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_disputes_queue", "disputes", ["status", "agent_due_by", "id"])


def downgrade() -> None:
    op.drop_index("ix_disputes_queue", "disputes")
