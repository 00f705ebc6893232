"""Units: the administrative areas and the city's services that receive reports."""

from __future__ import annotations

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
    """Insert or update units by code; running it twice changes nothing."""
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
            elif any(getattr(unit, key) != value for key, value in values.items()):
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
