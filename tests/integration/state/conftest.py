"""Fixtures for the state integration tests (SQLite instances in temp DAGSTER_HOME folders)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.integration.state.state_flow import Project  # noqa: E402


@pytest.fixture
def sqlite_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return home


@pytest.fixture
def sqlite_instance(sqlite_home: Path) -> Iterator[dg.DagsterInstance]:
    instance = dg.DagsterInstance.from_config(str(sqlite_home))
    try:
        yield instance
    finally:
        instance.dispose()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project.copy_to(tmp_path / "project")
