"""The dagster-lineage example pipeline: raw_orders -> dbt -> Airflow DAG and Spark job."""
