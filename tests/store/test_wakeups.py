"""Idle workers are woken by a new inbox row on PostgreSQL (LISTEN/NOTIFY); on SQLite they poll."""

import threading
import time

import pytest

from store.inbox import record_inbound
from store.wakeups import InboxWakeups

pytestmark = pytest.mark.sql_dialects


def test_a_recorded_message_wakes_a_waiting_worker_at_once_on_postgresql(db):
    wakeups = InboxWakeups(db)
    timeout = 5 if db.dialect == "postgresql" else 0.5
    try:
        woken = {}

        def wait():
            started = time.monotonic()
            woken["by_message"] = wakeups.wait(timeout=timeout)
            woken["after"] = time.monotonic() - started

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.2)
        record_inbound(db, "sms", "SM-wake", {"Body": "halo"}, "sender")
        waiter.join(timeout=10)
        if db.dialect == "postgresql":
            assert woken["by_message"] is True and woken["after"] < 2, "woken by the new row, not the timeout"
            assert wakeups.wait(timeout=0.2) is False, "one message, one wake-up"
            record_inbound(db, "sms", "SM-wake", {"Body": "halo"}, "sender")
            assert wakeups.wait(timeout=0.2) is False, "a repeated delivery stores nothing and wakes nobody"
        else:
            assert woken["by_message"] is False and woken["after"] >= timeout, "SQLite: the worker polls"
    finally:
        wakeups.close()


def test_a_lost_listen_connection_is_opened_again(db):
    if db.dialect != "postgresql":
        pytest.skip("SQLite polls: no connection to lose")
    wakeups = InboxWakeups(db)
    try:
        wakeups._connection.connection.dbapi_connection.close()  # as a database restart would
        assert wakeups.wait(timeout=0.1) is False, "polls instead of failing"
        record_inbound(db, "sms", "SM-after-restart", {"Body": "halo"}, "sender")
        assert wakeups.wait(timeout=0.1) is False  # listening again from here on
        record_inbound(db, "sms", "SM-after-restart-2", {"Body": "halo"}, "sender")
        assert wakeups.wait(timeout=5) is True
    finally:
        wakeups.close()
