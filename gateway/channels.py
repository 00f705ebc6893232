"""Which channel adapters run, from the environment (secrets never live in config.yaml)."""

from __future__ import annotations

import os

from bots.base import Adapter
from bots.chat import CHANNEL as CHAT
from bots.chat import ChatAdapter
from bots.pooled_http import CONNECTIONS


def build_adapters(environ: dict[str, str] | None = None, public_base_url: str = "",
                   connections: int = CONNECTIONS) -> dict[str, Adapter]:
    """`connections`: kept-alive connections per provider (the sending threads and a photo download at once)."""
    environ = os.environ if environ is None else environ
    adapters: dict[str, Adapter] = {CHAT: ChatAdapter(lambda message: None)}
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if token:
        from bots.telegram import CHANNEL as TELEGRAM
        from bots.telegram import TelegramAdapter

        adapters[TELEGRAM] = TelegramAdapter(
            token,
            webhook_secret=environ.get("TELEGRAM_WEBHOOK_SECRET", ""),
            api_base=environ.get("TELEGRAM_API_BASE", "https://api.telegram.org/bot"), connections=connections,
        )
    sid, auth = environ.get("TWILIO_ACCOUNT_SID", "").strip(), environ.get("TWILIO_AUTH_TOKEN", "").strip()
    if sid and auth:
        from bots.sms import CHANNEL as SMS
        from bots.sms import SmsAdapter

        adapters[SMS] = SmsAdapter(
            sid, auth, environ.get("TWILIO_FROM_NUMBER", ""),
            status_callback=f"{public_base_url}/webhooks/twilio/status" if public_base_url else None,
            api_base=environ.get("TWILIO_API_BASE") or None, connections=connections,
        )
    whatsapp_from = environ.get("TWILIO_WHATSAPP_FROM", "").strip()
    if sid and auth and whatsapp_from:
        from bots.twilio_whatsapp import CHANNEL as TWILIO_WHATSAPP
        from bots.twilio_whatsapp import TwilioWhatsAppAdapter

        adapters[TWILIO_WHATSAPP] = TwilioWhatsAppAdapter(
            sid, auth, whatsapp_from,
            status_callback=f"{public_base_url}/webhooks/{TWILIO_WHATSAPP}/status" if public_base_url else None,
            api_base=environ.get("TWILIO_API_BASE") or None, connections=connections,
        )
    whatsapp_token, phone_id = environ.get("WHATSAPP_TOKEN", "").strip(), environ.get("WHATSAPP_PHONE_NUMBER_ID", "").strip()
    if whatsapp_token and phone_id:
        from bots.whatsapp import API_BASE
        from bots.whatsapp import CHANNEL as WHATSAPP
        from bots.whatsapp import WhatsAppAdapter

        adapters[WHATSAPP] = WhatsAppAdapter(
            whatsapp_token, phone_id, app_secret=environ.get("WHATSAPP_APP_SECRET", "").strip(),
            verify_token=environ.get("WHATSAPP_VERIFY_TOKEN", "").strip(), api_base=environ.get("WHATSAPP_API_BASE") or API_BASE,
        )
    if environ.get("IMAP_HOST", "").strip() and environ.get("EMAIL_FROM", "").strip():
        from bots.email import CHANNEL as EMAIL
        from bots.email import EmailAdapter

        adapters[EMAIL] = EmailAdapter.from_environ(environ)
    bearer, x_user = environ.get("X_BEARER_TOKEN", "").strip(), environ.get("X_USER_ID", "").strip()
    if bearer and x_user:
        from bots.social import CHANNEL as X
        from bots.social import TWEEPY_HOST, XAdapter

        adapters[X] = XAdapter(
            bearer, x_user,
            consumer_key=environ.get("X_CONSUMER_KEY", ""), consumer_secret=environ.get("X_CONSUMER_SECRET", ""),
            access_token=environ.get("X_ACCESS_TOKEN", ""), access_token_secret=environ.get("X_ACCESS_TOKEN_SECRET", ""),
            api_base=environ.get("X_API_BASE") or TWEEPY_HOST,
        )
    return adapters
