"""The Flask application factory: webhooks, APIs and pages all hang off `create_app`."""

from __future__ import annotations

import logging
import os

from flask import Flask, jsonify, render_template, request, send_from_directory
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from gateway import health, media, tracking, webchat, webhooks
from gateway.channels import build_adapters
from gateway.config import Config
from gateway.console import init_console
from gateway.metrics import Metrics
from gateway.normalizing import build_geocoder, build_normalizer
from gateway.open311 import blueprint as open311_blueprint
from gateway.open311.views import http_error as open311_http_error
from gateway.services import Services
from normalizer.core import Normalizer
from normalizer.wilayah import Wilayah
from store import Database

log = logging.getLogger(__name__)


def create_app(
    config: Config,
    db: Database,
    wilayah: Wilayah | None = None,
    environ: dict[str, str] | None = None,
    normalizer: Normalizer | None = None,
    adapters: dict | None = None,
) -> Flask:
    environ = os.environ if environ is None else environ
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = config.server.max_request_bytes
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    wilayah = wilayah or Wilayah.load(border_tolerance_m=config.geography.border_tolerance_m)
    normalizer = normalizer or build_normalizer(config, wilayah)
    keys = frozenset(k.strip() for k in environ.get(config.open311.api_keys_env, "").split(",") if k.strip())
    app.extensions["lapor"] = Services(
        config=config,
        db=db,
        wilayah=wilayah,
        normalizer=normalizer,
        geocoder=build_geocoder(config, normalizer),
        adapters=adapters if adapters is not None else build_adapters(  # a connection per sending thread and worker run
            environ, config.server.base_url, connections=config.server.send_threads + config.server.worker_threads),
        open311_api_keys=keys,
    )
    try:
        if db.is_migrated():
            app.extensions["lapor"].refresh_console_settings()  # what admins changed in the console
    except SQLAlchemyError:  # the database is down: /healthz says so, and the refresh job loads them later
        log.warning("console settings not loaded: the database is unreachable")
    metrics = Metrics(db)
    app.extensions["lapor.metrics"] = metrics
    for blueprint in (health.blueprint, media.blueprint, tracking.blueprint, webchat.blueprint, webhooks.blueprint,
                      open311_blueprint):
        app.register_blueprint(blueprint)
    init_console(app, config, environ)
    _register_error_handlers(app, metrics)

    @app.get("/favicon.ico")
    def _favicon():
        return send_from_directory(app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)

    return app


def _register_error_handlers(app: Flask, metrics: Metrics) -> None:
    @app.after_request
    def _count_errors(response):
        if response.status_code >= 400:
            metrics.http_errors.labels(str(response.status_code)).inc()
        return response

    @app.errorhandler(HTTPException)
    def _http_exception(error: HTTPException):
        status = error.code or 500
        description = error.description or error.name
        if request.path.startswith("/open311/"):
            if status == 404 and request.url_rule is None:
                description = f"no such resource: {request.path} (see /open311/v2/openapi.json)"
            response = open311_http_error(status, description, request.path)
        elif request.path.startswith("/console/") and not request.path.endswith((".json", ".csv", ".geojson")):
            response = app.make_response((render_template("console/error.html", status=status, message=description), status))
        else:
            response = jsonify(error={"status": status, "message": description})
            response.status_code = status
        allow = error.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        metrics.unhandled.inc()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith("/open311/"):
            return open311_http_error(500, "internal error", request.path)
        if request.path.startswith("/console/"):
            return render_template("console/error.html", status=500, message="internal error"), 500
        return jsonify(error={"status": 500, "message": "internal error"}), 500
