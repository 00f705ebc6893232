"""Citizens are told of status changes on their own channel, once per change, and rate by reply;
follow-ups about a followed ticket reach its unit. On SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from bots.chat import CHANNEL, ChatAdapter, payload
from bots.sms import segments
from gateway.notifications import remind_to_rate, status_message, tell_followers
from gateway.worker import Worker
from store import lifecycle
from store.cursors import get_cursor, set_cursor
from store.inbox import record_inbound
from store.models import ContactIdentity, OutboundMessage, Rating, StatusEvent
from store.reporters import contact_hash
from store.reports import get_report
from tests.bots.test_sms import PHONE, sms, text_in, twilio  # noqa: F401  (fixtures)
from tests.helpers import OFFICER, bring_to, drain, move


@pytest.fixture
def chat(app):
    said = []
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda out: said.append((out.recipient, out.text)))})
    return app.extensions["lapor"], worker, said


def say(services, worker, text, session="warga-1"):
    message = payload(session, text)
    record_inbound(services.db, CHANNEL, message["message_id"], message, sender_hash=contact_hash(CHANNEL, session))
    while worker.run_once():
        pass


def report_by(services, worker, session="warga-1"):
    for text in ("sampah numpuk depan halte Harmoni", "publik", "ya"):
        say(services, worker, text, session)
    return services.db, get_report(services.db, _last_ticket(services, session))


def _last_ticket(services, session):
    with services.db.transaction() as db_session:
        identity = db_session.scalar(select(ContactIdentity).where(
            ContactIdentity.address_hash == contact_hash(CHANNEL, session)))
        message = db_session.scalars(select(OutboundMessage).where(OutboundMessage.contact_id == identity.id)
                                     .order_by(OutboundMessage.id.desc())).first()
        return message.body.split("Laporan diterima: ")[1].split(".")[0]


def test_every_status_change_is_told_once_to_each_follower(chat, config):
    services, worker, said = chat
    tell_followers(services)  # the first run only marks where news begins
    db, report = report_by(services, worker)
    for text in ("sampah numpuk depan halte Harmoni", "publik", "ya"):  # "already reported as …, join it?" → yes
        say(services, worker, text, "warga-2")
    move(db, config, report.ticket, lifecycle.DITANGANI, actor=OFFICER, note="Truk sampah dikirim siang ini")
    assert tell_followers(services) == 2 and tell_followers(services) == 0, "once per change and follower"
    drain(worker)
    told = {recipient: text for recipient, text in said if "kini" in text}
    assert set(told) == {"warga-1", "warga-2"}
    assert told["warga-1"].startswith(f"Laporan {report.ticket} kini Sedang ditangani (kuning), ditangani Kelurahan")
    assert "Catatan petugas: Truk sampah dikirim siang ini" in told["warga-1"] and f"/t/{report.ticket}?k=" in told["warga-1"]


def test_past_changes_are_not_news_and_a_late_commit_is_still_told(chat, config):
    services, worker, said = chat
    db, report = report_by(services, worker)
    move(db, config, report.ticket, lifecycle.DISPOSISI, actor=OFFICER)
    assert tell_followers(services) == 0, "first run: what happened before is not news"
    move(db, config, report.ticket, lifecycle.DITANGANI, actor=OFFICER)
    with db.transaction() as session:
        newest = max(session.scalars(select(StatusEvent.id)))
        cursor = get_cursor(session, "notifications")  # as if a higher id had committed first
        set_cursor(session, "notifications", {**cursor, "after_event_id": newest + 5})
    assert tell_followers(services) == 1, "events written lately are read again"
    assert tell_followers(services) == 0


def test_done_brings_the_proof_photo_and_the_citizen_rates_by_reply(chat, config):
    services, worker, said = chat
    tell_followers(services)
    db, report = report_by(services, worker)
    bring_to(db, config, report.ticket, lifecycle.SELESAI)
    tell_followers(services)
    drain(worker)
    done = said[-1][1]
    assert "SELESAI (hijau)" in done and "/media/" in done and "1 (buruk) sampai 5" in done
    say(services, worker, "4 cepat ditangani, hubungi saya di 081234567890")
    assert said[-1][1] == f"Terima kasih! Nilai 4 untuk laporan {report.ticket} sudah kami catat."
    with db.transaction() as session:
        rating = session.scalar(select(Rating))
        assert rating.score == 4 and rating.comment.startswith("cepat ditangani, hubungi saya di ")
        assert "081234567890" not in rating.comment, "the comment is kept without personal data"
    say(services, worker, "5")
    assert "Nilai 5" not in said[-1][1], "one rating request, one rating"


def test_a_finished_report_not_rated_gets_one_reminder(chat, config):
    services, worker, said = chat
    tell_followers(services)
    db, report = report_by(services, worker)
    closed_at = bring_to(db, config, report.ticket, lifecycle.SELESAI).closed_at
    hours = timedelta(hours=config.conversation.rating_reminder_hours)
    assert remind_to_rate(services, now=closed_at + hours / 2) == 0, "not yet"
    assert remind_to_rate(services, now=closed_at + hours + timedelta(minutes=5)) == 1
    assert remind_to_rate(services, now=closed_at + hours + timedelta(minutes=10)) == 0, "once"
    drain(worker)
    assert said[-1][1] == f"Bagaimana penanganan laporan {report.ticket}? Balas 1 (buruk) sampai 5 (sangat baik)."
    say(services, worker, "3")
    assert said[-1][1] == f"Terima kasih! Nilai 3 untuk laporan {report.ticket} sudah kami catat."
    assert remind_to_rate(services, now=closed_at + hours * 1.5) == 0, "rated: no reminder"


def test_a_stopped_contact_is_not_told(chat, config):
    services, worker, said = chat
    tell_followers(services)
    db, report = report_by(services, worker)
    say(services, worker, "stop")
    move(db, config, report.ticket, lifecycle.DITANGANI, actor=OFFICER)
    assert tell_followers(services) == 0


def test_a_long_officer_note_is_shortened_to_fit_two_sms(chat, config):
    services, worker, _ = chat
    db, report = report_by(services, worker)
    move(db, config, report.ticket, lifecycle.DITANGANI, actor=OFFICER, note="Petugas sudah di lokasi. " * 30)
    with db.transaction() as session:
        event = session.scalars(select(StatusEvent).order_by(StatusEvent.id.desc())).first()
        for language, label in (("id", "Catatan petugas: Petugas sudah"), ("en", "Officer's note: Petugas sudah")):
            text = status_message(services, event, language, sms=True)
            assert segments(text) <= 2 and label in text and text.count("...") == 1 and report.ticket in text
        assert "Petugas sudah di lokasi. " * 30 in status_message(services, event, "id")


def test_a_follow_up_naming_a_followed_ticket_reaches_its_unit(chat, config):
    services, worker, said = chat
    db, report = report_by(services, worker)
    say(services, worker, f"{report.ticket} sampahnya masih belum diangkut, saya Budi 081234567890")
    assert said[-1][1] == f"Pesan Anda ditambahkan ke laporan {report.ticket} untuk {report.assigned_unit.name}."
    note = get_report(db, report.ticket).events[-1]
    assert (note.note_public, note.actor_role, note.to_status) == (False, "citizen", report.status)
    assert "081234567890" not in note.note and "masih belum diangkut" in note.note
    say(services, worker, f"{report.ticket} ini laporan saya juga", "warga-3")
    assert not said[-1][1].startswith("Pesan Anda ditambahkan"), "only its followers comment on a report"


def test_an_sms_reporter_is_told_and_rates_by_sms(sms, twilio, units_db, config):  # noqa: F811
    client, worker, _ = sms
    tell_followers(worker.services)
    for body in ("Lampu jalan mati udah seminggu", "Jl. Kenari kel. Kenari", "rahasia", "ya"):
        text_in(client, config, body)
        drain(worker)
    ticket = twilio.messages[-1]["Body"].split("Laporan diterima: ")[1].split(".")[0]
    bring_to(units_db, config, ticket, lifecycle.SELESAI)
    tell_followers(worker.services)
    drain(worker)
    assert twilio.messages[-1]["To"] == PHONE and "SELESAI" in twilio.messages[-1]["Body"]
    assert segments(twilio.messages[-1]["Body"]) <= 2
    text_in(client, config, "5")
    drain(worker)
    assert twilio.messages[-1]["Body"].startswith("Terima kasih! Nilai 5")
    with units_db.transaction() as session:
        assert session.scalar(select(Rating.score)) == 5


def test_a_public_note_alone_reaches_the_citizen_and_an_internal_one_does_not(chat, config):
    services, worker, said = chat
    tell_followers(services)
    db, report = report_by(services, worker)
    from store.reports import add_note
    add_note(db, report.ticket, "Petugas sudah survei, pengangkutan dijadwalkan Kamis", OFFICER, public=True)
    add_note(db, report.ticket, "Koordinasi internal dengan LH", OFFICER, public=False)
    assert tell_followers(services) == 1 and tell_followers(services) == 0, "the public note, once"
    drain(worker)
    told = said[-1][1]
    assert report.ticket in told and "dijadwalkan Kamis" in told and "internal" not in told
    assert config.statuses[report.status].label.get("id") in told and "/t/" in told


def test_a_merged_report_names_the_original_the_citizen_now_follows(chat, config):
    services, worker, said = chat
    tell_followers(services)
    db, first = report_by(services, worker, "warga-1")
    from tests.helpers import MONAS, TRIAGE, new_report
    original = new_report(db, config, services.wilayah, where=MONAS, category="sampah", description="Sampah di Monas")
    move(db, config, first.ticket, lifecycle.DUPLIKAT, actor=TRIAGE, original_ticket=original.ticket)
    assert tell_followers(services) == 1
    drain(worker)
    told = said[-1][1]
    assert first.ticket in told and original.ticket in told and f"/t/{original.ticket}?k=" in told
    assert "Target" not in told and "Due" not in told, "a merged report has no deadline of its own"
    move(db, config, original.ticket, lifecycle.DITANGANI, actor=OFFICER)
    assert tell_followers(services) == 1, "the citizen hears of the original from now on"
    drain(worker)
    assert original.ticket in said[-1][1]


def test_asking_for_a_rating_does_not_restart_a_drafts_reminder_clock(chat, config):
    """The rating question is no turn of the citizen's: a draft they left still gets its reminder on time."""
    from gateway.jobs import remind_and_expire
    from store.types import utcnow

    from sqlalchemy import update

    from store.models import Conversation

    services, worker, said = chat
    tell_followers(services)
    db, report = report_by(services, worker)
    say(services, worker, "lampu jalan mati udh seminggu")  # a new draft, waiting for its place…
    left = utcnow() - timedelta(minutes=config.conversation.reminder_after_minutes + 5)
    with db.transaction() as session:  # …left an hour ago
        session.execute(update(Conversation).values(updated_at=left))
    bring_to(db, config, report.ticket, lifecycle.SELESAI)
    assert tell_followers(services) >= 1  # the finished report asks for a rating now
    assert remind_and_expire(services) == (1, 0), "reminded as if the rating question had not come"
