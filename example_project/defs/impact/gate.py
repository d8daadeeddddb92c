"""The schema-change gate on the dbt models, as blocking asset checks, and its preflight job.

``schema_change_gate`` checks the dbt component's models: a model whose compiled output schema
differs from its last materialized one in a way its breaking-change policy blocks fails with ERROR
(and stops its downstream assets); one the policy only warns about fails with WARN.
``schema_change_gate_job`` runs the checks alone, before materializing.
"""

import dagster as dg

from dagster_lineage import build_schema_change_gate_checks
from dagster_lineage.defs.impact import build_schema_change_gate_job


@dg.definitions
def defs(context: dg.ComponentLoadContext) -> dg.Definitions:
    """The gate checks over the dbt component's models (built from its definitions)."""
    dbt_assets = [
        a
        for a in context.build_defs("dbt").assets or ()
        if isinstance(a, dg.AssetsDefinition) and a.is_materializable
    ]
    checks = build_schema_change_gate_checks(assets=dbt_assets)
    return dg.Definitions(
        asset_checks=checks, jobs=[build_schema_change_gate_job(checks=checks)]
    )
