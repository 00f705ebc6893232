"""Keeping sends within a provider's published limits (overall per second, and per recipient), so that rate
limits are rare rather than handled: each send waits its turn. Per process: several sending processes share a
provider's limit, so each is given its share in `send_limits`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gateway.config import SendLimit

FORGET_AFTER = 60.0  # seconds: a recipient not sent to for this long is forgotten (the table stays small)


class Pacer:
    def __init__(self, limits: dict[str, SendLimit], clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self._limits, self._clock, self._sleep = limits, clock, sleep
        self._lock = threading.Lock()
        self._next_for_channel: dict[str, float] = {}
        self._next_for_recipient: dict[tuple[str, str], float] = {}

    def wait_turn(self, channel: str, recipient: str) -> float:
        """Block until this send may go; returns the seconds waited. Turns are handed out in call order."""
        limit = self._limits.get(channel)
        if limit is None:
            return 0.0
        with self._lock:
            now = self._clock()
            key = (channel, recipient)
            turn = max(now, self._next_for_channel.get(channel, now), self._next_for_recipient.get(key, now))
            if limit.per_second:
                self._next_for_channel[channel] = turn + 1.0 / limit.per_second
            spacing = limit.per_group_seconds if recipient.startswith("-") else limit.per_recipient_seconds
            if spacing:
                self._next_for_recipient[key] = turn + spacing
                if len(self._next_for_recipient) > 10_000:
                    self._next_for_recipient = {k: t for k, t in self._next_for_recipient.items() if t > now - FORGET_AFTER}
        wait = turn - now
        if wait > 0:
            self._sleep(wait)
        return wait
