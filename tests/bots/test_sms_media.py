"""MMS media are fetched with the account's credentials only from Twilio's media host, capped in size."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import bots.sms
from bots.base import Media, PermanentError, RetryableError
from bots.sms import SmsAdapter

SID, TOKEN = "AC" + "2" * 32, "media-auth-token"
NEVER_LOGGED = (TOKEN,)


@pytest.fixture
def media_host():
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("Authorization")))
            body = b"\xff\xd8\xff" + b"x" * (5000 if "big" in self.path else 100)
            status = int(self.path.rsplit("/", 1)[-1]) if self.path.rsplit("/", 1)[-1].isdigit() else 200
            self.send_response(status)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


def test_media_come_only_from_the_providers_host_and_credentials_go_nowhere_else(media_host):
    port, seen = media_host
    adapter = SmsAdapter(SID, TOKEN, "+62811000000", api_base=f"http://127.0.0.1:{port}")
    data, content_type = adapter.fetch_media(Media(f"http://127.0.0.1:{port}/2010-04-01/Accounts/{SID}/Media/ME1"))
    assert data.startswith(b"\xff\xd8\xff") and content_type == "image/jpeg"
    assert seen[-1][1] and seen[-1][1].startswith("Basic "), "the account's credentials, to Twilio only"
    for elsewhere in (f"http://localhost:{port}/steal", "https://evil.example/steal", f"https://127.0.0.1:{port}/x",
                      "file:///etc/passwd", "ftp://api.twilio.com/x", "http://api.twilio.com/x"):
        with pytest.raises(PermanentError, match="not a Twilio media URL"):
            adapter.fetch_media(Media(elsewhere))
    assert len(seen) == 1, "no request left for any other URL"


def test_media_larger_than_the_cap_are_refused(media_host, monkeypatch):
    port, _ = media_host
    monkeypatch.setattr(bots.sms, "MAX_MEDIA_BYTES", 1000)
    adapter = SmsAdapter(SID, TOKEN, "+62811000000", api_base=f"http://127.0.0.1:{port}")
    with pytest.raises(PermanentError, match="larger than"):
        adapter.fetch_media(Media(f"http://127.0.0.1:{port}/big"))


def test_without_a_stand_in_only_twilio_over_https_is_trusted():
    adapter = SmsAdapter(SID, TOKEN, "+62811000000")
    with pytest.raises(PermanentError):
        adapter.fetch_media(Media("http://127.0.0.1:9/Media/ME1"))


def test_a_media_host_that_is_down_is_asked_again_later_one_that_refuses_is_not(media_host):
    port, _ = media_host
    adapter = SmsAdapter(SID, TOKEN, "+62811000000", api_base=f"http://127.0.0.1:{port}")
    with pytest.raises(RetryableError, match="HTTP 503"):
        adapter.fetch_media(Media(f"http://127.0.0.1:{port}/Media/503"))
    with pytest.raises(PermanentError, match="HTTP 404"):
        adapter.fetch_media(Media(f"http://127.0.0.1:{port}/Media/404"))
