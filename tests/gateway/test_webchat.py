"""/chat: the browser channel posts into the inbox and reads the replies queued for its session."""

from bots.chat import CHANNEL, ChatAdapter
from gateway.worker import Worker

SESSION = "0123456789abcdef0123456789abcdef"


def test_a_browser_conversation(app, client):
    page = client.get("/chat")
    assert page.status_code == 200 and b"Lapor Jakarta" in page.data and b"textContent" in page.data
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
