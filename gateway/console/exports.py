"""Exports: CSV and GeoJSON of the filtered reports the user may see, without any personal data."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import datetime, time, timedelta

from flask import Response, abort, render_template, request
from flask_login import current_user

from gateway.console import blueprint
from gateway.console.access import scoped
from gateway.console.auth import require
from gateway.console.inbox import BadFilter, filter_choices, parse_query
from gateway.services import services
from store.exports import COLUMNS, export_rows
from store.types import utcnow

EXPORT_LIMIT = 20_000  # rows per download (the page says so)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def filtered_where(args):
    """The inbox's filters plus a date range (from/to, YYYY-MM-DD, Jakarta days), narrowed to the user's scope.
    400 for a filter value that is not known."""
    try:
        query = parse_query(args)
        tz = services().config.city.tz
        start = _day(args.get("from"), tz)
        end = _day(args.get("to"), tz)
    except (BadFilter, ValueError):
        abort(400)
    where = replace(query.where, created_from=start, created_to=end + timedelta(days=1) if end else None)
    return query, scoped(where, current_user.record)


def _day(text: str | None, tz) -> datetime | None:
    return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(), tz) if text else None


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet will not run as a formula; numbers stay numbers (-6.20989 is no formula)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if isinstance(value, (int, float)) or NUMBER.fullmatch(text):
        return text
    return "'" + text if text.startswith(FORMULA_START) else text


@blueprint.get("/exports")
@require()
def exports_page():
    query, _ = filtered_where(request.args)
    return render_template("console/exports.html", p=query.params, choices=filter_choices(query), limit=EXPORT_LIMIT,
                           query_string=request.query_string.decode())


@blueprint.get("/exports/reports.csv")
@require()
def export_csv():
    _, where = filtered_where(request.args)
    rows = export_rows(services().db, where, now=utcnow(), limit=EXPORT_LIMIT)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(row[column]) for column in COLUMNS])
    return _download(out.getvalue(), "text/csv; charset=utf-8", "laporan.csv")


@blueprint.get("/exports/reports.geojson")
@require()
def export_geojson():
    _, where = filtered_where(request.args)
    rows = export_rows(services().db, where, now=utcnow(), limit=EXPORT_LIMIT)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
            if row["latitude"] is not None and row["longitude"] is not None else None,
            "properties": {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()
                           if k not in ("latitude", "longitude")},
        }
        for row in rows
    ]
    return _download(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                     "application/geo+json", "laporan.geojson")


def _download(body: str, content_type: str, filename: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
