"""/chat: the gateway's own chat channel in a browser, for trying the bot without any provider.

The page posts each message to the inbox (channel "chat", the browser's random session id as the
address) and polls for the replies the worker queued for that session.
"""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, abort, jsonify, render_template, request

from bots.chat import CHANNEL, payload
from gateway.services import services, wake_worker
from store.inbox import record_inbound
from store.outbox import messages_for_contact
from store.reporters import contact_hash, find_identity

blueprint = Blueprint("webchat", __name__)
SESSION = re.compile(r"^[a-f0-9]{32}$")
MAX_TEXT = 2000


@blueprint.get("/chat")
def page():
    language = request.accept_languages.best_match(["id", "en"], default="id")
    return render_template("chat.html", language=language, session=uuid.uuid4().hex,
                           welcome=services().config.message("welcome", language))


@blueprint.post("/chat/messages")
def post_message():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "send JSON: {session, text}")
    session, text = data.get("session"), data.get("text", "")
    if not isinstance(session, str) or not SESSION.match(session):
        abort(400, "session must be 32 hexadecimal characters")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        abort(400, f"text must be 1 to {MAX_TEXT} characters")
    message = payload(session, text.strip())
    record_inbound(services().db, CHANNEL, message["message_id"], message, contact_hash(CHANNEL, session))
    wake_worker()
    return jsonify(accepted=True), 202


@blueprint.get("/chat/messages")
def replies():
    session = request.args.get("session", "")
    if not SESSION.match(session):
        abort(400, "session must be 32 hexadecimal characters")
    after = request.args.get("after", "0")
    if not after.isdigit():
        abort(400, "after must be a message number")
    db = services().db
    identity = find_identity(db, CHANNEL, session)
    if identity is None:
        return jsonify(messages=[])
    rows = messages_for_contact(db, identity.id, after_id=int(after))
    return jsonify(messages=[{"id": row.id, "text": row.body, "buttons": (row.extras or {}).get("buttons", [])} for row in rows])
