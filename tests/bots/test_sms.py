"""SMS end to end: Twilio-signed webhooks → inbox → conversation → outbox → REST stand-in → status callback."""

import pytest
from sqlalchemy import func, select

from bots.sms import segments
from gateway.app import create_app
from gateway.channels import build_adapters
from gateway.worker import Worker
from store.models import ContactIdentity, InboundMessage, OutboundMessage, Report
from tests.helpers import drain
from tests.standins.twilio_api import TwilioStandIn, twilio_signature

SID, TOKEN = "AC" + "1" * 32, "twilio-auth-token"
PHONE = "+6281234567890"
NEVER_LOGGED = (TOKEN, PHONE, "+6289999999999")


@pytest.fixture
def twilio():
    standin = TwilioStandIn(SID, TOKEN).start()
    yield standin
    standin.stop()


@pytest.fixture
def sms(units_db, config, wilayah, normalizer, twilio):
    environ = {"TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": "+62811000000",
               "TWILIO_API_BASE": twilio.base_url}
    app = create_app(config, units_db, wilayah, environ=environ, normalizer=normalizer,
                     adapters=build_adapters(environ, config.server.base_url))
    return app.test_client(), Worker(app.extensions["lapor"], app.extensions["lapor"].adapters), config


SIDS = iter(range(1, 10_000))


def text_in(client, config, body, sender=PHONE, sid=None, signature=None, path="/webhooks/twilio/sms"):
    form = {"MessageSid": sid or f"SM{next(SIDS):032d}", "AccountSid": SID, "From": sender, "To": "+62811000000",
            "Body": body, "NumMedia": "0"}
    signed = signature if signature is not None else twilio_signature(TOKEN, config.server.base_url + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signed} if signed else {})


def test_a_report_by_sms(sms, twilio, units_db):
    client, worker, config = sms
    for body in ("Lampu jalan mati udah seminggu", "Jl. Kenari kel. Kenari", "rahasia", "ya"):
        response = text_in(client, config, body)
        assert response.status_code == 200 and response.content_type.startswith("text/xml")
        assert b"<Response></Response>" in response.data
        drain(worker)
    last = twilio.messages[-1]
    assert last["To"] == PHONE and last["From"] == "+62811000000"
    assert last["Body"].startswith("Laporan diterima: JKT-")
    assert last["StatusCallback"] == f"{config.server.base_url}/webhooks/twilio/status"
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert report.origin_channel == "sms" and report.assigned_unit.name == "Kelurahan Kenari"


def test_forged_unsigned_and_malformed_posts_are_refused(sms, units_db):
    client, _, config = sms
    assert text_in(client, config, "halo", signature="forged").status_code == 403
    assert text_in(client, config, "halo", signature="").status_code == 403
    form = {"Body": "no sid"}
    signed = twilio_signature(TOKEN, config.server.base_url + "/webhooks/twilio/sms", form)
    assert client.post("/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signed}).status_code == 400
    with units_db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_a_repeated_message_sid_is_one_reply(sms, twilio):
    client, worker, config = sms
    text_in(client, config, "halo", sid="SM-same")
    text_in(client, config, "halo", sid="SM-same")
    drain(worker)
    assert len(twilio.messages) == 1


def test_delivery_receipts_and_stop(sms, twilio, units_db):
    client, worker, config = sms
    text_in(client, config, "halo")
    drain(worker)
    with units_db.transaction() as session:
        provider_id = session.scalar(select(OutboundMessage.provider_message_id))
    status = {"MessageSid": provider_id, "MessageStatus": "delivered", "AccountSid": SID}
    signed = twilio_signature(TOKEN, config.server.base_url + "/webhooks/twilio/status", status)
    assert client.post("/webhooks/twilio/status", data=status, headers={"X-Twilio-Signature": signed}).status_code == 200
    assert client.post("/webhooks/twilio/status", data=status, headers={"X-Twilio-Signature": "x"}).status_code == 403
    with units_db.transaction() as session:
        assert session.scalar(select(OutboundMessage.status)) == "delivered"
    twilio.fail_next(400, 21610, "Attempt to send to unsubscribed recipient")
    text_in(client, config, "halo lagi", sender="+6289999999999")
    drain(worker)
    with units_db.transaction() as session:
        stopped = session.scalar(select(ContactIdentity).where(ContactIdentity.stopped_at.is_not(None)))
        assert stopped is not None and stopped.address == "+6289999999999"


def test_a_provider_outage_is_retried(sms, twilio, units_db):
    client, worker, config = sms
    twilio.fail_next(503, 20500, "Service unavailable")
    text_in(client, config, "halo")
    drain(worker)
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert row.status == "pending" and "503" in row.last_error
        row.next_attempt_at = row.created_at
    assert worker.dispatch_outbox() == 1 and len(twilio.messages) == 2


def _died_mid_send(units_db) -> OutboundMessage:
    """The last reply as a sender that died mid-send leaves it: 'sending', its lease run out."""
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage).order_by(OutboundMessage.id.desc()))
        row.status, row.claimed_until, row.provider_message_id, row.sent_at = "sending", row.created_at, None, None
        return row


def test_a_reply_twilio_took_before_its_sender_died_is_not_sent_again(sms, twilio, units_db):
    client, worker, config = sms
    text_in(client, config, "halo")
    drain(worker)
    [taken] = twilio.accepted
    _died_mid_send(units_db)
    assert worker.dispatch_outbox() == 1
    assert len(twilio.messages) == 1, "Twilio was asked, not sent the reply again"
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert (row.status, row.provider_message_id) == ("sent", taken["sid"])


def test_a_reply_twilio_never_got_before_its_sender_died_is_sent_once(sms, twilio, units_db):
    client, worker, config = sms
    twilio.fail_next(503, 20500, "Service unavailable")  # the first try never reached Twilio's list
    text_in(client, config, "halo")
    drain(worker)
    _died_mid_send(units_db)
    assert worker.dispatch_outbox() == 1
    assert len(twilio.accepted) == 1 and twilio.messages[-1]["To"] == PHONE


def test_a_reply_whose_check_failed_is_asked_about_again_not_sent_blind(sms, twilio, units_db, monkeypatch):
    client, worker, config = sms
    text_in(client, config, "halo")
    drain(worker)
    _died_mid_send(units_db)
    adapter = worker.adapters["sms"]
    real = adapter.client.messages.list
    monkeypatch.setattr(adapter.client.messages, "list", lambda **kw: (_ for _ in ()).throw(OSError("list down")))
    assert worker.dispatch_outbox() == 0
    with units_db.transaction() as session:
        row = session.scalar(select(OutboundMessage))
        assert row.status == "sending" and "could not ask" in row.last_error
        row.claimed_until = row.created_at  # its wait is over
    monkeypatch.setattr(adapter.client.messages, "list", real)
    assert worker.dispatch_outbox() == 1
    assert len(twilio.accepted) == 1, "asked again when it could be, and found: never sent twice"


def test_a_match_another_reply_already_owns_is_not_taken_for_this_one(sms, twilio, units_db):
    client, worker, config = sms
    text_in(client, config, "halo")
    drain(worker)
    with units_db.transaction() as session:  # the same text to the same number, queued again later
        first = session.scalar(select(OutboundMessage))
        from store.outbox import queue_outbound
        queue_outbound(session, channel="sms", recipient=first.recipient, body=first.body, idempotency_key="again")
    with units_db.transaction() as session:
        again = session.scalar(select(OutboundMessage).where(OutboundMessage.idempotency_key == "again"))
        again.status, again.claimed_until, again.attempts = "sending", again.created_at, 1  # died before sending
    assert worker.dispatch_outbox() == 1
    assert len(twilio.accepted) == 2, "the earlier reply's sid belongs to the earlier reply: this one was sent"


@pytest.mark.parametrize(("text", "count"), [("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("é" * 160, 1), ("€" * 80, 1), ("ü" * 70, 1), ("ğ" * 71, 2)])
def test_segment_counting(text, count):
    assert segments(text) == count


def test_every_reply_fits_two_sms_segments(config):
    from gateway.conversation import _short, numbered_categories

    values = {
        "ticket": "JKT-2611-00042", "unit": "Kelurahan Cempaka Putih Timur", "status": "Menunggu verifikasi",
        "link": f"https://lapor.jakarta.go.id/t/JKT-2611-00042?k={'x' * 32}", "number": "112", "colour": "kuning",
        "due": "27-11-2026 08:00", "place": "Kota Tangerang Selatan, Banten", "category": "Jaringan Listrik dan Penerangan Jalan",
        "confidential": "Identitas dirahasiakan", "reason": "the file is 12000000 bytes; the limit is 10485760",
        "note": "", "proof": f"https://lapor.jakarta.go.id/media/{'x' * 43}", "score": 5, "original": "JKT-2611-00041",
        "choices": ", ".join(f"{i}={_short(c.name.id)}" for i, c in enumerate(numbered_categories(config), 1)),
    }
    for key in config.messages:
        if key.startswith(("track_", "case_", "officer_", "console_")):
            continue  # the web page's labels, what officers read on Telegram or e-mail, and replies the team writes
        for language in ("id", "en"):
            text = config.message(key, language, **values)
            assert segments(text) <= 2, f"{key}/{language} is {segments(text)} segments: {text}"
