"""The worker in batches: many inbound messages in one transaction (each alone again should one fail), and sends to
several recipients at once, each recipient's messages in order. On SQLite and PostgreSQL."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bots.base import RetryableError
from bots.chat import CHANNEL, ChatAdapter, payload
from gateway.worker import Worker
from store.inbox import record_inbound
from store.models import Conversation, InboundMessage, OutboundMessage
from store.outbox import queue_outbound
from store.reporters import contact_hash

pytestmark = pytest.mark.sql_dialects


TEXT = "lampu jalan mati udh seminggu"


def record(db, session_name, text=TEXT):
    message = payload(session_name, text)
    record_inbound(db, CHANNEL, message["message_id"], message, sender_hash=contact_hash(CHANNEL, session_name))


def statuses(db):
    with db.transaction() as session:
        return {m.payload["session"]: (m.status, m.error) for m in session.scalars(select(InboundMessage))}


def test_a_failing_message_is_given_back_and_the_rest_of_the_batch_commits_once(app, units_db, monkeypatch):
    said = []
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: said.append(out.recipient))})
    for name in ("warga-1", "warga-2", "warga-3"):
        record(units_db, name)
    converse = Worker._converse

    def fail_for_second(self, session, adapter, incoming, *rest):
        converse(self, session, adapter, incoming, *rest)  # its rows are written, then it fails
        if incoming.sender == "warga-2":
            raise RuntimeError("disk full")

    monkeypatch.setattr(Worker, "_converse", fail_for_second)
    assert worker.process_inbox(limit=10) == 2
    found = statuses(units_db)
    assert found["warga-1"] == ("processed", None) and found["warga-3"] == ("processed", None)
    assert found["warga-2"] == ("pending", "RuntimeError: disk full"), "given back for another try"
    with units_db.transaction() as session:
        states = {c.sender_hash: c.state for c in session.scalars(select(Conversation))}
        assert contact_hash(CHANNEL, "warga-2") not in states, "nothing of the failed message stays"
        assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 2
    for name in ("warga-1", "warga-3"):  # the batch was rolled back whole before the others were applied again
        assert states[contact_hash(CHANNEL, name)]["draft"]["texts"] == [TEXT], f"{name}'s message applied once"
    monkeypatch.setattr(Worker, "_converse", converse)
    assert worker.process_inbox() == 1 and statuses(units_db)["warga-2"][0] == "processed"
    worker.dispatch_outbox()
    assert sorted(said) == ["warga-1", "warga-2", "warga-3"], "one reply each, none twice"


def test_a_batch_whose_commit_fails_is_applied_message_by_message(app, units_db, monkeypatch):
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: None)})
    for name in ("warga-1", "warga-2"):
        record(units_db, name)
    apply_batch, sizes = Worker._apply_batch, []

    def fail_when_several(self, messages):
        sizes.append(len(messages))
        if len(messages) > 1:
            raise RuntimeError("could not serialize access")
        return apply_batch(self, messages)

    monkeypatch.setattr(Worker, "_apply_batch", fail_when_several)
    assert worker.process_inbox() == 2
    assert sizes == [2, 1, 1]
    assert {status for status, _error in statuses(units_db).values()} == {"processed"}


def test_recipients_are_sent_to_at_once_and_each_recipients_messages_in_order(app, units_db):
    delivered, lock, in_flight, most = [], threading.Lock(), [0], [0]

    def deliver(out):
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        time.sleep(0.05)  # a provider's round trip
        with lock:
            in_flight[0] -= 1
            delivered.append((out.recipient, out.text))
        if out.recipient == "warga-3":
            raise RetryableError("provider 503")

    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(deliver)})
    with units_db.transaction() as session:
        for number in range(3):
            for name in ("warga-1", "warga-2", "warga-3"):
                queue_outbound(session, channel=CHANNEL, recipient=name, body=f"{name} #{number}",
                               idempotency_key=f"{name}:{number}")
    assert worker.dispatch_outbox() == 6, "warga-3's first message failed, the others were sent"
    assert most[0] > 1, "several recipients at once"
    for name in ("warga-1", "warga-2"):
        assert [text for recipient, text in delivered if recipient == name] == [f"{name} #{n}" for n in range(3)]
    assert [text for recipient, text in delivered if recipient == "warga-3"] == ["warga-3 #0"], \
        "after a failure the recipient's later messages are not sent ahead of it"
    with units_db.transaction() as session:
        rows = {m.body: m for m in session.scalars(select(OutboundMessage))}
        assert {m.status for body, m in rows.items() if not body.startswith("warga-3")} == {"sent"}
        assert (rows["warga-3 #0"].status, rows["warga-3 #0"].last_error, rows["warga-3 #0"].attempts) == (
            "pending", "provider 503", 1)
        assert {(rows[f"warga-3 #{n}"].status, rows[f"warga-3 #{n}"].attempts) for n in (1, 2)} == {("pending", 0)}
    assert worker.dispatch_outbox() == 0, "the failed one waits for its backoff"


def test_a_citizens_replies_are_claimed_one_at_a_time_in_order(app, units_db):
    from store.outbox import claim_due_outbound, mark_sent
    from store.reporters import Contact, find_or_add_contact

    with units_db.transaction() as session:
        contact_id = find_or_add_contact(session, Contact(CHANNEL, "warga-1")).id
        for number in range(3):
            queue_outbound(session, channel=CHANNEL, recipient="warga-1", body=f"#{number}", contact_id=contact_id,
                           idempotency_key=f"reply:{number}")
    for number in range(3):
        [claimed] = claim_due_outbound(units_db)
        assert claimed.body == f"#{number}" and claim_due_outbound(units_db) == [], "the next waits for this one"
        mark_sent(units_db, claimed.id, f"id-{number}")


def test_a_crash_mid_round_keeps_the_sends_already_made_recorded(app, units_db):
    """Each outcome is recorded the moment it is known: a sender killed on its second message leaves the first
    marked sent (not resent when the lease runs out); what it had not finished stays claimed until its lease ends."""
    sent = []

    def deliver(out):
        if sent:
            raise SystemExit("killed")  # the process dies on the wire
        sent.append(out.text)

    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(deliver)})
    with units_db.transaction() as session:
        for number in range(3):
            queue_outbound(session, channel=CHANNEL, recipient="warga-1", body=f"#{number}", idempotency_key=f"k{number}")
    with pytest.raises(SystemExit):
        worker.dispatch_outbox()
    with units_db.transaction() as session:
        rows = {m.body: m.status for m in session.scalars(select(OutboundMessage))}
    assert rows == {"#0": "sent", "#1": "sending", "#2": "sending"}


def test_no_more_messages_are_claimed_than_there_are_sending_threads(app, units_db):
    threads = app.extensions["lapor"].config.server.send_threads
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: None)})
    with units_db.transaction() as session:
        for number in range(threads * 2 + 1):
            queue_outbound(session, channel=CHANNEL, recipient=f"warga-{number}", body="hai", idempotency_key=f"k{number}")
    assert worker.dispatch_outbox() == threads, "the in-flight window is one send per sending thread"
    assert worker.dispatch_outbox() == threads and worker.dispatch_outbox() == 1


def test_when_a_retry_goes_through_the_channels_other_retries_are_due_at_once(app, units_db):
    """A recovered provider is reached at once by every reply waiting out its backoff, not one by one."""
    down = [True]

    def deliver(out):
        if down[0] and out.recipient == "warga-3":
            raise RetryableError("provider 429", retry_after=120)  # a wait the provider asked for is kept
        if down[0]:
            raise RetryableError("provider 503")

    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(deliver)})
    with units_db.transaction() as session:
        for number in range(4):
            queue_outbound(session, channel=CHANNEL, recipient=f"warga-{number}", body="hai", idempotency_key=f"k{number}")
    assert worker.dispatch_outbox() == 0
    down[0] = False
    with units_db.transaction() as session:
        first = session.scalar(select(OutboundMessage).order_by(OutboundMessage.id))
        first.next_attempt_at = first.created_at  # its backoff is over; the others' are not
    assert worker.dispatch_outbox() == 1
    assert worker.dispatch_outbox() == 2, "the rest were made due when the first retry went through…"
    assert worker.dispatch_outbox() == 0, "…but not the one the provider told to wait"


def test_a_batchs_replies_all_go_out_before_the_next_batch_is_taken(app, units_db):
    """A batch makes more replies than one sending round claims: the worker sends them all before taking more
    work, so replies do not wait behind the inbox."""
    config = app.extensions["lapor"].config
    batch, threads = config.server.inbox_batch, config.server.send_threads
    assert batch > threads, "the case this test is about"
    said = []
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: said.append(out.recipient))})
    for number in range(batch * 2):
        record(units_db, f"warga-{number}")
    worker.run_once()
    assert len(said) == batch, "every reply of the first batch, in rounds of at most one per sending thread"
    assert sorted(said) == sorted(f"warga-{number}" for number in range(batch))


def test_a_batch_reads_and_adds_its_citizens_at_once_with_the_same_outcome_as_one_at_a_time(app, units_db, caplog):
    """Senders and conversations are read (and new senders added) for the whole batch at once: a known sender's
    conversation goes on, new ones start, exactly as when each message is handled alone."""
    from store.models import ContactIdentity, Reporter

    said = []
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: said.append((out.recipient, out.text)))})
    later = [("1", "di jalan kebon sirih dekat halte"), ("2", TEXT), ("3", "sampah numpuk depan pasar")]
    for prefix, limit in (("alone", 1), ("batch", 10)):
        record(units_db, f"{prefix}-1")
        assert worker.process_inbox(limit=1) == 1
        for number, text in later:
            record(units_db, f"{prefix}-{number}", text)
        handled = 0
        while moved := worker.process_inbox(limit=limit):
            handled += moved
        assert handled == 3
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")], "no batch fell back to one by one"
    while worker.dispatch_outbox(limit=50):  # a contact's replies go one a round
        pass
    with units_db.transaction() as session:
        identities = {i.id: i.address_hash for i in session.scalars(select(ContactIdentity))}
        conversations = list(session.scalars(select(Conversation)))
        states = {c.sender_hash: c.state for c in conversations}
        assert session.scalar(select(func.count()).select_from(Reporter)) == 6 and len(identities) == 6
        assert all(identities[c.contact_id] == c.sender_hash for c in conversations), "each to its own citizen"
        replies = list(session.scalars(select(OutboundMessage)))
        assert all(identities[m.contact_id] == contact_hash(CHANNEL, m.recipient) for m in replies)
    for number in ("1", "2", "3"):
        alone, batch = (states[contact_hash(CHANNEL, f"{prefix}-{number}")] for prefix in ("alone", "batch"))
        assert alone == batch, f"sender {number}: the same conversation either way"
        texts = [[text for recipient, text in said if recipient == f"{prefix}-{number}"] for prefix in ("alone", "batch")]
        assert texts[0] == texts[1] and texts[0], f"sender {number}: the same replies either way"
    assert len(states[contact_hash(CHANNEL, "batch-1")]["draft"]["texts"]) == 2, "the known sender's draft went on"


def test_after_a_claim_that_found_less_than_a_batch_the_next_waits_for_one_to_gather(app, units_db, monkeypatch):
    """`inbox_linger_ms`: under load batches gather; after a full batch, or a quiet spell, no wait."""
    import dataclasses

    import gateway.worker as worker_module

    clock, slept = [1000.0], []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        clock[0] += seconds

    monkeypatch.setattr(worker_module.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(worker_module.time, "sleep", sleep)
    services = app.extensions["lapor"]
    config = services.config.model_copy(update={"server": services.config.server.model_copy(
        update={"inbox_linger_ms": 60, "inbox_batch": 2})})
    worker = Worker(dataclasses.replace(services, config=config), {CHANNEL: ChatAdapter(lambda out: None)})
    worker.run_once()
    record(units_db, "warga-1")
    clock[0] += 0.01
    worker.run_once()
    assert slept == [], "after an empty claim (a quiet spell) a message is claimed at once"
    record(units_db, "warga-2")
    clock[0] += 0.01
    worker.run_once()
    assert slept == [0.05], "one message claimed 10 ms ago: the next claim waits the rest of 60 ms"
    for name in ("warga-3", "warga-4"):
        record(units_db, name)
    assert worker.process_inbox() == 2
    record(units_db, "warga-5")
    worker.run_once()
    assert slept == [0.05], "after a full batch the next claim goes at once"
    assert {status for status, _ in statuses(units_db).values()} == {"processed"}


def test_a_message_another_worker_claimed_during_a_slow_preparation_is_left_to_it(app, units_db, monkeypatch):
    """Photos fetched for longer than half a lease: the leases are renewed first, and a message whose lease ran out
    and that another worker claimed meanwhile is not handled twice."""
    import gateway.worker as worker_module
    from sqlalchemy import update

    from store.inbox import claim_inbound
    from store.types import utcnow

    clock, stolen = [1000.0], []
    monkeypatch.setattr(worker_module.time, "monotonic", lambda: clock[0])
    prepare = Worker._prepare

    def slow(self, message, over_limit=False):
        ready = prepare(self, message, over_limit)
        if not stolen:  # 40 s for this one's photos: its lease ran out, and another worker claimed it
            clock[0] += 40
            with units_db.transaction() as session:
                session.execute(update(InboundMessage).where(InboundMessage.id == message.id)
                                .values(claimed_until=utcnow() - timedelta(seconds=1)))
            stolen.extend(claim_inbound(units_db, limit=1))
        return ready

    monkeypatch.setattr(Worker, "_prepare", slow)
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: None)})
    for name in ("warga-1", "warga-2"):
        record(units_db, name)
    assert worker.process_inbox() == 1
    [taken] = stolen
    assert taken.reclaimed and taken.payload["session"] == "warga-1"
    found = statuses(units_db)
    assert found["warga-1"] == ("processing", None) and found["warga-2"] == ("processed", None)
    with units_db.transaction() as session:
        assert {c.sender_hash for c in session.scalars(select(Conversation))} == {contact_hash(CHANNEL, "warga-2")}
