"""Dagster objects of the dbt integration: the lineage translator, specs and the decorator.

Examples:
    >>> from dagster_lineage.defs.dbt import DagsterDbtLineageTranslator, dbt_lineage_assets
    >>> isinstance(DagsterDbtLineageTranslator(), DagsterDbtLineageTranslator)
    True
"""

from dagster_lineage.defs.dbt.assets import (
    add_checksums_to_events as add_checksums_to_events,
)
from dagster_lineage.defs.dbt.assets import (
    build_dbt_exposure_specs as build_dbt_exposure_specs,
)
from dagster_lineage.defs.dbt.assets import (
    build_dbt_lineage_specs as build_dbt_lineage_specs,
)
from dagster_lineage.defs.dbt.assets import dbt_lineage_assets as dbt_lineage_assets
from dagster_lineage.defs.dbt.project import (
    DbtLineageProjectPreparer as DbtLineageProjectPreparer,
)
from dagster_lineage.defs.dbt.project import (
    default_dbt_executable as default_dbt_executable,
)
from dagster_lineage.defs.dbt.project import (
    manifest_is_current as manifest_is_current,
)
from dagster_lineage.defs.dbt.project import (
    prepare_dbt_project as prepare_dbt_project,
)
from dagster_lineage.defs.dbt.stream import with_lineage as with_lineage
from dagster_lineage.defs.dbt.translator import (
    DagsterDbtLineageTranslator as DagsterDbtLineageTranslator,
)
from dagster_lineage.integrations.dbt.settings import DbtLineageSettings as DbtLineageSettings
