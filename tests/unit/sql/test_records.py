from __future__ import annotations

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
from dagster_lineage.sql.lineage import statement_lineage
from dagster_lineage.sql.records import build_schema, lineage_parts, table_resolver

RAW = AssetLineage(
    key=("raw_orders",),
    asset_type=AssetType.TABLE,
    columns=(
        ColumnInfo("order_id", "integer"),
        ColumnInfo("customer_id", "integer"),
        ColumnInfo("order_total", "decimal(10,2)"),
        ColumnInfo("legacy_discount_code", "varchar"),
        ColumnInfo("ordered_at", "timestamp"),
        ColumnInfo("status", "varchar"),
    ),
)

FCT_SQL = """
select order_id, customer_id, order_total,
       case when legacy_discount_code is not null then order_total * 0.9 else order_total end
         as net_revenue,
       ordered_at, status
from main.stg_orders where status <> 'cancelled'
"""


def _stg_record() -> AssetLineage:
    schema = build_schema([RAW], lambda r: "main." + r.key[-1])
    lin = statement_lineage(
        "select order_id, customer_id, order_total, legacy_discount_code, "
        "cast(ordered_at as timestamp) as ordered_at, lower(status) as status "
        "from main.raw_orders where status is not null",
        dialect="duckdb",
        schema=schema,
    )
    parts = lineage_parts(lin, table_resolver({"main.raw_orders": ("raw_orders",)}))
    return AssetLineage(key=("stg_orders",), asset_type=AssetType.DBT_MODEL, **parts.as_kwargs())


def test_parts_from_the_example_staging_model() -> None:
    stg = _stg_record()
    assert stg.upstream == (("raw_orders",),)
    assert stg.column_names == (
        "order_id",
        "customer_id",
        "order_total",
        "legacy_discount_code",
        "ordered_at",
        "status",
    )
    raw = ("raw_orders",)
    assert stg.column_deps["order_total"] == (ColumnDep(ColumnRef(raw, "order_total")),)
    assert stg.column_deps["status"] == (
        ColumnDep(ColumnRef(raw, "status"), EdgeKind.TRANSFORMATION),
    )
    assert stg.reads == (ColumnRead(ColumnRef(raw, "status"), Clause.FILTER),)
    assert stg.column("order_total") == ColumnInfo("order_total", "DECIMAL(10, 2)")
    assert stg.unknowns == ()
    # the record survives the metadata round trip
    assert AssetLineage.from_json(stg.to_json()) == stg


def test_chained_records_build_the_next_schema() -> None:
    stg = _stg_record()
    schema = build_schema([RAW, stg], lambda r: "main." + r.key[-1])
    assert set(schema) == {"main.raw_orders", "main.stg_orders"}
    lin = statement_lineage(FCT_SQL, dialect="duckdb", schema=schema)
    resolve = table_resolver({"main.stg_orders": ("stg_orders",), "raw_orders": ("raw_orders",)})
    parts = lineage_parts(lin, resolve, self_key=("fct_orders",))
    stg_key = ("stg_orders",)
    assert parts.upstream == (stg_key,)
    assert set(parts.column_deps["net_revenue"]) == {
        ColumnDep(ColumnRef(stg_key, "order_total"), EdgeKind.TRANSFORMATION),
        ColumnDep(ColumnRef(stg_key, "legacy_discount_code"), EdgeKind.TRANSFORMATION),
    }
    assert parts.reads == (ColumnRead(ColumnRef(stg_key, "status"), Clause.FILTER),)
    assert parts.star_upstreams == ()


def test_unresolved_tables_become_unknowns_and_stars_map_to_keys() -> None:
    lin = statement_lineage(
        "select s.*, x.extra from main.stg_orders s join scratch.x x on s.order_id = x.id",
        dialect="duckdb",
        schema={"main.stg_orders": {"order_id": "int", "status": "varchar"}},
    )
    parts = lineage_parts(lin, table_resolver({"stg_orders": ("stg_orders",)}))
    assert parts.upstream == (("stg_orders",),)
    assert parts.star_upstreams == (("stg_orders",),)
    assert [c.name for c in parts.columns] == ["order_id", "status", "extra"]
    assert parts.column_deps["extra"] == ()
    reasons = [u.reason for u in parts.unknowns]
    assert any("scratch.x" in r and "not a known asset" in r for r in reasons)
    assert parts.reads == (ColumnRead(ColumnRef(("stg_orders",), "order_id"), Clause.JOIN),)


def test_self_reference_is_not_an_upstream() -> None:
    lin = statement_lineage(
        "select id, amount from main.events where id > (select max(id) from main.daily)",
        dialect="duckdb",
        schema={"main.events": {"id": "int", "amount": "int"}, "main.daily": {"id": "int"}},
    )
    resolve = table_resolver({"main.events": ("events",), "main.daily": ("daily",)})
    parts = lineage_parts(lin, resolve, self_key=("daily",))
    assert parts.upstream == (("events",),)
    assert all(r.upstream.asset == ("events",) for r in parts.reads)
