"""Category settings an admin changed in the console; config.yaml's values are the defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.audit import add_audit_entry
from store.db import Database, unit_of_work
from store.models import CategorySetting
from store.reports import Actor
from store.types import utcnow


def category_settings(target) -> dict[str, dict[str, Any]]:
    """{category code: {"sla_hours": …, "escalate_to": …}} with only the values that were changed."""
    with unit_of_work(target) as session:
        return {
            row.code: {key: value for key, value in (("sla_hours", row.sla_hours), ("escalate_to", row.escalate_to))
                       if value is not None}
            for row in session.scalars(select(CategorySetting))
        }


def save_category_setting(db: Database, code: str, *, sla_hours: float, escalate_to: str, actor: Actor,
                          previous: dict[str, Any]) -> None:
    """Keep the admin's values (already validated by the caller) and audit the change, in one transaction."""
    with db.transaction() as session:
        row = session.get(CategorySetting, code, with_for_update=True) or CategorySetting(code=code)
        row.sla_hours, row.escalate_to = sla_hours, escalate_to
        row.updated_by, row.updated_at = actor.id, utcnow()
        session.add(row)
        add_audit_entry(session, actor_role=actor.role, actor_id=actor.id, action="category_changed",
                        target_type="category", target_id=code,
                        detail={"before": previous, "after": {"sla_hours": sla_hours, "escalate_to": escalate_to}})
