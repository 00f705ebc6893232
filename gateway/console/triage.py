"""The mentions triage queue: public posts that are not clearly reports, for the social-media team to
turn into a report (with the usual public reply through the outbox) or dismiss, with one click each.

The post's text is shown redacted (the normalizer's redaction, the author's own name and handle
included, and no @handles at all); the author's handle, name or address is never shown."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from bots.social import without_handles
from gateway.console import blueprint
from gateway.console.access import actor
from gateway.console.auth import require
from gateway.console.i18n import labels, language, t
from gateway.console.inbox import case_url
from gateway.mentions import convert_mention
from gateway.services import services
from normalizer.redact import redact
from store.models import TriageItem
from store.triage import TriageError, dismiss_triage_item, pending_triage_with_authors

ROLES = ("triage", "admin")
CONVERTED_KEY = "triage_converted_ticket"  # the last ticket made here, for the link on the next page


@blueprint.get("/triage")
@require(*ROLES)
def triage_queue():
    items, total = pending_triage_with_authors(services().db)
    converted = session.pop(CONVERTED_KEY, None)
    categories = sorted(((c.code, c.name.get(language())) for c in services().config.categories), key=lambda c: c[1])
    return render_template(
        "console/triage.html", items=[_shown(item) for item in items], total=total, categories=categories,
        converted={"ticket": converted, "url": case_url(converted)} if converted else None,
    )


@blueprint.post("/triage/<int:item_id>/convert")
@require(*ROLES)
def triage_convert(item_id: int):
    category = request.form.get("category") or None
    if category is not None and services().config.category(category) is None:
        flash(t("triage_unknown_category"), "error")
        return redirect(url_for("console.triage_queue"), 303)
    try:
        report = convert_mention(services(), item_id, actor(current_user.record), category)
    except TriageError:
        flash(t("triage_already_decided"), "error")
        return redirect(url_for("console.triage_queue"), 303)
    session[CONVERTED_KEY] = report.ticket
    flash(t("triage_converted", ticket=report.ticket), "ok")
    return redirect(url_for("console.triage_queue"), 303)


@blueprint.post("/triage/<int:item_id>/dismiss")
@require(*ROLES)
def triage_dismiss(item_id: int):
    try:
        dismiss_triage_item(services().db, item_id, actor(current_user.record))
    except TriageError:
        flash(t("triage_already_decided"), "error")
        return redirect(url_for("console.triage_queue"), 303)
    flash(t("triage_dismissed"), "ok")
    return redirect(url_for("console.triage_queue"), 303)


def _shown(item: TriageItem) -> dict:
    """What the page may show of an item: no author, the text redacted, the place and a category guess."""
    svc, lang = services(), language()
    text = safe_text(item)
    reading = svc.normalizer.normalize(text, item.latitude, item.longitude)
    guess = svc.config.category(reading.category) if reading.category else None
    return {
        "id": item.id,
        "channel": t("channel_" + item.channel) if ("channel_" + item.channel) in labels() else item.channel,
        "received": svc.config.local_time(item.created_at),
        "text": text,
        "place": _place(item, reading.location),
        "guess": guess.name.get(lang) if guess else None,
    }


def safe_text(item: TriageItem) -> str:
    """The post without personal data: phones, e-mails, NIK, introduced names, the author's name and handle."""
    contact = item.contact
    known = tuple(n for n in ((contact.reporter.name if contact and contact.reporter else None),
                              (contact.address.lstrip("@") if contact else None)) if n)
    return redact(without_handles(item.text), known)


def _place(item: TriageItem, location) -> tuple[str, bool] | None:
    """(place name, read from the text?) or None."""
    areas = services().wilayah.areas
    if item.latitude is not None and item.longitude is not None:
        found = services().wilayah.locate(item.latitude, item.longitude)
        if found.kelurahan is not None:
            return f"{found.kelurahan.name}, Kec. {found.kecamatan.name if found.kecamatan else '?'}", False
        return f"{item.latitude:.5f}, {item.longitude:.5f}", False
    code = location.kelurahan_code or location.kecamatan_code or location.kota_code
    area = areas.get(code or "")
    return (area.name, True) if area is not None else None

