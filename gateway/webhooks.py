"""Provider webhooks: verify, store raw in the inbox, answer at once. The worker does the rest."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, jsonify, request

from gateway.services import services, wake_worker
from store.inbox import record_inbound
from store.outbox import record_delivery
from store.reporters import contact_hash

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")
PROVIDER_ID = re.compile(r"[A-Za-z0-9_-]{2,64}")  # Twilio's 34-character SIDs, and test ids


@blueprint.post("/telegram")
def telegram():
    adapter = services().adapters.get("telegram")
    if adapter is None:
        abort(404, "the Telegram channel is not configured")
    if not adapter.verify(request.url, dict(request.headers), {}, b""):
        abort(403, "secret token missing or wrong")
    payload = _json_body()
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int) or isinstance(payload.get("update_id"), bool):
        abort(400, "expected a Telegram update: a JSON object with an integer update_id")
    _readable_or_400(adapter, payload, "a Telegram update")
    sender = adapter.sender_of(payload)
    record_inbound(
        services().db, "telegram", str(payload["update_id"]), payload,
        contact_hash("telegram", sender) if sender else None,
    )
    wake_worker()
    return jsonify({})


@blueprint.post("/twilio/sms")
def twilio_sms():
    adapter, form = _signed_twilio()
    if not form.get("MessageSid") or not form.get("From"):
        abort(400, "expected a Twilio message: MessageSid and From")
    if not PROVIDER_ID.fullmatch(form["MessageSid"]):
        abort(400, "MessageSid is not a provider message id")
    _readable_or_400(adapter, form, "a Twilio message")
    record_inbound(services().db, "sms", form["MessageSid"], form, contact_hash("sms", form["From"]))
    wake_worker()
    return Response("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", content_type="text/xml")


@blueprint.post("/twilio/status")
def twilio_status():
    _adapter, form = _signed_twilio()
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        abort(400, "expected MessageSid and MessageStatus")
    if not PROVIDER_ID.fullmatch(sid):
        abort(400, "MessageSid is not a provider message id")
    if status in ("delivered", "undelivered", "failed"):
        error = f"{status} {form.get('ErrorCode', '')}".strip()
        record_delivery(services().db, "sms", sid, delivered=status == "delivered", error=error)
    return Response(status=204)


def _json_body():
    """The JSON body, or None when it is not JSON; nesting too deep to parse is refused, not a 500."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        abort(400, "the JSON body is nested too deeply")


def _readable_or_400(adapter, payload, what: str) -> None:
    """Only what the worker will be able to read is accepted: a malformed payload is refused now, and nothing
    is stored (PostgreSQL cannot store a NUL character, and a worker cannot parse a broken shape)."""
    if _has_nul(payload):
        abort(400, f"{what} may not contain NUL characters or nest deeper than 50 levels")
    try:
        adapter.parse(payload)
    except Exception:  # any shape the provider's own parser refuses (a string where an object belongs…)
        abort(400, f"expected {what} in the provider's format")


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


def _signed_twilio():
    adapter = services().adapters.get("sms")
    if adapter is None:
        abort(404, "the SMS channel is not configured")
    form = request.form.to_dict()
    url = services().config.server.base_url + request.full_path.rstrip("?")  # the URL Twilio called
    if not adapter.verify(url, dict(request.headers), form, b""):
        abort(403, "Twilio signature missing or wrong")
    return adapter, form
