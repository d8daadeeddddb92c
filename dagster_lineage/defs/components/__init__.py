"""Components for ``dg`` projects: dbt, Airflow DAG folders and Spark jobs with lineage.

Registered through the ``dagster_dg_cli.registry_modules`` entry point (module
``dagster_lineage``), so ``dg list components`` lists them and ``dg scaffold defs
dagster_lineage.<Component> <name>`` scaffolds them. Each builds its definitions with the same
factories as the Python API.

Examples:
    >>> from dagster_lineage.defs.components import (
    ...     AirflowDagFolderComponent, DbtLineageProjectComponent, SparkJobsComponent,
    ... )
    >>> sorted(c.__name__ for c in (AirflowDagFolderComponent, DbtLineageProjectComponent,
    ...                             SparkJobsComponent))
    ['AirflowDagFolderComponent', 'DbtLineageProjectComponent', 'SparkJobsComponent']
"""

from dagster_lineage.defs.components.airflow import (
    AirflowDagFolderComponent as AirflowDagFolderComponent,
)
from dagster_lineage.defs.components.dbt import (
    DbtLineageProjectComponent as DbtLineageProjectComponent,
)
from dagster_lineage.defs.components.spark import SparkJobsComponent as SparkJobsComponent
