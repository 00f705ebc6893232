"""Real mail servers on 127.0.0.1 for the e-mail tests: pymap (an IMAP4rev1 server with IDLE, its
in-memory `dict` backend, run as a subprocess) and aiosmtpd (an SMTP server in a thread), with
refusals on demand."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

IMAP_USER, IMAP_PASSWORD = "demouser", "demopass"  # the dict backend's one user
# The stand-in is the provider's server, not the gateway: its own session log (every recipient) stays quiet.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pymap exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("pymap did not start listening")


class ImapServer:
    """`pymap --host 127.0.0.1 --port N --no-tls dict`; mail is put in with APPEND (imapclient)."""

    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> ImapServer:
        command = [sys.executable, "-c", "from pymap.main import main; main()",
                   "--host", "127.0.0.1", "--port", str(self.port), "--no-tls", "dict"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for(self.port, self.process)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)

    def client(self):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", self.port, ssl=False, timeout=30)
        client.login(IMAP_USER, IMAP_PASSWORD)
        return client

    def deliver(self, folder: str, *mails: bytes | EmailMessage) -> None:
        client = self.client()
        try:
            for mail in mails:
                client.append(folder, mail if isinstance(mail, bytes) else mail.as_bytes())
        finally:
            client.logout()

    def create(self, folder: str) -> None:
        client = self.client()
        try:
            client.create_folder(folder)
        finally:
            client.logout()

    def rebuild(self, folder: str) -> None:
        """Delete and create the folder again: an empty mailbox with a new UIDVALIDITY."""
        client = self.client()
        try:
            client.delete_folder(folder)
            client.create_folder(folder)
        finally:
            client.logout()


class _Recorder:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.server._refusal("RCPT")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = self.server._refusal("DATA")
        if refusal:
            return refusal
        with self.server.lock:
            self.server.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                                         message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd's Controller on a free port; `refuse(stage, reply)` answers the next RCPT or DATA so."""

    def __init__(self):
        self.port = free_port()
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.refusals: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.controller = Controller(_Recorder(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def refuse(self, stage: str, reply: str) -> None:
        with self.lock:
            self.refusals.append((stage, reply))

    def _refusal(self, stage: str) -> str | None:
        with self.lock:
            if self.refusals and self.refusals[0][0] == stage:
                return self.refusals.pop(0)[1]
        return None

    @property
    def mails(self) -> list[EmailMessage]:
        with self.lock:
            return [mail for _sender, _rcpt, mail in self.received]
