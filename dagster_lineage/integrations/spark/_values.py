"""Abstract values of the PySpark static analysis: symbolic Columns, DataFrames and their helpers.

Internal to :mod:`dagster_lineage.integrations.spark.static`. A DataFrame value (``_Frame``) keeps its
columns, each mapped to the source columns ``(source, column, EdgeKind)`` it derives from, the sources
whose columns are not known (``_Open``: any name not excluded resolves to them), the source columns
only read, the DataFrame aliases for qualified names, and what could not be resolved.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlglot
from sqlglot import exp

from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.integrations.spark.types import SparkSource

SchemaLookup = Callable[[SparkSource], Sequence[str] | None]
"""Known column names of a source (``None`` when unknown); lets the analysis expand ``*``."""

Dep = tuple[str, str, EdgeKind]
Read = tuple[str, str, Clause]

_AGGREGATES = {
    "sum": "sum",
    "count": "count",
    "avg": "avg",
    "mean": "avg",
    "min": "min",
    "max": "max",
    "first": "first",
    "last": "last",
    "collect_list": "collect_list",
    "collect_set": "collect_set",
    "countdistinct": "count",
    "count_distinct": "count",
    "sumdistinct": "sum",
    "sum_distinct": "sum",
    "approx_count_distinct": "approx_count_distinct",
    "approxcountdistinct": "approx_count_distinct",
    "stddev": "stddev",
    "stddev_samp": "stddev_samp",
    "stddev_pop": "stddev_pop",
    "variance": "variance",
    "var_samp": "var_samp",
    "var_pop": "var_pop",
    "percentile_approx": "percentile_approx",
    "median": "median",
    "mode": "mode",
    "any_value": "any_value",
    "max_by": "max_by",
    "min_by": "min_by",
    "corr": "corr",
    "covar_pop": "covar_pop",
    "covar_samp": "covar_samp",
    "skewness": "skewness",
    "kurtosis": "kurtosis",
    "bool_and": "bool_and",
    "bool_or": "bool_or",
    "every": "every",
    "some": "some",
    "product": "product",
}
_PASS_THROUGH_METHODS = {
    "cache",
    "persist",
    "unpersist",
    "repartition",
    "repartitionByRange",
    "coalesce",
    "hint",
    "sample",
    "checkpoint",
    "localCheckpoint",
    "limit",
    "offset",
    "withWatermark",
    "fillna",
    "replace",
    "toDF",
    "to",
}
_FRAME_METHODS = _PASS_THROUGH_METHODS | {
    "distinct",
    "select",
    "selectExpr",
    "withColumn",
    "withColumns",
    "withColumnRenamed",
    "withColumnsRenamed",
    "drop",
    "filter",
    "where",
    "groupBy",
    "groupby",
    "agg",
    "join",
    "crossJoin",
    "alias",
    "as_",
    "orderBy",
    "sort",
    "sortWithinPartitions",
    "dropDuplicates",
    "drop_duplicates",
    "dropna",
    "union",
    "unionAll",
    "unionByName",
    "intersect",
    "intersectAll",
    "subtract",
    "exceptAll",
    "createOrReplaceTempView",
    "createTempView",
    "createOrReplaceGlobalTempView",
    "createGlobalTempView",
    "transform",
    "show",
    "count",
    "collect",
    "take",
    "head",
    "first",
    "printSchema",
    "explain",
    "toPandas",
    "foreach",
    "foreachPartition",
    "writeTo",
}
_READ_FORMATS = ("parquet", "csv", "json", "orc", "text", "avro", "delta", "xml")
_SQL_DIALECT = "spark"


def _norm_kind(out_name: str, kind: EdgeKind, column: str) -> EdgeKind:
    """Pass-through edges are identity under the same name, a rename under another."""
    if kind.is_pass_through:
        return EdgeKind.IDENTITY if out_name.lower() == column.lower() else EdgeKind.RENAME
    return kind


# ---------------------------------------------------------------------------------------------
# abstract values


@dataclass(frozen=True)
class _Dynamic:
    """A value only known at run time."""

    reason: str


@dataclass(frozen=True)
class _Opaque:
    """An unknown Python value with a display name (a module constant, a parameter)."""

    name: str


@dataclass(frozen=True)
class _Tmpl:
    """A string with run-time parts rendered as ``{name}`` placeholders (paths)."""

    text: str


class _Session:
    pass


class _FunctionsModule:
    pass


class _WindowClass:
    pass


@dataclass(frozen=True)
class _FuncRef:
    name: str


@dataclass(frozen=True)
class _Bound:
    obj: Any
    attr: str


@dataclass(frozen=True)
class _Ref:
    """A column reference inside an expression: by name (resolved later) or pre-bound."""

    name: str
    kind: EdgeKind = EdgeKind.IDENTITY
    bound: frozenset[Dep] | None = None
    clause: Clause | None = None


@dataclass(frozen=True)
class _Expr:
    """A symbolic Column (unresolved, as in PySpark)."""

    refs: tuple[_Ref, ...] = ()
    name: str | None = None
    bare: bool = False
    dynamic: str | None = None
    star: bool = False
    agg: bool = False

    def apply(self, kind: EdgeKind, name: str | None = None) -> _Expr:
        refs = tuple(
            r if r.clause else dataclasses.replace(r, kind=EdgeKind.combine(r.kind, kind))
            for r in self.refs
        )
        return _Expr(refs=refs, name=name, dynamic=self.dynamic, agg=self.agg)


def _combine_exprs(parts: Iterable[Any], kind: EdgeKind, name: str | None = None) -> _Expr:
    refs: list[_Ref] = []
    dynamic = None
    agg = False
    for p in parts:
        if isinstance(p, _Expr):
            refs.extend(p.apply(kind).refs)
            dynamic = dynamic or p.dynamic
            agg = agg or p.agg
        elif isinstance(p, _Dynamic):
            dynamic = dynamic or p.reason
    return _Expr(refs=tuple(refs), name=name, dynamic=dynamic, agg=agg)


@dataclass(frozen=True)
class _WindowSpec:
    refs: tuple[_Ref, ...] = ()


@dataclass(frozen=True)
class _Open:
    """Sources whose columns are not known: any column not excluded passes through unseen."""

    sources: tuple[str, ...]
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Frame:
    cols: tuple[tuple[str, frozenset[Dep]], ...] = ()
    open: tuple[_Open, ...] = ()
    reads: frozenset[Read] = frozenset()
    aliases: tuple[tuple[str, _Frame], ...] = ()
    unknowns: tuple[Unknown, ...] = ()

    def col_index(self, name: str) -> int | None:
        low = name.lower()
        for i, (n, _) in enumerate(self.cols):
            if n.lower() == low:
                return i
        return None

    def with_unknown(self, *u: Unknown) -> _Frame:
        return dataclasses.replace(self, unknowns=self.unknowns + tuple(u))

    def sources(self) -> set[str]:
        out = {d[0] for _, deps in self.cols for d in deps}
        for o in self.open:
            out.update(o.sources)
        return out

    def exclude(self, names: Iterable[str]) -> tuple[_Open, ...]:
        low = {n.lower() for n in names}
        return tuple(dataclasses.replace(o, excluded=o.excluded | low) for o in self.open)


@dataclass(frozen=True)
class _Grouped:
    frame: _Frame
    keys: tuple[_Expr, ...]


@dataclass(frozen=True)
class _Reader:
    fmt: str | None = None
    schema: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Writer:
    frame: _Frame
    fmt: str | None = None
    table: str | None = None


@dataclass(frozen=True)
class _Columns:
    frame: _Frame


@dataclass(frozen=True)
class _Na:
    frame: _Frame


@dataclass(frozen=True)
class _Func:
    node: ast.FunctionDef
    env: dict[str, Any]


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


@dataclass
class _State:
    schema_for: SchemaLookup
    sources: dict[str, SparkSource] = field(default_factory=dict)
    writes: list[tuple[SparkSource, _Frame, int]] = field(default_factory=list)
    views: dict[str, _Frame] = field(default_factory=dict)
    unknowns: list[Unknown] = field(default_factory=list)
    depth: int = 0


# ---------------------------------------------------------------------------------------------
# helpers


_OPS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Mod: "%",
}


def _non_agg(kind: EdgeKind) -> EdgeKind:
    return EdgeKind.TRANSFORMATION if kind == EdgeKind.AGGREGATION else kind


def _operand_name(v: Any) -> str | None:
    if isinstance(v, _Expr):
        return v.name
    if isinstance(v, int | float):
        return str(v)
    return None


def _col(name: str) -> _Expr:
    name = name.strip()
    if name == "*":
        return _Expr(star=True)
    return _Expr(
        refs=(_Ref(name.replace("`", "")),), name=name.replace("`", "").split(".")[-1], bare=True
    )


def _as_expr(v: Any) -> _Expr:
    if isinstance(v, _Expr):
        return v
    if isinstance(v, str):
        return _col(v)
    if isinstance(v, _Dynamic):
        return _Expr(dynamic=v.reason)
    if isinstance(v, _Opaque):
        return _Expr(dynamic=f"column given by {v.name}, only known at run time")
    if isinstance(v, _Tmpl):
        return _Expr(dynamic=f"column name {v.text} computed at run time")
    return _Expr()


def _as_expr_or_lit(v: Any) -> Any:
    """Function arguments: strings are column names, numbers are literals."""
    if isinstance(v, int | float | bool) or v is None:
        return _Expr(name=str(v))
    if isinstance(v, list | tuple):
        return _combine_exprs([_as_expr_or_lit(x) for x in v], EdgeKind.IDENTITY)
    if isinstance(v, _WindowSpec):
        return _Expr()
    return _as_expr(v)


def _flatten(items: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for i in items:
        if isinstance(i, list | tuple):
            out.extend(_flatten(i))
        elif isinstance(i, _Columns):
            out.append(_Dynamic("columns taken from df.columns at run time"))
        elif i is not None:
            out.append(i)
    return out


def _arg(args: list[Any], kwargs: dict[str, Any], i: int, name: str) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[i] if i < len(args) else None


def _reason(v: Any) -> str:
    if isinstance(v, _Dynamic):
        return v.reason
    if isinstance(v, _Opaque):
        return f"from {v.name}"
    if isinstance(v, _Tmpl):
        return v.text
    return "not a literal"


def _dyn(v: Any, reason: str) -> _Dynamic:
    return v if isinstance(v, _Dynamic) else _Dynamic(reason)


def _is_pathlike(v: Any) -> bool:
    return isinstance(v, str | _Tmpl | _Opaque)


def _text(v: Any, default: str | None = None) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, _Tmpl):
        return v.text
    if isinstance(v, _Opaque):
        return "{" + v.name + "}"
    if isinstance(v, int | float):
        return str(v)
    return default if default is not None else "{?}"


def _tmpl_join(parts: Sequence[Any]) -> Any:
    texts = [_text(p).rstrip("/") if i < len(parts) - 1 else _text(p) for i, p in enumerate(parts)]
    joined = "/".join(texts)
    return joined if all(isinstance(p, str) for p in parts) else _Tmpl(joined)


def _index(cols: list[tuple[str, frozenset[Dep]]], name: str) -> int | None:
    low = name.lower()
    for i, (n, _) in enumerate(cols):
        if n.lower() == low:
            return i
    return None


def _lookup(frame: _Frame, name: str) -> tuple[set[Dep], set[Read], list[Unknown]]:
    """The source columns of column ``name`` of ``frame`` (qualified names use DataFrame aliases)."""
    name = name.replace("`", "")
    if "." in name:
        qual, rest = name.split(".", 1)
        for alias, af in reversed(frame.aliases):
            if alias.lower() == qual.lower():
                return _lookup(af, rest)
    idx = frame.col_index(name)
    if idx is not None:
        return set(frame.cols[idx][1]), set(), []
    candidates = [o for o in frame.open if name.lower() not in o.excluded]
    if len(candidates) == 1:
        return {(s, name, EdgeKind.IDENTITY) for s in candidates[0].sources}, set(), []
    if not candidates:
        known = ", ".join(n for n, _ in frame.cols) or "none"
        return (
            set(),
            set(),
            [
                Unknown(
                    f"column '{name}' is not in the DataFrame (its columns: {known})", column=None
                )
            ],
        )
    srcs = " or ".join(s for o in candidates for s in o.sources)
    return (
        set(),
        set(),
        [
            Unknown(
                f"column '{name}' could come from {srcs} (their schemas are unknown); qualify it "
                "with df['...'] or an alias, or give the schemas"
            )
        ],
    )


def _sql_expr(text: Any) -> Any:
    """A Column from a SQL expression string (``selectExpr``, ``F.expr``, ``filter("...")``)."""
    if not isinstance(text, str):
        return _as_expr(text)
    try:
        node = sqlglot.parse_one(text, dialect=_SQL_DIALECT, into=None)
    except Exception:  # noqa: BLE001 - reported as unknown
        return _Expr(dynamic=f"could not parse SQL expression {text!r}")
    name: str | None = None
    if isinstance(node, exp.Alias):
        name = node.alias
        node = node.this
    if isinstance(node, exp.Star):
        return _Expr(star=True)
    columns = list(node.find_all(exp.Column))
    is_agg = any(isinstance(n, exp.AggFunc) for n in node.walk()) and not node.find(exp.Window)
    bare = isinstance(node, exp.Column)
    if bare and name is None:
        name = node.name
    if name is None:
        name = node.sql(dialect=_SQL_DIALECT)
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Star):
        return _Expr(star=True)
    kind = (
        EdgeKind.IDENTITY if bare else EdgeKind.AGGREGATION if is_agg else EdgeKind.TRANSFORMATION
    )
    refs = tuple(_Ref(f"{c.table}.{c.name}" if c.table else c.name, kind=kind) for c in columns)
    return _Expr(refs=refs, name=name, bare=bare and name == node.name, agg=is_agg)


def _schema_names(schema: Any) -> tuple[str, ...] | None:
    if isinstance(schema, list | tuple) and schema and all(isinstance(s, str) for s in schema):
        return tuple(schema)
    if isinstance(schema, str) and schema.strip():
        out = []
        for part in schema.split(","):
            bits = part.strip().split()
            if bits:
                out.append(bits[0].strip("`").rstrip(":"))
        return tuple(out)
    return None
