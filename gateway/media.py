"""Stored photos by their unguessable public token (proof photos are public by the city's SOP)."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from gateway.services import services
from store.attachments import attachment_path, find_attachment_by_token

blueprint = Blueprint("media", __name__)


@blueprint.get("/media/<token>")
def show(token: str):
    db = services().db
    attachment = find_attachment_by_token(db, token)
    if attachment is None:
        abort(404, "no such photo")
    path = attachment_path(db, attachment)
    if not path.is_file():
        abort(404, "no such photo")
    response = send_file(path.resolve(), mimetype=attachment.content_type, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
