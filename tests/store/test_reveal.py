"""Revealing a confidential reporter: the identity is read and the audit entry written in one transaction;
the audit log itself cannot be changed or emptied (database triggers), on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from store.audit import add_audit_entry, audit_actions, search_audit
from store.models import AuditLog
from store.reporters import RevealRefused, reveal_identity
from tests.helpers import citizen, count, new_report

pytestmark = pytest.mark.sql_dialects

REASON = "Permintaan resmi pengadilan"


def test_a_reveal_returns_the_identity_and_writes_its_audit_entry(units_db, config, wilayah):
    report = new_report(units_db, config, wilayah, reporter_contacts=citizen(), confidential=True)
    identity = reveal_identity(units_db, report.ticket, actor_role="admin", actor_id="console:admin", reason=REASON)
    assert identity.name == "Siti Rahayu"
    assert set(identity.contacts) == {("sms", "+6281234567890"), ("email", "siti.rahayu@example.com")}
    [entry] = search_audit(units_db)
    assert (entry.actor_role, entry.actor_id, entry.action, entry.target_type, entry.target_id, entry.reason) == (
        "admin", "console:admin", "reveal_identity", "report", report.ticket, REASON)


@pytest.mark.parametrize("kind", ["not_confidential", "no_reporter", "unknown"])
def test_nothing_to_reveal_writes_no_audit_entry(units_db, config, wilayah, kind):
    report = new_report(units_db, config, wilayah, reporter_contacts=citizen() if kind != "no_reporter" else (),
                        confidential=kind != "not_confidential")
    ticket = report.ticket if kind != "unknown" else "JKT-0000-00000"
    with pytest.raises(RevealRefused) as refused:
        reveal_identity(units_db, ticket, actor_role="admin", actor_id="console:admin", reason=REASON)
    assert refused.value.reason == kind
    assert count(units_db, AuditLog) == 0


def test_audit_entries_cannot_be_changed_or_deleted(db):
    with db.transaction() as session:
        add_audit_entry(session, actor_role="admin", actor_id="console:admin", action="reveal_identity",
                        target_type="report", target_id="JKT-1", reason=REASON)
    for change in (update(AuditLog).values(reason="nothing happened"), delete(AuditLog),
                   text("UPDATE audit_log SET actor_id = 'someone else'"), text("DELETE FROM audit_log")):
        with pytest.raises(DatabaseError):
            with db.transaction() as session:
                session.execute(change)
    with db.transaction() as session:
        entry = session.scalars(select(AuditLog)).one()
        assert (entry.reason, entry.actor_id) == (REASON, "console:admin")


def test_the_audit_log_filters_and_pages_newest_first(db):
    with db.transaction() as session:
        for n in range(5):
            add_audit_entry(session, actor_role="admin", actor_id=f"console:a{n % 2}", action="reveal_identity" if n % 2 else "other",
                            target_type="report", target_id=f"JKT-{n}")
    everything = search_audit(db)
    assert [e.target_id for e in everything] == ["JKT-4", "JKT-3", "JKT-2", "JKT-1", "JKT-0"]
    assert [e.target_id for e in search_audit(db, action="reveal_identity")] == ["JKT-3", "JKT-1"]
    assert [e.target_id for e in search_audit(db, actor="console:a0")] == ["JKT-4", "JKT-2", "JKT-0"]
    assert [e.target_id for e in search_audit(db, before_id=everything[1].id, limit=2)] == ["JKT-2", "JKT-1"]
    assert audit_actions(db) == ["other", "reveal_identity"]
