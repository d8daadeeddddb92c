"""Hand-built lineage graphs for the impact tests (the example's story, written by hand)."""
# ruff: noqa: E741

from __future__ import annotations

from dagster_lineage.core.graph import LineageGraph
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

I, R, T, A = EdgeKind.IDENTITY, EdgeKind.RENAME, EdgeKind.TRANSFORMATION, EdgeKind.AGGREGATION


def cols(*names: str) -> tuple[ColumnInfo, ...]:
    return tuple(ColumnInfo(n.split(":")[0], n.split(":")[1] if ":" in n else None) for n in names)


def dep(asset: str, column: str, kind: EdgeKind = I) -> ColumnDep:
    return ColumnDep(ColumnRef((asset,), column), kind)


def read(asset: str, column: str, clause: Clause) -> ColumnRead:
    return ColumnRead(ColumnRef((asset,), column), clause)


def story_records() -> list[AssetLineage]:
    raw = AssetLineage(
        key=("raw_orders",),
        asset_type=AssetType.TABLE,
        columns=cols(
            "order_id:integer",
            "customer_id:integer",
            "order_total:decimal(10,2)",
            "legacy_discount_code:varchar",
            "ordered_at:timestamp",
            "status:varchar",
        ),
    )
    stg = AssetLineage(
        key=("stg_orders",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("raw_orders",),),
        columns=cols(
            "order_id", "customer_id", "order_total", "legacy_discount_code", "ordered_at", "status"
        ),
        column_deps={
            "order_id": (dep("raw_orders", "order_id"),),
            "customer_id": (dep("raw_orders", "customer_id"),),
            "order_total": (dep("raw_orders", "order_total"),),
            "legacy_discount_code": (dep("raw_orders", "legacy_discount_code"),),
            "ordered_at": (dep("raw_orders", "ordered_at", T),),
            "status": (dep("raw_orders", "status", T),),
        },
        reads=(read("raw_orders", "status", Clause.FILTER),),
    )
    fct = AssetLineage(
        key=("fct_orders",),
        asset_type=AssetType.DBT_MODEL,
        upstream=(("stg_orders",),),
        columns=cols(
            "order_id", "customer_id", "order_total", "net_revenue", "ordered_at", "status"
        ),
        column_deps={
            "order_id": (dep("stg_orders", "order_id"),),
            "customer_id": (dep("stg_orders", "customer_id"),),
            "order_total": (dep("stg_orders", "order_total"),),
            "net_revenue": (
                dep("stg_orders", "legacy_discount_code", T),
                dep("stg_orders", "order_total", T),
            ),
            "ordered_at": (dep("stg_orders", "ordered_at"),),
            "status": (dep("stg_orders", "status"),),
        },
        reads=(read("stg_orders", "status", Clause.FILTER),),
        tags={"criticality": "high"},
    )
    dash = AssetLineage(
        key=("revenue_dashboard",),
        asset_type=AssetType.DBT_EXPOSURE,
        upstream=(("fct_orders",),),
        owners=("finance-analytics@example.com",),
    )
    dag = AssetLineage(
        key=("daily_revenue_report",),
        asset_type=AssetType.DAG,
        upstream=(("fct_orders",),),
        columns=cols("order_date", "revenue", "order_count"),
        column_deps={
            "order_date": (dep("fct_orders", "ordered_at", T),),
            "revenue": (dep("fct_orders", "order_total", A),),
            "order_count": (),
        },
        reads=(
            read("fct_orders", "status", Clause.FILTER),
            read("fct_orders", "ordered_at", Clause.GROUP),
        ),
    )
    spark = AssetLineage(
        key=("customer_ltv_model",),
        asset_type=AssetType.SPARK_JOB,
        upstream=(("fct_orders",),),
        columns=cols("customer_id", "lifetime_value", "order_count"),
        column_deps={
            "customer_id": (dep("fct_orders", "customer_id"),),
            "lifetime_value": (dep("fct_orders", "net_revenue", A),),
            "order_count": (dep("fct_orders", "order_id", A),),
        },
        reads=(
            read("fct_orders", "status", Clause.FILTER),
            read("fct_orders", "customer_id", Clause.GROUP),
        ),
    )
    return [raw, stg, fct, dash, dag, spark]


def story_graph() -> LineageGraph:
    return LineageGraph.from_records(story_records())
