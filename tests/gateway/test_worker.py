"""The whole line with the gateway's own chat channel: inbox → conversation → store → outbox → adapter,
on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import func, select

from bots.base import PermanentError, RetryableError
from bots.chat import CHANNEL, ChatAdapter, payload
from gateway.worker import Worker
from store.inbox import record_inbound
from store.models import ContactIdentity, InboundMessage, OutboundMessage, Report, ReportFollower
from store.reporters import contact_hash
from tests.helpers import MONAS, bring_to, count

pytestmark = pytest.mark.sql_dialects


class Phone:
    """Collects what the bot says; can be told to fail like a provider does."""

    def __init__(self):
        self.said = []
        self.fail_with = None

    def deliver(self, message):
        if self.fail_with is not None:
            raise self.fail_with
        self.said.append(message.text)


@pytest.fixture
def phone():
    return Phone()


@pytest.fixture
def worker(app, phone):
    return Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(phone.deliver)})


def say(db, worker, text, session="citizen-1", message_id=None, **location):
    message = payload(session, text, **location)
    if message_id:
        message["message_id"] = message_id
    record_inbound(db, CHANNEL, message["message_id"], message, sender_hash=contact_hash(CHANNEL, session))
    while worker.run_once():
        pass


def test_a_conversation_ends_in_a_dispatched_report_and_a_ticket(units_db, worker, phone, config):
    for text in ("lampu jalan mati udh seminggu", "di Jl. Kenari, kel. Kenari", "rahasia", "ya"):
        say(units_db, worker, text)
    assert phone.said[-1].startswith("Laporan diterima: JKT-") and "Kelurahan Kenari" in phone.said[-1]
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert (report.category, report.origin_channel, report.confidential) == ("listrik", "chat", True)
        assert report.assigned_unit.name == "Kelurahan Kenari"
        assert f"/t/{report.ticket}?k={report.public_token}" in phone.said[-1]
        assert session.scalar(select(func.count()).select_from(ReportFollower)) == 1
    say(units_db, worker, "status")
    assert phone.said[-1].startswith(f"{report.ticket}: Menunggu (merah)")


def test_the_same_delivery_twice_is_one_reply(units_db, worker, phone):
    say(units_db, worker, "halo", message_id="same")
    say(units_db, worker, "halo", message_id="same")
    assert len(phone.said) == 1 and count(units_db, InboundMessage) == 1


def test_a_failure_mid_message_leaves_nothing_half_written(units_db, worker, phone, monkeypatch):
    for text in ("sampah numpuk depan halte Harmoni", "publik"):
        say(units_db, worker, text)
    said_before, outbox_before = len(phone.said), count(units_db, OutboundMessage)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("gateway.reporting.submit_report", explode)
    say(units_db, worker, "ya")
    assert count(units_db, Report) == 0 and count(units_db, OutboundMessage) == outbox_before
    assert len(phone.said) == said_before
    with units_db.transaction() as session:
        stored = session.scalar(select(InboundMessage).order_by(InboundMessage.id.desc()))
        assert stored.status == "pending" and "disk full" in stored.error, "kept for another try"
    monkeypatch.undo()
    while worker.run_once():
        pass
    assert count(units_db, Report) == 1 and phone.said[-1].startswith("Laporan diterima")


def test_a_provider_outage_delays_but_loses_nothing(units_db, worker, phone):
    phone.fail_with = RetryableError("503 from provider", retry_after=0)
    say(units_db, worker, "halo")
    assert phone.said == []
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert (row.status, row.last_error) == ("pending", "provider asked to wait: 503 from provider")
    phone.fail_with = None
    while worker.run_once():
        pass
    assert len(phone.said) == 1


def test_a_blocked_contact_is_stopped_and_stop_is_honoured(units_db, worker, phone):
    phone.fail_with = PermanentError("403 bot was blocked by the user", stop_contact=True)
    say(units_db, worker, "halo", session="citizen-2")
    with units_db.transaction() as session:
        assert session.scalar(select(ContactIdentity)).stopped_at is not None
    phone.fail_with = None
    say(units_db, worker, "STOP", session="citizen-3")
    assert phone.said == [worker.services.config.message("stopped", "id")]
    say(units_db, worker, "lampu jalan mati", session="citizen-3")
    assert len(phone.said) == 1, "nothing more after STOP"
    say(units_db, worker, "MULAI", session="citizen-3")
    assert phone.said[-1] == worker.services.config.message("welcome", "id")


def test_an_emergency_is_created_at_once_with_112(units_db, worker, phone, config):
    say(units_db, worker, "KEBAKARAN rumah di kel. Kenari, api besar, ada orang terjebak!")
    assert phone.said[-2].startswith("DARURAT: segera hubungi 112. Laporan JKT-")
    assert phone.said[-1] == config.message("emergency_ask_details", "id"), "then the bot asks for details"
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert report.priority == "darurat" and report.category == "kebakaran"


FIRE_SERVICE = "Dinas Penanggulangan Kebakaran dan Penyelamatan"  # a fire goes to it at once, its kelurahan told too


def test_after_an_emergency_the_place_and_details_go_to_the_same_report(units_db, worker, phone, config):
    say(units_db, worker, "KEBAKARAN! rumah terbakar, ada orang terjebak, tolong!", session="caller")
    emergency, asked = phone.said[-2:]
    assert emergency.startswith("DARURAT: segera hubungi 112. Laporan JKT-")
    assert asked == config.message("emergency_ask_location", "id")
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        ticket = report.ticket
        assert (report.priority, report.assigned_unit.code, report.latitude) == ("darurat", "DINAS-GULKARMAT", None)
        assert report.needs_review, "no place yet: triage too"
    say(units_db, worker, "", session="caller", lat=MONAS[0], lon=MONAS[1])
    assert phone.said[-1].startswith(f"Lokasi laporan {ticket}: Kel. Gambir. Diteruskan ke {FIRE_SERVICE}.")
    say(units_db, worker, "nama saya Budi Santoso, hp 081234567890, apinya menjalar ke rumah sebelah", session="caller")
    assert phone.said[-1] == config.message("emergency_detail_added", "id", ticket=ticket)
    with units_db.transaction() as session:
        [report] = session.scalars(select(Report)).all()
        assert (report.latitude, report.longitude) == MONAS and report.location_precision == "point"
        assert report.assigned_unit.name == FIRE_SERVICE and report.kelurahan_code == "31.71.01.1001"
        assert not report.needs_review and report.status == "menunggu" and report.priority == "darurat"
        assert "menjalar ke rumah sebelah" in report.description
        assert "Budi" not in report.description and "081234567890" not in report.description, "redacted as intake does"
        assert "081234567890" in report.original_text, "the citizen's own words, encrypted"
        notes = [event.note for event in report.events if not event.note_public]
        handed = f"Darurat: langsung diteruskan ke {FIRE_SERVICE}"
        assert notes == [handed, "Lokasi dari pelapor: Kel. Gambir", handed, "Keterangan tambahan dari pelapor"]
        assert [event.unit.code if event.unit else None for event in report.events[:4]] == [
            None, "DINAS-GULKARMAT", "31.71.01.1001", "DINAS-GULKARMAT"], "the kelurahan is handed the case once located"
    say(units_db, worker, "selesai", session="caller")
    assert phone.said[-1] == config.message("emergency_closed", "id", ticket=ticket)
    say(units_db, worker, "status", session="caller")
    assert phone.said[-1].startswith(f"{ticket}: Menunggu (merah). Ditangani {FIRE_SERVICE}.")
    assert count(units_db, Report) == 1


def test_a_citizen_can_follow_an_existing_report_instead(units_db, worker, phone):
    for text in ("sampah numpuk depan halte Harmoni", "publik", "ya"):
        say(units_db, worker, text, session="first")
    for text in ("sampah numpuk di depan halte Harmoni bau", "rahasia", "ya"):
        say(units_db, worker, text, session="second")
    assert phone.said[-1].startswith("Anda mengikuti laporan JKT-")
    assert count(units_db, Report) == 1 and count(units_db, ReportFollower) == 2


def test_a_flood_gets_one_slow_down_not_a_reply_each(units_db, worker, phone, config):
    limit = config.conversation.rate_limit_messages
    for n in range(limit + 5):
        say(units_db, worker, f"halo {n}", session="flooder")
    slow = config.message("slow_down", "id")
    assert phone.said.count(slow) == 1
    assert len(phone.said) == limit + 1, "answers up to the limit, then one slow-down, then silence"


def test_an_abandoned_draft_is_reminded_once_then_expires(units_db, worker, phone, config):
    from datetime import timedelta

    from gateway.jobs import remind_and_expire
    from store.types import utcnow

    say(units_db, worker, "lampu jalan mati", session="forgetful")
    services = worker.services
    soon = utcnow() + timedelta(minutes=config.conversation.reminder_after_minutes + 1)
    assert remind_and_expire(services, now=soon) == (1, 0)
    assert remind_and_expire(services, now=soon) == (0, 0), "one reminder only"
    later = utcnow() + timedelta(minutes=config.conversation.expire_after_minutes + 1)
    assert remind_and_expire(services, now=later) == (0, 1)
    while worker.run_once():
        pass
    assert phone.said[-2:] == [config.message("reminder", "id"), config.message("expired", "id")]
    say(units_db, worker, "kel. Kenari", session="forgetful")
    assert phone.said[-1] != config.message("ask_confidential", "id"), "the old draft is gone"


def test_once_the_emergency_report_is_closed_what_follows_is_a_new_conversation(units_db, worker, phone, config):

    say(units_db, worker, "KEBAKARAN! rumah terbakar, ada orang terjebak, tolong!", session="late")
    with units_db.transaction() as session:
        ticket = session.scalar(select(Report)).ticket
    bring_to(units_db, config, ticket, "ditolak")
    say(units_db, worker, "rumah nomor 12 dekat masjid", session="late")
    assert phone.said[-1] == config.message("not_a_report", "id"), "no longer a detail of the closed report"
    with units_db.transaction() as session:
        [report] = session.scalars(select(Report)).all()
        assert "masjid" not in report.description


def test_the_online_geocoder_is_asked_before_the_transaction_never_inside(units_db, worker, phone, monkeypatch):
    """With an online fallback configured, it is asked only for the place a report would be geocoded by (the
    draft's), while the message is made ready: never inside the transaction, and never with what citizens write."""
    import dataclasses

    from geopy.exc import GeocoderUnavailable
    from geopy.location import Location

    from normalizer.geocoder import JakartaGazetteer
    from store.conversations import load_conversation, save_conversation

    asked, inside, down = [], [False], [False]

    class Nominatim:
        def geocode(self, query, exactly_one=True, timeout=None):
            asked.append((query, inside[0]))
            if down[0]:
                raise GeocoderUnavailable("down")
            return Location("Gambir", (MONAS[0], MONAS[1], 0), {})

    online = JakartaGazetteer(worker.services.normalizer, fallback=Nominatim())
    worker = Worker(dataclasses.replace(worker.services, geocoder=online), worker.adapters)
    apply_batch = Worker._apply_batch

    def in_transaction(self, messages):
        inside[0] = True
        try:
            return apply_batch(self, messages)
        finally:
            inside[0] = False

    monkeypatch.setattr(Worker, "_apply_batch", in_transaction)
    texts = ("lampu jalan mati udh seminggu", "depan warung bu tini gang kelinci")
    for text in texts:
        say(units_db, worker, text)
    assert not {query for query, _during in asked} & set(texts), "what citizens write is not sent online"
    with units_db.transaction() as session:  # a draft whose place the gazetteer cannot place
        conversation = load_conversation(session, CHANNEL, contact_hash(CHANNEL, "citizen-1"), None)
        conversation.state["draft"]["place"] = "warung bu tini"
        save_conversation(session, conversation, conversation.state)
    down[0] = True
    say(units_db, worker, "ya")
    assert ("warung bu tini", False) in asked and not any(during for _query, during in asked), asked
    assert len(phone.said) == 3, "an online geocoder that is down costs no message"


def test_a_flooding_senders_photos_are_not_fetched(units_db, worker, phone, config, monkeypatch):
    """Over the rate limit a message is not answered, so its photos are not downloaded first either."""
    from tests.helpers import png_bytes

    fetched = []
    adapter = worker.adapters[CHANNEL]
    fetch = adapter.fetch_media
    monkeypatch.setattr(adapter, "fetch_media", lambda media: fetched.append(1) or fetch(media))
    photo = (png_bytes(), "image/png")
    for n in range(config.conversation.rate_limit_messages):
        say(units_db, worker, f"halo {n}", session="flooder")
    say(units_db, worker, "foto", session="flooder", photo=photo)
    assert fetched == [], "the flooding message's photo was never downloaded"
    say(units_db, worker, "foto", session="warga-2", photo=photo)
    assert fetched == [1], "anyone else's is"
