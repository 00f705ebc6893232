"""Reporters and their contact identities, looked up by keyed hash, stored encrypted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from store import crypto
from store.db import Database
from store.models import ContactIdentity, Reporter
from store.types import utcnow


@dataclass(frozen=True)
class Contact:
    """A way to reach a citizen, as the channel adapter normalised it."""

    channel: str  # telegram | sms | email | x | open311
    address: str  # chat id, E.164 phone, email address, handle
    name: str | None = None
    language: str = "id"


def contact_hash(contact_channel: str, address: str) -> str:
    return crypto.active().lookup_hash(contact_channel, address)


def find_or_add_reporter(session: Session, contacts: list[Contact]) -> Reporter:
    """The reporter owning any of these contacts (created on first sight); unknown ones are added."""
    return _find_or_add(session, contacts)[0]


def find_or_add_contact(session: Session, contact: Contact) -> ContactIdentity:
    """The identity for one channel address (and its reporter), created on first contact."""
    return _find_or_add(session, [contact])[1][0]


def _find_or_add(session: Session, contacts: list[Contact]) -> tuple[Reporter, list[ContactIdentity]]:
    if not contacts:
        raise ValueError("a reporter needs at least one contact")
    found = [(contact, _identity(session, contact)) for contact in contacts]
    reporter = next((identity.reporter for _c, identity in found if identity is not None), None)
    first = contacts[0]
    if reporter is None:
        reporter = Reporter(name=first.name, language=first.language)
        session.add(reporter)
    elif first.name and not reporter.name:
        reporter.name = first.name
    identities = []
    for contact, identity in found:
        if identity is None:
            identity = ContactIdentity(
                reporter=reporter,
                channel=contact.channel,
                address=contact.address.strip(),
                address_hash=contact_hash(contact.channel, contact.address),
            )
            session.add(identity)
        identities.append(identity)
    session.flush()
    return reporter, identities


@dataclass
class Sender:
    """A citizen as the worker meets them on one channel: their contact identity, read and written in Core
    (`find_or_add_senders`, a batch's at once) instead of through ORM objects."""

    id: int  # the contact identity
    reporter_id: int
    address: str
    address_hash: str
    stopped_at: datetime | None
    language: str


_identities, _reporters = ContactIdentity.__table__, Reporter.__table__
_NAME_REPORTER = update(_reporters).where(_reporters.c.id == bindparam("reporter_id")).values(name=bindparam("name"))
_STOP_SENDER = update(_identities).where(_identities.c.id == bindparam("sender_id")).values(
    stopped_at=bindparam("stopped_at"), stop_reason=bindparam("stop_reason"))
_SPEAKS = update(_reporters).where(_reporters.c.id == bindparam("reporter_id")).values(language=bindparam("language"))


_SENDERS = (
    select(_identities.c.channel, _identities.c.address_hash, _identities.c.id, _identities.c.reporter_id,
           _identities.c.stopped_at, _reporters.c.language, _reporters.c.name.is_(None).label("nameless"))
    .join(_reporters, _reporters.c.id == _identities.c.reporter_id)
    .where(_identities.c.channel.in_(bindparam("channels", expanding=True)),  # with the hash: the unique index
           _identities.c.address_hash.in_(bindparam("digests", expanding=True)))
)
_ADD_REPORTERS = insert(_reporters).returning(_reporters.c.id, sort_by_parameter_order=True)
_ADD_IDENTITIES = insert(_identities).returning(_identities.c.id, sort_by_parameter_order=True)


def find_or_add_senders(session: Session, contacts: list[Contact]) -> dict[tuple[str, str], Sender]:
    """The senders of a batch of messages as the worker meets them, by (channel, address hash), added on first
    contact: those known read in one statement, the new ones added in two (their reporters, then their
    identities), whatever the batch's size."""
    wanted: dict[tuple[str, str], Contact] = {}
    for contact in contacts:  # a sender met twice: the name, should any of their messages give it
        key = (contact.channel, contact_hash(contact.channel, contact.address))
        if key not in wanted or (contact.name and not wanted[key].name):
            wanted[key] = contact
    if not wanted:
        return {}
    connection = session.connection()
    senders: dict[tuple[str, str], Sender] = {}
    for found in connection.execute(_SENDERS, {"channels": sorted({channel for channel, _ in wanted}),
                                               "digests": sorted({digest for _, digest in wanted})}):
        contact = wanted.get((found.channel, found.address_hash))
        if contact is None:
            continue
        if found.nameless and contact.name:
            connection.execute(_NAME_REPORTER, {"reporter_id": found.reporter_id, "name": contact.name})
        senders[(found.channel, found.address_hash)] = Sender(
            found.id, found.reporter_id, contact.address.strip(), found.address_hash, found.stopped_at, found.language)
    new = [(key, contact) for key, contact in wanted.items() if key not in senders]
    if new:
        now = utcnow()
        reporter_ids = connection.execute(_ADD_REPORTERS, [
            {"name": contact.name, "language": contact.language, "created_at": now} for _, contact in new]).scalars().all()
        sender_ids = connection.execute(_ADD_IDENTITIES, [
            {"reporter_id": reporter_id, "channel": contact.channel, "address": contact.address.strip(),
             "address_hash": digest, "created_at": now}
            for reporter_id, ((_, digest), contact) in zip(reporter_ids, new, strict=True)]).scalars().all()
        for sender_id, reporter_id, ((channel, digest), contact) in zip(sender_ids, reporter_ids, new, strict=True):
            senders[(channel, digest)] = Sender(sender_id, reporter_id, contact.address.strip(), digest, None,
                                                contact.language)
    return senders


def stop_sender(session: Session, sender: Sender, reason: str | None) -> None:
    """Never message this sender again (`reason` given), or again from now on (None)."""
    sender.stopped_at = utcnow() if reason else None
    session.connection().execute(_STOP_SENDER, {"sender_id": sender.id, "stopped_at": sender.stopped_at, "stop_reason": reason})


def note_language(session: Session, sender: Sender, language: str) -> None:
    """The language the sender writes in, kept for their reporter (only a change is written)."""
    if language != sender.language:
        sender.language = language
        session.connection().execute(_SPEAKS, {"reporter_id": sender.reporter_id, "language": language})


# Built once: the worker runs this for every inbound message.
_IDENTITY_BY_HASH = select(ContactIdentity).where(
    ContactIdentity.channel == bindparam("channel"), ContactIdentity.address_hash == bindparam("digest")
)


def _identity(session: Session, contact: Contact) -> ContactIdentity | None:
    digest = contact_hash(contact.channel, contact.address)
    return session.scalar(_IDENTITY_BY_HASH, {"channel": contact.channel, "digest": digest})


def find_identity(db: Database, channel: str, address: str) -> ContactIdentity | None:
    with db.transaction() as session:
        return _identity(session, Contact(channel, address))


class RevealRefused(ValueError):
    """No identity to reveal: the report is unknown, public, or has no reporter. `reason` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # unknown | not_confidential | no_reporter


@dataclass(frozen=True)
class RevealedIdentity:
    ticket: str
    name: str | None
    contacts: tuple[tuple[str, str], ...]  # (channel, address)


def reveal_identity(db: Database, ticket: str, *, actor_role: str, actor_id: str, reason: str) -> RevealedIdentity:
    """A confidential reporter's name and contacts, decrypted — and, in the same transaction, the audit entry
    saying who read them and why: no reveal without its entry, no entry for a reveal that did not happen."""
    from store.audit import add_audit_entry
    from store.models import Report

    with db.transaction() as session:
        report = session.scalar(select(Report).where(Report.ticket == ticket))
        if report is None:
            raise RevealRefused("unknown")
        if not report.confidential:
            raise RevealRefused("not_confidential")
        if report.reporter_id is None:
            raise RevealRefused("no_reporter")
        add_audit_entry(session, actor_role=actor_role, actor_id=actor_id, action="reveal_identity",
                        target_type="report", target_id=ticket, reason=reason)
        reporter = session.get(Reporter, report.reporter_id)
        identities = session.scalars(
            select(ContactIdentity).where(ContactIdentity.reporter_id == reporter.id).order_by(ContactIdentity.id)
        )
        return RevealedIdentity(ticket, reporter.name, tuple((i.channel, i.address) for i in identities))


def reporters_rating(db: Database, ticket: str, reporter_id: int | None):
    """The rating a report's reporter (or, for a report without one, its anonymous rater) gave it, if any."""
    from store.models import Rating, Report

    same_rater = Rating.reporter_id.is_(None) if reporter_id is None else Rating.reporter_id == reporter_id
    with db.transaction() as session:
        return session.scalar(select(Rating).join(Report, Report.id == Rating.report_id)
                              .where(Report.ticket == ticket, same_rater))


def known_names(db: Database, reporter_id: int | None) -> tuple[str, ...]:
    """The reporter's name, decrypted only so it can be redacted out of what they write (never shown)."""
    if reporter_id is None:
        return ()
    with db.transaction() as session:
        reporter = session.get(Reporter, reporter_id)
        return (reporter.name.strip(),) if reporter is not None and reporter.name and reporter.name.strip() else ()
