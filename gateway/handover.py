"""What a webhook has parsed already, handed to the worker of the same process (`run.py serve`): the worker then
does not parse the stored payload a second time (python-telegram-bot's parse of an update costs about as much as
storing it). A cache, nothing more: the inbox row stays the message, and the worker parses it itself whenever
nothing was handed over (a worker in another process, a retry, an entry crowded out)."""

from __future__ import annotations

import threading

from bots.base import Incoming

CAPACITY = 1000  # entries a busy in-process worker has not taken yet; the oldest goes first


class ParsedHandover:
    def __init__(self, capacity: int = CAPACITY):
        self.capacity = capacity
        self._parsed: dict[tuple[str, str], list[Incoming]] = {}
        self._lock = threading.Lock()

    def hand(self, channel: str, parsed: dict[str, list[Incoming]]) -> None:
        """A webhook's newly stored messages, by provider message id, as its adapter parsed them."""
        with self._lock:
            for provider_message_id, incomings in parsed.items():
                self._parsed[(channel, provider_message_id)] = incomings
            while len(self._parsed) > self.capacity:
                del self._parsed[next(iter(self._parsed))]

    def take(self, channel: str, provider_message_id: str) -> list[Incoming] | None:
        """What was handed over for this inbox row, once; None: the worker parses the row."""
        with self._lock:
            return self._parsed.pop((channel, provider_message_id), None)
