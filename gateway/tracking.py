"""The public tracking page a citizen gets in every reply: /t/<ticket>?k=<token>.

Status in the city's colours, the public history and the proof photo — never the reporter's
identity, never internal notes. A wrong or missing token answers 404, as for an unknown ticket.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, abort, render_template, request

from gateway.open311.records import media_url, place_name
from gateway.services import services
from store.reports import NotFound, get_report

blueprint = Blueprint("tracking", __name__)

COLOURS = {"red": "#d32f2f", "purple": "#7b1fa2", "blue": "#1565c0", "yellow": "#f9a825", "green": "#2e7d32", "grey": "#616161"}


@blueprint.get("/t/<ticket>")
def track(ticket: str):
    app_services = services()
    config = app_services.config
    try:
        report = get_report(app_services.db, ticket)
    except NotFound:
        abort(404, "no such report")
    if not hmac.compare_digest(request.args.get("k", ""), report.public_token):
        abort(404, "no such report")
    language = request.args.get("lang") or request.accept_languages.best_match(["id", "en"], default="id")
    language = "en" if language == "en" else "id"
    tz = config.city.tz

    def text(key: str) -> str:
        return config.message(key, language)

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
    proof = media_url(report, config.server.base_url) if any(a.purpose == "proof" for a in report.attachments) else None
    response = render_template(
        "track.html",
        language=language,
        text=text,
        report=report,
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
    )
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
