"""Poll cursors (IMAP, X mentions) and the triage queue for messages that are not clearly reports.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "poll_cursors",
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_poll_cursors")),
    )
    op.create_table(
        "triage_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("provider_message_id", sa.String(length=128), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending','converted','dismissed')", name=op.f("ck_triage_items_status")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact_identities.id"], name=op.f("fk_triage_items_contact_id_contact_identities")),
        sa.ForeignKeyConstraint(["report_id"], ["reports.id"], name=op.f("fk_triage_items_report_id_reports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_items")),
        sa.UniqueConstraint("channel", "provider_message_id", name="uq_triage_items_channel_provider_id"),
    )
    with op.batch_alter_table("triage_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_triage_items_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_triage_items_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("triage_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_items_created_at"))
        batch_op.drop_index(batch_op.f("ix_triage_items_status"))
    op.drop_table("triage_items")
    op.drop_table("poll_cursors")
