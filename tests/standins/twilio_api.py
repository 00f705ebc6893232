"""A stand-in for Twilio's REST API (Messages) on 127.0.0.1, and a signer for inbound webhooks
exactly as Twilio signs them (HMAC-SHA1 of URL + sorted params, base64)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit

from tests.standins.loopback import JsonHandler, LoopbackServer


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """https://www.twilio.com/docs/usage/webhooks/webhooks-security"""
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioStandIn(LoopbackServer):
    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.messages: list[dict] = []  # every create request's form
        self.accepted: list[dict] = []  # the messages it took, as the API lists them
        self.outage: tuple[int, dict] | None = None  # while set, every create gets this answer
        self.failures: list[tuple[int, dict]] = []
        super().__init__(self._handler())

    @property
    def base_url(self) -> str:
        return self.origin

    def fail_next(self, status: int, code: int, message: str) -> None:
        self.failures.append((status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}))

    def begin_outage(self, status: int) -> None:
        """Refuse every create from now on (500: down; 429: too many requests) until end_outage."""
        code, message = (20429, "Too Many Requests") if status == 429 else (20500, "Internal Server Error")
        self.outage = (status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                                "status": status})

    def end_outage(self) -> None:
        self.outage = None

    def _handler(self):
        standin = self

        class Handler(JsonHandler):
            def _authorised(self) -> bool:
                auth = base64.b64encode(f"{standin.account_sid}:{standin.auth_token}".encode()).decode()
                return self.headers.get("Authorization") == f"Basic {auth}"

            def do_GET(self):
                """Messages.json?To=&From=: the account's messages, newest first (one page)."""
                parts = urlsplit(self.path)
                expected = f"/2010-04-01/Accounts/{standin.account_sid}/Messages.json"
                if not self._authorised():
                    return self.reply_json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if parts.path != expected:
                    return self.reply_json(404, {"code": 20404, "message": "Not found", "status": 404})
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                found = [m for m in reversed(standin.accepted)
                         if query.get("To") in (None, m["to"]) and query.get("From") in (None, m["from"])]
                self.reply_json(200, {"messages": found, "end": len(found), "first_page_uri": parts.path, "next_page_uri": None,
                                      "page": 0, "page_size": 50, "previous_page_uri": None, "start": 0, "uri": parts.path})

            def do_POST(self):
                path = urlsplit(self.path).path
                expected = f"/2010-04-01/Accounts/{standin.account_sid}/Messages.json"
                if not self._authorised():
                    return self.reply_json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if path != expected:
                    return self.reply_json(404, {"code": 20404, "message": "Not found", "status": 404})
                form = {k: v[0] for k, v in parse_qs(self.request_body().decode()).items()}
                standin.messages.append(form)
                if standin.outage is not None:
                    return self.reply_json(*standin.outage)
                if standin.failures:
                    return self.reply_json(*standin.failures.pop(0))
                sid = "SM" + uuid.uuid4().hex
                message = {"sid": sid, "account_sid": standin.account_sid, "to": form.get("To"),
                           "from": form.get("From"), "body": form.get("Body"), "status": "queued",
                           "date_created": formatdate(usegmt=True).replace("GMT", "+0000"),
                           "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
                           "uri": f"{expected[:-5]}/{sid}.json"}
                standin.accepted.append(message)
                self.reply_json(201, message)

        return Handler
