"""Citizens hear of every status change of the reports they follow, and of every public note the city's
staff write on them, on their own channel.

A scheduler job reads the status events written since its cursor (whoever wrote them: the console,
an officer's Telegram buttons, Open311, another process) and queues one short message per event and
follower, keyed report + event + recipient: several workers, a crash between queueing and sending,
or an event seen twice queue it once. On `selesai` the message carries the proof photo and asks for
a 1–5 rating, which the citizen answers in the same chat, SMS or e-mail thread.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bots.sms import segments
from gateway.conversation import State
from gateway.services import Services
from store import lifecycle
from store.conversations import follow_report, followers_of, load_conversation, save_conversation
from store.cursors import unread_events
from store.models import ContactIdentity, StatusEvent
from store.outbox import queue_outbound
from store.reports import citizen_updates, original_of, unrated_followers
from store.types import utcnow

CURSOR = "notifications"
SMS_SEGMENTS = 2


def tell_followers(services: Services, now: datetime | None = None) -> int:
    """Queue the messages for status changes and public notes not yet told; returns how many were queued."""
    now = now or utcnow()
    queued = 0
    with services.db.transaction() as session:
        for event in unread_events(session, CURSOR, citizen_updates, now):
            for contact in followers_of(session, event.report_id):
                if _can_be_told(services, contact):
                    queued += _tell(session, services, event, contact)
    return queued


def remind_to_rate(services: Services, now: datetime | None = None) -> int:
    """One reminder to rate, `rating_reminder_hours` after a report was finished, to followers who have not."""
    now = now or utcnow()
    after = timedelta(hours=services.config.conversation.rating_reminder_hours)
    queued = 0
    with services.db.transaction() as session:
        for report, contact in unrated_followers(session, (now - 2 * after, now - after)):
            if not _can_be_told(services, contact):
                continue
            language = _language(contact)
            reminded = queue_outbound(
                session, channel=contact.channel, recipient=contact.address, contact_id=contact.id, report_id=report.id,
                body=services.config.message("rating_reminder", language, ticket=report.ticket),
                idempotency_key=f"rate-reminder:{report.id}:{contact.id}",
                extras=_template(services.config, contact.channel, "rating_reminder", language, {"ticket": report.ticket}),
            )
            if reminded:  # once: a later run must not ask again (nor touch the conversation)
                _ask_for_rating(session, contact, report.ticket)
                queued += 1
    return queued


def _language(contact: ContactIdentity) -> str:
    return contact.reporter.language if contact.reporter.language in ("id", "en") else "id"


def _can_be_told(services: Services, contact: ContactIdentity) -> bool:
    """Public channels (X) carry no per-citizen updates: those citizens were invited to continue privately."""
    adapter = services.adapters.get(contact.channel)
    return adapter is None or not adapter.capabilities.public


def _tell(session: Session, services: Services, event: StatusEvent, contact: ContactIdentity) -> int:
    report, config = event.report, services.config
    language = _language(contact)
    original = _original(session, event)
    if original is not None:  # merged: the citizen follows the report that goes on
        follow_report(session, original.ticket, contact.id)
        key, values = "status_duplicate", {"ticket": report.ticket, "original": original.ticket,
                                           "link": config.tracking_link(original)}
        text = config.message(key, language, **values)
    else:
        key, values = _status_values(services, event, language)
        text = _status_text(services, event, language, contact.channel == "sms", key, values)
    queued = queue_outbound(
        session, channel=contact.channel, recipient=contact.address, body=text, contact_id=contact.id,
        report_id=report.id, idempotency_key=f"status:{report.id}:{event.id}:{contact.id}",
        extras=_template(config, contact.channel, key, language, values),
    )
    if queued and event.to_status == lifecycle.SELESAI and event.from_status != event.to_status:
        _ask_for_rating(session, contact, report.ticket)
    return int(queued)


def _template(config, channel: str, key: str, language: str, values: dict) -> dict:
    """The outbox extras of an update: the approved template its channel sends instead of the text, if it has one
    (WhatsApp: a citizen who wrote more than 24 h ago can be sent nothing else)."""
    template = config.template(channel, key, language, **values)
    return {"template": template} if template else {}


def _status_values(services: Services, event: StatusEvent, language: str) -> tuple[str, dict]:
    """Which message tells of this event, and its values (`note`: the public note on one line, as a template's
    parameter must be, or "-")."""
    config, report = services.config, event.report
    status = config.statuses[event.to_status]
    link, proof = config.tracking_link(report), _proof(report)
    values = {
        "ticket": report.ticket, "status": status.label.get(language),
        "colour": config.message(f"colour_{status.colour}", language),
        "unit": config.unit_name(event.unit, language),
        "due": config.local_time(report.sla_due_at),
        "link": link,
        "proof": f"{config.server.base_url}/media/{proof.public_token}" if proof else link,
        "note": " ".join((event.note or "").split()) if event.note_public and (event.note or "").strip() else "-",
    }
    note_only = event.from_status == event.to_status
    key = "status_note_added" if note_only else "status_done" if event.to_status == lifecycle.SELESAI else "status_changed"
    return key, values


def status_message(services: Services, event: StatusEvent, language: str, sms: bool = False) -> str:
    """The update in the citizen's language; an officer's public note is shortened to fit two SMS."""
    return _status_text(services, event, language, sms, *_status_values(services, event, language))


def _status_text(services: Services, event: StatusEvent, language: str, sms: bool, key: str, values: dict) -> str:
    config = services.config
    note = (event.note or "").strip() if event.note_public else ""
    while True:
        told = config.message("status_note", language, note=note) if note else ""
        text = config.message(key, language, **(values | {"note": told}))
        if not sms or segments(text) <= SMS_SEGMENTS or not note:
            return text
        note = note[: len(note) - 13].rstrip() + "..." if len(note) > 13 else ""  # "…" would make it UCS-2


def _original(session: Session, event: StatusEvent):
    """The report a duplicate was merged into (for the event that merged it)."""
    report = event.report
    if event.to_status != lifecycle.DUPLIKAT or event.from_status == event.to_status or report.duplicate_of_id is None:
        return None
    return original_of(session, report)


def _proof(report):
    return next((a for a in reversed(report.attachments) if a.purpose == "proof"), None)


def _ask_for_rating(session: Session, contact: ContactIdentity, ticket: str) -> None:
    """The citizen's next '1'…'5' in this conversation rates this report."""
    conversation = load_conversation(session, contact.channel, contact.address_hash, contact.id)
    state = State.from_dict(conversation.state)
    state.rating_ticket = ticket
    save_conversation(session, conversation, state.to_dict(), turn=False)  # no turn of the citizen's
