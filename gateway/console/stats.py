"""Statistics: figures over the reports the user may see in a date range (default the last 90 days).
The page's charts read `stats.json`; every table is also a CSV (`stats.csv`)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import timedelta

from flask import Response, render_template, request

from gateway.console import blueprint
from gateway.console.auth import require
from gateway.console.exports import filtered_where, safe_cell
from gateway.console.i18n import labels, language, t
from gateway.services import services
from store.stats import report_statistics
from store.types import utcnow

ROLES = ("triage", "officer", "verifier", "admin")
DEFAULT_DAYS = 90


def _statistics():
    _, where = filtered_where(request.args)
    now = utcnow()
    if where.created_from is None:
        where = replace(where, created_from=now - timedelta(days=DEFAULT_DAYS))
    return report_statistics(services().db, where, now=now)


def _as_json(result) -> dict:
    return {
        "total": result.total, "by_channel": result.by_channel, "by_category": result.by_category,
        "by_kota": result.by_kota, "by_status": result.by_status, "weekly": result.weekly,
        "sla": [{"unit": s.unit, "within": s.within, "late": s.late, "share": s.share} for s in result.sla],
        "first_response_hours": result.first_response_hours, "first_response_count": result.first_response_count,
        "resolution_hours": result.resolution_hours, "resolution_count": result.resolution_count,
        "ratings": {str(k): v for k, v in result.ratings.items()}, "rating_average": result.rating_average,
        "colours": {code: s.colour for code, s in services().config.statuses.items()},
        "names": _names(result),
    }


def _names(result) -> dict:
    """What the charts label their bars with, in the page's language."""
    config, lang = services().config, language()
    kota = {area.code: area.name for area in services().wilayah.of_level("kota")}
    return {
        "status": {code: s.label.get(lang) for code, s in config.statuses.items()},
        "category": {code: (config.category(code).name.get(lang) if config.category(code) else code) for code in result.by_category},
        "kota": {code: kota.get(code) or t("stats_unknown_kota") for code in result.by_kota},
        "channel": {code: t(f"case_channel_{code}") if has_label(code) else code for code in result.by_channel},
    }


def has_label(channel: str) -> bool:
    return f"case_channel_{channel}" in labels()


@blueprint.get("/stats")
@require(*ROLES)
def stats_page():
    return render_template("console/stats.html", stats=_as_json(_statistics()), query_string=request.query_string.decode())


@blueprint.get("/stats.json")
@require(*ROLES)
def stats_json():
    return _as_json(_statistics())


@blueprint.get("/stats.csv")
@require(*ROLES)
def stats_csv():
    """One CSV with a section per chart: section, key, value(s)."""
    data = _as_json(_statistics())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "value", "extra"])
    for section in ("by_channel", "by_category", "by_kota", "by_status", "ratings"):
        for key, value in data[section].items():
            writer.writerow([section, safe_cell(key), value, ""])
    for week, statuses in data["weekly"].items():
        for status, value in statuses.items():
            writer.writerow(["weekly", week, value, status])
    for entry in data["sla"]:
        writer.writerow(["sla_within_share", safe_cell(entry["unit"]), entry["share"], f"{entry['within']}/{entry['within'] + entry['late']}"])
    writer.writerow(["median_first_response_hours", "", data["first_response_hours"], data["first_response_count"]])
    writer.writerow(["median_resolution_hours", "", data["resolution_hours"], data["resolution_count"]])
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="statistik.csv"'
    return response
