"""Example definitions: the Spark part, the customer_ltv_model job over fct_orders.

Its column lineage is read from ``jobs/customer_ltv.py`` when this module loads (no Spark needed);
materializing it runs the job in a local SparkSession and records the lineage Spark actually used.
"""

import dagster as dg

from dagster_lineage.defs.spark import SparkSessionResource, spark_job_asset
from example_project import paths

customer_ltv_model = spark_job_asset(
    job_file=paths.JOBS_DIR / "customer_ltv.py",
    name="customer_ltv_model",
    owners=["team:data_science"],
)

defs = dg.Definitions(
    assets=[customer_ltv_model],
    resources={
        "spark": SparkSessionResource(
            app_name="dagster-lineage-example",
            warehouse_dir=str(paths.STATE_DIR / "spark_warehouse"),
            stop_on_teardown=True,
        )
    },
)
