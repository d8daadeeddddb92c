"""The example's customer_ltv_model job, materialized in real local Spark through Dagster.

fct_orders is written as Parquet by DuckDB (as the dbt model's post-hook does), with fct_orders'
columns; the expected output is computed independently by DuckDB from the same file.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from dagster_lineage.defs.metadata_keys import (
    COLUMN_LINEAGE_KEY,
    COLUMN_SCHEMA_KEY,
    LINEAGE_KEY,
    LINEAGE_MATCHES_KEY,
    LINEAGE_MISMATCH_KEY,
    RUNTIME_LINEAGE_KEY,
)
from dagster_lineage.defs.spark import spark_job_asset

pytestmark = pytest.mark.spark

ORDERS = [
    # order_id, customer_id, order_total, legacy_discount_code, ordered_at, status
    (1, 10, 100.00, None, "2024-01-01 10:00:00", "completed"),
    (2, 10, 50.00, "OLD10", "2024-01-02 11:00:00", "shipped"),
    (3, 11, 80.00, None, "2024-01-03 12:00:00", "returned"),
    (4, 11, 20.00, "OLD10", "2024-01-04 09:30:00", "completed"),
    (5, 12, 300.00, None, "2024-01-05 08:00:00", "returned"),
    (6, 13, 45.50, None, "2024-01-06 14:00:00", "completed"),
    (7, 13, 10.00, "OLD10", "2024-01-07 15:00:00", "shipped"),
]


@pytest.fixture(scope="module")
def export_dir(spark_dir: Path) -> Iterator[Path]:
    """fct_orders.parquet built from fct_orders' SQL over a raw table, and paths.EXPORT_DIR on it."""
    from example_project import paths

    exports = spark_dir / "exports"
    exports.mkdir(exist_ok=True)
    con = duckdb.connect()
    con.execute(
        "create table stg_orders (order_id integer, customer_id integer, order_total decimal(10,2),"
        " legacy_discount_code varchar, ordered_at timestamp, status varchar)"
    )
    con.executemany("insert into stg_orders values (?, ?, ?, ?, ?, ?)", ORDERS)
    con.execute(
        "create table fct_orders as select order_id, customer_id, order_total, case when "
        "legacy_discount_code is not null then order_total * 0.9 else order_total end as net_revenue,"
        " ordered_at, status from stg_orders where status <> 'cancelled'"
    )
    con.execute(f"copy fct_orders to '{exports / 'fct_orders.parquet'}' (format parquet)")
    con.close()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "EXPORT_DIR", exports)
        yield exports


def _materialize(
    asset: dg.AssetsDefinition, resource: Any
) -> tuple[dg.AssetMaterialization, list[str]]:
    """Materialize in an ephemeral instance; the materialization and the run's warnings."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([asset], resources={"spark": resource}, instance=instance)
        assert result.success
        [mat] = result.asset_materializations_for_node(result.all_node_events[0].node_name)
        warnings = [
            e.user_message
            for e in instance.all_logs(result.run_id)
            if e.level == logging.WARNING and not e.is_dagster_event
        ]
        return mat, warnings


def _raw(md: dict[str, Any], key: str) -> Any:
    value = md[key]
    return value.value if isinstance(value, dg.MetadataValue) else value


def _spark_part() -> tuple[dg.Definitions, dg.AssetsDefinition]:
    """The example's Spark component (example_project/defs/spark/defs.yaml), built on its own."""
    from example_project import paths

    defs = dg.ComponentTree.for_project(paths.PROJECT_DIR).build_defs_at_path("spark")
    (asset,) = [a for a in defs.assets or () if isinstance(a, dg.AssetsDefinition)]
    return defs, asset


def test_example_spec_has_static_lineage_without_spark() -> None:
    part_defs, _ = _spark_part()

    [spec] = [
        s
        for s in part_defs.resolve_all_asset_specs()
        if s.key == dg.AssetKey("customer_ltv_model")
    ]
    assert [d.asset_key for d in spec.deps] == [dg.AssetKey("fct_orders")]
    rec = _raw(spec.metadata, LINEAGE_KEY)
    assert rec["source_ref"] == "example_project/jobs/customer_ltv.py"
    assert rec["column_deps"]["lifetime_value"] == [
        {"asset": ["fct_orders"], "column": "net_revenue", "kind": "aggregation"}
    ]
    assert {(r["column"], r["clause"]) for r in rec["reads"]} == {
        ("status", "filter"),
        ("customer_id", "group"),
    }
    assert spec.code_version == rec["code_checksum"]


def test_example_job_runtime_lineage(spark: Any, spark_resource: Any, export_dir: Path) -> None:
    _, customer_ltv_model = _spark_part()
    mat, warnings = _materialize(customer_ltv_model, spark_resource)
    md = mat.metadata
    assert not [w for w in warnings if "dagster-lineage" in w]

    # the job really ran: its output equals DuckDB's computation over the same input
    out = spark.read.parquet(str(export_dir / "customer_ltv"))
    got = sorted((r.customer_id, float(r.lifetime_value), r.order_count) for r in out.collect())
    con = duckdb.connect()
    want = con.execute(
        f"select customer_id, sum(net_revenue)::double, count(order_id) from "
        f"'{export_dir / 'fct_orders.parquet'}' where status != 'returned' group by 1 order by 1"
    ).fetchall()
    assert got == [(c, pytest.approx(v), n) for c, v, n in want]
    assert {c for c, _, _ in got} == {10, 11, 13}  # customer 12 only returned orders

    # runtime column lineage, column by column, as Spark's analysed plan resolved it
    lineage = _raw(md, COLUMN_LINEAGE_KEY)
    deps = {
        col: sorted((d.asset_key.to_user_string(), d.column_name) for d in ds)
        for col, ds in lineage.deps_by_column.items()
    }
    assert deps == {
        "customer_id": [("fct_orders", "customer_id")],
        "lifetime_value": [("fct_orders", "net_revenue")],
        "order_count": [("fct_orders", "order_id")],
    }
    runtime = _raw(md, RUNTIME_LINEAGE_KEY)
    kinds = {c: sorted(d["kind"] for d in ds) for c, ds in runtime["column_deps"].items()}
    assert kinds == {
        "customer_id": ["identity"],
        "lifetime_value": ["aggregation"],
        "order_count": ["aggregation"],
    }
    assert {(r["column"], r["clause"]) for r in runtime["reads"]} == {
        ("status", "filter"),
        ("customer_id", "group"),
    }
    assert runtime["sources"] == [f"file:{export_dir / 'fct_orders.parquet'}"]

    # and it agrees with the static reading of the job file
    assert _raw(md, LINEAGE_MATCHES_KEY) is True
    assert LINEAGE_MISMATCH_KEY not in md
    schema = _raw(md, COLUMN_SCHEMA_KEY)
    net = dict(spark.read.parquet(str(export_dir / "fct_orders.parquet")).dtypes)["net_revenue"]
    precision, scale = (int(x) for x in net[len("decimal(") : -1].split(","))
    assert [(c.name, c.type) for c in schema.columns] == [
        ("customer_id", "int"),
        ("lifetime_value", f"decimal({precision + 10},{scale})"),  # Spark's sum(decimal) rule
        ("order_count", "bigint"),
    ]
    assert (
        md["dagster_lineage/code_checksum"].value
        == customer_ltv_model.specs_by_key[
            dg.AssetKey("customer_ltv_model")
        ].code_version
    )


def test_mismatch_is_recorded_and_written_output_captured(
    spark: Any, spark_resource: Any, export_dir: Path, tmp_path: Path
) -> None:
    """A column chosen from run-time config: the static reading cannot know it, Spark does."""
    job = tmp_path / "ltv_from_config.py"
    job.write_text(
        "import json\n"
        "from pyspark.sql import functions as F\n\n"
        'CONFIG = json.loads(\'{"measure": "order_total"}\')\n\n\n'
        "def run(spark):\n"
        f"    orders = spark.read.parquet({str(export_dir / 'fct_orders.parquet')!r})\n"
        '    out = orders.groupBy("customer_id").agg(\n'
        '        F.sum(F.col(CONFIG["measure"])).alias("lifetime_value")\n'
        "    )\n"
        f"    out.write.mode('overwrite').parquet({str(tmp_path / 'out')!r})\n"
    )
    asset = spark_job_asset(job_file=job, name="ltv_from_config")
    [spec] = asset.specs
    static = _raw(spec.metadata, LINEAGE_KEY)
    assert static["column_deps"]["lifetime_value"] == []
    assert any(u["column"] == "lifetime_value" for u in static["unknowns"])

    mat, warnings = _materialize(asset, spark_resource)
    md = mat.metadata
    [warning] = [w for w in warnings if "differs from its static lineage" in w]
    assert "lifetime_value" in warning and "order_total" in warning
    # the entry returned nothing: the written DataFrame was captured
    deps = _raw(md, COLUMN_LINEAGE_KEY).deps_by_column
    assert [(d.asset_key.to_user_string(), d.column_name) for d in deps["lifetime_value"]] == [
        ("fct_orders", "order_total")
    ]
    assert _raw(md, LINEAGE_MATCHES_KEY) is False
    mismatch = _raw(md, LINEAGE_MISMATCH_KEY)
    assert "lifetime_value" in mismatch and "fct_orders.order_total (aggregation)" in mismatch
    assert json.dumps(_raw(md, RUNTIME_LINEAGE_KEY))  # serialisable
