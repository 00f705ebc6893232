"""The provider stand-ins keep connections alive (HTTP/1.1) as the providers do, and the adapters' pooled clients
reuse them: many requests, one TCP connection. A stand-in still stops at once with connections held open."""

from __future__ import annotations

import base64
import http.client
import threading
import time

import pytest

from bots.base import Outgoing
from bots.sms import SmsAdapter
from bots.social import XAdapter
from bots.telegram import TelegramAdapter
from tests.standins.telegram_api import TelegramStandIn
from tests.standins.twilio_api import TwilioStandIn
from tests.standins.x_api import XStandIn

SID, AUTH = "AC" + "3" * 32, "standin-auth"
TOKEN = "4242:standin"
BEARER, CONSUMER, ACCESS = "bearer-x", ("ck", "cs"), ("at", "as")


@pytest.fixture
def twilio():
    standin = TwilioStandIn(SID, AUTH).start()
    yield standin
    standin.stop()


def basic(sid: str = SID, token: str = AUTH) -> str:
    return "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode()


def test_two_requests_from_one_client_share_one_connection(twilio):
    connection = http.client.HTTPConnection("127.0.0.1", twilio.server.server_port, timeout=5)
    path = f"/2010-04-01/Accounts/{SID}/Messages.json"
    headers = {"Authorization": basic(), "Content-Type": "application/x-www-form-urlencoded"}
    sockets = []
    for body in ("To=%2B62811&From=%2B62812&Body=satu", "To=%2B62811&From=%2B62812&Body=dua"):
        connection.request("POST", path, body, headers)
        response = connection.getresponse()
        assert response.status == 201 and response.version == 11 and not response.will_close
        response.read()
        sockets.append(connection.sock)
    connection.close()
    assert sockets[0] is sockets[1] is not None, "the second request went over the first one's connection"
    assert twilio.connections_accepted == 1
    assert [m["body"] for m in twilio.accepted] == ["satu", "dua"]


def test_a_refusal_before_the_body_is_read_leaves_the_connection_usable(twilio):
    connection = http.client.HTTPConnection("127.0.0.1", twilio.server.server_port, timeout=5)
    path = f"/2010-04-01/Accounts/{SID}/Messages.json"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for authorization, status in ((basic(token="wrong"), 401), (basic(), 201)):
        connection.request("POST", path, "To=%2B62811&From=%2B62812&Body=halo", {**form, "Authorization": authorization})
        response = connection.getresponse()
        response.read()
        assert response.status == status
    connection.request("POST", "/nowhere", "x" * 5000, {**form, "Authorization": basic()})  # 404, body unread
    response = connection.getresponse()
    response.read()
    assert response.status == 404
    connection.request("GET", path, headers={"Authorization": basic()})
    response = connection.getresponse()
    assert response.status == 200 and b'"halo"' in response.read()
    connection.close()
    assert twilio.connections_accepted == 1


def test_chunked_request_bodies_are_read_whole(twilio):
    connection = http.client.HTTPConnection("127.0.0.1", twilio.server.server_port, timeout=5)
    path = f"/2010-04-01/Accounts/{SID}/Messages.json"
    headers = {"Authorization": basic(), "Content-Type": "application/x-www-form-urlencoded"}
    for text in ("satu", "dua"):
        connection.request("POST", path, iter([b"To=%2B62811&", f"From=%2B62812&Body={text}".encode()]), headers,
                           encode_chunked=True)
        response = connection.getresponse()
        response.read()
        assert response.status == 201
    connection.close()
    assert [m["body"] for m in twilio.accepted] == ["satu", "dua"] and twilio.connections_accepted == 1


def test_the_adapters_pooled_clients_reuse_their_connection(twilio):
    sms = SmsAdapter(SID, AUTH, "+62811000000", api_base=twilio.base_url)
    telegram_api = TelegramStandIn(TOKEN).start()
    x_api = XStandIn(BEARER, CONSUMER, ACCESS).start()
    telegram = TelegramAdapter(TOKEN, "secret", telegram_api.api_base)
    x = XAdapter(BEARER, "1", consumer_key=CONSUMER[0], consumer_secret=CONSUMER[1], access_token=ACCESS[0],
                 access_token_secret=ACCESS[1], api_base=x_api.origin)
    try:
        tweet = x_api.mention("42", "@kota lampu mati")
        for n in range(3):
            sms.send(Outgoing("sms", "+6281234567890", f"balasan {n}"))
            telegram.send(Outgoing("telegram", "4242", f"balasan {n}"))
            x.send(Outgoing("x", "42", f"balasan {n}", reply_context={"in_reply_to_tweet_id": tweet}))
        assert len(twilio.accepted) == 3 and len(telegram_api.sent()) == 3 and len(x_api.posted) == 3
        assert (twilio.connections_accepted, telegram_api.connections_accepted, x_api.connections_accepted) == (1, 1, 1)
    finally:
        for adapter in (sms, telegram, x):
            adapter.close()
        telegram_api.stop()
        x_api.stop()


def test_close_lets_go_of_the_kept_connections_and_is_safe_twice(twilio):
    telegram_api = TelegramStandIn(TOKEN).start()
    telegram = TelegramAdapter(TOKEN, "secret", telegram_api.api_base)
    sms = SmsAdapter(SID, AUTH, "+62811000000", api_base=twilio.base_url)
    try:
        telegram.send(Outgoing("telegram", "4242", "halo"))
        sms.send(Outgoing("sms", "+6281234567890", "halo"))
        assert len(telegram_api.server.open_connections) == 1 and len(twilio.server.open_connections) == 1
        for adapter in (telegram, sms, telegram, sms):
            adapter.close()
        deadline = time.monotonic() + 2
        while (telegram_api.server.open_connections or twilio.server.open_connections) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not telegram_api.server.open_connections and not twilio.server.open_connections
    finally:
        telegram_api.stop()


def test_a_stand_in_stops_at_once_while_a_client_holds_its_connection_open(twilio):
    sms = SmsAdapter(SID, AUTH, "+62811000000", api_base=twilio.base_url)
    sms.send(Outgoing("sms", "+6281234567890", "halo"))  # the Session keeps the connection open, idle
    assert len(twilio.server.open_connections) == 1
    started = time.monotonic()
    twilio.stop()
    assert time.monotonic() - started < 2
    assert twilio.server.open_connections == set()
    sms.close()
