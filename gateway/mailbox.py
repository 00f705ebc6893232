"""The IMAP poller: new mail → the inbox, with the cursor moved in the same transaction.

The cursor (`poll_cursors` row "imap:<folder>") is the mailbox's UIDVALIDITY and the last UID
stored. Each poll searches the UIDs after it, fetches them without side effects (BODY.PEEK: no
\\Seen flag), and stores a batch and the cursor in ONE transaction: a crash between fetch and commit
fetches again, and the inbox's uniqueness (channel + Message-ID) makes that harmless. The cursor is
read again under a row lock in that transaction, so pollers in several processes never move it
back, nor store what another one stored already. A new UIDVALIDITY (the mailbox was rebuilt)
starts from the beginning; mail stored before is recognised by its Message-ID.

A mail longer than `bots.email.mail_cap` is fetched only up to that many bytes (BODY.PEEK[]<0.N>)
and marked truncated: the inbox row stays bounded, and the citizen is told what was refused.

`poll_mailbox` is safe to call repeatedly and from several processes. `idle_once` waits for new
mail with IDLE where the server offers it; `watch_mailbox` loops over both.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from imapclient import IMAPClient

from bots.email import CHANNEL, EmailAdapter, ImapSettings, inbox_entry, mail_cap
from store.cursors import get_cursor, set_cursor
from store.inbox import record_inbound_in
from store.reporters import contact_hash

log = logging.getLogger(__name__)
BATCH = 20  # mails fetched and stored per transaction
WHOLE, PREFIX = b"BODY[]", b"BODY[]<0>"


def cursor_name(folder: str) -> str:
    return f"imap:{folder}"


@contextmanager
def connect(settings: ImapSettings, timeout: float = 60) -> Iterator[IMAPClient]:
    client = IMAPClient(settings.host, settings.port, ssl=settings.tls, timeout=timeout)
    try:
        client.login(settings.user, settings.password)
        yield client
    finally:
        try:
            client.logout()
        except Exception:  # a broken connection, or one still in IDLE: close the socket without a goodbye
            log.debug("IMAP logout failed")
            with contextlib.suppress(Exception):
                client.shutdown()


def poll_mailbox(services) -> int:
    """Fetch new mail into the inbox; how many mails were stored (0 without the e-mail channel)."""
    adapter: EmailAdapter | None = services.adapters.get(CHANNEL)
    if adapter is None:
        return 0
    with connect(adapter.imap) as client:
        validity = int(client.select_folder(adapter.imap.folder, readonly=True)[b"UIDVALIDITY"])
        return _import_new(services, adapter, client, validity)


def _import_new(services, adapter: EmailAdapter, client: IMAPClient, validity: int) -> int:
    name = cursor_name(adapter.imap.folder)
    last = _last_uid(get_cursor(services.db, name), validity)
    uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)  # `*` is always one
    cap = mail_cap(services.config.storage.max_attachment_bytes)
    stored = 0
    for start in range(0, len(uids), BATCH):
        batch = uids[start:start + BATCH]
        stored += _store_batch(services, adapter, name, validity, batch, _fetch(client, batch, cap))
    return stored


def _last_uid(cursor: dict, validity: int) -> int:
    """Where to go on from: 0 for a mailbox never seen, or rebuilt since (another UIDVALIDITY)."""
    return int(cursor.get("last_uid", 0)) if cursor.get("uidvalidity") == validity else 0


def _fetch(client: IMAPClient, uids: list[int], cap: int) -> dict[int, tuple[bytes, int, bool]]:
    """uid → (raw mail or its first `cap` bytes, full size, truncated)."""
    sizes = {uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items()}
    whole = [uid for uid in uids if uid in sizes and sizes[uid] <= cap]
    cut = [uid for uid in uids if uid in sizes and sizes[uid] > cap]
    fetched = {}
    if whole:
        for uid, data in client.fetch(whole, ["BODY.PEEK[]"]).items():
            fetched[uid] = (bytes(data.get(WHOLE) or b""), sizes[uid], False)
    if cut:
        for uid, data in client.fetch(cut, [f"BODY.PEEK[]<0.{cap}>"]).items():
            fetched[uid] = (bytes(data.get(PREFIX) or data.get(WHOLE) or b""), sizes[uid], True)
    return fetched


def _store_batch(services, adapter: EmailAdapter, name: str, validity: int, uids: list[int],
                 fetched: dict[int, tuple[bytes, int, bool]]) -> int:
    stored = 0
    with services.db.transaction() as session:
        floor = _last_uid(get_cursor(session, name, lock=True), validity)  # another poller may have gone on
        for uid in uids:
            if uid <= floor:
                continue
            if uid not in fetched:  # expunged between search and fetch: nothing left to store
                log.warning("mail uid %s vanished before it was fetched", uid)
                continue
            raw, size, truncated = fetched[uid]
            key, sender, payload = inbox_entry(raw, uid, validity, size, truncated)
            if not adapter.verify(adapter.source, {}, {}, raw):
                continue
            stored += record_inbound_in(session, CHANNEL, key, payload, contact_hash(CHANNEL, sender) if sender else None)
        if uids[-1] > floor:
            set_cursor(session, name, {"uidvalidity": validity, "last_uid": uids[-1]})
    if stored:
        log.info("stored %d new mails from IMAP (up to uid %s)", stored, uids[-1])
    return stored


def idle_once(services, timeout: float = 300) -> bool | None:
    """Wait up to `timeout` seconds for new mail with IDLE: True when some may be waiting (poll
    then), False when the wait ended with nothing new, None at once when the server has no IDLE."""
    adapter: EmailAdapter | None = services.adapters.get(CHANNEL)
    if adapter is None:
        return None
    with connect(adapter.imap, timeout=timeout + 30) as client:
        if b"IDLE" not in client.capabilities():
            return None
        selected = client.select_folder(adapter.imap.folder, readonly=True)
        cursor = get_cursor(services.db, cursor_name(adapter.imap.folder))
        validity = int(selected[b"UIDVALIDITY"])
        if int(selected.get(b"UIDNEXT", 0)) - 1 > _last_uid(cursor, validity):
            return True  # arrived since the last poll
        client.idle()
        try:
            responses = client.idle_check(timeout=timeout)
        except IMAPClient.AbortError:
            # imapclient reads IDLE responses from a non-blocking socket and gives up on a line that
            # arrives in two TCP segments (mjs/imapclient#519): the server did say something, so poll.
            log.info("IMAP IDLE response cut short; polling")
            return True
        client.idle_done()
        return any(len(response) > 1 and response[1] == b"EXISTS" for response in responses)


def watch_mailbox(services, stop: threading.Event, on_stored: Callable[[], None] = lambda: None,
                  idle_timeout: float = 300, interval: float = 30) -> None:
    """Poll, then wait for mail (IDLE, else `interval` seconds), until `stop` is set; `on_stored`
    runs after a poll that stored mail (e.g. wake the worker). Errors are logged and retried."""
    while not stop.is_set():
        try:
            if poll_mailbox(services):
                on_stored()
            if idle_once(services, idle_timeout) is None:
                stop.wait(interval)
        except Exception:  # the server is unreachable or refused us: try again after a pause
            log.exception("IMAP poll failed")
            stop.wait(interval)
