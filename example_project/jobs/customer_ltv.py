"""Customer lifetime value, computed in Spark from the orders mart.

Reads ``fct_orders`` (exported to Parquet by the dbt model's post-hook), keeps every order that was
not returned, and writes one row per customer to ``exports/customer_ltv`` (Parquet).
"""

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from example_project import paths


def run(spark: SparkSession) -> DataFrame:
    """Lifetime value (sum of net revenue) and order count per customer."""
    orders = spark.read.parquet(str(paths.EXPORT_DIR / "fct_orders.parquet"))
    ltv = (
        orders.filter(F.col("status") != "returned")
        .groupBy("customer_id")
        .agg(
            F.sum("net_revenue").alias("lifetime_value"),
            F.count("order_id").alias("order_count"),
        )
    )
    ltv.write.mode("overwrite").parquet(str(paths.EXPORT_DIR / "customer_ltv"))
    return ltv
