"""Render an :class:`~dagster_lineage.impact.analysis.ImpactReport` as text, JSON or Markdown.

All three list the risk level, every affected asset with its severity and references, the
exposures, the unknowns and the owners to notify.

JSON schema (``schema_version`` 1; fields are only ever added within a version)::

    {
      "schema_version": 1,
      "asset": "raw_orders",                 # the changed asset ("a/b" for multi-part keys)
      "asset_type": "table",
      "changes": [{"type": "column_rename", "from": "...", "to": "...",
                   "destructive": true, "description": "rename column ..."}],
      "risk_level": "high" | "medium" | "low" | "none",
      "risk_reasons": ["..."],
      "severity": "breaking" | "warning" | "none",   # worst over all assets
      "summary": {"affected": 5, "breaking": 3, "warning": 2, "exposures": 1},
      "affected_assets": [{
          "asset": "stg_orders", "asset_type": "dbt_model",
          "severity": "breaking" | "warning",
          "distance": 1, "path": ["raw_orders", "stg_orders"],
          "is_exposure": false, "criticality": null, "owners": ["..."],
          "referenced_columns": ["order_total"],
          "references": [{
              "change": 0,                      # index into "changes"
              "cause": "by_name" | "star" | "star_shape" | "derived" | "type_pass" | "type_derived"
                       | "type_read" | "contract" | "contract_ok" | "add_star" | "table" | "unknown",
              "column": "raw_orders.order_total",   # the column used ("asset.*" for the table)
              "usage": "select" | "filter" | "join" | "group" | "having" | "order" | "window"
                       | "qualify" | "select_star" | "table" | "unknown",
              "output_column": "order_total" | null,
              "kind": "identity" | "rename" | "transformation" | "aggregation" | null,
              "path": ["raw_orders.order_total", "stg_orders.order_total"],
              "severity": "breaking" | "warning",
              "reason": "..."}],
          "unknowns": ["..."]}],
      "exposures": ["revenue_dashboard"],
      "owners_to_notify": ["..."],
      "unknowns": [{"asset": "...", "reason": "..."}]
    }

Examples:
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage
    >>> from dagster_lineage.impact.analysis import analyze_impact
    >>> from dagster_lineage.impact.schema_changes import TableDropped
    >>> g = LineageGraph.from_records([AssetLineage(key=("raw",)), AssetLineage(key=("b",), upstream=(("raw",),))])
    >>> print(render_text(analyze_impact(g, "raw", [TableDropped()])).splitlines()[2])
    Risk level: MEDIUM
"""

from __future__ import annotations

import json
from enum import Enum

from dagster_lineage.core.model import key_to_str
from dagster_lineage.impact.report import ImpactedAsset, ImpactReport, Reference


class ReportFormat(str, Enum):
    """Output formats of :func:`render_report`.

    Examples:
        >>> ReportFormat("markdown")
        <ReportFormat.MARKDOWN: 'markdown'>
    """

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def render_report(report: ImpactReport, fmt: ReportFormat | str = ReportFormat.TEXT) -> str:
    """Render ``report`` in ``fmt`` (``text``, ``json`` or ``markdown``).

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> from dagster_lineage.impact.schema_changes import TableRenamed
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> json.loads(render_report(analyze_impact(g, "raw", [TableRenamed("x")]), "json"))["risk_level"]
        'none'
    """
    fmt = ReportFormat(fmt)
    if fmt is ReportFormat.JSON:
        return render_json(report)
    if fmt is ReportFormat.MARKDOWN:
        return render_markdown(report)
    return render_text(report)


def render_json(report: ImpactReport) -> str:
    """The report as deterministic, indented JSON (see the module docstring for the schema).

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> from dagster_lineage.impact.schema_changes import TableRenamed
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> json.loads(render_json(analyze_impact(g, "raw", [TableRenamed("x")])))["schema_version"]
        1
    """
    return json.dumps(report.to_dict(), indent=2, sort_keys=False)


def _owners(a: ImpactedAsset) -> str:
    return ", ".join(a.owners) if a.owners else "-"


def _tags(a: ImpactedAsset) -> str:
    bits = []
    if a.is_exposure:
        bits.append("exposure")
    if a.criticality:
        bits.append(f"criticality: {a.criticality}")
    return f"  [{'; '.join(bits)}]" if bits else ""


def _ref_line(r: Reference) -> str:
    return (
        f"{r.severity.label:<8} {r.usage.value:<11} {r.describe()}"
        f"  via {' -> '.join(key_to_str(k) for k in r.path_assets)}  [{r.change.describe()}]"
    )


def render_text(report: ImpactReport) -> str:
    """Plain text for terminals and logs.

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> from dagster_lineage.impact.schema_changes import TableRenamed
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> render_text(analyze_impact(g, "raw", [TableRenamed("x")])).splitlines()[0]
        'IMPACT ANALYSIS REPORT'
    """
    lines = [
        "IMPACT ANALYSIS REPORT",
        f"Asset: {key_to_str(report.asset)} ({report.asset_type.value})",
        f"Risk level: {report.risk.value.upper()}",
    ]
    lines += [f"  - {r}" for r in report.risk_reasons]
    lines.append("Changes:")
    lines += [f"  - {c.describe()}" for c in report.changes]
    lines.append(
        f"Affected assets: {len(report.impacted)}"
        f" ({len(report.breaking)} breaking, {len(report.warnings)} warning)"
    )
    for a in report.impacted:
        cols = ", ".join(a.referenced_columns) or "-"
        lines.append(
            f"  {key_to_str(a.key)} ({a.asset_type.value})  {a.severity.label}  "
            f"references: {cols}{_tags(a)}"
        )
        if a.owners:
            lines.append(f"      owners: {_owners(a)}")
        for r in a.references:
            lines.append(f"      {_ref_line(r)}")
    if report.exposures:
        lines.append("Exposures:")
        lines += [
            f"  - {key_to_str(a.key)} ({a.severity.label}; owners: {_owners(a)})"
            for a in report.exposures
        ]
    if report.unknowns:
        lines.append("Unknowns (lineage incomplete):")
        lines += [f"  - {key_to_str(k)}: {u}" for k, u in report.unknowns]
    lines.append("Owners to notify: " + (", ".join(report.owners_to_notify) or "none recorded"))
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(report: ImpactReport) -> str:
    """Markdown for a pull-request comment (or Dagster ``MetadataValue.md``).

    Examples:
        >>> from dagster_lineage.core.graph import LineageGraph
        >>> from dagster_lineage.core.model import AssetLineage
        >>> from dagster_lineage.impact.analysis import analyze_impact
        >>> from dagster_lineage.impact.schema_changes import TableRenamed
        >>> g = LineageGraph.from_records([AssetLineage(key=("raw",))])
        >>> render_markdown(analyze_impact(g, "raw", [TableRenamed("x")])).splitlines()[0]
        '## Impact analysis: `raw` — risk **NONE**'
    """
    icon = {"breaking": ":x:", "warning": ":warning:"}
    out = [
        f"## Impact analysis: `{key_to_str(report.asset)}` — risk **{report.risk.value.upper()}**",
        "",
        "**Changes:** " + "; ".join(f"`{c.describe()}`" for c in report.changes),
        "",
    ]
    if report.risk_reasons:
        out += [f"- {_md(r)}" for r in report.risk_reasons] + [""]
    if not report.impacted:
        out.append("No downstream asset is affected.")
    else:
        out += [
            f"**Affected assets: {len(report.impacted)}** "
            f"({len(report.breaking)} breaking, {len(report.warnings)} warning)",
            "",
            "| Asset | Type | Severity | References | Owners |",
            "| --- | --- | --- | --- | --- |",
        ]
        for a in report.impacted:
            sev = f"{icon.get(a.severity.label, '')} {a.severity.label}".strip()
            cols = ", ".join(f"`{c}`" for c in a.referenced_columns) or "-"
            name = f"`{key_to_str(a.key)}`" + (" (exposure)" if a.is_exposure else "")
            if a.criticality:
                name += f" (criticality: {_md(a.criticality)})"
            out.append(f"| {name} | {a.asset_type.value} | {sev} | {cols} | {_md(_owners(a))} |")
        out += ["", "<details><summary>References</summary>", ""]
        for a in report.impacted:
            out.append(f"**`{key_to_str(a.key)}`**")
            for r in a.references:
                out.append(
                    f"- {r.severity.label}: {r.usage.value} `{_md(r.describe())}` — {_md(r.reason)}"
                )
            out.append("")
        out += ["</details>", ""]
    if report.unknowns:
        out.append("**Unknowns (lineage incomplete):**")
        out += [f"- `{key_to_str(k)}`: {_md(u)}" for k, u in report.unknowns]
        out.append("")
    out.append(
        "**Owners to notify:** "
        + (", ".join(_md(o) for o in report.owners_to_notify) or "none recorded")
    )
    return "\n".join(out)
