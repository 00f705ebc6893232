"""Inbound messages indexed by status and id: the claim walks the pending ones in order and stops at its limit
(PostgreSQL's index on status alone does not keep that order; SQLite's does).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_inbound_messages_status_id", "inbound_messages", ["status", "id"])


def downgrade() -> None:
    op.drop_index("ix_inbound_messages_status_id", table_name="inbound_messages")
