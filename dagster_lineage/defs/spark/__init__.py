"""Dagster objects of the Spark integration: the translator, specs, the asset factory, the session.

Modules: ``translator`` (keys and specs), ``assets`` (specs, the factory, the run and the
``SparkSessionResource``).

Examples:
    >>> from dagster_lineage.defs.spark import SparkLineageTranslator, spark_job_asset
    >>> SparkLineageTranslator().get_asset_key_for_table("db.fct_orders").path
    ['fct_orders']
"""

from dagster_lineage.defs.spark.assets import SparkSessionResource as SparkSessionResource
from dagster_lineage.defs.spark.assets import (
    build_spark_lineage_specs as build_spark_lineage_specs,
)
from dagster_lineage.defs.spark.assets import load_entry as load_entry
from dagster_lineage.defs.spark.assets import run_spark_job as run_spark_job
from dagster_lineage.defs.spark.assets import spark_job_asset as spark_job_asset
from dagster_lineage.defs.spark.assets import spark_job_assets as spark_job_assets
from dagster_lineage.defs.spark.translator import (
    SparkLineageTranslator as SparkLineageTranslator,
)
