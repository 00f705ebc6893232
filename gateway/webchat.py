"""/chat: the gateway's own chat channel in a browser, for trying the bot without any provider.

The page posts each message to the inbox (channel "chat", the browser's random session id as the
address) — text as JSON, a photo as multipart form data — and polls for the bot's messages the
outbox holds for that session (bots/chat.py: chat replies are read, not pushed). After a reload it
shows the whole conversation again: the citizen's messages from the inbox and the bot's from the
outbox, in order.

A photo is checked here as the attachment store will check it (type, content, at most
`storage.max_attachment_bytes`), so a bad file is refused at once with a 4xx saying why (the
`photo_rejected` message, in the page's language) and nothing of it is kept; a good one travels in
the inbox payload, like an e-mail's, and the worker stores it with the message.
"""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, abort, jsonify, render_template, request
from werkzeug.exceptions import RequestEntityTooLarge

from bots.chat import CHANNEL, has_photo, payload
from gateway.services import services, wake_worker
from store.attachments import AttachmentError, check_image
from store.inbox import messages_from_sender, record_inbound
from store.outbox import messages_for_contact
from store.reporters import contact_hash, find_identity

blueprint = Blueprint("webchat", __name__)
SESSION = re.compile(r"^[a-f0-9]{32}$")
MAX_TEXT = 2000
HISTORY = 200  # messages shown again after a reload, the newest
FORM_ROOM = 64 * 1024  # a multipart body's room beyond the photo itself: boundaries, headers, session, caption
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"}


def _language() -> str:
    return request.accept_languages.best_match(["id", "en"], default="id")


@blueprint.get("/chat")
def page():
    language = _language()
    return render_template("chat.html", language=language, session=uuid.uuid4().hex,
                           welcome=services().config.message("welcome", language)), 200, HEADERS


@blueprint.post("/chat/messages")
def post_message():
    if request.mimetype == "multipart/form-data":
        session, text, photo = _photo_message()
    else:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(400, "send JSON: {session, text}, or a form with session, photo and text")
        session, text, photo = data.get("session"), data.get("text", ""), None
        _check_session(session)
        if not isinstance(text, str) or not text.strip():
            abort(400, f"text must be 1 to {MAX_TEXT} characters")
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        abort(400, f"text must be at most {MAX_TEXT} characters")
    message = payload(session, text.strip(), photo=photo)
    record_inbound(services().db, CHANNEL, message["message_id"], message, contact_hash(CHANNEL, session))
    wake_worker()
    return jsonify(accepted=True), 202


def _photo_message() -> tuple[str, str, tuple[bytes, str]]:
    """session, caption and (bytes, content type) of a photo form, or a 4xx saying what is wrong with it."""
    limit = services().config.storage.max_attachment_bytes
    request.max_content_length = limit + FORM_ROOM  # this request only: the app's limit is for JSON and forms
    try:
        form, files = request.form, request.files
    except RequestEntityTooLarge:
        abort(413, _refused(f"the file is larger than the limit of {limit} bytes"))
    session = form.get("session")
    _check_session(session)
    upload = files.get("photo")
    if upload is None:
        abort(400, "a photo form needs a file in `photo`")
    data = upload.read(limit + 1)
    try:
        content_type = check_image(data, upload.mimetype or "", limit)
    except AttachmentError as error:
        status = 413 if len(data) > limit else 400 if not data else 415
        abort(status, _refused(str(error)))
    return session, form.get("text", ""), (data, content_type)


def _refused(reason: str) -> str:
    return services().config.message("photo_rejected", _language(), reason=reason)


def _check_session(session) -> None:
    if not isinstance(session, str) or not SESSION.match(session):
        abort(400, "session must be 32 hexadecimal characters")


@blueprint.get("/chat/messages")
def replies():
    session = request.args.get("session", "")
    _check_session(session)
    after = request.args.get("after", "0")
    if not after.isdigit():
        abort(400, "after must be a message number")
    db = services().db
    identity = find_identity(db, CHANNEL, session)
    if identity is None:
        return jsonify(messages=[])
    rows = messages_for_contact(db, identity.id, after_id=int(after))
    return jsonify(messages=[_bot(row) for row in rows])


@blueprint.get("/chat/history")
def history():
    """The whole conversation of a session, oldest first: what the citizen sent (from the inbox: text, and
    whether a photo came with it) and what the bot said (from the outbox), with `after`, the newest bot
    message, for polling on."""
    session = request.args.get("session", "")
    _check_session(session)
    db = services().db
    sent = messages_from_sender(db, CHANNEL, contact_hash(CHANNEL, session), limit=HISTORY)
    identity = find_identity(db, CHANNEL, session)
    said, after = [], 0
    while identity is not None and (rows := messages_for_contact(db, identity.id, after_id=after)):
        said += rows
        after = rows[-1].id
    timeline = sorted(
        [(row.received_at, 0, row.id, _citizen(row.payload)) for row in sent]
        + [(row.created_at, 1, row.id, _bot(row)) for row in said[-HISTORY:]],
        key=lambda item: item[:3],  # a message before the replies it caused, which come after it anyway
    )
    return jsonify(messages=[item[3] for item in timeline[-HISTORY:]], after=after)


def _bot(row) -> dict:
    return {"from": "bot", "id": row.id, "text": row.body, "buttons": (row.extras or {}).get("buttons", [])}


def _citizen(data) -> dict:
    text = data.get("text", "") if isinstance(data, dict) else ""
    return {"from": "citizen", "text": text if isinstance(text, str) else "", "photo": has_photo(data)}
