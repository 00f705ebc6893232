"""Every webhook channel through the one route, as a table: a row is how the provider posts a citizen's message
and a delivery report, and where its stand-in keeps our replies. Each row must bring a report to a ticket, refuse a
forged post and a malformed one, answer a repeated message once, and record a delivery report. A new channel is
one adapter, one row here and one config entry."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bots.telegram import SECRET_HEADER
from gateway.app import create_app
from gateway.channels import build_adapters
from gateway.worker import Worker
from store.models import InboundMessage, OutboundMessage, Report
from tests.helpers import count, drain
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.twilio_api import TwilioStandIn, twilio_signature
from tests.standins.whatsapp_api import WhatsAppStandIn, contact, signed_webhook, status_update, text_message, webhook

TELEGRAM_TOKEN, TELEGRAM_SECRET = "123456:CHANNEL-table", "telegram-secret-table"
SID, TWILIO_TOKEN = "AC" + "3" * 32, "twilio-token-table"
META_TOKEN, APP_SECRET, VERIFY_TOKEN, PHONE_ID = "EAAG-table-token", "meta-secret-table", "verify-table", "1065000001"
CITIZEN_NUMBER = "6281234567890"
NEVER_LOGGED = (TELEGRAM_TOKEN, TELEGRAM_SECRET, TWILIO_TOKEN, META_TOKEN, APP_SECRET, VERIFY_TOKEN,
                "+" + CITIZEN_NUMBER, "Siti")
NUMBERS = itertools.count(1)


@dataclass
class Provider:
    """The stand-ins every row talks to, and the gateway with all four channels configured."""

    client: object
    worker: Worker
    base_url: str
    telegram: TelegramStandIn
    twilio: TwilioStandIn
    meta: WhatsAppStandIn


@dataclass(frozen=True)
class Row:
    channel: str
    post: Callable  # (provider, text, message_id, forged) → response
    malformed: Callable  # (provider) → response to a signed post that is not the provider's shape
    replies: Callable  # (provider) → the texts our gateway sent to the citizen, oldest first
    report_delivery: Callable | None  # (provider, provider message id, delivered) → response; None: no reports


def _twilio_post(path: str, sender: str):
    def post(provider: Provider, text: str, message_id: str, forged: bool = False):
        form = {"MessageSid": f"SM{message_id:0>32}", "AccountSid": SID, "From": sender, "To": "+62811000000",
                "Body": text, "NumMedia": "0"}
        signature = twilio_signature(TWILIO_TOKEN if not forged else "wrong", provider.base_url + path, form)
        return provider.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    return post


def _twilio_malformed(path: str):
    def post(provider: Provider):
        form = {"AccountSid": SID, "Body": "no sid, no sender"}
        signature = twilio_signature(TWILIO_TOKEN, provider.base_url + path, form)
        return provider.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    return post


def _twilio_status(path: str):
    def post(provider: Provider, sid: str, delivered: bool):
        form = {"MessageSid": sid, "MessageStatus": "delivered" if delivered else "undelivered", "AccountSid": SID,
                **({} if delivered else {"ErrorCode": "30003"})}
        signature = twilio_signature(TWILIO_TOKEN, provider.base_url + path, form)
        return provider.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    return post


def _twilio_replies(to: str):
    return lambda provider: [m["Body"] for m in provider.twilio.messages if m.get("To") == to]


def _telegram_post(provider: Provider, text: str, message_id: str, forged: bool = False):
    update = {"update_id": int(message_id), "message": {
        "message_id": 1, "date": 1764000000, "chat": {"id": 4242, "type": "private"}, "text": text,
        "from": {"id": 4242, "is_bot": False, "first_name": "Siti"}}}
    return provider.client.post("/webhooks/telegram", data=json.dumps(update), content_type="application/json",
                                headers={SECRET_HEADER: "wrong" if forged else TELEGRAM_SECRET})


def _telegram_malformed(provider: Provider):
    return provider.client.post("/webhooks/telegram", data=json.dumps({"update_id": "one"}),
                                content_type="application/json", headers={SECRET_HEADER: TELEGRAM_SECRET})


def _meta_post(provider: Provider, text: str, message_id: str, forged: bool = False):
    payload = webhook(PHONE_ID, messages=[text_message(CITIZEN_NUMBER, text, f"wamid.{message_id}")],
                      contacts=[contact(CITIZEN_NUMBER)])
    body, headers = signed_webhook("wrong" if forged else APP_SECRET, payload)
    return provider.client.post("/webhooks/whatsapp", data=body, headers=headers)


def _meta_malformed(provider: Provider):
    body, headers = signed_webhook(APP_SECRET, {"object": "whatsapp_business_account", "entry": "not a list"})
    return provider.client.post("/webhooks/whatsapp", data=body, headers=headers)


def _meta_status(provider: Provider, wamid: str, delivered: bool):
    status = status_update(wamid, CITIZEN_NUMBER, "delivered" if delivered else "failed",
                           None if delivered else (131026, "Message undeliverable"))
    body, headers = signed_webhook(APP_SECRET, webhook(PHONE_ID, statuses=[status]))
    return provider.client.post("/webhooks/whatsapp", data=body, headers=headers)


ROWS = [
    Row("sms", _twilio_post("/webhooks/twilio/sms", "+" + CITIZEN_NUMBER), _twilio_malformed("/webhooks/twilio/sms"),
        _twilio_replies("+" + CITIZEN_NUMBER), _twilio_status("/webhooks/twilio/status")),
    Row("telegram", _telegram_post, _telegram_malformed, lambda p: [m["text"] for m in p.telegram.sent()], None),
    Row("whatsapp", _meta_post, _meta_malformed,
        lambda p: [m.get("text", {}).get("body") or m.get("interactive", {}).get("body", {}).get("text")
                   for m in p.meta.sent], _meta_status),
    Row("twilio_whatsapp", _twilio_post("/webhooks/twilio_whatsapp", "whatsapp:+" + CITIZEN_NUMBER),
        _twilio_malformed("/webhooks/twilio_whatsapp"), _twilio_replies("whatsapp:+" + CITIZEN_NUMBER),
        _twilio_status("/webhooks/twilio_whatsapp/status")),
]


@pytest.fixture
def provider(units_db, config, wilayah, normalizer):
    telegram, twilio, meta = (TelegramStandIn(TELEGRAM_TOKEN).start(), TwilioStandIn(SID, TWILIO_TOKEN).start(),
                              WhatsAppStandIn(META_TOKEN, PHONE_ID).start())
    environ = {"TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
               "TELEGRAM_API_BASE": telegram.api_base,
               "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "TWILIO_FROM_NUMBER": "+62811000000",
               "TWILIO_WHATSAPP_FROM": "+62811000001", "TWILIO_API_BASE": twilio.base_url,
               "WHATSAPP_TOKEN": META_TOKEN, "WHATSAPP_PHONE_NUMBER_ID": PHONE_ID, "WHATSAPP_APP_SECRET": APP_SECRET,
               "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "WHATSAPP_API_BASE": meta.api_base}
    adapters = build_adapters(environ, config.server.base_url)
    app = create_app(config, units_db, wilayah, environ=environ, normalizer=normalizer, adapters=adapters)
    yield Provider(app.test_client(), Worker(app.extensions["lapor"], adapters), config.server.base_url,
                   telegram, twilio, meta)
    for adapter in adapters.values():
        adapter.close()
    for standin in (telegram, twilio, meta):
        standin.stop()


def say(provider: Provider, row: Row, text: str, message_id: str | None = None):
    response = row.post(provider, text, message_id or str(next(NUMBERS)))
    assert response.status_code == 200, response.data
    drain(provider.worker)


@pytest.mark.parametrize("row", ROWS, ids=[row.channel for row in ROWS])
def test_a_citizen_reports_to_a_ticket(provider, row, units_db):
    for text in ("Lampu jalan mati udah seminggu", "Jl. Kenari kel. Kenari", "rahasia", "ya"):
        say(provider, row, text)
    replies = row.replies(provider)
    assert len(replies) == 4 and replies[-1].startswith("Laporan diterima: JKT-"), replies
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert report.origin_channel == row.channel and report.assigned_unit.name == "Kelurahan Kenari"


@pytest.mark.parametrize("row", ROWS, ids=[row.channel for row in ROWS])
def test_a_forged_or_malformed_post_is_refused_and_nothing_is_kept(provider, row, units_db):
    assert row.post(provider, "halo", str(next(NUMBERS)), forged=True).status_code == 403
    assert row.malformed(provider).status_code == 400
    assert count(units_db, InboundMessage) == 0


@pytest.mark.parametrize("row", ROWS, ids=[row.channel for row in ROWS])
def test_a_repeated_message_is_answered_once(provider, row):
    number = str(next(NUMBERS))
    say(provider, row, "halo", number)
    say(provider, row, "halo", number)
    assert len(row.replies(provider)) == 1


@pytest.mark.parametrize("row", ROWS, ids=[row.channel for row in ROWS])
def test_the_worker_of_the_same_process_takes_the_webhooks_parse(provider, row, monkeypatch):
    """As in `run.py serve`, what the webhook parsed is handed to the worker (`gateway/handover.py`), which does not
    parse the stored payload again. A repeated delivery hands nothing over: the payload stored first is the message."""
    provider.client.application.extensions["lapor.handover"] = provider.worker.handover  # as jobs.start_scheduler
    adapter, parsed = provider.worker.adapters[row.channel], []
    parse = adapter.parse
    monkeypatch.setattr(adapter, "parse", lambda payload: parsed.append(payload) or parse(payload))
    number = str(next(NUMBERS))
    assert row.post(provider, "halo", number).status_code == 200
    assert row.post(provider, "Lampu jalan mati udah seminggu", number).status_code == 200  # its id again
    drain(provider.worker)
    assert len(parsed) == 2, "each post parsed once, by the webhook"
    [reply] = row.replies(provider)
    assert reply.startswith("Halo!"), "the message stored first is the one answered"


@pytest.mark.parametrize("row", [row for row in ROWS if row.report_delivery], ids=lambda row: row.channel)
def test_delivery_reports_are_recorded(provider, row, units_db):
    say(provider, row, "halo")
    say(provider, row, "halo lagi")
    with units_db.transaction() as session:
        first, second = session.scalars(select(OutboundMessage.provider_message_id).order_by(OutboundMessage.id))
    assert row.report_delivery(provider, first, True).status_code == 200
    assert row.report_delivery(provider, second, False).status_code == 200
    with units_db.transaction() as session:
        statuses = list(session.execute(select(OutboundMessage.status, OutboundMessage.last_error)
                                        .order_by(OutboundMessage.id)))
    assert statuses[0] == ("delivered", None)
    assert statuses[1][0] == "failed" and statuses[1][1]


def test_whatsapp_proves_the_endpoint_with_its_verify_token(provider):
    query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    answered = provider.client.get("/webhooks/whatsapp", query_string=query)
    assert answered.status_code == 200 and answered.data == b"1158201444"
    wrong = provider.client.get("/webhooks/whatsapp", query_string=query | {"hub.verify_token": "guess"})
    assert wrong.status_code == 403
    assert provider.client.get("/webhooks/telegram", query_string=query).status_code == 403, "no GET proof there"
    assert provider.client.post("/webhooks/nochannel", data="{}").status_code == 404


def test_whatsapp_status_updates_go_as_approved_templates_even_outside_the_window(provider, units_db, config):
    from gateway.notifications import tell_followers
    from store import lifecycle
    from store.reports import transition_report
    from tests.helpers import OFFICER

    whatsapp = next(row for row in ROWS if row.channel == "whatsapp")
    tell_followers(provider.worker.services)  # the first run only marks where news begins
    for text in ("Lampu jalan mati udah seminggu", "Jl. Kenari kel. Kenari", "rahasia", "ya"):
        say(provider, whatsapp, text)
    provider.meta.last_inbound[CITIZEN_NUMBER] = 0  # the citizen last wrote more than 24 h ago
    with units_db.transaction() as session:
        ticket = session.scalar(select(Report.ticket))
    transition_report(units_db, ticket, lifecycle.DITANGANI, OFFICER)
    assert tell_followers(provider.worker.services) == 1
    drain(provider.worker)
    update = provider.meta.sent[-1]
    assert update["type"] == "template" and update["template"]["name"] == "lapor_status_changed"
    parameters = [p["text"] for p in update["template"]["components"][0]["parameters"]]
    assert parameters[0] == ticket and parameters[-1].startswith(f"{config.server.base_url}/t/{ticket}")
    del provider.meta.last_inbound[CITIZEN_NUMBER]  # the citizen writes again: the window opens
    say(provider, whatsapp, "status")
    assert provider.meta.sent[-1]["type"] in ("text", "interactive")


def test_a_whatsapp_reply_outside_the_window_fails_for_good(provider, units_db):
    whatsapp = next(row for row in ROWS if row.channel == "whatsapp")
    provider.meta.last_inbound[CITIZEN_NUMBER] = 0  # the citizen last wrote more than 24 h ago
    response = whatsapp.post(provider, "halo", str(next(NUMBERS)))
    assert response.status_code == 200
    drain(provider.worker)
    with units_db.transaction() as session:
        status, error = session.execute(select(OutboundMessage.status, OutboundMessage.last_error)).one()
    assert status == "failed" and "131047" in error, "never retried: only a template could go"


@pytest.mark.parametrize("row", [row for row in ROWS if row.channel in ("telegram", "whatsapp")], ids=lambda r: r.channel)
def test_text_that_cannot_be_stored_is_refused_with_a_400_not_a_500(provider, row, units_db):
    """A lone surrogate (valid JSON, not UTF-8) or a NUL is refused before anything is stored."""
    for text in ("\ud800 lampu mati", "lampu\x00mati"):
        assert row.post(provider, text, str(next(NUMBERS))).status_code == 400
    assert count(units_db, InboundMessage) == 0


def test_a_forged_post_is_refused_before_its_body_is_read(provider):
    deep = b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    forged = provider.client.post("/webhooks/whatsapp", data=deep, content_type="application/json",
                                  headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert forged.status_code == 403


def test_an_abandoned_whatsapp_draft_expires_with_its_template(provider):
    """The expiry comes a day after the citizen last wrote, outside WhatsApp's window: only a template goes."""
    from datetime import timedelta

    from gateway.jobs import remind_and_expire
    from store.types import utcnow

    whatsapp = next(row for row in ROWS if row.channel == "whatsapp")
    say(provider, whatsapp, "Lampu jalan mati udah seminggu")  # a draft, waiting for its place
    provider.meta.last_inbound[CITIZEN_NUMBER] = 0
    assert remind_and_expire(provider.worker.services, now=utcnow() + timedelta(days=2)) == (0, 1)
    drain(provider.worker)
    assert provider.meta.sent[-1]["type"] == "template"
    assert provider.meta.sent[-1]["template"]["name"] == "lapor_draft_expired"
