"""The PostgreSQL storage tests use the session's server (``pg_server`` in tests/conftest.py)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "integration/postgres" in str(item.fspath):
            item.add_marker(pytest.mark.postgres)
