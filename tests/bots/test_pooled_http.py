"""The provider clients' pooled HTTP (bots/pooled_http.py): what python-telegram-bot and twilio send through it
reaches the server as their own clients send it, and a provider that cannot be reached, or does not answer, is
our RetryableError."""

from __future__ import annotations

import asyncio
import socket
import threading
import urllib.parse
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import urllib3
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut

from bots.base import Outgoing, RetryableError, UnansweredError
from bots.pooled_http import PooledRequest, PooledTwilioClient, connection_pool, run_now
from bots.sms import SmsAdapter
from bots.telegram import TelegramAdapter
from tests.standins.loopback import JsonHandler, LoopbackServer

TOKEN, AUTH, PHONE = "4242:pooled", "pooled-auth-token", "+6281234567890"
NEVER_LOGGED = (TOKEN, AUTH, PHONE)  # the bot token is in every Bot API URL


class Recorder(LoopbackServer):
    """Keeps every request (method, path, headers, body) and answers as the Bot API does to sendMessage."""

    def __init__(self):
        self.requests: list[tuple[str, str, dict, bytes]] = []
        recorder = self

        class Handler(JsonHandler):
            def do_POST(self):
                recorder.requests.append(("POST", self.path, dict(self.headers), self.request_body()))
                self.reply_json(200, {"ok": True, "result": {"message_id": 7, "date": 1764000000,
                                                             "chat": {"id": 4242, "type": "private"}}})

        super().__init__(Handler)


@pytest.fixture
def recorder():
    server = Recorder().start()
    yield server
    server.stop()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_bot_api_call_goes_as_a_form_of_json_values(recorder):
    bot = Bot(TOKEN, base_url=recorder.origin + "/bot", request=PooledRequest(recorder.origin))
    sent = run_now(bot.send_message(chat_id=4242, text="halo", reply_markup={"remove_keyboard": True}))
    assert sent.message_id == 7
    [(method, path, headers, body)] = recorder.requests
    assert (method, path) == ("POST", f"/bot{TOKEN}/sendMessage")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = dict(urllib.parse.parse_qsl(body.decode()))
    assert form == {"chat_id": "4242", "text": "halo", "reply_markup": '{"remove_keyboard": true}'}


def test_a_file_goes_as_multipart_beside_the_other_fields(recorder):
    bot = Bot(TOKEN, base_url=recorder.origin + "/bot", request=PooledRequest(recorder.origin))
    run_now(bot.send_photo(chat_id=4242, photo=InputFile(b"\xff\xd8jpeg", filename="bukti.jpg"), caption="bukti"))
    [(_, path, headers, body)] = recorder.requests
    assert path.endswith("/sendPhoto") and headers["Content-Type"].startswith("multipart/form-data")
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body)
    parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
    assert parts["chat_id"].get_content() == "4242" and parts["caption"].get_content() == "bukti"
    assert parts["photo"].get_filename() == "bukti.jpg" and parts["photo"].get_content() == b"\xff\xd8jpeg"


def test_telegram_unreachable_is_retryable():
    adapter = TelegramAdapter(TOKEN, "secret", f"http://127.0.0.1:{closed_port()}/bot")
    with pytest.raises(RetryableError, match="telegram unreachable"):
        adapter.send(Outgoing("telegram", "4242", "halo"))
    adapter.close()


def test_a_bot_api_server_that_does_not_answer_times_out():
    with socket.socket() as listener:  # accepts, reads, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        request = PooledRequest(f"http://127.0.0.1:{listener.getsockname()[1]}", read_timeout=0.3)
        bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/bot", request=request)
        with pytest.raises(TimedOut):
            run_now(bot.send_message(chat_id=4242, text="halo"))
        run_now(request.shutdown())


def test_a_refused_connection_is_a_network_error():
    base = f"http://127.0.0.1:{closed_port()}"
    bot = Bot(TOKEN, base_url=base + "/bot", request=PooledRequest(base))
    with pytest.raises(NetworkError, match="urllib3"):
        run_now(bot.send_message(chat_id=4242, text="halo"))


def test_a_coroutine_that_waits_on_an_event_loop_is_refused_not_left_half_run():
    finished = threading.Event()

    async def waits():
        await asyncio.sleep(0)
        finished.set()

    with pytest.raises(RuntimeError, match="event loop"):
        run_now(waits())
    assert not finished.is_set()


def test_twilio_sent_but_unanswered_is_unanswered_not_unreachable():
    with socket.socket() as listener:  # accepts, reads, never answers: Twilio may have taken the message
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        client = PooledTwilioClient(base, timeout=0.3)
        with pytest.raises(UnansweredError, match="did not answer"):
            client.request("POST", base + "/2010-04-01/Accounts/AC1/Messages.json", data={"Body": "halo"})
        client.close()


def test_the_environments_proxy_is_used_except_where_no_proxy_says(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.kominfo.example:3128")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    proxied = connection_pool("https://api.telegram.org/bot")
    assert isinstance(proxied, urllib3.ProxyManager) and proxied.proxy.host == "proxy.kominfo.example"
    assert not isinstance(connection_pool("http://127.0.0.1:8080"), urllib3.ProxyManager)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/lapor/ca.pem")
    assert connection_pool("https://api.twilio.com").connection_pool_kw["ca_certs"] == "/etc/lapor/ca.pem"


def test_twilio_unreachable_is_retryable():
    sms = SmsAdapter("AC" + "1" * 32, AUTH, "+62811000000", api_base=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(RetryableError, match="twilio unreachable"):
        sms.send(Outgoing("sms", PHONE, "halo"))
    sms.close()
