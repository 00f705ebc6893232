"""The one polling job: a channel the gateway asks for new messages (X mentions; Telegram without a public URL)
is polled by `poll_channel`, every `schedule.polling[channel]` seconds.

Each poll asks the adapter for what is new after the stored cursor, then records the entries in the inbox and
moves the cursor in ONE transaction, so a crash neither skips nor repeats one (the inbox ignores an entry it holds
already). The cursor is read again under its lock there, and the adapter's `moved` never sets it back, so pollers in
several processes agree. After a rate limit the cursor keeps a `not_before` epoch second: polls return at once until
then. Nothing ever sleeps. (E-mail has its own watcher, gateway/mailbox.py: IMAP IDLE keeps a connection open.)
"""

from __future__ import annotations

import logging

from bots.base import SendError
from store.cursors import get_cursor, set_cursor
from store.inbox import record_entries_in, storable
from store.types import utcnow

log = logging.getLogger(__name__)


def polled_channels(services) -> list[str]:
    """The channels to poll: adapters that say so (`polling`)."""
    return [channel for channel, adapter in services.adapters.items() if getattr(adapter, "polling", False)]


def poll_channel(services, channel: str) -> int:
    """New messages of one polled channel into the inbox; how many were stored (0 while waiting out a rate limit,
    or when the provider could not answer: the next run asks again from the same place)."""
    adapter = services.adapters.get(channel)
    if adapter is None or not getattr(adapter, "polling", False):
        return 0
    name = adapter.poll_cursor
    cursor = get_cursor(services.db, name)  # a look before asking; moved below under its lock
    if cursor.get("not_before", 0) > utcnow().timestamp():
        return 0
    try:
        polled = adapter.poll({key: value for key, value in cursor.items() if key != "not_before"})
    except SendError as error:
        log.warning("%s not polled: %s", channel, error)
        return 0
    entries = [entry for entry in polled.entries if storable(entry.payload)]  # oldest first: kept in order
    for entry in polled.entries:
        if entry not in entries:  # never stored, so it would block the cursor forever: passed over, said once
            log.warning("%s entry %s passed over: it cannot be stored as it is", channel, entry.provider_message_id)
    with services.db.transaction() as session:
        stored = record_entries_in(session, channel, entries)
        moved = adapter.moved(get_cursor(session, name, lock=True), polled)
        if polled.not_before is not None:
            moved["not_before"] = polled.not_before
        set_cursor(session, name, moved)
    return stored
