"""The worker, in stages that run one way: the inbox's messages made ready (parsed, photos fetched, no
transaction open) → handled (an officer's action, a public post, or a citizen's conversation, whose decisions
gateway/reporting.py carries out) → replies queued in the outbox → sent by gateway/sending.py.

Each inbound message is handled in ONE transaction: the conversation state, any report created or
followed, the replies queued in the outbox and the inbox row marked processed commit together or
not at all (a crash leaves the message to be claimed again). Sending happens afterwards, from the
outbox, with retries; a reply therefore exists only if the state change that caused it exists.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from bots.base import Adapter, Incoming, PermanentError, RetryableError
from gateway.conversation import Context, Reply, State, Turn, handle
from gateway.handover import ParsedHandover
from gateway.mentions import handle_mention
from gateway.officers import may_be_officer, officer_turn
from gateway.reporting import Reporting
from gateway.sending import OutboxSender
from gateway.services import Services
from store.attachments import AttachmentError, save_attachment
from store.conversations import (
    ConversationState,
    is_following,
    load_conversations,
    peek_conversation,
    save_conversation,
)
from store.inbox import claim_inbound, fail_inbound, finish_inbound, recent_from_senders, renew_claims
from store.outbox import queue_outbound
from store.reporters import Contact, Sender, contact_hash, find_or_add_senders, note_language, stop_sender
from store.types import utcnow

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)  # an inbox claim's: another worker takes the message after it (this one having died)


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
    flooding: bool = False  # a sender over the rate limit (decided once, here): a citizen gets one "slow down",
    # a public post goes to the triage queue


@dataclass(frozen=True)
class Citizen:
    """A citizen met in a batch: their contact identity and their conversation (both updated as the batch goes, so
    a second message of theirs in it sees what the first did)."""

    sender: Sender
    conversation: ConversationState


class Worker:
    def __init__(self, services: Services, adapters: dict[str, Adapter], channels: tuple[str, ...] | None = None):
        self.services = services
        self.adapters = adapters
        # Claim only these channels' rows (`run.py chat`: the chat channel's, never what a gateway beside it
        # has the adapters for); None: every channel.
        self.channels = channels
        self.reporting = Reporting(services)  # what a conversation decided, carried out in the store
        self._partial_claim_at = float("-inf")  # when the last inbox claim found less than a batch (monotonic)
        self.outbox = OutboxSender(services, adapters, channels)  # stage 3: the replies out
        self.handover = ParsedHandover()  # what this process's webhooks parsed already

    def run_once(self) -> int:
        """Handle a batch of the inbox, then send every reply that is due before taking more (a batch makes more
        replies than one round sends: left for later, they would wait behind the inbox); returns how many rows
        moved. Each round still claims at most one reply per sending thread."""
        self._let_a_batch_gather()
        moved, full = self.process_inbox(), self.services.config.server.send_threads
        while True:
            sent = self.dispatch_outbox()
            moved += sent
            if sent < full:  # a round not full: nothing more is due (or the provider refuses: later)
                return moved

    # -- inbox ------------------------------------------------------------------------------------

    def _let_a_batch_gather(self) -> None:
        """Claims come at most `inbox_linger_ms` apart after one that found some messages but less than a batch: a busy
        inbox is taken in batches, which share their fixed cost (claims, the transaction, the replies' round),
        instead of one message a run; after a quiet spell (an empty claim) the first message is claimed at once."""
        wait = self._partial_claim_at + self.services.config.server.inbox_linger_ms / 1000 - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def process_inbox(self, limit: int | None = None) -> int:
        """Claim a batch, make it ready outside any transaction (parsed, photos downloaded), then apply it in one
        transaction; should a message fail, the batch again message by message (`_apply_all`): the failing one is
        given back, the others commit."""
        db, limit = self.services.db, limit or self.services.config.server.inbox_batch
        claimed = claim_inbound(db, limit=limit, lease=LEASE, channels=self.channels)
        self._partial_claim_at = time.monotonic() if 0 < len(claimed) < limit else float("-inf")
        if not claimed:
            return 0
        started, ready, failed = time.monotonic(), [], {}
        over_limit = self._senders_over_limit(claimed)
        for message in claimed:
            try:
                ready.append(self._prepare(message, message.id in over_limit))
            except Exception as error:  # unparseable, or a photo the provider could not give now: tried again later
                log.warning("inbound message %s could not be made ready: %s", message.id, type(error).__name__)
                failed[message.id] = f"{type(error).__name__}: {error}"
        ready, lost = self._still_ours(claimed, ready, time.monotonic() - started)
        failed.update(self._apply_all(ready))
        for message_id, error in failed.items():  # back in the inbox for another try; ids only in logs
            fail_inbound(db, message_id, error)
        return len(claimed) - len(failed) - lost

    def _still_ours(self, claimed, ready: list[Ready], took: float) -> tuple[list[Ready], int]:
        """After a slow preparation (photos, the online geocoder) the leases are renewed before the transaction; a
        message whose lease ran out and that another worker claimed meanwhile is left to it, not handled twice."""
        if took < LEASE.total_seconds() / 2:
            return ready, 0
        ids = {message.inbound_id for message in ready}
        kept = renew_claims(self.services.db, [message for message in claimed if message.id in ids], LEASE)
        if len(kept) < len(ids):
            log.warning("inbound messages %s were claimed by another worker while this one fetched their photos",
                        sorted(ids - kept))
        return [message for message in ready if message.inbound_id in kept], len(ids - kept)

    def _senders_over_limit(self, claimed) -> set[int]:
        """The claimed messages whose sender sent more in the rate-limit window than the conversation answers."""
        settings = self.services.config.conversation
        since = utcnow() - timedelta(seconds=settings.rate_limit_seconds)
        senders = {(message.channel, message.sender_hash) for message in claimed if message.sender_hash is not None}
        sent = recent_from_senders(self.services.db, senders, since)
        return {message.id for message in claimed
                if sent.get((message.channel, message.sender_hash), 0) > settings.rate_limit_messages}

    def _prepare(self, message, over_limit: bool = False) -> Ready:
        """The network part of a message, before any transaction: what it says, its photos' bytes (none for a sender
        over the rate limit, whose message will not be answered), the online geocoder's answers."""
        adapter = self.adapters.get(message.channel)
        if adapter is None:
            raise LookupError(f"no adapter for channel {message.channel}")
        incomings = self.handover.take(message.channel, message.provider_message_id)
        if incomings is None:
            incomings = adapter.parse(message.payload)
        flooding = over_limit and not any(may_be_officer(self.services.config, incoming) for incoming in incomings)
        turns = [(incoming, Downloads() if flooding else self._download(adapter, incoming)) for incoming in incomings]
        return Ready(message.id, adapter, turns, self._geocoder_for(message, adapter, turns), flooding)

    def _geocoder_for(self, message, adapter: Adapter, turns) -> Geocoder:
        """The geocoder the transaction may use: with an online fallback configured, its answers for the place a
        report made now would be geocoded by (a post's tagged place, the place of the draft this message may
        complete) are fetched now, and nothing is asked online inside the transaction. What citizens write is never
        sent to it: only the place they gave as such."""
        geocoder = self.services.geocoder
        if getattr(geocoder, "fallback", None) is None:
            return geocoder
        if adapter.capabilities.public:
            places = [(incoming.raw or {}).get("place") for incoming, _downloads in turns]
        elif message.sender_hash:
            draft = peek_conversation(self.services.db, message.channel, message.sender_hash).get("draft") or {}
            places = [draft.get("place")]
        else:
            places = []
        return geocoder.prefetched(places)

    def _download(self, adapter: Adapter, incoming: Incoming) -> Downloads:
        """The photos of a message; one the provider refuses, or cannot give now, is explained to the citizen (who
        can send it again), and the rest of the message is handled all the same."""
        files, refused = [], []
        for media in incoming.media:
            try:
                files.append(adapter.fetch_media(media))
            except (PermanentError, RetryableError) as error:
                refused.append(str(error))
        return Downloads(tuple(files), tuple(refused))

    def _apply_all(self, messages: list[Ready]) -> dict[int, str]:
        """The messages in one transaction. If anything fails (a message, or the commit), all of it is rolled back
        and each message is applied again in a transaction of its own, so one failure loses no other message's
        work (it costs them a second run); failures are rare, so no message pays for a savepoint of its own.
        Returns the failed ones' errors."""
        if not messages:
            return {}
        try:
            self._apply_batch(messages)
            return {}
        except Exception as error:
            if len(messages) == 1:
                log.exception("inbound message %s failed", messages[0].inbound_id)
                return {messages[0].inbound_id: f"{type(error).__name__}: {error}"}
            log.warning("a batch of inbound messages %s failed (%s); each again on its own",
                        [m.inbound_id for m in messages], type(error).__name__, exc_info=True)
        failed: dict[int, str] = {}
        for message in messages:
            failed.update(self._apply_all([message]))
        return failed

    def _apply_batch(self, messages: list[Ready]) -> None:
        with self.services.db.transaction() as session:
            citizens = self._citizens(session, messages)
            for message in messages:
                self._apply(session, message, citizens)
            finish_inbound(session, [m.inbound_id for m in messages])  # in the transaction of what they changed

    def _citizens(self, session: Session, messages: list[Ready]) -> dict[tuple[str, str], Citizen]:
        """The citizens a batch's conversations are with, each with their conversation (locked), read and added for
        the whole batch at once: a few statements a batch instead of three to five a message."""
        contacts = [Contact(incoming.channel, incoming.sender, incoming.sender_name)
                    for message in messages if not message.adapter.capabilities.public
                    for incoming, _downloads in message.turns if not may_be_officer(self.services.config, incoming)]
        senders = find_or_add_senders(session, contacts)
        conversations = load_conversations(session, [(channel, digest, sender.id)
                                                      for (channel, digest), sender in senders.items()])
        return {key: Citizen(sender, conversations[key]) for key, sender in senders.items()}

    def _apply(self, session: Session, message: Ready, citizens: dict[tuple[str, str], Citizen]) -> None:
        for incoming, downloads in message.turns:
            if message.adapter.capabilities.public:  # a public post (X): one reply or the triage queue, no conversation
                handle_mention(self.services, session, incoming, message.inbound_id, message.geocoder, message.flooding)
            else:
                self._converse(session, message.adapter, incoming, message.inbound_id, downloads, message.geocoder,
                               message.flooding, citizens)

    def _converse(self, session: Session, adapter: Adapter, incoming: Incoming, inbound_id: int,
                  downloads: Downloads, geocoder: Geocoder | None, flooding: bool,
                  citizens: dict[tuple[str, str], Citizen]) -> None:
        services = self.services
        for_officer = officer_turn(services.config, session, incoming, lambda: self._store_photos(session, downloads))
        if for_officer is not None:  # an officer acting on a case, not a citizen talking
            self._queue_replies(session, incoming, for_officer, inbound_id, contact_id=None)
            return
        contact = Contact(incoming.channel, incoming.sender, incoming.sender_name)
        # read with the batch: every message no officer's (`may_be_officer` is exactly what `officer_turn` takes)
        citizen = citizens[(incoming.channel, contact_hash(incoming.channel, incoming.sender))]
        sender, conversation = citizen.sender, citizen.conversation
        state = State.from_dict(conversation.state)
        if flooding:
            self._slow_down(session, incoming.channel, sender, state)
            return
        context = Context(
            config=services.config,
            normalizer=services.normalizer,
            channel_buttons=adapter.capabilities.buttons,
            find_duplicate=lambda category, lat, lon, text: self.reporting.duplicate(session, category, lat, lon, text,
                                                                                     state.language),
            report_status=lambda ticket, language: self.reporting.status(session, ticket, language),
            now=utcnow(),
            is_following=lambda ticket: is_following(session, ticket, sender.id),
        )
        photos, rejected = self._store_photos(session, downloads)
        turn = Turn(text=incoming.text, latitude=incoming.latitude, longitude=incoming.longitude, photos=photos,
                    choice=incoming.choice, about_ticket=incoming.about_ticket)
        outcome = handle(state, turn, context)
        replies = [Reply(services.config.message("photo_rejected", state.language, reason=reason)) for reason in rejected]
        replies += self.reporting.carry_out(session, outcome, contact, sender, state, geocoder) + outcome.replies
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

    def _slow_down(self, session: Session, channel: str, sender: Sender, state: State) -> None:
        """Over the limit: one polite 'slow down' per window, and the message is not answered."""
        settings, now = self.services.config.conversation, utcnow()
        bucket = int(now.timestamp() // settings.rate_limit_seconds)
        queue_outbound(
            session, channel=channel, recipient=sender.address, contact_id=sender.id,
            body=self.services.config.message("slow_down", state.language), idempotency_key=f"slow:{sender.id}:{bucket}",
        )

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

    # -- outbox -----------------------------------------------------------------------------------

    def dispatch_outbox(self, limit: int | None = None, lease: timedelta = timedelta(seconds=60)) -> int:
        """Send what is due (gateway/sending.py)."""
        return self.outbox.dispatch(limit, lease)

def _extras(reply: Reply, acknowledges: str | None) -> dict:
    """How a reply is shown, stored with its outbox row; `acknowledges` goes with the first reply to a press."""
    extras = {"buttons": [list(row) for row in reply.buttons], "request_location": reply.request_location}
    if reply.choices:
        extras["choices"] = [[list(choice) for choice in row] for row in reply.choices]
    if acknowledges:
        extras["acknowledges"] = acknowledges
    return extras
