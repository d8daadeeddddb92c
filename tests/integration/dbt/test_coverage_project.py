"""Every column of a project in the style of large real ones has lineage or an honest unknown.

tests/fixtures/dbt/coverage_project is built for real with dbt-duckdb: a local package (macros and
a model), a staging model reading a seed by name through a macro (no ref), ephemeral models (one
on another), an incremental model reading ``{{ this }}`` (built twice so the incremental branch
compiles), and a window-heavy mart.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.defs.dbt import default_dbt_executable
from dagster_lineage.integrations.dbt import analyse_dbt_manifest
from dagster_lineage.integrations.dbt.analysis import BY_NAME_TAG

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "dbt" / "coverage_project"
BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"

# Columns with no upstream column at all, by SQL semantics (a constant or the clock).
NO_UPSTREAM = {
    "model.coverage_fixture.orders_incremental.loaded_at": "current_timestamp",
    "model.coverage_fixture.customer_summary.summary_version": "the literal 'v1'",
}
# Columns whose only input is something that is no dbt relation, with the reason they carry.
UNKNOWN = {
    "model.coverage_utils.util_fiscal_quarters.month_start": "it is a table function",
    "model.coverage_utils.util_fiscal_quarters.fiscal_quarter": "it is a table function",
}


def run_dbt(project: Path, target: Path, *args: str) -> None:
    paths = [] if args[0] == "deps" else ["--target-path", str(target)]
    proc = subprocess.run(
        [default_dbt_executable(), *args, "--project-dir", str(project), "--profiles-dir",
         str(project), *paths, "--log-path", str(target / "logs")],
        capture_output=True, text=True, check=False, cwd=project,
    )  # fmt: skip
    assert proc.returncode == 0, f"dbt {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any], Path]:
    root = tmp_path_factory.mktemp("coverage_project")
    project = root / "project"
    shutil.copytree(
        FIXTURE, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    os.environ["COVERAGE_FIXTURE_DUCKDB_PATH"] = str(root / "warehouse.duckdb")
    target = root / "target"
    run_dbt(project, target, "deps")
    run_dbt(project, target, "seed")
    run_dbt(project, target, "run")
    run_dbt(project, target, "run")  # the incremental model now exists: {{ this }} compiles
    run_dbt(project, target, "docs", "generate")
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return manifest, catalog, target


def test_every_column_has_lineage_or_the_true_reason(built: tuple[Any, Any, Path]) -> None:
    manifest, catalog, _ = built
    records = analyse_dbt_manifest(manifest, catalog=catalog).records
    seen = set()
    for uid, rec in records.items():
        if not uid.startswith("model."):
            continue
        for col in rec.column_names:
            name = f"{uid}.{col}"
            seen.add(name)
            has_lineage = bool(rec.column_deps.get(col) or rec.indirect_deps.get(col))
            reasons = [u.reason for u in rec.unknowns if u.column in (None, col)]
            if name in NO_UPSTREAM:
                assert not has_lineage and not reasons, (name, rec.column_deps.get(col), reasons)
            elif name in UNKNOWN:
                assert not has_lineage, name
                assert any(UNKNOWN[name] in r for r in reasons), (name, reasons)
            else:
                assert has_lineage, (name, reasons)
                assert not reasons, (name, reasons)
    assert set(NO_UPSTREAM) | set(UNKNOWN) <= seen


def test_real_shapes_resolve(built: tuple[Any, Any, Path]) -> None:
    manifest, catalog, _ = built
    records = analyse_dbt_manifest(manifest, catalog=catalog).records
    # ephemeral models are no assets and no graph nodes (no placeholders either)
    assert not [u for u in records if ".int_" in u]
    graph = LineageGraph.from_records(records.values())
    assert len(graph) == len(records)  # every node is a record
    fct = records["model.coverage_fixture.fct_orders"]
    assert {d.upstream.display() for d in fct.column_deps["paid_amount"]} == {"stg_payments.amount"}
    assert ("stg_orders",) in fct.upstream and ("stg_payments",) in fct.upstream
    # the relation read by name through a macro, and how it was resolved
    stg = records["model.coverage_fixture.stg_customers"]
    assert stg.upstream == (("raw_customers",),)
    assert stg.tags[BY_NAME_TAG].endswith("-> seed.coverage_fixture.raw_customers")
    # the incremental model reads itself: compiled with its branch, resolved to its own schema
    inc_node = manifest["nodes"]["model.coverage_fixture.orders_incremental"]
    assert "max(ordered_at)" in inc_node["compiled_code"]
    inc = records["model.coverage_fixture.orders_incremental"]
    assert inc.upstream == (("fct_orders",),)
    # the window mart: ranking columns have their window inputs
    seq = records["model.coverage_fixture.customer_order_sequence"]
    assert {r.upstream.display() for r in seq.indirect_deps["order_seq"]} == {
        "fct_orders.customer_id",
        "fct_orders.ordered_at",
    }


def test_coverage_report_script(built: tuple[Any, Any, Path]) -> None:
    _, _, target = built
    spec = importlib.util.spec_from_file_location("coverage_report", BENCHMARKS / "coverage.py")
    assert spec is not None and spec.loader is not None
    coverage_script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(coverage_script)
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    result = coverage_script.coverage(manifest, catalog)
    assert result["columns"] == (
        result["with_upstream"]
        + result["only_indirect_upstream"]
        + result["honest_unknown"]
        + result["neither"]
    )
    assert result["neither"] == len(NO_UPSTREAM)
    assert result["honest_unknown"] == len(UNKNOWN)
    assert coverage_script.main([str(target / "nope.json")]) == 2
