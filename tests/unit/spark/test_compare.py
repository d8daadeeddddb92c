"""Static vs runtime comparison on records (pure)."""

from __future__ import annotations

from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef, EdgeKind
from dagster_lineage.integrations.spark.compare import compare_lineage


def _dep(asset: str, col: str, kind: EdgeKind = EdgeKind.IDENTITY) -> ColumnDep:
    return ColumnDep(ColumnRef((asset,), col), kind)


def _rec(deps: dict[str, list[ColumnDep]], stars: tuple[str, ...] = ()) -> AssetLineage:
    return AssetLineage(
        key=("job",),
        columns=tuple(ColumnInfo(c) for c in deps),
        column_deps={c: tuple(d) for c, d in deps.items()},
        star_upstreams=tuple((s,) for s in stars),
    )


def test_equal_lineage_case_insensitive() -> None:
    static = _rec({"Customer_ID": [_dep("fct_orders", "customer_id")]})
    runtime = _rec({"customer_id": [_dep("fct_orders", "CUSTOMER_ID")]})
    assert compare_lineage(static, runtime) == ()


def test_star_source_covers_runtime_pass_through_only() -> None:
    static = _rec({"x2": [_dep("orders", "x", EdgeKind.TRANSFORMATION)]}, stars=("orders",))
    runtime = _rec(
        {
            "x2": [_dep("orders", "x", EdgeKind.TRANSFORMATION)],
            "order_id": [_dep("orders", "order_id")],
            "renamed": [_dep("orders", "status")],  # not a same-name pass-through
        }
    )
    diffs = compare_lineage(static, runtime)
    assert [(d.column, d.what) for d in diffs] == [("renamed", "only_at_runtime")]
    assert "orders.status (identity)" in diffs[0].message()


def test_kind_and_missing_columns() -> None:
    static = _rec(
        {
            "ltv": [_dep("fct_orders", "net_revenue", EdgeKind.AGGREGATION)],
            "gone": [_dep("fct_orders", "status")],
        }
    )
    runtime = _rec({"ltv": [_dep("fct_orders", "net_revenue", EdgeKind.TRANSFORMATION)]})
    diffs = compare_lineage(static, runtime)
    assert [(d.column, d.what) for d in diffs] == [("gone", "only_static"), ("ltv", "sources")]
    assert diffs[1].static == ("fct_orders.net_revenue (aggregation)",)
    assert diffs[1].runtime == ("fct_orders.net_revenue (transformation)",)
