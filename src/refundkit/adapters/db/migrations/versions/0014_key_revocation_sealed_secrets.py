"""API keys can be revoked (``revoked_at``); webhook secrets are stored sealed (encrypted
with a key derived from ``REFUNDKIT_SECRET_KEY``), which needs a wider column. Secrets
stored before stay readable and are sealed when a service starts with this release.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from refundkit.adapters.db.tables import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", existing_type=sa.String(100), type_=sa.String(400),
                           existing_nullable=False)  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", existing_type=sa.String(400), type_=sa.String(100),
                           existing_nullable=False)  # fmt: skip
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("revoked_at")
