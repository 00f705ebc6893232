"""The gateway's own chat channel: `python run.py chat` in a terminal (and, later, a web page).

It needs no provider, so a newcomer can talk to the bot right after `make run`, and it goes
through the same inbox → conversation → outbox line as every other channel.

Sample payload (what the inbox stores):
    {"session": "terminal-1f3a", "message_id": "9c2e…", "text": "lampu jalan mati", "lat": null, "lon": null}
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from bots.base import Capabilities, Incoming, Outgoing, PermanentError

CHANNEL = "chat"


def payload(session: str, text: str = "", lat: float | None = None, lon: float | None = None) -> dict[str, Any]:
    return {"session": session, "message_id": uuid.uuid4().hex, "text": text, "lat": lat, "lon": lon}


class ChatAdapter:
    channel = CHANNEL
    capabilities = Capabilities(buttons=False, location=False, photos=False, max_length=4096)

    def __init__(self, deliver: Callable[[Outgoing], None]):
        self._deliver = deliver

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool:
        return True  # only reached from this process

    def parse(self, data: Any) -> list[Incoming]:
        if not isinstance(data, dict) or not isinstance(data.get("session"), str) or not isinstance(data.get("text", ""), str):
            raise ValueError("a chat payload needs a session and a text")
        return [
            Incoming(
                channel=CHANNEL,
                provider_message_id=str(data.get("message_id") or uuid.uuid4().hex),
                sender=data["session"],
                text=data.get("text", ""),
                latitude=data.get("lat"),
                longitude=data.get("lon"),
                raw=data,
            )
        ]

    def fetch_media(self, media):
        raise PermanentError("the chat channel carries no photos")

    def send(self, message: Outgoing) -> str:
        if not message.recipient:
            raise PermanentError("no chat session to deliver to")
        self._deliver(message)
        return uuid.uuid4().hex
