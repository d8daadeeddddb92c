"""analyze_impact's "breaking" judged by a real engine (DuckDB binding each model's compiled SQL).

The fixture project (tests/fixtures/dbt/oracle_project) is built by real dbt on DuckDB: seeds, a
view, an ephemeral model, an incremental model, ``SELECT *``, a window, a macro, quoted mixed-case
names, a UNION ALL and an unused CTE. Hundreds of seeded random changes are applied with real
``ALTER TABLE`` (see oracle.py) and the engine's breaking set is compared with the analysis's, pair
by pair.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from oracle import Project, engine_verdict, random_changes

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath
from dagster_lineage.defs.dbt import default_dbt_executable
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.schema_changes import ColumnDropped, ColumnRenamed, SchemaChange
from dagster_lineage.integrations.dbt.analysis import analyse_dbt_manifest

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "dbt" / "oracle_project"
CHANGES = 300
SEED = 16


@dataclass
class Built:
    project: Project
    graph: LineageGraph
    keys: dict[str, AssetKeyPath]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("oracle_project")
    project_dir = root / "project"
    shutil.copytree(FIXTURE, project_dir)
    target = root / "target"
    env = {**os.environ, "ORACLE_FIXTURE_DUCKDB_PATH": str(root / "w.duckdb")}
    for args in (["seed"], ["build"], ["docs", "generate"]):
        p = subprocess.run(
            [
                default_dbt_executable(),
                *args,
                "--project-dir",
                str(project_dir),
                "--profiles-dir",
                str(project_dir),
                "--target-path",
                str(target),
                "--log-path",
                str(root / "logs"),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert p.returncode == 0, p.stdout + p.stderr
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    analysis = analyse_dbt_manifest(manifest, catalog=catalog)
    yield Built(
        Project.from_artifacts(manifest, catalog),
        LineageGraph.from_records(analysis.records.values()),
        {uid: rec.key for uid, rec in analysis.records.items()},
    )


def ours(b: Built, uid: str, change: SchemaChange) -> frozenset[str]:
    report = analyze_impact(b.graph, b.keys[uid], [change])
    return frozenset(
        u
        for u in models(b)
        if (a := report.get(b.keys[u])) is not None and a.severity.label == "breaking"
    )


def models(b: Built) -> set[str]:
    """Models that are assets (an ephemeral model is inlined into its consumers, no asset)."""
    return {u for u, rel in b.project.relations.items() if rel.sql is not None and u in b.keys}


def test_engine_oracle_precision_and_recall_on_the_fixture_project(built: Built) -> None:
    tp = fp = fn = 0
    disagreements: list[str] = []
    for uid, change in random_changes(built.project, CHANGES, SEED, only=set(built.keys)):
        engine = engine_verdict(built.project, uid, change).breaking & models(built)
        mine = ours(built, uid, change)
        tp += len(mine & engine)
        fp += len(mine - engine)
        fn += len(engine - mine)
        if mine != engine:
            disagreements.append(
                f"{uid} {change.describe()}: ours {sorted(mine)} engine {sorted(engine)}"
            )
    assert tp > 100  # the changes do break things: the comparison is not vacuous
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert (precision, recall) == (1.0, 1.0), disagreements[:10]


def test_inlined_ephemeral_model_breaks_its_consumers(built: Built) -> None:
    """dbt inlines an ephemeral model into its consumers' compiled SQL: a rename of a column it
    reads breaks every consumer (DuckDB fails to bind them), and the analysis says so."""
    raw = next(u for u in built.project.relations if u.endswith(".raw_customers"))
    enriched = next(u for u in built.project.relations if u.endswith(".orders_enriched"))
    change = ColumnRenamed("CustomerName", "customer_full_name")
    assert enriched in engine_verdict(built.project, raw, change).breaking
    assert enriched in ours(built, raw, change)


def test_an_incremental_model_downstream_of_a_drop_is_told_to_full_refresh(built: Built) -> None:
    """The real manifest's incremental model (customer_totals, on_schema_change left at dbt's
    default) is named with the full refresh it needs when an upstream column it sums is dropped;
    DuckDB confirms the drop breaks it."""
    enriched = next(u for u in built.project.relations if u.endswith(".orders_enriched"))
    totals = next(u for u in built.project.relations if u.endswith(".customer_totals"))
    change = ColumnDropped("order_total")
    assert totals in engine_verdict(built.project, enriched, change).breaking
    report = analyze_impact(built.graph, built.keys[enriched], [change])
    [action] = report.get(built.keys[totals]).actions
    assert "on_schema_change=ignore" in action
    assert "dbt build --full-refresh --select customer_totals" in action
