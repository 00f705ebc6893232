"""`run.py chat`: the terminal conversation, alone and beside a serving gateway.

The terminal records each line in the inbox and shows the replies the outbox holds for its own session,
whoever's worker handled the message: a served gateway's worker "sends" chat replies into a no-op, so
the terminal reads them from the store (as the /chat page does), status updates included.
"""

from __future__ import annotations

import io
import os
import queue
import re
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import select

from bots.chat import CHANNEL, ChatAdapter
from gateway.cli import terminal_chat
from gateway.worker import Worker
from store import lifecycle
from store.cursors import get_cursor
from store.inbox import record_inbound
from store.models import InboundMessage, OutboundMessage
from tests.conftest import ROOT
from tests.helpers import OFFICER, move
from tests.test_serve import start_gateway  # noqa: F401  (the served gateway fixture)

CONVERSATION = (
    ("lampu jalan mati udh seminggu", "Di mana lokasinya?"),
    ("di Jl. Kenari, kel. Kenari", "dirahasiakan"),
    ("rahasia", "Ringkasan"),
    ("ya", "Laporan diterima: JKT-"),
)
TICKET = re.compile(r"Laporan diterima: (JKT-\d{4}-\d{5})")


class Lines:
    """What a process prints, line by line, read in a thread so a test can wait for a line with a deadline."""

    def __init__(self, stream):
        self.seen: list[str] = []
        self._stream = stream
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def close(self) -> None:
        """After the process ended: the reader has met the end of its output."""
        self._reader.join(timeout=10)
        self._stream.close()

    def _read(self, stream) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        for line in self.seen:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if text in line:
                return line
        pytest.fail(f"{text!r} never shown; the terminal showed:\n" + "\n".join(self.seen))


@pytest.mark.slow
@pytest.mark.sql_dialects
def test_the_terminal_chat_beside_a_serving_gateway_shows_every_reply_and_status_update(
        start_gateway, units_db, db_url, data_key, config, tmp_path):  # noqa: F811
    """README: `make run`, then `run.py chat`. The served worker may take the terminal's messages and "send"
    the replies; the terminal still shows each of them, and a later status change as it comes."""
    url = db_url if isinstance(db_url, str) else db_url.render_as_string(hide_password=False)
    start_gateway({"LAPOR_DATA_KEY": data_key})
    terminal = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--config", str(ROOT / "config.yaml"), "chat"], cwd=tmp_path,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": url, "LAPOR_DATA_KEY": data_key},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
    )
    shown = Lines(terminal.stdout)
    try:
        for text, expect in CONVERSATION:
            terminal.stdin.write(text + "\n")
            terminal.stdin.flush()
            shown.wait_for(expect)
        ticket = TICKET.search(shown.wait_for("Laporan diterima")).group(1)
        deadline = time.monotonic() + 30  # the served notifier's first run only marks where news begins
        while "after_event_id" not in _notifier_cursor(units_db) and time.monotonic() < deadline:
            time.sleep(0.2)
        move(units_db, config, ticket, lifecycle.DITANGANI, actor=OFFICER, note="Lampu diganti sore ini")
        update = shown.wait_for(f"Laporan {ticket} kini", timeout=40)
        assert update.startswith("bot> ") and "Sedang ditangani" in update
        terminal.stdin.write("status\n")
        terminal.stdin.flush()
        assert "Sedang ditangani" in shown.wait_for(f"{ticket}: ")
        terminal.stdin.close()
        assert terminal.wait(timeout=30) == 0
    finally:
        if terminal.poll() is None:
            terminal.kill()
            terminal.wait(timeout=10)
        terminal.stdin.close()
        shown.close()
    with units_db.transaction() as session:
        statuses = set(session.scalars(select(InboundMessage.status).where(InboundMessage.channel == CHANNEL)))
        assert statuses == {"processed"}


def _notifier_cursor(db):
    with db.transaction() as session:
        return get_cursor(session, "notifications")


def test_the_terminal_chat_alone_answers_and_leaves_nothing_pending(app):
    """No gateway serving: the terminal handles its own messages and marks its replies sent."""
    services = app.extensions["lapor"]
    out = io.StringIO()
    lines = "".join(text + "\n" for text, _ in CONVERSATION)
    assert terminal_chat(services, io.StringIO(lines), out, session="terminal-alone") == 0
    said = out.getvalue()
    for _, expect in CONVERSATION:
        assert expect in said
    assert said.index("Di mana lokasinya?") < said.index("dirahasiakan") < said.index("Laporan diterima")
    assert said.count("Laporan diterima") == 1, "every reply shown once"
    with services.db.transaction() as session:
        assert set(session.scalars(select(OutboundMessage.status))) == {"sent"}


def test_the_terminal_chat_beside_another_worker_misses_nothing(app):
    """Another process's worker (a served gateway's: chat replies go into a no-op) takes the messages as fast as
    it can; the terminal still shows every reply, once, in order."""
    services = app.extensions["lapor"]
    served = Worker(services, {CHANNEL: ChatAdapter()})
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            if not served.run_once():
                time.sleep(0.005)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        out = io.StringIO()
        lines = "".join(text + "\n" for text, _ in CONVERSATION)
        assert terminal_chat(services, io.StringIO(lines), out, session="terminal-beside") == 0
    finally:
        stop.set()
        thread.join(timeout=10)
    said = out.getvalue()
    assert said.index("Di mana lokasinya?") < said.index("dirahasiakan") < said.index("Ringkasan") < said.index(
        "Laporan diterima")
    assert said.count("Laporan diterima") == 1


def test_the_terminal_chat_never_takes_another_channels_messages(app):
    """Beside a gateway that has a Telegram token the terminal does not, the terminal's worker must leave the
    Telegram inbox and outbox alone (it has no adapter to answer or send them with)."""
    services = app.extensions["lapor"]
    update = {"update_id": 7, "message": {"message_id": 1, "date": 1764000000, "chat": {"id": 99, "type": "private"},
                                          "text": "halo"}}
    record_inbound(services.db, "telegram", "7", update, sender_hash="telegram-99")
    out = io.StringIO()
    assert terminal_chat(services, io.StringIO("halo\n"), out, session="terminal-other") == 0
    with services.db.transaction() as session:
        telegram = session.scalar(select(InboundMessage).where(InboundMessage.channel == "telegram"))
        assert telegram.status == "pending" and telegram.attempts == 0 and telegram.error is None
