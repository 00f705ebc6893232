"""The triage queue: each message once, decided once (converted into a report, or dismissed), by whom and when."""

import pytest
from sqlalchemy import select

from store.models import TriageItem
from store.reporters import Contact, find_or_add_contact
from store.triage import TriageError, add_triage_item, convert_triage_item, dismiss_triage_item, pending_triage
from tests.helpers import TRIAGE, new_report

pytestmark = pytest.mark.sql_dialects


def queue(db, tweet_id, text="halo min", contact_id=None):
    with db.transaction() as session:
        return add_triage_item(session, channel="x", provider_message_id=tweet_id, text=text, contact_id=contact_id)


def test_a_message_is_queued_once_and_its_text_is_encrypted(db):
    with db.transaction() as session:
        contact_id = find_or_add_contact(session, Contact("x", "4242", "Siti")).id
    assert queue(db, "1801", "Siti 0812 nanya", contact_id) is True
    assert queue(db, "1801", "again") is False
    queue(db, "1802")
    first, second = pending_triage(db)
    assert (first.provider_message_id, first.text, first.contact.address) == ("1801", "Siti 0812 nanya", "4242")
    assert second.provider_message_id == "1802" and second.contact is None
    with db.engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT text FROM triage_items WHERE provider_message_id = '1801'").scalar()
    assert "0812" not in stored


def test_converting_links_the_report_made_in_the_same_transaction(units_db, config, wilayah):
    queue(units_db, "1901", "jalan berlubang")
    [item] = pending_triage(units_db)
    made = []

    def make_report(session, pending):
        made.append(pending.text)
        return new_report(session, config, wilayah, description=pending.text, origin_channel="x")

    report = convert_triage_item(units_db, item.id, TRIAGE, make_report)
    assert made == ["jalan berlubang"] and pending_triage(units_db) == []
    with units_db.transaction() as session:
        item = session.get(TriageItem, item.id)
        assert (item.status, item.report_id, item.decided_by) == ("converted", report.id, "triage:triage-1")
    with pytest.raises(TriageError):
        convert_triage_item(units_db, item.id, TRIAGE, make_report)
    with pytest.raises(TriageError):
        dismiss_triage_item(units_db, item.id, TRIAGE)
    assert len(made) == 1


def test_a_failed_conversion_leaves_the_item_pending(db):
    queue(db, "2001")
    [item] = pending_triage(db)

    def broken(session, pending):
        raise ValueError("unknown category")

    with pytest.raises(ValueError):
        convert_triage_item(db, item.id, TRIAGE, broken)
    assert [i.id for i in pending_triage(db)] == [item.id]


def test_dismissing_records_who_and_when(db):
    queue(db, "2101")
    [item] = pending_triage(db)
    dismiss_triage_item(db, item.id, TRIAGE)
    with db.transaction() as session:
        item = session.scalar(select(TriageItem))
        assert item.status == "dismissed" and item.decided_at is not None and item.decided_by == "triage:triage-1"
    with pytest.raises(TriageError):
        dismiss_triage_item(db, 999, TRIAGE)
