"""The case page: one report with everything known about it, and the actions this user may take on it.

Nothing here names the reporter: the description is the redacted one, notes and messages are redacted
again before they are shown, outbound recipients are never loaded (`store.reports.messages_about`)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_login import current_user
from shapely.geometry import mapping

from gateway.console import blueprint
from gateway.console.access import load_case
from gateway.console.auth import require
from gateway.console.i18n import labels, language, t
from gateway.open311.records import place_name
from gateway.services import services
from normalizer import redact
from store import lifecycle
from store.models import Report, StatusEvent
from store.reports import duplicates_around, messages_about, reporter_name
from store.types import utcnow

ROLES = ("triage", "officer", "verifier", "admin")
FIXERS = frozenset({"triage", "admin"})  # fix category, location and priority, merge, reject, reply to the citizen
TRACKING_KEY = re.compile(r"([?&]k=)[\w-]+")  # the citizen's tracking key in a link: not for the console
WORKABLE = frozenset({lifecycle.MENUNGGU, lifecycle.KOORDINASI, lifecycle.DISPOSISI, lifecycle.DITANGANI})


def allowed_actions(role: str, report: Report, coordination_unit: str | None) -> frozenset[str]:
    """The actions offered to this role for the report's status (the server checks each again on POST)."""
    status, is_open = report.status, report.status in lifecycle.OPEN_STATUSES
    moves = {to for (frm, to), rule in lifecycle.TRANSITIONS.items() if frm == status and role in rule.roles}
    actions = {"note"}
    if role in FIXERS:
        actions |= {"reply"}
        if is_open:
            actions |= {"category", "location", "priority", "redispatch"}
        actions |= {name for name, target in (("merge", lifecycle.DUPLIKAT), ("reject", lifecycle.DITOLAK)) if target in moves}
    if role == "officer":
        if is_open:
            actions.add("redispatch")
        if lifecycle.DITANGANI in moves:
            actions.add("accept")
        unit = report.assigned_unit.code if report.assigned_unit else None
        if lifecycle.KOORDINASI in moves and coordination_unit and unit != coordination_unit:
            actions.add("coordinate")
        if status in WORKABLE:
            actions.add("proof")
    if role == "verifier" and status == lifecycle.VERIFIKASI:
        actions |= {"verify", "sendback"}
    return frozenset(actions)


@dataclass(frozen=True)
class Entry:
    """One line of the timeline: a status event, a note, or a message in or out."""

    at: datetime
    kind: str  # status | note | message_in | message_out
    text: str | None = None
    status_from: str | None = None
    status_to: str | None = None
    unit: str | None = None
    actor: str | None = None
    public: bool | None = None
    channel: str | None = None
    delivery: str | None = None
    proof_token: str | None = None


@blueprint.get("/cases/<ticket>")
@require(*ROLES)
def case_page(ticket: str):
    report = load_case(ticket)
    app = services()
    config, db = app.config, app.db
    category = config.category(report.category)
    coordination_unit = category.escalate_to if category else None
    original, merged = duplicates_around(db, report)
    actions = allowed_actions(current_user.role, report, coordination_unit)
    now = utcnow()
    return render_template(
        "console/case.html",
        report=report,
        category=category,
        type_label=t(f"case_type_{report.type}"),
        place=place_name(report, app.wilayah),
        left=_time_left(report, now),
        timeline=_timeline(report),
        evidence=_evidence(report),
        photos=[a for a in report.attachments if a.purpose != "proof"],
        proofs=[a for a in report.attachments if a.purpose == "proof"],
        original=original,
        merged=merged,
        actions=actions,
        categories=config.categories,
        kelurahan=app.wilayah.of_level("kelurahan"),
        kecamatan={a.code: a.name for a in app.wilayah.of_level("kecamatan")},
        service_units=config.service_units,
        emergency_unit=_unit_name(category.emergency_unit) if category else None,
        emergency_minutes=config.lifecycle.emergency_sla_minutes,
        category_hours=f"{category.sla_hours:g}" if category else "?",
        reply_key=secrets.token_urlsafe(16),
        area_url=(f"/console/cases/{report.ticket}/area.json" if report.kelurahan_code else ""),
        can_reveal=current_user.role == "admin" and report.confidential and report.reporter_id is not None,
    )


@blueprint.get("/cases/<ticket>/area.json")
@require(*ROLES)
def case_area(ticket: str):
    """The report's kelurahan as GeoJSON (for the map), or an empty collection."""
    report = load_case(ticket)
    area = services().wilayah.areas.get(report.kelurahan_code or "")
    features = [] if area is None else [
        {"type": "Feature", "properties": {"kode": area.code, "nama": area.name}, "geometry": mapping(area.geometry)}
    ]
    return {"type": "FeatureCollection", "features": features}


def _time_left(report: Report, now: datetime) -> tuple[str, str] | None:
    """('2 j 15 m', 'sla-ok'|'sla-soon'|'sla-late') for an open report."""
    if report.status in lifecycle.CLOSED_STATUSES:
        return None
    seconds = (report.sla_due_at - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    span = t("case_span_days", d=days, h=hours) if days else t("case_span_hours", h=hours, m=mins)
    if seconds < 0:
        return t("case_overdue_by", span=span), "sla-late"
    return t("case_left", span=span), "sla-soon" if seconds < 3 * 3600 else "sla-ok"


def _timeline(report: Report) -> list[Entry]:
    name = reporter_name(services().db, report)
    names = tuple(sorted({name, *(part for part in name.split() if len(part) >= 3)})) if name else ()

    def clean(text: str | None) -> str | None:
        return TRACKING_KEY.sub(r"\1…", redact.redact(text, names)) if text else text

    entries = [_event_entry(event, clean) for event in report.events]
    entries += [
        Entry(at=message.created_at, kind="message_out", text=clean(message.body), channel=message.channel,
              delivery=message.status)
        for message in messages_about(services().db, report.id)
    ]
    order = sorted(enumerate(entries), key=lambda pair: (pair[1].at, pair[0]), reverse=True)  # written together: latest first
    return [entry for _, entry in order]


def _unit_name(code: str) -> str:
    service = services().config.service_unit(code)
    return service.name if service else code


def _event_entry(event: StatusEvent, clean) -> Entry:
    config = services().config
    unit = config.unit_name(event.unit, language()) if event.unit else None
    if event.actor_role == "citizen":
        kind = "message_in"
    elif event.from_status is None or event.from_status != event.to_status:
        kind = "status"
    else:
        kind = "note"
    actor = t(f"case_actor_{event.actor_role}")
    if event.actor_id and event.actor_id.startswith("console:"):  # staff are named; citizens never
        actor += f" · {event.actor_id.removeprefix('console:')}"
    return Entry(
        at=event.created_at, kind=kind, text=clean(event.note), status_from=event.from_status, status_to=event.to_status,
        unit=unit, actor=actor, public=event.note_public,
        proof_token=event.proof_attachment.public_token if event.proof_attachment else None,
    )


def _evidence(report: Report) -> list[tuple[str, str]]:
    """The normalizer's reasons as (label, readable value) rows."""
    found = report.normalizer_evidence or {}
    rows: list[tuple[str, str]] = []
    if report.normalizer_confidence is not None:
        rows.append((t("case_ev_confidence"), f"{report.normalizer_confidence:.0%}"))
    category = found.get("category") or {}
    if category:
        others = ", ".join(_category_name(o) for o in category.get("others") or [])
        rows.append((t("case_ev_category"), _join(_category_name(category.get("value")), _percent(category.get("confidence")),
                                                   "; ".join(map(str, category.get("evidence") or [])))))
        if others:
            rows.append((t("case_ev_other_categories"), others))
    kind = found.get("type") or {}
    if kind:
        rows.append((t("case_ev_type"), _join(kind.get("value"), _percent(kind.get("confidence")))))
    urgency = found.get("urgency") or {}
    if urgency:
        rows.append((t("case_ev_urgency"), _join(urgency.get("value"), "; ".join(map(str, urgency.get("evidence") or [])))))
    location = found.get("location") or {}
    if location:
        inside = {True: t("case_yes"), False: t("case_no")}.get(location.get("in_jakarta"), "?")
        rt_rw = "/".join(str(v) for v in (location.get("rt"), location.get("rw")) if v)
        rows.append((t("case_ev_location"), _join(location.get("precision"), _percent(location.get("confidence")),
                                                   t("case_ev_in_jakarta", answer=inside),
                                                   "; ".join(map(str, location.get("evidence") or [])),
                                                   f"RT/RW {rt_rw}" if rt_rw else None)))
    if found.get("pii_kinds"):
        rows.append((t("case_ev_pii"), ", ".join(found["pii_kinds"])))
    if report.review_reasons:
        reasons = [t(f"case_reason_{r}") if f"case_reason_{r}" in labels() else str(r) for r in report.review_reasons]
        rows.append((t("case_ev_review"), ", ".join(reasons)))
    return rows


def _category_name(code) -> str:
    """A category code the normalizer named (or [code, score]) as people read it."""
    code = code[0] if isinstance(code, (list, tuple)) and code else code
    found = services().config.category(str(code)) if code else None
    return found.name.get(language()) if found else str(code or "?")


def _percent(value) -> str | None:
    return f"{value:.0%}" if isinstance(value, (int, float)) else None


def _join(*parts) -> str:
    return " · ".join(str(part) for part in parts if part not in (None, ""))
