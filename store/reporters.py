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
