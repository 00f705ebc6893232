"""The triage queue: messages that are not clearly reports (X mentions the normalizer did not take
for one), for the social-media team to turn into a report or dismiss with one click.

An item is decided once: `convert_triage_item` and `dismiss_triage_item` lock it, refuse one that
is no longer pending, and record who decided and when. The report itself is made by the caller's
`make_report` (intake lives in gateway/), inside the same transaction as the decision.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from store.db import Database, insert_ignoring_repeats
from store.models import ContactIdentity, Report, TriageItem
from store.reports import Actor
from store.types import utcnow

PENDING, CONVERTED, DISMISSED = "pending", "converted", "dismissed"


class TriageError(Exception):
    """The item is unknown or was already decided."""


_ADD = insert_ignoring_repeats(TriageItem, ["channel", "provider_message_id"], TriageItem.id)


def add_triage_item(session: Session, *, channel: str, provider_message_id: str, text: str,
                    contact_id: int | None = None, latitude: float | None = None, longitude: float | None = None) -> bool:
    """Queue a message once per channel + provider id; False when it was queued already."""
    values = dict(channel=channel, provider_message_id=provider_message_id, contact_id=contact_id,
                  text=text, latitude=latitude, longitude=longitude,
                  status=PENDING, created_at=utcnow())
    return session.execute(_ADD[session.get_bind().dialect.name], values).scalar_one_or_none() is not None


def pending_triage(db: Database, limit: int = 100) -> list[TriageItem]:
    """The oldest undecided items first, each with its contact."""
    with db.transaction() as session:
        statement = (select(TriageItem).where(TriageItem.status == PENDING).options(joinedload(TriageItem.contact))
                     .order_by(TriageItem.created_at, TriageItem.id).limit(limit))
        return list(session.scalars(statement))


def pending_triage_with_authors(db: Database, limit: int = 100) -> tuple[list[TriageItem], int]:
    """The oldest undecided items first, each with its contact and reporter loaded (their names are
    needed to redact the text, never to show them), and how many are pending in all."""
    with db.transaction() as session:
        statement = (select(TriageItem).where(TriageItem.status == PENDING)
                     .options(joinedload(TriageItem.contact).joinedload(ContactIdentity.reporter))
                     .order_by(TriageItem.created_at, TriageItem.id).limit(limit))
        items = list(session.scalars(statement).unique())
        total = session.scalar(select(func.count(TriageItem.id)).where(TriageItem.status == PENDING)) or 0
        return items, total


def convert_triage_item(db: Database, item_id: int, actor: Actor,
                        make_report: Callable[[Session, TriageItem], Report]) -> Report:
    """Turn a pending item into the report `make_report` creates, linked to it, in one transaction."""
    with db.transaction() as session:
        item = _pending(session, item_id)
        report = make_report(session, item)
        item.report_id = report.id
        _decide(item, CONVERTED, actor)
        return report


def dismiss_triage_item(db: Database, item_id: int, actor: Actor) -> None:
    with db.transaction() as session:
        _decide(_pending(session, item_id), DISMISSED, actor)


def _pending(session: Session, item_id: int) -> TriageItem:
    item = session.get(TriageItem, item_id, with_for_update=True)  # its contact loads on use (no outer join locked)
    if item is None:
        raise TriageError(f"no triage item {item_id}")
    if item.status != PENDING:
        raise TriageError(f"triage item {item_id} is {item.status} already")
    return item


def _decide(item: TriageItem, status: str, actor: Actor) -> None:
    item.status, item.decided_at = status, utcnow()
    item.decided_by = f"{actor.role}:{actor.id}" if actor.id else actor.role
