"""The append-only audit log: who did what sensitive thing, and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.db import Database
from store.models import AuditLog


def add_audit_entry(
    session: Session,
    *,
    actor_role: str,
    actor_id: str | None,
    action: str,
    target_type: str,
    target_id: str | None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(
        actor_role=actor_role,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        detail=detail or {},
    )
    session.add(entry)
    return entry


def list_audit_entries(db: Database, limit: int = 200) -> list[AuditLog]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)))
