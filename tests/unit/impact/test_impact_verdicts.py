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
