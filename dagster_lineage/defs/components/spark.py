"""``SparkJobsComponent``: PySpark job files as assets with static and runtime column lineage.

Calls :func:`~dagster_lineage.defs.spark.spark_job_assets` (lineage read from each job's Python
without Spark; each materialization runs the job in a local SparkSession and records the lineage
Spark's plan used) and provides the :class:`~dagster_lineage.defs.spark.SparkSessionResource`.

Example ``defs.yaml``::

    type: dagster_lineage.SparkJobsComponent
    attributes:
      jobs:
        - job_file: jobs/customer_ltv.py          # relative to this defs.yaml
          name: customer_ltv_model
          owners: ["team:data_science"]
      spark:                                      # SparkSessionResource fields
        app_name: my-project
        warehouse_dir: "{{ env.SPARK_WAREHOUSE_DIR }}"

Examples:
    >>> SparkJobsComponent(jobs=[SparkJobArgs(job_file="a.py")]).resource_key
    'spark'
"""


from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from dagster_lineage.defs.spark import SparkSessionResource, spark_job_assets
from dagster_lineage.integrations.spark import SparkJob


class SparkJobArgs(dg.Model, dg.Resolvable):
    """One job of ``jobs``.

    Examples:
        >>> SparkJobArgs(job_file="jobs/ltv.py").entry
        'run'
    """

    job_file: str = Field(description="The job's Python file, relative to this defs.yaml.")
    entry: str = Field(
        default="run", description="The entry function: def run(spark) -> DataFrame."
    )
    name: str | None = Field(default=None, description="Asset name (default: the file's stem).")
    owners: list[str] = Field(default_factory=list, description="Asset owners.")
    tags: dict[str, str] = Field(default_factory=dict, description="Asset tags.")
    group_name: str | None = Field(default=None, description="Asset group.")


class SparkSessionArgs(dg.Model, dg.Resolvable):
    """The ``spark`` field: :class:`SparkSessionResource`'s settings.

    Examples:
        >>> SparkSessionArgs().master
        'local[*]'
    """

    master: str = Field(default="local[*]", description="Spark master URL.")
    app_name: str = Field(default="dagster-lineage", description="Spark application name.")
    warehouse_dir: str | None = Field(default=None, description="spark.sql.warehouse.dir.")
    conf: dict[str, str] = Field(default_factory=dict, description="Extra Spark configuration.")
    stop_on_teardown: bool = Field(
        default=True, description="Stop the session when the run's resources are torn down."
    )


class SparkJobsComponent(dg.Component, dg.Model, dg.Resolvable):
    """PySpark jobs as Dagster assets with column lineage.

    Examples:
        >>> SparkJobsComponent(jobs=[], spark=None).spark is None
        True
    """

    jobs: list[SparkJobArgs] = Field(
        description="The jobs: one asset each.",
        examples=[[{"job_file": "jobs/customer_ltv.py", "name": "customer_ltv_model"}]],
    )
    spark: SparkSessionArgs | None = Field(
        default_factory=SparkSessionArgs,
        description="Settings of the SparkSessionResource this component provides; null to "
        "provide the resource yourself under resource_key.",
    )
    resource_key: str = Field(default="spark", description="Resource key of the session.")

    def build_defs(self, context: dg.ComponentLoadContext) -> dg.Definitions:
        """One asset per job, plus the session resource."""
        jobs = []
        for job in self.jobs:
            path = Path(job.job_file)
            jobs.append(
                SparkJob(
                    job_file=path if path.is_absolute() else (context.path / path).resolve(),
                    entry=job.entry,
                    name=job.name,
                    owners=tuple(job.owners),
                    tags=dict(job.tags),
                    group_name=job.group_name,
                )
            )
        assets = spark_job_assets(jobs=jobs, resource_key=self.resource_key)
        resources: dict[str, Any] = {}
        if self.spark is not None:
            resources[self.resource_key] = SparkSessionResource(
                master=self.spark.master,
                app_name=self.spark.app_name,
                warehouse_dir=self.spark.warehouse_dir,
                conf=dict(self.spark.conf),
                stop_on_teardown=self.spark.stop_on_teardown,
            )
        return dg.Definitions(assets=assets, resources=resources)
