"""Liveness and metrics endpoints for operators and their monitoring."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.services import services

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    if services().db.ping():
        return jsonify(status="ok", database="ok")
    return jsonify(status="error", database="unreachable"), 503


@blueprint.get("/metrics")
def metrics():
    registry = current_app.extensions["lapor.metrics"].registry
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
