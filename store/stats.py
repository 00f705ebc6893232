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


# ---- The console's statistics page: every figure over the same filtered reports (store.search.ReportFilter) ----

from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from statistics import median  # noqa: E402

from store import lifecycle  # noqa: E402
from store.models import Rating, StatusEvent, Unit  # noqa: E402
from store.search import ReportFilter, filtered  # noqa: E402

NOT_A_RESPONSE = ("system", "citizen")  # moves that are not a person of the city answering


@dataclass
class UnitSla:
    unit: str
    within: int = 0  # closed no later than sla_due_at
    late: int = 0  # closed after sla_due_at, or still open past it

    @property
    def share(self) -> float | None:
        total = self.within + self.late
        return round(100 * self.within / total, 1) if total else None


@dataclass
class ReportStatistics:
    total: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    by_kota: dict[str, int] = field(default_factory=dict)  # kota code ('' when unknown) → count
    by_status: dict[str, int] = field(default_factory=dict)
    weekly: dict[str, dict[str, int]] = field(default_factory=dict)  # week's Monday (ISO date) → current status → count
    sla: list[UnitSla] = field(default_factory=list)
    first_response_hours: float | None = None
    first_response_count: int = 0
    resolution_hours: float | None = None
    resolution_count: int = 0
    ratings: dict[int, int] = field(default_factory=dict)  # score 1–5 → count

    @property
    def rating_average(self) -> float | None:
        count = sum(self.ratings.values())
        return round(sum(score * n for score, n in self.ratings.items()) / count, 2) if count else None


def report_statistics(db: Database, where: ReportFilter, *, now: datetime) -> ReportStatistics:
    """All the console's statistics for the reports matching `where`, in one transaction. Medians are taken in
    Python over the list of durations, so SQLite and PostgreSQL give the same answer."""
    ids = filtered(select(Report.id), where, now).scalar_subquery()
    result = ReportStatistics()
    with db.transaction() as session:
        def grouped(column) -> dict:
            rows = session.execute(select(column, func.count()).where(Report.id.in_(ids)).group_by(column))
            return {key if key is not None else "": count for key, count in rows}

        result.by_channel = grouped(Report.origin_channel)
        result.by_category = grouped(Report.category)
        result.by_kota = grouped(Report.kota_code)
        result.by_status = grouped(Report.status)
        result.total = sum(result.by_status.values())

        for created_at, status in session.execute(select(Report.created_at, Report.status).where(Report.id.in_(ids))):
            week = (created_at.date() - timedelta(days=created_at.weekday())).isoformat()
            bucket = result.weekly.setdefault(week, {})
            bucket[status] = bucket.get(status, 0) + 1
        result.weekly = dict(sorted(result.weekly.items()))

        sla: dict[str, UnitSla] = {}
        rows = session.execute(
            select(Unit.name, Report.status, Report.closed_at, Report.sla_due_at)
            .outerjoin(Unit, Unit.id == Report.assigned_unit_id).where(Report.id.in_(ids))
        )
        for unit, status, closed_at, due in rows:
            closed = status in lifecycle.CLOSED_STATUSES and closed_at is not None
            if not closed and due >= now:
                continue  # still open and still in time: not judged yet
            entry = sla.setdefault(unit or "", UnitSla(unit or ""))
            if closed and closed_at <= due:
                entry.within += 1
            else:
                entry.late += 1
        result.sla = sorted(sla.values(), key=lambda entry: (-(entry.within + entry.late), entry.unit))

        first = (
            select(Report.created_at, func.min(StatusEvent.created_at))
            .join(StatusEvent, StatusEvent.report_id == Report.id)
            .where(Report.id.in_(ids), StatusEvent.from_status.is_not(None),
                   StatusEvent.actor_role.not_in(NOT_A_RESPONSE))
            .group_by(Report.id, Report.created_at)
        )
        result.first_response_hours, result.first_response_count = _median_hours(session.execute(first))
        done = (
            select(Report.created_at, func.min(StatusEvent.created_at))
            .join(StatusEvent, StatusEvent.report_id == Report.id)
            .where(Report.id.in_(ids), StatusEvent.to_status == lifecycle.SELESAI)
            .group_by(Report.id, Report.created_at)
        )
        result.resolution_hours, result.resolution_count = _median_hours(session.execute(done))

        scores = session.execute(select(Rating.score, func.count()).where(Rating.report_id.in_(ids)).group_by(Rating.score))
        result.ratings = {score: 0 for score in range(1, 6)} | dict(scores.all())
    return result


def _median_hours(rows) -> tuple[float | None, int]:
    hours = [(end - start).total_seconds() / 3600 for start, end in rows if end is not None]
    return (round(median(hours), 2) if hours else None), len(hours)
