"""Personal data is encrypted at rest, found by keyed hash, and the audit log cannot be edited."""

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from store import crypto
from store.audit import add_audit_entry, list_audit_entries
from store.models import InboundMessage, OutboundMessage
from store.reporters import find_identity
from store.reports import get_report
from tests.helpers import citizen, new_report

pytestmark = pytest.mark.sql_dialects

SECRETS = ["+6281234567890", "081234567890", "siti.rahayu@example.com", "Siti Rahayu", "3174012345678901"]


def raw_dump(db) -> str:
    """Every row of every table as the database holds it, with no decryption in the way."""
    lines = []
    with db.engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                lines.append(f"{table}: {tuple(row)!r}")
        if db.dialect == "sqlite":
            lines.extend(connection.connection.dbapi_connection.iterdump())
    return "\n".join(lines)


def test_a_raw_dump_holds_no_reporter_contact_or_name(units_db, config, wilayah):
    phone, email = citizen()
    report = new_report(
        units_db,
        config,
        wilayah,
        description="Saya Siti Rahayu, NIK 3174012345678901, telp 081234567890. Sampah menumpuk.",
        category="sampah",
        reporter_contacts=(phone, email),
    )
    with units_db.transaction() as session:
        session.add(
            InboundMessage(channel="sms", provider_message_id="SM1", payload={"From": phone.address, "Body": "halo"})
        )
        session.add(
            OutboundMessage(
                channel="email", recipient=email.address, body="Halo Siti Rahayu", idempotency_key="k1", report_id=report.id
            )
        )
    dump = raw_dump(units_db)
    assert report.ticket in dump, "the dump is real: public data is there"
    for secret in SECRETS:
        assert secret not in dump
        assert secret.lower() not in dump.lower()
    # …and the store still gives the data back to code holding the key.
    stored = get_report(units_db, report.ticket)
    assert "Siti Rahayu" in stored.original_text
    assert "Siti Rahayu" not in stored.description and "081234567890" not in stored.description


def test_contacts_are_found_by_keyed_hash(units_db, config, wilayah):
    phone, email = citizen()
    new_report(units_db, config, wilayah, reporter_contacts=(phone, email))
    found = find_identity(units_db, "sms", "+6281234567890")
    assert found is not None and found.address == "+6281234567890"
    assert found.address_hash != "+6281234567890" and len(found.address_hash) == 64
    assert find_identity(units_db, "email", "SITI.RAHAYU@example.com ").reporter_id == found.reporter_id
    assert find_identity(units_db, "sms", "+6289999999999") is None


def test_the_same_contact_is_the_same_reporter(units_db, config, wilayah):
    phone, _email = citizen()
    first = new_report(units_db, config, wilayah, reporter_contacts=(phone,))
    second = new_report(units_db, config, wilayah, reporter_contacts=(phone,))
    assert first.reporter_id == second.reporter_id is not None


def test_another_key_cannot_read_personal_data(units_db, config, wilayah, keyring):
    phone, _ = citizen()
    report = new_report(units_db, config, wilayah, reporter_contacts=(phone,))
    crypto.activate(crypto.Keyring(Fernet.generate_key()))
    try:
        with pytest.raises(crypto.DataKeyError, match="cannot be decrypted"):
            get_report(units_db, report.ticket)
        assert find_identity(units_db, "sms", phone.address) is None, "lookup hashes are keyed too"
    finally:
        crypto.activate(keyring)


def test_a_malformed_key_is_refused():
    for bad in ("", "short", "x" * 44):
        with pytest.raises(crypto.DataKeyError, match="Fernet key"):
            crypto.Keyring(bad)


def test_a_development_key_is_generated_once_with_private_permissions(tmp_path):
    key_file = tmp_path / "var" / "dev.key"
    first = crypto.load_keyring("NO_SUCH_ENV", key_file, environ={})
    second = crypto.load_keyring("NO_SUCH_ENV", key_file, environ={})
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert second.decrypt(first.encrypt("rahasia")) == "rahasia"
    from_env = crypto.load_keyring("K", key_file, environ={"K": Fernet.generate_key().decode()})
    with pytest.raises(crypto.DataKeyError):
        from_env.decrypt(first.encrypt("rahasia"))


def test_the_audit_log_is_append_only(units_db):
    with units_db.transaction() as session:
        add_audit_entry(
            session, actor_role="admin", actor_id="a1", action="reveal_identity", target_type="report",
            target_id="JKT-2611-00001", reason="permintaan aparat",
        )
    for statement in ("UPDATE audit_log SET reason = 'diubah'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with units_db.engine.begin() as connection:
                connection.execute(text(statement))
    [entry] = list_audit_entries(units_db)
    assert (entry.action, entry.reason) == ("reveal_identity", "permintaan aparat")


def test_a_replys_threading_ids_are_encrypted_in_the_outbox(db):
    from store.outbox import claim_due_outbound, queue_outbound

    context = {"message_id": "<CAF=siti.rahayu@example.com>", "in_reply_to_tweet_id": "1790000000000000001"}
    with db.transaction() as session:
        queue_outbound(session, channel="email", recipient="siti.rahayu@example.com", body="Di mana lokasinya?",
                       idempotency_key="in:1:0", extras={"buttons": []}, reply_context=context)
    dump = raw_dump(db)
    assert "siti.rahayu" not in dump and "1790000000000000001" not in dump
    [claimed] = claim_due_outbound(db)
    assert claimed.reply_context == context and "reply_context" not in claimed.extras


def test_a_batchs_senders_are_found_or_added_once_each_named_and_encrypted(db):
    """`find_or_add_senders`: one sender met twice in a batch is one contact, named by whichever message gave the
    name; a known sender is found, and named when they had no name; addresses are stored encrypted."""
    from store.models import ContactIdentity, Reporter
    from store.reporters import Contact, contact_hash, find_or_add_senders

    with db.transaction() as session:
        known = find_or_add_senders(session, [Contact("sms", "+6281234567890")])
    with db.transaction() as session:
        senders = find_or_add_senders(session, [
            Contact("telegram", "4242"), Contact("telegram", "4242", name="Siti Rahayu"),
            Contact("sms", "+6281234567890", name="Budi"), Contact("sms", "4242")])
    assert set(senders) == {("telegram", contact_hash("telegram", "4242")), ("sms", contact_hash("sms", "4242")),
                            ("sms", contact_hash("sms", "+6281234567890"))}
    assert senders[("sms", contact_hash("sms", "+6281234567890"))] == known[("sms", contact_hash("sms", "+6281234567890"))]
    with db.transaction() as session:
        named = {(i.channel, i.address, session.get(Reporter, i.reporter_id).name)
                 for i in session.query(ContactIdentity)}
    assert named == {("telegram", "4242", "Siti Rahayu"), ("sms", "+6281234567890", "Budi"), ("sms", "4242", None)}
    dump = raw_dump(db)
    assert "Siti Rahayu" not in dump and "+6281234567890" not in dump
