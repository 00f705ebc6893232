"""Conversation state per channel + sender, and who follows which report."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from store.db import Database, insert_ignoring_repeats, unit_of_work
from store.models import ContactIdentity, Conversation, Report, ReportFollower
from store.types import utcnow

@dataclass
class ConversationState:
    """A sender's conversation as the worker reads and writes it (Core, no ORM object): its row and its state."""

    id: int | None  # None: a first contact's, written when first saved
    state: dict
    channel: str = ""
    sender_hash: str = ""
    contact_id: int | None = None


# Built once: the worker runs these for every inbound message.
_conversations = Conversation.__table__
_CONVERSATION_OF_SENDER = select(_conversations.c.id, _conversations.c.state).where(
    _conversations.c.channel == bindparam("channel"), _conversations.c.sender_hash == bindparam("digest")
).with_for_update()
_PEEK = select(_conversations.c.state).where(
    _conversations.c.channel == bindparam("channel"), _conversations.c.sender_hash == bindparam("digest"))
_ADD_CONVERSATION = insert(_conversations).returning(_conversations.c.id)
_SAVE_STATE = update(_conversations).where(_conversations.c.id == bindparam("conversation_id")).values(
    state=bindparam("state"), updated_at=bindparam("now"))
_SAVE_STATE_ONLY = update(_conversations).where(_conversations.c.id == bindparam("conversation_id")).values(
    state=bindparam("state"))


def load_conversation(session: Session, channel: str, sender_hash: str, contact_id: int | None) -> ConversationState:
    """The sender's conversation, locked for this transaction; on first contact an empty one, added by its first
    save (one statement, not an insert and an update). A sender's messages are claimed one at a time, and a second
    first contact racing this one would meet the unique (channel, sender) key: its message is tried again."""
    found = session.connection().execute(_CONVERSATION_OF_SENDER, {"channel": channel, "digest": sender_hash}).first()
    if found is not None:
        return ConversationState(found.id, found.state or {})
    return ConversationState(None, {}, channel, sender_hash, contact_id)


_CONVERSATIONS_OF_SENDERS = (
    select(_conversations.c.id, _conversations.c.channel, _conversations.c.sender_hash, _conversations.c.state)
    .where(_conversations.c.channel.in_(bindparam("channels", expanding=True)),  # with the hash: the index
           _conversations.c.sender_hash.in_(bindparam("digests", expanding=True)))
    .order_by(_conversations.c.id)  # locked in one order by every transaction: no deadlock between two
    .with_for_update()
)


def load_conversations(session: Session, senders: list[tuple[str, str, int | None]]
                       ) -> dict[tuple[str, str], ConversationState]:
    """`load_conversation` for a batch of senders (channel, sender hash, contact id), in one statement, by
    (channel, sender hash)."""
    if not senders:
        return {}
    found = {(row.channel, row.sender_hash): row for row in session.connection().execute(
        _CONVERSATIONS_OF_SENDERS, {"channels": sorted({channel for channel, _, _ in senders}),
                                    "digests": sorted({digest for _, digest, _ in senders})})}
    conversations = {}
    for channel, digest, contact_id in senders:
        row = found.get((channel, digest))
        conversations[(channel, digest)] = (ConversationState(row.id, row.state or {}) if row is not None
                                            else ConversationState(None, {}, channel, digest, contact_id))
    return conversations


def peek_conversation(db: Database, channel: str, sender_hash: str) -> dict:
    """A sender's conversation state as it is now, read without a lock (for what can be fetched before the
    transaction that handles their message); {} when there is none."""
    with unit_of_work(db) as session:
        found = session.connection().execute(_PEEK, {"channel": channel, "digest": sender_hash}).first()
        return (found.state or {}) if found is not None else {}


def save_conversation(session: Session, conversation: ConversationState | Conversation, state: dict,
                      turn: bool = True) -> None:
    """The new state and, for a `turn` of the conversation, its time (a reminder of an abandoned draft counts from
    it; the reminder itself is no turn)."""
    if isinstance(conversation, Conversation):  # a stale conversation the reminders job holds as an ORM object
        conversation.state = state
        if turn:
            conversation.updated_at = utcnow()
        return
    conversation.state = state
    if conversation.id is None:
        now = utcnow()
        conversation.id = session.connection().execute(_ADD_CONVERSATION, {
            "channel": conversation.channel, "sender_hash": conversation.sender_hash,
            "contact_id": conversation.contact_id, "state": state, "created_at": now, "updated_at": now}).scalar_one()
    elif turn:
        session.connection().execute(_SAVE_STATE, {"conversation_id": conversation.id, "state": state, "now": utcnow()})
    else:
        session.connection().execute(_SAVE_STATE_ONLY, {"conversation_id": conversation.id, "state": state})


def stale_conversations(session: Session, idle_since, limit: int = 200) -> list[Conversation]:
    """Conversations untouched since `idle_since` (the caller looks at their drafts), locked."""
    statement = (
        select(Conversation).where(Conversation.updated_at < idle_since).order_by(Conversation.updated_at).limit(limit)
    )
    return list(session.scalars(statement.with_for_update(skip_locked=True)))


def follow_report(session: Session, ticket: str, contact_id: int) -> Report | None:
    """Add a follower to a report (idempotent). None when the ticket is unknown."""
    report = session.scalar(select(Report).where(Report.ticket == ticket))
    if report is None:
        return None
    add_follower(session, report.id, contact_id)
    return report


def add_follower(session: Session, report_id: int, contact_id: int) -> None:
    """`follow_report` for a report the caller holds (one Core statement)."""
    connection = session.connection()
    connection.execute(_ADD_FOLLOWER[connection.dialect.name],
                       {"report_id": report_id, "contact_id": contact_id, "created_at": utcnow()})


_ADD_FOLLOWER = insert_ignoring_repeats(ReportFollower, ["report_id", "contact_id"], ReportFollower.id)




def is_following(session: Session, ticket: str, contact_id: int) -> bool:
    """Whether this contact follows the report (reported it, or joined it as a duplicate)."""
    return session.scalar(
        select(ReportFollower.id).join(Report, Report.id == ReportFollower.report_id)
        .where(Report.ticket == ticket, ReportFollower.contact_id == contact_id)
    ) is not None


def followers_of(session: Session, report_id: int) -> list[ContactIdentity]:
    """The contacts to tell of a report's changes, except those who asked never to be messaged."""
    return list(session.scalars(
        select(ContactIdentity).join(ReportFollower, ReportFollower.contact_id == ContactIdentity.id)
        .where(ReportFollower.report_id == report_id, ContactIdentity.stopped_at.is_(None))
        .order_by(ContactIdentity.id)
    ))
