"""Telegram end to end: signed webhook → inbox → conversation → outbox → Bot API stand-in."""

import json
import time

import pytest
from sqlalchemy import select

from bots.telegram import SECRET_HEADER, TelegramAdapter
from gateway.app import create_app
from gateway.channels import build_adapters
from gateway.worker import Worker
from store.models import ContactIdentity, InboundMessage, OutboundMessage, Report
from tests.helpers import count, drain
from tests.standins.telegram_api import TelegramStandIn

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret-abc"
NEVER_LOGGED = (TOKEN, SECRET, "4242", "5555", "-100777", "Siti")


@pytest.fixture
def telegram_api():
    standin = TelegramStandIn(TOKEN).start()
    yield standin
    standin.stop()


@pytest.fixture
def tg(units_db, config, wilayah, normalizer, telegram_api):
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": telegram_api.api_base}
    app = create_app(config, units_db, wilayah, environ=environ, normalizer=normalizer, adapters=build_adapters(environ))
    worker = Worker(app.extensions["lapor"], app.extensions["lapor"].adapters)
    return app.test_client(), worker


UPDATE_ID = iter(range(5000, 10_000))


def update(chat_id=4242, text=None, location=None, update_id=None):
    message = {"message_id": 1, "date": 1764000000, "chat": {"id": chat_id, "type": "private"},
               "from": {"id": chat_id, "is_bot": False, "first_name": "Siti"}}
    if text is not None:
        message["text"] = text
    if location is not None:
        message["location"] = {"latitude": location[0], "longitude": location[1]}
    return {"update_id": update_id if update_id is not None else next(UPDATE_ID), "message": message}


def pressed(data, chat_id=4242, query_id=None, update_id=None):
    """A callback_query update: the citizen pressed an inline button carrying `data`."""
    update_id = update_id if update_id is not None else next(UPDATE_ID)
    query = {"id": query_id or f"cbq-{update_id}", "chat_instance": "-5911", "data": data,
             "from": {"id": chat_id, "is_bot": False, "first_name": "Siti"},
             "message": {"message_id": 2, "date": 1764000000, "chat": {"id": chat_id, "type": "private"},
                         "from": {"id": 777000, "is_bot": True, "first_name": "Lapor Jakarta"}, "text": "?"}}
    return {"update_id": update_id, "callback_query": query}


def post(client, payload, secret=SECRET):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return client.post("/webhooks/telegram", data=json.dumps(payload), headers=headers, content_type="application/json")


def test_a_report_over_telegram_with_location_button_and_buttons(tg, telegram_api, units_db):
    client, worker = tg
    assert post(client, update(text="pohon tumbang nutup jalan")).status_code == 200
    drain(worker)
    [asked] = telegram_api.sent()
    assert asked["chat_id"] == "4242"
    keyboard = json.loads(asked["reply_markup"])
    assert keyboard["keyboard"][0][0]["request_location"] is True
    post(client, update(location=(-6.1754, 106.8272)))
    drain(worker)
    confidential = json.loads(telegram_api.sent()[-1]["reply_markup"])
    assert [b["text"] for b in confidential["keyboard"][0]] == ["RAHASIA", "PUBLIK"]
    post(client, update(text="RAHASIA"))
    drain(worker)
    post(client, update(text="YA"))
    drain(worker)
    assert telegram_api.sent()[-1]["text"].startswith("Laporan diterima: JKT-")
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert report.origin_channel == "telegram" and report.assigned_unit.name == "Kelurahan Gambir"
        assert report.latitude == -6.1754


def test_forged_or_malformed_webhooks_are_refused_and_store_nothing(tg, units_db):
    client, _ = tg
    assert post(client, update(text="halo"), secret="wrong").status_code == 403
    assert post(client, update(text="halo"), secret=None).status_code == 403
    assert post(client, {"no": "update"}).status_code == 400
    assert post(client, {"update_id": "7"}).status_code == 400
    response = client.post("/webhooks/telegram", data="not json", headers={SECRET_HEADER: SECRET}, content_type="application/json")
    assert response.status_code == 400
    assert count(units_db, InboundMessage) == 0


def test_the_same_update_twice_is_handled_once(tg, telegram_api, units_db):
    client, worker = tg
    same = update(text="halo", update_id=99)
    assert post(client, same).status_code == 200
    assert post(client, same).status_code == 200
    drain(worker)
    assert count(units_db, InboundMessage) == 1 and len(telegram_api.sent()) == 1


def test_rate_limits_are_waited_out_and_a_block_stops_the_contact(tg, telegram_api, units_db):
    client, worker = tg
    telegram_api.fail_next(429, "Too Many Requests: retry after 1", retry_after=1)
    post(client, update(text="halo"))
    drain(worker)
    assert len(telegram_api.sent()) == 1, "refused with 429"
    assert worker.dispatch_outbox() == 0, "not before retry_after"
    time.sleep(1.1)
    assert worker.dispatch_outbox() == 1
    assert len(telegram_api.sent()) == 2, "then sent on the next round"
    with units_db.transaction() as session:
        assert session.scalar(select(OutboundMessage)).status == "sent"
    telegram_api.fail_next(403, "Forbidden: bot was blocked by the user")
    post(client, update(chat_id=5555, text="halo"))
    drain(worker)
    with units_db.transaction() as session:
        blocked = session.scalar(select(ContactIdentity).where(ContactIdentity.stopped_at.is_not(None)))
        assert blocked is not None and "blocked" in blocked.stop_reason


def test_updates_that_are_not_messages_are_acknowledged_and_ignored(tg, telegram_api, units_db):
    client, worker = tg
    assert post(client, {"update_id": 1234, "poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0,
                                                    "is_closed": False, "is_anonymous": True, "type": "regular",
                                                    "allows_multiple_answers": False}}).status_code == 200
    drain(worker)
    assert telegram_api.sent() == []
    with units_db.transaction() as session:
        assert session.scalar(select(InboundMessage)).status == "processed"


def test_the_adapter_maps_provider_errors(telegram_api):
    from bots.base import Outgoing, PermanentError, RetryableError

    adapter = TelegramAdapter(TOKEN, SECRET, telegram_api.api_base)
    telegram_api.fail_next(400, "Bad Request: chat not found")
    with pytest.raises(PermanentError):
        adapter.send(Outgoing("telegram", "1", "x"))
    telegram_api.fail_next(429, "Too Many Requests", retry_after=7)
    with pytest.raises(RetryableError) as caught:
        adapter.send(Outgoing("telegram", "1", "x"))
    assert caught.value.retry_after == 7
    assert adapter.send(Outgoing("telegram", "1", "x")).isdigit()


JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 200


def test_a_photo_is_downloaded_stored_and_attached_to_the_report(tg, telegram_api, units_db):
    from store.models import Attachment

    client, worker = tg
    telegram_api.files["PHOTO-1"] = JPEG
    photo = update(text=None)
    photo["message"]["photo"] = [{"file_id": "PHOTO-0", "file_unique_id": "u0", "width": 90, "height": 90},
                                 {"file_id": "PHOTO-1", "file_unique_id": "u1", "width": 800, "height": 600}]
    photo["message"]["caption"] = "sampah numpuk depan halte Harmoni"
    post(client, photo)
    drain(worker)
    for text in ("publik", "ya"):
        post(client, update(text=text))
        drain(worker)
    assert telegram_api.sent()[-1]["text"].startswith("Laporan diterima")
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        [attachment] = session.scalars(select(Attachment)).all()
        assert attachment.report_id == report.id and attachment.size_bytes == len(JPEG)
        assert (units_db.attachments_dir / attachment.storage_key).read_bytes() == JPEG


def test_a_photo_that_is_not_an_image_is_refused_politely(tg, telegram_api, units_db):
    client, worker = tg
    telegram_api.files["BAD"] = b"<html>not a photo</html>"
    photo = update(text=None)
    photo["message"]["photo"] = [{"file_id": "BAD", "file_unique_id": "b", "width": 1, "height": 1}]
    post(client, photo)
    drain(worker)
    assert telegram_api.sent()[0]["text"].startswith("Foto tidak bisa disimpan: the file is not a valid image/jpeg")


def test_a_restart_mid_conversation_loses_nothing(tg, telegram_api, units_db, config, wilayah, normalizer):
    client, worker = tg
    post(client, update(chat_id=808, text="lampu jalan mati"))
    drain(worker)
    # a new process: new app, new worker, same database
    environ = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE": telegram_api.api_base}
    app = create_app(config, units_db, wilayah, environ=environ, normalizer=normalizer, adapters=build_adapters(environ))
    client, worker = app.test_client(), Worker(app.extensions["lapor"], app.extensions["lapor"].adapters)
    for text in ("kel. Kenari", "rahasia", "ya"):
        post(client, update(chat_id=808, text=text))
        drain(worker)
    assert telegram_api.sent()[-1]["text"].startswith("Laporan diterima")


def test_long_polling_feeds_the_same_inbox_without_repeats(tg, telegram_api, units_db):
    from gateway.polling import poll_channel

    _client, worker = tg
    services = worker.services
    services.adapters["telegram"].start_polling()
    assert any(name == "deleteWebhook" for name, _ in telegram_api.calls)
    telegram_api.updates = [update(text="halo", update_id=700), update(chat_id=11, text="halo", update_id=701)]
    assert poll_channel(services, "telegram") == 2
    assert poll_channel(services, "telegram") == 0, "the offset starts after the newest update polled"
    offsets = [params.get("offset") for name, params in telegram_api.calls if name == "getUpdates"]
    assert offsets[-1] == "702"
    drain(worker)
    assert len(telegram_api.sent()) == 2


def test_the_webhook_is_registered_with_its_secret(telegram_api):
    adapter = TelegramAdapter(TOKEN, SECRET, telegram_api.api_base)
    adapter.set_webhook("https://lapor.example/webhooks/telegram")
    [params] = [params for name, params in telegram_api.calls if name == "setWebhook"]
    assert params["url"] == "https://lapor.example/webhooks/telegram" and params["secret_token"] == SECRET


UNSURE = "tolong dong ini di kel. Klender, parah banget"  # a place, but no category the bot is sure of


def inline_keyboard(sent):
    return json.loads(sent["reply_markup"])["inline_keyboard"]


def test_the_category_is_asked_with_inline_buttons_and_a_press_answers_it(tg, telegram_api, units_db, config):
    client, worker = tg
    post(client, update(text=UNSURE))
    drain(worker)
    rows = inline_keyboard(telegram_api.sent()[-1])
    assert all(len(row) <= 2 for row in rows) and len(rows[0]) == 2, "two buttons a row"
    buttons = [button for row in rows for button in row]
    names = {c.code: c.name.id for c in config.categories}
    assert sorted(b["callback_data"] for b in buttons) == sorted(names), "every category once (likeliest first)"
    assert all(b["text"] == names[b["callback_data"]] for b in buttons)
    assert post(client, pressed("jalan", query_id="query-1")).status_code == 200
    drain(worker)
    assert telegram_api.sent("answerCallbackQuery") == [{"callback_query_id": "query-1"}]
    names = [name for name, _ in telegram_api.calls]
    assert names.index("answerCallbackQuery") == len(names) - 2, "answered just before the next question"
    asked = telegram_api.sent()[-1]
    assert asked["text"] == config.message("ask_confidential", "id")
    assert [b["text"] for b in json.loads(asked["reply_markup"])["keyboard"][0]] == ["RAHASIA", "PUBLIK"]
    for text in ("rahasia", "ya"):
        post(client, update(text=text))
        drain(worker)
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        assert report.category == "jalan" and report.assigned_unit.name == "Kelurahan Klender"


def test_an_unknown_press_is_answered_and_the_question_asked_again(tg, telegram_api, units_db, config):
    client, worker = tg
    post(client, update(text=UNSURE))
    drain(worker)
    for data in ("no-such-category", ""):
        assert post(client, pressed(data, query_id=f"odd-{data}")).status_code == 200
        drain(worker)
        assert inline_keyboard(telegram_api.sent()[-1]), "the category question again"
    assert {p["callback_query_id"] for p in telegram_api.sent("answerCallbackQuery")} == {"odd-no-such-category", "odd-"}
    with units_db.transaction() as session:
        assert {m.status for m in session.scalars(select(InboundMessage))} == {"processed"}
    post(client, pressed("jalan"))
    drain(worker)
    for text in ("publik", "ya"):
        post(client, update(text=text))
        drain(worker)
    with units_db.transaction() as session:
        assert "no-such-category" not in session.scalar(select(Report)).description


def test_a_press_with_no_draft_gets_a_polite_welcome(tg, telegram_api, config):
    client, worker = tg
    post(client, pressed("jalan", chat_id=31, query_id="stale"))
    drain(worker)
    assert telegram_api.sent()[-1]["text"] == config.message("welcome", "id")
    assert telegram_api.sent("answerCallbackQuery") == [{"callback_query_id": "stale"}]


def test_the_same_press_delivered_twice_is_handled_once(tg, telegram_api, units_db):
    client, worker = tg
    post(client, update(text=UNSURE))
    drain(worker)
    before = len(telegram_api.sent())
    same = pressed("jalan", query_id="twice", update_id=4321)
    assert post(client, same).status_code == 200 and post(client, same).status_code == 200
    drain(worker)
    assert count(units_db, InboundMessage) == 2
    assert len(telegram_api.sent("answerCallbackQuery")) == 1 and len(telegram_api.sent()) == before + 1


def test_a_press_that_can_no_longer_be_answered_still_gets_its_reply(tg, telegram_api, config):
    client, worker = tg
    post(client, update(text=UNSURE))
    drain(worker)
    telegram_api.fail_next(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
    post(client, pressed("jalan"))
    drain(worker)
    assert telegram_api.sent()[-1]["text"] == config.message("ask_confidential", "id")


def test_the_adapter_reads_a_press_as_a_choice_from_its_chat(telegram_api):
    adapter = TelegramAdapter(TOKEN, SECRET, telegram_api.api_base)
    [incoming] = adapter.parse(pressed("sampah", chat_id=-100777, query_id="q-9", update_id=9001))
    assert (incoming.sender, incoming.choice, incoming.acknowledge) == ("-100777", "sampah", "q-9")
    assert incoming.provider_message_id == "9001" and incoming.text == "" and incoming.sender_name == "Siti"
    assert TelegramAdapter.sender_of(pressed("sampah", chat_id=-100777)) == "-100777"


def test_callback_queries_are_asked_for_by_webhook_and_by_polling(tg, telegram_api):
    from gateway.polling import poll_channel

    _client, worker = tg
    adapter = worker.services.adapters["telegram"]
    adapter.set_webhook("https://lapor.example/webhooks/telegram")
    [webhook] = [params for name, params in telegram_api.calls if name == "setWebhook"]
    assert "callback_query" in json.loads(webhook["allowed_updates"])
    adapter.start_polling()
    telegram_api.updates = [update(text=UNSURE, update_id=800), pressed("jalan", update_id=801, query_id="polled")]
    assert poll_channel(worker.services, "telegram") == 2
    [polled, *_] = [params for name, params in telegram_api.calls if name == "getUpdates"]
    assert "callback_query" in json.loads(polled["allowed_updates"])
    drain(worker)
    assert telegram_api.sent("answerCallbackQuery") == [{"callback_query_id": "polled"}]


def test_an_emergency_then_its_location_and_a_photo_all_go_to_one_report(tg, telegram_api, units_db, config):
    from store.models import Attachment
    from tests.helpers import MONAS

    client, worker = tg
    post(client, update(chat_id=112, text="KEBAKARAN! rumah terbakar, ada orang terjebak, tolong!"))
    drain(worker)
    emergency, asked = telegram_api.sent()[-2:]
    assert emergency["text"].startswith("DARURAT: segera hubungi 112. Laporan JKT-")
    assert asked["text"] == config.message("emergency_ask_location_share", "id")
    assert json.loads(asked["reply_markup"])["keyboard"][0][0]["request_location"] is True
    with units_db.transaction() as session:
        report = session.scalar(select(Report))
        ticket = report.ticket
        assert report.priority == "darurat" and report.assigned_unit.code == "DINAS-GULKARMAT", "the fire service at once"
    post(client, update(chat_id=112, location=MONAS))
    drain(worker)
    assert telegram_api.sent()[-1]["text"].startswith(
        f"Lokasi laporan {ticket}: Kel. Gambir. Diteruskan ke Dinas Penanggulangan Kebakaran dan Penyelamatan.")
    telegram_api.files["FIRE-1"] = JPEG
    photo = update(chat_id=112)
    photo["message"]["photo"] = [{"file_id": "FIRE-1", "file_unique_id": "f1", "width": 800, "height": 600}]
    post(client, photo)
    drain(worker)
    assert telegram_api.sent()[-1]["text"] == config.message("emergency_photo_added", "id", ticket=ticket)
    with units_db.transaction() as session:
        [report] = session.scalars(select(Report)).all()
        assert report.ticket == ticket and (report.latitude, report.longitude) == MONAS
        assert report.assigned_unit.code == "DINAS-GULKARMAT" and report.kelurahan_code == "31.71.01.1001"
        [attachment] = session.scalars(select(Attachment)).all()
        assert attachment.report_id == report.id


def test_an_offset_a_week_old_is_not_sent_telegram_may_have_numbered_anew(tg, telegram_api, units_db):
    """After a week without updates Telegram picks the next update_id at random, perhaps below the stored offset."""
    from bots.telegram import TelegramAdapter
    from gateway.polling import poll_channel
    from store.cursors import get_cursor, set_cursor

    _client, worker = tg
    worker.services.adapters["telegram"].start_polling()
    set_cursor(units_db, TelegramAdapter.poll_cursor, {"offset": 90_000, "at": time.time() - 8 * 86400})
    telegram_api.updates = [update(text="halo", update_id=1234)]  # numbered anew, far below
    assert poll_channel(worker.services, "telegram") == 1
    [asked] = [params for name, params in telegram_api.calls if name == "getUpdates"]
    assert "offset" not in asked
    assert get_cursor(units_db, TelegramAdapter.poll_cursor)["offset"] == 1235, "the new numbering is followed"
