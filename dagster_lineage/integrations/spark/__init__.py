r"""PySpark jobs: static column lineage from the job's Python, runtime lineage from Spark's plan.

Nothing in this package imports pyspark at import time; only running a job (and
:func:`~dagster_lineage.integrations.spark.runtime.capture_written_dataframes`) does.

Examples:
    >>> from dagster_lineage.integrations.spark import analyze_source
    >>> src = 'def run(spark):\n    return spark.table("fct_orders").select("order_id")'
    >>> analyze_source(src).output.lineage.column_names
    ('order_id',)
"""

from dagster_lineage.integrations.spark.compare import LineageDifference as LineageDifference
from dagster_lineage.integrations.spark.compare import compare_lineage as compare_lineage
from dagster_lineage.integrations.spark.runtime import (
    capture_written_dataframes as capture_written_dataframes,
)
from dagster_lineage.integrations.spark.runtime import runtime_lineage as runtime_lineage
from dagster_lineage.integrations.spark.static import analyze_job_file as analyze_job_file
from dagster_lineage.integrations.spark.static import analyze_source as analyze_source
from dagster_lineage.integrations.spark.translator import SparkJob as SparkJob
from dagster_lineage.integrations.spark.translator import (
    SparkLineageSettings as SparkLineageSettings,
)
from dagster_lineage.integrations.spark.types import SparkJobLineage as SparkJobLineage
from dagster_lineage.integrations.spark.types import SparkOutput as SparkOutput
from dagster_lineage.integrations.spark.types import SparkSource as SparkSource
