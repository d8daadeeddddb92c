"""``build_schema_drift_checks`` is Dagster's ``build_column_schema_change_checks`` verdict with our
impact report added: real runs on a real instance, the verdict compared with Dagster's own check."""

from __future__ import annotations

import dagster as dg

from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.defs.schema_drift import build_schema_drift_checks

SRC = AssetLineage(key=("src",), columns=(ColumnInfo("a", "integer"), ColumnInfo("b", "integer")))
DST = AssetLineage(
    key=("dst",),
    upstream=(("src",),),
    columns=(ColumnInfo("b", "integer"),),
    column_deps={"b": (ColumnDep(ColumnRef(("src",), "b")),)},
)


def _defs(columns: list[tuple[str, str]], *, blocking: bool = False) -> dg.Definitions:
    @dg.asset(key="src", metadata=lineage_metadata(SRC))
    def src() -> dg.MaterializeResult:
        schema = dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in columns])
        return dg.MaterializeResult(metadata={"dagster/column_schema": schema})

    @dg.asset(key="dst", deps=["src"], metadata=lineage_metadata(DST))
    def dst() -> None:
        return None

    return dg.Definitions(
        assets=[src, dst],
        asset_checks=build_schema_drift_checks(
            assets=["src"], severity=dg.AssetCheckSeverity.ERROR, blocking=blocking
        ),
    )


def _run(defs: dg.Definitions, instance: dg.DagsterInstance, raise_on_error: bool = True):
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(instance=instance, raise_on_error=raise_on_error)


def _dagsters_own(instance: dg.DagsterInstance) -> dg.AssetCheckResult:
    [checks] = dg.build_column_schema_change_checks(
        assets=["src"], severity=dg.AssetCheckSeverity.ERROR
    )
    [result] = list(checks(dg.build_asset_check_context(instance=instance)))
    return result


def test_verdict_is_dagsters_and_the_impact_report_is_added() -> None:
    with dg.instance_for_test() as instance:
        first = _run(_defs([("a", "integer"), ("b", "integer")]), instance)
        [e1] = first.get_asset_check_evaluations()
        assert e1.passed and e1.description == _dagsters_own(instance).description
        assert e1.metadata["dagster_check"].value == "column_schema_change"

        second = _run(_defs([("a", "bigint")]), instance)
        [e2] = second.get_asset_check_evaluations()
        own = _dagsters_own(instance)
        assert (
            (e2.passed, e2.severity)
            == (own.passed, own.severity)
            == (
                False,
                dg.AssetCheckSeverity.ERROR,
            )
        )
        assert e2.metadata["dagster_description"].value == own.description
        assert "Removed columns: b" in own.description
        assert e2.description == "removed: b; retyped: a integer -> bigint"
        assert e2.metadata["removed"].value == ["b"]
        # our addition: dst selects src.b by name, so dropping it breaks dst
        assert e2.metadata["breaking"].value == 1
        assert "dst" in e2.metadata["impact_report"].value
        assert e2.metadata["risk_level"].value in ("medium", "high")

        # same schema again: Dagster says unchanged, and so do we
        third = _run(_defs([("a", "bigint")]), instance)
        [e3] = third.get_asset_check_evaluations()
        assert e3.passed and e3.passed == _dagsters_own(instance).passed


def test_type_spelling_only_is_not_drift_and_says_why() -> None:
    with dg.instance_for_test() as instance:
        _run(_defs([("a", "decimal(10,2)"), ("b", "integer")]), instance)
        result = _run(_defs([("a", "DECIMAL(10, 2)"), ("b", "INTEGER")]), instance)
        [e] = result.get_asset_check_evaluations()
        assert not _dagsters_own(instance).passed  # Dagster compares raw type strings
        assert e.passed
        assert "normalised" in (e.description or "") and "column_schema_change" in e.description


def test_blocking_drift_stops_the_downstream_asset() -> None:
    with dg.instance_for_test() as instance:
        _run(_defs([("a", "integer"), ("b", "integer")], blocking=True), instance)
        result = _run(_defs([("a", "integer")], blocking=True), instance, raise_on_error=False)
        assert not result.success
        materialized = {e.asset_key for e in result.get_asset_materialization_events()}
        assert dg.AssetKey("src") in materialized and dg.AssetKey("dst") not in materialized
