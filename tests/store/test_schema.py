"""Migrations, ticket numbers under concurrency, attachments and unit import."""

import hashlib
import threading
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from gateway.cli import unit_specs
from store.attachments import AttachmentError, attachment_path, save_attachment
from store.models import Base
from store.tickets import next_ticket
from store.units import count_units, get_unit, import_units
from tests.helpers import png_bytes

pytestmark = pytest.mark.sql_dialects


def test_migrations_create_exactly_the_models(db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migrating_twice_is_harmless(db):
    db.migrate()
    assert db.is_migrated()


def test_units_cover_every_area_and_service(units_db, config, wilayah):
    assert count_units(units_db, "kelurahan") == 267
    assert count_units(units_db, "kecamatan") == 44
    assert count_units(units_db, "kota") == 6
    assert count_units(units_db, "service") == len(config.service_units)
    gambir = get_unit(units_db, "31.71.01.1001")
    assert (gambir.kind, gambir.name, gambir.parent_code, gambir.kota_code) == (
        "kelurahan", "Kelurahan Gambir", "31.71.01", "31.71"
    )
    assert get_unit(units_db, "31.71.01").name == "Kecamatan Gambir"
    again = import_units(units_db, unit_specs(config, wilayah))
    assert (again.created, again.updated) == (0, 0)


def test_concurrent_tickets_are_unique_and_gapless(db, config):
    tickets, errors = [], []

    def take(count):
        try:
            for _ in range(count):
                with db.transaction() as session:
                    tickets.append(next_ticket(session, "JKT", datetime(2026, 11, 5)))
        except Exception as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=take, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(tickets) == [f"JKT-2611-{n:05d}" for n in range(1, 41)]


def test_a_new_month_starts_a_new_sequence(db):
    with db.transaction() as session:
        assert next_ticket(session, "JKT", datetime(2026, 11, 30)) == "JKT-2611-00001"
        assert next_ticket(session, "JKT", datetime(2026, 12, 1)) == "JKT-2612-00001"
        assert next_ticket(session, "JKT", datetime(2026, 12, 1)) == "JKT-2612-00002"


def test_a_photo_is_stored_with_its_checksum(db):
    data = png_bytes()
    attachment = save_attachment(db, data, "image/png", max_bytes=10_000)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.size_bytes == len(data)
    assert attachment_path(db, attachment).read_bytes() == data


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (b"", "image/png", "empty"),
        (png_bytes() + b"\0" * 20_000, "image/png", "limit is 10000"),
        (b"<script>alert(1)</script>", "image/png", "not a valid image/png"),
        (png_bytes(), "application/pdf", "not accepted"),
        (png_bytes(), "image/jpeg", "not a valid image/jpeg"),
    ],
    ids=["empty", "too-large", "html-as-png", "pdf", "png-as-jpeg"],
)
def test_bad_files_are_refused_and_leave_nothing(db, data, content_type, message):
    with pytest.raises(AttachmentError, match=message):
        save_attachment(db, data, content_type, max_bytes=10_000)
    assert not db.attachments_dir.exists() or not any(db.attachments_dir.rglob("*"))


def test_an_attachment_for_an_unknown_report_leaves_no_file(db):
    with pytest.raises(AttachmentError, match="not found"):
        save_attachment(db, png_bytes(), "image/png", max_bytes=10_000, report_ticket="JKT-2611-00404")
    assert not any(p.is_file() for p in db.attachments_dir.rglob("*"))
