"""Put an :class:`AssetLineage` record on an asset spec as metadata, and read it back.

The record travels as Dagster's own ``dagster/column_schema`` and ``dagster/column_lineage`` (so the UI
shows it) plus entries under the ``dagster_lineage/`` prefix for what Dagster has no key for.

Examples:
    >>> from dagster_lineage.core.model import AssetLineage, AssetType, ColumnInfo
    >>> from dagster_lineage.defs.metadata import lineage_metadata, record_from_metadata
    >>> rec = AssetLineage(key=("a",), asset_type=AssetType.TABLE, columns=(ColumnInfo("x", "int"),))
    >>> md = lineage_metadata(rec)
    >>> sorted(k for k in md if k.startswith("dagster/"))
    ['dagster/column_schema']
    >>> record_from_metadata(("a",), md) == rec
    True
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

import dagster as dg

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    ColumnDep,
    ColumnInfo,
    ColumnRef,
    EdgeKind,
    Unknown,
    key_to_str,
)
from dagster_lineage.defs.metadata_keys import (
    ASSET_TYPE_KEY,
    CODE_CHECKSUM_KEY,
    COLUMN_LINEAGE_KEY,
    COLUMN_LINEAGE_MD_KEY,
    COLUMN_SCHEMA_KEY,
    EXPLORER_LINK_KEY,
    EXPLORER_URL_ENV,
    LINEAGE_KEY,
    UNKNOWNS_KEY,
)


def column_schema(rec: AssetLineage) -> dg.TableSchema:
    """Dagster's ``TableSchema`` for the record's output columns."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c.name, type=c.data_type or "unknown", description=c.description)
            for c in rec.columns
        ]
    )


@functools.lru_cache(maxsize=8192)
def _asset_key(path: AssetKeyPath) -> dg.AssetKey:
    # one AssetKey per upstream, not one per column dependency (AssetKey is immutable)
    return dg.AssetKey(list(path))


def _sorted_unique(deps: Iterable[ColumnDep]) -> list[ColumnDep]:
    # ``sorted(set(deps))`` on plain tuples: the same order as the dataclass order, without its
    # Python-level __hash__/__lt__ per comparison
    by_key = {(d.upstream.asset, d.upstream.column, d.kind): d for d in deps}
    return [by_key[k] for k in sorted(by_key)]


def column_lineage(rec: AssetLineage) -> dg.TableColumnLineage:
    """Dagster's ``TableColumnLineage`` for the record's column dependencies."""
    return dg.TableColumnLineage(
        deps_by_column={
            col: [
                dg.TableColumnDep(
                    asset_key=_asset_key(d.upstream.asset), column_name=d.upstream.column
                )
                for d in _sorted_unique(deps)
            ]
            for col, deps in sorted(rec.column_deps.items())
            if deps
        }
    )


def _md_cell(text: str) -> str:
    if "|" in text or "\n" in text:
        return text.replace("|", "\\|").replace("\n", " ")
    return text


def column_lineage_markdown(rec: AssetLineage) -> str | None:
    """The Markdown "Column lineage" table that open-source Dagster renders on the definition.

    One row per output column: its sources with the edge kind and the columns that only shape it
    (filter, join, group, window); then the columns only read. (The types are in
    ``dagster/column_schema``, which the UI shows as the Columns table.)

    ``None`` when the record has no columns and no reads.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef, EdgeKind
        >>> rec = AssetLineage(key=("b",), columns=(ColumnInfo("y", "integer"),),
        ...     column_deps={"y": (ColumnDep(ColumnRef(("a",), "x"), EdgeKind.RENAME),)})
        >>> print(column_lineage_markdown(rec))
        | Column | From | Shaped by |
        | --- | --- | --- |
        | `y` | `a.x` (rename) | – |
    """
    if not rec.columns and not rec.reads:
        return None
    # plain tuples and one escape per cell: this runs for every asset at every definitions load
    deps = {c.lower(): v for c, v in rec.column_deps.items() if v}
    indirect = {c.lower(): v for c, v in rec.indirect_deps.items() if v}
    lines = []
    if rec.columns:
        lines += ["| Column | From | Shaped by |", "| --- | --- | --- |"]
        for c in rec.columns:
            low = c.name.lower()
            ds = deps.get(low)
            src = (
                ", ".join(
                    f"`{a}.{col}` ({k})"
                    for a, col, k in sorted(
                        {("/".join(d.upstream.asset), d.upstream.column, d.kind.value) for d in ds}
                    )
                )
                if ds
                else "–"
            )
            rs = indirect.get(low)
            shaped = (
                ", ".join(
                    f"`{a}.{col}` ({k})"
                    for a, col, k in sorted(
                        {("/".join(r.upstream.asset), r.upstream.column, r.clause.value) for r in rs}
                    )
                )
                if rs
                else "–"
            )
            lines.append(f"| `{_md_cell(c.name)}` | {_md_cell(src)} | {_md_cell(shaped)} |")
    if rec.reads:
        reads = ", ".join(
            f"`{a}.{col}` ({k})"
            for a, col, k in sorted(
                {("/".join(r.upstream.asset), r.upstream.column, r.clause.value) for r in rec.reads}
            )
        )
        lines += ["", f"Columns only read: {reads}"]
    return "\n".join(lines)


def explorer_link(key: AssetKeyPath) -> str | None:
    """The asset's page in the lineage explorer, when ``$DAGSTER_LINEAGE_EXPLORER_URL`` is set.

    Examples:
        >>> import os
        >>> os.environ["DAGSTER_LINEAGE_EXPLORER_URL"] = "http://127.0.0.1:8765"
        >>> explorer_link(("analytics", "fct_orders"))
        'http://127.0.0.1:8765/#asset=analytics%2Ffct_orders'
        >>> del os.environ["DAGSTER_LINEAGE_EXPLORER_URL"]
    """
    import os
    from urllib.parse import quote

    base = os.environ.get(EXPLORER_URL_ENV)
    if not base:
        return None
    return f"{base.rstrip('/')}/#asset={quote(key_to_str(key), safe='')}"


def lineage_metadata(rec: AssetLineage) -> dict[str, Any]:
    """All metadata entries that carry ``rec`` on an asset spec.

    ``dagster/column_lineage`` is not among them: Dagster reads column lineage from the latest
    materialization (which carries it, see
    :func:`~dagster_lineage.defs.recording.checksum_metadata`), and open-source Dagster never shows
    it; the definition carries the Markdown table open-source Dagster renders instead.
    """
    md: dict[str, Any] = {
        ASSET_TYPE_KEY: rec.asset_type.value,
        LINEAGE_KEY: dg.MetadataValue.json(rec.to_dict()),
    }
    if rec.columns:
        md[COLUMN_SCHEMA_KEY] = column_schema(rec)
    table = column_lineage_markdown(rec)
    if table:
        md[COLUMN_LINEAGE_MD_KEY] = dg.MetadataValue.md(table)
    link = explorer_link(rec.key)
    if link:
        md[EXPLORER_LINK_KEY] = dg.MetadataValue.url(link)
    if rec.unknowns:
        md[UNKNOWNS_KEY] = dg.MetadataValue.md(
            "\n".join(
                f"- {('`' + u.column + '`: ') if u.column else ''}{u.reason}" for u in rec.unknowns
            )
        )
    if rec.code_checksum:
        md[CODE_CHECKSUM_KEY] = rec.code_checksum
    return md


def metadata_value(value: Any) -> Any:
    """The plain value of a metadata entry (``MetadataValue.value``, else the value itself).

    Examples:
        >>> metadata_value(dg.MetadataValue.json({"a": 1})), metadata_value("text")
        ({'a': 1}, 'text')
    """
    return value.value if isinstance(value, dg.MetadataValue) else value


def columns_from_metadata(metadata: Mapping[str, Any]) -> tuple[ColumnInfo, ...] | None:
    """The columns of the ``dagster/column_schema`` entry (on a spec or a materialization).

    ``None`` when there is no such entry. The one reader of the recorded schema: the gate, the
    drift checks and the dbt observation all read it through here.

    Examples:
        >>> md = {COLUMN_SCHEMA_KEY: dg.TableSchema(columns=[dg.TableColumn("id", "integer")])}
        >>> columns_from_metadata(md), columns_from_metadata({})
        ((ColumnInfo(name='id', data_type='integer', description=None),), None)
    """
    schema = metadata_value(metadata.get(COLUMN_SCHEMA_KEY))
    if not isinstance(schema, dg.TableSchema):
        return None
    return tuple(ColumnInfo(c.name, c.type, c.description) for c in schema.columns)


def record_from_metadata(
    key: AssetKeyPath,
    metadata: Mapping[str, Any],
    *,
    deps: tuple[AssetKeyPath, ...] = (),
    owners: tuple[str, ...] = (),
) -> AssetLineage:
    """Rebuild a record from spec metadata.

    Uses the ``dagster_lineage/lineage`` entry when present; otherwise builds a record from Dagster's
    own column schema and lineage entries (so plain assets with column metadata join the graph).
    """
    raw = metadata_value(metadata.get(LINEAGE_KEY))
    if isinstance(raw, Mapping):
        rec = AssetLineage.from_dict({**raw, "key": list(key)})
        ups = tuple(sorted(set(rec.upstream) | set(deps)))
        owners_all = tuple(sorted(set(rec.owners) | set(owners)))
        return _replace(rec, upstream=ups, owners=owners_all)

    columns = columns_from_metadata(metadata) or ()
    lineage = metadata_value(metadata.get(COLUMN_LINEAGE_KEY))
    col_deps: dict[str, tuple[ColumnDep, ...]] = {}
    if isinstance(lineage, dg.TableColumnLineage):
        for col, tdeps in lineage.deps_by_column.items():
            col_deps[col] = tuple(
                ColumnDep(
                    ColumnRef(tuple(d.asset_key.path), d.column_name), EdgeKind.TRANSFORMATION
                )
                for d in tdeps
            )
    unknowns: tuple[Unknown, ...] = ()
    if not columns and not col_deps:
        unknowns = (Unknown(f"asset {key_to_str(key)} declares no column lineage"),)
    atype = metadata_value(metadata.get(ASSET_TYPE_KEY))
    return AssetLineage(
        key=key,
        asset_type=AssetType(atype) if atype in AssetType._value2member_map_ else AssetType.ASSET,
        upstream=tuple(sorted(set(deps))),
        columns=columns,
        column_deps=col_deps,
        unknowns=unknowns,
        owners=tuple(sorted(set(owners))),
    )


def _replace(rec: AssetLineage, **changes: Any) -> AssetLineage:
    import dataclasses

    return dataclasses.replace(rec, **changes)
