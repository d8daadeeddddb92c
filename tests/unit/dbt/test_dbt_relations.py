"""dbt shapes of large projects, on hand-written compiled manifests: ephemeral models, relations
read by name (no ref), incremental models reading themselves ({{ this }})."""

from __future__ import annotations

from typing import Any

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import EdgeKind
from dagster_lineage.integrations.dbt import analyse_dbt_manifest
from dagster_lineage.integrations.dbt.analysis import BY_NAME_TAG


def _node(
    name: str,
    sql: str | None,
    deps: list[str],
    *,
    schema: str = "main",
    materialized: str = "table",
    columns: dict[str, str] | None = None,
    kind: str = "model",
    package: str = "p",
) -> dict[str, Any]:
    return {
        "unique_id": f"{kind}.{package}.{name}",
        "resource_type": kind,
        "name": name,
        "alias": name,
        "database": "wh",
        "schema": schema,
        "relation_name": None if materialized == "ephemeral" else f'"wh"."{schema}"."{name}"',
        "config": {"materialized": materialized},
        "depends_on": {"nodes": deps},
        "compiled_code": sql,
        "original_file_path": f"models/{name}.sql",
        "columns": {c: {"name": c, "data_type": t} for c, t in (columns or {}).items()},
    }


def _manifest(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {n["unique_id"]: n for n in nodes},
        "sources": {},
        "exposures": {},
    }


RAW = _node("raw", None, [], kind="seed", columns={"id": "integer", "amount": "integer"})
EPH = _node(
    "eph",
    'select id, amount * 2 as doubled from "wh"."main"."raw"',
    ["seed.p.raw"],
    materialized="ephemeral",
)
CONSUMER = _node(
    "consumer",
    'with __dbt__cte__eph as (select id, amount * 2 as doubled from "wh"."main"."raw") '
    "select id, doubled, row_number() over (order by doubled) as rn from __dbt__cte__eph",
    ["model.p.eph"],
)


def test_ephemeral_models_pass_lineage_through_and_are_no_assets() -> None:
    records = analyse_dbt_manifest(_manifest(RAW, EPH, CONSUMER)).records
    assert "model.p.eph" not in records  # inlined into its consumers: no asset, no graph node
    rec = records["model.p.consumer"]
    assert rec.upstream == (("raw",),)
    assert [(d.upstream.display(), d.kind) for d in rec.column_deps["doubled"]] == [
        ("raw.amount", EdgeKind.TRANSFORMATION)
    ]
    assert [r.upstream.display() for r in rec.indirect_deps["rn"]] == ["raw.amount"]
    assert rec.unknowns == ()
    graph = LineageGraph.from_records(records.values())
    assert sorted(graph.keys) == [("consumer",), ("raw",)]


def test_ephemeral_on_ephemeral_resolves_to_the_first_real_asset() -> None:
    eph2 = _node("eph2", "select * from __dbt__cte__eph", ["model.p.eph"], materialized="ephemeral")
    top = _node(
        "top",
        'with __dbt__cte__eph as (select id, amount from "wh"."main"."raw"), '
        "__dbt__cte__eph2 as (select * from __dbt__cte__eph) select id from __dbt__cte__eph2",
        ["model.p.eph2"],
    )
    rec = analyse_dbt_manifest(_manifest(RAW, EPH, eph2, top)).records["model.p.top"]
    assert rec.upstream == (("raw",),)
    assert rec.column_deps["id"][0].upstream.display() == "raw.id"
    assert rec.unknowns == ()


def test_relation_read_by_name_resolves_to_the_one_node_and_says_how() -> None:
    by_name = _node("by_name", 'select id from "wh"."main"."raw"', [])
    rec = analyse_dbt_manifest(_manifest(RAW, by_name)).records["model.p.by_name"]
    assert rec.upstream == (("raw",),)
    assert rec.column_deps["id"][0].upstream.display() == "raw.id"
    assert rec.unknowns == ()
    assert rec.tags[BY_NAME_TAG] == "wh.main.raw -> seed.p.raw"


def test_relation_read_by_a_short_name_matching_two_nodes_is_an_unknown_naming_them() -> None:
    a = _node("orders", "select 1 as id", [], schema="sales")
    b = _node("orders", "select 2 as id", [], schema="finance", package="q")
    reader = _node("reader", "select id from orders", [])
    rec = analyse_dbt_manifest(_manifest(a, b, reader)).records["model.p.reader"]
    assert rec.upstream == ()
    (unknown,) = rec.unknowns
    assert unknown.reason == (
        "table 'orders' is not a known asset (it is no ref() or source() and names several dbt "
        "relations: model.p.orders, model.q.orders): its columns are left out of the lineage"
    )


def test_incremental_model_reading_itself_resolves_this_without_unknowns() -> None:
    inc = _node(
        "inc",
        'select id, amount, current_timestamp as loaded_at from "wh"."main"."raw" '
        'where id > (select max(id) from "wh"."main"."inc")',
        ["seed.p.raw"],
        materialized="incremental",
    )
    rec = analyse_dbt_manifest(_manifest(RAW, inc)).records["model.p.inc"]
    assert rec.unknowns == ()
    assert rec.upstream == (("raw",),)  # not itself: the graph stays acyclic
    assert rec.column_deps["amount"][0].upstream.display() == "raw.amount"
    assert {r.upstream.display() for r in rec.reads} == {"raw.id"}
