"""Category settings changed by an admin in the console (SLA hours, coordination service).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "category_settings",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("sla_hours", sa.Float(), nullable=True),
        sa.Column("escalate_to", sa.String(length=40), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sla_hours IS NULL OR sla_hours > 0", name=op.f("ck_category_settings_sla_hours")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_category_settings")),
    )


def downgrade() -> None:
    op.drop_table("category_settings")
