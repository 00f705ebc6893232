"""A stand-in for Meta's WhatsApp Cloud API (Graph API /messages and media) on 127.0.0.1, and inbound webhooks
built and signed exactly as Meta signs them (X-Hub-Signature-256: hex HMAC-SHA256 of the raw body, keyed by the
app secret).

It checks what Meta checks, roughly: the bearer token, `messaging_product`, a recipient, the type and its object
within Meta's limits. The 24-hour customer service window: a free-form message to a recipient whose
`last_inbound` time is more than 24 hours old is refused with 131047, as Meta does; templates always go through.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from urllib.parse import urlsplit

from tests.standins.loopback import JsonHandler, LoopbackServer

VERSION = "v26.0"
WABA_ID = "102290129340398"
DISPLAY_NUMBER = "62811000000"
WINDOW_SECONDS = 24 * 3600
TYPES = {"text", "interactive", "template", "image", "document", "audio", "video", "sticker", "location", "contacts",
         "reaction"}
TOO_MANY_SPACES = re.compile(r"[\n\t]| {5,}")


def wamid() -> str:
    return "wamid." + uuid.uuid4().hex.upper()


def graph_error(code: int, message: str, details: str | None = None, error_type: str = "OAuthException",
                subcode: int | None = None) -> dict:
    """A Graph API error body, as Meta answers a refused call."""
    error = {"message": message, "type": error_type, "code": code, "fbtrace_id": "A" + uuid.uuid4().hex[:22]}
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


# -- inbound webhooks, as Meta posts them -----------------------------------------------------------------


def signed_webhook(app_secret: str, payload: dict) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers of Meta's post of `payload`."""
    body = json.dumps(payload).encode()
    signature = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}


def webhook(phone_number_id: str, messages=(), contacts=(), statuses=()) -> dict:
    """A "messages" webhook: some messages (with their senders' contacts) and statuses, for one phone number."""
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": phone_number_id}}
    if contacts:
        value["contacts"] = list(contacts)
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {"object": "whatsapp_business_account",
            "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}]}


def contact(wa_id: str, name: str = "Siti") -> dict:
    return {"profile": {"name": name}, "wa_id": wa_id}


def message(wa_id: str, kind: str, content: dict, message_id: str | None = None, **extra) -> dict:
    return {"from": wa_id, "id": message_id or wamid(), "timestamp": str(int(time.time())), "type": kind, kind: content,
            **extra}


def text_message(wa_id: str, body: str, message_id: str | None = None) -> dict:
    return message(wa_id, "text", {"body": body}, message_id)


def location_message(wa_id: str, latitude: float, longitude: float, name: str | None = None,
                     address: str | None = None) -> dict:
    place = {"latitude": latitude, "longitude": longitude}
    place.update({key: value for key, value in (("name", name), ("address", address)) if value})
    return message(wa_id, "location", place)


def image_message(wa_id: str, media_id: str, caption: str | None = None, mime_type: str = "image/jpeg") -> dict:
    image = {"mime_type": mime_type, "sha256": hashlib.sha256(media_id.encode()).hexdigest(), "id": media_id}
    if caption:
        image["caption"] = caption
    return message(wa_id, "image", image)


def button_reply(wa_id: str, reply_id: str, title: str, kind: str = "button_reply") -> dict:
    """A pressed reply button (or, with kind "list_reply", a picked list row) under one of our messages."""
    return message(wa_id, "interactive", {"type": kind, kind: {"id": reply_id, "title": title}},
                   context={"from": DISPLAY_NUMBER, "id": wamid()})


def status_update(message_id: str, wa_id: str, status: str, error: tuple[int, str] | None = None) -> dict:
    update = {"id": message_id, "status": status, "timestamp": str(int(time.time())), "recipient_id": wa_id}
    if status in ("sent", "delivered", "read"):
        update["pricing"] = {"billable": False, "pricing_model": "PMP", "category": "service",
                             "type": "free_customer_service"}
    if error is not None:
        code, title = error
        update["errors"] = [{"code": code, "title": title, "message": title,
                             "error_data": {"details": title},
                             "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]
    return update


# -- the Graph API ----------------------------------------------------------------------------------------


class WhatsAppStandIn(LoopbackServer):
    def __init__(self, token: str, phone_number_id: str, version: str = VERSION):
        self.token, self.phone_number_id, self.version = token, phone_number_id, version
        self.requests: list[dict] = []  # every /messages body, taken or not
        self.sent: list[dict] = []  # the messages it took, with their "id"
        self.last_inbound: dict[str, float] = {}  # recipient → when they last wrote (epoch seconds)
        self.media: dict[str, tuple[bytes, str, str | None]] = {}  # media id → bytes, mime type, URL override
        self.downloads: list[tuple[str, str | None]] = []  # (path, Authorization) of every media file fetched
        self.outage: tuple[int, dict] | None = None
        self.failures: list[tuple[int, dict]] = []
        super().__init__(self._handler())

    @property
    def api_base(self) -> str:
        return f"{self.origin}/{self.version}"

    def fail_next(self, status: int, code: int, message: str, details: str | None = None) -> None:
        self.failures.append((status, graph_error(code, message, details)))

    def begin_outage(self, status: int) -> None:
        """Refuse every send from now on (500: down; 429: too many requests) until end_outage."""
        code, message = (130429, "Rate limit hit") if status == 429 else (2, "Service temporarily unavailable")
        self.outage = (status, graph_error(code, message))

    def end_outage(self) -> None:
        self.outage = None

    def add_media(self, media_id: str, data: bytes, mime_type: str, url: str | None = None) -> None:
        """A file a citizen sent; `url` makes the Graph API answer with another URL (somewhere not Meta's)."""
        self.media[media_id] = (data, mime_type, url)

    def _take(self, body: dict) -> tuple[int, dict]:
        """What Meta answers a /messages request."""
        refused = _invalid(body)
        if refused:
            return 400, graph_error(*refused)
        recipient = body.get("to") or body.get("recipient")
        last = self.last_inbound.get(recipient)
        if body["type"] != "template" and last is not None and time.time() - last > WINDOW_SECONDS:
            return 400, graph_error(131047, "Re-engagement message", "Message failed to send because more than 24 "
                                    "hours have passed since the customer last replied to this number.")
        taken = {**body, "id": wamid()}
        self.sent.append(taken)
        return 200, {"messaging_product": "whatsapp", "contacts": [{"input": recipient, "wa_id": recipient}],
                     "messages": [{"id": taken["id"]}]}

    def _handler(self):
        standin = self

        class Handler(JsonHandler):
            def _authorised(self) -> bool:
                return self.headers.get("Authorization") == f"Bearer {standin.token}"

            def _unauthorised(self):
                self.reply_json(401, graph_error(190, "Invalid OAuth access token - Cannot parse access token"))

            def _whole_body(self) -> bytes:
                """The whole request body, read before any answer: the connection may be kept alive."""
                if hasattr(self, "request_body"):
                    return self.request_body()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self):
                raw = self._whole_body()
                if not self._authorised():
                    return self._unauthorised()
                if urlsplit(self.path).path != f"/{standin.version}/{standin.phone_number_id}/messages":
                    return self.reply_json(400, graph_error(100, "Unsupported post request.", subcode=33,
                                                            error_type="GraphMethodException"))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                if not isinstance(body, dict):
                    return self.reply_json(400, graph_error(100, "Invalid parameter"))
                standin.requests.append(body)
                if standin.outage is not None:
                    return self.reply_json(*standin.outage)
                if standin.failures:
                    return self.reply_json(*standin.failures.pop(0))
                self.reply_json(*standin._take(body))

            def do_GET(self):
                parts = urlsplit(self.path)
                if parts.path.startswith("/media-files/"):
                    return self._file(parts.path.removeprefix("/media-files/"))
                if not self._authorised():
                    return self._unauthorised()
                media_id = parts.path.removeprefix(f"/{standin.version}/")
                if media_id not in standin.media:
                    return self.reply_json(400, graph_error(100, "Unsupported get request.", subcode=33,
                                                            error_type="GraphMethodException"))
                data, mime_type, url = standin.media[media_id]
                own = f"{standin.origin}/media-files/{media_id}"
                self.reply_json(200, {"messaging_product": "whatsapp", "url": own if url is None else url,
                                      "mime_type": mime_type, "sha256": hashlib.sha256(data).hexdigest(),
                                      "file_size": len(data), "id": media_id})

            def _file(self, media_id: str):
                standin.downloads.append((self.path, self.headers.get("Authorization")))
                if not self._authorised():
                    return self._unauthorised()
                if media_id not in standin.media:
                    return self.reply_json(404, {"error": "not found"})
                data, mime_type, _ = standin.media[media_id]
                self.send_response(200)
                self.send_header("Content-Type", mime_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def _invalid(body: dict) -> tuple[int, str] | None:
    """Why Meta would refuse this message, as (code, message), or None."""
    if body.get("messaging_product") != "whatsapp":
        return 100, "Invalid parameter: messaging_product must be whatsapp"
    if not body.get("to") and not body.get("recipient"):
        return 131008, "Required parameter is missing: to"
    kind = body.get("type", "text")
    if kind not in TYPES or not isinstance(body.get(kind), dict):
        return 131008, f"Required parameter is missing: {kind}"
    content = body[kind]
    if kind == "text":
        text = content.get("body")
        valid = isinstance(text, str) and 0 < len(text) <= 4096
        return None if valid else (131009, "Parameter value is not valid: text.body")
    if kind == "interactive":
        return _invalid_interactive(content)
    if kind == "template":
        language = content.get("language")
        if not content.get("name") or not isinstance(language, dict) or not language.get("code"):
            return 131008, "Required parameter is missing: template name or language"
        for component in content.get("components", []):
            for parameter in component.get("parameters", []):
                if TOO_MANY_SPACES.search(parameter.get("text", "")):
                    return 100, ("Invalid parameter: Param text cannot have new-line/tab characters or more than "
                                 "4 consecutive spaces")
    return None


def _invalid_interactive(content: dict) -> tuple[int, str] | None:
    body = (content.get("body") or {}).get("text")
    if not isinstance(body, str) or not 0 < len(body) <= 1024:
        return 131009, "Parameter value is not valid: interactive.body.text"
    action, kind = content.get("action") or {}, content.get("type")
    if kind == "location_request_message":
        valid = action.get("name") == "send_location"
        return None if valid else (131009, "Parameter value is not valid: action.name")
    if kind == "button":
        buttons = action.get("buttons") or []
        titles = [(b.get("reply") or {}).get("title", "") for b in buttons]
        ids = [(b.get("reply") or {}).get("id", "") for b in buttons]
        if not 1 <= len(buttons) <= 3 or len(set(titles)) != len(titles) or len(set(ids)) != len(ids) \
                or any(not 0 < len(t) <= 20 for t in titles) or any(not 0 < len(i) <= 256 for i in ids):
            return 131009, "Parameter value is not valid: buttons"
        return None
    if kind == "list":
        rows = [row for section in action.get("sections") or [] for row in section.get("rows") or []]
        ids = [row.get("id", "") for row in rows]
        if not 0 < len(action.get("button", "")) <= 20 or not 1 <= len(rows) <= 10 or len(set(ids)) != len(ids) \
                or any(not 0 < len(row.get("title", "")) <= 24 or len(row.get("description", "")) > 72 for row in rows) \
                or any(not 0 < len(i) <= 200 for i in ids):
            return 131009, "Parameter value is not valid: list"
        return None
    return 131009, f"Parameter value is not valid: interactive.type {kind}"
