"""Shared fixtures. Store-backed tests run on SQLite; modules marked `sql_dialects` (SQL behaviour can
differ) run once more on PostgreSQL when CRM_TEST_DATABASE_URL names a server.

Every test gets a database of its own, copied from a template migrated once per test process (with or
without the units loaded): a file copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. Under
pytest-xdist each worker process builds its own templates, so workers never share a database.
"""

from __future__ import annotations

import importlib
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine

import store.users
from gateway.app import create_app
from gateway.cli import unit_specs
from gateway.config import load_config
from gateway.normalizing import build_normalizer
from normalizer.wilayah import Wilayah
from store import Database
from store.crypto import Keyring
from store.db import normalise_url
from store.units import import_units
from tests.logcheck import LogCapture

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("CRM_TEST_DATABASE_URL")
API_KEY = "test-open311-key"
# werkzeug scrypt at about the lowest cost OpenSSL takes: console fixtures create many users. The production cost
# is checked by tests/store/test_users.py::test_passwords_are_hashed_with_scrypt_at_its_default_cost.
CHEAP_PASSWORD_METHOD = "scrypt:256:8:1"


def pytest_generate_tests(metafunc):
    if "db_url" not in metafunc.fixturenames:
        return
    backends = ["sqlite"]
    if metafunc.definition.get_closest_marker("sql_dialects"):
        backends.append(pytest.param("postgresql", marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not POSTGRES_URL, reason="CRM_TEST_DATABASE_URL is not set"),
        ]))
    metafunc.parametrize("db_url", backends, indirect=True)


def pytest_collection_modifyitems(config, items):
    browser_tests = ROOT / "tests" / "browser"
    for item in items:
        if browser_tests in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    production, store.users.PASSWORD_METHOD = store.users.PASSWORD_METHOD, CHEAP_PASSWORD_METHOD
    yield
    store.users.PASSWORD_METHOD = production


def _adapter_classes():
    """Every channel adapter class in bots/ (a class with a channel and close()): a new channel is found, not listed."""
    import inspect
    import pkgutil

    import bots

    for module_info in pkgutil.iter_modules(bots.__path__):
        module = importlib.import_module(f"bots.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and isinstance(getattr(cls, "channel", None), str) and hasattr(cls, "close"):
                yield cls


@pytest.fixture(autouse=True)
def _adapters_closed_after_the_test(monkeypatch):
    """Every channel adapter a test makes, itself or through build_adapters / create_app, is closed when the test
    ends: the stand-ins keep connections alive (HTTP/1.1), and a client's pooled connection dropped unclosed is a
    ResourceWarning (an error here) whenever the garbage collector finds it, in whatever test runs then."""
    made = []
    for cls in _adapter_classes():

        def init(self, *args, _original=cls.__init__, **kwargs):
            _original(self, *args, **kwargs)
            made.append(self)

        monkeypatch.setattr(cls, "__init__", init)
    yield
    for adapter in reversed(made):
        adapter.close()


@pytest.fixture(scope="session")
def config():
    """config.yaml, with no wait for an inbox batch to gather and no pacing of sends: tests drive the worker a step
    at a time, and both waits have tests of their own (tests/gateway/test_worker_batches.py, test_pacing.py)."""
    config = load_config(ROOT / "config.yaml", environ={})
    return config.model_copy(update={"server": config.server.model_copy(update={"inbox_linger_ms": 0}),
                                     "send_limits": {}})


@pytest.fixture(scope="session")
def wilayah(config):
    return Wilayah.load(border_tolerance_m=config.geography.border_tolerance_m)


@pytest.fixture(scope="session")
def normalizer(config, wilayah):
    return build_normalizer(config, wilayah)


@pytest.fixture(scope="session")
def data_key():
    return Fernet.generate_key().decode()


@pytest.fixture(scope="session")
def keyring(data_key):
    return Keyring(data_key)


@pytest.fixture
def log_guard(request, data_key):
    """The gateway's production logging, with its own loggers at DEBUG; after the test, no log line may hold
    the data key or a value of the test module's NEVER_LOGGED (its secrets and personal data)."""
    never = getattr(request.module, "NEVER_LOGGED", None)
    assert never is not None, f"{request.module.__name__} declares no NEVER_LOGGED (its secrets and personal data)"
    capture = LogCapture()
    with capture.installed():
        yield capture
    capture.assert_never_logged([data_key, *never, *getattr(request.node, "never_logged", ())])


class SqliteTemplates:
    """Migrated SQLite files, copied per test."""

    def __init__(self, folder: Path, build):
        self.files = {}
        for with_units in (False, True):
            path = folder / f"template-{'units' if with_units else 'plain'}.db"
            build(f"sqlite:///{path}", with_units)
            self.files[with_units] = path

    @contextmanager
    def copy(self, with_units: bool, folder: Path):
        target = folder / "lapor-test.db"
        shutil.copyfile(self.files[with_units], target)
        yield f"sqlite:///{target}"


class PostgresTemplates:
    """Migrated PostgreSQL databases (this process's own), cloned per test with CREATE DATABASE … TEMPLATE."""

    def __init__(self, url: str, build):
        self.server = normalise_url(url)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        tag = uuid.uuid4().hex[:10]
        self.names = {with_units: f"lapor_tmpl_{tag}_{'units' if with_units else 'plain'}" for with_units in (False, True)}
        for with_units, name in self.names.items():
            self._execute(f'CREATE DATABASE "{name}"')
            build(self.server.set(database=name), with_units)

    @contextmanager
    def copy(self, with_units: bool, _folder: Path):
        name = f"lapor_test_{uuid.uuid4().hex[:16]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.names[with_units]}"')
        try:
            yield self.server.set(database=name)
        finally:
            self._execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    def drop(self):
        for name in self.names.values():
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory, keyring, config, wilayah):
    """backend → templates, built on first use in this test process."""
    specs = unit_specs(config, wilayah)

    def build(url, with_units: bool) -> None:
        database = Database(url, keyring, tmp_path_factory.mktemp("template-attachments"))
        database.migrate()
        if with_units:
            import_units(database, specs)
        database.dispose()

    built: dict[str, object] = {}

    def templates(backend: str):
        if backend not in built:
            built[backend] = (SqliteTemplates(tmp_path_factory.mktemp("templates"), build) if backend == "sqlite"
                              else PostgresTemplates(POSTGRES_URL, build))
        return built[backend]

    yield templates
    if "postgresql" in built:
        built["postgresql"].drop()


@pytest.fixture
def db_url(request, tmp_path, database_templates):
    """A fresh, migrated database of this test's own (units loaded when the test uses `units_db`)."""
    with_units = "units_db" in request.fixturenames
    with database_templates(request.param).copy(with_units, tmp_path) as url:
        yield url


@pytest.fixture
def db(db_url, keyring, tmp_path):
    database = Database(db_url, keyring, tmp_path / "attachments")
    yield database
    database.dispose()


@pytest.fixture
def units_db(db):
    """A migrated store with every kelurahan, kecamatan, kota and service unit loaded (from the template)."""
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
