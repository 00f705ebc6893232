"""What a webhook has parsed already, handed to the worker of the same process (`run.py serve`): the worker then
does not parse the stored payload a second time (python-telegram-bot's parse of an update costs about as much as
storing it). A cache, nothing more: the inbox row stays the message, and the worker parses it itself whenever
nothing was handed over (a worker in another process, a retry, an entry crowded out or too old).

Entries hold what citizens wrote, in plain text: one nobody takes (another process's worker claimed the row) goes
after `MAX_AGE`, not only when a thousand newer ones push it out."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from bots.base import Incoming

CAPACITY = 1000  # entries a busy in-process worker has not taken yet; the oldest goes first
MAX_AGE = 60.0  # seconds: an inbox claim's lease; the worker takes its own entries within a moment


class ParsedHandover:
    def __init__(self, capacity: int = CAPACITY, max_age: float = MAX_AGE,
                 clock: Callable[[], float] = time.monotonic):
        self.capacity, self.max_age, self._clock = capacity, max_age, clock
        self._parsed: dict[tuple[str, str], tuple[float, list[Incoming]]] = {}  # oldest first
        self._lock = threading.Lock()

    def hand(self, channel: str, parsed: dict[str, list[Incoming]]) -> None:
        """A webhook's newly stored messages, by provider message id, as its adapter parsed them."""
        now = self._clock()
        with self._lock:
            for provider_message_id, incomings in parsed.items():
                self._parsed[(channel, provider_message_id)] = (now, incomings)
            while self._parsed:
                oldest = next(iter(self._parsed))
                if len(self._parsed) <= self.capacity and now - self._parsed[oldest][0] <= self.max_age:
                    break
                del self._parsed[oldest]

    def __len__(self) -> int:
        return len(self._parsed)

    def take(self, channel: str, provider_message_id: str) -> list[Incoming] | None:
        """What was handed over for this inbox row, once; None: the worker parses the row."""
        with self._lock:
            entry = self._parsed.pop((channel, provider_message_id), None)
        if entry is None or self._clock() - entry[0] > self.max_age:
            return None
        return entry[1]
