"""The deploy-diff sensor on real Dagster definitions: record, compare, report."""

from __future__ import annotations

import dagster as dg

from dagster_lineage import AssetLineage, lineage_metadata
from dagster_lineage.core.model import AssetType, ColumnDep, ColumnInfo, ColumnRef, EdgeKind
from dagster_lineage.defs.deploy_diff import REPORT_METADATA_KEY, build_deploy_diff_sensor


def _defs(amount_name: str, checksum: str) -> dg.Definitions:
    raw = AssetLineage(
        key=("raw_orders",),
        asset_type=AssetType.TABLE,
        columns=(ColumnInfo("order_id", "int"), ColumnInfo("order_total", "double")),
        code_checksum="raw",
    )
    stg = AssetLineage(
        key=("stg_orders",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("raw_orders",),),
        columns=(ColumnInfo("order_id", "int"), ColumnInfo(amount_name, "double")),
        column_deps={
            "order_id": (ColumnDep(ColumnRef(("raw_orders",), "order_id")),),
            amount_name: (
                ColumnDep(
                    ColumnRef(("raw_orders",), "order_total"),
                    EdgeKind.IDENTITY if amount_name == "order_total" else EdgeKind.RENAME,
                ),
            ),
        },
        code_checksum=checksum,
    )
    fct = AssetLineage(
        key=("fct_orders",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("stg_orders",),),
        columns=(ColumnInfo("order_total", "double"),),
        column_deps={"order_total": (ColumnDep(ColumnRef(("stg_orders",), "order_total")),)},
        code_checksum="fct",
        owners=("finance@example.com",),
    )
    specs = [
        dg.AssetSpec("raw_orders", metadata=lineage_metadata(raw)),
        dg.AssetSpec("stg_orders", deps=["raw_orders"], metadata=lineage_metadata(stg)),
        dg.AssetSpec(
            "fct_orders",
            deps=["stg_orders"],
            metadata=lineage_metadata(fct),
            owners=list(fct.owners),
        ),
    ]
    return dg.Definitions(assets=specs, sensors=[build_deploy_diff_sensor()])


def _tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None
) -> dg.SensorResult:
    sensor = defs.get_sensor_def("dagster_lineage_deploy_diff_sensor")
    ctx = dg.build_sensor_context(
        instance=instance, cursor=cursor, repository_def=defs.get_repository_def()
    )
    result = sensor(ctx)
    assert isinstance(result, dg.SensorResult)
    return result


def _skip(result: dg.SensorResult) -> str:
    assert result.skip_reason is not None
    return result.skip_reason.skip_message or ""


def test_sensor_reports_what_a_deploy_changed_and_breaks() -> None:
    with dg.instance_for_test() as instance:
        v1 = _defs("order_total", "stg-1")
        first = _tick(v1, instance, None)
        assert _skip(first).startswith("recorded the lineage state of 3")
        assert first.cursor
        same = _tick(v1, instance, first.cursor)
        assert _skip(same) == "no lineage change since the last tick"
        assert not same.asset_events

        v2 = _defs("total_amount", "stg-2")  # the deploy renames stg_orders.order_total
        changed = _tick(v2, instance, first.cursor)
        (obs,) = changed.asset_events
        assert isinstance(obs, dg.AssetObservation)
        assert obs.asset_key == dg.AssetKey("stg_orders")
        md = obs.metadata[REPORT_METADATA_KEY].value
        assert "renamed" in md and "`fct_orders`" in md and "✖ breaking" in md
        assert obs.metadata["dagster_lineage/deploy_category"].value == "breaking"
        assert obs.metadata["dagster_lineage/downstream_severity"].value == "breaking"
        # the new state is remembered: the next tick of the same deploy is quiet
        again = _tick(v2, instance, changed.cursor)
        assert _skip(again) == "no lineage change since the last tick"


def test_unreadable_cursor_is_reset() -> None:
    with dg.instance_for_test() as instance:
        result = _tick(_defs("order_total", "stg-1"), instance, '{"version": 0}')
        assert _skip(result).startswith("recorded the lineage state")
