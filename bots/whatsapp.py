"""WhatsApp through Meta's Cloud API: signed JSON webhooks in, the Graph API's /messages out, over one pooled
`requests.Session`.

pywa 4.5.0 was read and tried, and not used: its `GraphAPI` sets the client's base URL to graph.facebook.com itself
(a stand-in is reached only by rewriting its private session), `Message.from_update` reads only the first message
of a post and fails on a contact without a BSUID (`user_id`), and its signature check is three lines of `hmac`.

Meta first proves the endpoint is ours with a GET (`hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`),
then signs every post: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed by the app secret>`.
A post may carry several messages and delivery statuses, for every phone number of the business account; each
message to our number is one inbox entry, {"message", "contact", "metadata"}, which `parse` reads alone.

Sample post (what `entries` splits):
    {"object": "whatsapp_business_account", "entry": [{"id": "1022…", "changes": [{"field": "messages", "value": {
     "messaging_product": "whatsapp", "metadata": {"display_phone_number": "62811000000", "phone_number_id": "1065…"},
     "contacts": [{"profile": {"name": "Siti"}, "wa_id": "6281234567890"}],
     "messages": [{"from": "6281234567890", "id": "wamid.HBgL…", "timestamp": "1764000000", "type": "text",
                   "text": {"body": "lampu jalan mati"}}]}}]}]}
Statuses arrive the same way, as "statuses": [{"id": "wamid.…", "status": "delivered", "recipient_id": …}].
A citizen who took a username may have no phone number in a post: then they are addressed by their business-scoped
user id (BSUID, "ID.1234…"), which a send names as `recipient` instead of `to`.

Replies are text, or interactive: up to 3 reply buttons, else a list of up to 10 rows, or a location request.
A press comes back as `interactive.button_reply`/`list_reply` with the id we gave: "c:<data>" for a choice,
"t:<label>" for a plain button, read as the label typed. Outside the 24-hour customer service window only an
approved template goes through (error 131047 otherwise): the gateway sends one when it has one (`Outgoing.template`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any
from urllib.parse import urlsplit

import requests

from bots.base import (
    Capabilities,
    Delivery,
    InboxEntry,
    Incoming,
    Media,
    Outgoing,
    PermanentError,
    RetryableError,
    SendError,
    Webhook,
)
from bots.downloads import MAX_MEDIA_BYTES, MEDIA_SECONDS, capped_download, trusted

CHANNEL = "whatsapp"
API_BASE = "https://graph.facebook.com/v26.0"  # v26.0: the newest Graph API version (29 July 2026)
SIGNATURE_HEADER = "x-hub-signature-256"
MEDIA_HOSTS = {"lookaside.fbsbx.com": "https"}  # where the Graph API's media URLs point; the token goes nowhere else
TIMEOUT = (5, 20)  # connect, read
TEXT_LIMIT, BODY_LIMIT = 4096, 1024  # a text message's body; an interactive message's
BUTTONS, BUTTON_TITLE, BUTTON_ID = 3, 20, 256
ROWS, ROW_TITLE, ROW_DESCRIPTION, ROW_ID = 10, 24, 72, 200
LIST_BUTTON = "Pilih / Choose"  # the label that opens a list (20 characters at most)
CHOICE, TYPED = "c:", "t:"  # how a button's id says what a press means
SKIPPED = {"reaction", "system"}  # a reaction to one of our messages; a changed number: nothing to answer
FINAL_STATUSES = {"delivered": True, "read": True, "failed": False}  # "sent" is not final
# Graph API error codes: Meta is busy or throttling us (try later), or our token or its permissions are wrong
# (a fix of the configuration, meanwhile nothing is lost).
BUSY = {4, 80007, 130429, 131000, 131016, 131048, 131056}
MISCONFIGURED = {0, 3, 10, 190, *range(200, 300)}
BSUID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]+")
MEDIA_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


class WhatsAppAdapter:
    channel = CHANNEL
    capabilities = Capabilities(buttons=True, location=True, photos=True, max_length=TEXT_LIMIT)
    webhook = Webhook(payload="json", answer=("{}", "application/json"))

    def __init__(self, token: str, phone_number_id: str, app_secret: str, verify_token: str, api_base: str = API_BASE):
        self._token, self._phone_number_id = token, str(phone_number_id)
        self._app_secret, self._verify_token = app_secret, verify_token
        self._api_base = api_base.rstrip("/")
        base = urlsplit(self._api_base)
        self._media_hosts = {**MEDIA_HOSTS, base.hostname: base.scheme}  # and the API's own host (a stand-in)
        self.session = requests.Session()  # one pool of kept-alive connections for every call

    # -- inbound ----------------------------------------------------------------------------------

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool:
        given = next((value for name, value in headers.items() if name.lower() == SIGNATURE_HEADER), "")
        if not self._app_secret or not given.startswith("sha256="):
            return False
        expected = hmac.new(self._app_secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(given.removeprefix("sha256=").encode(errors="replace"), expected.encode())

    def challenge(self, query: dict[str, str]) -> str | None:
        """Meta's subscription check: the challenge back when the verify token is ours."""
        given, answer = query.get("hub.verify_token", ""), query.get("hub.challenge")
        if not self._verify_token or query.get("hub.mode") != "subscribe" or not answer:
            return None
        return answer if hmac.compare_digest(given.encode(errors="replace"), self._verify_token.encode()) else None

    def entries(self, payload: Any) -> list[InboxEntry]:
        """One entry per message to our phone number; messages to the account's other numbers are not ours."""
        found = []
        for value in self._values(payload):
            contacts = [c for c in _list(value, "contacts") if isinstance(c, dict)]
            for message in _list(value, "messages"):
                if not isinstance(message, dict) or not isinstance(message.get("id"), str) or not message["id"]:
                    raise ValueError("a WhatsApp message needs an id")
                contact = _contact_of(message, contacts)
                sender = _sender(message, contact)
                if sender is None:
                    raise ValueError("a WhatsApp message needs a sender (from, or the contact's user_id)")
                if "group_id" in message:
                    continue  # a group chat: reports and their replies are one to one
                found.append(InboxEntry(message["id"], {"message": message, "contact": contact,
                                                         "metadata": value["metadata"]}, sender))
        return found

    def deliveries(self, payload: Any) -> list[Delivery]:
        """Delivered or read: delivered; failed: failed for good, with Meta's code and title. "sent" says nothing."""
        reports = []
        for value in self._values(payload):
            for status in _list(value, "statuses"):
                if not isinstance(status, dict) or not isinstance(status.get("id"), str):
                    raise ValueError("a WhatsApp status needs a message id")
                delivered = FINAL_STATUSES.get(status.get("status"))
                if delivered is not None:
                    reports.append(Delivery(status["id"], delivered, None if delivered else _failure(status)))
        return reports

    def parse(self, payload: Any) -> list[Incoming]:
        """An inbox entry (as `entries` made it) as what the citizen said: text, a place, photos, or a press."""
        message = payload.get("message") if isinstance(payload, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("id"), str):
            raise ValueError("a WhatsApp inbox entry holds one message with an id")
        contact = payload.get("contact") if isinstance(payload.get("contact"), dict) else {}
        sender = _sender(message, contact)
        if sender is None:
            raise ValueError("a WhatsApp message needs a sender")
        if message.get("type") in SKIPPED:
            return []
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        name = profile.get("name")
        return [Incoming(channel=CHANNEL, provider_message_id=message["id"], sender=sender, raw=payload,
                         sender_name=name if isinstance(name, str) and name else None, **_content(message))]

    def fetch_media(self, media: Media) -> tuple[bytes, str]:
        """The media's URL from the Graph API, then its bytes with the same token, capped in size and time. A URL
        on any host but Meta's media host (or the API's own, a stand-in) is refused: the token goes nowhere else."""
        if not MEDIA_ID.fullmatch(media.provider_id):
            raise PermanentError("whatsapp media: not a media id")
        info = self._call("GET", f"{self._api_base}/{media.provider_id}",
                          params={"phone_number_id": self._phone_number_id})
        url = info.get("url") if isinstance(info.get("url"), str) else ""
        if not trusted(url, self._media_hosts):
            raise PermanentError("whatsapp media: not a WhatsApp media URL; not fetched")
        data, header_type = capped_download(
            lambda: self.session.get(url, headers=self._auth(), timeout=TIMEOUT, stream=True), "whatsapp",
            MAX_MEDIA_BYTES, MEDIA_SECONDS)
        content_type = info.get("mime_type") if isinstance(info.get("mime_type"), str) else None
        return data, (content_type or media.content_type or header_type).split(";")[0].strip()

    # -- outbound ---------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> str:
        key = "recipient" if BSUID.fullmatch(message.recipient) else "to"
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", key: message.recipient,
                **_outgoing(message)}
        answer = self._call("POST", f"{self._api_base}/{self._phone_number_id}/messages", json=body)
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):  # taken, by the look of it, but unnamed: never send it twice
            raise PermanentError("whatsapp: the answer named no message id") from None

    def close(self) -> None:
        self.session.close()

    # -- helpers ----------------------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    def _call(self, method: str, url: str, **kwargs) -> dict:
        """One Graph API call, its JSON answer; a refusal as the error that says whether to try again."""
        try:
            response = self.session.request(method, url, headers=self._auth(), timeout=TIMEOUT, **kwargs)
        except requests.RequestException as error:
            raise RetryableError(f"whatsapp unreachable: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise _refusal(response)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise RetryableError(f"whatsapp {response.status_code}: not a JSON object")
        return answer

    def _values(self, payload: Any):
        """The `value` of every "messages" change to our phone number; ValueError when it is not Meta's shape."""
        if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account" \
                or not isinstance(payload.get("entry"), list):
            raise ValueError("not a WhatsApp Business Account webhook")
        for entry in payload["entry"]:
            if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
                raise ValueError("a WhatsApp webhook entry needs a list of changes")
            for change in entry["changes"]:
                if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                    raise ValueError("a WhatsApp webhook change needs a value")
                if change.get("field") != "messages":
                    continue  # template reviews, account updates, marketing preferences…
                value = change["value"]
                if not isinstance(value.get("metadata"), dict):
                    raise ValueError("a WhatsApp messages change needs its metadata")
                if str(value["metadata"].get("phone_number_id")) == self._phone_number_id:
                    yield value


def _list(value: dict, key: str) -> list:
    items = value.get(key, [])
    if not isinstance(items, list):
        raise ValueError(f"a WhatsApp {key} must be a list")
    return items


def _contact_of(message: dict, contacts: list[dict]) -> dict | None:
    """The contacts[] item of a message's sender (by phone number or BSUID); the only one when there is one."""
    ids = {message.get("from"), message.get("from_user_id")} - {None}
    found = [c for c in contacts if {c.get("wa_id"), c.get("user_id")} & ids]
    return found[0] if found else (contacts[0] if len(contacts) == 1 else None)


def _sender(message: dict, contact: dict | None) -> str | None:
    """Where replies go: the phone number (wa_id) when the post has it, else the business-scoped user id."""
    for candidate in (message.get("from"), message.get("from_user_id"), (contact or {}).get("user_id")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


def _content(message: dict) -> dict:
    """The Incoming's fields for what a message carries; a kind we cannot read is an empty message (answered with
    the question pending), never an error."""
    kind = message.get("type")
    part = message.get(kind) if isinstance(kind, str) and isinstance(message.get(kind), dict) else {}
    if kind == "text":
        return {"text": _text(part.get("body"))}
    if kind == "location":
        latitude, longitude = _number(part.get("latitude")), _number(part.get("longitude"))
        if latitude is None or longitude is None or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            return {}
        place = ", ".join(_text(part.get(key)) for key in ("name", "address") if _text(part.get(key)))
        return {"text": place, "latitude": latitude, "longitude": longitude}
    if kind in ("image", "document"):  # a photo, also when sent as a file; the worker checks its type
        mime = _text(part.get("mime_type")) or None
        photo = isinstance(part.get("id"), str) and (kind == "image" or (mime or "").startswith("image/"))
        return {"text": _text(part.get("caption")), "media": (Media(part["id"], mime),) if photo else ()}
    if kind == "interactive":
        reply = part.get(part.get("type")) if part.get("type") in ("button_reply", "list_reply") else None
        return _pressed(reply.get("id"), reply.get("title")) if isinstance(reply, dict) else {}
    if kind == "button":  # a quick reply under a template: its payload is ours only when it says so
        return _pressed(part.get("payload"), part.get("text"))
    return {"text": _text(part.get("caption"))}  # a sticker, video, voice note, contact card, unsupported kind…


def _pressed(data: Any, title: Any) -> dict:
    data, title = _text(data), _text(title)
    if data.startswith(CHOICE):
        return {"choice": data.removeprefix(CHOICE)}
    if data.startswith(TYPED):
        return {"text": data.removeprefix(TYPED)}
    return {"text": title}  # a button of someone else's making (a template built in Meta's tools): its words


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _failure(status: dict) -> str:
    errors = status.get("errors")
    error = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return " ".join(str(part) for part in ("failed", error.get("code"), error.get("title")) if part is not None)


def _refusal(response: requests.Response) -> SendError:
    """A Graph API error as what to do about it. 131047 (more than 24 hours since the citizen last wrote) and
    131026 (undeliverable) are for good; 131050 stops only marketing messages, which we never send."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        error = {}
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    said = f"whatsapp {response.status_code} {code}: {error.get('message') or response.reason}"
    said += f" ({details})" if details else ""
    if code in BUSY or response.status_code == 429 or response.status_code >= 500:
        return RetryableError(said, retry_after=_seconds(response.headers.get("Retry-After")))
    if code in MISCONFIGURED or response.status_code == 401:
        return RetryableError(said + "; check the token and its permissions")
    return PermanentError(said)


def _seconds(value: str | None) -> float | None:
    return float(value) if value and value.isdigit() else None


# -- what a reply looks like on WhatsApp ------------------------------------------------------------


def _outgoing(message: Outgoing) -> dict:
    """A template when there is one; a location request, buttons or a list when the body fits one; else text."""
    if message.template:
        return _template(message.template)
    text = message.text[:TEXT_LIMIT]
    fits = 0 < len(text) <= BODY_LIMIT
    if message.request_location and fits:
        return _interactive("location_request_message", text, {"name": "send_location"})
    options = [(label, CHOICE + data) for row in message.choices for label, data in row] \
        or [(label, TYPED + label) for row in message.buttons for label in row]
    options = list({data: (label, data) for label, data in options if label}.values())  # each id once
    if options and fits:
        if len(options) <= BUTTONS and all(len(data) <= BUTTON_ID for _, data in options):
            titles = [_cut(label, BUTTON_TITLE) for label, _ in options]
            if len(set(titles)) == len(titles):  # titles must differ
                buttons = [{"type": "reply", "reply": {"id": data, "title": title}}
                           for title, (_, data) in zip(titles, options)]
                return _interactive("button", text, {"buttons": buttons})
        if len(options) > ROWS:  # the likeliest first, and the last (conventionally "other"); the rest can be typed
            options = options[: ROWS - 1] + options[-1:]
        if all(len(data) <= ROW_ID for _, data in options):
            rows = [_row(label, data) for label, data in options]
            return _interactive("list", text, {"button": LIST_BUTTON, "sections": [{"rows": rows}]})
    if options:  # too long for an interactive body: the options as lines to type
        text = (text + "\n\n" + "\n".join(f"• {label}" for label, _ in options))[:TEXT_LIMIT]
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def _interactive(kind: str, body: str, action: dict) -> dict:
    return {"type": "interactive", "interactive": {"type": kind, "body": {"text": body}, "action": action}}


def _row(label: str, data: str) -> dict:
    row = {"id": data, "title": _cut(label, ROW_TITLE)}
    if len(label) > ROW_TITLE:
        row["description"] = _cut(label, ROW_DESCRIPTION)
    return row


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _template(template: dict[str, Any]) -> dict:
    """An approved template, its body parameters in order. Meta refuses a parameter with a line break, a tab or
    more than four spaces in a row: each is sent as one line."""
    parameters = [{"type": "text", "text": " ".join(str(value).split())} for value in template.get("parameters") or []]
    sent = {"name": template["name"], "language": {"code": template.get("language") or "id"}}
    if parameters:
        sent["components"] = [{"type": "body", "parameters": parameters}]
    return {"type": "template", "template": sent}
