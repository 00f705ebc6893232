"""Engine, sessions and migrations. Every store function runs in one `transaction()`.

The worker's hot statements are Core, run on the session's connection (`session.connection().execute`): no ORM
execution step and no autoflush. They never read or refer to ORM objects of the same transaction that are not yet
flushed (what they insert refers to rows already written), and the commit flushes the rest."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Connection,
    Engine,
    Insert,
    Select,
    Update,
    bindparam,
    create_engine,
    event,
    inspect,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from store import crypto
from store.types import utcnow

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def normalise_url(url: str | URL) -> URL:
    """`postgresql://` and `postgres://` mean psycopg 3; relative SQLite files get their folder."""
    parsed = make_url(str(url).replace("postgres://", "postgresql://", 1) if isinstance(url, str) else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and not _in_memory(parsed):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return parsed


def _in_memory(url: URL) -> bool:
    """An SQLite database in memory: one per connection pool, never shared with another engine."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


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
        # Single statements (`statement()`) run on a pool of their own, in autocommit from the start (not for an
        # SQLite database in memory: a second engine would open a second database)
        self._autocommit = (None if _in_memory(self.url)
                            else _create_engine(self.url, isolation_level="AUTOCOMMIT", pool_size=4))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back whole on any error."""
        with self._writer, self._sessions.begin() as session:
            yield session

    @contextmanager
    def statement(self, rows: int = 1) -> Iterator[Connection]:
        """For one statement that is a whole unit of work (a claim, a webhook's message, a count): a connection in
        autocommit, so the statement is its own transaction without a BEGIN and a COMMIT (on PostgreSQL two round
        trips; on SQLite about 0.1 ms). On SQLite a statement run for several `rows` (an executemany) is one
        `core()` transaction instead: in autocommit SQLite would commit, and sync to disk, every row. Read what a
        statement returns to its end (`all()`, not `first()`) inside the block: SQLite commits when the statement
        finishes; one left unfinished keeps the write lock, and an error in the commit its reset does is lost."""
        if self._autocommit is None or (rows > 1 and self.dialect == "sqlite"):
            with self.core() as connection:
                yield connection
        else:
            with self._writer, self._autocommit.connect() as connection:
                yield connection

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
        if self._autocommit is not None:
            self._autocommit.dispose()


def again_if_dropped(work: Callable[[], T]) -> T:
    """`work()`, done once more when the database dropped its connection (a restart): the pool has let go of the
    dropped ones by then, so the second try gets a fresh one. Only for work that is the same done twice."""
    try:
        return work()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        return work()


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


@dataclass(frozen=True)
class ClaimStatements:
    """A table's claim statements (`claim_statements`), built once: building one costs more than running it."""

    selects: dict[tuple[bool, bool], Select]  # (some channels, lease ran out) → the rows SQLite claims
    lease: Update  # SQLite: the lease taken on the rows those found
    in_one: dict[bool, Update]  # some channels → PostgreSQL's whole claim in one statement (`_claim_in_one`)


def claim_statements(build, table) -> ClaimStatements:
    """The claim statements of `table`: `build(some_channels, lease_ran_out)` selects the table's columns and binds
    `:now`, `:limit` and, when asked, `:channels`. Rows whose lease ran out and fresh rows are found by two SELECTs,
    so that each walks its own index in order and stops at `limit` (one SELECT with an OR of both read every
    waiting row, behind a backlog). On PostgreSQL both go in the one statement that leases what they found; SQLite
    runs them, then the lease's UPDATE."""
    selects = {(some, ran_out): build(some, ran_out) for some in (False, True) for ran_out in (False, True)}
    lease = (update(table).where(table.c.id.in_(bindparam("ids", expanding=True)))
             .values(status=bindparam("status"), claimed_until=bindparam("until"), attempts=table.c.attempts + 1))
    return ClaimStatements(selects, lease, {some: _claim_in_one(table, selects[(some, True)], selects[(some, False)])
                                            for some in (False, True)})


def _claim_in_one(table, ran_out: Select, fresh: Select) -> Update:
    """PostgreSQL's claim in one statement, its own transaction (one round trip instead of five): the rows whose
    lease ran out, then fresh ones, up to `:limit` in all (a CTE is read only as far as the UPDATE asks), locked as
    they are read and skipped when another claim holds them; each leased, and returned with the status it had."""
    def found(select_: Select, name: str):
        return select_.with_only_columns(table.c.id, table.c.status.label("was")).cte(name)

    expired, waiting = found(ran_out, "ran_out"), found(fresh, "fresh")
    picked = union_all(select(expired), select(waiting)).limit(bindparam("limit")).cte("picked")
    return (update(table).where(table.c.id == picked.c.id)
            .values(status=bindparam("status"), claimed_until=bindparam("until"), attempts=table.c.attempts + 1)
            .returning(*table.c, picked.c.was))


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


def claim_rows(db: Database, statements: ClaimStatements, status: str, lease: timedelta, limit: int,
               channels: tuple[str, ...] | None = None) -> list[Claimed]:
    """Claim a table's rows by its `claim_statements` (`FOR UPDATE SKIP LOCKED`: those whose lease ran out first,
    they are the oldest work, then fresh ones) and lease what they found: status, lease end, one more attempt."""
    now = utcnow()
    until, some = now + lease, channels is not None
    params = {"now": now, "limit": limit} | ({"channels": list(channels)} if some else {})
    if db.dialect == "postgresql":
        with db.statement() as connection:
            rows = connection.execute(statements.in_one[some], params | {"status": status, "until": until}).mappings()
            rows = sorted(rows, key=lambda row: (row["was"] != status, row["id"]))  # as SQLite's: ran out first
        return [Claimed({key: value for key, value in row.items() if key != "was"}, reclaimed=row["was"] == status)
                for row in rows]
    with db.core() as connection:
        rows = list(connection.execute(statements.selects[(some, True)], params).mappings())
        if len(rows) < limit:
            rows += connection.execute(statements.selects[(some, False)],
                                       params | {"limit": limit - len(rows)}).mappings()
        if not rows:
            return []
        connection.execute(statements.lease, {"ids": [row["id"] for row in rows], "status": status, "until": until})
    return [Claimed(dict(row) | {"status": status, "claimed_until": until, "attempts": row["attempts"] + 1},
                    reclaimed=row["status"] == status) for row in rows]


def insert_ignoring_repeats(model, unique_columns: list[str], returning) -> dict[str, Insert]:
    """`INSERT … ON CONFLICT DO NOTHING RETURNING`, built once per dialect (for hot paths): execute
    `[db.dialect]` with the row's values; no row comes back when it existed already."""
    table = model.__table__  # the table, not the mapped class: a plain Core INSERT, not the ORM's bulk insert
    return {
        name: dialect.insert(table).on_conflict_do_nothing(index_elements=unique_columns).returning(table.c[returning.key])
        for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
    }


def _create_engine(url: URL, **options) -> Engine:
    if url.get_backend_name() != "sqlite":
        # No ping before every transaction (a round trip each): a connection the server dropped fails its one
        # transaction, and that error makes the pool let go of every connection opened before it (SQLAlchemy's
        # optimistic disconnect handling); the message is retried, the webhook refused with a 5xx and posted again.
        return create_engine(url, **({"pool_size": 10, "max_overflow": 10} | options))
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **options)

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not _in_memory(url):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    if options.get("isolation_level") == "AUTOCOMMIT":
        return engine  # each statement its own transaction (`Database.statement`)

    @event.listens_for(engine, "begin")
    def _sqlite_begin_immediate(connection):
        # One writer at a time, decided at BEGIN: no lock upgrades failing half-way.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
