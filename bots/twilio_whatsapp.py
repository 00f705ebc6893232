"""WhatsApp through Twilio: the SMS adapter's Messages API and signed webhooks, with `whatsapp:` addresses.

Twilio posts WhatsApp messages and status callbacks as it does SMS, signed the same way, with From and To as
`whatsapp:+62…`; the From is kept whole as the sender, so replies go back to WhatsApp. A shared location comes as
Latitude/Longitude (with Address and Label for a named place), the sender's WhatsApp name as ProfileName.

Outside WhatsApp's 24-hour customer service window Twilio refuses free-form text (error 63016); an approved
template goes through: `Outgoing.template`'s name is then the template's Content SID (HX…), its parameters
the numbered Content Variables {"1": …, "2": …}.

Sample inbound form (what the inbox stores):
    MessageSid=SM0123…&AccountSid=AC…&From=whatsapp%3A%2B6281234567890&To=whatsapp%3A%2B62811000000
    &Body=lampu+jalan+mati&NumMedia=0&ProfileName=Siti&WaId=6281234567890
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bots.base import Capabilities, Incoming, Outgoing
from bots.pooled_http import CONNECTIONS
from bots.sms import STOPPED, SmsAdapter

CHANNEL = "twilio_whatsapp"
PREFIX = "whatsapp:"
OUTSIDE_WINDOW = 63016  # free-form text more than 24 hours after the citizen last wrote: only a template goes


def whatsapp_address(number: str) -> str:
    """A number as Twilio's WhatsApp address: whatsapp:+62…"""
    return number if number.startswith(PREFIX) else PREFIX + number


class TwilioWhatsAppAdapter(SmsAdapter):
    channel = CHANNEL
    # Citizens can share a location; buttons need Twilio's Content templates, so questions are asked in words.
    # 1600 characters: the longest body Twilio's Messages API takes (WhatsApp itself takes 4096).
    capabilities = Capabilities(buttons=False, location=True, photos=True, max_length=1600)

    def __init__(self, account_sid: str, auth_token: str, from_number: str, status_callback: str | None = None,
                 api_base: str | None = None, connections: int = CONNECTIONS):
        super().__init__(account_sid, auth_token, whatsapp_address(from_number), status_callback, api_base, connections)

    def parse(self, form: Any) -> list[Incoming]:
        incoming = [replace(message, channel=CHANNEL) for message in super().parse(form)]
        latitude, longitude = _degrees(form.get("Latitude"), 90), _degrees(form.get("Longitude"), 180)
        located = latitude is not None and longitude is not None
        place = ", ".join(form[key] for key in ("Label", "Address") if form.get(key)) if located else ""
        return [replace(message, latitude=latitude if located else None, longitude=longitude if located else None,
                        text=message.text or place, sender_name=form.get("ProfileName") or None)
                for message in incoming]

    refusals = SmsAdapter.refusals | {
        STOPPED: ("recipient opted out", True),
        OUTSIDE_WINDOW: ("outside the 24-hour window; only a template goes", False),
    }

    def send(self, message: Outgoing) -> str:
        message = replace(message, recipient=whatsapp_address(message.recipient))
        if message.template:  # an approved Content template, its variables numbered from 1
            variables = {str(n): str(value) for n, value in enumerate(message.template.get("parameters") or [], 1)}
            return self._create(message, content_sid=message.template["name"], content_variables=json.dumps(variables))
        return self._create(message, body=message.text[: self.capabilities.max_length])


def _degrees(value: Any, limit: float) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -limit <= number <= limit else None
