"""Test tiers: markers are applied by path (tests/unit -> unit, tests/integration -> integration)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_server import PostgresServer, started_server

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _unfreeze_gc() -> Iterator[None]:
    """A ``--state`` command run in process freezes the collector's objects (``gc.freeze`` in
    dagster_lineage/cli/state.py); give them back after the test so nothing leaks for the session."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server per test session (see tests/pg_server.py); tests create databases."""
    with started_server() as server:
        yield server


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in ("unit", "integration"):
            item.add_marker(getattr(pytest.mark, parts[0]))
