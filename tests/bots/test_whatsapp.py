"""WhatsApp Cloud API adapter against a stand-in Graph API: signed webhooks split into entries and delivery reports,
every kind of message read, replies sent as text, buttons, lists, location requests and templates, Meta's errors
mapped to retry or not, media fetched only from Meta's media host."""

import time

import pytest

import bots.whatsapp
from bots.base import Media, Outgoing, PermanentError, RetryableError
from bots.whatsapp import WhatsAppAdapter
from tests.standins.whatsapp_api import (
    WhatsAppStandIn,
    button_reply,
    contact,
    image_message,
    location_message,
    message,
    signed_webhook,
    status_update,
    text_message,
    webhook,
)

TOKEN, APP_SECRET, VERIFY_TOKEN = "EAAG-graph-token-123", "meta-app-secret-456", "verify-token-789"
PHONE_ID = "106540352242922"
WA_ID, OTHER_WA_ID = "6281234567890", "6289999999999"
BSUID = "ID.1349120865530274191"
URL = "https://lapor.example/webhooks/whatsapp"
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 500
NEVER_LOGGED = (TOKEN, APP_SECRET, VERIFY_TOKEN, "+" + WA_ID, "+" + OTHER_WA_ID, BSUID)


@pytest.fixture
def meta():
    standin = WhatsAppStandIn(TOKEN, PHONE_ID).start()
    yield standin
    standin.stop()


@pytest.fixture
def adapter(meta):
    adapter = WhatsAppAdapter(TOKEN, PHONE_ID, APP_SECRET, VERIFY_TOKEN, api_base=meta.api_base)
    yield adapter
    adapter.close()


def read(adapter: WhatsAppAdapter, post: dict):
    """What the gateway does with a verified post: its entries, each parsed on its own."""
    return [incoming for entry in adapter.entries(post) for incoming in adapter.parse(entry.payload)]


def say(text="Pilih salah satu", **fields) -> Outgoing:
    return Outgoing(channel="whatsapp", recipient=WA_ID, text=text, **fields)


# -- verifying posts and the endpoint -------------------------------------------------------------


def test_a_post_signed_with_the_app_secret_is_accepted_under_any_header_case(adapter):
    body, headers = signed_webhook(APP_SECRET, webhook(PHONE_ID, [text_message(WA_ID, "halo")], [contact(WA_ID)]))
    assert adapter.verify(URL, headers, {}, body)
    assert adapter.verify(URL, {name.lower(): value for name, value in headers.items()}, {}, body)


@pytest.mark.parametrize("forge", [
    pytest.param(lambda body, sig: (body, {}), id="no signature"),
    pytest.param(lambda body, sig: (body, {"X-Hub-Signature-256": ""}), id="empty signature"),
    pytest.param(lambda body, sig: (body + b" ", {"X-Hub-Signature-256": sig}), id="body tampered with"),
    pytest.param(lambda body, sig: (body.replace(b"halo", b"HALO"), {"X-Hub-Signature-256": sig}), id="text changed"),
    pytest.param(lambda body, sig: (body, {"X-Hub-Signature-256": sig.removeprefix("sha256=")}), id="no prefix"),
    pytest.param(lambda body, sig: (body, {"X-Hub-Signature-256": sig.replace("sha256=", "sha1=")}), id="sha1"),
    pytest.param(lambda body, sig: (body, {"X-Hub-Signature-256": sig[:-2]}), id="cut short"),
    pytest.param(lambda body, sig: (body, {"X-Hub-Signature-256": "sha256=é" + sig[8:]}), id="not hex"),
    pytest.param(lambda body, sig: (body, {"X-Hub-Signature-256": signed_webhook("another-secret", {})[1]
                                           ["X-Hub-Signature-256"]}), id="another secret"),
])
def test_a_forged_or_tampered_post_is_refused(adapter, forge):
    body, headers = signed_webhook(APP_SECRET, webhook(PHONE_ID, [text_message(WA_ID, "halo")], [contact(WA_ID)]))
    forged_body, forged_headers = forge(body, headers["X-Hub-Signature-256"])
    assert adapter.verify(URL, headers, {}, body)
    assert not adapter.verify(URL, forged_headers, {}, forged_body)


def test_without_an_app_secret_every_post_is_refused(meta):
    unset = WhatsAppAdapter(TOKEN, PHONE_ID, "", VERIFY_TOKEN, api_base=meta.api_base)
    body, headers = signed_webhook("", webhook(PHONE_ID))  # signed with the empty key, as a forger would
    assert not unset.verify(URL, headers, {}, body)
    unset.close()


def test_metas_subscription_check_is_answered_only_with_our_verify_token(adapter, meta):
    asked = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    assert adapter.challenge(asked) == "1158201444"
    assert adapter.challenge({**asked, "hub.verify_token": "guess"}) is None
    assert adapter.challenge({**asked, "hub.verify_token": ""}) is None
    assert adapter.challenge({**asked, "hub.mode": "unsubscribe"}) is None
    assert adapter.challenge({key: value for key, value in asked.items() if key != "hub.challenge"}) is None
    unset = WhatsAppAdapter(TOKEN, PHONE_ID, APP_SECRET, "", api_base=meta.api_base)
    assert unset.challenge({**asked, "hub.verify_token": ""}) is None
    unset.close()


# -- splitting posts ------------------------------------------------------------------------------


def test_a_post_with_several_messages_is_one_entry_each_with_its_own_sender(adapter):
    first, second = text_message(WA_ID, "lampu mati"), location_message(OTHER_WA_ID, -6.1754, 106.8272)
    post = webhook(PHONE_ID, [first, second], [contact(WA_ID, "Siti"), contact(OTHER_WA_ID, "Budi")])
    entries = adapter.entries(post)
    assert [(e.provider_message_id, e.sender) for e in entries] == [(first["id"], WA_ID), (second["id"], OTHER_WA_ID)]
    assert entries[1].payload["contact"]["profile"]["name"] == "Budi"
    assert entries[1].payload["metadata"]["phone_number_id"] == PHONE_ID
    assert [m.sender_name for m in read(adapter, post)] == ["Siti", "Budi"]
    assert adapter.deliveries(post) == []


def test_posts_without_messages_for_our_number_give_no_entries(adapter):
    status_only = webhook(PHONE_ID, statuses=[status_update("wamid.X1", WA_ID, "delivered")])
    assert adapter.entries(status_only) == []
    another_number = webhook("999999999999999", [text_message(WA_ID, "halo")], [contact(WA_ID)])
    assert adapter.entries(another_number) == [] and adapter.deliveries(another_number) == []
    in_group = message(WA_ID, "text", {"body": "halo"}, group_id="Y2FwaV9ncm91cDox")
    group = webhook(PHONE_ID, [in_group], [contact(WA_ID)])
    assert adapter.entries(group) == []
    preferences = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "user_preferences", "value": {"user_preferences": [{"wa_id": WA_ID, "value": "stop"}]}}]}]}
    assert adapter.entries(preferences) == [] and adapter.deliveries(preferences) == []


def test_a_citizen_with_a_username_and_no_phone_number_is_answered_by_their_business_scoped_id(adapter, meta):
    sent = {"from_user_id": BSUID, "id": "wamid.U1", "timestamp": "1764000000", "type": "text", "text": {"body": "hi"}}
    post = webhook(PHONE_ID, [sent], [{"profile": {"name": "Siti", "username": "@siti"}, "user_id": BSUID}])
    [entry] = adapter.entries(post)
    assert entry.sender == BSUID and adapter.parse(entry.payload)[0].sender == BSUID
    adapter.send(Outgoing("whatsapp", BSUID, "Terima kasih"))
    assert meta.sent[-1]["recipient"] == BSUID and "to" not in meta.sent[-1]


def _post(**value) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID}, **value}}]}]}


MALFORMED = {
    "not an object": ["whatsapp_business_account"],
    "null": None,
    "another product": {"object": "page", "entry": []},
    "no entry": {"object": "whatsapp_business_account"},
    "entry not a list": {"object": "whatsapp_business_account", "entry": {"id": "1"}},
    "entry not an object": {"object": "whatsapp_business_account", "entry": ["1"]},
    "changes not a list": {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": {}}]},
    "change without value": {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages"}]}]},
    "value not an object": {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": []}]}]},
    "no metadata": {"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {}}]}]},
    "messages not a list": _post(messages={"id": "wamid.1"}),
    "contacts not a list": _post(contacts="Siti", messages=[]),
    "message not an object": _post(messages=["wamid.1"]),
    "message without id": _post(messages=[{"from": WA_ID, "type": "text", "text": {"body": "x"}}]),
    "message id not a string": _post(messages=[{"id": 12, "from": WA_ID, "type": "text"}]),
    "message without sender": _post(messages=[{"id": "wamid.1", "type": "text", "text": {"body": "x"}}]),
    "sender not a string": _post(messages=[{"id": "wamid.1", "from": 6281, "type": "text"}]),
}


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=MALFORMED.keys())
def test_what_is_not_a_whatsapp_webhook_is_refused(adapter, payload):
    with pytest.raises(ValueError):
        adapter.entries(payload)


@pytest.mark.parametrize("statuses", [{"id": "wamid.1"}, ["wamid.1"], [{"status": "read"}], [{"id": 5}]])
def test_malformed_statuses_are_refused(adapter, statuses):
    with pytest.raises(ValueError):
        adapter.deliveries(_post(statuses=statuses))


def test_delivery_reports_are_final_ones_only(adapter):
    post = webhook(PHONE_ID, statuses=[
        status_update("wamid.SENT", WA_ID, "sent"),
        status_update("wamid.DELIVERED", WA_ID, "delivered"),
        status_update("wamid.READ", WA_ID, "read"),
        status_update("wamid.FAILED", WA_ID, "failed", error=(131047, "Re-engagement message")),
        status_update("wamid.BARE", WA_ID, "failed"),
    ])
    assert [(d.provider_message_id, d.delivered, d.error) for d in adapter.deliveries(post)] == [
        ("wamid.DELIVERED", True, None), ("wamid.READ", True, None),
        ("wamid.FAILED", False, "failed 131047 Re-engagement message"), ("wamid.BARE", False, "failed"),
    ]
    assert adapter.entries(post) == []


# -- reading messages -----------------------------------------------------------------------------


def test_a_text_message(adapter):
    sent = text_message(WA_ID, "Lampu jalan mati di Jl. Kenari")
    [incoming] = read(adapter, webhook(PHONE_ID, [sent], [contact(WA_ID, "Siti")]))
    assert (incoming.channel, incoming.provider_message_id, incoming.sender) == ("whatsapp", sent["id"], WA_ID)
    assert (incoming.text, incoming.sender_name, incoming.choice, incoming.media) == (
        "Lampu jalan mati di Jl. Kenari", "Siti", None, ())
    assert incoming.reply_context == {}


def test_a_shared_location_with_and_without_a_place_name(adapter):
    named = location_message(WA_ID, -6.1754, 106.8272, name="Monas", address="Gambir, Jakarta Pusat")
    pin = location_message(WA_ID, -6.2, 106.85)
    first, second = read(adapter, webhook(PHONE_ID, [named, pin], [contact(WA_ID)]))
    assert (first.latitude, first.longitude, first.text) == (-6.1754, 106.8272, "Monas, Gambir, Jakarta Pusat")
    assert (second.latitude, second.longitude, second.text) == (-6.2, 106.85, "")


@pytest.mark.parametrize("place", [{"latitude": "-6.2", "longitude": 106.8}, {"latitude": 91, "longitude": 0},
                                   {"latitude": True, "longitude": 0}, {}])
def test_a_location_without_valid_coordinates_is_no_location(adapter, place):
    [incoming] = read(adapter, webhook(PHONE_ID, [message(WA_ID, "location", place)], [contact(WA_ID)]))
    assert incoming.latitude is None and incoming.longitude is None


def test_photos_with_captions_and_photos_sent_as_files(adapter):
    photo = image_message(WA_ID, "1479537139650973", caption="Jalan berlubang")
    as_file = message(WA_ID, "document", {"id": "2222", "mime_type": "image/png", "filename": "lubang.png"})
    pdf = message(WA_ID, "document", {"id": "3333", "mime_type": "application/pdf", "caption": "surat"})
    first, second, third = read(adapter, webhook(PHONE_ID, [photo, as_file, pdf], [contact(WA_ID)]))
    assert (first.text, first.media) == ("Jalan berlubang", (Media("1479537139650973", "image/jpeg"),))
    assert second.media == (Media("2222", "image/png"),)
    assert (third.text, third.media) == ("surat", ())


@pytest.mark.parametrize(("reply_id", "title", "kind", "choice", "text"), [
    ("c:jalan", "Jalan", "button_reply", "jalan", ""),
    ("c:banjir", "Banjir", "list_reply", "banjir", ""),
    ("t:YA", "YA", "button_reply", None, "YA"),
    ("t:RAHASIA", "RAHASIA", "list_reply", None, "RAHASIA"),
    ("someone-elses-button", "Yes please", "button_reply", None, "Yes please"),
])
def test_a_press_is_a_choice_or_the_words_on_the_button(adapter, reply_id, title, kind, choice, text):
    [incoming] = read(adapter, webhook(PHONE_ID, [button_reply(WA_ID, reply_id, title, kind)], [contact(WA_ID)]))
    assert (incoming.choice, incoming.text) == (choice, text)


def test_a_templates_quick_reply_reads_as_its_words_unless_its_payload_is_ours(adapter):
    plain = message(WA_ID, "button", {"payload": "Ya", "text": "Ya"})
    ours = message(WA_ID, "button", {"payload": "c:sampah", "text": "Sampah"})
    first, second = read(adapter, webhook(PHONE_ID, [plain, ours], [contact(WA_ID)]))
    assert (first.text, first.choice) == ("Ya", None)
    assert (second.text, second.choice) == ("", "sampah")


def test_reactions_and_system_notices_are_not_messages_and_unreadable_kinds_are_empty_ones(adapter):
    reaction = message(WA_ID, "reaction", {"message_id": "wamid.OURS", "emoji": "👍"})
    system = message(WA_ID, "system", {"body": "User changed number", "type": "user_changed_number"})
    voice = message(WA_ID, "audio", {"id": "4444", "mime_type": "audio/ogg; codecs=opus", "voice": True})
    video = message(WA_ID, "video", {"id": "5555", "mime_type": "video/mp4", "caption": "banjir"})
    unsupported = message(WA_ID, "unsupported", {"type": "poll"})
    odd = message(WA_ID, "interactive", {"type": "nfm_reply", "nfm_reply": {"response_json": "{}"}})
    incoming = read(adapter, webhook(PHONE_ID, [reaction, system, voice, video, unsupported, odd], [contact(WA_ID)]))
    assert [(m.provider_message_id, m.text, m.media) for m in incoming] == [
        (voice["id"], "", ()), (video["id"], "banjir", ()), (unsupported["id"], "", ()), (odd["id"], "", ())]


@pytest.mark.parametrize("entry", [None, {}, {"message": "wamid.1"}, {"message": {"id": 1, "from": WA_ID}},
                                   {"message": {"id": "wamid.1", "type": "text"}}, ["message"]])
def test_an_entry_that_is_not_one_message_is_refused(adapter, entry):
    with pytest.raises(ValueError):
        adapter.parse(entry)


# -- sending --------------------------------------------------------------------------------------


def test_a_text_reply(adapter, meta):
    provider_id = adapter.send(say("Laporan diterima: JKT-2611-00042 https://lapor.example/t/JKT"))
    assert meta.sent[-1] == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": WA_ID,
                             "type": "text", "id": provider_id,
                             "text": {"body": "Laporan diterima: JKT-2611-00042 https://lapor.example/t/JKT",
                                      "preview_url": False}}
    assert provider_id.startswith("wamid.")


def test_a_text_longer_than_whatsapp_takes_is_cut(adapter, meta):
    adapter.send(say("x" * 5000))
    assert meta.sent[-1]["text"]["body"] == "x" * 4096


def test_up_to_three_choices_are_reply_buttons_and_a_press_comes_back_as_the_choice(adapter, meta):
    choices = ((("Jalan", "jalan"), ("Gangguan Ketenteraman dan Ketertiban", "ketertiban")), (("Pohon", "pohon"),))
    adapter.send(say("Masalahnya termasuk yang mana?", choices=choices))
    interactive = meta.sent[-1]["interactive"]
    assert interactive["type"] == "button" and interactive["body"] == {"text": "Masalahnya termasuk yang mana?"}
    replies = [button["reply"] for button in interactive["action"]["buttons"]]
    assert [r["id"] for r in replies] == ["c:jalan", "c:ketertiban", "c:pohon"]
    assert [r["title"] for r in replies] == ["Jalan", "Gangguan Ketenteram…", "Pohon"]
    pressed = button_reply(WA_ID, replies[1]["id"], replies[1]["title"])
    assert read(adapter, webhook(PHONE_ID, [pressed], [contact(WA_ID)]))[0].choice == "ketertiban"


def test_plain_buttons_come_back_as_their_label_typed(adapter, meta):
    adapter.send(say("Identitas Anda dirahasiakan?", buttons=(("RAHASIA", "PUBLIK"),)))
    replies = [button["reply"] for button in meta.sent[-1]["interactive"]["action"]["buttons"]]
    assert replies == [{"id": "t:RAHASIA", "title": "RAHASIA"}, {"id": "t:PUBLIK", "title": "PUBLIK"}]
    [incoming] = read(adapter, webhook(PHONE_ID, [button_reply(WA_ID, "t:PUBLIK", "PUBLIK")], [contact(WA_ID)]))
    assert (incoming.text, incoming.choice) == ("PUBLIK", None)


def test_more_choices_are_a_list_of_ten_rows_at_most_keeping_the_last(adapter, meta, config):
    choices = [(c.name.id, c.code) for c in config.categories]  # the category question, as the conversation asks it
    assert len(choices) > 10
    adapter.send(say(choices=tuple(tuple(choices[i:i + 2]) for i in range(0, len(choices), 2))))
    interactive = meta.sent[-1]["interactive"]
    assert interactive["type"] == "list" and len(interactive["action"]["button"]) <= 20
    [section] = interactive["action"]["sections"]
    rows = section["rows"]
    assert [row["id"] for row in rows] == [f"c:{code}" for _, code in choices[:9]] + [f"c:{choices[-1][1]}"]
    assert all(len(row["title"]) <= 24 for row in rows)
    long = next(row for row in rows if row["id"] == "c:ketertiban")
    assert long["description"] == "Gangguan Ketenteraman dan Ketertiban"


def test_four_to_ten_choices_are_a_list_of_them_all(adapter, meta):
    choices = tuple((label, label.lower()) for label in ("Jalan", "Pohon", "Sampah", "Banjir", "Lainnya"))
    adapter.send(say(choices=(choices,)))
    rows = meta.sent[-1]["interactive"]["action"]["sections"][0]["rows"]
    assert [row["id"] for row in rows] == ["c:jalan", "c:pohon", "c:sampah", "c:banjir", "c:lainnya"]


def test_a_question_too_long_for_buttons_goes_as_text_with_its_options_to_type(adapter, meta):
    adapter.send(say("panjang " * 200, buttons=(("YA", "TIDAK"),)))
    body = meta.sent[-1]["text"]["body"]
    assert meta.sent[-1]["type"] == "text" and body.endswith("\n\n• YA\n• TIDAK")


def test_a_location_is_asked_for_with_whatsapps_send_location_button(adapter, meta):
    adapter.send(say("Di mana lokasinya? Bagikan lokasi Anda.", buttons=(("Kirim lokasi",),), request_location=True))
    assert meta.sent[-1]["type"] == "interactive"
    assert meta.sent[-1]["interactive"] == {"type": "location_request_message",
                                            "body": {"text": "Di mana lokasinya? Bagikan lokasi Anda."},
                                            "action": {"name": "send_location"}}


def test_a_template_with_its_body_parameters_in_order_on_one_line_each(adapter, meta):
    template = {"name": "lapor_status_changed", "language": "id",
                "parameters": ["JKT-2611-00042", "Sedang dikerjakan", "Kelurahan\nKenari", "27-11-2026     08:00"]}
    provider_id = adapter.send(say("unused when a template is sent", template=template))
    assert meta.sent[-1]["id"] == provider_id and meta.sent[-1]["type"] == "template"
    assert meta.sent[-1]["template"] == {
        "name": "lapor_status_changed", "language": {"code": "id"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "JKT-2611-00042"}, {"type": "text", "text": "Sedang dikerjakan"},
            {"type": "text", "text": "Kelurahan Kenari"}, {"type": "text", "text": "27-11-2026 08:00"}]}]}
    adapter.send(say(template={"name": "lapor_rating_reminder", "language": "en", "parameters": []}))
    assert meta.sent[-1]["template"] == {"name": "lapor_rating_reminder", "language": {"code": "en"}}


def test_outside_the_24_hour_window_text_is_refused_for_good_and_a_template_goes(adapter, meta):
    meta.last_inbound[WA_ID] = time.time() - 25 * 3600
    with pytest.raises(PermanentError, match="131047") as refused:
        adapter.send(say("Status laporan Anda berubah"))
    assert refused.value.stop_contact is False
    adapter.send(say(template={"name": "lapor_status_done", "language": "id", "parameters": ["JKT-1", "https://x"]}))
    assert meta.sent[-1]["type"] == "template"
    meta.last_inbound[WA_ID] = time.time() - 3600
    adapter.send(say("Status laporan Anda berubah"))
    assert meta.sent[-1]["type"] == "text"


@pytest.mark.parametrize(("status", "code", "expected"), [
    (400, 131047, PermanentError),  # re-engagement: more than 24 h since the citizen wrote
    (400, 131026, PermanentError),  # undeliverable
    (400, 131050, PermanentError),  # stopped marketing messages: not a reason to stop our replies
    (400, 131009, PermanentError),  # a parameter Meta will never take
    (400, 100, PermanentError),
    (404, 100, PermanentError),
    (429, 130429, RetryableError),  # throughput
    (400, 130429, RetryableError),
    (400, 131056, RetryableError),  # too many to one recipient
    (400, 80007, RetryableError),  # account rate limit
    (400, 4, RetryableError),  # app rate limit
    (400, 131048, RetryableError),  # spam rate limit
    (500, 1, RetryableError),
    (503, 131016, RetryableError),
    (502, 0, RetryableError),
    (401, 190, RetryableError),  # an expired token: fixed in the configuration, nothing lost meanwhile
    (403, 200, RetryableError),  # a missing permission: likewise
])
def test_metas_errors_say_whether_to_try_again(adapter, meta, status, code, expected):
    meta.fail_next(status, code, "Meta says no", details="what went wrong")
    with pytest.raises(expected) as failed:
        adapter.send(say("halo"))
    assert type(failed.value) is expected and str(code) in str(failed.value) and "what went wrong" in str(failed.value)
    assert getattr(failed.value, "stop_contact", False) is False
    adapter.send(say("halo lagi"))  # the next one goes
    assert meta.sent[-1]["text"]["body"] == "halo lagi"


def test_a_wrong_token_an_outage_and_no_server_are_retried(adapter, meta):
    wrong = WhatsAppAdapter("not-the-token", PHONE_ID, APP_SECRET, VERIFY_TOKEN, api_base=meta.api_base)
    with pytest.raises(RetryableError, match="190"):
        wrong.send(say("halo"))
    wrong.close()
    meta.begin_outage(503)
    with pytest.raises(RetryableError, match="503"):
        adapter.send(say("halo"))
    meta.end_outage()
    assert adapter.send(say("halo")).startswith("wamid.")
    nowhere = WhatsAppAdapter(TOKEN, PHONE_ID, APP_SECRET, VERIFY_TOKEN, api_base="http://127.0.0.1:9/v26.0")
    with pytest.raises(RetryableError, match="unreachable"):
        nowhere.send(say("halo"))
    nowhere.close()


def test_sends_share_one_kept_alive_connection(adapter, meta):
    for n in range(4):
        adapter.send(say(f"balasan {n}"))
    assert len(meta.sent) == 4 and meta.connections_accepted == 1


# -- media ----------------------------------------------------------------------------------------


def test_a_photo_is_fetched_with_the_token_from_the_url_the_graph_api_gives(adapter, meta):
    meta.add_media("1479537139650973", JPEG, "image/jpeg")
    data, content_type = adapter.fetch_media(Media("1479537139650973", "image/jpeg"))
    assert (data, content_type) == (JPEG, "image/jpeg")
    assert meta.downloads == [("/media-files/1479537139650973", f"Bearer {TOKEN}")]


@pytest.mark.parametrize("elsewhere", [
    "https://evil.example/steal", "http://lookaside.fbsbx.com/x", "file:///etc/passwd", "", "lookaside.fbsbx.com/x",
    "http://localhost:{port}/media-files/1", "https://127.0.0.1:{port}/media-files/1",
])
def test_the_token_goes_to_no_url_but_metas_media_host(adapter, meta, elsewhere):
    meta.add_media("1", JPEG, "image/jpeg", url=elsewhere.format(port=meta.server.server_port))
    with pytest.raises(PermanentError, match="not a WhatsApp media URL"):
        adapter.fetch_media(Media("1", "image/jpeg"))
    assert meta.downloads == []


def test_without_a_stand_in_only_metas_hosts_over_https_are_trusted():
    adapter = WhatsAppAdapter(TOKEN, PHONE_ID, APP_SECRET, VERIFY_TOKEN)
    assert adapter._media_hosts == {"lookaside.fbsbx.com": "https", "graph.facebook.com": "https"}
    adapter.close()


def test_media_larger_than_the_cap_are_refused(adapter, meta, monkeypatch):
    monkeypatch.setattr(bots.whatsapp, "MAX_MEDIA_BYTES", 1000)
    meta.add_media("big", b"\xff\xd8\xff" + b"x" * 5000, "image/jpeg")
    with pytest.raises(PermanentError, match="larger than"):
        adapter.fetch_media(Media("big", "image/jpeg"))


def test_unknown_or_malformed_media_ids_are_refused(adapter, meta):
    with pytest.raises(PermanentError, match="100"):
        adapter.fetch_media(Media("404404", "image/jpeg"))
    with pytest.raises(PermanentError, match="not a media id"):
        adapter.fetch_media(Media("../me/messages", "image/jpeg"))
    assert meta.downloads == []
