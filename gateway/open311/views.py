"""Open311 GeoReport v2 at /open311/v2/ (https://wiki.open311.org/GeoReport_v2), JSON and XML."""

from __future__ import annotations

import hashlib
import hmac
from importlib import resources

import yaml
from flask import Blueprint, Response, jsonify, request

from gateway.duplicates import likely_duplicates
from gateway.intake import submit_report
from gateway.open311.formats import Open311Error, render, render_error
from gateway.open311.params import parse_query, parse_submission
from gateway.open311.records import request_record, service_definition, service_record
from gateway.services import services
from store import lifecycle
from store.reports import Actor, NotFound, find_reports, get_report, transition_report
from store.types import utcnow

blueprint = Blueprint("open311", __name__, url_prefix="/open311")
FORMAT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-24T00:00:00+07:00"
SAME_REPORT = 0.8  # duplicate score (closeness and words) at which a new request is the same report
DUPLICATE_LINKER = Actor("system", "open311:duplicates")


def _language() -> str:
    return request.accept_languages.best_match(["id", "en"], default="id")


def _base_url() -> str:
    return services().config.server.base_url


def _check_jurisdiction() -> None:
    given = (request.values.get("jurisdiction_id") or "").strip()
    ours = services().config.city.jurisdiction_id
    if given and given != ours:
        raise Open311Error(404, f"jurisdiction_id {given!r} not found; this server serves {ours!r}")


def _api_key_actor() -> Actor:
    key = request.form.get("api_key", "")
    if not key:
        raise Open311Error(403, "api_key is required to submit a request")
    if not any(hmac.compare_digest(key.encode(), known.encode()) for known in services().open311_api_keys):
        raise Open311Error(403, "api_key is not valid")
    return Actor("system", "open311:" + hashlib.sha256(key.encode()).hexdigest()[:8])


@blueprint.get("/discovery." + FORMAT)
def discovery(fmt: str):
    config = services().config
    document = {
        "changeset": CHANGESET,
        "contact": config.open311.contact,
        "key_service": "API keys for POST are issued by the operator of this gateway",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{_base_url()}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(document, fmt, "discovery")


@blueprint.get("/v2/services." + FORMAT)
def list_services(fmt: str):
    _check_jurisdiction()
    language = _language()
    records = [service_record(category, language) for category in services().config.categories]
    return render(records, fmt, "services", "service")


@blueprint.get("/v2/services/<service_code>." + FORMAT)
def show_service(service_code: str, fmt: str):
    _check_jurisdiction()
    config = services().config
    category = config.category(service_code)
    if category is None:
        raise Open311Error(404, f"service_code {service_code!r} not found")
    return render(service_definition(category, config, _language()), fmt, "service_definition")


@blueprint.post("/v2/requests." + FORMAT)
def create_request(fmt: str):
    _check_jurisdiction()
    actor = _api_key_actor()
    app_services = services()
    submission = parse_submission(request.form, app_services.config, actor)
    if _outside_the_city(submission):
        raise Open311Error(400, "the location is outside the city: this service takes requests inside DKI Jakarta only")
    report = submit_report(
        app_services.db, app_services.config, app_services.normalizer, submission, app_services.geocoder
    )
    _link_if_duplicate(report)
    notice = app_services.config.open311.service_notice.get(_language())
    record = {"service_request_id": report.ticket, "service_notice": notice, "account_id": None}
    return render([record], fmt, "service_requests", "request")


def _outside_the_city(submission) -> bool:
    """A point outside every kelurahan, or an address the gazetteer places outside Jakarta."""
    app_services = services()
    if submission.latitude is not None and submission.longitude is not None:
        return app_services.wilayah.locate(submission.latitude, submission.longitude).kelurahan is None
    if submission.address_text:
        return app_services.normalizer.locate_text(submission.address_text).in_jakarta is False
    return False


def _link_if_duplicate(report) -> None:
    """The same problem already reported at the same place (same category, nearly the same point and words):
    the new request is linked to it as a duplicate, as the chat does when a citizen confirms one. Only an older
    report can be the original: two requests arriving together never link to each other (a cycle, and on
    PostgreSQL a deadlock, each holding its own row while waiting for the other's)."""
    if report.latitude is None:
        return
    app_services = services()
    with app_services.db.transaction() as session:  # one transaction: SQLite writers queue once, not twice
        found = likely_duplicates(session, app_services.config, category=report.category, lat=report.latitude,
                                  lon=report.longitude, description=report.description, now=utcnow(),
                                  older_than_id=report.id)
        if found and found[0].score >= SAME_REPORT:
            transition_report(session, report.ticket, lifecycle.DUPLIKAT, DUPLICATE_LINKER,
                              note=f"Duplikat dari {found[0].ticket}", duplicate_of_ticket=found[0].ticket)


@blueprint.get("/v2/requests." + FORMAT)
def list_requests(fmt: str):
    _check_jurisdiction()
    app_services = services()
    query = parse_query(request.args, app_services.config)
    reports = find_reports(app_services.db, query)
    language, base = _language(), _base_url()
    records = [request_record(report, app_services.config, app_services.wilayah, base, language) for report in reports]
    return render(records, fmt, "service_requests", "request")


@blueprint.get("/v2/requests/<service_request_id>." + FORMAT)
def show_request(service_request_id: str, fmt: str):
    _check_jurisdiction()
    app_services = services()
    if "\x00" in service_request_id or len(service_request_id) > 64:
        raise Open311Error(400, "service_request_id is not a ticket number")
    try:
        report = get_report(app_services.db, service_request_id)
    except NotFound:
        raise Open311Error(404, f"service_request_id {service_request_id!r} not found") from None
    record = request_record(report, app_services.config, app_services.wilayah, _base_url(), _language())
    return render([record], fmt, "service_requests", "request")


@blueprint.get("/v2/openapi.json")
def openapi():
    document = yaml.safe_load(resources.files("gateway.open311").joinpath("openapi.yaml").read_text("utf-8"))
    document["servers"] = [{"url": f"{_base_url()}/open311/v2"}]
    return jsonify(document)


@blueprint.errorhandler(Open311Error)
def _open311_error(error: Open311Error):
    return render_error(error, _requested_format())


def _requested_format() -> str:
    return requested_format(request.path)


def requested_format(path: str) -> str:
    return "xml" if path.endswith(".xml") else "json"


def http_error(status: int, description: str, path: str) -> Response:
    """Routing and protocol errors (404, 405, 413…) under /open311, in the spec's error format."""
    return render_error(Open311Error(status, description), requested_format(path))

