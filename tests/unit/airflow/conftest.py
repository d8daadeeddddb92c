"""Shared fixtures of the Airflow unit tests: the fixture DAG folder read statically once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dagster_lineage.integrations.airflow import read_dags_static
from dagster_lineage.integrations.airflow.model import DagFolder

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "airflow" / "dags"


def copy_fixture_dags(dest: Path) -> Path:
    """Copy the fixture DAG folder, turning ``*.py.txt`` (invalid Python kept out of ruff) into ``.py``."""
    shutil.copytree(FIXTURES, dest)
    for broken in dest.rglob("*.py.txt"):
        broken.rename(broken.with_suffix(""))
    return dest


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_fixture_dags(tmp_path_factory.mktemp("airflow") / "dags")


@pytest.fixture(scope="session")
def static_folder(fixtures_dir: Path) -> DagFolder:
    return read_dags_static(fixtures_dir)
