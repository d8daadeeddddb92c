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
      "policy": {"action": "block" | "warn" | null,  # the breaking-change policy's verdict
                 "asset": "fct_orders" | null,       # whose policy decided
                 "source": "asset" | "critical" | "changed_asset" | "default" | "built_in"
                           | "nothing_breaks",
                 "description": "block (default for a critical asset fct_orders)"},
      "summary": {"affected": 5, "breaking": 3, "warning": 2, "exposures": 1},
      "affected_assets": [{
          "asset": "stg_orders", "asset_type": "dbt_model",
          "severity": "breaking" | "warning",
          "distance": 1, "path": ["raw_orders", "stg_orders"],
          "is_exposure": false, "criticality": null, "on_breaking": "warn" | null,
          "owners": ["..."],
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
          "unknowns": ["..."], "actions": ["..."]}],
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
from dagster_lineage.impact.report import Cause, ImpactedAsset, ImpactReport, Reference


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


_TYPE_CAUSES = frozenset({Cause.TYPE_SAFE, Cause.TYPE_RISK, Cause.TYPE_CAST, Cause.CONTRACT})


def _ref_line(r: Reference) -> str:
    return (
        f"{r.severity.label:<8} {r.usage.value:<11} {r.describe()}"
        f"  via {' -> '.join(key_to_str(k) for k in r.path_assets)}  [{r.change.describe()}]"
    )


def _on(report: ImpactReport, index: int) -> str:
    """``"stg_orders: "`` before a change of another asset than the report's (a migration)."""
    if not report.change_assets:
        return ""
    return f"{key_to_str(report.change_asset(index))}: "


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
    if report.breaking:
        lines.append(f"Policy: {report.policy.describe()}")
    lines.append("Changes:")
    lines += [f"  - {_on(report, i)}{c.describe()}" for i, c in enumerate(report.changes)]
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
            if r.cause in _TYPE_CAUSES:  # the type verdict's reason is the answer itself
                lines.append(f"        {r.reason}")
    if report.exposures:
        lines.append("Exposures:")
        lines += [
            f"  - {key_to_str(a.key)} ({a.severity.label}; owners: {_owners(a)})"
            for a in report.exposures
        ]
    if report.actions:
        lines.append("To do (tables that keep data):")
        lines += [f"  - {key_to_str(k)}: {x}" for k, x in report.actions]
    if report.unknowns:
        lines.append("Unknowns (lineage incomplete):")
        lines += [f"  - {key_to_str(k)}: {u}" for k, u in report.unknowns]
    lines.append("Owners to notify: " + (", ".join(report.owners_to_notify) or "none recorded"))
    return "\n".join(lines)


_MD_ESCAPED = frozenset("\\`*_[](){}#|~!<>&")
_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_ZWSP = "\u200b"


def _md(text: str) -> str:
    r"""Untrusted text (asset, column, owner names, reasons) made inert in a PR comment.

    One line; HTML characters as entities; Markdown punctuation backslash-escaped (no emphasis,
    link, image, table cell or code fence can start); a mention (``@team`` after a space) and
    ``://`` / ``www.`` broken with a zero-width space so GitHub neither pings a team nor links a
    URL. An e-mail address (``a@b.com``) stays as it is.

    Examples:
        >>> _md("<b>x</b> | [a](http://e.com) @team a@b.com").replace(_ZWSP, "~")
        '&lt;b&gt;x&lt;/b&gt; \\| \\[a\\]\\(http:~//e.com\\) @~team a@b.com'
    """
    out: list[str] = []
    prev = " "
    for ch in " ".join(text.split()):
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MD_ESCAPED:
            out.append("\\" + ch)
        elif ch == "@" and not (prev.isalnum() or prev in "._-"):
            out.append("@" + _ZWSP)
        else:
            out.append(ch)
        prev = ch
    return "".join(out).replace("://", ":" + _ZWSP + "//").replace("www.", "www" + _ZWSP + ".")


def _code(text: str, *, cell: bool = False) -> str:
    r"""Untrusted text as an inline code span (no Markdown, HTML, mention or link inside one).

    The fence is longer than any run of backticks in the text, so none can close it; in a table
    ``cell`` a ``|`` is escaped (GFM splits cells before reading code spans).

    Examples:
        >>> _code("raw_orders"), _code("a`b"), _code("a|b", cell=True)
        ('`raw_orders`', '`` a`b ``', '`a\\|b`')
    """
    one = " ".join(text.split())
    longest = run = 0
    for ch in one:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if longest or one.startswith(" ") or one.endswith(" ") else ""
    if cell:
        one = one.replace("|", "\\|")
    return f"{fence}{pad}{one}{pad}{fence}"


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
    icon = {"breaking": "\u2716", "warning": "\u26a0"}  # ✖ ⚠: Unicode, not shortcodes
    out = [
        f"## Impact analysis: {_code(key_to_str(report.asset))} — risk "
        f"**{report.risk.value.upper()}**",
        "",
        "**Changes:** "
        + "; ".join(_code(_on(report, i) + c.describe()) for i, c in enumerate(report.changes)),
        "",
    ]
    if report.risk_reasons:
        out += [f"- {_md(r)}" for r in report.risk_reasons] + [""]
    if report.breaking:
        action = "blocks" if report.policy.blocks else "warns"
        out += [f"**Policy:** {action}: {_md(report.policy.describe())}", ""]
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
            cols = ", ".join(_code(c, cell=True) for c in a.referenced_columns) or "-"
            name = _code(key_to_str(a.key), cell=True) + (" (exposure)" if a.is_exposure else "")
            if a.criticality:
                name += f" (criticality: {_md(a.criticality)})"
            out.append(f"| {name} | {a.asset_type.value} | {sev} | {cols} | {_md(_owners(a))} |")
        out += ["", "<details><summary>References</summary>", ""]
        for a in report.impacted:
            out.append(f"**{_code(key_to_str(a.key))}**")
            for r in a.references:
                out.append(
                    f"- {r.severity.label}: {r.usage.value} {_code(r.describe())} — {_md(r.reason)}"
                )
            out.append("")
        out += ["</details>", ""]
    if report.actions:
        out.append("**To do (tables that keep data):**")
        out += [f"- {_code(key_to_str(k))}: {_md(x)}" for k, x in report.actions]
        out.append("")
    if report.unknowns:
        out.append("**Unknowns (lineage incomplete):**")
        out += [f"- {_code(key_to_str(k))}: {_md(u)}" for k, u in report.unknowns]
        out.append("")
    out.append(
        "**Owners to notify:** "
        + (", ".join(_md(o) for o in report.owners_to_notify) or "none recorded")
    )
    return "\n".join(out)
