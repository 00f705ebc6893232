"""The worker: inbox → conversation → store → outbox, then outbox → channel adapter.

Each inbound message is handled in ONE transaction: the conversation state, any report created or
followed, the replies queued in the outbox and the inbox row marked processed commit together or
not at all (a crash leaves the message to be claimed again). Sending happens afterwards, from the
outbox, with retries; a reply therefore exists only if the state change that caused it exists.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from bots.base import Adapter, Incoming, Outgoing, PermanentError, RetryableError
from gateway.conversation import (
    POINT_PRECISIONS,
    Addition,
    Comment,
    Context,
    Draft,
    Outcome,
    Rating,
    Reply,
    State,
    StatusInfo,
    Turn,
    handle,
)
from gateway.dispatch import NamedPlace, plan_dispatch
from gateway.duplicates import likely_duplicates
from gateway.intake import Submission, reporter_names, submit_report
from gateway.mentions import handle_mention
from gateway.officers import officer_turn
from gateway.pacing import Pacer
from gateway.services import Services
from normalizer import redact
from store import lifecycle
from store.attachments import AttachmentError, attach_to_report, save_attachment
from store.conversations import follow_report, is_following, load_conversation, peek_conversation, save_conversation
from store.inbox import claim_inbound, fail_inbound, finish_inbound, recent_from_sender
from store.models import Report
from store.outbox import (
    SendResult,
    claim_due_outbound,
    hasten_retries,
    queue_outbound,
    record_results,
    recorded_provider_ids,
)
from store.reporters import Contact, Sender, find_or_add_sender, note_language, stop_sender
from store.reports import (
    Actor,
    NotFound,
    RatingError,
    Relocation,
    add_citizen_comment,
    add_report_detail,
    get_report,
    rate_report,
    relocate_report,
)
from store.types import utcnow

log = logging.getLogger(__name__)
CITIZEN = Actor("citizen")
DETAIL_NOTE = "Keterangan tambahan dari pelapor"  # internal notes in a report's history, for officers
LOCATION_NOTE = "Lokasi dari pelapor: {place}"
EARLIER_FAILED = "an earlier message to this recipient failed"  # why a reply waits, untried


@dataclass(frozen=True)
class Downloads:
    """A message's photos, fetched from the provider before the transaction: bytes and content type each, and why
    any the provider refused was not fetched."""

    files: tuple[tuple[bytes, str], ...] = ()
    refused: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ready:
    """A claimed inbox row made ready outside any transaction: its adapter, and each message it holds with its
    photos."""

    inbound_id: int
    adapter: Adapter
    turns: list[tuple[Incoming, Downloads]]
    geocoder: Geocoder  # answers from memory: its online part was asked before the transaction


class UnsureError(Exception):
    """Whether the provider already has a message could not be found out: it is not sent, and asked about again."""


class Worker:
    def __init__(self, services: Services, adapters: dict[str, Adapter], channels: tuple[str, ...] | None = None):
        self.services = services
        self.adapters = adapters
        # Claim only these channels' rows (`run.py chat`: the chat channel's, never what a gateway beside it
        # has the adapters for); None: every channel.
        self.channels = channels
        self._pool: ThreadPoolExecutor | None = None  # sends to several recipients at once, made on first need
        self.pacer = Pacer(services.config.send_limits)  # within the providers' published limits
        self._pool_lock = threading.Lock()

    def run_once(self) -> int:
        """Handle what is in the inbox, then send what is due; returns how many rows moved."""
        return self.process_inbox() + self.dispatch_outbox()

    # -- inbox ------------------------------------------------------------------------------------

    def process_inbox(self, limit: int | None = None) -> int:
        """Claim a batch, make it ready outside any transaction (parsed, photos downloaded), then apply it in one
        transaction, each message inside a savepoint of its own: a failing message is rolled back alone and given
        back, the others commit together."""
        db = self.services.db
        claimed = claim_inbound(db, limit=limit or self.services.config.server.inbox_batch, channels=self.channels)
        if not claimed:
            return 0
        ready, failed = [], {}
        for message in claimed:
            try:
                ready.append(self._prepare(message))
            except Exception as error:  # unparseable, or a photo the provider could not give now: tried again later
                log.warning("inbound message %s could not be made ready: %s", message.id, type(error).__name__)
                failed[message.id] = f"{type(error).__name__}: {error}"
        try:
            failed.update(self._apply_batch(ready))
        except Exception:  # the batch's commit failed: each message again in a transaction of its own
            log.exception("a batch of %d inbound messages failed to commit; retrying them one by one", len(ready))
            for message in ready:
                try:
                    failed.update(self._apply_batch([message]))
                except Exception as error:
                    failed[message.inbound_id] = f"{type(error).__name__}: {error}"
        for message_id, error in failed.items():  # back in the inbox for another try; ids only in logs
            fail_inbound(db, message_id, error)
        return len(claimed) - len(failed)

    def _prepare(self, message) -> Ready:
        """The network part of a message, before any transaction: what it says, and its photos' bytes."""
        adapter = self.adapters.get(message.channel)
        if adapter is None:
            raise LookupError(f"no adapter for channel {message.channel}")
        incomings = adapter.parse(message.payload)
        flooding = any(incoming.media for incoming in incomings) and self._over_rate_limit(
            self.services.db, message.channel, message.sender_hash)  # its photos would be dropped: not fetched
        turns = [(incoming, Downloads() if flooding else self._download(adapter, incoming)) for incoming in incomings]
        return Ready(message.id, adapter, turns, self._geocoder_for(message, adapter, turns))

    def _geocoder_for(self, message, adapter: Adapter, turns) -> Geocoder:
        """The geocoder the transaction may use: with an online fallback configured, its answers for every place
        this message could make a report of (what it says, a post's tagged place, the place of the draft it may
        complete) are fetched now, and nothing is asked online inside the transaction."""
        geocoder = self.services.geocoder
        if getattr(geocoder, "fallback", None) is None:
            return geocoder
        places = [incoming.text for incoming, _downloads in turns]
        if adapter.capabilities.public:
            places += [(incoming.raw or {}).get("place") for incoming, _downloads in turns]
        elif message.sender_hash:
            draft = peek_conversation(self.services.db, message.channel, message.sender_hash).get("draft") or {}
            places.append(draft.get("place"))
        return geocoder.prefetched(places)

    def _download(self, adapter: Adapter, incoming: Incoming) -> Downloads:
        """The photos of a message; one the provider refuses is explained, not fatal (a provider that cannot give it
        now raises RetryableError: the message is tried again later)."""
        files, refused = [], []
        for media in incoming.media:
            try:
                files.append(adapter.fetch_media(media))
            except PermanentError as error:
                refused.append(str(error))
        return Downloads(tuple(files), tuple(refused))

    def _apply_batch(self, messages: list[Ready]) -> dict[int, str]:
        failed = {}
        with self.services.db.transaction() as session:
            for message in messages:
                try:
                    with session.begin_nested():
                        self._apply(session, message)
                except Exception as error:
                    log.exception("inbound message %s failed", message.inbound_id)
                    failed[message.inbound_id] = f"{type(error).__name__}: {error}"
        return failed

    def _apply(self, session: Session, message: Ready) -> None:
        for incoming, downloads in message.turns:
            if message.adapter.capabilities.public:  # a public post (X): one reply or the triage queue, no conversation
                handle_mention(self.services, session, incoming, message.inbound_id, message.geocoder)
            else:
                self._converse(session, message.adapter, incoming, message.inbound_id, downloads, message.geocoder)
        finish_inbound(session, message.inbound_id)

    def _converse(self, session: Session, adapter: Adapter, incoming: Incoming, inbound_id: int,
                  downloads: Downloads, geocoder: Geocoder | None = None) -> None:
        services = self.services
        for_officer = officer_turn(services.config, session, incoming, lambda: self._store_photos(session, downloads))
        if for_officer is not None:  # an officer acting on a case, not a citizen talking
            self._queue_replies(session, incoming, for_officer, inbound_id, contact_id=None)
            return
        contact = Contact(incoming.channel, incoming.sender, incoming.sender_name)
        sender = find_or_add_sender(session, contact)
        conversation = load_conversation(session, incoming.channel, sender.address_hash, sender.id)
        state = State.from_dict(conversation.state)
        if self._flooding(session, incoming.channel, inbound_id, sender, state):
            return
        context = Context(
            config=services.config,
            normalizer=services.normalizer,
            channel_buttons=adapter.capabilities.buttons,
            find_duplicate=lambda category, lat, lon, text: self._duplicate(session, category, lat, lon, text, state.language),
            report_status=lambda ticket, language: self._status(session, ticket, language),
            now=utcnow(),
            is_following=lambda ticket: is_following(session, ticket, sender.id),
        )
        photos, rejected = self._store_photos(session, downloads)
        turn = Turn(text=incoming.text, latitude=incoming.latitude, longitude=incoming.longitude, photos=photos,
                    choice=incoming.choice, about_ticket=incoming.about_ticket)
        outcome = handle(state, turn, context)
        replies = [Reply(services.config.message("photo_rejected", state.language, reason=reason)) for reason in rejected]
        replies += self._carry_out(session, outcome, contact, sender, state, geocoder) + outcome.replies
        if outcome.stop_contact:
            stop_sender(session, sender, "citizen asked to stop")
        if outcome.restart_contact:
            stop_sender(session, sender, None)
        note_language(session, sender, state.language)
        if sender.stopped_at is not None and not outcome.stop_contact:
            replies = []  # a stopped contact gets nothing but the confirmation of the stop
        self._queue_replies(session, incoming, replies, inbound_id, contact_id=sender.id)
        save_conversation(session, conversation, state.to_dict())

    def _queue_replies(self, session: Session, incoming: Incoming, replies: list[Reply], inbound_id: int,
                       contact_id: int | None) -> None:
        for number, reply in enumerate(replies):
            queue_outbound(
                session,
                channel=incoming.channel,
                recipient=incoming.sender,
                body=reply.text,
                idempotency_key=f"in:{inbound_id}:{incoming.provider_message_id}:{number}",
                contact_id=contact_id,
                extras=_extras(reply, incoming.acknowledge if number == 0 else None),
                reply_context=incoming.reply_context,
            )

    def _flooding(self, session: Session, channel: str, inbound_id: int, sender: Sender, state: State) -> bool:
        """Over the limit: one polite 'slow down' per window, and the message is not answered."""
        if not self._over_rate_limit(session, channel, sender.address_hash):
            return False
        settings, now = self.services.config.conversation, utcnow()
        bucket = int(now.timestamp() // settings.rate_limit_seconds)
        queue_outbound(
            session, channel=channel, recipient=sender.address, contact_id=sender.id,
            body=self.services.config.message("slow_down", state.language), idempotency_key=f"slow:{sender.id}:{bucket}",
        )
        return True

    def _over_rate_limit(self, target, channel: str, sender_hash: str | None) -> bool:
        """More messages from this sender in the window than the conversation answers (`target`: db or session)."""
        if sender_hash is None:
            return False
        settings = self.services.config.conversation
        since = utcnow() - timedelta(seconds=settings.rate_limit_seconds)
        return recent_from_sender(target, channel, sender_hash, since) > settings.rate_limit_messages

    def _store_photos(self, session: Session, downloads: Downloads) -> tuple[tuple[int, ...], list[str]]:
        """Store a message's downloaded photos; a refused one is explained, not fatal."""
        stored, rejected = [], list(downloads.refused)
        for data, content_type in downloads.files:
            try:
                attachment = save_attachment(
                    self.services.db, data, content_type, max_bytes=self.services.config.storage.max_attachment_bytes,
                    session=session,
                )
                stored.append(attachment.id)
            except AttachmentError as error:
                rejected.append(str(error))
        return tuple(stored), rejected

    def _carry_out(self, session: Session, outcome: Outcome, contact: Contact, sender: Sender, state: State,
                   geocoder: Geocoder | None) -> list[Reply]:
        """What the conversation decided for the store (create, follow, add to a report), and what to say about it."""
        replies = []
        if outcome.create is not None:
            replies.append(self._create(session, outcome, contact, sender, state, geocoder))
        if outcome.follow is not None:
            report = follow_report(session, outcome.follow, sender.id)
            if report is not None:
                state.last_ticket = report.ticket
                replies.append(Reply(self.services.config.message(
                    "subscribed", state.language, ticket=report.ticket, link=self.services.config.tracking_link(report))))
        if outcome.add is not None:
            replies.append(self._add_to_report(session, outcome.add, contact, state.language))
        if outcome.comment is not None:
            replies.append(self._comment(session, outcome.comment, contact, state.language))
        if outcome.rate is not None:
            replies.append(self._rate(session, outcome.rate, contact, sender, state.language))
        return replies

    def _comment(self, session: Session, comment: Comment, contact: Contact, language: str) -> Reply:
        """A follow-up about a followed report: redacted as intake does, an internal note for its unit."""
        text = self.services.normalizer.normalize(comment.text, known_names=reporter_names((contact,))).description
        report = add_citizen_comment(session, comment.ticket, text or "(foto)", CITIZEN)
        attach_to_report(session, list(comment.photos), report.id)
        config = self.services.config
        unit = config.unit_name(report.assigned_unit, language)
        return Reply(config.message("comment_added", language, ticket=report.ticket, unit=unit))

    def _rate(self, session: Session, rating: Rating, contact: Contact, sender: Sender, language: str) -> Reply:
        config = self.services.config
        comment = rating.comment and redact.redact(rating.comment, reporter_names((contact,)))  # no personal data kept
        try:
            rate_report(session, rating.ticket, rating.score, comment or None, reporter_id=sender.reporter_id)
        except RatingError:
            status = config.statuses[get_report(session, rating.ticket).status].label.get(language)
            return Reply(config.message("rating_refused", language, ticket=rating.ticket, status=status))
        return Reply(config.message("rating_thanks", language, ticket=rating.ticket, score=rating.score))

    def _create(self, session: Session, outcome: Outcome, contact: Contact, sender: Sender, state: State,
                geocoder: Geocoder | None) -> Reply:
        services, draft = self.services, outcome.create
        report = submit_report(session, services.config, services.normalizer, _submission(draft, contact), geocoder)
        attach_to_report(session, draft.photos, report.id)
        follow_report(session, report.ticket, sender.id)
        state.report_created(report.ticket)
        unit = services.config.unit_name(report.assigned_unit, state.language)
        return Reply(services.config.message(
            outcome.created_message, state.language, ticket=report.ticket, unit=unit, link=services.config.tracking_link(report),
            number=services.config.city.emergency_number,
        ))

    def _add_to_report(self, session: Session, addition: Addition, contact: Contact, language: str) -> Reply:
        """An emergency's details: a place re-dispatches the report, words join its description (redacted
        as intake does), photos are attached; one short confirmation names the ticket."""
        config, names = self.services.config, reporter_names((contact,))
        report = get_report(session, addition.ticket)
        key = "emergency_photo_added" if addition.photos else "emergency_detail_added"
        if addition.location is not None:
            report, key = self._relocate(session, report, addition, names), "emergency_located"
        if addition.text:
            detail = self.services.normalizer.normalize(addition.text, known_names=names).description
            add_report_detail(session, report.ticket, detail, addition.text, CITIZEN, DETAIL_NOTE)
        attach_to_report(session, list(addition.photos), report.id)
        unit = config.unit_name(report.assigned_unit, language)
        return Reply(config.message(key, language, ticket=report.ticket, place=report.address_text or "?", unit=unit))

    def _relocate(self, session: Session, report: Report, addition: Addition, names: tuple[str, ...]) -> Report:
        """Dispatch the report again from its new place (its SLA stays the one it was created with)."""
        services, location = self.services, addition.location
        latitude, longitude = (location.lat, location.lon) if location.precision in POINT_PRECISIONS else (None, None)
        plan = plan_dispatch(
            services.config, services.normalizer.locator.wilayah, category=report.category, now=utcnow(),
            latitude=latitude, longitude=longitude, priority=report.priority, keep_priority=True,
            named_place=NamedPlace(location.in_jakarta, location.kelurahan_code, location.kecamatan_code, location.kota_code),
        )
        address = redact.redact(addition.place, names) if addition.place else location.address
        place = Relocation(
            latitude, longitude, location.precision, address, plan.kelurahan_code, plan.kecamatan_code, plan.kota_code,
            plan.unit_code, plan.outside_jurisdiction, plan.needs_review, plan.review_reasons, plan.area_unit_code,
            plan.handover_note,
        )
        return relocate_report(session, report.ticket, place, CITIZEN, LOCATION_NOTE.format(place=address or "?"))

    def _duplicate(self, session: Session, category: str, lat: float, lon: float, text: str, language: str):
        found = likely_duplicates(session, self.services.config, category=category, lat=lat, lon=lon,
                                  description=text, now=utcnow())
        if not found:
            return None
        report = get_report(session, found[0].ticket)
        return report.ticket, self.services.config.statuses[report.status].label.get(language)

    def _status(self, session: Session, ticket: str, language: str) -> StatusInfo | None:
        config = self.services.config
        try:
            report = get_report(session, ticket)
        except NotFound:
            return None
        status = config.statuses[report.status]
        unit = config.unit_name(report.assigned_unit, language)
        due = config.local_time(report.sla_due_at)
        return StatusInfo(report.ticket, status.label.get(language), config.message(f"colour_{status.colour}", language), unit, due,
                          closed=report.status in lifecycle.CLOSED_STATUSES)

    # -- outbox -----------------------------------------------------------------------------------

    def dispatch_outbox(self, limit: int | None = None, lease: timedelta = timedelta(seconds=60)) -> int:
        """Send what is due, recipients in parallel, each recipient's messages in order. At most one message per
        sending thread is claimed (the default limit) and each outcome is recorded the moment it is known (one Core
        UPDATE), so a crash repeats only the sends that were on the wire, and a provider's delivery report, which
        can arrive within a second, finds the message it is about."""
        limit = limit or self.services.config.server.send_threads
        claimed = claim_due_outbound(self.services.db, limit=limit, lease=lease, channels=self.channels)
        if not claimed:
            return 0
        by_recipient: dict[tuple[str, str], list] = {}
        for message in claimed:
            by_recipient.setdefault((message.channel, message.recipient), []).append(message)
        groups = list(by_recipient.values())
        if len(groups) == 1:
            return self._send_in_order(groups[0])
        return sum(self._sending_pool().map(self._send_in_order, groups))

    def _sending_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:  # overlapping runs share one pool
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.services.config.server.send_threads, thread_name_prefix="send")
            return self._pool

    def _send_in_order(self, messages: list) -> int:
        """One recipient's messages, oldest first, each outcome recorded at once; after a failure the rest wait
        their turn, untried."""
        give_up = timedelta(hours=self.services.config.schedule.give_up_sending_after_hours)
        sent, failed = 0, False
        for message in messages:
            result = SendResult(message.id, error=EARLIER_FAILED, tried=False) if failed else self._send(message)
            record_results(self.services.db, [result], give_up)
            failed = result.error is not None
            sent += not failed
            if not failed and message.last_error not in (None, EARLIER_FAILED):  # a retry went through
                hasten_retries(self.services.db, message.channel)
        return sent

    def _already_sent(self, adapter, message, outgoing: Outgoing) -> str | None:
        """Reclaimed from a sender that died mid-send: a provider that can say whether it took the message is asked
        first, so the citizen does not get it twice; a match another outbox row already owns is not this one."""
        try:
            candidates = adapter.find_sent(outgoing, since=message.created_at)
        except Exception as error:
            raise UnsureError(f"could not ask the provider whether it was sent: {error}") from None
        taken = recorded_provider_ids(self.services.db, message.channel, candidates)
        return next((sid for sid in candidates if sid not in taken), None)

    def _send(self, message) -> SendResult:
        adapter = self.adapters.get(message.channel)
        if adapter is None:
            return SendResult(message.id, error=f"no adapter for channel {message.channel}")
        try:
            outgoing = outgoing_from(message)
            if message.reclaimed and hasattr(adapter, "find_sent"):  # maybe sent by a sender that died
                found = self._already_sent(adapter, message, outgoing)
                if found:
                    return SendResult(message.id, found)
            self.pacer.wait_turn(message.channel, message.recipient)
            return SendResult(message.id, adapter.send(outgoing))
        except UnsureError as error:
            return SendResult(message.id, error=str(error), unsure=True)
        except RetryableError as error:
            return SendResult(message.id, error=str(error), retry_after=error.retry_after)
        except PermanentError as error:
            return SendResult(message.id, error=str(error), retry=False, stop_contact=error.stop_contact)
        except Exception as error:  # an unexpected failure is retried, not lost
            log.exception("sending outbound message %s failed", message.id)
            return SendResult(message.id, error=f"{type(error).__name__}: {error}")


def outgoing_from(message) -> Outgoing:
    """What an adapter sends, rebuilt from an outbox row (extras carry buttons and the like)."""
    extras = message.extras or {}
    return Outgoing(
        channel=message.channel,
        recipient=message.recipient,
        text=message.body,
        buttons=tuple(tuple(row) for row in extras.get("buttons", [])),
        request_location=bool(extras.get("request_location")),
        choices=tuple(tuple((label, data) for label, data in row) for row in extras.get("choices", [])),
        acknowledges=extras.get("acknowledges"),
        template=extras.get("template"),
        reply_context=message.reply_context or {},
        key=f"outbox-{message.id}",
    )


def _extras(reply: Reply, acknowledges: str | None) -> dict:
    """How a reply is shown, stored with its outbox row; `acknowledges` goes with the first reply to a press."""
    extras = {"buttons": [list(row) for row in reply.buttons], "request_location": reply.request_location}
    if reply.choices:
        extras["choices"] = [[list(choice) for choice in row] for row in reply.choices]
    if acknowledges:
        extras["acknowledges"] = acknowledges
    return extras


def _submission(draft: Draft, contact: Contact) -> Submission:
    return Submission(
        category=draft.category or "lainnya",
        description=draft.description,
        origin_channel=contact.channel,
        actor=CITIZEN,
        latitude=draft.latitude,
        longitude=draft.longitude,
        address_text=draft.place,
        priority="darurat" if draft.urgency == "darurat" else "normal",
        confidential=True if draft.confidential is None else draft.confidential,
        reporter_contacts=(contact,),
    )
