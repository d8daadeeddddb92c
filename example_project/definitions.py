"""The example's code location: everything under ``defs/``, loaded by ``dg`` or ``dagster``.

``dg check defs`` / ``dg dev`` (the repository's pyproject.toml makes ``example_project`` a ``dg``
project), ``dagster dev -w workspace.yaml`` and ``dagster asset materialize -m
example_project.definitions`` all load ``defs``. Nothing heavy happens at import: the dbt project
compiles when the dbt component builds its definitions, and only when its sources changed.

``defs/``: ``raw_orders.py`` (the raw table), ``dbt/`` (the dbt component), ``airflow/`` and
``spark/`` (their components), ``impact/`` (the impact job, the schema-change gate), and
``drift_checks.py``, ``sensors.py``.
"""

from pathlib import Path

import dagster as dg

from example_project import paths as paths  # the environment the components' YAML reads


@dg.definitions
def defs() -> dg.Definitions:
    """Every definition of ``defs/``; steps run in one process (DuckDB has one writer)."""
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )
