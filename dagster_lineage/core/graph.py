"""The lineage graph: every asset's :class:`AssetLineage` joined into one immutable graph.

Pure data: traversal up, down or both with a depth limit, column-level paths, cycle detection.
No Dagster import: :func:`dagster_lineage.defs.graph.graph_from_definitions` builds it from a
``dagster.Definitions``.

Examples:
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> from dagster_lineage.core.model import AssetLineage, AssetType
    >>> g = LineageGraph.from_records([
    ...     AssetLineage(key=("raw_orders",), asset_type=AssetType.TABLE),
    ...     AssetLineage(key=("stg_orders",), asset_type=AssetType.DBT_MODEL, upstream=(("raw_orders",),)),
    ... ])
    >>> print(g.render_tree(g.resolve("raw_orders")))
    [TABLE] raw_orders
    └── [DBT_MODEL] stg_orders
"""

from __future__ import annotations

import json
import unicodedata
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Clause,
    ColumnRef,
    EdgeKind,
    key_from_str,
    key_to_str,
)
from dagster_lineage.errors import (
    AmbiguousAssetError,
    LineageCycleError,
    UnknownAssetError,
    UnknownColumnError,
)


class Direction(str, Enum):
    """Which way to traverse.

    Examples:
        >>> Direction("both")
        <Direction.BOTH: 'both'>
    """

    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


@dataclass(frozen=True)
class TreeNode:
    """One node of a traversal tree.

    ``repeated`` marks a node already shown elsewhere in the same tree (its subtree is not repeated).

    Examples:
        >>> TreeNode(("a",), AssetType.TABLE, ()).walk().__next__().key
        ('a',)
    """

    key: AssetKeyPath
    asset_type: AssetType
    children: tuple[TreeNode, ...]
    repeated: bool = False

    def walk(self) -> Iterator[TreeNode]:
        """Depth-first iteration over this node and its descendants."""
        yield self
        for c in self.children:
            yield from c.walk()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "key": key_to_str(self.key),
            "asset_type": self.asset_type.value,
            "repeated": self.repeated,
            "children": [c.to_dict() for c in self.children],
        }


class ColumnUsage(NamedTuple):
    """How one asset uses one upstream column (an entry of the graph's column-consumer index).

    Exactly one of ``kind`` (the column feeds ``output_column``) or ``clause`` (it is only read) is
    set. ``via_star``: an identity edge from an upstream the asset consumes through ``SELECT *``.

    Examples:
        >>> u = ColumnUsage(("fct",), "total", EdgeKind.IDENTITY, None)
        >>> u.is_selected, u.via_star
        (True, False)
    """

    asset: AssetKeyPath
    output_column: str | None
    kind: EdgeKind | None
    clause: Clause | None
    via_star: bool = False

    @property
    def is_selected(self) -> bool:
        """True when the column feeds an output column."""
        return self.kind is not None


@dataclass(frozen=True)
class ColumnPath:
    """A path of column edges from a starting column to a downstream column (or read).

    ``steps`` lists the columns visited (the start first). ``kind`` folds the direct edges' kinds;
    ``clause`` is set when the last step is a read, not a selection. ``indirect`` is set when the
    path goes through an indirect edge (an upstream column shaping an output column through its
    window, ...: ``AssetLineage.indirect_deps``): the clause of the first such edge.

    Examples:
        >>> p = ColumnPath((ColumnRef(("a",), "x"), ColumnRef(("b",), "x")), EdgeKind.IDENTITY, None)
        >>> p.end.display(), p.assets, p.how
        ('b.x', (('a',), ('b',)), 'identity')
        >>> ColumnPath(p.steps, EdgeKind.IDENTITY, indirect=Clause.WINDOW).how
        'indirect window'
    """

    steps: tuple[ColumnRef, ...]
    kind: EdgeKind
    clause: Clause | None = None
    indirect: Clause | None = None

    @property
    def how(self) -> str:
        """The path's kind for humans: the read clause, ``indirect <clause>`` or the edge kind."""
        if self.clause is not None:
            return self.clause.value
        if self.indirect is not None:
            return f"indirect {self.indirect.value}"
        return self.kind.value

    @property
    def end(self) -> ColumnRef:
        """The last column of the path."""
        return self.steps[-1]

    @property
    def assets(self) -> tuple[AssetKeyPath, ...]:
        """The assets the path goes through, in order."""
        return tuple(s.asset for s in self.steps)

    @property
    def is_pass_through(self) -> bool:
        """True when every edge keeps the value unchanged and the end is selected, not read."""
        return self.clause is None and self.indirect is None and self.kind.is_pass_through


class LineageGraph:
    """An immutable lineage graph of assets and their columns.

    Build it with :meth:`from_records` (or :func:`dagster_lineage.defs.graph.graph_from_definitions`);
    never mutate it.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> g = LineageGraph.from_records([AssetLineage(key=("a",)), AssetLineage(key=("b",), upstream=(("a",),))])
        >>> [key_to_str(k) for k in g.downstream_keys(("a",))]
        ['b']
    """

    def __init__(self, records: Mapping[AssetKeyPath, AssetLineage]) -> None:
        self._records: dict[AssetKeyPath, AssetLineage] = dict(records)
        children: dict[AssetKeyPath, set[AssetKeyPath]] = {k: set() for k in self._records}
        for rec in self._records.values():
            for up in rec.upstream:
                children.setdefault(up, set()).add(rec.key)
        self._children = {k: tuple(sorted(v)) for k, v in children.items()}
        self._consumers: dict[tuple[AssetKeyPath, str], list[ColumnUsage]] | None = None
        self._indirect_consumers: dict[tuple[AssetKeyPath, str], list[ColumnUsage]] | None = None

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_records(cls, records: Iterable[AssetLineage]) -> LineageGraph:
        """Build a graph from lineage records (later duplicates of a key win).

        Upstream keys that have no record of their own get a bare placeholder record so that
        traversal reaches them.
        """
        by_key: dict[AssetKeyPath, AssetLineage] = {}
        for rec in records:
            by_key[rec.key] = rec
        for rec in list(by_key.values()):
            for up in rec.upstream:
                if up not in by_key:
                    by_key[up] = AssetLineage(key=up)
        return cls(by_key)

    # --- lookup ------------------------------------------------------------------------------

    def __contains__(self, key: object) -> bool:
        return key in self._records

    def __len__(self) -> int:
        return len(self._records)

    @property
    def keys(self) -> list[AssetKeyPath]:
        """All asset keys, sorted."""
        return sorted(self._records)

    def records(self) -> list[AssetLineage]:
        """All records, sorted by key."""
        return [self._records[k] for k in self.keys]

    def get(self, key: AssetKeyPath) -> AssetLineage:
        """The record of ``key``; raises :class:`UnknownAssetError` with close names."""
        try:
            return self._records[key]
        except KeyError:
            raise UnknownAssetError(
                key_to_str(key), [key_to_str(k) for k in self._records]
            ) from None

    def resolve(self, name: str | AssetKeyPath) -> AssetKeyPath:
        """Find an asset by ``a/b`` path, or by its last key part when that is unambiguous.

        Examples:
            >>> g = LineageGraph.from_records([AssetLineage(key=("analytics", "fct_orders"))])
            >>> g.resolve("fct_orders")
            ('analytics', 'fct_orders')
        """
        if isinstance(name, str):
            name = unicodedata.normalize("NFC", name).strip()
            if not name:
                raise UnknownAssetError("", [])
        key = tuple(name) if isinstance(name, tuple) else key_from_str(name)
        if key in self._records:
            return key
        if isinstance(name, str):
            low = name.lower()
            matches = [
                k
                for k in self._records
                if _nfc(k[-1]).lower() == low
                or _nfc(key_to_str(k)).lower() == low
                or _nfc(".".join(k)).lower() == low
            ]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise AmbiguousAssetError(name, [key_to_str(m) for m in matches])
        raise UnknownAssetError(key_to_str(key), [key_to_str(k) for k in self._records])

    def resolve_column(self, key: AssetKeyPath, column: str) -> ColumnRef:
        """The :class:`ColumnRef` of ``column`` on ``key`` (case-insensitive).

        Raises :class:`UnknownColumnError` when the asset declares columns and none matches; an asset
        with no known columns accepts any name.
        """
        rec = self.get(key)
        column = _nfc(column).strip()
        if not rec.columns:
            return ColumnRef(key, column)
        info = rec.column(column) or next(
            (c for c in rec.columns if _nfc(c.name).lower() == column.lower()), None
        )
        if info is None:
            raise UnknownColumnError(key_to_str(key), column, rec.column_names)
        return ColumnRef(key, info.name)

    def parents(self, key: AssetKeyPath) -> tuple[AssetKeyPath, ...]:
        """Direct upstream keys."""
        return tuple(sorted(set(self.get(key).upstream)))

    def children(self, key: AssetKeyPath) -> tuple[AssetKeyPath, ...]:
        """Direct downstream keys."""
        self.get(key)
        return self._children.get(key, ())

    # --- table-level traversal ---------------------------------------------------------------

    def _walk(self, start: AssetKeyPath, step: Any, depth: int | None) -> list[AssetKeyPath]:
        self.get(start)
        seen = {start}
        out: list[AssetKeyPath] = []
        queue: deque[tuple[AssetKeyPath, int]] = deque([(start, 0)])
        while queue:
            key, d = queue.popleft()
            if depth is not None and d >= depth:
                continue
            for nxt in step(key):
                if nxt not in seen:
                    seen.add(nxt)
                    out.append(nxt)
                    queue.append((nxt, d + 1))
        return out

    def downstream_keys(self, key: AssetKeyPath, depth: int | None = None) -> list[AssetKeyPath]:
        """Every asset downstream of ``key`` (breadth-first), to ``depth`` levels or all."""
        return self._walk(key, self.children, depth)

    def upstream_keys(self, key: AssetKeyPath, depth: int | None = None) -> list[AssetKeyPath]:
        """Every asset upstream of ``key`` (breadth-first), to ``depth`` levels or all."""
        return self._walk(key, self.parents, depth)

    def tree(
        self,
        key: AssetKeyPath,
        direction: Direction = Direction.DOWNSTREAM,
        depth: int | None = None,
    ) -> list[TreeNode]:
        """Traversal trees rooted at ``key``: one per direction asked (both gives up, then down)."""
        direction = Direction(direction)
        dirs = (
            [Direction.UPSTREAM, Direction.DOWNSTREAM]
            if direction is Direction.BOTH
            else [direction]
        )
        return [self._tree(key, d, depth) for d in dirs]

    def _tree(self, key: AssetKeyPath, direction: Direction, depth: int | None) -> TreeNode:
        step = self.children if direction is Direction.DOWNSTREAM else self.parents
        shown: set[AssetKeyPath] = set()

        def build(k: AssetKeyPath, d: int, path: frozenset[AssetKeyPath]) -> TreeNode:
            rec = self.get(k)
            if k in shown and d > 0:
                return TreeNode(k, rec.asset_type, (), repeated=bool(step(k)))
            shown.add(k)
            if depth is not None and d >= depth:
                return TreeNode(k, rec.asset_type, ())
            kids = tuple(build(c, d + 1, path | {k}) for c in step(k) if c not in path)
            return TreeNode(k, rec.asset_type, kids)

        return build(key, 0, frozenset())

    def render_tree(
        self,
        key: AssetKeyPath,
        direction: Direction = Direction.DOWNSTREAM,
        depth: int | None = None,
    ) -> str:
        """Box-drawing text of :meth:`tree` (upstream trees are labelled as such)."""
        blocks = []
        for root, d in zip(
            self.tree(key, direction, depth),
            [Direction.UPSTREAM, Direction.DOWNSTREAM]
            if Direction(direction) is Direction.BOTH
            else [Direction(direction)],
        ):
            lines: list[str] = []
            if Direction(direction) is Direction.BOTH:
                lines.append(f"{d.value}:")
            lines.append(_label(root))
            _render_children(root, "", lines)
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    # --- cycles and order --------------------------------------------------------------------

    def find_cycle(self) -> list[AssetKeyPath] | None:
        """A cycle as a list of keys (first == last), or ``None`` when the graph is acyclic."""
        white, grey, black = 0, 1, 2
        color = dict.fromkeys(self._records, white)
        for root in sorted(self._records):
            if color[root] != white:
                continue
            stack: list[tuple[AssetKeyPath, Iterator[AssetKeyPath]]] = [
                (root, iter(self._children.get(root, ())))
            ]
            color[root] = grey
            path = [root]
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    color[node] = black
                    stack.pop()
                    path.pop()
                    continue
                if color.get(nxt, white) == grey:
                    return path[path.index(nxt) :] + [nxt]
                if color.get(nxt, white) == white:
                    color[nxt] = grey
                    path.append(nxt)
                    stack.append((nxt, iter(self._children.get(nxt, ()))))
        return None

    def check_acyclic(self) -> None:
        """Raise :class:`LineageCycleError` naming the cycle, if there is one."""
        cycle = self.find_cycle()
        if cycle:
            raise LineageCycleError([key_to_str(k) for k in cycle])

    def topological_order(self) -> list[AssetKeyPath]:
        """Keys with every parent before its children (raises on a cycle)."""
        self.check_acyclic()
        indeg = {k: 0 for k in self._records}
        for k in self._records:
            for c in self._children.get(k, ()):
                indeg[c] += 1
        queue = deque(sorted(k for k, n in indeg.items() if n == 0))
        out = []
        while queue:
            k = queue.popleft()
            out.append(k)
            for c in self._children.get(k, ()):
                indeg[c] -= 1
                if indeg[c] == 0:
                    queue.append(c)
        return out

    # --- column level ------------------------------------------------------------------------

    def column_consumers(self, ref: ColumnRef) -> list[ColumnUsage]:
        """Every direct use of ``ref`` by a child asset: as a source of an output column, or a read."""
        return list(self.consumers_of(ref.asset, ref.column.lower()))

    def consumers_of(self, asset: AssetKeyPath, column_lower: str) -> Sequence[ColumnUsage]:
        """The column-consumer index: uses of ``asset``'s column ``column_lower`` (lower-cased).

        Built once per graph (graphs are immutable); the impact analysis reads it directly.

        Examples:
            >>> g = LineageGraph.from_records([AssetLineage(key=("a",))])
            >>> g.consumers_of(("a",), "x")
            ()
        """
        index = self._consumers
        if index is None:
            index = self._consumers = self._consumer_index()
        return index.get((asset, column_lower), ())

    def _consumer_index(self) -> dict[tuple[AssetKeyPath, str], list[ColumnUsage]]:
        index: dict[tuple[AssetKeyPath, str], list[ColumnUsage]] = {}
        identity = EdgeKind.IDENTITY
        for rec in self.records():  # sorted: the analysis reports in a deterministic order
            stars = set(rec.star_upstreams)
            for out_col, deps in rec.column_deps.items():
                for dep in deps:
                    up = dep.upstream
                    index.setdefault((up.asset, up.column.lower()), []).append(
                        ColumnUsage(
                            rec.key,
                            out_col,
                            dep.kind,
                            None,
                            dep.kind is identity and up.asset in stars,
                        )
                    )
            for read in rec.reads:
                up = read.upstream
                index.setdefault((up.asset, up.column.lower()), []).append(
                    ColumnUsage(rec.key, None, None, read.clause)
                )
        return index

    def column_indirect_consumers(self, ref: ColumnRef) -> list[ColumnUsage]:
        """Every output column of a child asset that ``ref`` shapes indirectly, with the clause.

        These come from ``AssetLineage.indirect_deps`` (window PARTITION BY / ORDER BY, MERGE ON,
        ...): each usage has ``output_column`` and ``clause`` set and no ``kind``.

        Examples:
            >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo, ColumnRead
            >>> g = LineageGraph.from_records([
            ...     AssetLineage(key=("a",), columns=(ColumnInfo("k"),)),
            ...     AssetLineage(key=("b",), upstream=(("a",),), columns=(ColumnInfo("rn"),),
            ...                  indirect_deps={"rn": (ColumnRead(ColumnRef(("a",), "k"), Clause.WINDOW),)}),
            ... ])
            >>> [(u.output_column, u.clause.value) for u in g.column_indirect_consumers(ColumnRef(("a",), "k"))]
            [('rn', 'window')]
        """
        if self._indirect_consumers is None:
            index: dict[tuple[AssetKeyPath, str], list[ColumnUsage]] = {}
            for rec in self.records():
                for out_col, shaping in rec.indirect_deps.items():
                    for read in shaping:
                        up = read.upstream
                        index.setdefault((up.asset, up.column.lower()), []).append(
                            ColumnUsage(rec.key, out_col, None, read.clause)
                        )
            self._indirect_consumers = index
        return list(self._indirect_consumers.get((ref.asset, ref.column.lower()), ()))

    def column_downstream(self, ref: ColumnRef, depth: int | None = None) -> list[ColumnPath]:
        """Every path from ``ref`` to a downstream column or read, following column edges.

        A column reached by several paths is reported once per distinct path end and kind, keeping
        the shortest path. Reads end a path (nothing derives from a filter). Indirect edges
        (``indirect_deps``) continue it: the path's ``indirect`` names the first one's clause.

        Examples:
            >>> from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnInfo
            >>> g = LineageGraph.from_records([
            ...     AssetLineage(key=("a",), columns=(ColumnInfo("x"),)),
            ...     AssetLineage(key=("b",), upstream=(("a",),), columns=(ColumnInfo("y"),),
            ...                  column_deps={"y": (ColumnDep(ColumnRef(("a",), "x"), EdgeKind.RENAME),)}),
            ... ])
            >>> [p.end.display() for p in g.column_downstream(ColumnRef(("a",), "x"))]
            ['b.y']
        """
        out: list[ColumnPath] = []
        best: dict[tuple[ColumnRef, EdgeKind, Clause | None, Clause | None], int] = {}
        queue: deque[ColumnPath] = deque([ColumnPath((ref,), EdgeKind.IDENTITY)])
        while queue:
            path = queue.popleft()
            if depth is not None and len(path.steps) - 1 >= depth:
                continue
            uses = self.column_consumers(path.end)
            uses += self.column_indirect_consumers(path.end)
            for use in uses:
                if use.asset in path.assets:
                    continue  # a cycle; reported by find_cycle
                if use.kind is not None and use.output_column is not None:
                    nxt = ColumnPath(
                        path.steps + (ColumnRef(use.asset, use.output_column),),
                        EdgeKind.combine(path.kind, use.kind),
                        indirect=path.indirect,
                    )
                elif use.output_column is not None:  # an indirect edge
                    nxt = ColumnPath(
                        path.steps + (ColumnRef(use.asset, use.output_column),),
                        path.kind,
                        indirect=path.indirect or use.clause,
                    )
                else:
                    nxt = ColumnPath(
                        path.steps + (ColumnRef(use.asset, "*"),),
                        path.kind,
                        use.clause,
                        path.indirect,
                    )
                sig = (nxt.end, nxt.kind, nxt.clause, nxt.indirect)
                if sig in best:
                    continue
                best[sig] = len(nxt.steps)
                out.append(nxt)
                if nxt.clause is None:
                    queue.append(nxt)
        return out

    def column_upstream(self, ref: ColumnRef, depth: int | None = None) -> list[ColumnPath]:
        """Every path from ``ref`` back to the upstream columns it derives from (steps end-first).

        Indirect inputs (``indirect_deps``: window PARTITION BY / ORDER BY, ...) are followed too;
        a path through one has ``indirect`` set to the first one's clause.

        Examples:
            >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo, ColumnRead
            >>> g = LineageGraph.from_records([
            ...     AssetLineage(key=("a",), columns=(ColumnInfo("k"),)),
            ...     AssetLineage(key=("b",), upstream=(("a",),), columns=(ColumnInfo("rn"),),
            ...                  indirect_deps={"rn": (ColumnRead(ColumnRef(("a",), "k"), Clause.WINDOW),)}),
            ... ])
            >>> [(p.end.display(), p.how) for p in g.column_upstream(ColumnRef(("b",), "rn"))]
            [('a.k', 'indirect window')]
        """
        out: list[ColumnPath] = []
        seen: set[tuple[ColumnRef, Clause | None]] = set()
        queue: deque[ColumnPath] = deque([ColumnPath((ref,), EdgeKind.IDENTITY)])
        while queue:
            path = queue.popleft()
            if depth is not None and len(path.steps) - 1 >= depth:
                continue
            cur = path.end
            rec = self._records.get(cur.asset)
            if rec is None:
                continue
            low = cur.column.lower()
            deps = next((v for k, v in rec.column_deps.items() if k.lower() == low), ())
            shaping = next((v for k, v in rec.indirect_deps.items() if k.lower() == low), ())
            steps: list[tuple[ColumnRef, EdgeKind, Clause | None]] = [
                (dep.upstream, EdgeKind.combine(path.kind, dep.kind), path.indirect) for dep in deps
            ]
            steps += [(r.upstream, path.kind, path.indirect or r.clause) for r in shaping]
            for upstream, kind, indirect in steps:
                if (upstream, indirect) in seen:
                    continue
                seen.add((upstream, indirect))
                nxt = ColumnPath(path.steps + (upstream,), kind, indirect=indirect)
                out.append(nxt)
                queue.append(nxt)
        return out

    # --- export ------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Every record, JSON-ready, sorted by key."""
        return {"assets": [r.to_dict() for r in self.records()]}

    def to_json(self) -> str:
        """Deterministic JSON of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _label(node: TreeNode) -> str:
    suffix = " (see above)" if node.repeated else ""
    return f"[{node.asset_type.label}] {key_to_str(node.key)}{suffix}"


def _render_children(node: TreeNode, prefix: str, lines: list[str]) -> None:
    for i, child in enumerate(node.children):
        last = i == len(node.children) - 1
        lines.append(f"{prefix}{'└── ' if last else '├── '}{_label(child)}")
        _render_children(child, prefix + ("    " if last else "│   "), lines)
