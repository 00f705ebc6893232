"""Reports as rows for the console's CSV and GeoJSON exports: no personal data, ever (no reporter, contact,
original text, messages or raw payloads; the description is the redacted one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import aliased

from store.db import Database
from store.models import Report, Unit
from store.search import ReportFilter, filtered

COLUMNS = (
    "ticket", "type", "category", "status", "priority", "title", "description",
    "kelurahan_code", "kelurahan", "kecamatan_code", "kecamatan", "kota_code", "kota",
    "latitude", "longitude", "unit_code", "unit", "channel", "created_at", "sla_due_at", "closed_at", "confidential",
)


def export_rows(db: Database, where: ReportFilter, *, now: datetime, limit: int) -> list[dict]:
    """At most `limit` matching reports, newest first, as dicts with exactly COLUMNS."""
    kelurahan, kecamatan, kota, unit = (aliased(Unit) for _ in range(4))
    statement = (
        filtered(select(Report, kelurahan.name, kecamatan.name, kota.name, unit.code, unit.name), where, now)
        .outerjoin(kelurahan, kelurahan.code == Report.kelurahan_code)
        .outerjoin(kecamatan, kecamatan.code == Report.kecamatan_code)
        .outerjoin(kota, kota.code == Report.kota_code)
        .outerjoin(unit, unit.id == Report.assigned_unit_id)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(limit)
    )
    with db.transaction() as session:
        return [
            {
                "ticket": r.ticket, "type": r.type, "category": r.category, "status": r.status, "priority": r.priority,
                "title": r.title, "description": r.description,
                "kelurahan_code": r.kelurahan_code, "kelurahan": kel, "kecamatan_code": r.kecamatan_code,
                "kecamatan": kec, "kota_code": r.kota_code, "kota": kot,
                "latitude": r.latitude, "longitude": r.longitude, "unit_code": unit_code, "unit": unit_name,
                "channel": r.origin_channel, "created_at": r.created_at, "sla_due_at": r.sla_due_at,
                "closed_at": r.closed_at, "confidential": r.confidential,
            }
            for r, kel, kec, kot, unit_code, unit_name in session.execute(statement)
        ]
