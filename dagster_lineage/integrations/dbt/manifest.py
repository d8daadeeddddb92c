"""Read dbt artefacts (manifest.json, catalog.json) into plain data (pure, no Dagster import).

Examples:
    >>> from dagster_lineage.integrations.dbt.manifest import relation_parts
    >>> relation_parts('"warehouse"."main"."raw_orders"')
    ('warehouse', 'main', 'raw_orders')
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dagster_lineage.errors import IntegrationError
from dagster_lineage.sql.data_types import normalize_type

LINEAGE_RESOURCE_TYPES = ("model", "seed", "snapshot")
"""Manifest ``nodes`` that become assets (plus ``sources``)."""


def load_json_artifact(path: str | Path, *, what: str = "manifest.json") -> dict[str, Any]:
    """Read one dbt JSON artefact, raising :class:`IntegrationError` naming the file on failure.

    Examples:
        >>> load_json_artifact("/nonexistent/manifest.json")
        Traceback (most recent call last):
        ...
        dagster_lineage.errors.IntegrationError: Could not read /nonexistent/manifest.json: ...
    """
    p = Path(path)
    if not p.is_file():
        raise IntegrationError(
            str(p),
            "the file does not exist",
            fix=f"Run `dbt parse` (or `dbt compile`) to write {what}, or pass its correct path.",
        )
    try:
        data = _json_loads(p.read_bytes())
    except (OSError, ValueError) as e:
        raise IntegrationError(
            str(p), f"not valid JSON ({e})", fix=f"Re-create {what} with dbt."
        ) from None
    if not isinstance(data, dict):
        raise IntegrationError(str(p), "not a JSON object", fix=f"Re-create {what} with dbt.")
    return data


def _json_loads(raw: bytes) -> Any:
    try:
        import orjson  # installed with dagster-dbt, which reads manifests with it too
    except ImportError:  # pragma: no cover
        return json.loads(raw)
    return orjson.loads(raw)


def coerce_manifest(
    manifest: Mapping[str, Any] | str | Path,
) -> tuple[Mapping[str, Any], Path | None]:
    """A manifest given as a dict or a path, and the folder it came from (``None`` for a dict).

    Examples:
        >>> coerce_manifest({"nodes": {}})
        ({'nodes': {}}, None)
    """
    if isinstance(manifest, Mapping):
        return manifest, None
    path = Path(manifest)
    return load_json_artifact(path), path.resolve().parent


def adapter_type(manifest: Mapping[str, Any]) -> str | None:
    """The adapter (and sqlglot dialect) of the manifest, e.g. ``duckdb``.

    Examples:
        >>> adapter_type({"metadata": {"adapter_type": "duckdb"}})
        'duckdb'
    """
    value = (manifest.get("metadata") or {}).get("adapter_type")
    return str(value) if value else None


def lineage_nodes(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Enabled models, seeds, snapshots and sources of a manifest, in unique_id order.

    Examples:
        >>> m = {"nodes": {"model.p.a": {"resource_type": "model", "unique_id": "model.p.a"},
        ...                "test.p.t": {"resource_type": "test", "unique_id": "test.p.t"}},
        ...      "sources": {}}
        >>> [n["unique_id"] for n in lineage_nodes(m)]
        ['model.p.a']
    """
    for uid in sorted(manifest.get("nodes") or {}):
        node = manifest["nodes"][uid]
        if node.get("resource_type") in LINEAGE_RESOURCE_TYPES and _enabled(node):
            yield node
    for uid in sorted(manifest.get("sources") or {}):
        node = manifest["sources"][uid]
        if _enabled(node):
            yield node


def exposures(manifest: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Enabled exposures of a manifest, in unique_id order.

    Examples:
        >>> list(exposures({"exposures": {"exposure.p.d": {"name": "d"}}}))[0]["name"]
        'd'
    """
    for uid in sorted(manifest.get("exposures") or {}):
        node = manifest["exposures"][uid]
        if _enabled(node):
            yield node


def _enabled(node: Mapping[str, Any]) -> bool:
    return bool((node.get("config") or {}).get("enabled", True))


def depends_on_nodes(node: Mapping[str, Any]) -> tuple[str, ...]:
    """unique_ids a node depends on (de-duplicated, in manifest order).

    Examples:
        >>> depends_on_nodes({"depends_on": {"nodes": ["a", "b", "a"]}})
        ('a', 'b')
    """
    return tuple(dict.fromkeys((node.get("depends_on") or {}).get("nodes") or ()))


def topological_order(nodes: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """unique_ids of ``nodes`` so that every node comes after the nodes it depends on.

    Dependencies outside ``nodes`` are ignored; ties are broken by unique_id (deterministic); a
    cycle (which dbt itself rejects) ends the order with the remaining nodes sorted.

    Examples:
        >>> topological_order({"b": {"depends_on": {"nodes": ["a"]}}, "a": {}})
        ['a', 'b']
    """
    import heapq

    parents = {uid: [p for p in depends_on_nodes(n) if p in nodes] for uid, n in nodes.items()}
    children: dict[str, list[str]] = {uid: [] for uid in nodes}
    for uid, ps in parents.items():
        for p in ps:
            children[p].append(uid)
    remaining = {uid: len(ps) for uid, ps in parents.items()}
    ready = [uid for uid, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        uid = heapq.heappop(ready)
        out.append(uid)
        for c in children[uid]:
            remaining[c] -= 1
            if remaining[c] == 0:
                heapq.heappush(ready, c)
    if len(out) < len(nodes):
        out.extend(sorted(uid for uid in nodes if uid not in set(out)))
    return out


def relation_parts(relation_name: str, dialect: str | None = None) -> tuple[str, ...]:
    """The unquoted parts of a dbt ``relation_name`` (``database``, ``schema``, ``identifier``).

    Unquoted parts are lower-cased, quoted parts are kept as written.

    Examples:
        >>> relation_parts("analytics.Main.orders")
        ('analytics', 'main', 'orders')
        >>> relation_parts('"DB"."s"."T"')
        ('DB', 's', 'T')
    """
    import sqlglot
    from sqlglot import exp

    try:
        table = exp.to_table(relation_name, dialect=dialect)
    except sqlglot.errors.ParseError:
        return tuple(p.strip('"`[]').lower() for p in relation_name.split("."))
    parts = []
    for ident in table.parts:
        if isinstance(ident, exp.Identifier):
            parts.append(ident.name if ident.quoted else ident.name.lower())
        else:
            parts.append(ident.name.lower())
    return tuple(parts)


def node_relation_parts(node: Mapping[str, Any], dialect: str | None = None) -> tuple[str, ...]:
    """The relation a node reads or writes, from ``relation_name`` or its database/schema/name.

    Examples:
        >>> node_relation_parts({"database": "w", "schema": "main", "alias": "t", "name": "x"})
        ('w', 'main', 't')
    """
    rel = node.get("relation_name")
    if rel:
        return relation_parts(str(rel), dialect)
    ident = node.get("identifier") or node.get("alias") or node.get("name") or ""
    return tuple(str(p).lower() for p in (node.get("database"), node.get("schema"), ident) if p)


def catalog_entry(
    catalog: Mapping[str, Any] | None, node: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The catalog.json entry (``nodes`` or ``sources``) of a manifest node, if any.

    Examples:
        >>> catalog_entry({"nodes": {"model.p.a": {"columns": {}}}}, {"unique_id": "model.p.a"})
        {'columns': {}}
    """
    if not catalog:
        return None
    section = "sources" if node.get("resource_type") == "source" else "nodes"
    entry = (catalog.get(section) or {}).get(node.get("unique_id"))
    return entry if isinstance(entry, Mapping) else None


def catalog_columns(entry: Mapping[str, Any] | None) -> list[tuple[str, str | None]]:
    """``(name, lower-case type)`` of a catalog entry's columns, in table order.

    Examples:
        >>> catalog_columns({"columns": {"B": {"name": "B", "type": "INTEGER", "index": 2},
        ...                              "a": {"name": "a", "type": "VARCHAR", "index": 1}}})
        [('a', 'varchar'), ('B', 'integer')]
    """
    if not entry:
        return []
    cols = list((entry.get("columns") or {}).values())
    cols.sort(key=lambda c: c.get("index") if isinstance(c.get("index"), int) else 10**9)
    return [(str(c["name"]), normalize_type(c.get("type"))) for c in cols if c.get("name")]


def declared_columns(node: Mapping[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """``(name, lower-case data_type or None, description or None)`` from the node's YAML.

    Examples:
        >>> declared_columns({"columns": {"id": {"name": "id", "data_type": "INT", "description": ""}}})
        [('id', 'int', None)]
    """
    out = []
    for col in (node.get("columns") or {}).values():
        if not col.get("name"):
            continue
        out.append(
            (str(col["name"]), normalize_type(col.get("data_type")), col.get("description") or None)
        )
    return out


def is_ephemeral(node: Mapping[str, Any]) -> bool:
    """Whether a node is an ephemeral model: inlined into its consumers as a CTE, no relation.

    Examples:
        >>> is_ephemeral({"resource_type": "model", "config": {"materialized": "ephemeral"}})
        True
        >>> is_ephemeral({"resource_type": "model", "config": {"materialized": "view"}})
        False
    """
    return (
        node.get("resource_type") == "model"
        and (node.get("config") or {}).get("materialized") == "ephemeral"
    )


def asset_parents(
    nodes: Mapping[str, Mapping[str, Any]],
) -> dict[str, tuple[str, ...]]:
    """Per node, its parents with every ephemeral parent replaced by that one's parents.

    dbt inlines an ephemeral model into its consumers (a ``__dbt__cte__<name>`` CTE), so the
    consumer's SQL reads the ephemeral model's own parents: those are its real upstream assets.

    Examples:
        >>> nodes = {
        ...     "source.p.s": {"resource_type": "source"},
        ...     "model.p.e": {"resource_type": "model", "config": {"materialized": "ephemeral"},
        ...                   "depends_on": {"nodes": ["source.p.s"]}},
        ...     "model.p.m": {"resource_type": "model", "depends_on": {"nodes": ["model.p.e"]}},
        ... }
        >>> asset_parents(nodes)["model.p.m"]
        ('source.p.s',)
    """
    out: dict[str, tuple[str, ...]] = {}

    def expand(uid: str, seen: frozenset[str]) -> tuple[str, ...]:
        if uid in out:
            return out[uid]
        found: dict[str, None] = {}
        for p in depends_on_nodes(nodes[uid]):
            if p not in nodes or p in seen:
                continue
            if is_ephemeral(nodes[p]):
                found.update(dict.fromkeys(expand(p, seen | {p})))
            else:
                found[p] = None
        out[uid] = tuple(found)
        return out[uid]

    for uid in nodes:
        expand(uid, frozenset({uid}))
    return out


class RelationIndex:
    """Every dbt relation (models, seeds, snapshots, sources) by each spelling of its name.

    A SQL table name matches a relation when its parts are a suffix of the relation's
    ``database.schema.identifier`` (the way dbt names relations; case-insensitive), so a model
    reading ``main.orders`` by name, without ``ref()``, can still be resolved.

    Examples:
        >>> index = RelationIndex({"model.p.a": ("db", "main", "orders"),
        ...                        "model.q.a": ("db", "other", "orders")})
        >>> index.candidates("main.orders"), index.candidates("orders")
        (('model.p.a',), ('model.p.a', 'model.q.a'))
    """

    def __init__(self, relations: Mapping[str, tuple[str, ...]]) -> None:
        self._by_name: dict[str, list[str]] = {}
        for uid, parts in sorted(relations.items()):
            for i in range(len(parts)):
                self._by_name.setdefault(".".join(parts[i:]).lower(), []).append(uid)

    def candidates(self, table: str) -> tuple[str, ...]:
        """The unique_ids whose relation ``table`` names (empty: none, several: ambiguous)."""
        return tuple(self._by_name.get(table.lower(), ()))
