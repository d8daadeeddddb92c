"""Session-scoped PostgreSQL server for the PostgreSQL storage tests (see tests/pg_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pg_server import PostgresServer, started_server


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with started_server() as server:
        yield server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "integration/postgres" in str(item.fspath):
            item.add_marker(pytest.mark.postgres)
