"""What the impact op, the gate and the drift sensor attach to Dagster: report metadata, failures.

Examples:
    >>> from dagster_lineage.errors import ChangeSpecError
    >>> to_failure(ChangeSpecError("missing 'to'")).metadata["error"].value
    'ChangeSpecError'
"""

from __future__ import annotations

import json
from typing import Any

import dagster as dg

from dagster_lineage.defs.metadata_keys import (
    BREAKING_COUNT_KEY,
    REPORT_JSON_KEY,
    REPORT_MD_KEY,
    RISK_LEVEL_KEY,
    WARNING_COUNT_KEY,
)
from dagster_lineage.errors import DagsterLineageError
from dagster_lineage.impact.render import render_json, render_markdown
from dagster_lineage.impact.report import ImpactReport


def report_metadata(report: ImpactReport) -> dict[str, Any]:
    """Run/check metadata for a report: Markdown, JSON, risk and counts.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.schema_changes import TableDropped
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> sorted(report_metadata(analyze_impact(g, "raw", [TableDropped()])))
        ['breaking', 'impact_report', 'impact_report_json', 'risk_level', 'warnings']
    """
    return {
        REPORT_MD_KEY: dg.MetadataValue.md(render_markdown(report)),
        REPORT_JSON_KEY: dg.MetadataValue.json(json.loads(render_json(report))),
        RISK_LEVEL_KEY: report.risk.value,
        BREAKING_COUNT_KEY: len(report.breaking),
        WARNING_COUNT_KEY: len(report.warnings),
    }


def to_failure(err: DagsterLineageError, **metadata: Any) -> dg.Failure:
    """A ``dagster.Failure`` with our error's one-line message (no retries: the input is bad).

    Examples:
        >>> from dagster_lineage.errors import ChangeSpecError
        >>> to_failure(ChangeSpecError("missing 'to'")).description
        "Invalid change spec: missing 'to'."
    """
    return dg.Failure(
        description=str(err),
        metadata={"error": type(err).__name__, **metadata},
        allow_retries=False,
    )
