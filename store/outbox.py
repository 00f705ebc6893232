"""The outbox: replies and notifications, written in the transaction that caused them, sent by a
dispatcher that claims due rows under a lease and retries with backoff.

`queue_outbound` is idempotent on its key (e.g. report + event + recipient), so a retried
transaction or a second worker never queues the same message twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.orm import Session, aliased

from store.db import (
    Claimed,
    Database,
    again_if_dropped,
    claim_rows,
    claim_statements,
    connection_of,
    insert_ignoring_repeats,
)
from store.models import ContactIdentity, OutboundMessage
from store.types import utcnow

# A provider that is down or rate-limiting is waited out, however many tries that takes: a reply is given up
# only this long after it was queued (`schedule.give_up_sending_after_hours`). Refusals fail at once.
GIVE_UP_AFTER = timedelta(hours=24)
PROVIDER_WAIT = "provider asked to wait: "  # starts the last error of a reply the provider told to wait (429)
RETRY_CAP = 30.0  # seconds: the longest wait of our own between tries, so a recovered provider is reached soon


def backoff(attempts: int, base: float = 5.0, cap: float = RETRY_CAP) -> timedelta:
    """5 s, 10 s, 20 s… doubling per failed attempt, at most RETRY_CAP (a recovered provider is reached soon)."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


_QUEUE = insert_ignoring_repeats(OutboundMessage, ["idempotency_key"], OutboundMessage.id)


def queue_outbound(
    session: Session,
    *,
    channel: str,
    recipient: str,
    body: str,
    idempotency_key: str,
    contact_id: int | None = None,
    report_id: int | None = None,
    extras: dict[str, Any] | None = None,
    reply_context: dict[str, Any] | None = None,
) -> bool:
    """Queue a message unless one with this key exists; False when it already did. `extras` (buttons)
    are stored plain, `reply_context` (threading ids, which can lead back to a person) encrypted."""
    now = utcnow()
    values = dict(
        channel=channel, recipient=recipient, body=body, idempotency_key=idempotency_key, contact_id=contact_id,
        report_id=report_id, extras=extras or {}, reply_context=reply_context or None, status="pending", attempts=0,
        next_attempt_at=now, created_at=now,
    )
    return session.connection().execute(_QUEUE[session.get_bind().dialect.name], values).scalar_one_or_none() is not None


def _claim_statement(some_channels: bool, lease_ran_out: bool):
    """A claim (for `claim_statements`): due messages, or those whose sender's lease ran out; none while an earlier
    one to the same contact is unsent."""
    now = bindparam("now")
    if lease_ran_out:
        due = and_(OutboundMessage.status == "sending", OutboundMessage.claimed_until < now)
    else:
        due = and_(OutboundMessage.status == "pending", OutboundMessage.next_attempt_at <= now)
    earlier = aliased(OutboundMessage)
    waits_for_earlier = exists().where(
        earlier.contact_id == OutboundMessage.contact_id, earlier.id < OutboundMessage.id,
        earlier.status.in_(("pending", "sending")),
    )
    statement = select(*OutboundMessage.__table__.c).where(due, ~waits_for_earlier)
    if some_channels:
        statement = statement.where(OutboundMessage.channel.in_(bindparam("channels", expanding=True)))
    return (statement.order_by(OutboundMessage.next_attempt_at, OutboundMessage.id).limit(bindparam("limit"))
            .with_for_update(skip_locked=True))


_CLAIMS = claim_statements(_claim_statement, OutboundMessage.__table__)


def claim_due_outbound(db: Database, limit: int = 20, lease: timedelta = timedelta(seconds=60),
                       channels: tuple[str, ...] | None = None) -> list[Claimed]:
    """Claim due messages (only those of `channels` when given); rows another worker holds are skipped, not
    waited for. A citizen's messages go one at a time, in order: none is claimed while an earlier one to the
    same contact is unsent. A row `reclaimed` from a dead sender (its lease ran out while 'sending') may have been
    taken by the provider already."""
    return claim_rows(db, _CLAIMS, "sending", lease, limit, channels)


@dataclass(frozen=True)
class SendResult:
    """What became of one send: the provider's id, or an error that is retried or final."""

    message_id: int
    provider_message_id: str | None = None
    error: str | None = None
    retry: bool = True  # with an error: try again later (False: a permanent failure)
    retry_after: float | None = None  # the provider's wait, seconds
    tried: bool = True  # False: not sent because an earlier message to the same recipient failed
    stop_contact: bool = False  # with a permanent failure: never message this contact again
    unsure: bool = False  # with an error: whether the provider already has it is unknown; ask again before sending


_SENT = update(OutboundMessage.__table__).where(OutboundMessage.__table__.c.id == bindparam("message_id")).values(
    status="sent", provider_message_id=bindparam("provider_id"), sent_at=bindparam("now"), claimed_until=None,
    last_error=None)


def record_results(db: Database, results: list[SendResult], give_up_after: timedelta = GIVE_UP_AFTER) -> None:
    """The outcomes of sends, in one transaction; tried once more when the database dropped the connection (the
    provider has the message: losing its outcome would send it again)."""
    if results:
        again_if_dropped(lambda: _record_results(db, results, give_up_after))


def _record_results(db: Database, results: list[SendResult], give_up_after: timedelta) -> None:
    sent = [result for result in results if result.error is None]
    failed = [result for result in results if result.error is not None]
    # the common case, everything sent: one Core UPDATE by primary key, without an ORM session (on PostgreSQL in
    # autocommit, without BEGIN and COMMIT; written again after a dropped connection, an outcome changes nothing)
    with db.statement(rows=len(sent)) if not failed else db.transaction() as target:
        if sent:
            now = utcnow()
            connection_of(target).execute(_SENT, [{"message_id": r.message_id, "provider_id": r.provider_message_id,
                                                   "now": now} for r in sent])
        for result in failed:
            _apply_failure(target, result, give_up_after)


def recorded_provider_ids(db: Database, channel: str, provider_ids: list[str]) -> set[str]:
    """Which of these provider message ids the outbox has already recorded for one of its messages."""
    if not provider_ids:
        return set()
    with db.transaction() as session:
        return set(session.scalars(select(OutboundMessage.provider_message_id).where(
            OutboundMessage.channel == channel, OutboundMessage.provider_message_id.in_(provider_ids))))


def hasten_retries(db: Database, channel: str) -> int:
    """The provider is back (a retried send just went through): every reply to it waiting out our own backoff is
    due now, so the backlog clears in seconds instead of at each message's own next try (pacing spreads them).
    A wait the provider asked for (429 Retry-After) is kept."""
    now = utcnow()
    with db.transaction() as session:
        return session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.channel == channel, OutboundMessage.status == "pending",
                   OutboundMessage.last_error.is_not(None), ~OutboundMessage.last_error.startswith(PROVIDER_WAIT),
                   OutboundMessage.next_attempt_at > now)
            .values(next_attempt_at=now)
        ).rowcount


def mark_sent(db: Database, message_id: int, provider_message_id: str) -> None:
    record_results(db, [SendResult(message_id, provider_message_id)])


def schedule_retry(db: Database, message_id: int, error: str, retry_after: float | None = None,
                   give_up_after: timedelta = GIVE_UP_AFTER) -> OutboundMessage:
    """A retryable failure: try again after the provider's wait (at least) and our backoff; give up only
    `give_up_after` the message was queued."""
    with db.transaction() as session:
        return _apply_failure(session, SendResult(message_id, error=error, retry_after=retry_after), give_up_after)


def mark_failed(db: Database, message_id: int, error: str, stop_contact: bool = False) -> None:
    """A permanent failure; with `stop_contact` (blocked bot, STOP), the contact is never messaged again."""
    record_results(db, [SendResult(message_id, error=error, retry=False, stop_contact=stop_contact)])


def _apply_failure(session: Session, result: SendResult, give_up_after: timedelta = GIVE_UP_AFTER) -> OutboundMessage:
    message = session.get(OutboundMessage, result.message_id)
    message.claimed_until, message.last_error = None, result.error[:2000]
    if not result.tried:  # back in line behind the one that failed, its attempt not spent
        message.status, message.attempts = "pending", message.attempts - 1
        return message
    now = utcnow()
    if result.unsure and now - message.created_at < give_up_after:  # left 'sending': reclaimed, it is asked about again
        message.status, message.claimed_until = "sending", now + backoff(message.attempts)
        return message
    if result.retry and now - message.created_at < give_up_after:
        if result.retry_after is not None:
            message.last_error = (PROVIDER_WAIT + result.error)[:2000]
        wait = backoff(message.attempts) if result.retry_after is None else backoff(  # the provider's wait first,
            message.attempts, base=result.retry_after, cap=max(RETRY_CAP, result.retry_after))  # doubled while refused
        message.status, message.next_attempt_at = "pending", now + wait
        return message
    message.status = "failed"
    if result.stop_contact and message.contact_id is not None:
        contact = session.get(ContactIdentity, message.contact_id)
        contact.stopped_at, contact.stop_reason = utcnow(), result.error[:200]
    return message


def messages_for_contact(db: Database, contact_id: int, after_id: int = 0, limit: int = 50) -> list[OutboundMessage]:
    """What was queued for one contact after a given message, oldest first, whatever its sending status: the
    chat channel's replies are read from here (the /chat page and `run.py chat` poll it), not pushed."""
    with db.transaction() as session:
        return list(session.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.contact_id == contact_id, OutboundMessage.id > after_id)
            .order_by(OutboundMessage.id)
            .limit(limit)
        ))


def record_delivery(db: Database, channel: str, provider_message_id: str, delivered: bool, error: str | None = None) -> bool:
    """A provider's status callback: delivered or failed. False when the id is unknown."""
    with db.transaction() as session:
        message = session.scalar(
            select(OutboundMessage).where(
                OutboundMessage.channel == channel, OutboundMessage.provider_message_id == provider_message_id
            )
        )
        if message is None:
            return False
        if delivered:
            message.status, message.delivered_at = "delivered", utcnow()
        else:
            message.status, message.last_error = "failed", (error or "undelivered")[:2000]
        return True
