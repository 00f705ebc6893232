"""Engine, sessions and migrations. Every store function runs in one `transaction()`.

The worker's hot statements are Core, run on the session's connection (`session.connection().execute`): no ORM
execution step and no autoflush. They never read or refer to ORM objects of the same transaction that are not yet
flushed (what they insert refers to rows already written), and the commit flushes the rest."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, Insert, bindparam, create_engine, event, inspect, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from store import crypto
from store.types import utcnow

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str | URL) -> URL:
    """`postgresql://` and `postgres://` mean psycopg 3; relative SQLite files get their folder."""
    parsed = make_url(str(url).replace("postgres://", "postgresql://", 1) if isinstance(url, str) else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed


class Database:
    def __init__(self, url: str | URL, keyring: crypto.Keyring, attachments_dir: Path = Path("var/attachments")):
        self.url = normalise_url(url)
        self.keyring = keyring
        self.attachments_dir = Path(attachments_dir)
        crypto.activate(keyring)
        self.engine: Engine = _create_engine(self.url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer, and every transaction here begins as one (BEGIN IMMEDIATE). Threads of
        # this process queue on a lock instead of SQLite's busy handler, which sleeps and retries (up to
        # 100 ms a turn) and let a busy worker starve the webhooks. Other processes still meet the busy
        # handler; PostgreSQL needs none of it.
        self._writer = threading.RLock() if self.dialect == "sqlite" else nullcontext()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back whole on any error."""
        with self._writer, self._sessions.begin() as session:
            yield session

    @contextmanager
    def core(self) -> Iterator[Connection]:
        """A unit of work of Core statements alone: a Connection in one transaction, no ORM Session around it (about
        0.1 ms less a transaction on the hot paths: webhooks, claims, send outcomes)."""
        with self._writer, self.engine.begin() as connection:
            yield connection

    def migrate(self) -> None:
        """Apply every Alembic migration not yet applied (`init-db`)."""
        with self.engine.begin() as connection:
            config = AlembicConfig()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def is_migrated(self) -> bool:
        return inspect(self.engine).has_table("alembic_version")

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # any failure means "not up"; the caller reports 503
            return False

    def dispose(self) -> None:
        self.engine.dispose()


def connection_of(target: Session | Connection) -> Connection:
    """The Connection Core statements run on: the session's, or the one given (`Database.core`)."""
    return target.connection() if isinstance(target, Session) else target


@contextmanager
def unit_of_work(target: Database | Session) -> Iterator[Session]:
    """A transaction of its own for a Database, or the caller's when handed a Session."""
    if isinstance(target, Session):
        yield target
    else:
        with target.transaction() as session:
            yield session


def claim_statements(build) -> dict[tuple[bool, bool], Any]:
    """The claim statements, built once (building one costs more than running it): `build(some_channels,
    lease_ran_out)` selects a table's columns and binds `:now`, `:limit` and, when asked, `:channels`. Rows whose
    lease ran out and fresh rows are claimed by two statements, so that each walks its own index in order and stops
    at `limit` (one statement with an OR of both read every waiting row, behind a backlog)."""
    return {(some, ran_out): build(some, ran_out) for some in (False, True) for ran_out in (False, True)}


@dataclass(frozen=True)
class Claimed:
    """A claimed inbox or outbox row, as read (Core, no ORM object), after its lease was taken: every column as an
    attribute (`status`, `claimed_until` and `attempts` as the claim set them). `reclaimed`: it was already in the
    claimed status, its lease run out (the worker holding it died)."""

    values: dict[str, Any]
    reclaimed: bool

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def claim_rows(db: Database, statements: dict[tuple[bool, bool], Any], table, status: str, lease: timedelta,
               limit: int, channels: tuple[str, ...] | None = None) -> list[Claimed]:
    """Run the `FOR UPDATE SKIP LOCKED` claims of `table`'s rows (of `claim_statements`: those whose lease ran out
    first, they are the oldest work, then fresh ones) and lease what they found: status, lease end, one more
    attempt."""
    now = utcnow()
    params = {"now": now, "limit": limit} | ({"channels": list(channels)} if channels is not None else {})
    some = channels is not None
    with db.core() as connection:
        rows = list(connection.execute(statements[(some, True)], params).mappings())
        if len(rows) < limit:
            rows += connection.execute(statements[(some, False)], params | {"limit": limit - len(rows)}).mappings()
        if not rows:
            return []
        until = now + lease
        connection.execute(_lease_statement(table), {"ids": [row["id"] for row in rows], "status": status,
                                                     "until": until})
    return [Claimed(dict(row) | {"status": status, "claimed_until": until, "attempts": row["attempts"] + 1},
                    reclaimed=row["status"] == status) for row in rows]


@functools.cache
def _lease_statement(table):
    """The claim's UPDATE of a table, built once (building one costs about as much as running it)."""
    return (update(table).where(table.c.id.in_(bindparam("ids", expanding=True)))
            .values(status=bindparam("status"), claimed_until=bindparam("until"), attempts=table.c.attempts + 1))


def insert_ignoring_repeats(model, unique_columns: list[str], returning) -> dict[str, Insert]:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING`, built once per dialect (for hot paths): execute
    `[db.dialect]` with the row's values; no row comes back when it existed already."""
    table = model.__table__  # the table, not the mapped class: a plain Core INSERT, not the ORM's bulk insert
    return {
        name: dialect.insert(table).on_conflict_do_nothing(index_elements=unique_columns).returning(table.c[returning.key])
        for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
    }


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        # No ping before every transaction (a round trip each): a connection the server dropped fails its one
        # transaction, and that error makes the pool let go of every connection opened before it (SQLAlchemy's
        # optimistic disconnect handling); the message is retried, the webhook refused with a 5xx and posted again.
        return create_engine(url, pool_size=10, max_overflow=10)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin_immediate(connection):
        # One writer at a time, decided at BEGIN: no lock upgrades failing half-way.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
