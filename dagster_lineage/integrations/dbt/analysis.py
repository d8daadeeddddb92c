"""Lineage records for every dbt model, seed, snapshot, source and exposure of a manifest.

Pure (sqlglot only, no Dagster or dbt import, no warehouse connection): each model's COMPILED SQL
is traced with :func:`~dagster_lineage.sql.lineage.statement_lineage`, in topological order, with
the dialect of the manifest's ``adapter_type`` and a schema mapping built from its upstream nodes'
columns (each model's output columns feed its children's schema). Column types come from
catalog.json when present, else the YAML column declarations (``data_type``), else what sqlglot
infers. A model that cannot be analysed gets partial lineage (an unknown with the reason) and a
warning naming its file; the other models keep theirs.

Examples:
    >>> from dagster_lineage.integrations.dbt.analysis import analyse_dbt_manifest
    >>> manifest = {
    ...     "metadata": {"adapter_type": "duckdb"},
    ...     "sources": {"source.p.raw.orders": {
    ...         "unique_id": "source.p.raw.orders", "resource_type": "source",
    ...         "source_name": "raw", "name": "orders", "relation_name": "main.orders",
    ...         "columns": {"id": {"name": "id", "data_type": "integer"}}}},
    ...     "nodes": {}, "exposures": {},
    ... }
    >>> analysis = analyse_dbt_manifest(manifest)
    >>> rec = analysis.records["source.p.raw.orders"]
    >>> rec.key, rec.asset_type.value, rec.column_names
    (('raw', 'orders'), 'dbt_source', ('id',))
"""

from __future__ import annotations

import csv
import gc
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Clause,
    ColumnDep,
    ColumnInfo,
    ColumnRead,
    ColumnRef,
    EdgeKind,
    Unknown,
)
from dagster_lineage.integrations.dbt.cache import (
    CachedFailure,
    CacheStats,
    LineageCache,
    lineage_cache_key,
    lineage_entry,
    structural_sql_digest,
)
from dagster_lineage.integrations.dbt.checksum import DbtFingerprint, DbtFingerprinter
from dagster_lineage.integrations.dbt.manifest import (
    adapter_type,
    catalog_columns,
    catalog_entry,
    declared_columns,
    depends_on_nodes,
    exposures,
    lineage_nodes,
    node_relation_parts,
    normalise_type,
    topological_order,
)
from dagster_lineage.integrations.dbt.settings import DbtLineageSettings
from dagster_lineage.sql.types import StatementLineage

logger = logging.getLogger("dagster_lineage.dbt")

KeyFn = Callable[[Mapping[str, Any]], AssetKeyPath]
OwnersFn = Callable[[Mapping[str, Any]], tuple[str, ...]]

_ASSET_TYPES = {
    "model": AssetType.DBT_MODEL,
    "seed": AssetType.DBT_SEED,
    "snapshot": AssetType.DBT_SNAPSHOT,
    "source": AssetType.DBT_SOURCE,
    "exposure": AssetType.DBT_EXPOSURE,
}

_EDGE_KINDS = {k.value: k for k in EdgeKind}
_CLAUSES = {c.value: c for c in Clause}

_SNAPSHOT_META_COLUMNS = ("dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to")


@dataclass(frozen=True)
class LineageWarning:
    """A dbt node whose lineage is partial, with the file to look at.

    Examples:
        >>> LineageWarning("model.p.bad", "models/bad.sql", "Invalid expression").render()
        'Column lineage of models/bad.sql (model.p.bad) is incomplete: Invalid expression'
    """

    unique_id: str
    file: str
    message: str

    def render(self) -> str:
        """One human line naming the file."""
        return f"Column lineage of {self.file} ({self.unique_id}) is incomplete: {self.message}"


@dataclass(frozen=True)
class DbtLineageAnalysis:
    """The lineage of a whole manifest.

    Attributes:
        records: one record per model, seed, snapshot, source and exposure, by dbt unique_id.
        warnings: nodes whose SQL could not be analysed (their records carry an unknown).
        cache_stats: cache hits, misses and writes of this analysis (one lookup per analysed model).
        analysed: unique_ids whose SQL was parsed in this analysis (cache misses).
        fingerprints: each node's code fingerprint (its record's ``code_checksum``), by unique_id.

    Examples:
        >>> DbtLineageAnalysis().records
        {}
    """

    records: Mapping[str, AssetLineage] = field(default_factory=dict)
    warnings: tuple[LineageWarning, ...] = ()
    cache_stats: CacheStats = CacheStats()
    analysed: tuple[str, ...] = ()
    fingerprints: Mapping[str, DbtFingerprint] = field(default_factory=dict)

    def warning_for(self, unique_id: str) -> LineageWarning | None:
        """The warning of one node, if it has one."""
        for w in self.warnings:
            if w.unique_id == unique_id:
                return w
        return None


def default_dbt_asset_key(props: Mapping[str, Any]) -> AssetKeyPath:
    """dagster-dbt's default asset key rule, as a key path (used without a translator).

    ``meta.dagster.asset_key`` when set; sources ``(source_name, name)``; versioned models their
    alias; other nodes ``(configured schema, name)`` or ``(name,)``.

    Examples:
        >>> default_dbt_asset_key({"resource_type": "model", "name": "a", "config": {}})
        ('a',)
        >>> default_dbt_asset_key({"resource_type": "source", "source_name": "raw", "name": "t",
        ...                        "meta": {"dagster": {"asset_key": ["raw_t"]}}})
        ('raw_t',)
    """
    meta = (props.get("config") or {}).get("meta") or props.get("meta") or {}
    configured = (meta.get("dagster") or {}).get("asset_key")
    if configured:
        return tuple(str(p) for p in configured)
    if props.get("resource_type") == "source":
        return (str(props["source_name"]), str(props["name"]))
    if props.get("resource_type") == "exposure":
        return (str(props["name"]),)
    if props.get("version"):
        return (str(props["alias"]),)
    schema = (props.get("config") or {}).get("schema")
    return (str(schema), str(props["name"])) if schema else (str(props["name"]),)


def default_dbt_owners(props: Mapping[str, Any]) -> tuple[str, ...]:
    """Owners of a node: ``meta.dagster.owners``, else its group's or exposure owner's email.

    Examples:
        >>> default_dbt_owners({"owner": {"name": "Fin", "email": "fin@example.com"}})
        ('fin@example.com',)
    """
    meta = props.get("meta") or (props.get("config") or {}).get("meta") or {}
    configured = (meta.get("dagster") or {}).get("owners")
    if configured:
        return tuple(str(o) for o in configured)
    owner = props.get("owner")
    if isinstance(owner, Mapping) and owner.get("email"):
        email = owner["email"]
        return tuple(email) if isinstance(email, list) else (str(email),)
    group = props.get("group")
    if isinstance(group, Mapping):
        email = (group.get("owner") or {}).get("email")
        if email:
            return tuple(email) if isinstance(email, list) else (str(email),)
    return ()


def record_tags(props: Mapping[str, Any]) -> dict[str, str]:
    """Tags of a record: the node's scalar ``meta`` entries (e.g. ``criticality``) and dbt tags.

    Examples:
        >>> record_tags({"config": {"meta": {"criticality": "high", "dagster": {}}, "tags": ["a"]}})
        {'criticality': 'high', 'dbt_tags': 'a'}
    """
    meta = dict(props.get("meta") or {})
    meta.update((props.get("config") or {}).get("meta") or {})
    tags = {str(k): str(v) for k, v in meta.items() if isinstance(v, (str, int, float, bool))}
    dbt_tags = sorted(
        set(props.get("tags") or ()) | set((props.get("config") or {}).get("tags") or ())
    )
    if dbt_tags:
        tags["dbt_tags"] = ",".join(dbt_tags)
    return dict(sorted(tags.items()))


def analyse_dbt_manifest(
    manifest: Mapping[str, Any],
    *,
    catalog: Mapping[str, Any] | None = None,
    key_fn: KeyFn | None = None,
    owners_fn: OwnersFn | None = None,
    settings: DbtLineageSettings | None = None,
    cache: LineageCache | None = None,
    fingerprinter: DbtFingerprinter | None = None,
) -> DbtLineageAnalysis:
    """Build the lineage record of every model, seed, snapshot, source and exposure.

    Args:
        manifest: the parsed manifest.json (compiled, for column lineage).
        catalog: the parsed catalog.json (``dbt docs generate``), for column types.
        key_fn: a node's asset key path (default: :func:`default_dbt_asset_key`).
        owners_fn: a node's owners (default: :func:`default_dbt_owners`).
        settings: feature flags (default: :class:`DbtLineageSettings`).
        cache: where analysed SQL lineage is kept (default: nothing kept).
        fingerprinter: computes the code fingerprints (default: one over ``manifest``, without
            project folder or vars, memoising normalised SQL in ``cache``).

    Returns:
        The records by unique_id, the warnings and the cache statistics.
    """
    settings = settings or DbtLineageSettings()
    key_fn = key_fn or default_dbt_asset_key
    owners_fn = owners_fn or default_dbt_owners
    cache = cache or LineageCache(None)
    if not settings.use_catalog:
        catalog = None
    dialect = adapter_type(manifest)
    stats_before = cache.stats()
    if fingerprinter is None:
        fingerprinter = DbtFingerprinter(
            manifest, sql_memo=cache if cache.directory is not None else None
        )
    fingerprints: dict[str, DbtFingerprint] = {}

    nodes = {n["unique_id"]: n for n in lineage_nodes(manifest)}
    keys = {uid: tuple(key_fn(n)) for uid, n in nodes.items()}
    relations = {uid: node_relation_parts(n, dialect) for uid, n in nodes.items()}
    records: dict[str, AssetLineage] = {}
    warnings: list[LineageWarning] = []
    analysed: list[str] = []

    for uid in topological_order(nodes):
        node = nodes[uid]
        parents = [p for p in depends_on_nodes(node) if p in nodes]
        declared = {c[0].lower(): c for c in declared_columns(node)}
        cat_cols = catalog_columns(catalog_entry(catalog, node))
        cat_types = {name.lower(): t for name, t in cat_cols}
        rtype = node.get("resource_type")
        file = str(node.get("original_file_path") or node.get("path") or uid)
        unknowns: list[Unknown] = []
        column_deps: dict[str, tuple[ColumnDep, ...]] = {}
        reads: list[ColumnRead] = []
        star: list[AssetKeyPath] = []
        lineage: dict[str, Any] | None = None  # the cache entry form (see lineage_entry)

        fp = fingerprinter.fingerprint(node)
        fingerprints[uid] = fp
        checksum = fp.checksum
        if rtype in ("model", "snapshot"):
            # the lineage cache key: the fingerprint, plus the compiled SQL's structure when the
            # fingerprint does not cover the compiled SQL (run-time values: their literals vary)
            lineage_key = checksum
            if fp.basis != "compiled":
                lineage_key = checksum + structural_sql_digest(
                    str(node.get("compiled_code") or ""), dialect
                )
            lineage, problem, was_analysed = _analyse_sql(
                node, lineage_key, parents, records, relations, dialect, settings, cache
            )
            if was_analysed:
                analysed.append(uid)
            if problem is not None:
                unknowns.append(Unknown(problem))
                if problem.startswith("could not"):
                    w = LineageWarning(uid, file, problem)
                    warnings.append(w)
                    logger.warning(w.render())

        # output columns: SQL order when analysed, else catalog order, else YAML order
        names: list[str]
        inferred: dict[str, str | None] = {}
        if lineage is not None and lineage["columns"]:
            names = [c[0] for c in lineage["columns"]]
            inferred = {c[0].lower(): normalise_type(c[1]) for c in lineage["columns"]}
        elif cat_cols:
            names = [n for n, _ in cat_cols]
        elif declared:
            names = [c[0] for c in declared.values()]
        elif rtype == "seed":
            names, seed_types = _seed_header(node)
            inferred = seed_types
        else:
            names = []
        if rtype == "snapshot" and names:
            names += [c for c in _SNAPSHOT_META_COLUMNS if c not in {n.lower() for n in names}]
        columns = tuple(
            ColumnInfo(
                name,
                cat_types.get(name.lower())
                or (declared.get(name.lower()) or (None, None, None))[1]
                or inferred.get(name.lower()),
                (declared.get(name.lower()) or (None, None, None))[2],
            )
            for name in names
        )

        if lineage is not None:
            table_to_uid = _table_lookup(parents, relations)
            unmapped: set[str] = set()

            def to_key(
                table: str,
                _lookup: dict[str, str] = table_to_uid,
                _unmapped: set[str] = unmapped,
            ) -> AssetKeyPath | None:
                found = _lookup.get(table.lower())
                if found is None:
                    _unmapped.add(table)
                    return None
                return keys[found]

            # De-duplicate and sort on plain tuples (the dataclasses' own order, without their
            # Python-level __hash__/__lt__), and build each ColumnRef once per node.
            refs: dict[tuple[AssetKeyPath, str], ColumnRef] = {}
            for name, _type, sources in lineage["columns"]:
                dep_keys: dict[tuple[AssetKeyPath, str, str], None] = {}
                for table, column, kind in sources:
                    k = to_key(table)
                    if k is not None:
                        dep_keys[(k, column, kind)] = None
                column_deps[name] = tuple(
                    [
                        ColumnDep(
                            refs.get((k, c)) or refs.setdefault((k, c), ColumnRef(k, c)),
                            _EDGE_KINDS[kd],
                        )
                        for k, c, kd in sorted(dep_keys)
                    ]
                )
            read_keys: dict[tuple[AssetKeyPath, str, str], None] = {}
            for table, column, clause in lineage["reads"]:
                k = to_key(table)
                if k is not None:
                    read_keys[(k, column, clause)] = None
            reads = [
                ColumnRead(
                    refs.get((k, c)) or refs.setdefault((k, c), ColumnRef(k, c)), _CLAUSES[cl]
                )
                for k, c, cl in sorted(read_keys)
            ]
            for t in lineage["star_tables"]:
                k = to_key(t)
                if k is not None:
                    star.append(k)
            unknowns.extend(Unknown(reason, column) for reason, column in lineage["unknowns"])
            for t in sorted(unmapped):
                unknowns.append(
                    Unknown(f"reads table {t}, which is neither a dbt ref nor a dbt source")
                )
        elif rtype in ("model", "snapshot") and node.get("language", "sql") == "sql":
            pass  # the reason is already in unknowns

        records[uid] = AssetLineage(
            key=keys[uid],
            asset_type=_ASSET_TYPES.get(str(rtype), AssetType.ASSET),
            source_ref=_source_ref(node, relations[uid]),
            upstream=tuple(sorted({keys[p] for p in parents})),
            columns=columns,
            column_deps=column_deps,
            reads=tuple(reads),  # sorted and unique (built from sorted unique tuples)
            star_upstreams=tuple(sorted(set(star))),
            unknowns=tuple(unknowns),
            code_checksum=checksum,
            owners=owners_fn(node),
            tags=record_tags(node),
            contract_enforced=bool(
                ((node.get("config") or {}).get("contract") or {}).get("enforced")
            ),
            description=node.get("description") or None,
        )

    if settings.enable_exposures:
        for exp_node in exposures(manifest):
            uid = exp_node["unique_id"]
            records[uid] = AssetLineage(
                key=tuple(key_fn(exp_node)),
                asset_type=AssetType.DBT_EXPOSURE,
                source_ref=str(exp_node.get("original_file_path") or uid),
                upstream=tuple(sorted({keys[p] for p in depends_on_nodes(exp_node) if p in keys})),
                owners=owners_fn(exp_node),
                tags=record_tags(exp_node),
                description=exp_node.get("description") or None,
            )

    cache.flush()
    after = cache.stats()
    return DbtLineageAnalysis(
        records=records,
        warnings=tuple(warnings),
        cache_stats=CacheStats(
            hits=after.hits - stats_before.hits,
            misses=after.misses - stats_before.misses,
            writes=after.writes - stats_before.writes,
        ),
        analysed=tuple(analysed),
        fingerprints=fingerprints,
    )


def _source_ref(node: Mapping[str, Any], relation: tuple[str, ...]) -> str:
    if node.get("resource_type") == "source":
        return ".".join(relation[-2:]) if relation else str(node.get("unique_id"))
    return str(node.get("original_file_path") or node.get("unique_id"))


def _table_lookup(parents: list[str], relations: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    """Every spelling of each parent's relation (db.schema.t, schema.t, t) -> its unique_id."""
    out: dict[str, str] = {}
    ambiguous: set[str] = set()
    for p in parents:
        parts = relations[p]
        for i in range(len(parts)):
            name = ".".join(parts[i:]).lower()
            if name in out and out[name] != p:
                ambiguous.add(name)
            out.setdefault(name, p)
    for name in ambiguous:
        # keep only unambiguous spellings (the full name is always unique per parent)
        if name.count(".") < 2:
            out.pop(name, None)
    return out


def _schema_for(
    parents: list[str],
    records: Mapping[str, AssetLineage],
    relations: Mapping[str, tuple[str, ...]],
) -> dict[str, dict[str, str | None]]:
    """The upstream schema mapping: parent relation -> {column: type}, one nesting depth."""
    known = [(relations[p], records[p]) for p in parents if p in records and records[p].columns]
    if not known:
        return {}
    depth = min(len(parts) for parts, _ in known)
    return {
        ".".join(parts[-depth:]): {c.name: c.data_type for c in rec.columns}
        for parts, rec in sorted(known, key=lambda x: x[0])
    }


def _analyse_sql(
    node: Mapping[str, Any],
    checksum: str,
    parents: list[str],
    records: Mapping[str, AssetLineage],
    relations: Mapping[str, tuple[str, ...]],
    dialect: str | None,
    settings: DbtLineageSettings,
    cache: LineageCache,
) -> tuple[dict[str, Any] | None, str | None, bool]:
    """(lineage as a cache entry, problem, parsed now) of one model or snapshot."""
    file = str(node.get("original_file_path") or node.get("unique_id"))
    if node.get("language", "sql") != "sql":
        return None, f"{node.get('language')} model: column lineage is only traced for SQL", False
    if not settings.enable_column_lineage:
        return None, None, False
    sql = node.get("compiled_code")
    if not sql:
        return (
            None,
            "no compiled SQL in the manifest (it was only parsed): run `dbt compile` to trace "
            "column lineage",
            False,
        )
    schema = _schema_for(parents, records, relations)
    key = lineage_cache_key(code_checksum=checksum, schema=schema, dialect=dialect)
    entry = cache.get_entry(key)
    parsed_now = False
    if entry is None:
        parsed_now = True
        result = _run_statement_lineage(str(sql), dialect, schema, file)
        if isinstance(result, CachedFailure) and result.transient:
            return None, f"could not analyse {file}: {result.message}", parsed_now
        entry = lineage_entry(result)
        cache.put_entry(key, entry)
    if "failure" in entry:
        return None, f"could not analyse {file}: {entry['failure']}", parsed_now
    return entry, None, parsed_now


def _run_statement_lineage(
    sql: str, dialect: str | None, schema: Mapping[str, Mapping[str, str | None]], file: str
) -> StatementLineage | CachedFailure:
    from dagster_lineage.sql.lineage import statement_lineage

    try:
        return statement_lineage(sql, dialect=dialect, schema=schema, source=file)
    except NotImplementedError as e:
        return CachedFailure(f"SQL lineage is not available ({e})", transient=True)
    except Exception as e:  # lineage is enrichment: never fail the code location
        detail = " ".join(str(e).split())
        if len(detail) > 300:
            detail = detail[:297] + "..."
        return CachedFailure(f"{type(e).__name__}: {detail}")
    finally:
        if not gc.isenabled():
            # The definitions factory pauses the collector; sqlglot trees are reference cycles,
            # so collect this statement's young garbage now (cheap) or a cold load's memory
            # doubles.
            gc.collect(1)


def _seed_header(node: Mapping[str, Any]) -> tuple[list[str], dict[str, str | None]]:
    """Column names of a seed from its CSV header, typed by ``config.column_types``."""
    root = node.get("root_path")
    rel = node.get("original_file_path")
    if not root or not rel:
        return [], {}
    path = Path(str(root)) / str(rel)
    try:
        with path.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f), [])
    except (OSError, UnicodeDecodeError):
        return [], {}
    types = {
        str(k).lower(): normalise_type(v)
        for k, v in ((node.get("config") or {}).get("column_types") or {}).items()
    }
    names = [h.strip() for h in header if h.strip()]
    return names, {n.lower(): types.get(n.lower()) for n in names}
