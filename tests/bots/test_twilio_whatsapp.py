"""WhatsApp through Twilio against the Twilio stand-in: `whatsapp:` addresses both ways, the SMS adapter's signed
webhooks, templates as Content SIDs with numbered variables, and the 24-hour window's refusal (63016)."""

import json

import pytest

from bots.base import Outgoing, PermanentError, RetryableError
from bots.twilio_whatsapp import TwilioWhatsAppAdapter
from tests.standins.twilio_api import TwilioStandIn, twilio_signature

SID, TOKEN = "AC" + "3" * 32, "twilio-whatsapp-auth-token"
CITIZEN = "whatsapp:+6281234567890"
STATUS_URL = "https://lapor.example/webhooks/twilio_whatsapp/status"
URL = "https://lapor.example/webhooks/twilio_whatsapp"
NEVER_LOGGED = (TOKEN, "+6281234567890")


@pytest.fixture
def twilio():
    standin = TwilioStandIn(SID, TOKEN).start()
    yield standin
    standin.stop()


@pytest.fixture
def adapter(twilio):
    adapter = TwilioWhatsAppAdapter(SID, TOKEN, "+62811000000", status_callback=STATUS_URL, api_base=twilio.base_url)
    yield adapter
    adapter.close()


def inbound(**fields) -> dict:
    return {"MessageSid": "SM" + "a" * 32, "AccountSid": SID, "From": CITIZEN, "To": "whatsapp:+62811000000",
            "Body": "lampu jalan mati", "NumMedia": "0", "ProfileName": "Siti", "WaId": "6281234567890", **fields}


def test_replies_go_from_our_whatsapp_address_to_the_citizens(adapter, twilio):
    sid = adapter.send(Outgoing("twilio_whatsapp", CITIZEN, "Laporan diterima: JKT-2611-00042"))
    sent = twilio.messages[-1]
    assert (sent["From"], sent["To"]) == ("whatsapp:+62811000000", CITIZEN)
    assert sent["Body"] == "Laporan diterima: JKT-2611-00042"
    assert sent["StatusCallback"] == STATUS_URL and "ContentSid" not in sent
    assert sid == twilio.accepted[-1]["sid"]


def test_an_address_given_already_prefixed_or_bare_becomes_one_whatsapp_address(twilio):
    adapter = TwilioWhatsAppAdapter(SID, TOKEN, "whatsapp:+62811000000", api_base=twilio.base_url)
    adapter.send(Outgoing("twilio_whatsapp", "+6281234567890", "halo"))
    assert (twilio.messages[-1]["From"], twilio.messages[-1]["To"]) == ("whatsapp:+62811000000", CITIZEN)
    adapter.close()


def test_a_body_is_cut_to_what_twilio_takes(adapter, twilio):
    adapter.send(Outgoing("twilio_whatsapp", CITIZEN, "x" * 2000))
    assert twilio.messages[-1]["Body"] == "x" * 1600


def test_a_template_goes_as_its_content_sid_with_numbered_variables(adapter, twilio):
    template = {"name": "HX" + "b" * 32, "language": "id", "parameters": ["JKT-2611-00042", "Selesai", 3]}
    sid = adapter.send(Outgoing("twilio_whatsapp", CITIZEN, "Status laporan Anda berubah", template=template))
    sent = twilio.messages[-1]
    assert sent["ContentSid"] == "HX" + "b" * 32 and "Body" not in sent
    assert json.loads(sent["ContentVariables"]) == {"1": "JKT-2611-00042", "2": "Selesai", "3": "3"}
    assert (sent["To"], sent["From"], sid) == (CITIZEN, "whatsapp:+62811000000", twilio.accepted[-1]["sid"])


@pytest.mark.parametrize(("status", "code", "expected", "stop"), [
    (400, 63016, PermanentError, False),  # free-form text outside the 24-hour window
    (400, 21610, PermanentError, True),  # the citizen opted out
    (400, 21211, PermanentError, False),  # not a valid number
    (429, 20429, RetryableError, False),
    (503, 20500, RetryableError, False),
])
def test_twilios_errors_say_whether_to_try_again(adapter, twilio, status, code, expected, stop):
    twilio.fail_next(status, code, "Twilio says no")
    with pytest.raises(expected) as failed:
        adapter.send(Outgoing("twilio_whatsapp", CITIZEN, "halo"))
    assert type(failed.value) is expected and getattr(failed.value, "stop_contact", False) is stop
    assert str(status) in str(failed.value) or str(code) in str(failed.value)


def test_twilio_out_of_reach_is_retried(twilio):
    adapter = TwilioWhatsAppAdapter(SID, TOKEN, "+62811000000", api_base="http://127.0.0.1:9")
    with pytest.raises(RetryableError, match="unreachable"):
        adapter.send(Outgoing("twilio_whatsapp", CITIZEN, "halo"))
    adapter.close()


def test_a_post_signed_by_twilio_from_a_whatsapp_address_is_verified(adapter):
    form = inbound()
    signed = twilio_signature(TOKEN, URL, form)
    assert adapter.verify(URL, {"X-Twilio-Signature": signed}, form, b"")
    assert not adapter.verify(URL, {"X-Twilio-Signature": signed}, {**form, "From": "whatsapp:+6289999999999"}, b"")
    assert not adapter.verify(URL, {"X-Twilio-Signature": twilio_signature("other", URL, form)}, form, b"")
    assert not adapter.verify(URL, {}, form, b"")


def test_a_message_is_one_entry_kept_whole_with_its_whatsapp_sender(adapter):
    form = inbound()
    [entry] = adapter.entries(form)
    assert (entry.provider_message_id, entry.payload, entry.sender) == (form["MessageSid"], form, CITIZEN)
    [incoming] = adapter.parse(entry.payload)
    assert (incoming.channel, incoming.sender, incoming.text, incoming.sender_name) == (
        "twilio_whatsapp", CITIZEN, "lampu jalan mati", "Siti")
    assert adapter.deliveries(form) == []


def test_a_shared_location_is_read_with_its_place_name(adapter):
    [pin] = adapter.parse(inbound(Body="", Latitude="-6.1754", Longitude="106.8272"))
    assert (pin.latitude, pin.longitude, pin.text) == (-6.1754, 106.8272, "")
    [named] = adapter.parse(inbound(Body="", Latitude="-6.1754", Longitude="106.8272", Label="Monas",
                                    Address="Gambir, Jakarta Pusat"))
    assert named.text == "Monas, Gambir, Jakarta Pusat"
    for latitude, longitude in (("-95", "106.8"), ("x", "106.8"), ("-6.2", ""), ("nan", "106.8")):
        [odd] = adapter.parse(inbound(Latitude=latitude, Longitude=longitude))
        assert odd.latitude is None and odd.longitude is None


def test_a_photo_is_media_from_twilio(adapter, twilio):
    media_url = f"{twilio.base_url}/2010-04-01/Accounts/{SID}/Messages/MM1/Media/ME1"
    [photo] = adapter.parse(inbound(Body="", NumMedia="1", MediaUrl0=media_url, MediaContentType0="image/jpeg"))
    assert [(m.provider_id, m.content_type) for m in photo.media] == [(media_url, "image/jpeg")]


def test_status_callbacks_are_delivery_reports(adapter):
    base = {"MessageSid": "SM" + "c" * 32, "AccountSid": SID, "From": "whatsapp:+62811000000", "To": CITIZEN}
    assert adapter.entries({**base, "MessageStatus": "read"}) == []
    assert [d.delivered for d in adapter.deliveries({**base, "MessageStatus": "read"})] == [True]
    [failed] = adapter.deliveries({**base, "MessageStatus": "undelivered", "ErrorCode": "63016"})
    assert (failed.provider_message_id, failed.delivered) == (base["MessageSid"], False)
    assert "63016" in failed.error
    assert adapter.deliveries({**base, "MessageStatus": "sent"}) == []
