"""Shared fixtures. Store-backed tests run once on SQLite and, when CRM_TEST_DATABASE_URL names a
PostgreSQL server, once more there (each test in its own schema)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from gateway.app import create_app
from gateway.cli import unit_specs
from gateway.config import load_config
from gateway.normalizing import build_normalizer
from normalizer.wilayah import Wilayah
from store import Database
from store.crypto import Keyring
from store.scratch import scratch_schema
from store.units import import_units

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("CRM_TEST_DATABASE_URL")
API_KEY = "test-open311-key"

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="CRM_TEST_DATABASE_URL is not set")
    ),
]


@pytest.fixture(scope="session")
def config():
    return load_config(ROOT / "config.yaml", environ={})


@pytest.fixture(scope="session")
def wilayah(config):
    return Wilayah.load(border_tolerance_m=config.geography.border_tolerance_m)


@pytest.fixture(scope="session")
def normalizer(config, wilayah):
    return build_normalizer(config, wilayah)


@pytest.fixture(scope="session")
def keyring():
    return Keyring(Fernet.generate_key())


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/lapor-test.db"
        return
    with scratch_schema(POSTGRES_URL, prefix="test") as url:
        yield url


@pytest.fixture
def db(db_url, keyring, tmp_path):
    database = Database(db_url, keyring, tmp_path / "attachments")
    database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def units_db(db, config, wilayah):
    """A migrated store with every kelurahan, kecamatan, kota and service unit loaded."""
    import_units(db, unit_specs(config, wilayah))
    return db


@pytest.fixture
def app(units_db, config, wilayah, normalizer):
    application = create_app(
        config, units_db, wilayah, environ={"OPEN311_API_KEYS": f"other-key,{API_KEY}"}, normalizer=normalizer
    )
    application.testing = True
    return application


@pytest.fixture
def client(app):
    return app.test_client()
