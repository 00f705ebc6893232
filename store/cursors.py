"""Pollers' cursors: where the IMAP poller, a polled channel (gateway/polling.py) or a job stopped last time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from store.db import Database, unit_of_work
from store.models import PollCursor, StatusEvent
from store.reports import newest_event_id
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


LATE_COMMITS = timedelta(minutes=10)  # events read again this long after they were written


def unread_events(session: Session, name: str, read: Callable, now: datetime) -> list[StatusEvent]:
    """The status events a job has not handled yet, as `read(session, after_event_id, late_since)` finds
    them, with the job's cursor moved past them in the caller's transaction (both commit or neither).
    The first call only marks where news begins. Events of the last LATE_COMMITS come again (a
    transaction that committed late may have left a lower id behind the cursor): jobs key what they
    do by event, so a second look is harmless."""
    cursor = get_cursor(session, name, lock=True)
    if "after_event_id" not in cursor:
        set_cursor(session, name, {"after_event_id": newest_event_id(session), "since": now.isoformat()})
        return []
    after = cursor["after_event_id"]
    events = read(session, after, max(now - LATE_COMMITS, datetime.fromisoformat(cursor["since"])))
    newest = max((event.id for event in events), default=after)
    if newest > after:
        set_cursor(session, name, {**cursor, "after_event_id": newest})
    return events
