"""The one small interface every channel adapter implements, and the errors a send may raise.

An adapter verifies an inbound request, splits a provider payload into inbox entries and delivery
reports, parses an entry into `Incoming` messages, and sends an `Outgoing` one, returning the
provider's message id. Whether a failed send is worth retrying is said by the error's type (after
Courier's closed set of send errors). A channel that is posted to (`Webhook`) is served by the one
generic webhook route; a channel that is asked (`poll`) by the one polling job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Capabilities:
    buttons: bool = False  # quick-reply / inline keyboards
    location: bool = False  # can share a location
    photos: bool = False
    max_length: int = 4096  # characters in one message
    public: bool = False  # replies are public (X mentions): never personal data, no questions


@dataclass(frozen=True)
class Media:
    provider_id: str  # what the adapter needs to download it (file_id, MediaUrl…)
    content_type: str | None = None


@dataclass(frozen=True)
class Incoming:
    channel: str
    provider_message_id: str  # unique per channel: Telegram update_id, Twilio MessageSid…
    sender: str  # the address replies go to: chat id, phone, e-mail, handle
    text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    media: tuple[Media, ...] = ()
    sender_name: str | None = None
    choice: str | None = None  # the data of a pressed button (Telegram callback_data), never typed text
    acknowledge: str | None = None  # what the first reply must acknowledge (Telegram: the callback query id)
    # What every reply needs to answer in context (an e-mail's Message-ID and References, the mention's
    # tweet id); stored encrypted with each reply's outbox row.
    reply_context: dict[str, Any] = field(default_factory=dict)
    about_ticket: str | None = None  # a ticket the message is verifiably about (an e-mail reply to its signed thread)
    actor_id: str | None = None  # the person who wrote or pressed (in a group chat, not the chat): officers act by it
    quoted_text: str = ""  # the text of the message this one answers (a Telegram reply), e.g. a forwarded case
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outgoing:
    channel: str
    recipient: str
    text: str
    buttons: tuple[tuple[str, ...], ...] = ()  # reply keyboard: pressing one sends its label as text
    request_location: bool = False
    choices: tuple[tuple[tuple[str, str], ...], ...] = ()  # inline buttons, rows of (label, data sent back as a choice)
    acknowledges: str | None = None  # the press this reply answers (Telegram: answerCallbackQuery first)
    media_urls: tuple[str, ...] = ()
    # An approved template for channels that only take those outside a conversation window (WhatsApp):
    # {"name": the approved template's name, "language": its code ("id", "en"), "parameters": [body values in order]};
    # channels without templates send `text`.
    template: dict[str, Any] | None = None
    reply_context: dict[str, Any] = field(default_factory=dict)  # the Incoming's, handed back to its adapter
    key: str | None = None  # the outbox row's own key: the same on every try, so a provider can spot a repeat


@dataclass(frozen=True)
class InboxEntry:
    """One message of a webhook or poll, as the inbox stores it: unique per channel by `provider_message_id`,
    `payload` is what `parse` reads later, `sender` the address its replies go to (the inbox keeps a sender's
    messages in order)."""

    provider_message_id: str
    payload: Any
    sender: str | None


@dataclass(frozen=True)
class Delivery:
    """A provider's report on a message we sent: delivered, or failed for good (with the provider's reason)."""

    provider_message_id: str
    delivered: bool
    error: str | None = None


@dataclass(frozen=True)
class Webhook:
    """How a provider posts to us: `payload` "json" or "form", what to answer on success (body, content type),
    and whether it verifies the endpoint first with a GET (`challenge`)."""

    payload: str = "json"
    answer: tuple[str, str] = ("{}", "application/json")


@dataclass(frozen=True)
class Polled:
    """What one poll of a provider brought: the entries to store, oldest first, and the cursor to store with them
    (in the same transaction: a crash neither skips nor repeats one). `not_before`: ask again no sooner than this
    epoch second (a rate limit's reset)."""

    entries: list[InboxEntry]
    cursor: dict[str, Any]
    not_before: float | None = None


class SendError(Exception):
    """A send failed; the subclass says what to do about it."""


class RetryableError(SendError):
    """Try again later (provider down, rate-limited): `retry_after` seconds when the provider said."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class UnansweredError(RetryableError):
    """The request went out and no answer came back: the provider may have the message. Sent again only after the
    provider is asked (`find_sent`), where it can be."""


class PermanentError(SendError):
    """Never retry this message; with `stop_contact`, never message this contact again (blocked, STOP)."""

    def __init__(self, message: str, stop_contact: bool = False):
        super().__init__(message)
        self.stop_contact = stop_contact


class Adapter(Protocol):
    channel: str
    capabilities: Capabilities

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool: ...

    def parse(self, payload: Any) -> list[Incoming]: ...

    def send(self, message: Outgoing) -> str: ...

    def fetch_media(self, media: Media) -> tuple[bytes, str]:
        """The bytes and content type of a photo the citizen sent."""
        ...

    def close(self) -> None:
        """Let go of pooled connections (the gateway stops, or a test ends)."""
        ...


class PollingAdapter(Adapter, Protocol):
    """A channel the gateway asks for new messages (the one polling job, every `schedule.polling` seconds)."""

    poll_cursor: str  # the name its cursor is stored under
    polling: bool  # whether the polling job asks it (Telegram: only without a webhook)

    def poll(self, cursor: dict[str, Any]) -> Polled:
        """What is new after `cursor` (the stored one, {} at first; another poll may have moved it meanwhile, so
        the cursor returned is merged with the stored one by `moved`); SendError when the provider cannot say."""
        ...

    def moved(self, stored: dict[str, Any], polled: Polled) -> dict[str, Any]:
        """The cursor to store: `polled`'s, never behind `stored` (read again under its lock)."""
        ...


class WebhookAdapter(Adapter, Protocol):
    """A channel whose provider posts to `/webhooks/<channel>` (signed; `verify` refuses a forgery)."""

    webhook: Webhook

    def entries(self, payload: Any) -> list[InboxEntry]:
        """The messages a verified post carries, to store; ValueError when it is not the provider's shape."""
        ...

    def deliveries(self, payload: Any) -> list[Delivery]:
        """The delivery reports a verified post carries (none for most)."""
        ...

    def challenge(self, query: dict[str, str]) -> str | None:
        """The answer to the provider's GET that proves we own the endpoint, or None to refuse it."""
        ...

    # Optionally `set_webhook(url)`: tell the provider where to post, where its API allows (Telegram); the gateway
    # calls it at start with `/webhooks/<channel>`. Others are given the address in the provider's console.
