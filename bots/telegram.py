"""Telegram, through python-telegram-bot's `Bot` (the Bot API over HTTP).

Webhook updates are verified by the secret token header Telegram sends
(`X-Telegram-Bot-Api-Secret-Token`, set with setWebhook) and parsed with `Update.de_json`; replies
are sent with `Bot.send_message`. PTB's methods are coroutines; over `bots.pooled_http.PooledRequest` (kept-alive
urllib3 connections) none waits on an event loop, so each runs to its end in the calling thread (`run_now`).

Sample update (what the inbox stores):
    {"update_id": 10001, "message": {"message_id": 5, "date": 1764000000,
     "chat": {"id": 4242, "type": "private"}, "from": {"id": 4242, "is_bot": false, "first_name": "Siti"},
     "text": "lampu jalan mati"}}
A shared location arrives as "location": {"latitude": -6.17, "longitude": 106.82}; live locations as
"edited_message"; photos as "photo": [{"file_id": …, "width": …}, …] with an optional "caption".
A pressed inline button arrives as its own update:
    {"update_id": 10002, "callback_query": {"id": "4382…", "from": {…}, "chat_instance": "-59…",
     "data": "jalan", "message": {"message_id": 6, "date": …, "chat": {"id": 4242, "type": "private"}, …}}}

Inline buttons (the category question) send their data back as a callback query, parsed into an
`Incoming` whose `choice` is that data and whose `acknowledge` is the query id. Telegram clients
show a spinner on the button until the bot calls answerCallbackQuery, so the first reply to a press
carries `acknowledges` and `send` answers the query just before sending it. The answer thus goes
through the outbox like every reply (nothing is sent from inside the inbox transaction) and is best
effort: a query is only answerable for a few seconds, and a retried reply finds it answered already.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
import warnings
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22: durations as timedelta now, as in its next major version

from telegram import (  # noqa: E402
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut  # noqa: E402

from bots.base import (  # noqa: E402
    Capabilities,
    Delivery,
    InboxEntry,
    Incoming,
    Media,
    Outgoing,
    PermanentError,
    Polled,
    RetryableError,
    Webhook,
)
from bots.pooled_http import CONNECTIONS, PooledRequest, run_now  # noqa: E402

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
OFFSET_DAYS = 6  # Telegram numbers updates anew after a week without any: an older offset is not sent
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]  # for setWebhook and getUpdates alike
log = logging.getLogger(__name__)


class TelegramAdapter:
    channel = CHANNEL
    capabilities = Capabilities(buttons=True, location=True, photos=True, max_length=4096)
    webhook = Webhook(payload="json", answer=("{}", "application/json"))
    poll_cursor = "telegram:updates"
    polling = False  # webhooks, unless start_polling (TELEGRAM_MODE=polling)

    def __init__(self, token: str, webhook_secret: str, api_base: str = "https://api.telegram.org/bot",
                 connections: int = CONNECTIONS):
        self._secret = webhook_secret
        base = api_base.rstrip("/")
        self.bot = Bot(token, base_url=base, base_file_url=base.replace("/bot", "/file/bot"),
                       request=PooledRequest(base, connections),
                       get_updates_request=PooledRequest(base, connections=1))

    def close(self) -> None:
        """Let go of the Bot API connections (getUpdates' and the others'). Safe to call twice."""
        for request in getattr(self.bot, "_request", (self.bot.request,)):
            run_now(request.shutdown())

    # -- inbound ----------------------------------------------------------------------------------

    def verify(self, url: str, headers: dict[str, str], form: dict[str, str], body: bytes) -> bool:
        given = headers.get(SECRET_HEADER, "")
        return bool(self._secret) and hmac.compare_digest(given.encode(), self._secret.encode())

    def entries(self, payload: Any) -> list[InboxEntry]:
        """An update is one inbox entry, keyed by its update_id."""
        if not isinstance(payload, dict) or type(payload.get("update_id")) is not int:
            raise ValueError("a Telegram update is a JSON object with an integer update_id")
        return [InboxEntry(str(payload["update_id"]), payload, self.sender_of(payload))]

    def deliveries(self, payload: Any) -> list[Delivery]:
        return []  # Telegram reports no deliveries

    def challenge(self, query: dict[str, str]) -> str | None:
        return None  # Telegram does not verify the endpoint with a GET

    def parse(self, payload: Any) -> list[Incoming]:
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            raise ValueError("a Telegram update is a JSON object with an integer update_id")
        for key in ("message", "edited_message"):
            part = payload.get(key, {})
            if key in payload and not (isinstance(part, dict) and isinstance(part.get("chat"), dict)
                                       and isinstance(part["chat"].get("id"), int)):
                raise ValueError(f"a Telegram {key} needs a chat with an integer id")
        if "callback_query" in payload:
            return self._pressed(payload)
        if not any(key in payload for key in ("message", "edited_message")):
            return []  # other update kinds (polls, channel posts…) are not for us
        update = Update.de_json(payload, self.bot)
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None:
            return []  # other update kinds (channel posts, polls…) are not for us
        location = message.location
        photos = (Media(message.photo[-1].file_id, "image/jpeg"),) if message.photo else ()
        user = update.effective_user
        return [
            Incoming(
                channel=CHANNEL,
                provider_message_id=str(update.update_id),
                sender=str(chat.id),
                text=message.text or message.caption or "",
                latitude=location.latitude if location else None,
                longitude=location.longitude if location else None,
                media=photos,
                sender_name=user.first_name if user else None,
                actor_id=str(user.id) if user else None,
                quoted_text=(message.reply_to_message.text or message.reply_to_message.caption or "")
                if message.reply_to_message else "",
                raw=payload,
            )
        ]

    def _pressed(self, payload: dict) -> list[Incoming]:
        """A pressed inline button: its data becomes the citizen's choice, its id what the reply answers."""
        update = Update.de_json(payload, self.bot)
        query, chat = update.callback_query, update.effective_chat
        if chat is None:
            return []  # a button under an inline-mode message, which this bot never sends
        return [
            Incoming(
                channel=CHANNEL,
                provider_message_id=str(update.update_id),
                sender=str(chat.id),
                choice=query.data or "",  # a game button has no data: an unknown choice
                acknowledge=query.id,
                sender_name=query.from_user.first_name if query.from_user else None,
                actor_id=str(query.from_user.id) if query.from_user else None,
                raw=payload,
            )
        ]

    @staticmethod
    def sender_of(payload: Any) -> str | None:
        """The chat id, read cheaply in the webhook (for the inbox's per-sender ordering)."""
        if not isinstance(payload, dict):
            return None
        for key in ("message", "edited_message", "callback_query"):
            part = payload.get(key)
            if isinstance(part, dict):
                chat = part.get("chat") or (part.get("message") or {}).get("chat") or {}
                if "id" in chat:
                    return str(chat["id"])
        return None

    def fetch_media(self, media: Media) -> tuple[bytes, str]:
        """getFile, then download from the file base URL."""

        async def download() -> bytes:
            file = await self.bot.get_file(media.provider_id)
            return bytes(await file.download_as_bytearray())

        try:
            return run_now(download()), media.content_type or "image/jpeg"
        except (TimedOut, NetworkError) as error:
            raise RetryableError(f"telegram file unreachable: {error}") from None
        except TelegramError as error:
            raise PermanentError(f"telegram file: {error}") from None

    def set_webhook(self, url: str) -> None:
        """Tell Telegram where to post updates, with the secret it must send back."""
        run_now(self.bot.set_webhook(url=url, secret_token=self._secret, allowed_updates=ALLOWED_UPDATES))

    def start_polling(self) -> None:
        """Long-polling mode (no public URL): a webhook and getUpdates exclude each other."""
        run_now(self.bot.delete_webhook())
        self.polling = True

    def poll(self, cursor: dict[str, Any]) -> Polled:
        """Updates from the stored offset on, as raw JSON objects, exactly what a webhook would have posted; the next
        offset is past the newest (getUpdates with it confirms these to Telegram). After a week without updates
        Telegram numbers them anew, perhaps lower: an offset that old is not sent (what Telegram holds unconfirmed
        comes, and the inbox ignores what it has)."""
        offset = cursor.get("offset") if not _stale(cursor) else None
        try:
            updates = run_now(self.bot.get_updates(
                offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES))
        except (TimedOut, NetworkError) as error:
            raise RetryableError(f"telegram unreachable: {error}") from None
        except TelegramError as error:  # 409: a webhook is set, or another poller runs
            raise RetryableError(f"telegram refused getUpdates: {error}") from None
        entries = [self.entries(update.to_dict())[0] for update in updates]
        newest = max((update.update_id for update in updates), default=None)
        return Polled(entries, {"offset": newest + 1, "at": time.time()} if newest is not None else {})

    @staticmethod
    def moved(stored: dict[str, Any], polled: Polled) -> dict[str, Any]:
        """The newer offset; the polled one whenever the stored one is a week old (Telegram may have numbered anew)."""
        if not polled.cursor:
            return dict(stored)
        if _stale(stored) or polled.cursor["offset"] > (stored.get("offset") or 0):
            return dict(polled.cursor)
        return dict(stored)

    # -- outbound ---------------------------------------------------------------------------------

    def send(self, message: Outgoing) -> str:
        if message.acknowledges:
            self._answer(message.acknowledges)
        try:
            sent = run_now(self.bot.send_message(
                chat_id=message.recipient, text=message.text[: self.capabilities.max_length],
                reply_markup=_keyboard(message),
            ))
        except RetryAfter as error:  # 429: Telegram says how long to wait
            raise RetryableError(f"telegram 429: {error}", retry_after=_seconds(error)) from None
        except Forbidden as error:  # 403: blocked by the user, or kicked from the group
            raise PermanentError(f"telegram 403: {error}", stop_contact=True) from None
        except BadRequest as error:  # 400: this message can never be sent as it is
            raise PermanentError(f"telegram 400: {error}") from None
        except (TimedOut, NetworkError) as error:
            raise RetryableError(f"telegram unreachable: {error}") from None
        except TelegramError as error:
            raise RetryableError(f"telegram error: {error}") from None
        return str(sent.message_id)

    def _answer(self, query_id: str) -> None:
        """Stop the spinner on a pressed button. Best effort: an expired or already answered query is
        refused by Telegram, and the reply must go out all the same."""
        try:
            run_now(self.bot.answer_callback_query(query_id))
        except TelegramError as error:
            log.info("callback query not answered: %s", error)


def _stale(cursor: dict[str, Any]) -> bool:
    """An offset stored more than OFFSET_DAYS ago (or before its time was kept)."""
    return time.time() - cursor.get("at", 0) > OFFSET_DAYS * 86400


def _keyboard(message: Outgoing):
    if message.request_location:  # only a reply keyboard can ask for the location
        rows = [[KeyboardButton(message.buttons[0][0] if message.buttons else "📍", request_location=True)]]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if message.choices:
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                     for row in message.choices])
    if message.buttons:
        rows = [[KeyboardButton(label) for label in row] for row in message.buttons]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    return ReplyKeyboardRemove()


def _seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta; both are handled
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
