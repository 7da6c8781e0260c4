"""The store on PostgreSQL: the same contract as the SQLite tests (tests/unit/test_store.py), each test in
a fresh schema of database ``test`` (dropped afterwards), plus PostgreSQL-specific checks.

Skipped, with the reason, only when PostgreSQL cannot be reached. ``AVEX_TEST_PG_URL`` overrides the
server (default ``postgresql://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from avex.store import Store, StoreError, open_store

PG_URL = os.environ.get("AVEX_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.postgres


def _load_contract() -> type:
    # The contract lives with the SQLite tests; load that file under another module name so both test
    # directories can run it without being packages.
    path = Path(__file__).resolve().parents[1] / "unit" / "test_store.py"
    spec = importlib.util.spec_from_file_location("avex_store_contract", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.StoreContract


StoreContract = _load_contract()


def _admin_connect() -> psycopg.Connection:
    return psycopg.connect(PG_URL, connect_timeout=3, autocommit=True)


@pytest.fixture(scope="module")
def pg_available() -> None:
    try:
        _admin_connect().close()
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        pytest.skip(f"PostgreSQL is unreachable at {PG_URL}: {first}")


@pytest.fixture
def pg_url(pg_available: None) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema (isolation from other tests and runs)."""
    name = f"avex_test_{uuid.uuid4().hex[:12]}"
    with _admin_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={name}')}"
    with _admin_connect() as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store(self, pg_url: str) -> Iterator[Store]:
        s = open_store(pg_url)
        yield s
        s.close()

    @pytest.fixture
    def reopen(self, pg_url: str) -> Iterator[Callable[[], Store]]:
        opened: list[Store] = []

        def again() -> Store:
            opened.append(open_store(pg_url))
            return opened[-1]

        yield again
        for s in opened:
            s.close()


def test_postgresql_url_uses_psycopg(pg_url: str) -> None:
    store = open_store(pg_url)
    try:
        assert store.dialect == "postgresql"
        assert store._engine.dialect.driver == "psycopg"
        assert "password" not in store.name
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0001"
    finally:
        store.close()


def test_wrong_database_is_one_clear_line(pg_available: None) -> None:
    base = PG_URL.rsplit("/", 1)[0]
    with pytest.raises(StoreError) as info:
        open_store(f"{base}/avex_no_such_database_{uuid.uuid4().hex[:8]}")
    msg = str(info.value)
    assert msg.startswith("cannot open the database postgresql+psycopg://")
    assert "avex_no_such_database" in msg and "\n" not in msg
