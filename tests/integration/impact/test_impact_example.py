"""The story on the real example: the impact analysis' true answer, the job, the CLI, the gate and
the drift sensor, over the example's dbt project, Airflow DAG, Spark job and exposure."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import duckdb
import pytest

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.defs.graph import graph_from_definitions
from dagster_lineage.defs.impact import REPORT_MD_KEY, impact_run_config
from dagster_lineage.impact.analysis import RiskLevel, Usage, analyze_impact
from dagster_lineage.impact.schema_changes import ColumnAdded, ColumnDropped, ColumnRenamed
from tests.cli_runner import run_cli

ROOT = Path(__file__).resolve().parents[3]
STORY = [ColumnRenamed("order_total", "total_amount"), ColumnDropped("legacy_discount_code")]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory):
    os.environ.setdefault(
        "DAGSTER_LINEAGE_EXAMPLE_STATE", str(tmp_path_factory.mktemp("impact_example_state"))
    )
    location = importlib.import_module("example_project.definitions")
    return SimpleNamespace(defs=location.defs())  # the dg project's lazy definitions, built


@pytest.fixture(scope="module")
def graph(example) -> LineageGraph:
    return graph_from_definitions(example.defs)


def test_the_story_is_the_true_answer(graph: LineageGraph) -> None:
    # every part of the story is in the example's graph (dbt, Airflow, Spark, exposure)
    present = {k[-1]: graph.get(k).asset_type.value for k in graph.keys}
    print("assets present:", present)
    assert {
        "raw_orders",
        "stg_orders",
        "fct_orders",
        "revenue_dashboard",
        "daily_revenue_report",
        "customer_ltv_model",
    } <= set(present)
    report = analyze_impact(graph, "raw_orders", STORY)
    assert report.risk is RiskLevel.HIGH
    sev = {a.key[-1]: a.severity.label for a in report.impacted}
    assert sev == {
        "stg_orders": "breaking",
        "fct_orders": "breaking",
        "daily_revenue_report": "breaking",
        "customer_ltv_model": "warning",
        "revenue_dashboard": "warning",
    }
    stg = report.get("stg_orders")
    assert set(stg.referenced_columns) == {"order_total", "legacy_discount_code"}
    fct = report.get("fct_orders")
    assert {(r.column.display(), r.output_column) for r in fct.references} >= {
        ("stg_orders.order_total", "order_total"),
        ("stg_orders.legacy_discount_code", "net_revenue"),
    }
    dag = report.get("daily_revenue_report")
    assert dag.asset_type.value == "dag"
    assert any(
        r.column.display() == "fct_orders.order_total" and r.usage is Usage.SELECT
        for r in dag.references
    )
    spark = report.get("customer_ltv_model")
    assert spark.asset_type.value == "spark_job"
    assert "net_revenue" in spark.referenced_columns
    dash = report.get("revenue_dashboard")
    assert dash.is_exposure
    assert "finance-analytics@example.com" in report.owners_to_notify
    assert "finance-analytics@example.com" in dash.owners


def test_impact_job_runs_in_dagster(example) -> None:
    # in process there is no code location: the same job, given the example's graph (a real run,
    # with the code location's own graph, is test_dagster_job_execute_on_the_example)
    from dagster_lineage import build_impact_check_job

    example_job = example.defs.resolve_job_def("impact_check_job")
    instance = dg.DagsterInstance.ephemeral()
    job = dg.Definitions(
        jobs=[
            build_impact_check_job(
                graph=example.defs, asset="raw_orders", changes=STORY, name=example_job.name
            )
        ]
    ).resolve_job_def("impact_check_job")
    blocked = job.execute_in_process(instance=instance)  # the story: default config
    # the verdict is a red check on raw_orders, not a crashed step
    assert blocked.success
    (ev,) = blocked.get_asset_check_evaluations()
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR
    assert "(risk HIGH)" in ev.description
    md = ev.metadata[REPORT_MD_KEY].value
    assert "`daily_revenue_report`" in md and "finance-analytics@example.com" in md
    assert instance.get_run_by_id(blocked.run_id).tags["dagster-lineage/verdict"] == "block"

    ok = job.execute_in_process(
        instance=instance,
        run_config=impact_run_config("raw_orders", [ColumnAdded("channel", "varchar")]),
    )
    assert ok.success
    assert ok.output_for_node("impact_check")["risk_level"] == "none"


def test_cli_on_the_example(example) -> None:
    # in process: the example module loaded by the fixture is the code location the CLI finds
    p = run_cli(
        "impact",
        "raw_orders",
        "--rename",
        "order_total:total_amount",
        "--drop",
        "legacy_discount_code",
        "-m",
        "example_project.definitions",
        "--format",
        "json",
        cwd=ROOT,
    )
    assert p.returncode == 1, p.stderr[-2000:]
    data = json.loads(p.stdout)
    assert data["risk_level"] == "high"
    assert {a["asset"]: a["severity"] for a in data["affected_assets"]}[
        "customer_ltv_model"
    ] == "warning"
    assert "finance-analytics@example.com" in data["owners_to_notify"]


def test_gate_and_drift_sensor_on_the_example_warehouse(example) -> None:
    from example_project import paths
    from example_project.defs.sensors import raw_orders_schema_drift_sensor

    instance = dg.DagsterInstance.ephemeral()
    job = example.defs.resolve_implicit_global_asset_job_def()
    selection = [dg.AssetKey(k) for k in ("raw_orders", "stg_orders", "fct_orders")]
    first = job.execute_in_process(instance=instance, asset_selection=selection)
    assert first.success
    gate = [e for e in first.get_asset_check_evaluations() if e.check_name == "schema_change_gate"]
    assert {tuple(e.asset_key.path) for e in gate} == {("stg_orders",), ("fct_orders",)}
    assert all(e.passed for e in gate)  # nothing recorded before this run

    # the preflight gate: the compiled dbt schemas match what was just materialized
    pre = example.defs.resolve_job_def("schema_change_gate_job").execute_in_process(
        instance=instance
    )
    evals = pre.get_asset_check_evaluations()
    assert len(evals) == 2 and all(e.passed for e in evals), [e.description for e in evals]
    assert all("matches" in (e.description or "") for e in evals), [e.description for e in evals]

    # the drift sensor on the real warehouse table
    sensor = raw_orders_schema_drift_sensor
    repo = example.defs.get_repository_def()
    base = sensor(dg.build_sensor_context(instance=instance, repository_def=repo))
    assert not base.asset_events
    con = duckdb.connect(str(paths.DUCKDB_PATH))
    con.execute("alter table main.raw_orders rename column order_total to total_amount")
    con.close()
    try:
        drift = sensor(
            dg.build_sensor_context(instance=instance, repository_def=repo, cursor=base.cursor)
        )
    finally:
        con = duckdb.connect(str(paths.DUCKDB_PATH))
        con.execute("alter table main.raw_orders rename column total_amount to order_total")
        con.close()
    (obs,) = drift.asset_events
    changes = obs.metadata["schema_changes"].value
    assert {"type": "column_drop", "column": "order_total"} in changes
    assert obs.metadata["risk_level"].value == "high"
    assert "`daily_revenue_report`" in obs.metadata[REPORT_MD_KEY].value
    (run,) = drift.run_requests
    assert run.run_config["ops"]["impact_check"]["config"]["asset"] == "raw_orders"


def test_dagster_job_execute_on_the_example(example, tmp_path: Path) -> None:
    """The job launched the way a user does, through ``dagster job execute`` (a real instance)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    p = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "job",
            "execute",
            "-m",
            "example_project.definitions",
            "-j",
            "impact_check_job",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = p.stdout + p.stderr
    # the verdict: logged as one line, a red check on raw_orders; the run itself succeeds
    assert p.returncode == 0, out
    assert "Schema change to raw_orders is breaking (risk HIGH)" in out
    instance = dg.DagsterInstance.from_config(str(home))
    (run,) = instance.get_run_records()
    assert run.dagster_run.status == dg.DagsterRunStatus.SUCCESS
    assert run.dagster_run.tags["dagster-lineage/risk"] == "high"
    (ev,) = instance.all_logs(
        run.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    )
    evaluation = ev.dagster_event.event_specific_data
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR

    # for CI through Dagster, fail_run: true also fails the run (exit code 1)
    config = tmp_path / "fail_run.yaml"
    run_config = impact_run_config(
        "raw_orders",
        [ColumnRenamed("order_total", "total_amount"), ColumnDropped("legacy_discount_code")],
    )
    run_config["ops"]["impact_check"]["config"]["fail_run"] = True
    config.write_text(json.dumps(run_config))  # JSON is YAML
    p = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "job", "execute"]
        + ["-m", "example_project.definitions", "-j", "impact_check_job", "-c", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert p.returncode != 0
    assert "Schema change to raw_orders is breaking (risk HIGH)" in p.stdout + p.stderr
    assert len(instance.get_run_records()) == 2
