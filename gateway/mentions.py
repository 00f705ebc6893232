"""X mentions, polled into the inbox by the one polling job (gateway/polling.py), each become a report or a
triage item.

`handle_mention` is what the worker runs for a public channel instead of the conversation: a
public post is answered once, never questioned. A clear report (the normalizer's `is_report`, sure
enough of it and of its category, or an emergency) in Jakarta is created at once (confidential) and gets one public reply with its ticket, tracking link
and an invitation to continue privately on Telegram for the location and photos; everything else
goes to the triage queue with no reply, for the social-media team to convert or dismiss. A report
placed outside Jakarta gets a polite "report it there" reply ("no wrong door") and no report.
Replies are config templates filled with the ticket and links only: nothing from the post (no
name, handle, phone or place) ever goes back out in public. The author does not follow the report:
status changes are never posted publicly.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bots.base import Incoming
from gateway.intake import Submission, reporter_names, submit_report
from store.models import Report, TriageItem
from store.outbox import queue_outbound
from store.reporters import Contact, find_or_add_contact
from store.reports import Actor
from store.triage import add_triage_item, convert_triage_item

log = logging.getLogger(__name__)
CHANNEL = "x"
CITIZEN = Actor("citizen")
CLEAR_REPORT = 0.8  # the normalizer's is_report confidence: 0.95 for "pohon tumbang di …", 0.5-0.65 for a bare place


# -- handling one mention ---------------------------------------------------------------------------


def handle_mention(services, session: Session, incoming: Incoming, inbound_id: int, geocoder=None,
                   flooding: bool = False) -> None:
    """A report with one public reply, a polite out-of-area reply, or a triage item (no reply). `geocoder`: the
    one the worker made ready before the transaction (nothing asked online inside it); `flooding`: the author sent
    more than the rate limit (the worker's decision), so people, not the bot, look at it."""
    contact = Contact(CHANNEL, incoming.sender, incoming.sender_name)
    identity = find_or_add_contact(session, contact)
    normalized = services.normalizer.normalize(incoming.text, incoming.latitude, incoming.longitude,
                                               known_names=reporter_names((contact,)))
    if flooding or not _clear_report(normalized, services.config):
        _to_triage(session, incoming, identity.id)
        return
    language = services.config.city.default_language
    if normalized.location.in_jakarta is False:
        key, values = "x_out_of_area", {}
    else:
        report = submit_report(session, services.config, services.normalizer, _submission(incoming, normalized, contact),
                               geocoder)
        key, values = _reply_for(services.config, report)
        log.info("x mention of inbound %s: report %s, once its transaction commits", inbound_id, report.ticket)
    _reply(session, incoming, identity.id, services.config.message(key, language, **values), f"x:{inbound_id}:reply")


def _clear_report(normalized, config) -> bool:
    """A report the bot may file without asking: the normalizer is sure it is one, and of what kind
    (an emergency always is). A public post gets no follow-up question, so doubt goes to people."""
    if not normalized.is_report:
        return False
    if normalized.urgency == "darurat":
        return True
    return (normalized.is_report_confidence >= CLEAR_REPORT and normalized.category not in (None, "lainnya")
            and normalized.category_confidence >= config.normalizer.category_confidence_threshold)


def _submission(incoming: Incoming, normalized, contact: Contact) -> Submission:
    place = (incoming.raw or {}).get("place")  # the post's tagged place ("Kenari, Jakarta Pusat"), if any
    return Submission(
        category=normalized.category or "lainnya",
        description=incoming.text,
        origin_channel=CHANNEL,
        actor=CITIZEN,
        latitude=incoming.latitude,
        longitude=incoming.longitude,
        address_text=place,
        priority="darurat" if normalized.urgency == "darurat" else "normal",
        confidential=True,
        reporter_contacts=(contact,),
    )


def _reply_for(config, report: Report) -> tuple[str, dict]:
    values = {"ticket": report.ticket, "link": config.tracking_link(report), "number": config.city.emergency_number}
    return ("x_emergency_created" if report.priority == "darurat" else "x_report_created"), values


def _reply(session: Session, incoming: Incoming, contact_id: int, text: str, key: str) -> None:
    queue_outbound(session, channel=CHANNEL, recipient=incoming.sender, body=text, idempotency_key=key,
                   contact_id=contact_id, reply_context=incoming.reply_context)


def _to_triage(session: Session, incoming: Incoming, contact_id: int) -> None:
    add_triage_item(session, channel=CHANNEL, provider_message_id=incoming.provider_message_id, text=incoming.text,
                    contact_id=contact_id, latitude=incoming.latitude, longitude=incoming.longitude)


# -- the social-media team's one click --------------------------------------------------------------


def convert_mention(services, item_id: int, actor: Actor, category: str | None = None) -> Report:
    """Turn a triage item into a report as intake does, with the same public reply as a clear report."""

    def make_report(session: Session, item: TriageItem) -> Report:
        contact = _contact_of(item)
        names = reporter_names((contact,)) if contact else ()
        normalized = services.normalizer.normalize(item.text, item.latitude, item.longitude, known_names=names)
        submission = Submission(
            category=category or normalized.category or "lainnya", description=item.text, origin_channel=item.channel,
            actor=actor, latitude=item.latitude, longitude=item.longitude,
            priority="darurat" if normalized.urgency == "darurat" else "normal", confidential=True,
            reporter_contacts=(contact,) if contact else (),
        )
        report = submit_report(session, services.config, services.normalizer, submission, services.geocoder)
        if contact is not None:
            key, values = _reply_for(services.config, report)
            text = services.config.message(key, services.config.city.default_language, **values)
            queue_outbound(session, channel=item.channel, recipient=contact.address, body=text,
                           idempotency_key=f"triage:{item.id}:reply", contact_id=item.contact_id,
                           reply_context={"in_reply_to_tweet_id": item.provider_message_id})
        return report

    return convert_triage_item(services.db, item_id, actor, make_report)


def _contact_of(item: TriageItem) -> Contact | None:
    identity = item.contact
    return Contact(identity.channel, identity.address, identity.reporter.name) if identity else None
