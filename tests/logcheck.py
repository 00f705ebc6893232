"""Catch every log line a test makes under the gateway's production logging set-up, and check that no
secret or personal data is among them."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from gateway.cli import configure_logging

OWN_LOGGERS = ("lapor", "bots", "gateway", "store")


class LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # with the traceback, when one was logged

    @contextmanager
    def installed(self) -> Iterator[LogCapture]:
        root = logging.getLogger()
        configure_logging()
        levels = {name: logging.getLogger(name).level for name in ("", *OWN_LOGGERS)}
        root.setLevel(logging.INFO)
        for name in OWN_LOGGERS:
            logging.getLogger(name).setLevel(logging.DEBUG)
        root.addHandler(self)
        try:
            yield self
        finally:
            root.removeHandler(self)
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)

    def assert_never_logged(self, values: Iterable[str]) -> None:
        patterns = [_pattern(variant) for value in values if value for variant in _variants(str(value))]
        leaks = [(line, pattern.pattern) for line in self.lines for pattern in patterns if pattern.search(line)]
        assert not leaks, f"secret or personal data in the log: {leaks[:3]}"


def _variants(value: str) -> set[str]:
    """The value, and for an Indonesian phone number the ways it is also written (0812…, 62812…)."""
    variants = {value}
    if re.fullmatch(r"\+62\d{6,}", value):
        variants |= {"0" + value[3:], value[1:]}
    return variants


def _pattern(value: str) -> re.Pattern:
    """The value standing alone: 4242 is not found inside 142420."""
    return re.compile(r"(?<![0-9A-Za-z])" + re.escape(value) + r"(?![0-9A-Za-z])", re.IGNORECASE)
