"""Compile-when-stale and the lineage cache across real `dbt compile` runs of an edited project."""

from __future__ import annotations

import json

from dagster_dbt import DbtProject

from dagster_lineage.defs.dbt import (
    DagsterDbtLineageTranslator,
    DbtLineageSettings,
    manifest_is_current,
    prepare_dbt_project,
)


def _analyse(project: DbtProject):
    """A fresh load, as a new code-location process would do it."""
    manifest = json.loads(project.manifest_path.read_text())
    translator = DagsterDbtLineageTranslator(lineage_settings=DbtLineageSettings())
    return translator.get_lineage_analysis(manifest, project), manifest


def test_reload_hits_cache_and_edits_reanalyse_only_what_changed(
    tmp_path, monkeypatch, fresh_project_copy
):
    monkeypatch.setenv("LINEAGE_FIXTURE_DUCKDB_PATH", str(tmp_path / "w.duckdb"))
    project_dir = fresh_project_copy
    project = DbtProject(project_dir=project_dir, target_path=tmp_path / "target")

    manifest_path = prepare_dbt_project(project)
    assert manifest_is_current(project)
    first, manifest = _analyse(project)
    sql_nodes = {
        uid for uid, n in manifest["nodes"].items() if n["resource_type"] in ("model", "snapshot")
    }
    assert set(first.analysed) == sql_nodes
    assert (tmp_path / "target" / "dagster_lineage_cache").is_dir()

    # an unchanged project: no dbt run, no SQL parsed
    mtime = manifest_path.stat().st_mtime_ns
    prepare_dbt_project(project)
    assert manifest_path.stat().st_mtime_ns == mtime
    again, _ = _analyse(project)
    assert again.analysed == ()
    assert again.cache_stats.hits == len(sql_nodes) and again.cache_stats.misses == 0

    # (a change that keeps the output schema re-analyses only that model: see the unit tests)
    # a new output column: orders_clean and every child whose upstream schema changed
    model = project_dir / "models" / "orders_clean.sql"
    model.write_text(
        model.read_text().replace(
            "upper(status) as status_u", "upper(status) as status_u,\n    amount * 2 as amount_x2"
        )
    )
    assert not manifest_is_current(project)
    prepare_dbt_project(project)
    widened, manifest = _analyse(project)
    children = set(manifest["child_map"]["model.lineage_fixture.orders_clean"]) & sql_nodes
    assert children  # orders_by_segment, broken_model, orders_snapshot
    assert set(widened.analysed) == {"model.lineage_fixture.orders_clean"} | children
    # models that do not read orders_clean come from the cache
    assert "model.lineage_fixture.segments" in sql_nodes - set(widened.analysed)
    assert widened.cache_stats.hits == len(sql_nodes) - len(widened.analysed)
    assert "amount_x2" in widened.records["model.lineage_fixture.orders_clean"].column_names
