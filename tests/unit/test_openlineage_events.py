"""The pure OpenLineage builder: every edge kind and clause has a spec subtype, output is stable."""

from __future__ import annotations

import json

from dagster_lineage.core.model import (
    AssetLineage,
    AssetType,
    Clause,
    ColumnDep,
    ColumnInfo,
    ColumnRead,
    ColumnRef,
    EdgeKind,
)
from dagster_lineage.exports.openlineage import (
    DIRECT_SUBTYPES,
    INDIRECT_SUBTYPES,
    AssetRun,
    OpenLineageNaming,
    build_openlineage_events,
    build_run_events,
    event_to_json,
)

# the subtypes the OpenLineage column-lineage spec defines (ColumnLineageDatasetFacet 1-2-0)
SPEC_DIRECT = {"IDENTITY", "TRANSFORMATION", "AGGREGATION"}
SPEC_INDIRECT = {"JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL"}

RAW = AssetLineage(
    key=("raw",),
    asset_type=AssetType.TABLE,
    source_ref="main.raw",
    columns=(ColumnInfo("x", "integer"), ColumnInfo("k", "varchar")),
)
OUT = AssetLineage(
    key=("mart", "out"),
    upstream=(("raw",),),
    columns=(ColumnInfo("total", "bigint"),),
    column_deps={"total": (ColumnDep(ColumnRef(("raw",), "x"), EdgeKind.AGGREGATION),)},
    indirect_deps={"total": (ColumnRead(ColumnRef(("raw",), "k"), Clause.GROUP),)},
    reads=tuple(ColumnRead(ColumnRef(("raw",), "k"), c) for c in Clause),
    code_checksum="c",
)
NAMING = OpenLineageNaming(dataset_namespace="duckdb:///w.duckdb", database="w", job_namespace="j")


def test_every_kind_and_clause_maps_to_a_spec_subtype() -> None:
    assert set(DIRECT_SUBTYPES) == set(EdgeKind)
    assert set(DIRECT_SUBTYPES.values()) <= SPEC_DIRECT
    assert set(INDIRECT_SUBTYPES) == set(Clause)
    assert {v for v in INDIRECT_SUBTYPES.values() if v} <= SPEC_INDIRECT


def test_output_is_deterministic_and_complete() -> None:
    when = "2026-01-01T00:00:00+00:00"
    a = [
        event_to_json(e)
        for e in build_openlineage_events([RAW, OUT], naming=NAMING, event_time=when)
    ]
    b = [
        event_to_json(e)
        for e in build_openlineage_events([OUT, RAW], naming=NAMING, event_time=when)
    ]
    assert a == b
    job = json.loads(a[-1])
    assert job["job"] == {"namespace": "j", "name": "mart/out", "facets": job["job"]["facets"]}
    lineage = job["outputs"][0]["facets"]["columnLineage"]
    [k, x] = lineage["fields"]["total"]["inputFields"]  # sorted by dataset, then column
    assert (x["field"], x["transformations"][0]["subtype"]) == ("x", "AGGREGATION")
    assert (k["field"], k["transformations"][0]["type"], k["transformations"][0]["subtype"]) == (
        "k",
        "INDIRECT",
        "GROUP_BY",
    )
    # one dataset-level input per read column, one transformation per clause
    [read] = lineage["dataset"]
    assert read["name"] == "w.main.raw"
    assert len(read["transformations"]) == len(Clause)


def test_run_events_are_idempotent_per_run_and_asset() -> None:
    kwargs = dict(
        run_id="not-a-uuid",
        job_name="job",
        succeeded=True,
        assets=[AssetRun(("mart", "out"), succeeded=True, row_count=5)],
        start_time="2026-01-01T00:00:00+00:00",
        end_time="2026-01-01T00:01:00+00:00",
        naming=NAMING,
    )
    first = build_run_events([RAW, OUT], **kwargs)  # type: ignore[arg-type]
    second = build_run_events([RAW, OUT], **kwargs)  # type: ignore[arg-type]
    assert [e.run.runId for e in first] == [e.run.runId for e in second]
    assert len({e.run.runId for e in first}) == 2  # the Dagster run and the asset's child run
