"""Idle workers are woken by a new inbox row on PostgreSQL (LISTEN/NOTIFY); on SQLite they poll."""

import threading
import time

import pytest

from store.inbox import record_inbound
from store.wakeups import InboxWakeups

pytestmark = pytest.mark.sql_dialects


def test_a_recorded_message_wakes_a_waiting_worker_at_once_on_postgresql(db):
    wakeups = InboxWakeups(db)
    timeout = 5 if db.dialect == "postgresql" else 0.5
    try:
        woken = {}

        def wait():
            started = time.monotonic()
            woken["by_message"] = wakeups.wait(timeout=timeout)
            woken["after"] = time.monotonic() - started

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.2)
        record_inbound(db, "sms", "SM-wake", {"Body": "halo"}, "sender")
        waiter.join(timeout=10)
        if db.dialect == "postgresql":
            assert woken["by_message"] is True and woken["after"] < 2, "woken by the new row, not the timeout"
            assert wakeups.wait(timeout=0.2) is False, "one message, one wake-up"
            record_inbound(db, "sms", "SM-wake", {"Body": "halo"}, "sender")
            assert wakeups.wait(timeout=0.2) is False, "a repeated delivery stores nothing and wakes nobody"
        else:
            assert woken["by_message"] is False and woken["after"] >= timeout, "SQLite: the worker polls"
    finally:
        wakeups.close()


def test_a_webhooks_message_is_stored_once_and_wakes_a_worker_only_when_new(db):
    """`record_entries`, a webhook's one statement: the message stored exactly once, encrypted like any other, and
    on PostgreSQL a waiting worker woken by the new message only."""
    from bots.base import InboxEntry
    from store.inbox import record_entries, unfinished_from_sender
    from store.models import InboundMessage
    from store.reporters import contact_hash

    wakeups = InboxWakeups(db)
    try:
        entry = InboxEntry("SM-one", {"From": "+62811", "Body": "jalan rusak"}, "+62811")
        assert record_entries(db, "sms", [entry]) == 1
        if db.dialect == "postgresql":
            assert wakeups.wait(timeout=5) is True, "the new message woke the worker"
        assert record_entries(db, "sms", [entry]) == 0, "a repeated delivery is stored once"
        if db.dialect == "postgresql":
            assert wakeups.wait(timeout=0.5) is False, "the repeat woke nobody"
        assert unfinished_from_sender(db, "sms", contact_hash("sms", "+62811")) == 1
        with db.transaction() as session:
            [stored] = session.query(InboundMessage).all()
            assert stored.payload == entry.payload and stored.status == "pending"
            raw = session.connection().exec_driver_sql("SELECT payload FROM inbound_messages").scalar_one()
            assert "jalan rusak" not in str(raw), "encrypted at rest"
    finally:
        wakeups.close()


def test_a_lost_listen_connection_is_opened_again(db):
    if db.dialect != "postgresql":
        pytest.skip("SQLite polls: no connection to lose")
    wakeups = InboxWakeups(db)
    try:
        wakeups._connection.connection.dbapi_connection.close()  # as a database restart would
        assert wakeups.wait(timeout=0.1) is False, "polls instead of failing"
        record_inbound(db, "sms", "SM-after-restart", {"Body": "halo"}, "sender")
        assert wakeups.wait(timeout=0.1) is False  # listening again from here on
        record_inbound(db, "sms", "SM-after-restart-2", {"Body": "halo"}, "sender")
        assert wakeups.wait(timeout=5) is True
    finally:
        wakeups.close()


def _drop_pooled_connections(db, count: int = 3) -> None:
    """As a database restart would: the pooled connections are terminated by the server, those of transactions and
    those of single statements (`Database.statement`)."""
    import contextlib

    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    with contextlib.ExitStack() as stack:
        connections = [db.engine.connect() for _ in range(count)]
        connections += [stack.enter_context(db.statement()) for _ in range(count)]
        for connection in connections:
            connection.execute(text("SELECT 1"))
        pids = [connection.connection.dbapi_connection.info.backend_pid for connection in connections]
        for connection in connections[:count]:
            connection.close()
    outside = create_engine(db.url, poolclass=NullPool)  # the administrator, not one of the pool's connections
    with outside.connect() as admin:
        for pid in pids:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    outside.dispose()


def test_after_the_database_drops_every_connection_one_transaction_fails_and_the_next_works(db):
    """No ping before each transaction: a restart costs one failed transaction, not one per pooled connection."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite: no server to lose")
    from sqlalchemy.exc import DBAPIError

    _drop_pooled_connections(db)
    failures = 0
    for number in range(4):
        try:
            record_inbound(db, "sms", f"SM-restart-{number}", {"Body": "halo"}, "sender")
        except DBAPIError as error:
            assert error.connection_invalidated
            failures += 1
    assert failures <= 1, "the first failure let go of every dropped connection"


def test_a_webhooks_message_is_stored_through_a_dropped_connection(db):
    """A webhook's one statement is tried once more on a fresh connection: a restart costs the provider no retry."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite: no server to lose")
    from bots.base import InboxEntry
    from store.inbox import record_entries

    _drop_pooled_connections(db)
    assert record_entries(db, "sms", [InboxEntry("SM-after-drop", {"Body": "halo"}, "+62811")]) == 1
    assert record_entries(db, "sms", [InboxEntry("SM-after-drop", {"Body": "halo"}, "+62811")]) == 0


def test_a_send_outcome_is_recorded_through_a_dropped_connection(db):
    """The provider has the message: its outcome is recorded on a fresh connection, not lost (and sent again)."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite: no server to lose")

    from sqlalchemy import select

    from store.models import OutboundMessage
    from store.outbox import SendResult, claim_due_outbound, queue_outbound, record_results

    with db.transaction() as session:
        queue_outbound(session, channel="sms", recipient="+62811", body="halo", idempotency_key="dropped")
    [claimed] = claim_due_outbound(db)
    _drop_pooled_connections(db)
    record_results(db, [SendResult(claimed.id, "SM-dropped")])
    with db.statement() as connection:  # the pool the outcome went through, fresh again
        row = connection.execute(select(OutboundMessage.status, OutboundMessage.provider_message_id)
                                 .where(OutboundMessage.id == claimed.id)).one()
        assert tuple(row) == ("sent", "SM-dropped")
