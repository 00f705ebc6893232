"""Conversation state per channel + sender, and who follows which report."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from store.models import ContactIdentity, Conversation, Report, ReportFollower
from store.types import utcnow

# Built once: the worker runs this for every inbound message.
_CONVERSATION_OF_SENDER = select(Conversation).where(
    Conversation.channel == bindparam("channel"), Conversation.sender_hash == bindparam("digest")
).with_for_update()


def load_conversation(session: Session, channel: str, sender_hash: str, contact_id: int | None) -> Conversation:
    """The sender's conversation, locked for this transaction (created empty on first contact)."""
    conversation = session.scalar(_CONVERSATION_OF_SENDER, {"channel": channel, "digest": sender_hash})
    if conversation is None:
        conversation = Conversation(channel=channel, sender_hash=sender_hash, contact_id=contact_id, state={})
        session.add(conversation)
        session.flush()
    return conversation


def save_conversation(session: Session, conversation: Conversation, state: dict) -> None:
    conversation.state = state
    conversation.updated_at = utcnow()


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
    insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert
    session.execute(
        insert(ReportFollower)
        .values(report_id=report.id, contact_id=contact_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["report_id", "contact_id"])
    )
    return report




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
