"""The map: kelurahan boundaries (simplified, cached) and the scoped, filtered reports as GeoJSON points
(no personal data), drawn by map.js with Leaflet and marker clusters coloured by status."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask import Response, render_template, request
from shapely.geometry import mapping, shape

from gateway.console import blueprint
from gateway.console.auth import require
from gateway.console.exports import filtered_where
from gateway.console.inbox import _choices
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


@blueprint.get("/map")
@require()
def map_page():
    query, _ = filtered_where(request.args)
    return render_template("console/map.html", p=query.params, choices=_choices(query),
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
    statuses = services().config.statuses
    reports = search_reports(services().db, where, now=utcnow(), limit=MAP_LIMIT)
    placed = [r for r in reports if r.latitude is not None and r.longitude is not None]
    return {
        "type": "FeatureCollection",
        "without_location": len(reports) - len(placed),
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.longitude, r.latitude]},
             "properties": {"ticket": r.ticket, "status": r.status, "status_label": statuses[r.status].label.id,
                            "category": r.category, "title": r.title, "colour": statuses[r.status].colour,
                            "priority": r.priority}}
            for r in placed
        ],
    }
