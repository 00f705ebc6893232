"""The gateway's own chat channel: `python run.py chat` in a terminal and the /chat page in a browser.

It needs no provider, so a newcomer can talk to the bot right after `make run`, and it goes
through the same inbox → conversation → outbox line as every other channel.

Replies are not pushed anywhere: they stay in the outbox, and whoever talks reads their session's
messages from there (`store.outbox.messages_for_contact`, after the last one shown). Whichever
worker handles a chat message — the terminal's own, or a served gateway's in another process —
the citizen therefore sees every reply, and the status updates that come later. `send` only
acknowledges a row (its `deliver` callback is for tests that want to watch the sends).

Sample payload (what the inbox stores):
    {"session": "terminal-1f3a", "message_id": "9c2e…", "text": "lampu jalan mati", "lat": null, "lon": null}
A photo from the web page travels inside the payload, as the e-mail channel's do (the bytes were
checked by the page's endpoint, and are checked again when the worker stores them):
    {…, "photo": "data:image/jpeg;base64,/9j/4AAQ…"}
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable
from typing import Any

from bots.base import Capabilities, Incoming, Media, Outgoing, PermanentError

CHANNEL = "chat"


def payload(session: str, text: str = "", lat: float | None = None, lon: float | None = None,
            photo: tuple[bytes, str] | None = None) -> dict[str, Any]:
    """An inbox payload; `photo` is (bytes, content type)."""
    message = {"session": session, "message_id": uuid.uuid4().hex, "text": text, "lat": lat, "lon": lon}
    if photo is not None:
        data, content_type = photo
        message["photo"] = f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"
    return message


def has_photo(data: Any) -> bool:
    """Whether a stored payload carries a photo (the web chat's history shows that it did, not the bytes)."""
    return isinstance(data, dict) and isinstance(data.get("photo"), str)


class ChatAdapter:
    channel = CHANNEL
    capabilities = Capabilities(buttons=False, location=False, photos=True, max_length=4096)

    def __init__(self, deliver: Callable[[Outgoing], None] | None = None):
        self._deliver = deliver

    def close(self) -> None:
        """Nothing to let go of: replies are handed to a function of this process."""

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool:
        return True  # only reached from this process

    def parse(self, data: Any) -> list[Incoming]:
        if not isinstance(data, dict) or not isinstance(data.get("session"), str) or not isinstance(data.get("text", ""), str):
            raise ValueError("a chat payload needs a session and a text")
        media = ()
        if has_photo(data):
            header = data["photo"].partition(",")[0]
            media = (Media(data["photo"], header[5:].removesuffix(";base64") if header.startswith("data:") else None),)
        return [
            Incoming(
                channel=CHANNEL,
                provider_message_id=str(data.get("message_id") or uuid.uuid4().hex),
                sender=data["session"],
                text=data.get("text", ""),
                latitude=data.get("lat"),
                longitude=data.get("lon"),
                media=media,
                raw=data,
            )
        ]

    def fetch_media(self, media: Media) -> tuple[bytes, str]:
        """The bytes travel inside the Media (the photo is in the inbox already): nothing to download."""
        header, _, encoded = media.provider_id.partition(",")
        if not header.startswith("data:") or not header.endswith(";base64"):
            raise PermanentError("the photo could not be read")
        try:
            return base64.b64decode(encoded, validate=True), media.content_type or header[5:-7]
        except (binascii.Error, ValueError):
            raise PermanentError("the photo could not be read") from None

    def send(self, message: Outgoing) -> str:
        if not message.recipient:
            raise PermanentError("no chat session to deliver to")
        if self._deliver is not None:
            self._deliver(message)
        return uuid.uuid4().hex
