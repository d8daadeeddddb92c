"""The lineage explorer's data: the JSON answers of its API, computed from one :class:`LineageGraph`.

Pure Python over the lineage graph and the impact engine (no Dagster import), so that ``serve``
(:mod:`dagster_lineage.explorer.server`), the static site (:mod:`dagster_lineage.explorer.site`) and
any other tool answer the same questions with the same JSON:

- :meth:`Explorer.index`: every asset with its type, kinds, owners and group (search, counts);
- :meth:`Explorer.lineage`: a depth-limited neighbourhood of an asset, up, down or both, with the
  assets' columns, and on request one column's upstream and downstream paths with edge kinds;
- :meth:`Explorer.impact`: the impact report of a change list (the ``--changes`` form) or a
  migration, as the exact JSON of ``dagster-lineage impact --format json``.

Column edges carry a ``kind``: ``identity``, ``rename``, ``transformation`` or ``aggregation`` for
values that flow into the column, and a clause (``filter``, ``join``, ``group``, ``window``, ...) with
``indirect: true`` for columns that only shape it (``AssetLineage.indirect_deps`` and reads).

Examples:
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo, ColumnRef, EdgeKind
    >>> g = LineageGraph.from_records([
    ...     AssetLineage(key=("raw",), columns=(ColumnInfo("x"),)),
    ...     AssetLineage(key=("b",), upstream=(("raw",),), columns=(ColumnInfo("y"),),
    ...                  column_deps={"y": (ColumnDep(ColumnRef(("raw",), "x"), EdgeKind.RENAME),)}),
    ... ])
    >>> ex = Explorer(g)
    >>> [a["key"] for a in ex.lineage("raw", direction="downstream")["assets"]]
    ['b', 'raw']
    >>> [(e["from"]["column"], e["to"]["column"], e["kind"]) for e in ex.column_lineage("b", "y")["edges"]]
    [('x', 'y', 'rename')]
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from dagster_lineage.core.graph import ColumnPath, Direction, LineageGraph
from dagster_lineage.core.model import (
    AssetKeyPath,
    ColumnRef,
    key_to_str,
)
from dagster_lineage.errors import (
    AmbiguousAssetError,
    ChangeSpecError,
    DagsterLineageError,
    UnknownAssetError,
    UnknownColumnError,
)

SCHEMA_VERSION = 1
DEFAULT_DEPTH = 2
MAX_DEPTH = 50
DEFAULT_LIMIT = 250
"""At most this many assets in one neighbourhood answer (the nearest levels first)."""

SMALL_GRAPH = 150
"""A graph with at most this many assets opens whole; a larger one opens on a neighbourhood."""


class ApiError(DagsterLineageError):
    """A bad request to the explorer's API: an HTTP status and one line saying what to fix.

    Examples:
        >>> ApiError(400, "depth must be an integer").status
        400
    """

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _key_dict(ref: ColumnRef) -> dict[str, str]:
    return {"asset": key_to_str(ref.asset), "column": ref.column}


def _path_dict(direction: str, path: ColumnPath) -> dict[str, Any]:
    """One column path, in the shape of ``dagster-lineage graph --column --format json``."""
    return {
        "direction": direction,
        "path": [s.display() for s in path.steps],
        "steps": [_key_dict(s) for s in path.steps],
        "kind": path.kind.value,
        "clause": path.clause.value if path.clause else None,
        "indirect": path.indirect.value if path.indirect else None,
        "how": path.how,
    }


class Explorer:
    """Answers the explorer's questions about one lineage graph (immutable once built).

    Args:
        graph: the lineage graph.
        kinds: Dagster kinds per asset (``dbt``, ``duckdb``, ``airflow``, ...), when known.
        groups: Dagster group name per asset, when known.
        dagster_url: base URL of the Dagster UI; each asset then links to its page there.
        title: the page title.
        diff: the JSON of ``dagster-lineage diff`` between a base state and this graph's state,
            with its text form under ``"text"`` (the page's diff view).

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> ex = Explorer(LineageGraph.from_records([AssetLineage(key=("a",))]), kinds={("a",): ("dbt",)})
        >>> ex.index()["assets"][0]["kinds"]
        ['dbt']
    """

    def __init__(
        self,
        graph: LineageGraph,
        *,
        kinds: Mapping[AssetKeyPath, Iterable[str]] | None = None,
        groups: Mapping[AssetKeyPath, str] | None = None,
        dagster_url: str | None = None,
        title: str = "dagster-lineage explorer",
        diff: Mapping[str, Any] | None = None,
    ) -> None:
        self.graph = graph
        self.diff = dict(diff) if diff is not None else None
        self._kinds = {k: tuple(sorted(v)) for k, v in (kinds or {}).items()}
        self._groups = dict(groups or {})
        self.dagster_url = dagster_url.rstrip("/") if dagster_url else None
        self.title = title
        # build the column indexes now, not on the first click
        graph.column_consumers(ColumnRef((), ""))
        graph.column_indirect_consumers(ColumnRef((), ""))

    # --- lookup -----------------------------------------------------------------------------

    def resolve(self, name: str) -> AssetKeyPath:
        """The key of ``name`` (``a/b`` or its last part); :class:`ApiError` 404 when unknown."""
        try:
            return self.graph.resolve(name)
        except UnknownAssetError as e:
            raise ApiError(404, str(e)) from None

    def dagster_link(self, key: AssetKeyPath) -> str | None:
        """The asset's page in the Dagster UI, when its base URL is configured.

        Examples:
            >>> from dagster_lineage.core.model import AssetLineage
            >>> g = LineageGraph.from_records([AssetLineage(key=("a", "b"))])
            >>> Explorer(g, dagster_url="http://localhost:3000/").dagster_link(("a", "b"))
            'http://localhost:3000/assets/a/b'
        """
        if not self.dagster_url:
            return None
        return f"{self.dagster_url}/assets/{'/'.join(key)}"

    def summary(self, key: AssetKeyPath) -> dict[str, Any]:
        """The short form of one asset (what the index and search show)."""
        rec = self.graph.get(key)
        return {
            "key": key_to_str(key),
            "name": key[-1] if key else "",
            "asset_type": rec.asset_type.value,
            "kinds": list(self._kinds.get(key, ())),
            "owners": sorted(set(rec.owners)),
            "group": self._groups.get(key),
            "n_columns": len(rec.columns),
            "n_parents": len(self.graph.parents(key)),
            "n_children": len(self.graph.children(key)),
        }

    def detail(self, key: AssetKeyPath) -> dict[str, Any]:
        """One asset with its columns (types, descriptions, sources by kind, indirect inputs)."""
        rec = self.graph.get(key)
        deps = {c.lower(): v for c, v in rec.column_deps.items()}
        indirect = {c.lower(): v for c, v in rec.indirect_deps.items()}
        columns = [
            {
                "name": c.name,
                "data_type": c.data_type,
                "description": c.description,
                "sources": [
                    {**_key_dict(d.upstream), "kind": d.kind.value}
                    for d in sorted(set(deps.get(c.name.lower(), ())))
                ],
                "indirect": [
                    {**_key_dict(r.upstream), "kind": r.clause.value}
                    for r in sorted(set(indirect.get(c.name.lower(), ())))
                ],
            }
            for c in rec.columns
        ]
        return {
            **self.summary(key),
            "description": rec.description,
            "source_ref": rec.source_ref,
            "code_checksum": rec.code_checksum,
            "tags": dict(sorted(rec.tags.items())),
            "contract_enforced": rec.contract_enforced,
            "columns": columns,
            "reads": [
                {**_key_dict(r.upstream), "kind": r.clause.value} for r in sorted(set(rec.reads))
            ],
            "unknowns": [
                {"column": u.column, "reason": u.reason} for u in sorted(set(rec.unknowns))
            ],
            "parents": [key_to_str(k) for k in self.graph.parents(key)],
            "children": [key_to_str(k) for k in self.graph.children(key)],
            "dagster_url": self.dagster_link(key),
        }

    # --- the API ----------------------------------------------------------------------------

    def index(self) -> dict[str, Any]:
        """Every asset's summary, plus where the page opens (``start``, ``start_depth``)."""
        keys = self.graph.keys
        start, depth = self._start()
        return {
            "schema_version": SCHEMA_VERSION,
            "title": self.title,
            "dagster_url": self.dagster_url,
            "n_assets": len(keys),
            "has_diff": self.diff is not None,
            "start": key_to_str(start) if start else None,
            "start_depth": depth,
            "assets": [self.summary(k) for k in keys],
        }

    def _start(self) -> tuple[AssetKeyPath | None, int | None]:
        keys = self.graph.keys
        if not keys:
            return None, None
        if len(keys) <= SMALL_GRAPH:
            # the asset that reaches the most others; the whole graph around it (all levels)
            def reach(k: AssetKeyPath) -> int:
                return len(self.graph.upstream_keys(k)) + len(self.graph.downstream_keys(k))

            return max(keys, key=lambda k: (reach(k), tuple(-ord(c) for c in key_to_str(k)))), None

        # a large graph: the most connected asset, a small neighbourhood around it
        def degree(k: AssetKeyPath) -> int:
            return len(self.graph.parents(k)) + len(self.graph.children(k))

        return max(keys, key=lambda k: (degree(k), key_to_str(k))), 1

    def lineage(
        self,
        asset: str | AssetKeyPath,
        *,
        direction: Direction | str = Direction.BOTH,
        depth: int | None = DEFAULT_DEPTH,
        column: str | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        """The neighbourhood of ``asset``: its assets (with columns) and the table edges among them.

        Args:
            asset: the asset (``a/b``, its last key part, or a key path).
            direction: ``upstream``, ``downstream`` or ``both``.
            depth: levels to follow (``None``: all).
            column: also trace this column of ``asset`` (its paths join the answer's assets).
            limit: at most this many assets; nearer levels come first and ``truncated`` says so.

        Each asset carries ``hidden_parents`` / ``hidden_children``: neighbours not in the answer,
        which the page offers to expand.
        """
        key = asset if isinstance(asset, tuple) else self.resolve(asset)
        direction = Direction(direction)
        steps = []
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            steps.append(self.graph.parents)
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            steps.append(self.graph.children)
        seen: dict[AssetKeyPath, int] = {key: 0}
        truncated = False
        for step in steps:
            queue: deque[tuple[AssetKeyPath, int]] = deque([(key, 0)])
            visited = {key}
            while queue:
                k, d = queue.popleft()
                if depth is not None and d >= depth:
                    continue
                for nxt in step(k):
                    if nxt in visited:
                        continue
                    visited.add(nxt)
                    if nxt not in seen:
                        if len(seen) >= limit:
                            truncated = True
                            continue
                        seen[nxt] = d + 1
                    queue.append((nxt, d + 1))
        out: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "root": key_to_str(key),
            "direction": direction.value,
            "depth": depth,
            "truncated": truncated,
        }
        if column is not None:
            col = self.column_lineage(key, column)
            for e in col["edges"]:
                for end in (e["from"], e["to"]):
                    seen.setdefault(self.graph.resolve(end["asset"]), -1)
            out["column"] = col
        included = set(seen)
        assets = []
        for k in sorted(included):
            info = self.detail(k)
            info["distance"] = seen[k] if seen[k] >= 0 else None
            info["hidden_parents"] = sum(1 for p in self.graph.parents(k) if p not in included)
            info["hidden_children"] = sum(1 for c in self.graph.children(k) if c not in included)
            assets.append(info)
        out["assets"] = assets
        out["edges"] = [
            {"from": key_to_str(p), "to": key_to_str(k)}
            for k in sorted(included)
            for p in self.graph.parents(k)
            if p in included
        ]
        return out

    def column_lineage(self, asset: str | AssetKeyPath, column: str) -> dict[str, Any]:
        """Every upstream and downstream path of one column, and the column edges they are made of.

        ``edges`` are single hops ``{"from", "to", "kind", "indirect", "direction"}``: direct hops
        carry an :class:`~dagster_lineage.core.model.EdgeKind`, indirect ones (a column that only
        filters, joins, groups or orders by window the other) the clause; a read of a whole asset
        ends at the column ``*``.
        """
        key = asset if isinstance(asset, tuple) else self.resolve(asset)
        try:
            ref = self.graph.resolve_column(key, column)
        except DagsterLineageError as e:
            raise ApiError(404, str(e)) from None
        up = self.graph.column_upstream(ref)
        down = self.graph.column_downstream(ref)
        edges: dict[tuple[Any, ...], dict[str, Any]] = {}

        def add(a: ColumnRef, b: ColumnRef, kind: str, indirect: bool, direction: str) -> None:
            sig = (_norm(a), _norm(b), kind)
            if sig not in edges:
                edges[sig] = {
                    "from": _key_dict(a),
                    "to": _key_dict(b),
                    "kind": kind,
                    "indirect": indirect,
                    "direction": direction,
                }

        # every hop reachable from the column, each once (the paths keep one path per end)
        queue: deque[ColumnRef] = deque([ref])
        seen = {_norm(ref)}
        while queue:
            cur = queue.popleft()
            rec = self.graph.get(cur.asset) if cur.asset in self.graph else None
            if rec is None:
                continue
            hops = [(d.upstream, d.kind.value, False) for d in _of(rec.column_deps, cur.column)]
            hops += [(r.upstream, r.clause.value, True) for r in _of(rec.indirect_deps, cur.column)]
            for parent, kind, indirect in hops:
                add(parent, cur, kind, indirect, "upstream")
                if _norm(parent) not in seen:
                    seen.add(_norm(parent))
                    queue.append(parent)
        root_rec = self.graph.get(key)
        if not root_rec.indirect_deps:  # no per-column attribution: the asset's reads shape it
            for r in root_rec.reads:
                add(r.upstream, ColumnRef(key, "*"), r.clause.value, True, "upstream")

        queue = deque([ref])
        seen = {_norm(ref)}
        while queue:
            cur = queue.popleft()
            for asset, column, kind, indirect in self._uses(cur):
                child = ColumnRef(asset, column)
                add(cur, child, kind, indirect, "downstream")
                if column != "*" and _norm(child) not in seen:
                    seen.add(_norm(child))
                    queue.append(child)
        return {
            "column": _key_dict(ref),
            "upstream": [_path_dict("upstream", p) for p in up],
            "downstream": [_path_dict("downstream", p) for p in down],
            "edges": list(edges.values()),
        }

    def _uses(self, ref: ColumnRef) -> list[tuple[AssetKeyPath, str, str, bool]]:
        """The direct downstream uses of one column: ``(asset, column, kind, indirect)``."""
        uses: list[tuple[AssetKeyPath, str, str, bool]] = []
        shaping = self.graph.column_indirect_consumers(ref)
        for use in self.graph.column_consumers(ref):
            if use.kind is not None and use.output_column is not None:
                uses.append((use.asset, use.output_column, use.kind.value, False))
            elif use.clause is not None and not any(
                u.asset == use.asset and u.clause == use.clause for u in shaping
            ):  # a read with no per-column attribution: it ends at the consumer's "*"
                uses.append((use.asset, "*", use.clause.value, True))
        for use in shaping:
            if use.output_column is not None and use.clause is not None:
                uses.append((use.asset, use.output_column, use.clause.value, True))
        return uses

    def consumers(self, key: AssetKeyPath) -> dict[str, list[dict[str, Any]]]:
        """Per column of ``key``, its direct downstream uses: one hop of :meth:`column_lineage`.

        Each use is ``{"asset", "column", "kind", "indirect"}``; a read without a per-column
        attribution has the column ``*`` (the static site walks these to trace a column).
        """
        out: dict[str, list[dict[str, Any]]] = {}
        for c in self.graph.get(key).columns:
            uses = [
                {"asset": key_to_str(a), "column": col, "kind": k, "indirect": ind}
                for a, col, k, ind in self._uses(ColumnRef(key, c.name))
            ]
            if uses:
                out[c.name] = uses
        return out

    def impact(self, body: Any) -> str:
        """The impact report of a change request, as ``dagster-lineage impact --format json`` prints it.

        ``body`` is the ``--changes`` file form, ``{"asset": "raw_orders", "changes": [...]}``,
        and/or a migration: ``{"sql": "ALTER TABLE ...", "dialect": "postgres"}`` (its changes to
        the asset are added after the listed ones, as the CLI does with ``--sql``).

        Raises:
            ApiError: 400 for a malformed request or change, 404 for an unknown asset or column.

        Examples:
            >>> import json
            >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo
            >>> g = LineageGraph.from_records([AssetLineage(key=("raw",), columns=(ColumnInfo("a"),))])
            >>> json.loads(Explorer(g).impact({"asset": "raw", "changes": [{"type": "column_drop", "column": "a"}]}))["severity"]
            'none'
        """
        from dagster_lineage.impact.analysis import analyze_changes
        from dagster_lineage.impact.migration import parse_migration
        from dagster_lineage.impact.render import render_json
        from dagster_lineage.impact.schema_changes import SchemaChange, changes_from_data

        if not isinstance(body, Mapping):
            raise ApiError(400, 'expected a JSON object {"asset": ..., "changes": [...]}')
        extra = sorted(set(body) - {"asset", "changes", "sql", "dialect"})
        if extra:
            raise ApiError(
                400, f"unexpected field(s) {', '.join(extra)}; use asset, changes, sql, dialect"
            )
        asset, sql = body.get("asset"), body.get("sql")
        if asset is not None and not isinstance(asset, str):
            raise ApiError(400, "'asset' must be a string")
        if sql is not None and (not isinstance(sql, str) or not sql.strip()):
            raise ApiError(400, "'sql' must be a non-empty string")
        try:
            changes: list[SchemaChange] = (
                list(changes_from_data(body["changes"])) if body.get("changes") else []
            )
            migration = parse_migration(sql, dialect=body.get("dialect") or None) if sql else None
            if not changes and migration is None:
                raise ChangeSpecError(
                    "no changes given", hint='{"changes": [...]} or {"sql": "ALTER TABLE ..."}'
                )
            if asset is None and migration is None:
                raise ApiError(400, "name the changed asset: 'asset' is missing")
            # as `dagster-lineage impact` does: the named asset's changes, then every statement
            # of the migration on the asset it changes
            by_asset: dict[AssetKeyPath, list[SchemaChange]] = {}
            if asset is not None:
                by_asset[self.graph.resolve(asset)] = changes
            if migration is not None:
                for table in migration.tables:
                    try:
                        key = self._table_asset(table)
                    except UnknownAssetError as e:
                        if isinstance(e, AmbiguousAssetError):
                            raise
                        continue
                    by_asset.setdefault(key, []).extend(
                        c for t, c in migration.entries if t == table
                    )
                if not any(by_asset.values()):
                    tables = list(migration.tables)
                    return json.dumps(
                        {
                            "touches_no_asset": True,
                            "tables": tables,
                            "message": "this migration touches no asset of this project (it "
                            f"changes: {', '.join(tables)}); nothing here can break.",
                        }
                    )
            report = analyze_changes(self.graph, [(k, cs) for k, cs in by_asset.items() if cs])
            return render_json(report)
        except ApiError:
            raise
        except AmbiguousAssetError as e:
            raise ApiError(400, str(e)) from None
        except UnknownAssetError as e:
            raise ApiError(404, str(e)) from None
        except DagsterLineageError as e:
            raise ApiError(404 if isinstance(e, UnknownColumnError) else 400, str(e)) from None

    def _table_asset(self, table: str) -> AssetKeyPath:
        """The asset of a migration's table: by its full dotted name, else by its last part."""
        try:
            return self.graph.resolve(table)
        except UnknownAssetError:
            return self.graph.resolve(table.split(".")[-1])


def _norm(ref: ColumnRef) -> ColumnRef:
    return ColumnRef(ref.asset, ref.column.lower())


def _of(by_column: Mapping[str, tuple[Any, ...]], column: str) -> tuple[Any, ...]:
    low = column.lower()
    return next((v for k, v in by_column.items() if k.lower() == low), ())


def parse_depth(text: str | None, default: int | None = DEFAULT_DEPTH) -> int | None:
    """Parse the ``depth`` query parameter (``all`` or empty for every level).

    Examples:
        >>> parse_depth("3"), parse_depth("all"), parse_depth(None)
        (3, None, 2)
    """
    if text is None:
        return default
    if text.strip().lower() in ("", "all"):
        return None
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, f"depth must be a whole number or 'all', got '{text}'") from None
    if value < 0 or value > MAX_DEPTH:
        raise ApiError(400, f"depth must be between 0 and {MAX_DEPTH}, got {value}")
    return value


def parse_direction(text: str | None) -> Direction:
    """Parse the ``direction`` query parameter (default ``both``).

    Examples:
        >>> parse_direction("upstream").value
        'upstream'
    """
    if text is None:
        return Direction.BOTH
    try:
        return Direction(text.strip().lower())
    except ValueError:
        raise ApiError(
            400, f"direction must be upstream, downstream or both, got '{text}'"
        ) from None
