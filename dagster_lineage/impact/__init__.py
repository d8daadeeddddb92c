"""Schema-change impact analysis: change types, migration SQL, analysis, severity and reports.

Pure Python plus sqlglot; no Dagster import (the Dagster op, job, gate and sensor live in
:mod:`dagster_lineage.defs.impact`).

Examples:
    >>> from dagster_lineage.impact import analyze_impact, ColumnRenamed
    >>> ColumnRenamed("a", "b").destructive
    True
"""

from dagster_lineage.impact.analysis import analyze_impact as analyze_impact
from dagster_lineage.impact.render import ReportFormat as ReportFormat
from dagster_lineage.impact.render import render_report as render_report
from dagster_lineage.impact.report import ImpactedAsset as ImpactedAsset
from dagster_lineage.impact.report import ImpactReport as ImpactReport
from dagster_lineage.impact.report import Reference as Reference
from dagster_lineage.impact.report import RiskLevel as RiskLevel
from dagster_lineage.impact.report import Usage as Usage
from dagster_lineage.impact.schema_changes import ColumnAdded as ColumnAdded
from dagster_lineage.impact.schema_changes import ColumnDropped as ColumnDropped
from dagster_lineage.impact.schema_changes import ColumnRenamed as ColumnRenamed
from dagster_lineage.impact.schema_changes import ColumnTypeChanged as ColumnTypeChanged
from dagster_lineage.impact.schema_changes import SchemaChange as SchemaChange
from dagster_lineage.impact.schema_changes import Severity as Severity
from dagster_lineage.impact.schema_changes import TableDropped as TableDropped
from dagster_lineage.impact.schema_changes import TableRenamed as TableRenamed
from dagster_lineage.impact.schema_changes import changes_from_flags as changes_from_flags
from dagster_lineage.impact.schema_changes import load_changes_file as load_changes_file
from dagster_lineage.impact.schema_changes import parse_changes as parse_changes
