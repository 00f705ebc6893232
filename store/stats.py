"""Counts for the metrics endpoint, read from the tables so every process reports the same."""

from __future__ import annotations

from sqlalchemy import func, select

from store.db import Database
from store.models import InboundMessage, OutboundMessage, Report


def message_counts(db: Database) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Inbound per channel, and outbound per (channel, status)."""
    with db.transaction() as session:
        inbound = dict(session.execute(select(InboundMessage.channel, func.count()).group_by(InboundMessage.channel)).all())
        outbound = {
            (channel, status): count
            for channel, status, count in session.execute(
                select(OutboundMessage.channel, OutboundMessage.status, func.count()).group_by(
                    OutboundMessage.channel, OutboundMessage.status
                )
            )
        }
    return inbound, outbound


def report_counts(db: Database) -> dict[tuple[str, str], int]:
    """Reports per (status, priority)."""
    with db.transaction() as session:
        rows = session.execute(select(Report.status, Report.priority, func.count()).group_by(Report.status, Report.priority))
        return {(status, priority): count for status, priority, count in rows}
