"""store.stats.report_statistics: exact figures on SQLite and PostgreSQL, from reports whose times are set."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from store import lifecycle
from store.models import Report, StatusEvent
from store.reports import rate_report
from store.search import ReportFilter
from store.stats import report_statistics
from store.types import utcnow
from tests.helpers import BLOK_M, MONAS, OFFICER, bring_to, move, new_report

pytestmark = pytest.mark.sql_dialects


def _at(db, ticket, *, created, due, event_offsets):
    """Put a report's creation, due time and each later event (in order) at hours after `created`."""
    with db.transaction() as session:
        report = session.scalar(select(Report).where(Report.ticket == ticket))
        report.created_at, report.sla_due_at = created, due
        events = list(session.scalars(select(StatusEvent).where(StatusEvent.report_id == report.id).order_by(StatusEvent.id)))
        events[0].created_at = created
        for event, hours in zip(events[1:], event_offsets, strict=True):
            event.created_at = created + timedelta(hours=hours)
        if report.closed_at is not None:
            report.closed_at = events[-1].created_at


def test_figures_medians_sla_and_ratings(units_db, config, wilayah):
    now = utcnow()
    start = now - timedelta(hours=10)
    done = new_report(units_db, config, wilayah, category="jalan", where=MONAS)
    working = new_report(units_db, config, wilayah, category="jalan", where=MONAS)
    fresh = new_report(units_db, config, wilayah, category="sampah", where=BLOK_M, origin_channel="telegram")
    bring_to(units_db, config, done.ticket, lifecycle.SELESAI)  # ditangani, verifikasi, selesai
    move(units_db, config, working.ticket, lifecycle.DITANGANI, actor=OFFICER)
    _at(units_db, done.ticket, created=start, due=start + timedelta(hours=72), event_offsets=[2, 5, 6])
    _at(units_db, working.ticket, created=start, due=start + timedelta(hours=1), event_offsets=[4])  # open, overdue
    _at(units_db, fresh.ticket, created=start, due=now + timedelta(hours=24), event_offsets=[])  # open, in time
    rate_report(units_db, done.ticket, 5)

    stats = report_statistics(units_db, ReportFilter(), now=now)

    assert stats.total == 3
    assert stats.by_category == {"jalan": 2, "sampah": 1}
    assert stats.by_channel == {"open311": 2, "telegram": 1}
    assert stats.by_status == {"selesai": 1, "ditangani": 1, "menunggu": 1}
    assert stats.first_response_hours == 3.0 and stats.first_response_count == 2  # 2 h and 4 h
    assert stats.resolution_hours == 6.0 and stats.resolution_count == 1
    [gambir] = stats.sla  # Melawai's report is open and still in time: not judged yet
    assert (gambir.unit, gambir.within, gambir.late, gambir.share) == ("Kelurahan Gambir", 1, 1, 50.0)
    assert stats.ratings == {1: 0, 2: 0, 3: 0, 4: 0, 5: 1} and stats.rating_average == 5.0
    assert sum(sum(week.values()) for week in stats.weekly.values()) == 3


def test_filters_and_unit_scope_narrow_the_figures(units_db, config, wilayah):
    new_report(units_db, config, wilayah, category="jalan", where=MONAS)
    new_report(units_db, config, wilayah, category="sampah", where=BLOK_M)
    now = utcnow()
    gambir = report_statistics(units_db, ReportFilter(unit_codes=("31.71.01.1001",)), now=now)
    assert gambir.total == 1 and gambir.by_category == {"jalan": 1}
    assert report_statistics(units_db, ReportFilter(created_from=now + timedelta(days=1)), now=now).total == 0
    with units_db.transaction() as session:
        session.execute(update(Report).values(status=lifecycle.MENUNGGU))
    assert report_statistics(units_db, ReportFilter(statuses=("selesai",)), now=now).total == 0
