"""Column-lineage coverage of a dbt project: how many model columns have lineage, and why not.

For every column of every model and snapshot (ephemeral models excluded: they are no assets) it
counts the columns with at least one upstream column (direct, or only indirect such as a window's
PARTITION BY), the columns without one that carry an honest unknown (by reason), and the columns
with neither (no upstream and no word why: constants, ``count(*)``, or a silent gap).

Usage::

    .venv/bin/python benchmarks/coverage.py path/to/manifest.json [path/to/catalog.json] [--json]

It only uses ``analyse_dbt_manifest`` (and, when the code has it, ``indirect_deps``), so the same
script measures the library before and after a change (run it with the old code on the path).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

_QUOTED = re.compile(r"'[^']*'")


def reason_class(reason: str) -> str:
    """A reason with its names blanked, so the same cause counts once (``table '…' is ...``).

    Examples:
        >>> reason_class("table 'main.x' is not a known asset: its columns are left out")
        "table '…' is not a known asset: its columns are left out"
    """
    text = re.sub(r"^table '.*?' is not a known asset", "table '…' is not a known asset", reason)
    text = _QUOTED.sub("'…'", text)
    text = re.sub(r"\(it names several dbt relations: [^)]*\)", "(several relations)", text)
    text = re.sub(r"reads table \S+,", "reads table …,", text)
    text = re.sub(r"could not analyse \S+:", "could not analyse …:", text)
    return text[:140]


def coverage(manifest: dict[str, Any], catalog: dict[str, Any] | None = None) -> dict[str, Any]:
    """The coverage counts of one manifest (see the module docstring)."""
    from dagster_lineage.core.graph import LineageGraph
    from dagster_lineage.integrations.dbt.analysis import analyse_dbt_manifest

    analysis = analyse_dbt_manifest(manifest, catalog=catalog)
    nodes = manifest.get("nodes") or {}
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    neither: list[str] = []
    models = 0
    for uid, rec in sorted(analysis.records.items()):
        node = nodes.get(uid) or {}
        if node.get("resource_type") not in ("model", "snapshot"):
            continue
        if (node.get("config") or {}).get("materialized") == "ephemeral":
            continue
        models += 1
        indirect = getattr(rec, "indirect_deps", {}) or {}
        by_column = {u.column: u.reason for u in rec.unknowns if u.column is not None}
        whole = [u.reason for u in rec.unknowns if u.column is None]
        for col in rec.column_names:
            counts["columns"] += 1
            if rec.column_deps.get(col):
                counts["with_upstream"] += 1
            elif indirect.get(col):
                counts["only_indirect_upstream"] += 1
            elif col in by_column or whole:
                counts["honest_unknown"] += 1
                reasons[reason_class(by_column.get(col) or whole[0])] += 1
            else:
                counts["neither"] += 1
                neither.append(f"{uid}.{col}")
    return {
        "models": models,
        "columns": counts["columns"],
        "with_upstream": counts["with_upstream"],
        "only_indirect_upstream": counts["only_indirect_upstream"],
        "honest_unknown": counts["honest_unknown"],
        "neither": counts["neither"],
        "unknown_reasons": dict(reasons.most_common()),
        "neither_examples": neither[:15],
        "graph_nodes": len(LineageGraph.from_records(analysis.records.values())),
    }


def render(result: dict[str, Any], title: str) -> str:
    """A Markdown block of one coverage result."""
    total = result["columns"] or 1
    lines = [
        f"**{title}**: {result['models']} models, {result['columns']} columns, "
        f"{result['graph_nodes']} graph nodes",
        "",
        "| columns | count | share |",
        "|---|---:|---:|",
    ]
    for key, label in (
        ("with_upstream", ">= 1 direct upstream"),
        ("only_indirect_upstream", "only indirect upstream (window, ...)"),
        ("honest_unknown", "no upstream, honest unknown"),
        ("neither", "neither"),
    ):
        lines.append(f"| {label} | {result[key]} | {100 * result[key] / total:.1f}% |")
    if result["unknown_reasons"]:
        lines += ["", "| unknown reason | columns |", "|---|---:|"]
        lines += [f"| {r} | {n} |" for r, n in result["unknown_reasons"].items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("catalog", type=Path, nargs="?")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--title", default=None)
    args = parser.parse_args(argv)
    for path in (args.manifest, args.catalog):
        if path is not None and not path.is_file():
            print(f"coverage: {path} is not a file; pass a dbt manifest.json (and catalog.json)")
            return 2
    manifest = json.loads(args.manifest.read_text())
    catalog = json.loads(args.catalog.read_text()) if args.catalog else None
    result = coverage(manifest, catalog)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(render(result, args.title or str(args.manifest)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
