"""The impact op/job, the schema-change gate and the drift sensor, run for real in Dagster."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from impact_story import story_records

from dagster_lineage import lineage_metadata
from dagster_lineage.core.model import (
    AssetLineage,
    AssetType,
    ColumnDep,
    ColumnInfo,
    ColumnRef,
    EdgeKind,
)
from dagster_lineage.defs.impact import (
    REPORT_MD_KEY,
    assert_no_breaking_schema_change,
    build_impact_check_job,
    build_schema_change_gate_checks,
    build_schema_change_gate_job,
    build_schema_drift_impact_sensor,
    impact_run_config,
)
from dagster_lineage.impact.schema_changes import ColumnAdded, ColumnDropped, ColumnRenamed


def story_specs() -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(list(r.key), deps=[list(k) for k in r.upstream], metadata=lineage_metadata(r))
        for r in story_records()
    ]


def failure_metadata(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    return event.step_failure_data.user_failure_data.metadata


BREAKING_RUN = impact_run_config(
    "raw_orders",
    [ColumnRenamed("order_total", "total_amount"), ColumnDropped("legacy_discount_code")],
)


def test_job_verdict_on_breaking_is_an_error_check_with_the_report() -> None:
    # in-process execution has no repository: the graph comes from the Definitions given
    job = build_impact_check_job(graph=lambda: defs)
    defs = dg.Definitions(assets=story_specs(), jobs=[job])
    instance = dg.DagsterInstance.ephemeral()
    result = defs.get_job_def("impact_check_job").execute_in_process(
        run_config=BREAKING_RUN, instance=instance
    )
    # an expected verdict is not a crash: no step failure (and so no stack trace), a red check
    assert result.success
    (ev,) = result.get_asset_check_evaluations()
    assert ev.asset_key == dg.AssetKey("raw_orders") and ev.check_name == "impact_check"
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR
    assert ev.description.startswith("Schema change to raw_orders is breaking (risk HIGH)")
    assert "policy: block (default for a critical asset" in ev.description
    md = ev.metadata
    assert md["verdict"].value == ev.description
    report = md[REPORT_MD_KEY].value
    assert "risk **HIGH**" in report and "**Policy:** blocks" in report
    assert "finance-analytics@example.com" in report
    assert md["breaking"].value == 3
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags["dagster-lineage/asset"] == "raw_orders"
    assert tags["dagster-lineage/risk"] == "high"
    assert tags["dagster-lineage/verdict"] == "block"


def test_job_fail_run_also_fails_the_run_with_the_verdict() -> None:
    job = build_impact_check_job(graph=lambda: defs)
    defs = dg.Definitions(assets=story_specs(), jobs=[job])
    config = {"ops": {"impact_check": {"config": {**_op_config(BREAKING_RUN), "fail_run": True}}}}
    result = defs.get_job_def("impact_check_job").execute_in_process(
        run_config=config, raise_on_error=False
    )
    assert not result.success
    assert failure_metadata(result)["breaking"].value == 3


def _op_config(run_config: dict) -> dict:
    return dict(run_config["ops"]["impact_check"]["config"])


def test_job_verdict_follows_a_warn_policy_on_the_assets() -> None:
    # every breaking asset declares on_breaking: warn (a Dagster tag: the Python API)
    breaking = {"stg_orders", "fct_orders", "daily_revenue_report"}
    specs = [
        s.replace_attributes(tags={"dagster_lineage/on_breaking": "warn"})
        if s.key.path[-1] in breaking
        else s
        for s in story_specs()
    ]
    job = build_impact_check_job(graph=lambda: defs)
    defs = dg.Definitions(assets=specs, jobs=[job])
    result = defs.get_job_def("impact_check_job").execute_in_process(run_config=BREAKING_RUN)
    (ev,) = result.get_asset_check_evaluations()
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
    assert "policy: warn (on_breaking: warn, set on the breaking asset" in ev.description
    assert "**Policy:** warns" in ev.metadata[REPORT_MD_KEY].value


def test_job_succeeds_on_an_additive_change_with_the_report_attached() -> None:
    job = build_impact_check_job(
        graph=lambda: defs, asset="raw_orders", changes=[ColumnAdded("channel", "varchar")]
    )
    defs = dg.Definitions(assets=story_specs(), jobs=[job])
    result = defs.get_job_def("impact_check_job").execute_in_process()
    assert result.success
    assert result.output_for_node("impact_check")["risk_level"] == "none"
    (ev,) = result.get_asset_check_evaluations()
    assert ev.passed and "affects nothing downstream" in ev.description
    (mat,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_OUTPUT]
    assert "risk **NONE**" in mat.step_output_data.metadata[REPORT_MD_KEY].value


def test_job_bad_input_is_a_failure_with_our_message() -> None:
    defs = dg.Definitions(assets=story_specs(), jobs=[build_impact_check_job(graph=lambda: defs)])
    result = defs.get_job_def("impact_check_job").execute_in_process(
        run_config=impact_run_config("raw_order", [ColumnDropped("status")]), raise_on_error=False
    )
    assert not result.success
    (event,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "Did you mean: raw_orders" in event.step_failure_data.user_failure_data.description


# --- the schema-change gate -----------------------------------------------------------------


def _model_record(column: str) -> AssetLineage:
    return AssetLineage(
        key=("model",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("src",),),
        columns=(ColumnInfo("id", "integer"), ColumnInfo(column, "double")),
        column_deps={
            "id": (ColumnDep(ColumnRef(("src",), "id")),),
            column: (
                ColumnDep(
                    ColumnRef(("src",), "amount"),
                    EdgeKind.RENAME if column != "amount" else EdgeKind.IDENTITY,
                ),
            ),
        },
    )


def _model_asset(column: str) -> dg.AssetsDefinition:
    rec = _model_record(column)

    @dg.asset(name="model", deps=["src"], metadata=lineage_metadata(rec))
    def model() -> dg.MaterializeResult:
        return dg.MaterializeResult(
            metadata={
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(c.name, c.data_type or "unknown") for c in rec.columns]
                )
            }
        )

    return model


CONSUMER = AssetLineage(
    key=("consumer",),
    upstream=(("model",),),
    columns=(ColumnInfo("total"),),
    column_deps={"total": (ColumnDep(ColumnRef(("model",), "amount"), EdgeKind.AGGREGATION),)},
)


@dg.asset(name="consumer", deps=["model"], metadata=lineage_metadata(CONSUMER))
def consumer() -> None:
    return None


def test_gate_blocks_downstream_when_the_new_schema_breaks_it() -> None:
    instance = dg.DagsterInstance.ephemeral()
    src = dg.AssetSpec("src")
    old = _model_asset("amount")
    first_checks = build_schema_change_gate_checks(assets=[old])
    first = dg.materialize(
        [src, old, consumer, *first_checks], instance=instance, selection=["model", "consumer"]
    )
    assert first.success  # nothing recorded before: the gate passes

    new = _model_asset("total_amount")  # the model's SQL now renames amount -> total_amount
    # in-process runs have no repository: give the gate the whole graph
    checks = build_schema_change_gate_checks(
        assets=[new], graph=lambda: dg.Definitions(assets=[src, new, consumer])
    )
    # preflight: the gate job runs the checks alone, before materializing
    defs = dg.Definitions(
        assets=[src, new, consumer],
        asset_checks=checks,
        jobs=[build_schema_change_gate_job(checks=checks)],
    )
    pre = defs.resolve_job_def("schema_change_gate_job").execute_in_process(
        instance=instance, raise_on_error=False
    )
    (evaluation,) = pre.get_asset_check_evaluations()
    assert not evaluation.passed
    assert "rename column amount -> total_amount" in evaluation.description
    assert "`consumer`" in evaluation.metadata[REPORT_MD_KEY].value

    # in a materialization run, the blocking check stops the consumer
    result = dg.materialize(
        [src, new, consumer, *checks],
        instance=instance,
        selection=["model", "consumer"],
        raise_on_error=False,
    )
    assert not result.success
    mats = {tuple(e.asset_key.path) for e in result.get_asset_materialization_events()}
    assert ("consumer",) not in mats and ("model",) in mats
    (ev,) = result.get_asset_check_evaluations()
    assert not ev.passed


def test_gate_passes_an_additive_schema_change() -> None:
    instance = dg.DagsterInstance.ephemeral()
    src = dg.AssetSpec("src")
    dg.materialize([src, _model_asset("amount"), consumer], instance=instance, selection=["model"])
    rec = _model_record("amount")
    rec2 = AssetLineage(
        key=rec.key,
        asset_type=rec.asset_type,
        upstream=rec.upstream,
        columns=rec.columns + (ColumnInfo("note", "varchar"),),
        column_deps=rec.column_deps,
    )

    @dg.asset(name="model", deps=["src"], metadata=lineage_metadata(rec2))
    def model2() -> None:
        return None

    checks = build_schema_change_gate_checks(
        assets=[model2], graph=lambda: dg.Definitions(assets=[src, model2, consumer])
    )
    result = dg.materialize(
        [src, model2, consumer, *checks], instance=instance, selection=["model", "consumer"]
    )
    assert result.success
    (ev,) = result.get_asset_check_evaluations()
    assert ev.passed and "add column note" in ev.description


# --- the drift sensor -----------------------------------------------------------------------


def test_drift_sensor_on_a_real_duckdb_table(tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "create table main.raw_orders (order_id integer, customer_id integer, order_total decimal(10,2), "
        "legacy_discount_code varchar, ordered_at timestamp, status varchar)"
    )
    con.close()
    job = build_impact_check_job(graph=lambda: defs)
    sensor = build_schema_drift_impact_sensor(
        tables={"raw_orders": "main.raw_orders"}, database=str(db), job=job
    )
    defs = dg.Definitions(assets=story_specs(), jobs=[job], sensors=[sensor])
    repo = defs.get_repository_def()
    instance = dg.DagsterInstance.ephemeral()

    first = sensor(dg.build_sensor_context(instance=instance, repository_def=repo))
    assert isinstance(first, dg.SensorResult) and not first.asset_events
    cursor = first.cursor
    assert json.loads(cursor)["schemas"]["raw_orders"][2] == ["order_total", "DECIMAL(10,2)"]

    same = sensor(dg.build_sensor_context(instance=instance, repository_def=repo, cursor=cursor))
    assert not same.asset_events

    con = duckdb.connect(str(db))
    con.execute("alter table main.raw_orders drop column legacy_discount_code")
    con.close()
    drift = sensor(dg.build_sensor_context(instance=instance, repository_def=repo, cursor=cursor))
    (obs,) = drift.asset_events
    assert obs.asset_key == dg.AssetKey("raw_orders")
    assert obs.metadata["schema_changes"].value == [
        {"type": "column_drop", "column": "legacy_discount_code"}
    ]
    assert obs.metadata["risk_level"].value == "high"
    assert "`stg_orders`" in obs.metadata[REPORT_MD_KEY].value
    (run,) = drift.run_requests
    assert run.tags["dagster-lineage/asset"] == "raw_orders"
    assert run.tags["dagster-lineage/risk"] == "high"
    assert run.tags["dagster-lineage/verdict"] == "block"
    # the requested run's verdict: a red check on the drifted table
    result = defs.get_job_def("impact_check_job").execute_in_process(run_config=run.run_config)
    (ev,) = result.get_asset_check_evaluations()
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.ERROR
    # a broken cursor is reset with a log line, not an error
    reset = sensor(
        dg.build_sensor_context(instance=instance, repository_def=repo, cursor="{not json")
    )
    assert not reset.asset_events and json.loads(reset.cursor)["version"] == 1


@pytest.mark.parametrize("bad_table", ["main.no_such_table"])
def test_drift_sensor_survives_a_missing_table(tmp_path: Path, bad_table: str) -> None:
    db = tmp_path / "w.duckdb"
    duckdb.connect(str(db)).close()
    sensor = build_schema_drift_impact_sensor(tables={"raw_orders": bad_table}, database=str(db))
    res = sensor(dg.build_sensor_context(instance=dg.DagsterInstance.ephemeral()))
    assert not res.asset_events


def test_in_body_gate_blocks_the_materialization_itself() -> None:
    from dagster_lineage.defs.impact import assert_no_breaking_schema_change

    instance = dg.DagsterInstance.ephemeral()
    src = dg.AssetSpec("src")
    dg.materialize([src, _model_asset("amount"), consumer], instance=instance, selection=["model"])
    rec = _model_record("total_amount")
    ran = []

    @dg.asset(name="model", deps=["src"], metadata=lineage_metadata(rec))
    def gated(context) -> None:  # noqa: ANN001
        assert_no_breaking_schema_change(
            context, graph=lambda: dg.Definitions(assets=[src, gated, consumer])
        )
        ran.append(True)

    result = dg.materialize(
        [src, gated, consumer], instance=instance, selection=["model"], raise_on_error=False
    )
    assert not result.success and ran == []
    (event,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    failure = event.step_failure_data.user_failure_data
    assert "Materialization of model blocked" in failure.description
    assert "`consumer`" in failure.metadata[REPORT_MD_KEY].value
    assert result.get_asset_materialization_events() == []


# --- the gate check and the in-asset gate agree, under each policy -----------------------------


@pytest.mark.parametrize(
    ("policy", "blocks"),
    [(None, True), ("block", True), ("warn", False)],
    ids=["default", "block", "warn"],
)
def test_gate_check_and_in_asset_gate_agree(policy: str | None, blocks: bool) -> None:
    # the consumer breaks when model renames amount -> total_amount; its policy decides
    tags = {"dagster_lineage/on_breaking": policy} if policy else {}

    def make_consumer() -> dg.AssetsDefinition:
        @dg.asset(name="consumer", deps=["model"], metadata=lineage_metadata(CONSUMER), tags=tags)
        def _consumer() -> None:
            return None

        return _consumer

    src = dg.AssetSpec("src")
    # 1. the gate check, in the gate job
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([src, _model_asset("amount")], instance=instance, selection=["model"])
    new, cons = _model_asset("total_amount"), make_consumer()
    checks = build_schema_change_gate_checks(
        assets=[new], graph=lambda: dg.Definitions(assets=[src, new, cons])
    )
    defs = dg.Definitions(
        assets=[src, new, cons],
        asset_checks=checks,
        jobs=[build_schema_change_gate_job(checks=checks)],
    )
    pre = defs.resolve_job_def("schema_change_gate_job").execute_in_process(
        instance=instance, raise_on_error=False
    )
    (ev,) = pre.get_asset_check_evaluations()
    assert not ev.passed
    expected = dg.AssetCheckSeverity.ERROR if blocks else dg.AssetCheckSeverity.WARN
    assert ev.severity == expected
    assert ev.metadata["verdict"].value in ev.description

    # 2. the in-asset gate on the same change, in a fresh instance
    instance = dg.DagsterInstance.ephemeral()
    dg.materialize([src, _model_asset("amount")], instance=instance, selection=["model"])
    rec = _model_record("total_amount")
    ran = []

    @dg.asset(name="model", deps=["src"], metadata=lineage_metadata(rec))
    def gated(context) -> None:  # noqa: ANN001
        assert_no_breaking_schema_change(
            context, graph=lambda: dg.Definitions(assets=[src, gated, cons])
        )
        ran.append(True)

    result = dg.materialize(
        [src, gated, cons], instance=instance, selection=["model"], raise_on_error=False
    )
    assert result.success is (not blocks)
    assert ran == ([] if blocks else [True])
    if blocks:
        (event,) = [
            e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE
        ]
        assert ev.metadata["verdict"].value in event.step_failure_data.user_failure_data.description
