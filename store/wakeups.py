"""Waking idle workers the moment a message lands in the inbox.

On PostgreSQL the statement that stores a new message also calls `pg_notify('lapor_inbox', '')` (delivered
when its transaction commits: store/inbox.py), and every `run.py worker` LISTENs, so a worker in another process,
or on another machine, starts at once instead of at its next poll. SQLite has no such signal across processes: a worker
there polls (inside `run.py serve` the webhooks wake the in-process worker directly).
"""

from __future__ import annotations

import contextlib
import logging
import time

from store.db import Database

log = logging.getLogger(__name__)
CHANNEL = "lapor_inbox"


class InboxWakeups:
    """`wait(timeout)`: back when a message was recorded (PostgreSQL) or the timeout passed."""

    def __init__(self, db: Database):
        self._db, self._connection = db, None
        if db.dialect == "postgresql":
            self._listen()

    def _listen(self) -> None:
        self._connection = self._db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self._connection.exec_driver_sql(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> bool:
        """True when woken by a notification; several queued ones count as one wake-up. A lost
        connection (a database restart) costs one timeout's poll, then LISTENs again."""
        if self._db.dialect != "postgresql":
            time.sleep(timeout)
            return False
        try:
            if self._connection is None:
                self._listen()
            listener = self._connection.connection.dbapi_connection
            woken = any(True for _ in listener.notifies(timeout=timeout, stop_after=1))
            if woken:  # drain what else arrived meanwhile: one run of the worker takes it all
                for _ in listener.notifies(timeout=0):
                    pass
            return woken
        except Exception:  # the database went away: poll until it is back
            log.warning("lost the LISTEN connection; polling until the database answers again")
            self.close()
            time.sleep(timeout)
            return False

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None
