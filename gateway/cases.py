"""Cases reach the units where their officers already are: Telegram chats and e-mail addresses.

A scheduler job forwards every report handed to a unit (first dispatch, re-dispatch, coordination)
to that unit's contact points, with the buttons officers act by (gateway/officers.py); it reminds
the unit before a case is due, and tells the supervising unit (a kelurahan's kecamatan, a
kecamatan's kota, a service's `cases.services_supervisor`) once when it is overdue (cases awaiting
verification are the verifier's, not the unit's). What is sent
never carries the reporter: the redacted description, the place, photos, the due time. Every
message is keyed (event or due time + address), so several workers or a rerun send it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from gateway.services import Services
from store.cursors import unread_events
from store.models import Report, StatusEvent, Unit
from store.outbox import queue_outbound
from store.reports import note_once, open_reports_due_by, unit_changes
from store.types import utcnow
from store.units import get_unit

CURSOR = "cases"
LANGUAGE = "id"  # officers read the city's language
ACCEPT, COORDINATE = "accept", "coordinate"


def forward_cases(services: Services, now: datetime | None = None) -> int:
    """Queue each newly handed case to its unit's chats and addresses; returns how many were queued."""
    now = now or utcnow()
    queued = 0
    with services.db.transaction() as session:
        for event in unread_events(session, CURSOR, unit_changes, now):
            queued += _forward(session, services, event)
    return queued


def watch_deadlines(services: Services, now: datetime | None = None) -> tuple[int, int]:
    """Remind units of cases due soon; tell the supervisor of overdue ones, once per due time."""
    now, config = now or utcnow(), services.config
    reminded = escalated = 0
    with services.db.transaction() as session:
        for report in open_reports_due_by(session, now + timedelta(minutes=config.cases.sla_reminder_minutes)):
            due = report.sla_due_at.isoformat()
            if report.sla_due_at > now:
                reminded += bool(_send_to_unit(
                    session, services, report.assigned_unit, _message(services, "case_reminder", report),
                    f"due:{report.id}:{due}", report))
            elif note_once(session, report.ticket, f"sla:{due}", _overdue_note(services, session, report), at=now):
                supervisor = _supervisor(services, report)
                stored = get_unit(session, supervisor) if supervisor else None
                _send_to_unit(session, services, stored or supervisor, _message(services, "case_overdue", report),
                              f"overdue:{report.id}:{due}", report)
                escalated += 1
    return reminded, escalated


def case_text(services: Services, report: Report) -> str:
    """What officers read: the case without its reporter."""
    config, base = services.config, services.config.server.base_url
    photos = [f"{base}/media/{a.public_token}" for a in report.attachments if a.purpose == "photo"]
    values = _values(services, report)
    values["priority"] = config.message("case_urgent", LANGUAGE) if report.priority == "darurat" else ""
    values["description"] = report.description
    values["place"] = report.address_text or values["unit"]
    values["map"] = config.message("case_map", LANGUAGE, url=config.cases.map_url.format(
        lat=f"{report.latitude:.6f}", lon=f"{report.longitude:.6f}")) if report.latitude is not None else ""
    values["photos"] = config.message("case_photos", LANGUAGE, urls=" ".join(photos)) if photos else ""
    return config.message("case_forwarded", LANGUAGE, **values)


def _forward(session: Session, services: Services, event: StatusEvent) -> int:
    config, report = services.config, event.report
    choices = [[[config.message("case_accept_button", LANGUAGE), f"case:{ACCEPT}:{report.ticket}"],
                [config.message("case_coordinate_button", LANGUAGE), f"case:{COORDINATE}:{report.ticket}"]]]
    return _send_to_unit(session, services, event.unit, lambda: case_text(services, report), f"case:{event.id}",
                         report, choices)


def _send_to_unit(session: Session, services: Services, unit: Unit | str | None, text: Callable[[], str], key: str,
                  report: Report, choices: list | None = None) -> int:
    """One message to each of the unit's chats and addresses whose channel runs here (`unit`: as stored, or the
    code of one that is only configured); `text()` is written only when there is somewhere to send it."""
    if unit is None:
        return 0
    unit_code, stored = (unit, None) if isinstance(unit, str) else (unit.code, unit.contacts)
    contacts = services.config.contacts_of(unit_code, stored)  # the console's, then config.yaml's
    queued, body = 0, None
    for channel, addresses, extras, context in (
        ("telegram", contacts.telegram_chats, {"choices": choices} if choices else {}, None),
        ("email", contacts.emails, {}, {"signed_reply": False}),  # officers answer in their own ways, not as reporters
    ):
        if channel not in services.adapters:
            continue
        for address in addresses:
            body = body if body is not None else text()
            queued += queue_outbound(session, channel=channel, recipient=address, body=body, report_id=report.id,
                                     idempotency_key=f"{key}:{channel}:{address}"[:120], extras=extras,
                                     reply_context=context)
    return queued


def _message(services: Services, key: str, report: Report) -> Callable[[], str]:
    """A message about a case, written when it is sent."""
    return lambda: services.config.message(key, LANGUAGE, **_values(services, report))


def _values(services: Services, report: Report) -> dict[str, str]:
    config = services.config
    category = config.category(report.category)
    return {
        "ticket": report.ticket,
        "category": category.name.get(LANGUAGE) if category else report.category,
        "due": config.local_time(report.sla_due_at),
        "status": config.statuses[report.status].label.get(LANGUAGE),
        "unit": config.unit_name(report.assigned_unit, LANGUAGE),
    }


def _supervisor(services: Services, report: Report) -> str | None:
    unit = report.assigned_unit
    if unit.kind == "service":
        return services.config.cases.services_supervisor
    return unit.parent_code or services.config.cases.services_supervisor


def _overdue_note(services: Services, session: Session, report: Report) -> str:
    supervisor = _supervisor(services, report)
    known = get_unit(session, supervisor) if supervisor else None
    return f"Lewat tenggat: diteruskan ke {known.name if known else supervisor}"
