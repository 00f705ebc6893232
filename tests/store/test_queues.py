"""The inbox and the outbox: exactly-once recording, ordered and exclusive claims, leases, retries."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from store.inbox import claim_inbound, fail_inbound, finish_inbound, record_inbound
from store.models import ContactIdentity, InboundMessage, OutboundMessage
from store.outbox import (
    backoff,
    claim_due_outbound,
    mark_failed,
    mark_sent,
    queue_outbound,
    record_delivery,
    schedule_retry,
)
from store.reporters import Contact, find_or_add_reporter
from store.types import utcnow

pytestmark = pytest.mark.sql_dialects


def test_a_repeated_delivery_is_recorded_once(db):
    assert record_inbound(db, "telegram", "1001", {"update_id": 1001, "text": "halo"}, "s1") is True
    assert record_inbound(db, "telegram", "1001", {"update_id": 1001, "text": "halo"}, "s1") is False
    assert record_inbound(db, "sms", "1001", {"MessageSid": "1001"}, "s2") is True, "ids are unique per channel"
    with db.transaction() as session:
        assert len(session.scalars(select(InboundMessage)).all()) == 2


def test_one_senders_messages_are_claimed_in_order(db):
    for n, sender in enumerate(["a", "a", "b", "a"]):
        record_inbound(db, "sms", f"m{n}", {"n": n}, sender)
    first = claim_inbound(db)
    assert [m.provider_message_id for m in first] == ["m0", "m2"], "one message per sender at a time"
    assert claim_inbound(db) == []
    with db.transaction() as session:
        finish_inbound(session, [first[0].id])
    assert [m.provider_message_id for m in claim_inbound(db)] == ["m1"]


def test_an_expired_lease_is_claimed_again_and_failures_are_kept(db):
    record_inbound(db, "sms", "x", {"Body": "rusak"}, "s")
    [message] = claim_inbound(db, lease=timedelta(seconds=-1))
    [again] = claim_inbound(db)
    assert again.id == message.id and again.attempts == 2
    for _ in range(3):
        fail_inbound(db, again.id, "normalizer crashed")
        claim_inbound(db)
    fail_inbound(db, again.id, "normalizer crashed")
    with db.transaction() as session:
        stored = session.get(InboundMessage, again.id)
        assert (stored.status, stored.attempts, stored.error) == ("failed", 5, "normalizer crashed")
        assert stored.payload == {"Body": "rusak"}, "nothing is lost"


def test_a_claim_takes_the_messages_whose_lease_ran_out_first_and_says_so(db):
    with db.transaction() as session:
        for n in range(3):
            queue_outbound(session, channel="telegram", recipient=str(n), body="hai", idempotency_key=f"o{n}")
    [abandoned] = claim_due_outbound(db, limit=1, lease=timedelta(seconds=-1))  # its sender died mid-send
    assert abandoned.reclaimed is False and abandoned.attempts == 1
    claimed = claim_due_outbound(db, limit=2)
    assert [(m.id, m.reclaimed, m.status, m.attempts) for m in claimed] == [
        (abandoned.id, True, "sending", 2), (abandoned.id + 1, False, "sending", 1)], "ran out first, within the limit"
    assert all(m.claimed_until > utcnow() for m in claimed)
    [last] = claim_due_outbound(db, limit=5)
    assert (last.id, last.reclaimed) == (abandoned.id + 2, False)
    assert claim_due_outbound(db) == []


def test_queueing_is_idempotent_per_key(db):
    with db.transaction() as session:
        assert queue_outbound(session, channel="sms", recipient="+62811", body="Tiket JKT-1", idempotency_key="r1:e1:c1")
        assert not queue_outbound(session, channel="sms", recipient="+62811", body="Tiket JKT-1", idempotency_key="r1:e1:c1")
    with db.transaction() as session:
        assert len(session.scalars(select(OutboundMessage)).all()) == 1


def test_two_workers_never_claim_the_same_message(db):
    with db.transaction() as session:
        for n in range(60):
            queue_outbound(session, channel="telegram", recipient=str(n), body="hai", idempotency_key=f"k{n}")
    claimed, errors = [], []

    def work():
        try:
            while batch := claim_due_outbound(db, limit=7):
                claimed.extend(m.id for m in batch)
        except Exception as error:  # surfaced below
            errors.append(error)

    workers = [threading.Thread(target=work) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(claimed) == 60 and len(set(claimed)) == 60


def test_retry_backoff_provider_wait_and_giving_up(db):
    with db.transaction() as session:
        queue_outbound(session, channel="telegram", recipient="42", body="hai", idempotency_key="k")
    [message] = claim_due_outbound(db)
    retried = schedule_retry(db, message.id, "429 Too Many Requests", retry_after=30)
    assert retried.status == "pending" and retried.next_attempt_at > utcnow() + timedelta(seconds=25)
    assert claim_due_outbound(db) == [], "not due yet"
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 12)] == [5, 10, 20, 30], "half a minute at most"
    with db.transaction() as session:
        row = session.get(OutboundMessage, message.id)
        row.next_attempt_at, row.attempts = utcnow(), 40
    [again] = claim_due_outbound(db)
    assert schedule_retry(db, again.id, "500").status == "pending", "an outage spends no attempt budget"
    with db.transaction() as session:
        row = session.get(OutboundMessage, message.id)
        row.next_attempt_at, row.created_at = utcnow(), utcnow() - timedelta(hours=25)
    [late] = claim_due_outbound(db)
    assert schedule_retry(db, late.id, "500").status == "failed", "given up only a day after it was queued"


def test_retry_after_is_a_minimum_and_repeated_refusals_back_off_beyond_it(db):
    with db.transaction() as session:
        queue_outbound(session, channel="telegram", recipient="43", body="hai", idempotency_key="k2")
    waits = []
    for _ in range(4):
        with db.transaction() as session:
            session.get(OutboundMessage, session.scalar(select(OutboundMessage.id))).next_attempt_at = utcnow()
        [message] = claim_due_outbound(db)
        before = utcnow()
        waits.append(round((schedule_retry(db, message.id, "429", retry_after=2).next_attempt_at - before).total_seconds()))
    assert waits == [2, 4, 8, 16]
    assert schedule_retry(db, message.id, "500").status == "pending"


def test_sent_delivered_and_a_stopped_contact(db):
    with db.transaction() as session:
        reporter = find_or_add_reporter(session, [Contact("sms", "+628111")])
        contact_id = session.scalar(select(ContactIdentity.id).where(ContactIdentity.reporter_id == reporter.id))
        queue_outbound(session, channel="sms", recipient="+628111", body="a", idempotency_key="a", contact_id=contact_id)
        queue_outbound(session, channel="sms", recipient="+628111", body="b", idempotency_key="b", contact_id=contact_id)
    [first] = claim_due_outbound(db)  # one contact's messages go one at a time
    mark_sent(db, first.id, "SM123")
    [second] = claim_due_outbound(db)
    assert record_delivery(db, "sms", "SM123", delivered=True)
    assert not record_delivery(db, "sms", "SM999", delivered=True)
    mark_failed(db, second.id, "21610: recipient replied STOP", stop_contact=True)
    with db.transaction() as session:
        assert session.get(OutboundMessage, first.id).status == "delivered"
        assert session.get(OutboundMessage, second.id).status == "failed"
        assert session.get(ContactIdentity, contact_id).stopped_at is not None


def test_a_webhooks_message_is_committed_when_recording_returns(db):
    """`record_entries` runs its one statement in autocommit (no BEGIN, no COMMIT of its own): when it returns, the
    message is on disk for every other connection and no transaction is left holding SQLite's write lock."""
    import sqlite3

    from bots.base import InboxEntry
    from store.inbox import record_entries

    assert record_entries(db, "sms", [InboxEntry("SM-durable", {"From": "+62811", "Body": "got mampet"}, "+62811")]) == 1
    if db.dialect == "sqlite":
        other = sqlite3.connect(db.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # fails at once ("database is locked") if a write were still open
            assert other.execute("SELECT provider_message_id FROM inbound_messages").fetchall() == [("SM-durable",)]
            other.execute("ROLLBACK")
        finally:
            other.close()
    else:
        with db.engine.connect() as other:
            assert other.exec_driver_sql("SELECT provider_message_id FROM inbound_messages").all() == [("SM-durable",)]


def test_a_statement_over_several_rows_is_all_or_nothing_on_sqlite(db):
    """An executemany in `Database.statement(rows=…)` is one transaction on SQLite (in autocommit every row would
    be committed, and synced, alone): a row that fails takes the rows before it back."""
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL: the outcomes' executemany may commit row by row; each is the same written twice")
    from sqlalchemy.exc import IntegrityError


    table = InboundMessage.__table__
    rows = [{"channel": "sms", "provider_message_id": pid, "payload": {}, "status": "pending", "attempts": 0,
             "received_at": utcnow()} for pid in ("SM-a", "SM-b", "SM-a")]
    with pytest.raises(IntegrityError):
        with db.statement(rows=len(rows)) as connection:
            connection.execute(table.insert(), rows)
    with db.transaction() as session:
        assert session.scalars(select(InboundMessage.provider_message_id)).all() == [], "nothing half-written"
