"""Render a :class:`~dagster_lineage.impact.diff.LineageDiff` as text, JSON or Markdown.

- **text**: for terminals and CI logs;
- **json**: :meth:`LineageDiff.to_dict` (``schema_version`` :data:`DIFF_SCHEMA_VERSION`): the
  changed assets with their column and model-wide changes and category, and per changed asset the
  downstream impact in the JSON form of ``dagster-lineage impact``;
- **markdown**: a pull-request comment: one summary line, a table per changed asset, the downstream
  impact with column references and owners, a mermaid diagram of the impacted subgraph (GitHub
  renders it), long lists collapsed in ``<details>``. Names are escaped (Markdown and HTML).

JSON schema (``schema_version`` 1; fields are only ever added within a version)::

    {
      "schema_version": 1,
      "project": "example_project.definitions",
      "base": "origin/main (0123456789ab)", "head": "working tree",
      "summary": "2 changed asset(s) (1 breaking, 1 values-changed); ...",
      "severity": "breaking" | "warning" | "none",         # worst downstream severity
      "category": "breaking" | "values-changed" | "non-breaking" | null,
      "unchanged_assets": 4,
      "changed_assets": [{
          "asset": "stg_orders", "status": "added" | "removed" | "modified",
          "asset_type": "dbt_model", "category": "breaking", "source_ref": "...", "owners": [],
          "columns": [{"change": "added" | "removed" | "renamed" | "retyped" | "values_changed",
                       "column": "order_total", "new_name": "total_amount" | null,
                       "old_type": "...", "new_type": "...", "old_sources": ["raw.x (identity)"],
                       "new_sources": [...], "detail": "..." | null, "description": "..."}],
          "model_changes": [{"clause": "filter" | "join" | "group" | "having" | "qualify"
                                       | "unattributed" | null,      # null: upstream assets changed
                             "added": ["raw.x"], "removed": [], "description": "..."}],
          "changes": [{"type": "column_rename", ...}],   # the typed changes given to the analysis
          "notes": ["..."]}],
      "impact": {"stg_orders": <the `dagster-lineage impact` JSON report of its changes>},
      "affected_assets": {"fct_orders": "breaking"},   # worst severity over every change
      "owners_to_notify": ["..."]
    }

The per-reference lines reuse :mod:`dagster_lineage.impact.render`.

Examples:
    >>> from dagster_lineage.core.model import AssetLineage
    >>> from dagster_lineage.impact.diff import diff_states
    >>> d = diff_states([AssetLineage(key=("a",), code_checksum="1")], [])
    >>> render_diff(d, "text").splitlines()[0]
    'LINEAGE DIFF: 1 changed asset(s) (1 breaking); no downstream asset affected.'
    >>> render_diff(d, "markdown").splitlines()[0]
    '## ✖ Lineage diff: 1 changed asset(s) (1 breaking); no downstream asset affected.'
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from dagster_lineage.core.model import AssetKeyPath, key_to_str
from dagster_lineage.impact.analysis import ImpactReport, Reference
from dagster_lineage.impact.diff import AssetDiff, Category, ColumnChange, LineageDiff
from dagster_lineage.impact.render import _owners, _ref_line, _tags
from dagster_lineage.impact.schema_changes import Severity

COLLAPSE_AFTER = 10
"""Markdown lists and tables longer than this are collapsed in ``<details>``."""

_MD_SPECIAL = "\\`*_[]|~"
"""Characters escaped inside a line (text never starts a line, so ``#``, ``-`` stay)."""


def md_text(text: str) -> str:
    r"""Escape ``text`` for Markdown prose and table cells (HTML entities, Markdown punctuation).

    Examples:
        >>> md_text("a_b|<c>")
        'a\\_b\\|&lt;c&gt;'
    """
    out = html.escape(text, quote=False)
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in out)


def md_code(text: str) -> str:
    """``text`` as an inline code span that survives backticks, pipes and HTML.

    Examples:
        >>> md_code("fct_orders")
        '`fct_orders`'
        >>> md_code("a`b")
        '`` a`b ``'
    """
    text = text.replace("|", "\\|").replace("\n", " ")
    if "`" in text:
        return f"`` {text} ``"
    return f"`{text}`"


def _mermaid_label(text: str) -> str:
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def render_diff(diff: LineageDiff, fmt: str = "text") -> str:
    """Render ``diff`` as ``text``, ``json`` or ``markdown``.

    Examples:
        >>> from dagster_lineage.impact.diff import diff_states
        >>> json.loads(render_diff(diff_states([], []), "json"))["schema_version"]
        1
    """
    if fmt == "json":
        return json.dumps(diff.to_dict(), indent=2)
    if fmt == "markdown":
        return render_diff_markdown(diff)
    if fmt == "text":
        return render_diff_text(diff)
    raise ValueError(f"unknown format {fmt!r}: text, json or markdown")


# --- text ---------------------------------------------------------------------------------------


def _column_line(c: ColumnChange) -> str:
    line = c.describe()
    if c.old_sources or c.new_sources:
        line += f"  [{', '.join(c.old_sources) or '-'} => {', '.join(c.new_sources) or '-'}]"
    return line


def render_diff_text(diff: LineageDiff) -> str:
    """Plain text for terminals and CI logs.

    Examples:
        >>> from dagster_lineage.impact.diff import diff_states
        >>> render_diff_text(diff_states([], []))
        'LINEAGE DIFF: No lineage change.'
    """
    lines = [f"LINEAGE DIFF: {diff.summary()}"]
    if diff.base_label or diff.head_label:
        lines.append(f"Base: {diff.base_label or '-'}  Head: {diff.head_label or '-'}")
    for a in diff.assets:
        lines.append("")
        lines.append(
            f"{a.key_str} ({a.asset_type.value}) {a.status.value}: {a.category.value.upper()}"
        )
        lines += [f"  column  {_column_line(c)}" for c in a.columns]
        lines += [f"  model   {m.describe()}" for m in a.model_changes]
        lines += [f"  note    {n}" for n in a.notes]
        report = diff.impacts.get(a.key)
        if report is None:
            continue
        if not report.impacted:
            lines.append("  downstream: nothing affected")
            continue
        lines.append(
            f"  downstream (risk {report.risk.value.upper()}): {len(report.impacted)} affected "
            f"({len(report.breaking)} breaking, {len(report.warnings)} warning)"
        )
        for ia in report.impacted:
            cols = ", ".join(ia.referenced_columns) or "-"
            lines.append(
                f"    {key_to_str(ia.key)} ({ia.asset_type.value})  {ia.severity.label}  "
                f"references: {cols}{_tags(ia)}  owners: {_owners(ia)}"
            )
            lines += [f"        {_ref_line(r)}" for r in ia.references]
    if diff.owners_to_notify:
        lines.append("")
        lines.append("Owners to notify: " + ", ".join(diff.owners_to_notify))
    return "\n".join(lines)


# --- markdown -----------------------------------------------------------------------------------

_SEV_ICON = {Severity.BREAKING: "\u2716", Severity.WARNING: "\u26a0", Severity.NONE: ""}
_CAT_ICON = {
    Category.BREAKING: "\u2716",
    Category.VALUES_CHANGED: "\u26a0",
    Category.NON_BREAKING: "\u2714",
}


def _collapse(rows: list[str], summary: str, *, header: list[str] | None = None) -> list[str]:
    """Rows (with an optional table header) inline, or in ``<details>`` when long."""
    block = (header or []) + rows
    if len(rows) <= COLLAPSE_AFTER:
        return block
    return [f"<details><summary>{html.escape(summary)}</summary>", "", *block, "", "</details>"]


def _asset_section(a: AssetDiff, report: ImpactReport | None) -> list[str]:
    out = [
        f"### {_CAT_ICON[a.category]} {md_code(a.key_str)} — {a.category.value} "
        f"({md_text(a.asset_type.value)}, {a.status.value})",
        "",
    ]
    if a.source_ref:
        out += [f"Source: {md_code(a.source_ref)}", ""]
    if a.columns:
        rows = []
        for c in a.columns:
            name = md_code(c.column) + (f" → {md_code(c.new_name)}" if c.new_name else "")
            types = (
                f"{md_text(c.old_type or '?')} → {md_text(c.new_type or '?')}"
                if c.old_type != c.new_type
                else md_text(c.new_type or c.old_type or "")
            )
            srcs = (
                f"{md_text(', '.join(c.old_sources) or '-')} → "
                f"{md_text(', '.join(c.new_sources) or '-')}"
            )
            rows.append(
                f"| {name} | {c.kind.value.replace('_', ' ')} | {types} | {srcs} | "
                f"{md_text(c.detail or '')} |"
            )
        out += _collapse(
            rows,
            f"{len(rows)} column changes",
            header=[
                "| Column | Change | Type | Sources (base → head) | Detail |",
                "| --- | --- | --- | --- | --- |",
            ],
        )
        out.append("")
    if a.model_changes:
        out += [f"- **Model-wide:** {md_text(m.describe())}" for m in a.model_changes]
        out.append("")
    out += [f"- _{md_text(n)}_" for n in a.notes]
    if a.notes:
        out.append("")
    if report is None:
        return out
    if not report.impacted:
        return [*out, "Downstream: nothing affected.", ""]
    out += [
        f"**Downstream impact** — risk **{report.risk.value.upper()}**: "
        f"{len(report.impacted)} affected ({len(report.breaking)} breaking, "
        f"{len(report.warnings)} warning)",
        "",
    ]
    rows = []
    for ia in report.impacted:
        sev = f"{_SEV_ICON[ia.severity]} {ia.severity.label}".strip()
        cols = (
            ", ".join(
                md_code(f"{key_to_str(r.column.asset)}.{r.column.column}")
                for r in _first_refs(ia.references)
            )
            or "-"
        )
        name = md_code(key_to_str(ia.key)) + (" (exposure)" if ia.is_exposure else "")
        if ia.criticality:
            name += f" (criticality: {md_text(ia.criticality)})"
        rows.append(
            f"| {name} | {md_text(ia.asset_type.value)} | {sev} | {cols} | {md_text(_owners(ia))} |"
        )
    out += _collapse(
        rows,
        f"{len(rows)} affected assets",
        header=[
            "| Asset | Type | Severity | Uses columns | Owners |",
            "| --- | --- | --- | --- | --- |",
        ],
    )
    refs = [
        f"- {md_code(key_to_str(ia.key))} {r.severity.label}: {md_text(r.usage.value)} "
        f"{md_code(r.describe())} — {md_text(r.reason)}"
        for ia in report.impacted
        for r in ia.references
    ]
    out += ["", f"<details><summary>{len(refs)} column references</summary>", "", *refs]
    out += ["", "</details>", ""]
    return out


def _first_refs(refs: Sequence[Reference]) -> list[Reference]:
    seen: dict[tuple[AssetKeyPath, str], Reference] = {}
    for r in refs:
        if r.column.column != "*":
            seen.setdefault((r.column.asset, r.column.column), r)
    return list(seen.values())


def _mermaid(diff: LineageDiff) -> list[str]:
    """A mermaid flowchart of the changed assets and everything they affect."""
    nodes: dict[AssetKeyPath, str] = {}
    edges: set[tuple[AssetKeyPath, AssetKeyPath]] = set()
    for a in diff.assets:
        nodes.setdefault(a.key, "changed")
    affected = diff.affected
    for report in diff.impacts.values():
        for ia in report.impacted:
            p = ia.path
            edges.update(zip(p, p[1:]))
            for r in ia.references:
                pa = r.path_assets
                edges.update(zip(pa, pa[1:]))
    for k in {k for e in edges for k in e}:
        if k not in nodes:
            sev = affected.get(k, Severity.NONE)
            nodes[k] = sev.label if sev is not Severity.NONE else "context"
    if not edges and not nodes:
        return []
    ids = {k: f"n{i}" for i, k in enumerate(sorted(nodes))}
    lines = ["```mermaid", "flowchart LR"]
    for k in sorted(nodes):
        lines.append(f'  {ids[k]}["{_mermaid_label(key_to_str(k))}"]:::{nodes[k]}')
    for up, down in sorted(edges):
        if up != down:
            lines.append(f"  {ids[up]} --> {ids[down]}")
    lines += [
        "  classDef changed fill:#dbeafe,stroke:#1d4ed8",
        "  classDef breaking fill:#fee2e2,stroke:#b91c1c",
        "  classDef warning fill:#fef3c7,stroke:#b45309",
        "  classDef context fill:#f3f4f6,stroke:#6b7280",
        "```",
    ]
    return lines


def render_diff_markdown(diff: LineageDiff) -> str:
    """Markdown for a pull-request comment (see the module docstring).

    Examples:
        >>> from dagster_lineage.impact.diff import diff_states
        >>> render_diff_markdown(diff_states([], [])).splitlines()[0]
        '## ✔ Lineage diff: No lineage change.'
    """
    sev = diff.severity
    icon = (
        _SEV_ICON[sev]
        if sev is not Severity.NONE
        else (_CAT_ICON[diff.category] if diff.category else "\u2714")
    )
    if sev is Severity.NONE and diff.category is Category.BREAKING:
        icon = "\u2716"
    out = [f"## {icon} Lineage diff: {md_text(diff.summary())}", ""]
    meta = []
    if diff.base_label:
        meta.append(f"base {md_code(diff.base_label)}")
    if diff.head_label:
        meta.append(f"head {md_code(diff.head_label)}")
    if diff.project:
        meta.append(f"project {md_code(diff.project)}")
    if meta:
        out += ["<sub>" + " · ".join(meta) + f" · {diff.unchanged} unchanged assets</sub>", ""]
    for a in diff.assets:
        out += _asset_section(a, diff.impacts.get(a.key))
    graph = _mermaid(diff)
    if graph and diff.affected:
        out += ["### Impacted subgraph", "", *graph, ""]
    if diff.owners_to_notify:
        out.append("**Owners to notify:** " + ", ".join(md_text(o) for o in diff.owners_to_notify))
    return "\n".join(out).rstrip() + "\n"
