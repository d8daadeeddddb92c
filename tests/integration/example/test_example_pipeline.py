"""End to end: the example materialized for real (DuckDB + dbt), then its lineage checked."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetType, Clause, ColumnRef, EdgeKind

# not imported from example_project.paths: importing it would pin the state dir for the session
DATA_DIR = Path(__file__).resolve().parents[3] / "example_project" / "data"
RAW = ("raw_orders",)
STG = ("stg_orders",)
FCT = ("fct_orders",)


@pytest.fixture(scope="module")
def csv_rows() -> list[dict[str, str]]:
    with (DATA_DIR / "raw_orders.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def deps(rec, column):
    return {(d.upstream, d.kind) for d in rec.column_deps[column]}


def test_tables_really_exist_with_the_expected_rows(example_run, csv_rows):
    with_status = [r for r in csv_rows if r["status"]]
    not_cancelled = [r for r in with_status if r["status"].lower() != "cancelled"]
    assert len(csv_rows) >= 50 and len(not_cancelled) < len(with_status) < len(csv_rows)
    with duckdb.connect(str(example_run.duckdb_path), read_only=True) as conn:
        counts = {
            t: conn.execute(f"select count(*) from main.{t}").fetchone()[0]
            for t in ("raw_orders", "stg_orders", "fct_orders")
        }
        statuses = {
            s for (s,) in conn.execute("select distinct status from main.fct_orders").fetchall()
        }
        exported = conn.execute(
            "select count(*) from read_parquet(?)",
            [str(example_run.export_dir / "fct_orders.parquet")],
        ).fetchone()[0]
    assert counts == {
        "raw_orders": len(csv_rows),
        "stg_orders": len(with_status),
        "fct_orders": len(not_cancelled),
    }
    assert statuses == {r["status"].lower() for r in not_cancelled}
    assert exported == counts["fct_orders"]


def test_stg_orders_column_lineage(example_run):
    stg = example_run.records[STG]
    assert stg.asset_type == AssetType.DBT_MODEL
    assert stg.upstream == (RAW,)
    for col in ("order_id", "customer_id", "order_total", "legacy_discount_code"):
        assert deps(stg, col) == {(ColumnRef(RAW, col), EdgeKind.IDENTITY)}, col
    assert deps(stg, "status") == {(ColumnRef(RAW, "status"), EdgeKind.TRANSFORMATION)}
    assert deps(stg, "ordered_at") == {(ColumnRef(RAW, "ordered_at"), EdgeKind.TRANSFORMATION)}
    assert {(r.upstream, r.clause) for r in stg.reads} == {
        (ColumnRef(RAW, "status"), Clause.FILTER)
    }


def test_fct_orders_column_lineage_back_to_raw_orders(example_run):
    fct = example_run.records[FCT]
    assert fct.upstream == (STG,)
    assert fct.column_names == (
        "order_id",
        "customer_id",
        "order_total",
        "net_revenue",
        "ordered_at",
        "status",
    )
    for col in ("order_id", "customer_id", "order_total", "ordered_at", "status"):
        assert deps(fct, col) == {(ColumnRef(STG, col), EdgeKind.IDENTITY)}, col
    assert deps(fct, "net_revenue") == {
        (ColumnRef(STG, "order_total"), EdgeKind.TRANSFORMATION),
        (ColumnRef(STG, "legacy_discount_code"), EdgeKind.TRANSFORMATION),
    }
    assert {(r.upstream, r.clause) for r in fct.reads} == {
        (ColumnRef(STG, "status"), Clause.FILTER)
    }
    assert fct.tags.get("criticality") == "high"

    graph = LineageGraph.from_records(example_run.records.values())
    # order_total flows unchanged from raw_orders through stg_orders
    [path] = [p for p in graph.column_upstream(ColumnRef(FCT, "order_total")) if p.end.asset == RAW]
    assert path.end == ColumnRef(RAW, "order_total") and path.is_pass_through
    net_sources = {
        p.end for p in graph.column_upstream(ColumnRef(FCT, "net_revenue")) if p.end.asset == RAW
    }
    assert net_sources == {ColumnRef(RAW, "order_total"), ColumnRef(RAW, "legacy_discount_code")}
    # column types: raw_orders' declared types pass through the identity columns
    assert (
        fct.column("order_total").data_type
        == example_run.records[RAW].column("order_total").data_type
    )


def test_raw_orders_record_and_exposure(example_run):
    raw = example_run.records[RAW]
    assert raw.asset_type == AssetType.TABLE
    assert [(c.name, c.data_type) for c in raw.columns] == [
        ("order_id", "integer"),
        ("customer_id", "integer"),
        ("order_total", "decimal(10,2)"),
        ("legacy_discount_code", "varchar"),
        ("ordered_at", "timestamp"),
        ("status", "varchar"),
    ]
    dash = example_run.records[("revenue_dashboard",)]
    assert dash.asset_type == AssetType.DBT_EXPOSURE
    assert dash.upstream == (FCT,)
    assert dash.owners == ("finance-analytics@example.com",)


def test_cli_graph_tree(example_run):
    assert example_run.cli_rc == 0
    lines = example_run.tree.splitlines()
    assert lines[0] == "[TABLE] raw_orders"
    assert lines[1] == "└── [DBT_MODEL] stg_orders"
    assert lines[2] == "    └── [DBT_MODEL] fct_orders"
    # fct_orders' children (the exposure, and the later parts' assets) one level deeper
    children = [
        line for line in lines[3:] if line.startswith("        ") and line[8:10] in ("└─", "├─")
    ]
    assert "[DBT_EXPOSURE] revenue_dashboard" in {c[12:] for c in children}


def test_materializations_carry_checksums_and_the_observed_schema(example_run):
    for key in (STG, FCT):
        md = example_run.materializations[key[0]]
        assert md["dagster_lineage/code_checksum"] == example_run.records[key].code_checksum
        observed = [name for name, _ in md["dagster/column_schema"]]
        assert observed == list(example_run.records[key].column_names)
    with duckdb.connect(str(example_run.duckdb_path), read_only=True) as conn:
        fct_rows = conn.execute("select count(*) from main.fct_orders").fetchone()[0]
    assert example_run.materializations["fct_orders"]["dagster/row_count"] == fct_rows


def test_every_materialization_carries_column_lineage_and_schema(example_run):
    # Dagster reads both from the latest materialization (not from the definition)
    for key in (RAW, STG, FCT):
        md = example_run.materializations[key[0]]
        assert [name for name, _ in md["dagster/column_schema"]] == list(
            example_run.records[key].column_names
        )
        expected = {
            col: sorted({("/".join(d.upstream.asset), d.upstream.column) for d in deps})
            for col, deps in example_run.records[key].column_deps.items()
            if deps
        }
        got = {
            c: sorted({tuple(d) for d in deps}) for c, deps in md["dagster/column_lineage"].items()
        }
        assert got == expected
    assert example_run.materializations["raw_orders"]["dagster/column_lineage"] == {}
    fct = example_run.materializations["fct_orders"]["dagster/column_lineage"]
    assert fct["order_total"] == [["stg_orders", "order_total"]]


def test_reloading_the_location_parses_no_sql(example_run):
    # the dump process loaded the location after the materialize process: all cache hits
    # (the dbt component asks for each of the two models' lineage more than once: hits >= 2)
    assert example_run.cache["misses"] == 0 and example_run.cache["hits"] >= 2
