"""Runtime column lineage of a DataFrame from Spark's analysed logical plan (classic mode, via py4j).

The plan is read through the JVM (``df._jdf.queryExecution().analyzed()``) and walked bottom-up;
attribute ids (``exprId``) identify columns through ``Project``, ``Aggregate``, ``Join``, ``Filter``,
``Window``, ``Union``... Leaves (file relations, catalog tables) are mapped back to paths or tables.
Nothing here imports pyspark at module level; :func:`capture_written_dataframes` imports it lazily.

Examples:
    >>> from dagster_lineage.integrations.spark.runtime import capture_written_dataframes
    >>> callable(capture_written_dataframes)
    True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.integrations.spark.types import SparkJobLineage, SparkOutput, SparkSource
from dagster_lineage.sql.types import OutputColumn, SourceColumn, StatementLineage, TableColumnRead

Dep = tuple[str, str, EdgeKind]

_NO_SOURCE_LEAVES = {"LocalRelation", "Range", "OneRowRelation", "LogicalRDD", "LocalLimit"}


def _seq(s: Any) -> list[Any]:
    """A Scala ``Seq`` (or ``AttributeSet``) as a Python list."""
    if hasattr(s, "toSeq") and not hasattr(s, "apply"):
        s = s.toSeq()
    return [s.apply(i) for i in range(s.size())]


def _cls(obj: Any) -> str:
    return str(obj.getClass().getSimpleName())


def _refs(expr: Any) -> list[Any]:
    return _seq(expr.references().toSeq())


def _contains(expr: Any, names: set[str]) -> bool:
    if _cls(expr) in names:
        return True
    return any(_contains(c, names) for c in _seq(expr.children()))


def _find(expr: Any, name: str) -> list[Any]:
    if _cls(expr) == name:
        return [expr]
    return [hit for c in _seq(expr.children()) for hit in _find(c, name)]


class _PlanWalker:
    def __init__(self) -> None:
        self.attrs: dict[int, set[Dep]] = {}
        self.reads: set[tuple[str, str, Clause]] = set()
        self.sources: dict[str, SparkSource] = {}
        self.unknowns: list[Unknown] = []

    def deps_of(self, attr: Any) -> set[Dep]:
        return self.attrs.get(int(attr.exprId().id()), set())

    def read(self, expr: Any, clause: Clause) -> None:
        for a in _refs(expr):
            self.reads.update((s, c, clause) for s, c, _ in self.deps_of(a))

    def named(self, ne: Any, kind_hint: EdgeKind | None = None) -> None:
        """Record the sources of a named expression (``Alias`` or attribute) by its exprId."""
        eid = int(ne.exprId().id())
        if _cls(ne) == "AttributeReference":
            self.attrs.setdefault(eid, set())
            return
        child = ne.child() if _cls(ne) == "Alias" else ne
        windows = _find(child, "WindowExpression")
        if windows:
            deps: set[Dep] = set()
            for w in windows:
                for a in _refs(w.windowFunction()):
                    deps.update(
                        (s, c, EdgeKind.combine(k, EdgeKind.TRANSFORMATION))
                        for s, c, k in self.deps_of(a)
                    )
                spec = w.windowSpec()
                for e in _seq(spec.partitionSpec()) + _seq(spec.orderSpec()):
                    self.read(e, Clause.WINDOW)
            self.attrs[eid] = deps
            return
        if _cls(child) == "AttributeReference":
            kind = EdgeKind.IDENTITY
        elif kind_hint is not None:
            kind = kind_hint
        elif _contains(child, {"AggregateExpression"}):
            kind = EdgeKind.AGGREGATION
        else:
            kind = EdgeKind.TRANSFORMATION
        deps = set()
        for a in _refs(child):
            deps.update((s, c, EdgeKind.combine(k, kind)) for s, c, k in self.deps_of(a))
        self.attrs[eid] = deps

    def leaf(self, plan: Any, name: str) -> None:
        src = _leaf_source(plan, name)
        for a in _seq(plan.output()):
            eid = int(a.exprId().id())
            if src is None:
                self.attrs.setdefault(eid, set())
            else:
                self.attrs[eid] = {(src.name, str(a.name()), EdgeKind.IDENTITY)}
        if src is not None:
            self.sources.setdefault(src.name, src)
        elif name not in _NO_SOURCE_LEAVES:
            self.unknowns.append(Unknown(f"plan leaf {name} not mapped to a table or path"))

    def walk(self, plan: Any) -> None:
        children = _seq(plan.children())
        for c in children:
            self.walk(c)
        name = _cls(plan)
        if not children:
            self.leaf(plan, name)
            return
        if name == "Project":
            for ne in _seq(plan.projectList()):
                self.named(ne)
        elif name == "Aggregate":
            for e in _seq(plan.groupingExpressions()):
                self.read(e, Clause.GROUP)
            for ne in _seq(plan.aggregateExpressions()):
                self.named(ne)
        elif name == "Filter":
            self.read(plan.condition(), Clause.FILTER)
        elif name == "Join":
            cond = plan.condition()
            if cond.isDefined():
                self.read(cond.get(), Clause.JOIN)
        elif name == "Sort":
            for e in _seq(plan.order()):
                self.read(e, Clause.ORDER)
        elif name == "Window":
            for ne in _seq(plan.windowExpressions()):
                self.named(ne)
        elif name == "Deduplicate":
            for e in _seq(plan.keys()):
                self.read(e, Clause.GROUP)
        elif name == "Union":
            outs = [_seq(c.output()) for c in children]
            for i, a in enumerate(_seq(plan.output())):
                merged: set[Dep] = set()
                for out in outs:
                    if i < len(out):
                        merged |= self.deps_of(out[i])
                self.attrs[int(a.exprId().id())] = merged
        # every other node (SubqueryAlias, View, Limit, Distinct, Repartition...) passes its
        # children's attributes through by exprId; new attributes come from its named expressions
        for a in _seq(plan.output()):
            eid = int(a.exprId().id())
            if eid not in self.attrs:
                for e in _seq(plan.expressions()):
                    if _cls(e) == "Alias" and int(e.exprId().id()) == eid:
                        self.named(e)
                if eid not in self.attrs:
                    self.attrs[eid] = set()
                    self.unknowns.append(
                        Unknown(f"column {a.name()} produced by {name} not traced", column=None)
                    )


def _leaf_source(plan: Any, name: str) -> SparkSource | None:
    try:
        if name == "LogicalRelation":
            cat = plan.catalogTable()
            if cat.isDefined():
                return SparkSource("table", str(cat.get().identifier().unquotedString()).lower())
            rel = plan.relation()
            fmt = None
            with contextlib.suppress(Exception):
                fmt = str(rel.fileFormat().shortName())
            paths = _seq(rel.location().rootPaths())
            if paths:
                return SparkSource("path", str(paths[0].toString()), fmt)
        if name == "HiveTableRelation":
            return SparkSource("table", str(plan.tableMeta().identifier().unquotedString()).lower())
        if name.startswith("DataSourceV2"):
            return SparkSource("table", str(plan.table().name()).lower())
    except Exception:  # noqa: BLE001 - an unfamiliar leaf is reported, not fatal
        return None
    return None


def _norm(out: str, kind: EdgeKind, column: str) -> EdgeKind:
    if kind.is_pass_through:
        return EdgeKind.IDENTITY if out.lower() == column.lower() else EdgeKind.RENAME
    return kind


def runtime_lineage(df: Any) -> SparkJobLineage:
    """Column lineage of a (classic-mode) PySpark DataFrame from its analysed logical plan.

    Args:
        df: a ``pyspark.sql.DataFrame`` backed by a JVM (``df._jdf``); Spark Connect DataFrames
            have no JVM plan and are reported as unknown.

    Returns:
        A :class:`SparkJobLineage` whose output has every column with its data type, its source
        columns (named by path or table, as Spark resolved them) and the columns only read.

    Examples:
        >>> runtime_lineage(object()).unknowns[0].reason.startswith("runtime lineage needs")
        True
    """
    jdf = getattr(df, "_jdf", None)
    if jdf is None:
        return SparkJobLineage(
            unknowns=(
                Unknown(
                    "runtime lineage needs a classic (JVM-backed) DataFrame, not Spark Connect"
                ),
            )
        )
    plan = jdf.queryExecution().analyzed()
    walker = _PlanWalker()
    walker.walk(plan)
    columns = []
    for a in _seq(plan.output()):
        name = str(a.name())
        deps = walker.deps_of(a)
        columns.append(
            OutputColumn(
                name,
                tuple(sorted({SourceColumn(s, c, _norm(name, k, c)) for s, c, k in deps})),
                data_type=str(a.dataType().simpleString()),
            )
        )
    sources = tuple(sorted(walker.sources.values()))
    lineage = StatementLineage(
        columns=tuple(columns),
        reads=tuple(sorted({TableColumnRead(s, c, cl) for s, c, cl in walker.reads})),
        tables=tuple(s.name for s in sources),
        unknowns=tuple(dict.fromkeys(walker.unknowns)),
    )
    return SparkJobLineage(sources=sources, output=SparkOutput(target=None, lineage=lineage))


@contextlib.contextmanager
def capture_written_dataframes() -> Iterator[list[Any]]:
    """Collect every DataFrame whose ``.write`` is used while the block runs (in order).

    A thin wrapper around ``DataFrameWriter.__init__`` (restored on exit), so that a job which writes
    its output without returning it still yields the DataFrame for runtime lineage.

    Examples:
        >>> capture_written_dataframes.__name__  # used as: with capture_written_dataframes() as dfs:
        'capture_written_dataframes'
    """
    from pyspark.sql.readwriter import DataFrameWriter

    written: list[Any] = []
    original = DataFrameWriter.__init__

    def init(self: Any, df: Any, *args: Any, **kwargs: Any) -> None:
        written.append(df)
        original(self, df, *args, **kwargs)

    DataFrameWriter.__init__ = init  # type: ignore[method-assign]
    try:
        yield written
    finally:
        DataFrameWriter.__init__ = original  # type: ignore[method-assign]
