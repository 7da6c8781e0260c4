"""Fixtures of the integration tests: real ``avex serve`` subprocesses on free ports, one fresh database per
test module (SQLite in a temporary directory, or a new schema of PostgreSQL database ``test``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import CONFORMANCE_TOML, ServerProcess, pg_schema, pg_unreachable_reason, start_server

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=BACKENDS)
def fresh_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, empty database for one module: an SQLite file, or (``postgres``) a fresh PostgreSQL schema —
    skipped with the reason when PostgreSQL cannot be reached."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("db") / "avex.db")
        return
    reason = pg_unreachable_reason()
    if reason is not None:
        pytest.skip(reason)
    with pg_schema() as url:
        yield url


@pytest.fixture(scope="module")
def conformance_server(fresh_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """PROTOCOL.md §8's server: conformance.toml, no login throttle, on a fresh database."""
    server = start_server(fresh_db, CONFORMANCE_TOML, login_failures=0, log_dir=tmp_path_factory.mktemp("log"))
    yield server
    server.stop()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """``servers(db, tournament, **options)`` starts a server that is stopped (SIGTERM) after the test."""
    started: list[ServerProcess] = []

    def start(db: str, tournament: str | Path | None = None, **options: Any) -> ServerProcess:
        options.setdefault("log_dir", tmp_path)
        server = start_server(db, tournament, **options)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
