"""/chat: the browser channel posts into the inbox and reads the replies queued for its session; photos are
checked at once and travel with the message; a reload shows the whole conversation again."""

import json
import re

import pytest
from sqlalchemy import select

from bots.base import Media, PermanentError
from bots.chat import CHANNEL, ChatAdapter
from gateway.worker import Worker
from store.inbox import messages_from_sender
from store.models import Attachment, InboundMessage
from store.reporters import contact_hash
from store.reports import get_report
from tests.helpers import count, drain, png_bytes

SESSION = "0123456789abcdef0123456789abcdef"


def test_a_browser_conversation(app, client):
    page = client.get("/chat")
    assert page.status_code == 200 and b"Lapor Jakarta" in page.data and b"/static/chat.js" in page.data
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter(lambda message: None)})
    assert client.post("/chat/messages", json={"session": SESSION, "text": "lampu jalan mati"}).status_code == 202
    while worker.run_once():
        pass
    [reply] = client.get(f"/chat/messages?session={SESSION}").json["messages"]
    assert reply["text"].startswith("Di mana lokasinya?")
    assert client.get(f"/chat/messages?session={SESSION}&after={reply['id']}").json["messages"] == []
    other = "f" * 32
    assert client.get(f"/chat/messages?session={other}").json["messages"] == [], "one session never sees another's"


def test_bad_chat_input_is_400(client):
    assert client.post("/chat/messages", json={"session": "short", "text": "x"}).status_code == 400
    assert client.post("/chat/messages", json={"session": SESSION, "text": ""}).status_code == 400
    assert client.post("/chat/messages", json={"session": SESSION, "text": "x" * 2001}).status_code == 400
    assert client.post("/chat/messages", data="nope", content_type="text/plain").status_code == 400
    assert client.get("/chat/messages?session=zz").status_code == 400
    assert client.get(f"/chat/messages?session={SESSION}&after=-1").status_code == 400


# ---- the page: its script is a file (the CSP allows no inline script) ---------------------------------------

def test_the_page_runs_no_inline_script_under_its_csp(client):
    page = client.get("/chat")
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and page.headers["X-Content-Type-Options"] == "nosniff"
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts and all('src="/static/chat.js"' in attributes and not body.strip() for attributes, body in scripts)
    session = re.search(r'data-session="([a-f0-9]{32})"', html).group(1)
    assert client.get("/chat").get_data(as_text=True).count(session) == 0, "a new session for each new visitor"
    script = client.get("/static/chat.js")
    assert script.status_code == 200 and "textContent" in script.get_data(as_text=True)
    assert "innerHTML" not in script.get_data(as_text=True)
    script.close()


# ---- photos ---------------------------------------------------------------------------------------------

def send_photo(client, data, content_type="image/png", text="", session=SESSION, filename="foto.png", **headers):
    """A multipart form as the page's FormData sends it, built in memory (werkzeug's test client spools a large
    form to a temporary file it leaves open when the app refuses the body unread)."""
    boundary = "----lapor-test-boundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in (("session", session), ("text", text))]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client.post("/chat/messages", data=body, content_type=f"multipart/form-data; boundary={boundary}",
                       headers=headers)


def test_a_photo_from_the_page_is_stored_with_the_report(app, client):
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter()})
    photo = png_bytes(4, 4)
    response = send_photo(client, photo, text="lampu jalan mati di Jl. Kenari, kel. Kenari")
    assert response.status_code == 202, response.json
    drain(worker)
    for text in ("rahasia", "ya"):
        assert client.post("/chat/messages", json={"session": SESSION, "text": text}).status_code == 202
        drain(worker)
    said = [m["text"] for m in client.get(f"/chat/messages?session={SESSION}").json["messages"]]
    assert any(text.startswith("Laporan diterima") for text in said), said
    ticket = re.search(r"JKT-\d{4}-\d{5}", said[-1]).group(0)
    db = app.extensions["lapor"].db
    with db.transaction() as session:
        [attachment] = session.scalars(select(Attachment))
    assert attachment.report_id == get_report(db, ticket).id and attachment.size_bytes == len(photo)
    assert attachment.content_type == "image/png"
    assert (db.attachments_dir / attachment.storage_key).read_bytes() == photo


def test_a_photo_larger_than_the_apps_request_limit_is_taken_up_to_the_attachment_limit(app, client, config):
    assert config.server.max_request_bytes < 3_000_000 < config.storage.max_attachment_bytes
    big = b"\xff\xd8\xff\xe0" + b"\x00" * 3_000_000
    assert send_photo(client, big, "image/jpeg", filename="besar.jpg").status_code == 202
    [message] = messages_from_sender(app.extensions["lapor"].db, CHANNEL, contact_hash(CHANNEL, SESSION))
    [media] = ChatAdapter().parse(message.payload)[0].media
    assert ChatAdapter().fetch_media(media) == (big, "image/jpeg"), "the bytes travel whole in the inbox"


def test_a_chat_photo_that_cannot_be_read_is_a_permanent_error():
    adapter = ChatAdapter()
    [incoming] = adapter.parse({"session": SESSION, "text": "", "photo": "data:image/png;base64,@@@"})
    with pytest.raises(PermanentError):
        adapter.fetch_media(incoming.media[0])
    with pytest.raises(PermanentError):
        adapter.fetch_media(Media("https://example.org/foto.png", "image/png"))
    assert adapter.parse({"session": SESSION, "text": "halo", "photo": 42})[0].media == (), "no photo"


@pytest.mark.parametrize(("data", "content_type", "status", "reason"), [
    (b"", "image/png", 400, "empty"),
    (b"#!/bin/sh\necho not a photo\n", "text/x-shellscript", 415, "not accepted"),
    (b"GIF89a but really a png", "image/png", 415, "not a valid image/png"),
    (b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>", "image/svg+xml", 415, "not accepted"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 10_485_760, "image/png", 413, "the limit is 10485760"),  # one byte over
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 11_000_000, "image/png", 413, "larger than the limit of 10485760"),  # past the form's room
])
def test_a_bad_photo_is_refused_at_once_and_nothing_is_kept(app, client, data, content_type, status, reason):
    response = send_photo(client, data, content_type, text="ini fotonya")
    assert response.status_code == status
    message = response.json["error"]["message"]
    assert message.startswith("Foto tidak bisa disimpan:") and reason in message
    db = app.extensions["lapor"].db
    assert count(db, InboundMessage) == 0 and count(db, Attachment) == 0
    assert not db.attachments_dir.exists() or not any(db.attachments_dir.rglob("*"))


def test_a_refusal_speaks_the_pages_language(client):
    response = send_photo(client, b"not an image", "application/pdf", **{"Accept-Language": "en"})
    assert response.status_code == 415
    assert response.json["error"]["message"].startswith("The photo could not be stored: application/pdf is not accepted")


def test_a_photo_form_needs_a_session_and_a_file(client):
    assert send_photo(client, png_bytes(), session="nope").status_code == 400
    form = {"session": SESSION, "text": "tanpa foto"}
    assert client.post("/chat/messages", data=form, content_type="multipart/form-data").status_code == 400
    assert send_photo(client, png_bytes(), text="x" * 2001).status_code == 400


# ---- the conversation after a reload -----------------------------------------------------------------------

def test_after_a_reload_the_whole_conversation_is_shown_in_order(app, client):
    worker = Worker(app.extensions["lapor"], {CHANNEL: ChatAdapter()})
    assert client.get(f"/chat/history?session={SESSION}").json == {"messages": [], "after": 0}
    said = ["lampu jalan mati udh seminggu", "di Jl. Kenari, kel. Kenari"]
    for text in said:
        client.post("/chat/messages", json={"session": SESSION, "text": text})
        drain(worker)
    assert send_photo(client, png_bytes(), text="").status_code == 202
    drain(worker)
    client.post("/chat/messages", json={"session": SESSION, "text": "<b>rahasia</b>"})  # not answered yet
    history = client.get(f"/chat/history?session={SESSION}").json
    shown = [(m["from"], m["text"][:20], m.get("photo", False)) for m in history["messages"]]
    assert [who for who, _, _ in shown] == ["citizen", "bot", "citizen", "bot", "citizen", "bot", "citizen"]
    assert shown[0] == ("citizen", said[0][:20], False) and shown[1][1].startswith("Di mana lokasinya?")
    assert shown[2] == ("citizen", said[1][:20], False) and "dirahasiakan" in history["messages"][3]["text"]
    assert shown[4] == ("citizen", "", True), "a photo is shown as sent, not its bytes"
    assert "base64" not in json.dumps(history)
    assert shown[6] == ("citizen", "<b>rahasia</b>", False), "as typed: the page shows it as text"
    bots = [m for m in history["messages"] if m["from"] == "bot"]
    assert history["after"] == bots[-1]["id"]
    assert client.get(f"/chat/messages?session={SESSION}&after={history['after']}").json["messages"] == []
    drain(worker)
    [later] = client.get(f"/chat/messages?session={SESSION}&after={history['after']}").json["messages"]
    assert later["text"].startswith("Ringkasan")
    assert client.get(f"/chat/history?session={'e' * 32}").json == {"messages": [], "after": 0}
    assert client.get("/chat/history?session=zz").status_code == 400
