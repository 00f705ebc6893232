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


def search_audit(db: Database, *, action: str | None = None, actor: str | None = None, before_id: int | None = None,
                 limit: int = 50) -> list[AuditLog]:
    """Newest first; `before_id` pages on to older entries. `actor` matches the actor id or role."""
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
    if action:
        query = query.where(AuditLog.action == action)
    if actor:
        query = query.where((AuditLog.actor_id == actor) | (AuditLog.actor_role == actor))
    if before_id:
        query = query.where(AuditLog.id < before_id)
    with db.transaction() as session:
        return list(session.scalars(query))


def audit_actions(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
