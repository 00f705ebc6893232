"""The public tracking page a citizen gets in every reply: /t/<ticket>?k=<token>.

Status in the city's colours, the public history and the proof photo — never the reporter's
identity, never internal notes. A wrong or missing token answers 404, as for an unknown ticket.
Once a report is `selesai` the page offers a 1–5 rating (with an optional comment); it counts as
the report's reporter's rating, the same one they could give by chat, so rating again changes it.
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, url_for

from gateway.open311.records import media_url, place_name
from gateway.services import services
from normalizer import redact
from store import lifecycle
from store.reporters import known_names, reporters_rating
from store.reports import NotFound, RatingError, get_report, rate_report

blueprint = Blueprint("tracking", __name__)

COLOURS = {"red": "#d32f2f", "purple": "#7b1fa2", "blue": "#1565c0", "yellow": "#f9a825", "green": "#2e7d32", "grey": "#616161"}
MAX_COMMENT = 1000
HEADERS = {
    "Cache-Control": "no-store",
    # same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on the rating form's POST,
    # and the same-origin check below could not tell the page's own form from another site's.
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                               "form-action 'self'",
}


@blueprint.get("/t/<ticket>")
def track(ticket: str):
    report = _report(ticket)
    return render_template("track.html", **_page(report, _language())), 200, HEADERS


@blueprint.post("/t/<ticket>")
def rate(ticket: str):
    """The rating form. This page is outside /console, so the console's CSRF tokens do not cover it: the POST is
    protected by the report's unguessable token `k` (only the citizen's link carries it) and by a same-origin check
    (Origin, else Referer, must be this site), so another site cannot make a visitor's browser rate for them."""
    if not _same_origin():
        abort(403, "cross-site rating refused")
    report = _report(ticket)
    language = _language()
    score = request.form.get("score", "")
    comment = " ".join(request.form.get("comment", "").split())[:MAX_COMMENT]
    if score not in {"1", "2", "3", "4", "5"}:
        return render_template("track.html", **_page(report, language) | {"rating_error": "track_rate_invalid"}), 400, HEADERS
    try:
        comment = redact.redact(comment, known_names(services().db, report.reporter_id))  # no personal data kept
        rate_report(services().db, ticket, int(score), comment or None, reporter_id=report.reporter_id)
    except RatingError:
        return render_template("track.html", **_page(report, language) | {"rating_error": "track_rate_refused"}), 409, HEADERS
    return redirect(url_for("tracking.track", ticket=ticket, k=report.public_token, lang=language, rated=1) + "#rating", 303)


def _report(ticket: str):
    try:
        report = get_report(services().db, ticket)
    except NotFound:
        abort(404, "no such report")
    if not hmac.compare_digest(request.values.get("k", "").encode(), report.public_token.encode()):
        abort(404, "no such report")
    return report


@blueprint.errorhandler(404)
def _not_found(_error):
    """The tracking page's own answer, in the citizen's language: never the API's JSON."""
    language = _language()
    text = services().config.message
    return render_template("track_missing.html", language=language, title=text("track_title", language),
                           message=text("track_not_found", language)), 404, HEADERS


def details_after_title(description: str, title: str) -> str:
    """What the description says beyond its title (the title is its first sentence): shown once, not twice."""
    if not title or title.endswith("…") or not description.startswith(title):  # a cut title: the whole text
        return description
    return description[len(title) :].strip(" .,;:!?\n")


def _language() -> str:
    language = request.values.get("lang") or request.accept_languages.best_match(["id", "en"], default="id")
    return "en" if language == "en" else "id"


def _same_origin() -> bool:
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent or sent == "null":
        return False
    ours = {_origin(services().config.server.base_url), _origin(request.host_url)}
    return _origin(sent) in ours


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _page(report, language: str) -> dict:
    app_services = services()
    config = app_services.config
    tz = config.city.tz

    def text(key: str, **values) -> str:
        return config.message(key, language, **values)

    status = config.statuses[report.status]
    events = [
        {
            "status": config.statuses[event.to_status].label.get(language),
            "colour": COLOURS.get(config.statuses[event.to_status].colour, "#616161"),
            "note": event.note if event.note_public else None,
            "at": event.created_at.astimezone(tz).strftime("%d-%m-%Y %H:%M"),
        }
        for event in report.events
    ]
    category = config.category(report.category)
    # a path, not base_url's absolute link: the page shows its photo whichever host name it was opened by
    proof = urlsplit(media_url(report, config.server.base_url)).path if any(a.purpose == "proof" for a in report.attachments) else None
    rateable = report.status == lifecycle.SELESAI
    return dict(
        language=language,
        text=text,
        report=report,
        details=details_after_title(report.description or "", report.title or ""),
        category=category.name.get(language) if category else report.category,
        status_label=status.label.get(language),
        status_colour=COLOURS.get(status.colour, "#616161"),
        colour_name=text(f"colour_{status.colour}"),
        unit=report.assigned_unit.name if report.assigned_unit else text("unit_triage"),
        place=report.address_text or place_name(report, app_services.wilayah),
        reported=report.created_at.astimezone(tz).strftime("%d-%m-%Y %H:%M"),
        due=report.sla_due_at.astimezone(tz).strftime("%d-%m-%Y %H:%M"),
        events=list(reversed(events)),
        proof=proof,
        rateable=rateable,
        rating=reporters_rating(app_services.db, report.ticket, report.reporter_id) if rateable else None,
        just_rated=request.args.get("rated") == "1",
        rating_error=None,
    )
