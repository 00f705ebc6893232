"""An index on outbound messages by contact and status: a claim skips a message while an earlier one to the same
contact is unsent, which without it read every unsent row for each candidate (slow behind a backlog).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbound_messages_contact", "outbound_messages", ["contact_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbound_messages_contact", table_name="outbound_messages")
