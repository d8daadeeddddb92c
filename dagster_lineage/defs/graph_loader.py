"""Read lineage records from a ``dagster.Definitions`` object (one per asset spec).

Examples:
    >>> import dagster as dg
    >>> from dagster_lineage.defs.graph_loader import records_from_definitions
    >>> defs = dg.Definitions(assets=[dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])])
    >>> [r.key for r in records_from_definitions(defs)]
    [('a',), ('b',)]
"""

from __future__ import annotations

import dagster as dg

from dagster_lineage.core.model import AssetLineage
from dagster_lineage.defs.metadata import record_from_metadata


def records_from_definitions(defs: dg.Definitions) -> list[AssetLineage]:
    """One :class:`AssetLineage` per asset spec of ``defs``, sorted by key."""
    out = []
    for spec in defs.resolve_all_asset_specs():
        key = tuple(spec.key.path)
        deps = tuple(tuple(d.asset_key.path) for d in spec.deps)
        owners = tuple(str(o) for o in (spec.owners or ()))
        out.append(record_from_metadata(key, spec.metadata or {}, deps=deps, owners=owners))
    return sorted(out, key=lambda r: r.key)
