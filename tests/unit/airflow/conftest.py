"""Shared fixtures of the Airflow unit tests: the fixture DAG folder read statically once."""

from __future__ import annotations

from pathlib import Path

import pytest

from dagster_lineage.integrations.airflow import read_dags_static
from dagster_lineage.integrations.airflow.model import DagFolder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "airflow" / "dags"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def static_folder() -> DagFolder:
    return read_dags_static(FIXTURES)
