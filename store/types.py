"""Column types: UTC-aware timestamps on every database, and transparently encrypted text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Text
from sqlalchemy.types import TypeDecorator

from store import crypto


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes as UTC; SQLite drops the zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use an aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EncryptedText(TypeDecorator):
    """Personal data: only a Fernet token ever reaches the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else crypto.active().encrypt(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else crypto.active().decrypt(value)


class EncryptedJSON(TypeDecorator):
    """A JSON document (e.g. a raw provider payload) sealed like EncryptedText."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return crypto.active().encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(crypto.active().decrypt(value))


def utcnow() -> datetime:
    return datetime.now(UTC)
