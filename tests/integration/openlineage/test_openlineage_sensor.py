"""The run-status sensors emit START/COMPLETE/FAIL through the real OpenLineage client, configured
by ``OPENLINEAGE_URL`` (the client's usual way), to a loopback receiver: real Dagster runs on a
real instance, real DuckDB tables, row counts from the materializations."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_lineage.core.model import (
    AssetLineage,
    AssetType,
    ColumnDep,
    ColumnInfo,
    ColumnRef,
    EdgeKind,
)
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.defs.openlineage import build_openlineage_sensors
from dagster_lineage.exports.openlineage import OpenLineageNaming
from tests.integration.openlineage.receiver import Receiver, to_model

RAW = AssetLineage(
    key=("raw_orders",),
    asset_type=AssetType.TABLE,
    source_ref="main.raw_orders",
    columns=(ColumnInfo("order_id", "integer"), ColumnInfo("order_total", "decimal(10,2)")),
    code_checksum="raw1",
)
FCT = AssetLineage(
    key=("fct_orders",),
    asset_type=AssetType.ASSET,
    upstream=(("raw_orders",),),
    columns=(ColumnInfo("order_id", "integer"), ColumnInfo("total", "decimal(10,2)")),
    column_deps={
        "order_id": (ColumnDep(ColumnRef(("raw_orders",), "order_id")),),
        "total": (ColumnDep(ColumnRef(("raw_orders",), "order_total"), EdgeKind.RENAME),),
    },
    code_checksum="fct1",
)


def _defs(db: Path, fail: bool) -> dg.Definitions:
    @dg.asset(key="raw_orders", metadata=lineage_metadata(RAW))
    def raw_orders() -> dg.MaterializeResult:
        with duckdb.connect(str(db)) as conn:
            conn.execute(
                "create or replace table raw_orders as select * from (values "
                "(1, 10.50::decimal(10,2)), (2, 20.00), (3, 7.25)) t(order_id, order_total)"
            )
            rows = conn.execute("select count(*) from raw_orders").fetchone()[0]
        return dg.MaterializeResult(metadata={"dagster/row_count": rows})

    @dg.asset(
        key="fct_orders",
        deps=["raw_orders"],
        metadata={**lineage_metadata(FCT), "dagster/table_name": "shop.main.fct_orders"},
    )
    def fct_orders() -> dg.MaterializeResult:
        if fail:
            raise RuntimeError("warehouse said no")
        with duckdb.connect(str(db)) as conn:
            conn.execute(
                "create or replace table fct_orders as "
                "select order_id, order_total as total from raw_orders where order_total > 8"
            )
            rows = conn.execute("select count(*) from fct_orders").fetchone()[0]
        return dg.MaterializeResult(metadata={"dagster/row_count": rows})

    return dg.Definitions(assets=[raw_orders, fct_orders])


NAMING = OpenLineageNaming(
    dataset_namespace="duckdb:///shop.duckdb", database="shop", job_namespace="dagster-tests"
)


def _evaluate(
    sensor: dg.SensorDefinition, defs: dg.Definitions, instance, result, event_type
) -> None:
    run = instance.get_run_by_id(result.run_id)
    [event] = [
        r.event_log_entry.dagster_event
        for r in instance.get_records_for_run(result.run_id, of_type=event_type).records
    ]
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=run,
        repository_def=defs.get_repository_def(),
    )
    sensor(context)


def test_success_run_emits_start_and_complete_with_row_counts(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    monkeypatch.delenv("OPENLINEAGE_CONFIG", raising=False)
    defs = _defs(tmp_path / "shop.duckdb", fail=False)
    success, _ = build_openlineage_sensors(naming=NAMING)
    with dg.instance_for_test() as instance:
        result = dg.materialize(defs.assets, instance=instance)  # type: ignore[arg-type]
        assert result.success
        _evaluate(success, defs, instance, result, dg.DagsterEventType.RUN_SUCCESS)
    models = [to_model(e) for e in receiver.events]
    assert all(type(m).__name__ == "RunEvent" for m in models)
    job = result.dagster_run.job_name
    seen = [(e["eventType"], e["job"]["name"]) for e in receiver.events]
    assert seen[0] == ("START", job) and seen[-1] == ("COMPLETE", job)
    assert sorted(seen[1:-1]) == sorted(
        [
            ("START", "raw_orders"),
            ("COMPLETE", "raw_orders"),
            ("START", "fct_orders"),
            ("COMPLETE", "fct_orders"),
        ]
    )
    run_id = receiver.events[0]["run"]["runId"]
    assert run_id == result.run_id  # the Dagster run id is the OpenLineage run id
    complete = {
        e["job"]["name"]: e
        for e in receiver.events
        if e["eventType"] == "COMPLETE" and e["job"]["name"] != job
    }
    fct = complete["fct_orders"]
    assert fct["run"]["facets"]["parent"]["run"]["runId"] == run_id
    assert fct["job"]["namespace"] == "dagster-tests"
    [output] = fct["outputs"]
    assert (output["namespace"], output["name"]) == (
        "duckdb:///shop.duckdb",
        "shop.main.fct_orders",
    )
    with duckdb.connect(str(tmp_path / "shop.duckdb"), read_only=True) as conn:
        rows = conn.execute("select count(*) from fct_orders").fetchone()[0]
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == rows == 2
    [total] = output["facets"]["columnLineage"]["fields"]["total"]["inputFields"]
    assert (total["name"], total["field"]) == ("shop.main.raw_orders", "order_total")
    assert total["transformations"][0]["subtype"] == "IDENTITY"
    assert [d["name"] for d in fct["inputs"]] == ["shop.main.raw_orders"]
    assert complete["raw_orders"]["outputs"][0]["outputFacets"]["outputStatistics"]["rowCount"] == 3


def test_failed_run_emits_fail_for_the_run_and_the_asset(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENLINEAGE_URL", receiver.url)
    defs = _defs(tmp_path / "shop.duckdb", fail=True)
    _, failure = build_openlineage_sensors(naming=NAMING)
    with dg.instance_for_test() as instance:
        result = dg.materialize(defs.assets, instance=instance, raise_on_error=False)  # type: ignore[arg-type]
        assert not result.success
        _evaluate(failure, defs, instance, result, dg.DagsterEventType.RUN_FAILURE)
    for e in receiver.events:
        to_model(e)
    job = result.dagster_run.job_name
    final = {(e["eventType"], e["job"]["name"]) for e in receiver.events}
    assert ("FAIL", job) in final
    assert ("FAIL", "fct_orders") in final and ("COMPLETE", "raw_orders") in final
    [run_fail] = [
        e for e in receiver.events if e["eventType"] == "FAIL" and e["job"]["name"] == job
    ]
    assert "errorMessage" in run_fail["run"]["facets"]
