"""Reporters and their contact identities, looked up by keyed hash, stored encrypted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from store import crypto
from store.db import Database
from store.models import ContactIdentity, Reporter


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
