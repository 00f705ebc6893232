"""Fuzzing every webhook and the Open311 API (hypothesis, bounded): never a 5xx, and a refused request
writes nothing. On SQLite and PostgreSQL."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.channels import build_adapters
from store.models import InboundMessage, Report
from tests.conftest import API_KEY
from tests.standins.twilio_api import twilio_signature

pytestmark = pytest.mark.sql_dialects

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SID, TOKEN, SECRET = "AC" + "3" * 32, "fuzz-twilio-token", "fuzz-telegram-secret"
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
SCALAR = st.none() | st.booleans() | st.integers(-2**63, 2**63) | st.floats(allow_nan=True) | TEXT
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=20)
TELEGRAM_KEYS = st.sampled_from(["message", "edited_message", "callback_query", "chat", "from", "text", "id", "location",
                                 "photo", "data", "message_id", "date", "latitude", "longitude", "update_id"])
TELEGRAM = st.fixed_dictionaries({"update_id": st.integers(-5, 2**40) | SCALAR},
                                 optional={"message": st.dictionaries(TELEGRAM_KEYS, JSON, max_size=6) | JSON,
                                           "callback_query": st.dictionaries(TELEGRAM_KEYS, JSON, max_size=6) | JSON})
FORM_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)


class Gateway(tuple):
    def __repr__(self) -> str:  # hypothesis prints the arguments of a failing example: not the whole config
        return "gateway"


@pytest.fixture
def gateway(units_db, config, wilayah, normalizer):
    environ = {"TELEGRAM_BOT_TOKEN": "1:fuzz", "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": "http://127.0.0.1:9/bot",
               "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": "+62811000000",
               "TWILIO_API_BASE": "http://127.0.0.1:9", "OPEN311_API_KEYS": API_KEY}
    app = create_app(config, units_db, wilayah, environ=environ, normalizer=normalizer,
                     adapters=build_adapters(environ, config.server.base_url))
    return Gateway((app.test_client(), units_db, config))


def rows(db, model) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model))


@FUZZ
@given(update=TELEGRAM)
def test_telegram_webhook(gateway, update):
    client, db, _ = gateway
    before = rows(db, InboundMessage)
    response = client.post("/webhooks/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert rows(db, InboundMessage) == before


@FUZZ
@given(form=st.dictionaries(st.sampled_from(["MessageSid", "From", "To", "Body", "NumMedia", "MediaUrl0", "AccountSid",
                                             "MessageStatus", "MediaContentType0"]), FORM_TEXT, max_size=7),
       path=st.sampled_from(["/webhooks/twilio/sms", "/webhooks/twilio/status"]))
def test_twilio_webhooks_signed(gateway, form, path):
    client, db, config = gateway
    before = rows(db, InboundMessage)
    signature = twilio_signature(TOKEN, config.server.base_url + path, form)
    response = client.post(path, data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert rows(db, InboundMessage) == before


OPEN311_FIELDS = ["service_code", "lat", "long", "address_string", "description", "email", "phone", "first_name",
                  "last_name", "media_url", "address_id", "device_id", "account_id", "attribute[x]", "jurisdiction_id"]


@FUZZ
@given(form=st.dictionaries(st.sampled_from(OPEN311_FIELDS), FORM_TEXT | st.sampled_from(["jalan", "-6.2", "106.8", ""]),
                            max_size=8),
       key=st.sampled_from([API_KEY, "", "salah", "kunci-é"]), fmt=st.sampled_from(["json", "xml"]))
def test_open311_post(gateway, form, key, fmt):
    client, db, _ = gateway
    before = rows(db, Report)
    response = client.post(f"/open311/v2/requests.{fmt}", data={**form, "api_key": key})
    assert response.status_code < 500, response.data
    if response.status_code >= 400:
        assert rows(db, Report) == before


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["service_request_id", "service_code", "start_date", "end_date", "status",
                                              "jurisdiction_id"]), FORM_TEXT, max_size=4),
       path=st.sampled_from(["/open311/v2/requests.json", "/open311/v2/requests.xml", "/open311/v2/services.json"]))
def test_open311_get(gateway, query, path):
    client, _, _ = gateway
    assert client.get(path, query_string=query).status_code < 500


@FUZZ
@given(ticket=FORM_TEXT.filter(lambda t: "/" not in t and t not in (".", "..")))
def test_open311_one_request(gateway, ticket):
    client, _, _ = gateway
    assert client.get(f"/open311/v2/requests/{ticket}.json").status_code < 500
