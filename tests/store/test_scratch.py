"""store.scratch: a throw-away PostgreSQL schema for benchmarks that share one server."""

import pytest
from sqlalchemy import create_engine, inspect, text

from store import Database
from store.scratch import scratch_schema
from tests.conftest import POSTGRES_URL

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not POSTGRES_URL, reason="CRM_TEST_DATABASE_URL is not set")]


def test_a_scratch_schema_holds_its_tables_and_is_gone_afterwards(keyring, tmp_path):
    with scratch_schema(POSTGRES_URL, prefix="test") as url:
        schema = url.query["options"].removeprefix("-csearch_path=")
        database = Database(url, keyring, tmp_path)
        database.migrate()
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT current_schema()")).scalar_one() == schema
        assert "reports" in inspect(database.engine).get_table_names(schema=schema)
        database.dispose()
    server = create_engine(url.set(query={}))
    with server.connect() as connection:
        found = connection.execute(text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"), {"s": schema})
        assert found.first() is None
    server.dispose()
