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

from dagster_lineage.core.model import key_to_str
from dagster_lineage.defs.metadata_keys import (
    BREAKING_COUNT_KEY,
    IMPACT_ASSET_TAG,
    IMPACT_RISK_TAG,
    IMPACT_VERDICT_TAG,
    POLICY_KEY,
    REPORT_JSON_KEY,
    REPORT_MD_KEY,
    RISK_LEVEL_KEY,
    VERDICT_KEY,
    WARNING_COUNT_KEY,
)
from dagster_lineage.errors import DagsterLineageError
from dagster_lineage.impact.render import render_json, render_markdown
from dagster_lineage.impact.report import ImpactReport
from dagster_lineage.impact.schema_changes import Severity


def report_metadata(report: ImpactReport) -> dict[str, Any]:
    """Run/check metadata for a report: Markdown, JSON, risk and counts.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.schema_changes import TableDropped
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> sorted(report_metadata(analyze_impact(g, "raw", [TableDropped()])))
        ['breaking', 'impact_report', 'impact_report_json', 'policy', 'risk_level', 'verdict', 'warnings']
    """
    return {
        VERDICT_KEY: dg.MetadataValue.text(report.verdict),
        POLICY_KEY: dg.MetadataValue.text(report.policy.describe()),
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


def verdict_status(
    report: ImpactReport, fail_on: Severity = Severity.BREAKING
) -> tuple[bool, dg.AssetCheckSeverity, str]:
    """``(passed, severity, verdict)`` of a report as an asset check, one rule for all gates.

    The impact check, the gate checks and the in-asset gate all decide through here.

    A change the policy blocks (:attr:`ImpactReport.blocked`) fails with ``ERROR``; a breaking
    change the policy lets through, or warnings only, fail with ``WARN`` (``ERROR`` when
    ``fail_on`` is ``warning``); nothing affected passes.

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> from dagster_lineage.impact.schema_changes import TableDropped
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",)),
        ...     AssetLineage(key=("b",), upstream=(("raw",),), tags={"on_breaking": "warn"})])
        >>> passed, severity, _ = verdict_status(analyze_impact(g, "raw", [TableDropped()]))
        >>> passed, severity.value
        (False, 'WARN')
    """
    if not report.impacted:
        return True, dg.AssetCheckSeverity.WARN, report.verdict
    if report.exit_code(fail_on):
        return False, dg.AssetCheckSeverity.ERROR, report.verdict
    return False, dg.AssetCheckSeverity.WARN, report.verdict


def impact_run_tags(report: ImpactReport, fail_on: Severity = Severity.BREAKING) -> dict[str, str]:
    """Run tags of an impact run: the changed asset, the risk and the verdict (runs list filters).

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> from dagster_lineage.impact.schema_changes import TableDropped
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> impact_run_tags(analyze_impact(g, "raw", [TableDropped()]))
        {'dagster-lineage/asset': 'raw', 'dagster-lineage/risk': 'none', 'dagster-lineage/verdict': 'pass'}
    """
    passed, severity, _ = verdict_status(report, fail_on)
    verdict = "pass" if passed else ("block" if severity == dg.AssetCheckSeverity.ERROR else "warn")
    return {
        IMPACT_ASSET_TAG: key_to_str(report.asset),
        IMPACT_RISK_TAG: report.risk.value,
        IMPACT_VERDICT_TAG: verdict,
    }
