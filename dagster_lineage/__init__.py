"""dagster-lineage: table- and column-level lineage, checksums and schema-change impact for Dagster.

The public API, grouped by what a user does with it:

- the lineage model and graph: :class:`AssetLineage`, :class:`LineageGraph`;
- SQL column lineage: :func:`statement_lineage`;
- asset factories: dbt (:func:`dbt_lineage_assets`), Airflow (:func:`airflow_dag_assets`),
  Spark (:func:`spark_job_asset`), file globs (:func:`build_file_model_assets`);
- checksums and "what changed": :func:`checksum_metadata`, :func:`changed_assets`;
- impact analysis: :func:`analyze_impact`, :func:`build_impact_check_job`.

The pure API (model, graph, SQL lineage, impact analysis, errors) imports neither Dagster nor
dbt; the Dagster-facing names (factories, sensors, checks, translators) load on first use, so
``import dagster_lineage`` stays light. Internals stay in their modules
(``dagster_lineage.core.hashing.stable_hash``, ``dagster_lineage.integrations.airflow.read_dags``,
``dagster_lineage.state.warehouse.TableHandle``).

Examples:
    >>> import dagster_lineage as dl
    >>> g = dl.LineageGraph.from_records([
    ...     dl.AssetLineage(key=("raw_orders",), asset_type=dl.AssetType.TABLE,
    ...                     columns=(dl.ColumnInfo("order_total"),)),
    ...     dl.AssetLineage(key=("stg_orders",), asset_type=dl.AssetType.DBT_MODEL,
    ...                     upstream=(("raw_orders",),), columns=(dl.ColumnInfo("order_total"),),
    ...                     column_deps={"order_total": (
    ...                         dl.ColumnDep(dl.ColumnRef(("raw_orders",), "order_total")),)}),
    ... ])
    >>> report = dl.analyze_impact(g, "raw_orders", [dl.ColumnRenamed("order_total", "total")])
    >>> report.risk.value, [a.key for a in report.breaking]
    ('medium', [('stg_orders',)])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The lineage model and graph (pure: no Dagster, no dbt)
from dagster_lineage.core.graph import ColumnPath as ColumnPath
from dagster_lineage.core.graph import Direction as Direction
from dagster_lineage.core.graph import LineageGraph as LineageGraph
from dagster_lineage.core.model import AssetLineage as AssetLineage
from dagster_lineage.core.model import AssetType as AssetType
from dagster_lineage.core.model import Clause as Clause
from dagster_lineage.core.model import ColumnDep as ColumnDep
from dagster_lineage.core.model import ColumnInfo as ColumnInfo
from dagster_lineage.core.model import ColumnRead as ColumnRead
from dagster_lineage.core.model import ColumnRef as ColumnRef
from dagster_lineage.core.model import EdgeKind as EdgeKind
from dagster_lineage.core.model import Unknown as Unknown

# Errors (pure: no Dagster, no dbt)
from dagster_lineage.errors import ChangeSpecError as ChangeSpecError
from dagster_lineage.errors import DagsterLineageError as DagsterLineageError
from dagster_lineage.errors import IntegrationError as IntegrationError
from dagster_lineage.errors import LineageCycleError as LineageCycleError
from dagster_lineage.errors import MissingExtraError as MissingExtraError
from dagster_lineage.errors import SqlParseError as SqlParseError
from dagster_lineage.errors import StorageUnavailableError as StorageUnavailableError
from dagster_lineage.errors import UnknownAssetError as UnknownAssetError
from dagster_lineage.errors import UnknownColumnError as UnknownColumnError

# OpenLineage events (pure: no Dagster, no dbt)
from dagster_lineage.exports.openlineage import OpenLineageNaming as OpenLineageNaming
from dagster_lineage.exports.openlineage import build_openlineage_events as build_openlineage_events

# Impact analysis (pure: no Dagster, no dbt)
from dagster_lineage.impact import ColumnAdded as ColumnAdded
from dagster_lineage.impact import ColumnDropped as ColumnDropped
from dagster_lineage.impact import ColumnRenamed as ColumnRenamed
from dagster_lineage.impact import ColumnTypeChanged as ColumnTypeChanged
from dagster_lineage.impact import ImpactedAsset as ImpactedAsset
from dagster_lineage.impact import ImpactReport as ImpactReport
from dagster_lineage.impact import Reference as Reference
from dagster_lineage.impact import RiskLevel as RiskLevel
from dagster_lineage.impact import SchemaChange as SchemaChange
from dagster_lineage.impact import Severity as Severity
from dagster_lineage.impact import TableDropped as TableDropped
from dagster_lineage.impact import TableRenamed as TableRenamed
from dagster_lineage.impact import analyze_impact as analyze_impact
from dagster_lineage.impact import changes_from_flags as changes_from_flags
from dagster_lineage.impact import load_changes_file as load_changes_file
from dagster_lineage.impact import parse_changes as parse_changes
from dagster_lineage.impact import render_report as render_report
from dagster_lineage.impact.migration import parse_migration as parse_migration
from dagster_lineage.impact.schema_diff import diff_schemas as diff_schemas

# SQL column lineage (pure: no Dagster, no dbt)
from dagster_lineage.sql import StatementLineage as StatementLineage
from dagster_lineage.sql import statement_lineage as statement_lineage

# Dagster-facing names: imported on first use (see ``__getattr__``)
_LAZY: dict[str, str] = {
    # Components for `dg` projects (the dagster_dg_cli.registry_modules entry point is this module)
    "AirflowDagFolderComponent": "dagster_lineage.defs.components",
    "DbtLineageProjectComponent": "dagster_lineage.defs.components",
    "SparkJobsComponent": "dagster_lineage.defs.components",
    # dbt models as assets (on dagster-dbt)
    "DagsterDbtLineageTranslator": "dagster_lineage.defs.dbt",
    "build_dbt_exposure_specs": "dagster_lineage.defs.dbt",
    "build_dbt_lineage_specs": "dagster_lineage.defs.dbt",
    "dbt_lineage_assets": "dagster_lineage.defs.dbt",
    "prepare_dbt_project": "dagster_lineage.defs.dbt",
    "DbtLineageProjectPreparer": "dagster_lineage.defs.dbt",
    "with_lineage": "dagster_lineage.defs.dbt",
    "DbtLineageSettings": "dagster_lineage.integrations.dbt",
    # Airflow DAGs as assets
    "airflow_dag_assets": "dagster_lineage.defs.airflow",
    "build_airflow_lineage_specs": "dagster_lineage.defs.airflow",
    "build_airflow_run_sensor": "dagster_lineage.defs.airflow",
    "run_dag_in_process": "dagster_lineage.defs.airflow",
    "AirflowLineageTranslator": "dagster_lineage.integrations.airflow",
    "AirflowTranslatorSettings": "dagster_lineage.integrations.airflow",
    "DeclaredLineage": "dagster_lineage.integrations.airflow",
    # Spark jobs as assets
    "SparkLineageTranslator": "dagster_lineage.defs.spark",
    "SparkSessionResource": "dagster_lineage.defs.spark",
    "build_spark_lineage_specs": "dagster_lineage.defs.spark",
    "spark_job_asset": "dagster_lineage.defs.spark",
    "spark_job_assets": "dagster_lineage.defs.spark",
    "SparkJob": "dagster_lineage.integrations.spark",
    "SparkLineageSettings": "dagster_lineage.integrations.spark",
    # File-glob models as assets
    "FileModel": "dagster_lineage.defs.files",
    "build_file_model_assets": "dagster_lineage.defs.files",
    # Lineage on specs and the graph of a code location
    "lineage_metadata": "dagster_lineage.defs.metadata",
    "graph_from_definitions": "dagster_lineage.defs.graph",
    # Checksums and what changed since the last successful run
    "checksum_metadata": "dagster_lineage.defs.recording",
    "changed_assets": "dagster_lineage.defs.changed_assets",
    "last_successful_materializations": "dagster_lineage.defs.changed_assets",
    "last_successful_run": "dagster_lineage.defs.changed_assets",
    "build_code_change_sensor": "dagster_lineage.defs.sensors",
    "build_openlineage_sensors": "dagster_lineage.defs.openlineage",
    "build_schema_drift_checks": "dagster_lineage.defs.schema_drift",
    # Impact analysis in Dagster: the job, the gate, the drift sensor
    "ImpactCheckConfig": "dagster_lineage.defs.impact",
    "assert_no_breaking_schema_change": "dagster_lineage.defs.impact",
    "build_impact_check_job": "dagster_lineage.defs.impact",
    "build_impact_check_op": "dagster_lineage.defs.impact",
    "build_schema_change_gate_checks": "dagster_lineage.defs.impact",
    "build_schema_change_gate_job": "dagster_lineage.defs.impact",
    "build_schema_drift_impact_sensor": "dagster_lineage.defs.impact",
}

if TYPE_CHECKING:
    from dagster_lineage.defs.airflow import airflow_dag_assets as airflow_dag_assets
    from dagster_lineage.defs.airflow import (
        build_airflow_lineage_specs as build_airflow_lineage_specs,
    )
    from dagster_lineage.defs.airflow import build_airflow_run_sensor as build_airflow_run_sensor
    from dagster_lineage.defs.airflow import run_dag_in_process as run_dag_in_process
    from dagster_lineage.defs.changed_assets import changed_assets as changed_assets
    from dagster_lineage.defs.changed_assets import (
        last_successful_materializations as last_successful_materializations,
    )
    from dagster_lineage.defs.changed_assets import last_successful_run as last_successful_run
    from dagster_lineage.defs.components import (
        AirflowDagFolderComponent as AirflowDagFolderComponent,
    )
    from dagster_lineage.defs.components import (
        DbtLineageProjectComponent as DbtLineageProjectComponent,
    )
    from dagster_lineage.defs.components import SparkJobsComponent as SparkJobsComponent
    from dagster_lineage.defs.dbt import DagsterDbtLineageTranslator as DagsterDbtLineageTranslator
    from dagster_lineage.defs.dbt import DbtLineageProjectPreparer as DbtLineageProjectPreparer
    from dagster_lineage.defs.dbt import build_dbt_exposure_specs as build_dbt_exposure_specs
    from dagster_lineage.defs.dbt import build_dbt_lineage_specs as build_dbt_lineage_specs
    from dagster_lineage.defs.dbt import dbt_lineage_assets as dbt_lineage_assets
    from dagster_lineage.defs.dbt import prepare_dbt_project as prepare_dbt_project
    from dagster_lineage.defs.dbt import with_lineage as with_lineage
    from dagster_lineage.defs.files import FileModel as FileModel
    from dagster_lineage.defs.files import build_file_model_assets as build_file_model_assets
    from dagster_lineage.defs.graph import graph_from_definitions as graph_from_definitions
    from dagster_lineage.defs.impact import ImpactCheckConfig as ImpactCheckConfig
    from dagster_lineage.defs.impact import (
        assert_no_breaking_schema_change as assert_no_breaking_schema_change,
    )
    from dagster_lineage.defs.impact import build_impact_check_job as build_impact_check_job
    from dagster_lineage.defs.impact import build_impact_check_op as build_impact_check_op
    from dagster_lineage.defs.impact import (
        build_schema_change_gate_checks as build_schema_change_gate_checks,
    )
    from dagster_lineage.defs.impact import (
        build_schema_change_gate_job as build_schema_change_gate_job,
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
    from dagster_lineage.defs.spark import spark_job_asset as spark_job_asset
    from dagster_lineage.defs.spark import spark_job_assets as spark_job_assets
    from dagster_lineage.integrations.airflow import (
        AirflowLineageTranslator as AirflowLineageTranslator,
    )
    from dagster_lineage.integrations.airflow import (
        AirflowTranslatorSettings as AirflowTranslatorSettings,
    )
    from dagster_lineage.integrations.airflow import DeclaredLineage as DeclaredLineage
    from dagster_lineage.integrations.dbt import DbtLineageSettings as DbtLineageSettings
    from dagster_lineage.integrations.spark import SparkJob as SparkJob
    from dagster_lineage.integrations.spark import SparkLineageSettings as SparkLineageSettings


def __getattr__(name: str) -> Any:
    """Import a Dagster-facing name on first use (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dagster_lineage' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "AirflowDagFolderComponent",
    "AirflowLineageTranslator",
    "AirflowTranslatorSettings",
    "AssetLineage",
    "AssetType",
    "ChangeSpecError",
    "Clause",
    "ColumnAdded",
    "ColumnDep",
    "ColumnDropped",
    "ColumnInfo",
    "ColumnPath",
    "ColumnRead",
    "ColumnRef",
    "ColumnRenamed",
    "ColumnTypeChanged",
    "DagsterDbtLineageTranslator",
    "DagsterLineageError",
    "DbtLineageProjectComponent",
    "DbtLineageProjectPreparer",
    "DbtLineageSettings",
    "DeclaredLineage",
    "Direction",
    "EdgeKind",
    "FileModel",
    "ImpactCheckConfig",
    "ImpactReport",
    "ImpactedAsset",
    "IntegrationError",
    "LineageCycleError",
    "LineageGraph",
    "MissingExtraError",
    "OpenLineageNaming",
    "Reference",
    "RiskLevel",
    "Severity",
    "SparkJob",
    "SparkJobsComponent",
    "SparkLineageSettings",
    "SparkLineageTranslator",
    "SparkSessionResource",
    "SqlParseError",
    "StatementLineage",
    "StorageUnavailableError",
    "TableDropped",
    "TableRenamed",
    "Unknown",
    "UnknownAssetError",
    "UnknownColumnError",
    "airflow_dag_assets",
    "analyze_impact",
    "assert_no_breaking_schema_change",
    "build_airflow_lineage_specs",
    "build_airflow_run_sensor",
    "build_code_change_sensor",
    "build_dbt_exposure_specs",
    "build_dbt_lineage_specs",
    "build_file_model_assets",
    "build_impact_check_job",
    "build_impact_check_op",
    "build_openlineage_events",
    "build_openlineage_sensors",
    "build_schema_change_gate_checks",
    "build_schema_change_gate_job",
    "build_schema_drift_checks",
    "build_schema_drift_impact_sensor",
    "build_spark_lineage_specs",
    "changed_assets",
    "changes_from_flags",
    "checksum_metadata",
    "dbt_lineage_assets",
    "diff_schemas",
    "graph_from_definitions",
    "last_successful_materializations",
    "last_successful_run",
    "lineage_metadata",
    "load_changes_file",
    "parse_changes",
    "parse_migration",
    "prepare_dbt_project",
    "render_report",
    "run_dag_in_process",
    "spark_job_asset",
    "spark_job_assets",
    "statement_lineage",
    "with_lineage",
]
