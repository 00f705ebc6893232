"""Provider webhooks: verify, store raw in the inbox, answer at once. The worker does the rest."""

from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request

from gateway.services import services, wake_worker
from store.inbox import record_inbound
from store.outbox import record_delivery
from store.reporters import contact_hash

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")


@blueprint.post("/telegram")
def telegram():
    adapter = services().adapters.get("telegram")
    if adapter is None:
        abort(404, "the Telegram channel is not configured")
    if not adapter.verify(request.url, dict(request.headers), {}, b""):
        abort(403, "secret token missing or wrong")
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int) or isinstance(payload.get("update_id"), bool):
        abort(400, "expected a Telegram update: a JSON object with an integer update_id")
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
    record_inbound(services().db, "sms", form["MessageSid"], form, contact_hash("sms", form["From"]))
    wake_worker()
    return Response("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>", content_type="text/xml")


@blueprint.post("/twilio/status")
def twilio_status():
    _adapter, form = _signed_twilio()
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        abort(400, "expected MessageSid and MessageStatus")
    if status in ("delivered", "undelivered", "failed"):
        error = f"{status} {form.get('ErrorCode', '')}".strip()
        record_delivery(services().db, "sms", sid, delivered=status == "delivered", error=error)
    return Response(status=204)


def _signed_twilio():
    adapter = services().adapters.get("sms")
    if adapter is None:
        abort(404, "the SMS channel is not configured")
    form = request.form.to_dict()
    url = services().config.server.base_url + request.full_path.rstrip("?")  # the URL Twilio called
    if not adapter.verify(url, dict(request.headers), form, b""):
        abort(403, "Twilio signature missing or wrong")
    return adapter, form
