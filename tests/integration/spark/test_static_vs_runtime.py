"""Static lineage of snippet fixtures against the lineage Spark's analysed plan gives for them.

Each snippet's tables exist as Parquet-backed temp views, so Spark resolves them to file relations;
both sides go through the same translator to asset keys and must agree column by column (sources
and edge kinds) and on the columns only read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_lineage.defs.spark import load_entry
from dagster_lineage.defs.spark.translator import SparkLineageTranslator
from dagster_lineage.integrations.spark.compare import compare_lineage
from dagster_lineage.integrations.spark.runtime import runtime_lineage
from dagster_lineage.integrations.spark.static import analyze_job_file
from dagster_lineage.integrations.spark.translator import SparkJob
from dagster_lineage.integrations.spark.types import SparkSource

pytestmark = pytest.mark.spark

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "spark"

TABLES = {
    "orders": "select 1::int as order_id, 10::int as customer_id, 9.5::double as order_total, "
    "0.5::double as discount, 1.0::double as shipping, 'completed' as status, "
    "timestamp '2024-01-01 10:00' as ordered_at, date '2024-01-01' as order_date",
    "customers": "select 10::int as customer_id, 'smb' as segment",
    "vip_customers": "select 10::int as customer_id",
    "stg_orders": "select 1::int as order_id, 9.5::double as order_total, "
    "'OLD' as legacy_discount_code",
    "orders_eu": "select 1::int as order_id, 2.0::double as order_total",
    "orders_us": "select 3.0::double as order_total, 2::int as order_id",
    "raw_orders": "select 1::int as order_id, 9.5::double as order_total, "
    "'OLD' as legacy_discount_code, 'completed' as status",
}

SNIPPETS = [
    "select_alias_rename",
    "filter_where",
    "window_functions",
    "helper_functions",
    "with_columns_dicts",
    "case_when",
    "dedupe_limit",
    "order_by",
    "join_on_string",
    "join_semi",
    "union_by_name",
    "literal_loop_unrolled",
    "drop_columns",
    "with_column_renamed",
    "spark_sql_join",
]


@pytest.fixture(scope="module")
def tables(spark: Any, spark_dir: Path) -> dict[str, list[str]]:
    folder = spark_dir / "tables"
    folder.mkdir(exist_ok=True)
    con = duckdb.connect()
    columns = {}
    for name, sql in TABLES.items():
        path = folder / f"{name}.parquet"
        con.execute(f"copy ({sql}) to '{path}' (format parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(name)
        columns[name] = [d[0] for d in con.execute(f"describe ({sql})").fetchall()]
    con.close()
    return columns


def _reads(rec: Any) -> set[tuple[str, str, str]]:
    return {(r.upstream.asset[0], r.upstream.column, r.clause.value) for r in rec.reads}


@pytest.mark.parametrize("name", SNIPPETS)
def test_static_matches_runtime(spark: Any, tables: dict[str, list[str]], name: str) -> None:
    translator = SparkLineageTranslator()
    job = SparkJob(job_file=FIXTURES / f"{name}.py")

    def schema_for(src: SparkSource) -> list[str] | None:
        return tables.get(translator.get_asset_key_for_source(src).path[-1])

    static = translator.get_lineage_record(job, analyze_job_file(job.path, schema_for=schema_for))
    assert not static.unknowns, static.unknowns

    df = load_entry(job)(spark)
    rt_lineage = runtime_lineage(df)
    runtime = translator.get_lineage_record(job, rt_lineage)

    # Spark resolved every leaf to one of our Parquet files
    assert {s.kind for s in rt_lineage.sources} == {"path"}
    assert not runtime.unknowns, runtime.unknowns
    assert [c.lower() for c in runtime.column_names] == [c.lower() for c in static.column_names]
    assert compare_lineage(static, runtime) == ()
    assert _reads(runtime) == _reads(static)
    # the runtime side really has lineage (not two empty records agreeing)
    assert any(runtime.column_deps.values())
