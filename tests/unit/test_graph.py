from __future__ import annotations

import pytest

from dagster_lineage.core.graph import Direction, LineageGraph
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
from dagster_lineage.errors import LineageCycleError, UnknownAssetError, UnknownColumnError

RAW, STG, FCT, DAG, SPARK = ("raw_orders",), ("stg_orders",), ("fct_orders",), ("daily",), ("ltv",)


def _dep(asset, col, kind=EdgeKind.IDENTITY):
    return (ColumnDep(ColumnRef(asset, col), kind),)


@pytest.fixture
def graph() -> LineageGraph:
    return LineageGraph.from_records(
        [
            AssetLineage(
                key=RAW,
                asset_type=AssetType.TABLE,
                columns=(ColumnInfo("order_id"), ColumnInfo("order_total"), ColumnInfo("status")),
            ),
            AssetLineage(
                key=STG,
                asset_type=AssetType.DBT_MODEL,
                upstream=(RAW,),
                columns=(ColumnInfo("order_id"), ColumnInfo("amount")),
                column_deps={
                    "order_id": _dep(RAW, "order_id"),
                    "amount": _dep(RAW, "order_total", EdgeKind.RENAME),
                },
                reads=(ColumnRead(ColumnRef(RAW, "status"), Clause.FILTER),),
            ),
            AssetLineage(
                key=FCT,
                asset_type=AssetType.DBT_MODEL,
                upstream=(STG,),
                columns=(ColumnInfo("order_id"), ColumnInfo("amount_usd")),
                column_deps={
                    "order_id": _dep(STG, "order_id"),
                    "amount_usd": _dep(STG, "amount", EdgeKind.TRANSFORMATION),
                },
            ),
            AssetLineage(key=DAG, asset_type=AssetType.DAG, upstream=(FCT,)),
            AssetLineage(key=SPARK, asset_type=AssetType.SPARK_JOB, upstream=(FCT, STG)),
        ]
    )


def test_downstream_and_upstream_depth(graph: LineageGraph) -> None:
    assert graph.downstream_keys(RAW) == [STG, FCT, SPARK, DAG]
    assert graph.downstream_keys(RAW, depth=1) == [STG]
    assert set(graph.upstream_keys(SPARK)) == {FCT, STG, RAW}
    assert graph.upstream_keys(SPARK, depth=1) == [FCT, STG]


def test_render_tree_marks_repeated_nodes(graph: LineageGraph) -> None:
    text = graph.render_tree(RAW)
    assert text.splitlines() == [
        "[TABLE] raw_orders",
        "└── [DBT_MODEL] stg_orders",
        "    ├── [DBT_MODEL] fct_orders",
        "    │   ├── [DAG] daily",
        "    │   └── [SPARK_JOB] ltv",
        "    └── [SPARK_JOB] ltv",
    ]
    both = graph.render_tree(FCT, Direction.BOTH, depth=1)
    assert "upstream:" in both and "downstream:" in both
    assert "raw_orders" not in both  # depth 1 stops at stg_orders


def test_column_downstream_folds_kinds_and_ends_reads(graph: LineageGraph) -> None:
    paths = graph.column_downstream(ColumnRef(RAW, "order_total"))
    ends = {(p.end.display(), p.kind, p.clause) for p in paths}
    assert ends == {
        ("stg_orders.amount", EdgeKind.RENAME, None),
        ("fct_orders.amount_usd", EdgeKind.TRANSFORMATION, None),
    }
    status = graph.column_downstream(ColumnRef(RAW, "STATUS"))  # case-insensitive
    assert [(p.end.asset, p.clause) for p in status] == [(STG, Clause.FILTER)]


def test_column_upstream(graph: LineageGraph) -> None:
    paths = graph.column_upstream(ColumnRef(FCT, "amount_usd"))
    assert [p.end.display() for p in paths] == ["stg_orders.amount", "raw_orders.order_total"]
    assert paths[-1].kind is EdgeKind.TRANSFORMATION


def test_resolve_suggests_close_names(graph: LineageGraph) -> None:
    assert graph.resolve("fct_orders") == FCT
    with pytest.raises(UnknownAssetError, match="Did you mean: fct_orders"):
        graph.resolve("fct_order")
    with pytest.raises(UnknownColumnError, match="order_total"):
        graph.resolve_column(RAW, "order_totl")


def test_cycle_is_named() -> None:
    g = LineageGraph.from_records(
        [
            AssetLineage(key=("a",), upstream=(("c",),)),
            AssetLineage(key=("b",), upstream=(("a",),)),
            AssetLineage(key=("c",), upstream=(("b",),)),
        ]
    )
    with pytest.raises(LineageCycleError, match="a -> b -> c -> a"):
        g.topological_order()


def test_topological_order(graph: LineageGraph) -> None:
    order = graph.topological_order()
    for rec in graph.records():
        for up in rec.upstream:
            assert order.index(up) < order.index(rec.key)


def test_record_json_roundtrip_is_deterministic(graph: LineageGraph) -> None:
    for rec in graph.records():
        assert AssetLineage.from_json(rec.to_json()) == rec
    a = AssetLineage(key=("x",), upstream=(("b",), ("a",)), owners=("z", "y"))
    b = AssetLineage(key=("x",), upstream=(("a",), ("b",)), owners=("y", "z"))
    assert a.to_json() == b.to_json()
