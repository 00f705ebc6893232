"""Which channel adapters run, from the environment (secrets never live in config.yaml)."""

from __future__ import annotations

import os

from bots.base import Adapter
from bots.chat import CHANNEL as CHAT
from bots.chat import ChatAdapter


def build_adapters(environ: dict[str, str] | None = None) -> dict[str, Adapter]:
    environ = os.environ if environ is None else environ
    adapters: dict[str, Adapter] = {CHAT: ChatAdapter(lambda message: None)}
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if token:
        from bots.telegram import CHANNEL as TELEGRAM
        from bots.telegram import TelegramAdapter

        adapters[TELEGRAM] = TelegramAdapter(
            token,
            webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET", ""),
            api_base=environ.get("TELEGRAM_API_BASE", "https://api.telegram.org/bot"),
        )
    return adapters
