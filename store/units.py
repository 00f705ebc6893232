"""Units: the administrative areas and the city's services that receive reports."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.db import Database, unit_of_work
from store.models import Unit


@dataclass(frozen=True)
class UnitSpec:
    code: str
    kind: str
    name: str
    parent_code: str | None = None
    kota_code: str | None = None
    kecamatan_code: str | None = None
    contacts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int


def import_units(db: Database, specs: list[UnitSpec]) -> ImportResult:
    """Insert or update units by code; running it twice changes nothing. A new unit takes the spec's contacts;
    an existing one keeps its own (admins edit them in the console)."""
    created = updated = unchanged = 0
    with db.transaction() as session:
        existing = {u.code: u for u in session.scalars(select(Unit))}
        for spec in specs:
            unit = existing.get(spec.code)
            values = {
                "kind": spec.kind,
                "name": spec.name,
                "parent_code": spec.parent_code,
                "kota_code": spec.kota_code,
                "kecamatan_code": spec.kecamatan_code,
                "contacts": dict(spec.contacts),
                "active": True,
            }
            if unit is None:
                session.add(Unit(code=spec.code, **values))
                created += 1
                continue
            values.pop("contacts")  # the console edits a unit's contact points: a re-import keeps them
            if any(getattr(unit, key) != value for key, value in values.items()):
                for key, value in values.items():
                    setattr(unit, key, value)
                updated += 1
            else:
                unchanged += 1
    return ImportResult(created, updated, unchanged)


def count_units(db: Database, kind: str | None = None) -> int:
    with db.transaction() as session:
        query = select(func.count()).select_from(Unit)
        if kind:
            query = query.where(Unit.kind == kind)
        return session.scalar(query) or 0


def get_unit(target: Database | Session, code: str) -> Unit | None:
    with unit_of_work(target) as session:
        return session.scalar(select(Unit).where(Unit.code == code))


CONTACT_KINDS = ("telegram_chats", "emails")
_TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$")  # a user id, a group (-…) or a supergroup/channel (-100…)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


class UnitError(ValueError):
    """Contact points that cannot be saved as given; the message names the bad value."""


def list_units(db: Database, *, text: str | None = None, kind: str | None = None, limit: int = 200) -> list[Unit]:
    """Units by kind then code; `text` matches the code or the name (any case)."""
    query = select(Unit).order_by(Unit.kind, Unit.code).limit(limit)
    if kind:
        query = query.where(Unit.kind == kind)
    if text and text.strip():
        pattern = f"%{text.strip().lower()}%"
        query = query.where(func.lower(Unit.name).like(pattern) | func.lower(Unit.code).like(pattern))
    with db.transaction() as session:
        return list(session.scalars(query))


def clean_contacts(telegram_chats: list[str], emails: list[str]) -> dict[str, list[str]]:
    """Stripped, checked and without repeats; raises UnitError on the first malformed value."""
    chats = _unique(c.strip() for c in telegram_chats if c.strip())
    mails = _unique(e.strip().lower() for e in emails if e.strip())
    for chat in chats:
        if not _TELEGRAM_CHAT.match(chat):
            raise UnitError(f"not a Telegram chat id: {chat!r}")
    for mail in mails:
        if len(mail) > 254 or not _EMAIL.match(mail):
            raise UnitError(f"not an e-mail address: {mail!r}")
    return {"telegram_chats": chats, "emails": mails}


def update_unit_contacts(db: Database, code: str, *, telegram_chats: list[str], emails: list[str]) -> Unit:
    contacts = clean_contacts(telegram_chats, emails)
    with db.transaction() as session:
        unit = session.scalar(select(Unit).where(Unit.code == code).with_for_update())
        if unit is None:
            raise UnitError(f"no unit with code {code!r}")
        unit.contacts = contacts
        return unit


def stored_contacts(target: Database | Session) -> dict[str, dict[str, Any]]:
    """Every unit's contact points kept in the database (edited in the console), by unit code."""
    with unit_of_work(target) as session:
        return {code: contacts for code, contacts in session.execute(select(Unit.code, Unit.contacts)) if contacts}


def _unique(values) -> list[str]:
    return list(dict.fromkeys(values))
