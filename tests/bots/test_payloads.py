"""Case tables, one per adapter, fed by sample payloads in the providers' real shapes
(tests/fixtures/<channel>/): what each adapter makes of them. A new channel adds a folder and a table."""

from __future__ import annotations

import base64
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from bots.email import inbox_entry
from bots.telegram import TelegramAdapter
from gateway.channels import build_adapters
from tests.standins.twilio_api import twilio_signature

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
ENVIRON = {
    "TELEGRAM_BOT_TOKEN": "123456:PAYLOAD-token", "TELEGRAM_WEBHOOK_SECRET": "payload-webhook-secret",
    "TELEGRAM_API_BASE": "http://127.0.0.1:9/bot",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "payload-twilio-token", "TWILIO_FROM_NUMBER": "+62811000000",
    "TWILIO_API_BASE": "http://127.0.0.1:9",
    "IMAP_HOST": "127.0.0.1", "IMAP_USER": "lapor", "IMAP_PASSWORD": "payload-imap-password", "EMAIL_FROM": "lapor@jakarta.test",
    "X_BEARER_TOKEN": "payload-x-bearer", "X_USER_ID": "1600000000000000001", "X_API_BASE": "http://127.0.0.1:9",
}
NEVER_LOGGED = tuple(value for key, value in ENVIRON.items() if key.endswith(("TOKEN", "SECRET", "PASSWORD")))
WEBHOOK_URL = "https://lapor.jakarta.go.id/webhooks/twilio/sms"


def cases(channel: str, suffix: str = ".json"):
    return [pytest.param(path, id=path.stem) for path in sorted((FIXTURES / channel).glob(f"*{suffix}"))]


@pytest.fixture(scope="module")
def adapters():
    return build_adapters(ENVIRON, "https://lapor.jakarta.go.id")


@pytest.fixture
def case(request):
    """A fixture file; its personal data joins what the log guard looks for."""
    data = json.loads(request.param.read_text("utf-8"))
    request.node.never_logged = data["never_logged"]
    return data


def check(messages, expected: list[dict]) -> None:
    assert len(messages) == len(expected), [message.text for message in messages]
    for message, expect in zip(messages, expected):
        got = asdict(message)
        got["media"] = [dict(media) for media in got["media"]]
        for key, value in expect.items():
            if key == "text_contains":
                assert all(part in message.text for part in value), message.text
            elif key == "text_excludes":
                assert not any(part in message.text for part in value), message.text
            elif key == "media_types":
                assert [media.content_type for media in message.media] == value
            elif key == "reply_context_has":
                assert all(message.reply_context.get(name) for name in value), message.reply_context
            else:
                assert got[key] == value, f"{key}: {got[key]!r} != {value!r}"


@pytest.mark.parametrize("case", cases("telegram"), indirect=True)
def test_telegram_updates(adapters, case):
    adapter = adapters["telegram"]
    messages = adapter.parse(case["payload"])
    check(messages, case["expect"])
    for message in messages:
        assert message.channel == "telegram" and TelegramAdapter.sender_of(case["payload"]) == message.sender
    assert adapter.verify("", {"X-Telegram-Bot-Api-Secret-Token": ENVIRON["TELEGRAM_WEBHOOK_SECRET"]}, {}, b"")
    assert not adapter.verify("", {"X-Telegram-Bot-Api-Secret-Token": "forged"}, {}, b"")


@pytest.mark.parametrize("case", cases("twilio"), indirect=True)
def test_twilio_messages(adapters, case):
    adapter, form = adapters["sms"], case["form"]
    signature = twilio_signature(ENVIRON["TWILIO_AUTH_TOKEN"], WEBHOOK_URL, form)
    assert adapter.verify(WEBHOOK_URL, {"X-Twilio-Signature": signature}, form, b"")
    assert not adapter.verify(WEBHOOK_URL, {"X-Twilio-Signature": signature}, {**form, "Body": "diubah"}, b"")
    messages = adapter.parse(form)
    check(messages, case["expect"])
    assert all(message.channel == "sms" for message in messages)


@pytest.mark.parametrize("case", cases("email"), indirect=True)
def test_email_messages(adapters, case, request):
    raw = request.node.callspec.params["case"].with_suffix(".eml").read_bytes()
    key, sender, payload = inbox_entry(raw, uid=7, uidvalidity=1, size=len(raw), truncated=False)
    messages = adapters["email"].parse(payload)
    check(messages, case["expect"])
    for message in messages:
        assert message.provider_message_id == key and message.sender == sender
        if message.media:
            data, content_type = adapters["email"].fetch_media(message.media[0])
            assert content_type == message.media[0].content_type and len(data) > 0
    assert base64.b64decode(payload["mail"]) == raw


@pytest.mark.parametrize("case", cases("x"), indirect=True)
def test_x_mentions(adapters, case):
    adapter = adapters["x"]
    assert adapter.user_id == case["account_id"]
    messages = [message for mention in adapter.mentions_in(case["page"]) for message in adapter.parse(mention)]
    check(messages, case["expect"])
    assert all("@" not in message.text for message in messages), "handles are personal data: never kept in the text"
