"""Leases for workers claiming inbox and outbox rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("inbound_messages", "outbound_messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ("inbound_messages", "outbound_messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("claimed_until")
