"""Example definitions: the dbt project (stg_orders, fct_orders) and its revenue_dashboard exposure.

Loading this module compiles the dbt project only when its sources changed since the last compile
(``prepare_dbt_project``); the manifest, the lineage cache and dbt's run artefacts live under
``example_project/.state/dbt_target``.
"""

import os

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject

from dagster_lineage.defs.dbt import (
    DagsterDbtLineageTranslator,
    build_dbt_exposure_specs,
    dbt_lineage_assets,
    default_dbt_executable,
    prepare_dbt_project,
)
from dagster_lineage.defs.impact import assert_no_breaking_schema_change
from example_project import paths, warehouse
from example_project.lineage import example_graph

# fct_orders' post-hook exports it to parquet for the Spark job (read when the hook runs).
os.environ.setdefault("DAGSTER_LINEAGE_EXPORT_DIR", str(paths.EXPORT_DIR))

warehouse.ensure_state_dirs()
dbt_project = DbtProject(project_dir=paths.DBT_PROJECT_DIR, target_path=paths.DBT_TARGET_DIR)
prepare_dbt_project(dbt_project)

translator = DagsterDbtLineageTranslator()


@dbt_lineage_assets(manifest=dbt_project.manifest_path, project=dbt_project, translator=translator)
def example_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """``dbt build`` of the selected models (and their tests).

    The schema-change gate runs first: a model whose compiled output schema differs from its last
    materialized schema in a way that breaks a downstream asset fails here, before dbt writes it.
    """
    assert_no_breaking_schema_change(context, graph=example_graph)
    warehouse.ensure_state_dirs()
    yield from dbt.cli(
        ["build"],
        context=context,
        target_path=paths.DBT_TARGET_DIR / "runs" / context.run.run_id[:8],
    ).stream()


exposure_specs = build_dbt_exposure_specs(
    manifest=dbt_project.manifest_path, project=dbt_project, translator=translator
)

defs = dg.Definitions(
    assets=[example_dbt_assets, *exposure_specs],
    resources={
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=default_dbt_executable())
    },
)
