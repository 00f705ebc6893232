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
from store.inbox import record_entries, storable
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
    url = services().config.server.base_url + request.full_path.rstrip("?")  # the URL the provider called
    form = request.form.to_dict() if adapter.webhook.payload == "form" else {}  # Twilio signs the form's fields
    if not adapter.verify(url, dict(request.headers), form, request.get_data(cache=True)):
        abort(403, "signature or secret missing or wrong")  # before a forged body is parsed
    payload = form if adapter.webhook.payload == "form" else _json_body()
    entries, parsed, deliveries = _readable_or_400(adapter, payload)
    if entries:
        stored = record_entries(services().db, adapter.channel, entries)
        # what was parsed is handed to the worker only when every message is new (a repeat's stored payload rules)
        wake_worker(adapter.channel, parsed if stored == len(entries) else None)
    for delivery in deliveries:
        record_delivery(services().db, adapter.channel, delivery.provider_message_id, delivery.delivered,
                        delivery.error)
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


def _json_body():
    """The JSON body (None when it is not JSON); nesting too deep to parse is refused, not a 500."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        abort(400, "the JSON body is nested too deeply")


def _readable_or_400(adapter, payload):
    """Only what the worker will be able to read is accepted: a malformed payload is refused now, and nothing
    is stored (PostgreSQL cannot store a NUL character, and a worker cannot parse a broken shape)."""
    if not storable(payload):
        abort(400, "a webhook may not contain NUL characters or unpaired surrogates, nor nest deeper than 50 levels")
    try:
        entries, deliveries = adapter.entries(payload), adapter.deliveries(payload)
        parsed = {entry.provider_message_id: adapter.parse(entry.payload) for entry in entries}
    except Exception:  # any shape the provider's own parser refuses (a string where an object belongs…)
        abort(400, f"expected a {adapter.channel} webhook in the provider's format")
    for provider_id in [entry.provider_message_id for entry in entries] + [d.provider_message_id for d in deliveries]:
        if not PROVIDER_ID.fullmatch(provider_id):
            abort(400, "not a provider message id")
    return entries, parsed, deliveries
