"""Where the impact op, the gate and the drift sensor get the lineage graph.

The graph is the code location's own (built from ``context.repository_def``) unless a ``graph``
(a :class:`~dagster_lineage.core.graph.LineageGraph`, a ``Definitions`` or a callable returning
one of them) is passed.

Examples:
    >>> import dagster as dg
    >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
    >>> resolve_graph(defs, context=None).downstream_keys(("a",))
    [('b',)]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dagster as dg

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath, AssetLineage
from dagster_lineage.defs.metadata import record_from_metadata
from dagster_lineage.errors import IntegrationError

GraphSource = LineageGraph | dg.Definitions | Callable[[], LineageGraph | dg.Definitions]
"""Where an op, check or sensor gets the lineage graph (default: its own code location)."""


def graph_from_repository(repository_def: Any) -> LineageGraph:
    """The lineage graph of a loaded code location (``context.repository_def``).

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
        >>> graph_from_repository(defs.get_repository_def()).downstream_keys(("a",))
        [('b',)]
    """
    records: dict[AssetKeyPath, AssetLineage] = {}
    seen: set[int] = set()
    for ad in repository_def.assets_defs_by_key.values():
        if id(ad) in seen:
            continue
        seen.add(id(ad))
        for spec in ad.specs:
            key = tuple(spec.key.path)
            deps = tuple(tuple(d.asset_key.path) for d in spec.deps)
            owners = tuple(str(o) for o in (spec.owners or ()))
            records[key] = record_from_metadata(key, spec.metadata or {}, deps=deps, owners=owners)
    return LineageGraph.from_records(records.values())


def graph_from_job(job_def: Any) -> LineageGraph | None:
    """The lineage graph of a job's own assets (``None`` when the job has none)."""
    asset_graph = getattr(getattr(job_def, "asset_layer", None), "asset_graph", None)
    nodes = getattr(asset_graph, "asset_nodes", None)
    if not nodes:
        return None
    records = []
    for node in nodes:
        key = tuple(node.key.path)
        deps = tuple(tuple(k.path) for k in node.parent_keys)
        owners = tuple(str(o) for o in (node.owners or ()))
        records.append(record_from_metadata(key, node.metadata or {}, deps=deps, owners=owners))
    return LineageGraph.from_records(records)


def resolve_graph(source: GraphSource | None, context: Any) -> LineageGraph:
    """The graph of ``source``, else of the context's code location, else of its job's assets.

    Raises:
        IntegrationError: when no graph is available (in-process execution without ``source``).
    """
    value: Any = source() if callable(source) and not isinstance(source, LineageGraph) else source
    if isinstance(value, dg.Definitions):
        return LineageGraph.from_definitions(value)
    if isinstance(value, LineageGraph):
        return value
    if value is not None:
        raise TypeError(f"graph must be a LineageGraph or Definitions, got {type(value).__name__}")
    try:
        return graph_from_repository(context.repository_def)
    except Exception:  # noqa: BLE001 - in-process runs have no repository: use the job's assets
        pass
    graph = graph_from_job(getattr(context, "job_def", None))
    if graph is not None:
        context.log.warning(
            "No code location (repository) in this run: the lineage graph is limited to the "
            "job's own assets. Pass graph= to analyse the whole code location."
        )
    else:
        raise IntegrationError(
            "the run's code location",
            "no lineage graph is available (in-process execution has no repository)",
            fix="Pass graph= (a LineageGraph, Definitions or a callable returning one).",
        )
    return graph
