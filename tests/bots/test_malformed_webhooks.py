"""Malformed webhooks with valid credentials get a clear 4xx, never a 500, and nothing is stored."""

import json

import pytest

from store.models import InboundMessage
from tests.bots.test_sms import PHONE, SID, TOKEN, sms, text_in, twilio  # noqa: F401  (fixtures)
from tests.bots.test_telegram import SECRET, post, telegram_api, tg  # noqa: F401  (fixtures)
from tests.bots.test_telegram import TOKEN as TELEGRAM_TOKEN
from tests.helpers import count
from tests.standins.twilio_api import twilio_signature

NEVER_LOGGED = (TOKEN, TELEGRAM_TOKEN, SECRET, PHONE)
CHAT = {"id": 4242, "type": "private"}


@pytest.mark.parametrize("update", [
    {"update_id": 1, "message": {"message_id": 1, "date": 1764000000, "chat": "4242", "text": "halo"}},
    {"update_id": 2, "message": {"message_id": 1, "date": 1764000000, "text": "halo"}},
    {"update_id": 3, "callback_query": {"id": "q", "chat_instance": "1", "data": "x", "from": {"id": 1, "is_bot": False,
                                                                                              "first_name": "A"},
                                        "message": "not an object"}},
    {"update_id": 4, "message": {"message_id": 1, "date": 1764000000, "chat": CHAT, "text": "ha\x00lo"}},
    {"update_id": 5, "message": {"message_id": "one", "date": "today", "chat": CHAT, "text": "halo"}},
], ids=["chat-is-a-string", "no-chat", "callback-message-is-a-string", "nul-byte", "wrong-types"])
def test_a_malformed_telegram_update_is_refused(tg, units_db, update):  # noqa: F811
    client, _ = tg
    response = post(client, update)
    assert response.status_code == 400 and "error" in response.get_json()
    assert count(units_db, InboundMessage) == 0


def test_json_nested_a_thousand_deep_is_refused(tg, units_db):  # noqa: F811
    client, _ = tg
    body = '{"update_id": 1, "message": ' + "[" * 1000 + "]" * 1000 + "}"
    response = client.post("/webhooks/telegram", data=body, content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 400
    deep = {"update_id": 2}
    node = deep
    for _ in range(80):
        node["x"] = {}
        node = node["x"]
    assert post(client, deep).status_code == 400
    assert count(units_db, InboundMessage) == 0


@pytest.mark.parametrize("sid", ["SM" + "a" * 100_000, "SM\x00abc", "SM abc", "S"])
def test_a_signed_twilio_message_with_a_bad_sid_is_refused(sms, units_db, sid):  # noqa: F811
    client, _, config = sms
    response = text_in(client, config, "halo", sid=sid)
    assert 400 <= response.status_code < 500
    assert count(units_db, InboundMessage) == 0


def test_a_signed_twilio_message_with_a_nul_in_its_text_is_refused(sms, units_db):  # noqa: F811
    client, _, config = sms
    assert text_in(client, config, "ha\x00lo").status_code == 400
    assert count(units_db, InboundMessage) == 0


def test_a_status_callback_with_a_bad_sid_is_refused(sms):  # noqa: F811
    client, _, config = sms
    status = {"MessageSid": "SM\x00" + "1" * 10, "MessageStatus": "delivered", "AccountSid": SID}
    signed = twilio_signature(TOKEN, config.server.base_url + "/webhooks/twilio/status", status)
    assert client.post("/webhooks/twilio/status", data=status, headers={"X-Twilio-Signature": signed}).status_code == 400
    assert json.loads(json.dumps(status))  # the form itself was well-formed
