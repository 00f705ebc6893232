"""The outbox → channel adapters: due replies claimed under a lease, sent to several recipients at once (each
recipient's in order, within the providers' published limits), each outcome recorded the moment it is known; outcomes
known together are recorded together (`OutcomeRecorder`)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bots.base import Adapter, Outgoing, PermanentError, RetryableError, UnansweredError
from gateway.pacing import Pacer
from gateway.services import Services
from store.outbox import SendResult, claim_due_outbound, hasten_retries, record_results, recorded_provider_ids

log = logging.getLogger(__name__)
EARLIER_FAILED = "an earlier message to this recipient failed"  # why a reply waits, untried


class UnsureError(Exception):
    """Whether the provider already has a message could not be found out: it is not sent, and asked about again."""


class OutcomeNotRecorded(Exception):
    """A send's outcome could not be written: the message stays claimed, and is asked about before it goes again."""


class OutcomeRecorder:
    """Send outcomes written as each is known, several in one transaction when they come together (a group commit):
    the sending thread that gets to write takes every outcome waiting, its own and other threads', and those threads
    find theirs written (or why not) when their turn comes. A round of eight sends is a transaction or two instead
    of eight, and no outcome waits for the round's end (a delivery report can arrive within a second). When the
    shared transaction fails, each outcome is written in one of its own: one bad outcome or a passing failure costs
    no other its record."""

    def __init__(self, record):
        self._record = record  # record(results): writes them in one transaction
        self._waiting: list[list] = []  # [result, error] each
        self._waiting_lock = threading.Lock()
        self._writing = threading.Lock()

    def record(self, result: SendResult) -> None:
        """Returns once `result` is written; raises OutcomeNotRecorded when it could not be."""
        entry = [result, None]
        with self._waiting_lock:
            self._waiting.append(entry)
        with self._writing:  # whoever holds it writes all that waits: a batch taken is written before it is let go
            with self._waiting_lock:
                batch, self._waiting = self._waiting, []
            if batch:
                self._write(batch)
        if entry[1] is not None:
            raise OutcomeNotRecorded(f"outbound message {result.message_id}: {entry[1]}") from entry[1]

    def _write(self, batch: list[list]) -> None:
        try:
            self._record([result for result, _ in batch])
        except Exception as error:
            if len(batch) == 1:
                batch[0][1] = error
            else:  # each alone: one bad outcome or a passing failure costs no other its record
                for waiting in batch:
                    self._write([waiting])
        except BaseException as error:  # interrupted: no outcome of the batch is known written
            for waiting in batch:
                waiting[1] = error
            raise


class OutboxSender:
    def __init__(self, services: Services, adapters: dict[str, Adapter], channels: tuple[str, ...] | None = None):
        self.services = services
        self.adapters = adapters
        self.channels = channels  # send only these channels' replies; None: every channel
        give_up = timedelta(hours=services.config.schedule.give_up_sending_after_hours)
        self.outcomes = OutcomeRecorder(lambda results: record_results(services.db, results, give_up))
        self._pool: ThreadPoolExecutor | None = None  # sends to several recipients at once, made on first need
        self._pool_lock = threading.Lock()
        self.pacer = Pacer(services.config.send_limits)  # within the providers' published limits

    def dispatch(self, limit: int | None = None, lease: timedelta = timedelta(seconds=60)) -> int:
        """Send what is due, recipients in parallel, each recipient's messages in order. At most one message per
        sending thread is claimed (the default limit) and each outcome is recorded the moment it is known (with those
        known at the same time, one Core UPDATE), so a crash repeats only the sends that were on the wire, and a
        provider's delivery report, which can arrive within a second, finds the message it is about."""
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
        sent, failed = 0, False
        for message in messages:
            result = SendResult(message.id, error=EARLIER_FAILED, tried=False) if failed else self._send(message)
            self.outcomes.record(result)
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
        except (UnsureError, UnansweredError) as error:  # the provider may have it: asked before it goes again
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
