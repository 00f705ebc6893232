"""Provider webhooks: verify, store raw in the inbox, answer at once. The worker does the rest."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from gateway.services import services
from store.inbox import record_inbound
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
    wake = current_app.extensions.get("lapor.wake")
    if wake:
        wake()
    return jsonify({})
