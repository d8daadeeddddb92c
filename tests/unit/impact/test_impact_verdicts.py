"""Issue 16's wrong verdicts, each judged on lineage produced by the real analysers (Spark's static
interpreter, sqlglot on SQL) rather than on hand-written records."""

from __future__ import annotations

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetLineage, ColumnInfo
from dagster_lineage.impact.analysis import RiskLevel, analyze_impact
from dagster_lineage.impact.schema_changes import ColumnDropped
from dagster_lineage.integrations.spark.static import analyze_source
from dagster_lineage.integrations.spark.translator import job_lineage_record

FCT = AssetLineage(
    key=("fct_orders",),
    columns=(ColumnInfo("status"), ColumnInfo("customer_id"), ColumnInfo("net_revenue")),
)

SPARK_JOB = """
def run(spark):
    cols = [c for c in spark.conf.get("extra_columns").split(",")]
    return spark.table("fct_orders").select(*cols, "status", "customer_id")
"""


def spark_graph() -> LineageGraph:
    rec = job_lineage_record(
        analyze_source(SPARK_JOB), key=("job",), key_for_source=lambda s: (s.name,)
    )
    return LineageGraph.from_records([FCT, rec])


def test_spark_literal_names_beside_a_dynamic_part_are_references() -> None:
    report = analyze_impact(spark_graph(), "fct_orders", [ColumnDropped("status")])
    assert report.get("job").severity.label == "breaking"
    assert report.risk is RiskLevel.MEDIUM
    assert any(r.cause == "by_name" for r in report.get("job").references)


def test_spark_column_only_the_dynamic_part_may_use_is_a_warning() -> None:
    report = analyze_impact(spark_graph(), "fct_orders", [ColumnDropped("net_revenue")])
    job = report.get("job")
    assert job is not None and job.severity.label == "warning"
    assert job.unknowns  # the dynamic part is said, not guessed


# --- SQL: names the engine takes from elsewhere than the analysis assumed ---------------------

from dagster_lineage.sql.lineage import statement_lineage  # noqa: E402
from dagster_lineage.sql.records import lineage_parts, table_resolver  # noqa: E402

SCHEMAS = {
    "main.a": {"id": "int", "amount": "int"},
    "main.b": {"id": "int", "amount": "int"},
    "main.c": {"id": "int", "amount": "int"},
}


def sql_graph(models: dict[str, str], dialect: str = "duckdb") -> LineageGraph:
    """Tables a, b, c and models built from their SQL by the real SQL analyser."""
    keys = {name: (name.split(".")[-1],) for name in SCHEMAS} | {f"main.{m}": (m,) for m in models}
    resolve = table_resolver(keys, dialect=dialect)
    records = [
        AssetLineage(
            key=(t.split(".")[-1],), columns=tuple(ColumnInfo(c, ty) for c, ty in cols.items())
        )
        for t, cols in SCHEMAS.items()
    ]
    schema: dict[str, dict[str, str | None]] = dict(SCHEMAS)
    for name, sql in models.items():
        lin = statement_lineage(sql, dialect=dialect, schema=schema)
        parts = lineage_parts(lin, resolve, self_key=(name,))
        records.append(AssetLineage(key=(name,), **parts.as_kwargs()))
        schema[f"main.{name}"] = {c.name: c.data_type for c in lin.columns}
    return LineageGraph.from_records(records)


UNION = {
    "u": "select id, amount from a union all select id, amount from b union all "
    "select id, amount from c",
    "top": "select id, amount from u",
}


def test_rename_in_a_later_union_branch_does_not_rename_the_output() -> None:
    """Issue 16 item 7: the union breaks (its branch names b.amount), its consumer does not: the
    output's names come from the first branch."""
    from dagster_lineage.impact.schema_changes import ColumnRenamed

    report = analyze_impact(sql_graph(UNION), "b", [ColumnRenamed("amount", "total")])
    assert [a.key[-1] for a in report.breaking] == ["u"]
    assert report.get("top") is not None and report.get("top").severity.label == "warning"
    # in the first branch the name is the output's: the consumer breaks as well
    first = analyze_impact(sql_graph(UNION), "a", [ColumnRenamed("amount", "total")])
    assert {a.key[-1] for a in first.breaking} == {"u", "top"}


UNUSED_CTE = {"m": "with unused as (select amount from a) select id from a"}


def test_unused_cte_per_dialect() -> None:
    """Issue 16 item 8: DuckDB never binds an unused CTE (said in the result); PostgreSQL does."""
    duck = analyze_impact(sql_graph(UNUSED_CTE, "duckdb"), "a", [ColumnDropped("amount")])
    assert not duck.breaking
    m = duck.get("m")
    assert m is not None and any("never referenced" in u and "DuckDB" in u for u in m.unknowns)
    pg = analyze_impact(sql_graph(UNUSED_CTE, "postgres"), "a", [ColumnDropped("amount")])
    assert [a.key[-1] for a in pg.breaking] == ["m"]
