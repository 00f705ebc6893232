"""Provider webhooks, one route for every channel: verify, store raw in the inbox, answer at once. The worker
does the rest.

`POST /webhooks/<channel>` takes what the channel's adapter (a `bots.base.WebhookAdapter`) says a signed post
carries: messages for the inbox, in one transaction, and delivery reports for the outbox. `GET` answers the
provider's proof of ownership (WhatsApp's `hub.challenge`). Twilio's older addresses stay as aliases.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request

from gateway.services import services, wake_worker
from store.inbox import record_entries
from store.outbox import record_delivery

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")
# Telegram's update ids, Twilio's SIDs, WhatsApp's wamid.… (base64): what an inbox or outbox row can be keyed by
PROVIDER_ID = re.compile(r"[A-Za-z0-9_.=+/-]{1,128}")


@blueprint.post("/twilio/sms")  # the addresses given to Twilio before the one route
@blueprint.post("/twilio/status")
def twilio_sms():
    return receive("sms")


@blueprint.post("/<channel>")
@blueprint.post("/<channel>/status")  # where a provider posts its delivery reports
def receive(channel: str):
    adapter = _adapter(channel)
    payload = _payload(adapter)
    url = services().config.server.base_url + request.full_path.rstrip("?")  # the URL the provider called
    form = payload if adapter.webhook.payload == "form" else {}
    if not adapter.verify(url, dict(request.headers), form, request.get_data(cache=True)):
        abort(403, "signature or secret missing or wrong")
    entries, deliveries = _readable_or_400(adapter, payload)
    if entries:
        record_entries(services().db, adapter.channel, entries)
        wake_worker()
    for delivery in deliveries:
        record_delivery(services().db, adapter.channel, delivery.provider_message_id, delivery.delivered,
                        delivery.error)
    if not entries:
        return Response(status=204)  # delivery reports only: nothing to answer
    body, content_type = adapter.webhook.answer
    return Response(body, content_type=content_type, status=200)


@blueprint.get("/<channel>")
def challenge(channel: str):
    """The provider's GET that proves this endpoint is ours (WhatsApp: hub.mode, hub.verify_token, hub.challenge)."""
    answer = _adapter(channel).challenge(request.args.to_dict())
    if answer is None:
        abort(403, "verification refused")
    return Response(answer, content_type="text/plain")


def _adapter(channel: str):
    adapter = services().adapters.get(channel)
    if adapter is None or not hasattr(adapter, "webhook"):
        abort(404, f"no webhook channel {channel} is configured")
    return adapter


def _payload(adapter):
    """The posted form, or the JSON body (None when it is not JSON); nesting too deep to parse is refused, not a 500."""
    if adapter.webhook.payload == "form":
        return request.form.to_dict()
    try:
        return request.get_json(silent=True)
    except RecursionError:
        abort(400, "the JSON body is nested too deeply")


def _readable_or_400(adapter, payload):
    """Only what the worker will be able to read is accepted: a malformed payload is refused now, and nothing
    is stored (PostgreSQL cannot store a NUL character, and a worker cannot parse a broken shape)."""
    if _has_nul(payload):
        abort(400, "a webhook may not contain NUL characters or nest deeper than 50 levels")
    try:
        entries, deliveries = adapter.entries(payload), adapter.deliveries(payload)
        for entry in entries:
            adapter.parse(entry.payload)
    except Exception:  # any shape the provider's own parser refuses (a string where an object belongs…)
        abort(400, f"expected a {adapter.channel} webhook in the provider's format")
    for provider_id in [entry.provider_message_id for entry in entries] + [d.provider_message_id for d in deliveries]:
        if not PROVIDER_ID.fullmatch(provider_id):
            abort(400, "not a provider message id")
    return entries, deliveries


def _has_nul(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if depth > 50:
        return True  # deeper than any provider nests: refused with the rest
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item, depth + 1) for item in value)
    return False
