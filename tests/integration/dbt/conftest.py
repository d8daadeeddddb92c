"""One real dbt-duckdb build of tests/fixtures/dbt/lineage_project per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dagster_lineage.defs.dbt import default_dbt_executable

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "dbt" / "lineage_project"


@dataclass(frozen=True)
class BuiltProject:
    project_dir: Path
    target_dir: Path
    duckdb_path: Path

    @property
    def manifest_path(self) -> Path:
        return self.target_dir / "manifest.json"

    @property
    def catalog_path(self) -> Path:
        return self.target_dir / "catalog.json"

    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text())


def run_dbt(project_dir: Path, target_dir: Path, *args: str) -> None:
    proc = subprocess.run(
        [
            default_dbt_executable(),
            *args,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(target_dir),
            "--log-path",
            str(target_dir / "logs"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"


def copy_fixture(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("target", "logs"))
    return dest


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    """The fixture project seeded and built (except the unparsable model), with catalog.json.

    ``dbt docs generate`` compiles every model (the broken one too: dbt only renders Jinja), so
    the manifest holds compiled SQL for all of them.
    """
    root = tmp_path_factory.mktemp("dbt_lineage_project")
    project_dir = copy_fixture(root / "project")
    duckdb_path = root / "warehouse.duckdb"
    os.environ["LINEAGE_FIXTURE_DUCKDB_PATH"] = str(duckdb_path)
    target = root / "target"
    run_dbt(project_dir, target, "seed")
    run_dbt(project_dir, target, "build", "--exclude", "broken_model")
    run_dbt(project_dir, target, "docs", "generate")
    return BuiltProject(project_dir, target, duckdb_path)


@pytest.fixture()
def fresh_project_copy(tmp_path: Path) -> Path:
    """A private, editable copy of the fixture project."""
    return copy_fixture(tmp_path / "project")
