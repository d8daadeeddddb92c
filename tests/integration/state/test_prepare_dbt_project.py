"""prepare_dbt_project recompiles when anything dbt reads changes: a local package, vars, the lock file.

The fixture's local package is moved OUTSIDE the project folder (``local: ../shared_pkg``), so the
only way to see an edit in it is through ``dbt_packages/`` (where ``dbt deps`` links it).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_lineage.defs.dbt import manifest_is_current, prepare_dbt_project
from tests.integration.state.dbt_edits import DUCKDB_ENV, FIXTURE, dbt


def _compiled(manifest: Path, name: str) -> str:
    nodes = json.loads(manifest.read_text())["nodes"]
    return next(n["compiled_code"] for n in nodes.values() if n["name"] == name)


def test_recompiles_after_an_edit_inside_a_local_package(tmp_path: Path) -> None:
    project_dir = tmp_path / "project"
    shutil.copytree(FIXTURE, project_dir)
    shutil.move(project_dir / "local_pkg", tmp_path / "shared_pkg")
    (project_dir / "packages.yml").write_text("packages:\n  - local: ../shared_pkg\n")
    os.environ[DUCKDB_ENV] = str(tmp_path / "w.duckdb")
    dbt(project_dir, "deps")
    assert (project_dir / "package-lock.yml").is_file()
    project = DbtProject(project_dir=project_dir, target_path=tmp_path / "target")

    manifest = prepare_dbt_project(project)
    assert "upper(name)" in _compiled(manifest, "pkg_customers")
    assert manifest_is_current(project)

    # an edit inside the package (outside the project folder, seen through dbt_packages/)
    pkg_model = tmp_path / "shared_pkg" / "models" / "pkg_customers.sql"
    pkg_model.write_text(pkg_model.read_text().replace("upper(name)", "lower(name)"))
    assert not manifest_is_current(project)
    manifest = prepare_dbt_project(project)
    assert "lower(name)" in _compiled(manifest, "pkg_customers")
    assert manifest_is_current(project)

    # vars and target are part of what was compiled
    assert not manifest_is_current(project, vars={"discount_rate": 0.5})
    assert not manifest_is_current(project, target="prod")
    # the lock file and selectors are read by dbt too
    lock = project_dir / "package-lock.yml"
    lock.write_text(lock.read_text() + "\n# relocked\n")
    assert not manifest_is_current(project)
    manifest = prepare_dbt_project(project)
    (project_dir / "selectors.yml").write_text("selectors: []\n")
    assert not manifest_is_current(project)
