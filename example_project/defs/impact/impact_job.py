"""The impact job: what the story's change to ``raw_orders`` does to everything downstream.

``impact_check_job`` analyses proposed changes over the code location's whole lineage graph (dbt,
Airflow, Spark, the exposure). Its default run config is the story: rename
``raw_orders.order_total`` to ``total_amount`` and drop ``legacy_discount_code``. The verdict is an
``impact_check`` on ``raw_orders``: ERROR (the policy blocks: risk HIGH) with the Markdown report.
Edit the config in the launchpad, or run
``dagster job execute -m example_project.definitions -j impact_check_job -c my_changes.yaml``.
"""

from dagster_lineage import ColumnDropped, ColumnRenamed, build_impact_check_job

impact_check_job = build_impact_check_job(
    asset="raw_orders",
    changes=[ColumnRenamed("order_total", "total_amount"), ColumnDropped("legacy_discount_code")],
)
