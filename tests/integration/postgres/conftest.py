"""Session-scoped PostgreSQL server for the PostgreSQL storage tests (see tests/pg_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg_server import PostgresServer, pg_binaries_available, pg_temp_dir


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    reason = pg_binaries_available()
    if reason:
        pytest.skip(f"no PostgreSQL server can be started: {reason}")
    with pg_temp_dir() as base:
        server = PostgresServer.start_new(base)
        try:
            yield server
        finally:
            server.stop("immediate")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "integration/postgres" in str(item.fspath):
            item.add_marker(pytest.mark.postgres)
