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
import dataclasses
import gc
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    ColumnDep,
    ColumnInfo,
    ColumnRead,
    Unknown,
)
from dagster_lineage.impact.report import MATERIALIZED_TAG, ON_SCHEMA_CHANGE_TAG
from dagster_lineage.integrations.dbt.cache import (
    CachedFailure,
    CacheStats,
    LineageCache,
    lineage_cache_key,
    lineage_entry,
    statement_from_entry,
    structural_sql_digest,
)
from dagster_lineage.integrations.dbt.checksum import DbtFingerprint, DbtFingerprinter
from dagster_lineage.integrations.dbt.manifest import (
    RelationIndex,
    adapter_type,
    asset_parents,
    catalog_columns,
    catalog_entry,
    declared_columns,
    depends_on_nodes,
    exposures,
    is_ephemeral,
    lineage_nodes,
    node_relation_parts,
    topological_order,
)
from dagster_lineage.integrations.dbt.settings import DbtLineageSettings
from dagster_lineage.sql.data_types import normalize_type
from dagster_lineage.sql.records import lineage_parts
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

    The ``dagster_lineage`` block of ``meta`` (e.g. ``{dagster_lineage: {on_breaking: warn}}``,
    the breaking-change policy) becomes ``dagster_lineage/<key>`` tags.

    Examples:
        >>> record_tags({"config": {"meta": {"criticality": "high", "dagster": {}}, "tags": ["a"]}})
        {'criticality': 'high', 'dbt_tags': 'a'}
        >>> record_tags({"meta": {"dagster_lineage": {"on_breaking": "warn"}}})
        {'dagster_lineage/on_breaking': 'warn'}
    """
    meta = dict(props.get("meta") or {})
    meta.update((props.get("config") or {}).get("meta") or {})
    tags = {str(k): str(v) for k, v in meta.items() if isinstance(v, (str, int, float, bool))}
    ours = meta.get("dagster_lineage")
    if isinstance(ours, Mapping):
        tags.update(
            (f"dagster_lineage/{k}", str(v))
            for k, v in ours.items()
            if isinstance(v, (str, int, float, bool))
        )
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
    if fingerprinter is None:
        fingerprinter = DbtFingerprinter(
            manifest, sql_memo=cache if cache.directory is not None else None
        )
    # The user's hooks run once per node here; the snapshot key covers what they returned.
    hooked = [*lineage_nodes(manifest), *(exposures(manifest) if settings.enable_exposures else ())]
    keys = {n["unique_id"]: tuple(key_fn(n)) for n in hooked}
    owners = {n["unique_id"]: tuple(owners_fn(n)) for n in hooked}
    snapshot_key = (
        _snapshot_key(manifest, catalog, settings, keys, owners, fingerprinter)
        if cache.directory is not None
        else None
    )
    if snapshot_key is not None:
        found = cache.get_snapshot(snapshot_key)
        if isinstance(found, _Snapshot) and found.env_digest == _env_digest(
            found.env_names, fingerprinter.env
        ):
            for w in found.analysis.warnings:  # a broken model warns on every load
                logger.warning(w.render())
            return dataclasses.replace(
                found.analysis, cache_stats=CacheStats(hits=found.lookups), analysed=()
            )
    analysis = _analyse(
        manifest,
        catalog=catalog,
        keys=keys,
        owners=owners,
        settings=settings,
        cache=cache,
        fingerprinter=fingerprinter,
    )
    if snapshot_key is not None:
        for fp in analysis.fingerprints.values():
            _ = fp.packed_explain_parts  # kept in the snapshot: a warm load packs nothing
        env_names = _env_names(analysis.fingerprints.values())
        cache.put_snapshot(
            snapshot_key,
            _Snapshot(
                analysis=dataclasses.replace(analysis, cache_stats=CacheStats(), analysed=()),
                lookups=analysis.cache_stats.lookups,
                env_names=env_names,
                env_digest=_env_digest(env_names, fingerprinter.env),
            ),
        )
    return analysis


@dataclass(frozen=True)
class _Snapshot:
    """A whole-manifest analysis as kept on disk, with the env vars its fingerprints read."""

    analysis: DbtLineageAnalysis
    lookups: int
    env_names: tuple[str, ...]
    env_digest: str


def _snapshot_key(
    manifest: Mapping[str, Any],
    catalog: Mapping[str, Any] | None,
    settings: DbtLineageSettings,
    keys: Mapping[str, AssetKeyPath],
    owners: Mapping[str, tuple[str, ...]],
    fingerprinter: DbtFingerprinter,
) -> str | None:
    """Everything a whole-manifest analysis depends on, hashed; ``None`` when not serialisable.

    The manifest and catalog exactly (one C-speed serialisation, no canonical ordering needed:
    the same file always loads in the same order), the settings, the asset keys and owners the
    translator's hooks returned, and the fingerprinter's project folder and vars. Env vars are
    checked separately (only the ones the fingerprints read, see ``_env_digest``).
    """
    try:
        import orjson

        def dumps(value: Any) -> bytes:
            return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)

    except ImportError:  # pragma: no cover - orjson comes with dagster

        def dumps(value: Any) -> bytes:
            return json.dumps(value, default=str).encode()

    digest = hashlib.sha256()
    try:
        for part in (
            manifest,
            catalog,
            [repr(settings), fingerprinter.root, fingerprinter.dialect],
            fingerprinter.vars,
            keys,
            owners,
        ):
            digest.update(dumps(part))
            digest.update(b"\0")
    except (TypeError, ValueError):  # a manifest holding non-JSON values: no snapshot
        return None
    return digest.hexdigest()


def _env_names(fingerprints: Any) -> tuple[str, ...]:
    """The env vars any fingerprint hashed (template-basis fingerprints list them in ``vars``)."""
    names: set[str] = set()
    for fp in fingerprints:
        text = fp.parts.get("vars")
        if not text:
            continue
        try:
            names.update((json.loads(text).get("env") or {}).keys())
        except (ValueError, AttributeError):
            return ("*",)  # cannot tell: the snapshot is only valid in the same environment
    return tuple(sorted(names))


def _env_digest(names: tuple[str, ...], env: Mapping[str, str]) -> str:
    """A digest of the values of ``names`` in ``env`` (only the digest is stored: no secrets)."""
    pairs: list[tuple[str, str | None]] = (
        sorted(env.items()) if names == ("*",) else [(n, env.get(n)) for n in names]
    )
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()


def _analyse(
    manifest: Mapping[str, Any],
    *,
    catalog: Mapping[str, Any] | None,
    keys: Mapping[str, AssetKeyPath],
    owners: Mapping[str, tuple[str, ...]],
    settings: DbtLineageSettings,
    cache: LineageCache,
    fingerprinter: DbtFingerprinter,
) -> DbtLineageAnalysis:
    dialect = adapter_type(manifest)
    stats_before = cache.stats()
    fingerprints: dict[str, DbtFingerprint] = {}

    nodes = {n["unique_id"]: n for n in lineage_nodes(manifest)}
    relations = {uid: node_relation_parts(n, dialect) for uid, n in nodes.items()}
    records: dict[str, AssetLineage] = {}
    warnings: list[LineageWarning] = []
    analysed: list[str] = []
    # ephemeral models are inlined into their consumers: no asset, their parents are the upstream
    ephemeral = {uid for uid, n in nodes.items() if is_ephemeral(n)}
    parents_of = asset_parents(nodes)
    index = RelationIndex({u: r for u, r in relations.items() if u not in ephemeral and r})

    for uid in topological_order(nodes):
        if uid in ephemeral:
            continue
        node = nodes[uid]
        parents = list(parents_of[uid])
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
        by_name: dict[str, str] = {}  # table read without ref() -> the one node it names
        own_cols = [(n, t) for n, t in cat_cols] or [(c[0], c[1]) for c in declared.values()]
        if rtype in ("model", "snapshot"):
            # the lineage cache key: the fingerprint, plus the compiled SQL's structure when the
            # fingerprint does not cover the compiled SQL (run-time values: their literals vary)
            lineage_key = checksum
            if fp.basis != "compiled":
                lineage_key = checksum + structural_sql_digest(
                    str(node.get("compiled_code") or ""), dialect
                )
            schema = _schema_of([(relations[p], _columns_of(p, records)) for p in parents])
            lineage, problem, was_analysed = _analyse_sql(
                node, lineage_key, schema, dialect, settings, cache
            )
            if lineage is not None:
                # relations read by name and the model itself ({{ this }}): known once read
                extra = _read_by_name(
                    uid, statement_from_entry(lineage), parents, relations, index, by_name
                )
                if extra:
                    known = [(relations[p], _columns_of(p, records)) for p in parents]
                    for other in extra:
                        cols = _columns_of(other, records) or _node_columns(nodes[other], catalog)
                        if other == uid:
                            cols = own_cols or [(c[0], c[1]) for c in lineage["columns"]]
                        known.append((relations[other], cols))
                    again, problem2, parsed = _analyse_sql(
                        node, lineage_key, _schema_of(known), dialect, settings, cache
                    )
                    was_analysed = was_analysed or parsed
                    if again is not None:
                        lineage, problem = again, problem2
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
            inferred = {c[0].lower(): normalize_type(c[1]) for c in lineage["columns"]}
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

        indirect: Mapping[str, tuple[ColumnRead, ...]] = {}
        if lineage is not None:
            statement = statement_from_entry(lineage)
            assert isinstance(statement, StatementLineage)
            table_to_uid = _table_lookup([*parents, uid], relations)
            table_to_uid.update((t.lower(), u) for t, u in by_name.items())

            def to_key(table: str, _lookup: dict[str, str] = table_to_uid) -> AssetKeyPath | None:
                found = _lookup.get(table.lower())
                return None if found is None else keys[found]

            def explain(table: str, _uid: str = uid) -> str:
                return _why_unresolved(table, _uid, index, ephemeral)

            parts = lineage_parts(statement, to_key, self_key=keys[uid], explain=explain)
            column_deps = dict(parts.column_deps)
            reads = list(parts.reads)
            indirect = parts.indirect_deps
            star = list(parts.star_upstreams)
            unknowns.extend(parts.unknowns)
        elif rtype in ("model", "snapshot") and node.get("language", "sql") == "sql":
            pass  # the reason is already in unknowns

        records[uid] = AssetLineage(
            key=keys[uid],
            asset_type=_ASSET_TYPES.get(str(rtype), AssetType.ASSET),
            source_ref=_source_ref(node, relations[uid]),
            upstream=tuple(
                sorted({keys[p] for p in [*parents, *by_name.values()] if keys[p] != keys[uid]})
            ),
            columns=columns,
            column_deps=column_deps,
            reads=tuple(reads),  # sorted and unique (built from sorted unique tuples)
            indirect_deps=indirect,
            star_upstreams=tuple(sorted(set(star))),
            unknowns=tuple(unknowns),
            code_checksum=checksum,
            owners=owners[uid],
            tags={**record_tags(node), **_by_name_tag(by_name), **_keeps_data_tags(node)},
            contract_enforced=bool(
                ((node.get("config") or {}).get("contract") or {}).get("enforced")
            ),
            description=node.get("description") or None,
        )

    if settings.enable_exposures:
        for exp_node in exposures(manifest):
            uid = exp_node["unique_id"]
            records[uid] = AssetLineage(
                key=keys[uid],
                asset_type=AssetType.DBT_EXPOSURE,
                source_ref=str(exp_node.get("original_file_path") or uid),
                upstream=tuple(
                    sorted(
                        {
                            keys[q]
                            for p in depends_on_nodes(exp_node)
                            if p in keys
                            for q in (parents_of[p] if p in ephemeral else (p,))
                        }
                    )
                ),
                owners=owners[uid],
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


def _keeps_data_tags(node: Mapping[str, Any]) -> dict[str, str]:
    """An incremental model's materialization and ``on_schema_change`` (dbt defaults ``ignore``).

    Examples:
        >>> _keeps_data_tags({"config": {"materialized": "incremental"}})
        {'dbt_materialized': 'incremental', 'dbt_on_schema_change': 'ignore'}
        >>> _keeps_data_tags({"config": {"materialized": "table"}})
        {}
    """
    config = node.get("config") or {}
    if config.get("materialized") != "incremental":
        return {}
    return {
        MATERIALIZED_TAG: "incremental",
        ON_SCHEMA_CHANGE_TAG: str(config.get("on_schema_change") or "ignore"),
    }


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


BY_NAME_TAG = "dagster_lineage/relations_by_name"
"""Record tag listing the relations a model reads by name (no ``ref()``) and the node each is."""


def _schema_of(
    known: list[tuple[tuple[str, ...], list[tuple[str, str | None]]]],
) -> dict[str, dict[str, str | None]]:
    """The schema mapping of relations with columns: relation -> {column: type}, one depth."""
    known = [(parts, cols) for parts, cols in known if cols and parts]
    if not known:
        return {}
    depth = min(len(parts) for parts, _ in known)
    return {
        ".".join(parts[-depth:]): dict(cols) for parts, cols in sorted(known, key=lambda x: x[0])
    }


def _columns_of(uid: str, records: Mapping[str, AssetLineage]) -> list[tuple[str, str | None]]:
    rec = records.get(uid)
    return [(c.name, c.data_type) for c in rec.columns] if rec is not None else []


def _node_columns(
    node: Mapping[str, Any], catalog: Mapping[str, Any] | None
) -> list[tuple[str, str | None]]:
    """A node's columns before it is analysed: catalog.json's, else its YAML's."""
    return catalog_columns(catalog_entry(catalog, node)) or [
        (c[0], c[1]) for c in declared_columns(node)
    ]


def _read_by_name(
    uid: str,
    statement: StatementLineage | CachedFailure,
    parents: list[str],
    relations: Mapping[str, tuple[str, ...]],
    index: RelationIndex,
    by_name: dict[str, str],
) -> list[str]:
    """Nodes the SQL reads without ``ref()`` whose columns the analysis lacked.

    Fills ``by_name`` (table -> the one node whose relation it names, the way dbt names
    relations: database/schema/alias). The model's own relation (``{{ this }}`` of an incremental
    model) is returned when read: its previous schema qualifies the query.
    """
    if not isinstance(statement, StatementLineage):
        return []
    lookup = _table_lookup(parents, relations)
    own = {".".join(relations[uid][i:]).lower() for i in range(len(relations[uid]))}
    extra: dict[str, None] = {}
    for table in sorted(set(statement.tables) | set(statement.star_tables)):
        low = table.lower()
        if low in lookup:
            continue
        if low in own:
            extra[uid] = None
            continue
        cands = [c for c in index.candidates(table) if c != uid]
        if len(cands) == 1:
            by_name[table] = cands[0]
            extra[cands[0]] = None
    return list(extra)


def _why_unresolved(table: str, uid: str, index: RelationIndex, ephemeral: set[str]) -> str:
    """Why a table a model reads maps to no asset (the detail of its unknown)."""
    cands = [c for c in index.candidates(table) if c != uid]
    if len(cands) > 1:
        return f"it is no ref() or source() and names several dbt relations: {', '.join(cands)}"
    if "(" in table:  # named by its SQL text: a table function, not a relation
        return "it is a table function, not a dbt relation"
    if table.lower().startswith("__dbt__cte__"):
        name = table[len("__dbt__cte__") :]
        found = sorted(e for e in ephemeral if e.rsplit(".", 1)[-1] == name)
        what = f"ephemeral model {found[0]}" if found else f"ephemeral model '{name}'"
        return f"the CTE of {what} is missing from the compiled SQL"
    return "it is no ref() or source() of this model and no dbt relation has that name"


def _by_name_tag(by_name: Mapping[str, str]) -> dict[str, str]:
    if not by_name:
        return {}
    return {BY_NAME_TAG: "; ".join(f"{t} -> {u}" for t, u in sorted(by_name.items()))}


def _analyse_sql(
    node: Mapping[str, Any],
    checksum: str,
    schema: dict[str, dict[str, str | None]],
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
    except Exception as e:  # noqa: BLE001 - lineage is enrichment: never fail the code location
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
        str(k).lower(): normalize_type(v)
        for k, v in ((node.get("config") or {}).get("column_types") or {}).items()
    }
    names = [h.strip() for h in header if h.strip()]
    return names, {n.lower(): types.get(n.lower()) for n in names}
