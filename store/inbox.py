"""The inbox: raw provider messages, stored once per channel + provider id, claimed by workers.

A webhook answers 2xx only after `record_inbound` committed. Workers claim the oldest pending
message of each sender (a sender's messages are handled in order), under a lease: a worker that
dies leaves its claim to expire, and another takes the message again.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, bindparam, exists, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased

from store import wakeups
from store.db import (
    Claimed,
    Database,
    again_if_dropped,
    claim_rows,
    claim_statements,
    connection_of,
    insert_ignoring_repeats,
)
from store.models import InboundMessage
from store.reporters import contact_hash
from store.types import utcnow

MAX_ATTEMPTS = 5


_RECORD_COLUMNS = ("channel", "provider_message_id", "sender_hash", "payload", "status", "attempts", "received_at")


def _record_and_wake():
    """PostgreSQL: a message stored once and the workers woken (`pg_notify`, only when it is new, delivered when
    the transaction commits), in one statement."""
    table = InboundMessage.__table__
    values = {name: bindparam(name, type_=table.c[name].type) for name in _RECORD_COLUMNS}
    inserted = (postgresql.insert(table).values(values)
                .on_conflict_do_nothing(index_elements=["channel", "provider_message_id"])
                .returning(table.c.id).cte("inserted"))
    return select(inserted.c.id, func.pg_notify(wakeups.CHANNEL, ""))


# The message stored unless its provider id is known: a row comes back when it was new
_RECORD = insert_ignoring_repeats(InboundMessage, ["channel", "provider_message_id"], InboundMessage.id) | {
    "postgresql": _record_and_wake()}


def record_inbound(db: Database, channel: str, provider_message_id: str, payload: Any, sender_hash: str | None) -> bool:
    """Store a message exactly once; False when this provider id was already recorded."""
    with db.transaction() as session:
        return record_inbound_in(session, channel, provider_message_id, payload, sender_hash)


def storable(value: Any, depth: int = 0) -> bool:
    """Whether a payload can be stored as it is: no NUL character (PostgreSQL refuses it), no unpaired surrogate
    (not UTF-8), no nesting deeper than any provider's (50 levels)."""
    if isinstance(value, str):
        return "\x00" not in value and (value.isascii() or _utf8(value))
    if depth > 50:
        return False
    if isinstance(value, dict):
        return all(storable(k, depth + 1) and storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(storable(item, depth + 1) for item in value)
    return True


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def record_entries(db: Database, channel: str, entries) -> int:
    """The messages of one webhook (`bots.base.InboxEntry`), stored together; how many were new. One message, the
    usual webhook, is one statement (on PostgreSQL in autocommit: no BEGIN or COMMIT). Stored once more after a
    dropped connection: a message stored already is not stored twice."""
    unit_of_statements = db.statement if len(entries) == 1 else db.core

    def record() -> int:
        with unit_of_statements() as connection:
            return record_entries_in(connection, channel, entries)

    return again_if_dropped(record)


def record_entries_in(target: Session | Connection, channel: str, entries) -> int:
    """`record_entries` inside the caller's transaction (a poller moves its cursor in the same one)."""
    return sum(record_inbound_in(target, channel, entry.provider_message_id, entry.payload,
                                 _sender_hash(channel, entry))
               for entry in entries)


def _sender_hash(channel: str, entry) -> str | None:
    return contact_hash(channel, entry.sender) if entry.sender else None


def _record_values(channel: str, provider_message_id: str, payload: Any, sender_hash: str | None) -> dict[str, Any]:
    return dict(channel=channel, provider_message_id=provider_message_id, sender_hash=sender_hash, payload=payload,
                status="pending", attempts=0, received_at=utcnow())


def record_inbound_in(target: Session | Connection, channel: str, provider_message_id: str, payload: Any,
                      sender_hash: str | None) -> bool:
    """`record_inbound` inside the caller's transaction (a poller moves its cursor in the same one)."""
    connection = connection_of(target)  # on PostgreSQL the statement wakes idle workers too, once it commits
    values = _record_values(channel, provider_message_id, payload, sender_hash)
    return bool(connection.execute(_RECORD[connection.dialect.name], values).all())  # read to its end: see statement()


def _claim_statement(some_channels: bool, lease_ran_out: bool):
    """A claim (for `claim_statements`): each sender's oldest unfinished message, pending, or claimed by a worker
    whose lease ran out."""
    earlier = aliased(InboundMessage)
    if lease_ran_out:
        claimable = and_(InboundMessage.status == "processing", InboundMessage.claimed_until < bindparam("now"))
    else:
        claimable = InboundMessage.status == "pending"
    waits_for_earlier = exists().where(
        earlier.sender_hash == InboundMessage.sender_hash,
        earlier.id < InboundMessage.id,
        earlier.status.in_(("pending", "processing")),
    )
    statement = select(*InboundMessage.__table__.c).where(claimable, ~waits_for_earlier)
    if some_channels:
        statement = statement.where(InboundMessage.channel.in_(bindparam("channels", expanding=True)))
    return (statement.order_by(InboundMessage.id).limit(bindparam("limit"))
            .with_for_update(skip_locked=True, of=InboundMessage))


_CLAIMS = claim_statements(_claim_statement, InboundMessage.__table__)


def claim_inbound(db: Database, limit: int = 10, lease: timedelta = timedelta(seconds=60),
                  channels: tuple[str, ...] | None = None) -> list[Claimed]:
    """Claim up to `limit` messages: each the oldest unfinished one of its sender; only those of `channels`
    when given (a worker with some adapters only, e.g. `run.py chat` beside a serving gateway)."""
    return claim_rows(db, _CLAIMS, "processing", lease, limit, channels)


_RENEW = update(InboundMessage).where(
    InboundMessage.id == bindparam("message_id"), InboundMessage.status == "processing",
    InboundMessage.claimed_until == bindparam("held_until")).values(claimed_until=bindparam("until"))


def renew_claims(db: Database, claimed: list[Claimed], lease: timedelta) -> set[int]:
    """The claims still held, each leased again for `lease` from now; their ids. One whose lease ran out and that
    another worker claimed meanwhile is not ours any more (its lease end is not the one we were given)."""
    until, kept = utcnow() + lease, set()
    with db.core() as connection:
        for message in claimed:
            renewed = connection.execute(_RENEW, {"message_id": message.id, "held_until": message.claimed_until,
                                                  "until": until})
            if renewed.rowcount:
                kept.add(message.id)
    return kept


def unfinished_from_sender(db: Database, channel: str, sender_hash: str) -> int:
    """How many of a sender's messages wait to be handled (pending, or claimed by a worker right now)."""
    with db.transaction() as session:
        return session.scalar(
            select(func.count()).select_from(InboundMessage).where(
                InboundMessage.channel == channel, InboundMessage.sender_hash == sender_hash,
                InboundMessage.status.in_(("pending", "processing")),
            )
        ) or 0


def messages_from_sender(db: Database, channel: str, sender_hash: str, limit: int = 200) -> list[InboundMessage]:
    """A sender's newest `limit` messages as stored, oldest first (the web chat's history after a reload)."""
    with db.transaction() as session:
        newest = list(session.scalars(
            select(InboundMessage)
            .where(InboundMessage.channel == channel, InboundMessage.sender_hash == sender_hash)
            .order_by(InboundMessage.id.desc())
            .limit(limit)
        ))
        return newest[::-1]


_SENT_SINCE = select(InboundMessage.channel, InboundMessage.sender_hash, func.count()).where(
    InboundMessage.sender_hash.in_(bindparam("digests", expanding=True)), InboundMessage.received_at >= bindparam("since"),
).group_by(InboundMessage.channel, InboundMessage.sender_hash)
_FINISH = update(InboundMessage).where(InboundMessage.id.in_(bindparam("message_ids", expanding=True))).values(
    status="processed", processed_at=bindparam("now"), claimed_until=None
)


def recent_from_senders(db: Database, senders: set[tuple[str, str]], since) -> dict[tuple[str, str], int]:
    """How many messages each sender (channel, sender hash) sent since `since` (for rate limiting), in one query."""
    if not senders:
        return {}
    with db.statement() as connection:
        counted = connection.execute(_SENT_SINCE, {"digests": sorted({digest for _, digest in senders}), "since": since})
        return {sender: count for channel, digest, count in counted if (sender := (channel, digest)) in senders}


def finish_inbound(session: Session, message_ids: list[int]) -> None:
    """Mark processed — inside the same transaction as the state changes they caused (a batch's, in one statement)."""
    if message_ids:
        session.connection().execute(_FINISH, {"message_ids": list(message_ids), "now": utcnow()})


def fail_inbound(db: Database, message_id: int, error: str) -> None:
    """Give the message back for another try, or give up after MAX_ATTEMPTS (kept, flagged failed)."""
    with db.transaction() as session:
        message = session.get(InboundMessage, message_id)
        message.error = error[:2000]
        message.claimed_until = None
        message.status = "failed" if message.attempts >= MAX_ATTEMPTS else "pending"
