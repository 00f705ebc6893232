"""SMS through Twilio: signed webhooks in (RequestValidator), the REST client out.

Inbound posts are signed with HMAC-SHA1 over the exact public URL + sorted form fields
(`X-Twilio-Signature`); behind a proxy that URL is PUBLIC_BASE_URL + path. Replies go out with
`messages.create`, asking Twilio to post delivery status to /webhooks/twilio/status.

Sample inbound form (what the inbox stores):
    MessageSid=SM0123…&AccountSid=AC…&From=%2B6281234567890&To=%2B62811000000&Body=lampu+jalan+mati&NumMedia=0
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bots.base import Capabilities, Delivery, InboxEntry, Incoming, Media, Outgoing, PermanentError, RetryableError, Webhook
from bots.downloads import MAX_MEDIA_BYTES, MEDIA_SECONDS, capped_download, trusted
from bots.pooled_http import CONNECTIONS, PooledTwilioClient

CHANNEL = "sms"
API_BASE = "https://api.twilio.com"
MEDIA_HOSTS = {"api.twilio.com": "https"}  # where MMS media are fetched from with the account's credentials
SIGNATURE_HEADER = "X-Twilio-Signature"
CLOCK_SKEW = timedelta(minutes=2)  # between our clock and Twilio's, when matching a message already sent
STOPPED = 21610  # the recipient replied STOP: never message them again
MESSAGE_SID = re.compile(r"[A-Za-z0-9_-]{2,64}")  # Twilio's 34-character SIDs (SM…, MM…), and test ids
FINAL_STATUSES = {"delivered": True, "read": True, "undelivered": False, "failed": False}  # of a status callback
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")


def segments(text: str) -> int:
    """SMS segments for a text: GSM-7 160 (153 when split), else UCS-2 70 (67 when split)."""
    if all(ch in GSM7 or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, multi = 160, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, multi = 70, 67
    return 1 if units <= single else math.ceil(units / multi)


class SmsAdapter:
    channel = CHANNEL
    capabilities = Capabilities(buttons=False, location=False, photos=True, max_length=1600)
    webhook = Webhook(payload="form", answer=('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', "text/xml"))

    def __init__(self, account_sid: str, auth_token: str, from_number: str, status_callback: str | None = None,
                 api_base: str | None = None, connections: int = CONNECTIONS):
        self._validator = RequestValidator(auth_token)
        self._from = from_number
        self._status_callback = status_callback
        self.client = Client(account_sid, auth_token,
                             http_client=PooledTwilioClient(api_base or API_BASE, connections=connections))
        self._media_hosts = dict(MEDIA_HOSTS)  # host → the only scheme it is fetched by
        if api_base:
            self.client.api.base_url = api_base.rstrip("/")
            base = urlsplit(api_base)
            self._media_hosts[base.hostname] = base.scheme  # a stand-in's media, in tests

    def close(self) -> None:
        """Let go of the Twilio client's kept-alive connections. Safe to call twice."""
        self.client.http_client.close()

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool:
        signature = headers.get(SIGNATURE_HEADER, "")
        return bool(signature) and self._validator.validate(url, form, signature)

    def entries(self, form: Any) -> list[InboxEntry]:
        """An inbound message is one entry, keyed by its MessageSid; a status callback (MessageStatus) carries none."""
        if not isinstance(form, dict) or not MESSAGE_SID.fullmatch(form.get("MessageSid") or ""):
            raise ValueError("a Twilio post needs a MessageSid")
        if form.get("MessageStatus"):
            return []
        if not form.get("From"):
            raise ValueError("a Twilio message needs From")
        return [InboxEntry(form["MessageSid"], form, form["From"])]

    def deliveries(self, form: Any) -> list[Delivery]:
        """A status callback's final word on a message we sent (delivered, undelivered, failed); others say nothing."""
        status = form.get("MessageStatus") if isinstance(form, dict) else None
        if status not in FINAL_STATUSES:
            return []
        return [Delivery(form["MessageSid"], FINAL_STATUSES[status], f"{status} {form.get('ErrorCode', '')}".strip())]

    def challenge(self, query: dict[str, str]) -> str | None:
        return None  # Twilio does not verify the endpoint with a GET

    def parse(self, form: Any) -> list[Incoming]:
        if not isinstance(form, dict) or not form.get("MessageSid") or not form.get("From"):
            raise ValueError("a Twilio message needs MessageSid and From")
        count = int(form.get("NumMedia") or 0) if str(form.get("NumMedia") or "0").isdigit() else 0
        media = tuple(
            Media(form[f"MediaUrl{i}"], form.get(f"MediaContentType{i}")) for i in range(count) if form.get(f"MediaUrl{i}")
        )
        return [Incoming(CHANNEL, form["MessageSid"], form["From"], form.get("Body", ""), media=media, raw=form)]

    def fetch_media(self, media: Media) -> tuple[bytes, str]:
        """MMS media from Twilio's own media host, with the account's credentials (HTTP basic auth), capped in
        size and time. Any other URL in a (signed) webhook is refused: the credentials never go elsewhere
        (and requests drops them on a redirect to another host, such as Twilio's CDN)."""
        import requests

        if not trusted(media.provider_id, self._media_hosts):
            raise PermanentError("twilio media: not a Twilio media URL; not fetched")
        data, content_type = capped_download(lambda: requests.get(
            media.provider_id, auth=(self.client.username, self.client.password), timeout=(5, 20), stream=True),
            "twilio", MAX_MEDIA_BYTES, MEDIA_SECONDS)
        return data, (media.content_type or content_type).split(";")[0]

    def find_sent(self, message: Outgoing, since: datetime) -> list[str]:
        """The sids of messages Twilio already took that could be this one (asked before resending one whose sender
        died mid-send), newest first: to the recipient from our number, the same body, sent since it was queued."""
        body = message.text[: self.capabilities.max_length]
        try:
            recent = self.client.messages.list(to=message.recipient, from_=self._from, limit=20)
        except TwilioRestException as error:
            raise RetryableError(f"twilio {error.status}: {error.msg}") from None
        except (TwilioException, OSError) as error:
            raise RetryableError(f"twilio unreachable: {type(error).__name__}") from None
        earliest = since.replace(tzinfo=since.tzinfo or timezone.utc) - CLOCK_SKEW
        return [sent.sid for sent in recent
                if sent.body == body and (sent.date_created is None or sent.date_created >= earliest)]

    # Refusals that no retry changes, by Twilio error code: why, and whether the contact is never messaged again.
    refusals: dict[int, tuple[str, bool]] = {STOPPED: ("recipient replied STOP", True)}

    def send(self, message: Outgoing) -> str:
        return self._create(message, body=message.text[: self.capabilities.max_length])

    def _create(self, message: Outgoing, **content) -> str:
        """messages.create with this content (a body, or a template), Twilio's errors as our send errors."""
        try:
            sent = self.client.messages.create(
                to=message.recipient, from_=self._from, status_callback=self._status_callback, **content)
        except TwilioRestException as error:
            if error.code in self.refusals:
                reason, stop = self.refusals[error.code]
                raise PermanentError(f"twilio {error.code}: {reason}", stop_contact=stop) from None
            if error.status == 429 or error.status >= 500:
                raise RetryableError(f"twilio {error.status}: {error.msg}") from None
            raise PermanentError(f"twilio {error.status} {error.code}: {error.msg}") from None
        except TwilioException as error:
            raise RetryableError(f"twilio unreachable: {error}") from None
        except OSError as error:
            raise RetryableError(f"twilio unreachable: {error}") from None
        return sent.sid
