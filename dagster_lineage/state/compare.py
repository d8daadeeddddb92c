"""What changed since the last successful materialization: pure comparison over plain data.

The Dagster side (:mod:`dagster_lineage.defs.changed_assets`) reads each asset's last successful
materialization from the instance into :class:`MaterializationState`; :func:`compare` then lists the
assets whose code or declared schema differs from that record, those never materialized, and
everything downstream of them (reason ``upstream``), plus assets whose parents were re-materialized
with other checksums since (``upstream`` for code/schema, ``data`` for data only).

Examples:
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage
    >>> g = LineageGraph.from_records([
    ...     AssetLineage(key=("a",), code_checksum="a2"),
    ...     AssetLineage(key=("b",), upstream=(("a",),), code_checksum="b1"),
    ... ])
    >>> last = {
    ...     ("a",): MaterializationState(key=("a",), run_id="r1", timestamp=0.0, storage_id=1, code="a1"),
    ...     ("b",): MaterializationState(key=("b",), run_id="r1", timestamp=0.0, storage_id=2, code="b1"),
    ... }
    >>> [(c.key_str, [r.value for r in c.reasons]) for c in compare(g, last)]
    [('a', ['code']), ('b', ['upstream'])]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from dagster_lineage.core.graph import LineageGraph
from dagster_lineage.core.model import AssetKeyPath, key_to_str
from dagster_lineage.state.checksums import (
    LEGACY_SCHEME,
    ColumnLike,
    ParentState,
    code_scheme_for,
    is_unknown_checksum,
    normalize_schema,
    schema_checksum,
    unknown_reason,
)


class ChangeReason(str, Enum):
    """Why an asset is listed as changed.

    ``CODE``: its own code checksum differs from the one recorded at its last success.
    ``SCHEMA``: its declared schema differs. ``DATA``: a parent was re-materialized since, with the
    same code and schema but other data. ``UPSTREAM``: something upstream changed (code, schema, or
    never materialized). ``NEVER_MATERIALIZED``: no successful materialization on record.
    ``UNKNOWN``: its code fingerprint (now or at its last success) could not be computed the usual
    way (e.g. ``dbt compile`` failed), so it was not compared: not a change, and not propagated.

    Examples:
        >>> ChangeReason("code").is_direct, ChangeReason("upstream").is_direct
        (True, False)
    """

    CODE = "code"
    SCHEMA = "schema"
    DATA = "data"
    UPSTREAM = "upstream"
    NEVER_MATERIALIZED = "never_materialized"
    UNKNOWN = "unknown"

    @property
    def is_direct(self) -> bool:
        """True when the asset changed itself (not because of something upstream)."""
        return self in (ChangeReason.CODE, ChangeReason.SCHEMA, ChangeReason.NEVER_MATERIALIZED)


@dataclass(frozen=True)
class MaterializationState:
    """The checksums recorded with one materialization of an asset.

    Attributes:
        key: the asset key path.
        run_id: the run that materialized it.
        timestamp: when the materialization was recorded (UNIX seconds).
        storage_id: the event's id in the instance's event log (orders events).
        code: code checksum; ``schema``: observed schema checksum; ``declared_schema``: checksum of
            the schema the lineage record declared; ``data``: data checksum; ``upstream``: folded
            parents' checksums.
        parents: what it saw of each parent (by key string).
        columns: the recorded schema as ``{name: type}``.
        row_count: rows, when known.
        run_end_time: when the run finished (UNIX seconds), when known.
        code_scheme: the fingerprint scheme the code checksum was computed with (``None``: not
            recorded, i.e. scheme ``1`` for the asset types whose fingerprint the library computes).

    Examples:
        >>> MaterializationState(key=("a",), run_id="r", timestamp=1.0, storage_id=7).parent_state.code is None
        True
    """

    key: AssetKeyPath
    run_id: str
    timestamp: float
    storage_id: int
    code: str | None = None
    schema: str | None = None
    declared_schema: str | None = None
    data: str | None = None
    upstream: str | None = None
    parents: Mapping[str, ParentState | None] = field(default_factory=dict)
    columns: Mapping[str, str | None] = field(default_factory=dict)
    row_count: int | None = None
    run_end_time: float | None = None
    code_scheme: str | None = None
    code_parts: str | None = None

    @property
    def parent_state(self) -> ParentState:
        """This materialization as seen by a child (its own checksums)."""
        return ParentState(
            code=self.code, schema=self.schema, data=self.data, upstream=self.upstream
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "asset": key_to_str(self.key),
            "run_id": self.run_id,
            "timestamp": self.timestamp,
            "run_end_time": self.run_end_time,
            "code_checksum": self.code,
            "schema_checksum": self.schema,
            "data_checksum": self.data,
            "upstream_checksum": self.upstream,
            "row_count": self.row_count,
        }


@dataclass(frozen=True)
class SchemaDiff:
    """Columns added, removed and retyped between two schemas.

    Examples:
        >>> d = schema_diff({"a": "int", "b": "text"}, {"a": "bigint", "c": "text"})
        >>> d.added, d.removed, d.retyped
        (('c',), ('b',), (('a', 'int', 'bigint'),))
        >>> d.describe()
        'added: c; removed: b; retyped: a int -> bigint'
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[tuple[str, str | None, str | None], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.retyped)

    def describe(self) -> str:
        """One line for logs and reports (``no schema change`` when empty)."""
        parts = []
        if self.added:
            parts.append("added: " + ", ".join(self.added))
        if self.removed:
            parts.append("removed: " + ", ".join(self.removed))
        if self.retyped:
            parts.append(
                "retyped: " + ", ".join(f"{c} {o or '?'} -> {n or '?'}" for c, o, n in self.retyped)
            )
        return "; ".join(parts) or "no schema change"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "retyped": [{"column": c, "from": o, "to": n} for c, o, n in self.retyped],
        }


def schema_diff(
    old: Iterable[ColumnLike] | Mapping[str, str | None],
    new: Iterable[ColumnLike] | Mapping[str, str | None],
) -> SchemaDiff:
    """Compare two schemas by lower-case column name; types compared after normalization.

    A column whose type is unknown (``None``) on either side is not reported as retyped.

    Examples:
        >>> schema_diff([("ID", "INTEGER")], [("id", "integer"), ("x", None)]).added
        ('x',)
    """
    o = normalize_schema(old.items() if isinstance(old, Mapping) else old)
    n = normalize_schema(new.items() if isinstance(new, Mapping) else new)
    retyped = tuple(
        (c, o[c], n[c])
        for c in sorted(set(o) & set(n))
        if o[c] is not None and n[c] is not None and o[c] != n[c]
    )
    return SchemaDiff(
        added=tuple(sorted(set(n) - set(o))),
        removed=tuple(sorted(set(o) - set(n))),
        retyped=retyped,
    )


@dataclass(frozen=True)
class AssetChange:
    """One asset that changed since its last successful materialization, and why.

    Examples:
        >>> c = AssetChange(key=("b",), reasons=(ChangeReason.UPSTREAM,), details=("a changed (code)",))
        >>> c.changed_itself, c.to_dict()["reasons"]
        (False, ['upstream'])
    """

    key: AssetKeyPath
    reasons: tuple[ChangeReason, ...]
    details: tuple[str, ...] = ()
    last_success: MaterializationState | None = None
    current_code: str | None = None
    materializable: bool = True

    @property
    def key_str(self) -> str:
        """The key as ``a/b``."""
        return key_to_str(self.key)

    @property
    def changed_itself(self) -> bool:
        """True when its own code or schema changed, or it was never materialized."""
        return any(r.is_direct for r in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        last = self.last_success
        return {
            "asset": self.key_str,
            "reasons": [r.value for r in self.reasons],
            "details": list(self.details),
            "current_code_checksum": self.current_code,
            "recorded_code_checksum": last.code if last else None,
            "last_success_run_id": last.run_id if last else None,
            "last_success_time": last.run_end_time or last.timestamp if last else None,
            "materializable": self.materializable,
        }


_REASON_ORDER = list(ChangeReason)


@dataclass(frozen=True)
class SchemeChange:
    """Assets whose last success recorded a code checksum of another fingerprint scheme.

    Their code is not compared (every checksum would differ): reported once, as one line.

    Examples:
        >>> SchemeChange(((("a",)),), ("1 -> dbt/2",)).describe()
        'fingerprint scheme changed (1 -> dbt/2) for 1 asset: code changes since its last run are not detected until it is materialized again'
    """

    keys: tuple[AssetKeyPath, ...]
    transitions: tuple[str, ...]

    def describe(self) -> str:
        """One line for the report."""
        n = len(self.keys)
        one = n == 1
        return (
            f"fingerprint scheme changed ({', '.join(self.transitions)}) for {n} "
            + ("asset" if one else "assets")
            + ": code changes since "
            + ("its" if one else "their")
            + " last run are not detected until "
            + ("it is" if one else "they are")
            + " materialized again"
        )


@dataclass(frozen=True)
class ChangeReport:
    """What :func:`compare_report` found: the changes, and the scheme change notice if any.

    Examples:
        >>> ChangeReport().notices
        ()
    """

    changes: tuple[AssetChange, ...] = ()
    scheme_change: SchemeChange | None = None

    @property
    def notices(self) -> tuple[str, ...]:
        """Lines to print once above the changes."""
        return (self.scheme_change.describe(),) if self.scheme_change else ()


def compare(
    graph: LineageGraph,
    last_success: Mapping[AssetKeyPath, MaterializationState | None],
    *,
    materializable: Iterable[AssetKeyPath] | None = None,
) -> list[AssetChange]:
    """The changes of :func:`compare_report` (without the scheme notice).

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> g = LineageGraph.from_records([AssetLineage(key=("a",), code_checksum="1")])
        >>> [c.reasons[0].value for c in compare(g, {})]
        ['never_materialized']
    """
    return list(compare_report(graph, last_success, materializable=materializable).changes)


def _code_reasons(
    rec_checksum: str | None,
    rec_scheme: str | None,
    last: MaterializationState,
    reasons: set[ChangeReason],
    details: list[str],
    scheme_changes: dict[str, None],
) -> bool:
    """Compare the code checksums; returns False when the asset went to the scheme notice."""
    if rec_checksum is None:
        return True
    if is_unknown_checksum(rec_checksum):
        reasons.add(ChangeReason.UNKNOWN)
        details.append(f"code fingerprint unknown: {unknown_reason(rec_checksum)}")
        return True
    if is_unknown_checksum(last.code):
        reasons.add(ChangeReason.UNKNOWN)
        details.append(
            "the last success recorded no usable code fingerprint "
            f"({unknown_reason(last.code or '')}); materialize it to compare again"
        )
        return True
    if rec_scheme is not None and last.code is not None:
        recorded = last.code_scheme or LEGACY_SCHEME
        if recorded != rec_scheme:
            scheme_changes[f"{recorded} -> {rec_scheme}"] = None
            return False
    if rec_checksum != last.code:
        reasons.add(ChangeReason.CODE)
        details.append(
            "code checksum "
            + (f"{last.code[:12]}" if last.code else "(not recorded)")
            + f" -> {rec_checksum[:12]}"
        )
    return True


def compare_report(
    graph: LineageGraph,
    last_success: Mapping[AssetKeyPath, MaterializationState | None],
    *,
    materializable: Iterable[AssetKeyPath] | None = None,
) -> ChangeReport:
    """The assets of ``graph`` that changed since their last successful materialization.

    Args:
        graph: the current lineage graph (its records carry the current code checksums).
        last_success: each asset's last successful materialization (``None`` or missing: never).
        materializable: keys that can be materialized (default: every key with a record in
            ``last_success`` or a code checksum). Others (external assets, dbt exposures) are listed
            only when something upstream of them changed.

    A code checksum is compared only with one of the same fingerprint scheme: across schemes
    (after an upgrade) the asset goes to the report's one-line scheme notice instead; an
    ``unknown:`` checksum on either side gives reason ``unknown`` (never a change, never
    propagated downstream).

    Returns:
        Changes in topological order (parents first), then by key, and the scheme notice.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage, AssetType
        >>> g = LineageGraph.from_records([
        ...     AssetLineage(key=("a",), asset_type=AssetType.DBT_MODEL, code_checksum="n")])
        >>> old = MaterializationState(key=("a",), run_id="r", timestamp=0.0, storage_id=1, code="o")
        >>> report = compare_report(g, {("a",): old})
        >>> report.changes, report.notices[0][:40]
        ((), 'fingerprint scheme changed (1 -> dbt/2) ')
    """
    if materializable is None:
        can = {k for k in graph.keys if k in last_success or graph.get(k).code_checksum is not None}
    else:
        can = set(materializable)
    changed: dict[AssetKeyPath, AssetChange] = {}
    scheme_keys: list[AssetKeyPath] = []
    transitions: dict[str, None] = {}
    for key in graph.topological_order():
        rec = graph.get(key)
        last = last_success.get(key)
        reasons: set[ChangeReason] = set()
        details: list[str] = []
        is_mat = key in can
        if is_mat and last is None:
            reasons.add(ChangeReason.NEVER_MATERIALIZED)
            details.append("no successful materialization on record")
        if last is not None:
            scheme = code_scheme_for(rec.asset_type.value)
            if not _code_reasons(rec.code_checksum, scheme, last, reasons, details, transitions):
                scheme_keys.append(key)
            if rec.columns and last.declared_schema is not None:
                if schema_checksum(rec.columns) != last.declared_schema:
                    reasons.add(ChangeReason.SCHEMA)
                    diff = schema_diff(last.columns, rec.columns) if last.columns else None
                    details.append(
                        f"declared schema changed ({diff.describe()})"
                        if diff
                        else "declared schema changed"
                    )
        for parent in graph.parents(key):
            if is_mat and last is None:
                break  # never materialized: that is the whole story
            pchange = changed.get(parent)
            if pchange is not None and set(pchange.reasons) != {ChangeReason.UNKNOWN}:
                reasons.add(ChangeReason.UPSTREAM)
                why = ", ".join(r.value for r in pchange.reasons)
                details.append(f"upstream {key_to_str(parent)} changed ({why})")
                continue
            plast = last_success.get(parent)
            if last is None or plast is None:
                continue
            if plast.run_id == last.run_id or plast.storage_id <= last.storage_id:
                continue
            seen = last.parents.get(key_to_str(parent))
            now = plast.parent_state
            if seen is None:
                if last.parents:
                    reasons.add(ChangeReason.UPSTREAM)
                    details.append(f"upstream {key_to_str(parent)} materialized since, unseen")
                continue
            if (seen.code, seen.schema) != (now.code, now.schema):
                reasons.add(ChangeReason.UPSTREAM)
                details.append(
                    f"upstream {key_to_str(parent)} re-materialized with other code or schema "
                    f"in run {plast.run_id}"
                )
            elif seen.data != now.data:
                reasons.add(ChangeReason.DATA)
                details.append(
                    f"upstream {key_to_str(parent)} re-materialized with other data in run "
                    f"{plast.run_id}"
                )
        if reasons:
            changed[key] = AssetChange(
                key=key,
                reasons=tuple(sorted(reasons, key=_REASON_ORDER.index)),
                details=tuple(details),
                last_success=last,
                current_code=rec.code_checksum,
                materializable=is_mat,
            )
    order = {k: i for i, k in enumerate(graph.topological_order())}
    return ChangeReport(
        tuple(sorted(changed.values(), key=lambda c: (order[c.key], c.key))),
        SchemeChange(tuple(scheme_keys), tuple(transitions)) if scheme_keys else None,
    )
