"""Finding reports for the console: the filters of the inbox, map, statistics and exports, in one place."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import func, or_, select

from store import lifecycle
from store.db import unit_of_work
from store.models import Report, Unit


@dataclass(frozen=True)
class ReportFilter:
    """Every given filter must match; empty ones match everything."""

    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    kota_code: str | None = None
    kecamatan_code: str | None = None
    kelurahan_code: str | None = None
    priority: str | None = None
    overdue: bool = False  # open and past its SLA due time
    needs_review: bool | None = None
    unit_codes: tuple[str, ...] = ()  # assigned to one of these units (an officer's scope)
    text: str | None = None  # ticket, title, description or place contains it
    created_from: datetime | None = None
    created_to: datetime | None = None
    after_id: int | None = None  # only reports newer than this one (the inbox's live updates)
    text_area_codes: tuple[str, ...] = ()  # with `text`: also reports in these areas (whose names contain it)

    def within_units(self, unit_codes: tuple[str, ...]) -> ReportFilter:
        return replace(self, unit_codes=unit_codes)


def search_reports(target, where: ReportFilter, *, now: datetime, limit: int = 200, offset: int = 0) -> list[Report]:
    """Matching reports, newest first (the assigned unit loaded)."""
    statement = filtered(select(Report), where, now).order_by(Report.created_at.desc(), Report.id.desc())
    with unit_of_work(target) as session:
        return list(session.scalars(statement.limit(limit).offset(offset)))


def count_reports(target, where: ReportFilter, *, now: datetime) -> int:
    with unit_of_work(target) as session:
        return session.scalar(filtered(select(func.count(Report.id)), where, now)) or 0


def filtered(statement, where: ReportFilter, now: datetime):
    """`statement` narrowed to the reports `where` asks for (the console's inbox, exports and statistics share it)."""
    conditions = []
    if where.statuses:
        conditions.append(Report.status.in_(where.statuses))
    if where.categories:
        conditions.append(Report.category.in_(where.categories))
    if where.channels:
        conditions.append(Report.origin_channel.in_(where.channels))
    for column, value in ((Report.kota_code, where.kota_code), (Report.kecamatan_code, where.kecamatan_code),
                          (Report.kelurahan_code, where.kelurahan_code), (Report.priority, where.priority)):
        if value:
            conditions.append(column == value)
    if where.overdue:
        conditions += [Report.status.in_(lifecycle.OPEN_STATUSES), Report.sla_due_at < now]
    if where.needs_review is not None:
        conditions.append(Report.needs_review.is_(where.needs_review))
    if where.unit_codes:
        conditions.append(Report.assigned_unit_id.in_(select(Unit.id).where(Unit.code.in_(where.unit_codes))))
    if where.text and where.text.strip():
        pattern = f"%{_escape_like(where.text.strip())}%"
        matches = [column.ilike(pattern, escape="\\") for column in
                   (Report.ticket, Report.title, Report.description, Report.address_text)]
        if where.text_area_codes:
            matches += [column.in_(where.text_area_codes)
                        for column in (Report.kelurahan_code, Report.kecamatan_code, Report.kota_code)]
        conditions.append(or_(*matches))
    if where.created_from is not None:
        conditions.append(Report.created_at >= where.created_from)
    if where.created_to is not None:
        conditions.append(Report.created_at <= where.created_to)
    if where.after_id is not None:
        conditions.append(Report.id > where.after_id)
    return statement.where(*conditions)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
