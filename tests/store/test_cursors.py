"""Pollers' cursors survive restarts and move with the transaction that stored the messages."""

import pytest

from store.cursors import get_cursor, set_cursor

pytestmark = pytest.mark.sql_dialects


def test_a_cursor_starts_empty_and_keeps_what_was_set(db):
    assert get_cursor(db, "imap:INBOX") == {}
    set_cursor(db, "imap:INBOX", {"uidvalidity": 7, "last_uid": 41})
    set_cursor(db, "imap:INBOX", {"uidvalidity": 7, "last_uid": 42})
    assert get_cursor(db, "imap:INBOX") == {"uidvalidity": 7, "last_uid": 42}
    assert get_cursor(db, "x:mentions") == {}, "one cursor per poller"


def test_a_cursor_moved_in_a_failed_transaction_stays_where_it_was(db):
    set_cursor(db, "x:mentions", {"since_id": "100"})
    with pytest.raises(RuntimeError), db.transaction() as session:
        set_cursor(session, "x:mentions", {"since_id": "200"})
        raise RuntimeError("storing the mentions failed")
    assert get_cursor(db, "x:mentions") == {"since_id": "100"}
