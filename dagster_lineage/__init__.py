"""dagster-lineage: table- and column-level lineage, checksums and schema-change impact for Dagster.

The public names, grouped as dagster-dbt groups its own:

- **asset factories**: dbt (:func:`dbt_lineage_assets`, a decorator like dagster-dbt's
  ``dbt_assets``); every other tool has one ``build_<tool>_lineage_specs`` returning
  ``AssetSpec`` s and one factory returning a list of assets (:func:`airflow_dag_assets`,
  :func:`spark_job_assets`, :func:`build_file_model_assets`);
- **translators** (subclass them; key hooks return ``dagster.AssetKey``):
  :class:`DagsterDbtLineageTranslator`, :class:`AirflowLineageTranslator`,
  :class:`SparkLineageTranslator`;
- **settings** (frozen feature flags, one naming scheme): :class:`DbtLineageSettings`,
  :class:`AirflowLineageSettings`, :class:`SparkLineageSettings`;
- **components** for ``dg`` projects: :class:`DbtLineageProjectComponent`,
  :class:`AirflowDagFolderComponent`, :class:`SparkJobsComponent`;
- **sensors, checks, jobs**: the impact job, the schema-change gate, schema drift, code changes,
  Airflow runs, OpenLineage;
- **the pure API** (no Dagster, no dbt): the graph (:class:`AssetLineage`,
  :class:`LineageGraph`), SQL lineage, impact (:func:`analyze_impact`, the change types,
  :class:`BreakingPolicy`), diff (:func:`diff_states`), state (:func:`read_state`).

The pure API imports neither Dagster nor dbt; the Dagster-facing names load on first use, so
``import dagster_lineage`` stays light. Everything else lives in its module
(``dagster_lineage.core.model.ColumnRef``, ``dagster_lineage.defs.impact.impact_run_config``,
...); names this module exported before and no longer does still resolve for one release, with a
``DeprecationWarning`` naming their module.

Examples:
    >>> import dagster_lineage as dl
    >>> from dagster_lineage.core.model import AssetType, ColumnDep, ColumnInfo, ColumnRef
    >>> g = dl.LineageGraph.from_records([
    ...     dl.AssetLineage(key=("raw_orders",), asset_type=AssetType.TABLE,
    ...                     columns=(ColumnInfo("order_total"),)),
    ...     dl.AssetLineage(key=("stg_orders",), asset_type=AssetType.DBT_MODEL,
    ...                     upstream=(("raw_orders",),), columns=(ColumnInfo("order_total"),),
    ...                     column_deps={"order_total": (
    ...                         ColumnDep(ColumnRef(("raw_orders",), "order_total")),)}),
    ... ])
    >>> report = dl.analyze_impact(g, "raw_orders", [dl.ColumnRenamed("order_total", "total")])
    >>> report.risk.value, [a.key for a in report.breaking], report.policy.blocks
    ('medium', [('stg_orders',)], True)
"""

from __future__ import annotations

import importlib
import warnings
from typing import TYPE_CHECKING, Any

# --- the pure API: graph, SQL lineage, impact, diff, state, errors (no Dagster, no dbt) ---------
from dagster_lineage.core.graph import LineageGraph as LineageGraph
from dagster_lineage.core.model import AssetLineage as AssetLineage
from dagster_lineage.errors import DagsterLineageError as DagsterLineageError
from dagster_lineage.impact.analysis import analyze_impact as analyze_impact
from dagster_lineage.impact.diff import diff_states as diff_states
from dagster_lineage.impact.policy import BreakingPolicy as BreakingPolicy
from dagster_lineage.impact.report import ImpactReport as ImpactReport
from dagster_lineage.impact.schema_changes import ColumnAdded as ColumnAdded
from dagster_lineage.impact.schema_changes import ColumnDropped as ColumnDropped
from dagster_lineage.impact.schema_changes import ColumnRenamed as ColumnRenamed
from dagster_lineage.impact.schema_changes import ColumnTypeChanged as ColumnTypeChanged
from dagster_lineage.impact.schema_changes import TableDropped as TableDropped
from dagster_lineage.impact.schema_changes import TableRenamed as TableRenamed
from dagster_lineage.sql.lineage import script_lineage as script_lineage
from dagster_lineage.sql.lineage import statement_lineage as statement_lineage
from dagster_lineage.state.lineage_state import read_state as read_state

# --- Dagster-facing names: imported on first use (see ``__getattr__``) --------------------------
_LAZY: dict[str, str] = {
    # asset factories
    "dbt_lineage_assets": "dagster_lineage.defs.dbt",
    "build_dbt_lineage_specs": "dagster_lineage.defs.dbt",
    "with_lineage": "dagster_lineage.defs.dbt",
    "prepare_dbt_project": "dagster_lineage.defs.dbt",
    "airflow_dag_assets": "dagster_lineage.defs.airflow",
    "build_airflow_lineage_specs": "dagster_lineage.defs.airflow",
    "spark_job_assets": "dagster_lineage.defs.spark",
    "build_spark_lineage_specs": "dagster_lineage.defs.spark",
    "build_file_model_assets": "dagster_lineage.defs.files",
    "FileModel": "dagster_lineage.defs.files",
    # translators
    "DagsterDbtLineageTranslator": "dagster_lineage.defs.dbt",
    "AirflowLineageTranslator": "dagster_lineage.defs.airflow",
    "SparkLineageTranslator": "dagster_lineage.defs.spark",
    # settings
    "DbtLineageSettings": "dagster_lineage.integrations.dbt",
    "AirflowLineageSettings": "dagster_lineage.integrations.airflow",
    "SparkLineageSettings": "dagster_lineage.integrations.spark",
    # components (the dagster_dg_cli.registry_modules entry point is this module)
    "DbtLineageProjectComponent": "dagster_lineage.defs.components",
    "AirflowDagFolderComponent": "dagster_lineage.defs.components",
    "SparkJobsComponent": "dagster_lineage.defs.components",
    # resources
    "SparkSessionResource": "dagster_lineage.defs.spark",
    # sensors, checks, jobs
    "build_impact_check_job": "dagster_lineage.defs.impact",
    "build_schema_change_gate_checks": "dagster_lineage.defs.impact",
    "assert_no_breaking_schema_change": "dagster_lineage.defs.impact",
    "build_schema_drift_impact_sensor": "dagster_lineage.defs.impact",
    "build_schema_drift_checks": "dagster_lineage.defs.schema_drift",
    "build_code_change_sensor": "dagster_lineage.defs.sensors",
    "build_airflow_run_sensor": "dagster_lineage.defs.airflow",
    "build_openlineage_sensors": "dagster_lineage.defs.openlineage",
    # lineage and checksums on Dagster objects
    "lineage_metadata": "dagster_lineage.defs.metadata",
    "checksum_metadata": "dagster_lineage.defs.recording",
    "graph_from_definitions": "dagster_lineage.defs.graph",
    "changed_assets": "dagster_lineage.defs.changed_assets",
}

# Names exported before this release: they resolve one more release, with a DeprecationWarning.
_DEPRECATED: dict[str, tuple[str, str]] = {
    # name: (module to import it from, the name there)
    "AirflowTranslatorSettings": ("dagster_lineage.integrations.airflow", "AirflowLineageSettings"),
    "AssetType": ("dagster_lineage.core.model", "AssetType"),
    "ChangeSpecError": ("dagster_lineage.errors", "ChangeSpecError"),
    "Clause": ("dagster_lineage.core.model", "Clause"),
    "ColumnDep": ("dagster_lineage.core.model", "ColumnDep"),
    "ColumnInfo": ("dagster_lineage.core.model", "ColumnInfo"),
    "ColumnPath": ("dagster_lineage.core.graph", "ColumnPath"),
    "ColumnRead": ("dagster_lineage.core.model", "ColumnRead"),
    "ColumnRef": ("dagster_lineage.core.model", "ColumnRef"),
    "DeclaredLineage": ("dagster_lineage.integrations.airflow", "DeclaredLineage"),
    "Direction": ("dagster_lineage.core.graph", "Direction"),
    "EdgeKind": ("dagster_lineage.core.model", "EdgeKind"),
    "ImpactCheckConfig": ("dagster_lineage.defs.impact", "ImpactCheckConfig"),
    "ImpactedAsset": ("dagster_lineage.impact.report", "ImpactedAsset"),
    "IntegrationError": ("dagster_lineage.errors", "IntegrationError"),
    "LineageCycleError": ("dagster_lineage.errors", "LineageCycleError"),
    "OpenLineageNaming": ("dagster_lineage.exports.openlineage", "OpenLineageNaming"),
    "Reference": ("dagster_lineage.impact.report", "Reference"),
    "RiskLevel": ("dagster_lineage.impact.report", "RiskLevel"),
    "SchemaChange": ("dagster_lineage.impact.schema_changes", "SchemaChange"),
    "Severity": ("dagster_lineage.impact.schema_changes", "Severity"),
    "SparkJob": ("dagster_lineage.integrations.spark", "SparkJob"),
    "SqlParseError": ("dagster_lineage.errors", "SqlParseError"),
    "StatementLineage": ("dagster_lineage.sql", "StatementLineage"),
    "StorageUnavailableError": ("dagster_lineage.errors", "StorageUnavailableError"),
    "Unknown": ("dagster_lineage.core.model", "Unknown"),
    "UnknownAssetError": ("dagster_lineage.errors", "UnknownAssetError"),
    "UnknownColumnError": ("dagster_lineage.errors", "UnknownColumnError"),
    "build_dbt_exposure_specs": ("dagster_lineage.defs.dbt", "build_dbt_exposure_specs"),
    "build_impact_check_op": ("dagster_lineage.defs.impact", "build_impact_check_op"),
    "build_openlineage_events": (
        "dagster_lineage.exports.openlineage",
        "build_openlineage_events",
    ),
    "build_schema_change_gate_job": ("dagster_lineage.defs.impact", "build_schema_change_gate_job"),
    "changes_from_flags": ("dagster_lineage.impact.schema_changes", "changes_from_flags"),
    "diff_schemas": ("dagster_lineage.impact.schema_diff", "diff_schemas"),
    "last_successful_materializations": (
        "dagster_lineage.defs.changed_assets",
        "last_successful_materializations",
    ),
    "last_successful_run": ("dagster_lineage.defs.changed_assets", "last_successful_run"),
    "load_changes_file": ("dagster_lineage.impact.schema_changes", "load_changes_file"),
    "parse_changes": ("dagster_lineage.impact.schema_changes", "parse_changes"),
    "parse_migration": ("dagster_lineage.impact.migration", "parse_migration"),
    "render_report": ("dagster_lineage.impact.render", "render_report"),
    "run_dag_in_process": ("dagster_lineage.defs.airflow", "run_dag_in_process"),
    "spark_job_asset": ("dagster_lineage.defs.spark", "spark_job_asset"),
}

if TYPE_CHECKING:
    from dagster_lineage.defs.airflow import AirflowLineageTranslator as AirflowLineageTranslator
    from dagster_lineage.defs.airflow import airflow_dag_assets as airflow_dag_assets
    from dagster_lineage.defs.airflow import (
        build_airflow_lineage_specs as build_airflow_lineage_specs,
    )
    from dagster_lineage.defs.airflow import build_airflow_run_sensor as build_airflow_run_sensor
    from dagster_lineage.defs.changed_assets import changed_assets as changed_assets
    from dagster_lineage.defs.components import (
        AirflowDagFolderComponent as AirflowDagFolderComponent,
    )
    from dagster_lineage.defs.components import (
        DbtLineageProjectComponent as DbtLineageProjectComponent,
    )
    from dagster_lineage.defs.components import SparkJobsComponent as SparkJobsComponent
    from dagster_lineage.defs.dbt import DagsterDbtLineageTranslator as DagsterDbtLineageTranslator
    from dagster_lineage.defs.dbt import build_dbt_lineage_specs as build_dbt_lineage_specs
    from dagster_lineage.defs.dbt import dbt_lineage_assets as dbt_lineage_assets
    from dagster_lineage.defs.dbt import prepare_dbt_project as prepare_dbt_project
    from dagster_lineage.defs.dbt import with_lineage as with_lineage
    from dagster_lineage.defs.files import FileModel as FileModel
    from dagster_lineage.defs.files import build_file_model_assets as build_file_model_assets
    from dagster_lineage.defs.graph import graph_from_definitions as graph_from_definitions
    from dagster_lineage.defs.impact import (
        assert_no_breaking_schema_change as assert_no_breaking_schema_change,
    )
    from dagster_lineage.defs.impact import build_impact_check_job as build_impact_check_job
    from dagster_lineage.defs.impact import (
        build_schema_change_gate_checks as build_schema_change_gate_checks,
    )
    from dagster_lineage.defs.impact import (
        build_schema_drift_impact_sensor as build_schema_drift_impact_sensor,
    )
    from dagster_lineage.defs.metadata import lineage_metadata as lineage_metadata
    from dagster_lineage.defs.openlineage import (
        build_openlineage_sensors as build_openlineage_sensors,
    )
    from dagster_lineage.defs.recording import checksum_metadata as checksum_metadata
    from dagster_lineage.defs.schema_drift import (
        build_schema_drift_checks as build_schema_drift_checks,
    )
    from dagster_lineage.defs.sensors import build_code_change_sensor as build_code_change_sensor
    from dagster_lineage.defs.spark import SparkLineageTranslator as SparkLineageTranslator
    from dagster_lineage.defs.spark import SparkSessionResource as SparkSessionResource
    from dagster_lineage.defs.spark import build_spark_lineage_specs as build_spark_lineage_specs
    from dagster_lineage.defs.spark import spark_job_assets as spark_job_assets
    from dagster_lineage.integrations.airflow import (
        AirflowLineageSettings as AirflowLineageSettings,
    )
    from dagster_lineage.integrations.dbt import DbtLineageSettings as DbtLineageSettings
    from dagster_lineage.integrations.spark import SparkLineageSettings as SparkLineageSettings


def __getattr__(name: str) -> Any:
    """A Dagster-facing name on first use; a deprecated name with a warning (PEP 562)."""
    module = _LAZY.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    old = _DEPRECATED.get(name)
    if old is None:
        raise AttributeError(f"module 'dagster_lineage' has no attribute {name!r}")
    module, new = old
    warnings.warn(
        f"dagster_lineage.{name} is deprecated and leaves the top level in the next release: "
        f"use `from {module} import {new}`",
        DeprecationWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), new)  # not cached: it warns on every use


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    # asset factories (dbt: the decorator, the stream enrichment for plain @dbt_assets, preparation)
    "dbt_lineage_assets",
    "build_dbt_lineage_specs",
    "with_lineage",
    "prepare_dbt_project",
    "airflow_dag_assets",
    "build_airflow_lineage_specs",
    "spark_job_assets",
    "build_spark_lineage_specs",
    "build_file_model_assets",
    "FileModel",
    # translators
    "DagsterDbtLineageTranslator",
    "AirflowLineageTranslator",
    "SparkLineageTranslator",
    # settings
    "DbtLineageSettings",
    "AirflowLineageSettings",
    "SparkLineageSettings",
    # components
    "DbtLineageProjectComponent",
    "AirflowDagFolderComponent",
    "SparkJobsComponent",
    # resources
    "SparkSessionResource",
    # sensors, checks, jobs
    "build_impact_check_job",
    "build_schema_change_gate_checks",
    "assert_no_breaking_schema_change",
    "build_schema_drift_impact_sensor",
    "build_schema_drift_checks",
    "build_code_change_sensor",
    "build_airflow_run_sensor",
    "build_openlineage_sensors",
    # lineage and checksums on Dagster objects
    "lineage_metadata",
    "checksum_metadata",
    "graph_from_definitions",
    "changed_assets",
    # the pure API: graph
    "AssetLineage",
    "LineageGraph",
    # SQL lineage
    "statement_lineage",
    "script_lineage",
    # impact
    "analyze_impact",
    "ImpactReport",
    "BreakingPolicy",
    "ColumnAdded",
    "ColumnDropped",
    "ColumnRenamed",
    "ColumnTypeChanged",
    "TableDropped",
    "TableRenamed",
    # diff and state
    "diff_states",
    "read_state",
    # errors
    "DagsterLineageError",
]
