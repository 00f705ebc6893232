"""The map: kelurahan boundaries (simplified, cached) and the scoped, filtered reports as GeoJSON points
(no personal data), drawn by map.js with Leaflet and marker clusters coloured by status.

A report located only to a kelurahan (named in the text, or fixed by triage to a kelurahan) has no point of
its own: it is drawn at a point inside its kelurahan (shapely's `representative_point`), marked approximate
(`approximate: true`, its own marker style and a note in the popup). Reports with no kelurahan at all are
only counted (`without_location`)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Response, render_template, request
from shapely.geometry import mapping, shape

from gateway.console import blueprint
from gateway.console.auth import require
from gateway.console.exports import filtered_where
from gateway.console.i18n import language, t
from gateway.console.inbox import filter_choices
from gateway.services import services
from store.search import search_reports
from store.types import utcnow

WILAYAH = Path(__file__).resolve().parents[2] / "normalizer" / "data" / "jakarta_wilayah.geojson"
MAP_LIMIT = 5000


@cache
def boundaries_document() -> str:
    source = json.loads(WILAYAH.read_text(encoding="utf-8"))
    features = [
        {"type": "Feature", "properties": {"code": f["properties"]["kode"], "name": f["properties"]["nama"]},
         "geometry": mapping(shape(f["geometry"]).simplify(0.0002, preserve_topology=True))}
        for f in source["features"] if f["properties"].get("level") == "kelurahan"
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


@cache
def kelurahan_point(code: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a point surely inside the kelurahan (not its centroid, which may lie outside)."""
    area = services().wilayah.areas.get(code)
    if area is None or area.level != "kelurahan":
        return None
    point = area.geometry.representative_point()
    return round(point.x, 6), round(point.y, 6)


@blueprint.get("/map")
@require()
def map_page():
    query, _ = filtered_where(request.args)
    return render_template("console/map.html", p=query.params, choices=filter_choices(query),
                           query_string=request.query_string.decode())


@blueprint.get("/map/boundaries.geojson")
@require()
def map_boundaries():
    response = Response(boundaries_document(), content_type="application/geo+json")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@blueprint.get("/map/reports.geojson")
@require()
def map_reports():
    _, where = filtered_where(request.args)
    app, lang = services(), language()
    statuses, areas = app.config.statuses, app.wilayah.areas
    reports = search_reports(app.db, where, now=utcnow(), limit=MAP_LIMIT)
    features = []
    for r in reports:
        approximate = r.latitude is None or r.longitude is None
        where_at = kelurahan_point(r.kelurahan_code) if approximate and r.kelurahan_code else None
        if approximate and where_at is None:
            continue
        category = app.config.category(r.category)
        properties = {"ticket": r.ticket, "status": r.status, "status_label": statuses[r.status].label.get(lang),
                      "category": category.name.get(lang) if category else r.category, "title": r.title,
                      "colour": statuses[r.status].colour, "priority": r.priority, "approximate": approximate}
        if approximate:
            properties["note"] = t("map_approximate_note", kelurahan=areas[r.kelurahan_code].name)
        features.append({"type": "Feature", "properties": properties, "geometry": {
            "type": "Point", "coordinates": list(where_at) if approximate else [r.longitude, r.latitude]}})
    return {
        "type": "FeatureCollection",
        "without_location": len(reports) - len(features),
        "approximate": sum(f["properties"]["approximate"] for f in features),
        "features": features,
    }
