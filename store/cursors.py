"""Pollers' cursors: where the IMAP poller or the X mentions poller stopped last time."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.db import Database, unit_of_work
from store.models import PollCursor
from store.types import utcnow


def get_cursor(target: Database | Session, name: str, lock: bool = False) -> dict[str, Any]:
    """The cursor's value; {} before the first poll. With `lock`, the row stays locked until the caller's
    transaction ends (FOR UPDATE on PostgreSQL; SQLite has one writer anyway), so jobs in several
    processes never move it back."""
    with unit_of_work(target) as session:
        cursor = session.get(PollCursor, name, with_for_update=lock, populate_existing=lock)
        return dict(cursor.value) if cursor else {}


def set_cursor(target: Database | Session, name: str, value: dict[str, Any]) -> None:
    """Move the cursor: in the caller's transaction, with what it stored (so both commit or neither)."""
    with unit_of_work(target) as session:
        cursor = session.get(PollCursor, name, with_for_update=True)
        if cursor is None:
            session.add(PollCursor(name=name, value=value, updated_at=utcnow()))
        else:
            cursor.value, cursor.updated_at = value, utcnow()
