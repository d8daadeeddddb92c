"""The one-pass scope walk behind :func:`~dagster_lineage.sql.lineage.statement_lineage`.

Each scope's output columns are mapped to base-table columns once and memoised (by scope), so outer
scopes, reads and set operations reuse them; see ``lineage.py`` for the rules.

Examples:
    >>> from sqlglot.dialects.dialect import Dialect
    >>> from dagster_lineage.sql.analysis import analyse
    >>> from dagster_lineage.sql.statement import parse_statement
    >>> d = Dialect.get_or_raise("duckdb")
    >>> stmt, notes = parse_statement("select a + 1 as b from t", d, "duckdb", None)
    >>> analyse(stmt, d, {"t": {"a": "int"}}, notes).columns[0].sources[0].kind.value
    'transformation'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope
from sqlglot.schema import MappingSchema, normalize_name

from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.errors import SqlParseError
from dagster_lineage.sql.naming import PAD, identifier_name, parse_table, parts_match, table_name
from dagster_lineage.sql.statement import (
    DML_CONSTANT as _DML_CONSTANT,
)
from dagster_lineage.sql.statement import (
    FROM_ARG,
    POSITION,
    dml_query,
    split_statement,
)
from dagster_lineage.sql.types import (
    OutputColumn,
    SchemaMapping,
    SourceColumn,
    StatementLineage,
    TableColumnRead,
)

_PASS, _POSITIONAL, _TRANS, _AGG = 0, 1, 2, 3
# _POSITIONAL: passed unchanged by a later branch of a set operation, by position: the output's
# name comes from the first branch (SourceColumn.by_position)
_Base = tuple[str, str]
_Deps = dict[_Base, int]
_Read = tuple[str, str, Clause]
_NESTED = (exp.Query, exp.Subquery)
_SKIPS_UNUSED_CTES = frozenset({"duckdb"})
"""Dialects whose engine never binds a CTE that nothing references (see ``_unbound_ctes``)."""
_MARK = "dl_orig"
_STARS = "dl_stars"
_POSITIONS = ("line", "col", "start", "end")
_GENERATED_NAME = re.compile(r"_col_\d+")
# sqlglot's qualify error when a name may be an alias or a column of a table without schema
_ALIAS_OR_COLUMN = re.compile(r"Cannot resolve '(.+)' due to missing source schemas")
# dialects where a select-list alias can be used later in the same list (a "lateral" alias)
_LATERAL_ALIAS_DIALECTS = frozenset(
    {"duckdb", "snowflake", "spark", "spark2", "databricks", "redshift", "teradata", "clickhouse"}
)


def analyse(
    statement: exp.Expr,
    d: Dialect,
    schema: SchemaMapping,
    notes: list[Unknown] | None = None,
    *,
    reparse: Callable[[], exp.Expr] | None = None,
) -> StatementLineage:
    """Lineage of a parsed statement (see :func:`~dagster_lineage.sql.lineage.statement_lineage`).

    Without ``reparse`` the statement is left intact (the analysis works on a copy of its query).
    With ``reparse`` (a function returning a fresh parse of the same statement) the analysis takes
    the statement's tree over and rewrites it in place, and calls ``reparse`` only when it has to
    start again from the unqualified query: no copy of the tree in the common case.

    Examples:
        >>> from sqlglot import parse_one
        >>> from sqlglot.dialects.dialect import Dialect
        >>> analyse(parse_one("select 1 as one"), Dialect.get_or_raise(None), {}).column_names
        ('one',)
    """
    return _Analysis(statement, d, schema, list(notes or []), reparse).run()


# --- memoised schema names (the same keys, columns and types recur in every model's schema) -----

_SchemaKey = tuple[tuple[exp.Identifier, ...], tuple[str, ...], tuple[str, ...]]
_MEMO_MAX = 50_000


class _Names:
    """Schema names and types of one dialect, worked out once per process instead of per model.

    Every value is exactly what the per-model code computed (and what sqlglot's
    ``MappingSchema(normalize=True)`` would store); exceptions are not memoised, so they are
    raised where they were before. Each table is emptied when it reaches ``_MEMO_MAX`` entries.
    """

    def __init__(self, d: Dialect) -> None:
        self.d = d
        self.keys: dict[str, _SchemaKey | None] = {}
        self.columns: dict[str, tuple[str, str]] = {}
        self.types: dict[str, exp.DataType | str] = {}
        self.normalized: dict[tuple[str, bool], str] = {}
        self.type_sql: dict[Any, str] = {}
        self.pad = exp.to_identifier(PAD)
        self.pad_sql = self.pad.sql(dialect=d)

    def key(self, key: str) -> _SchemaKey | None:
        """A schema key's identifiers, their names and their SQL; ``None``: not a table name."""
        if key in self.keys:
            return self.keys[key]
        try:
            table = parse_table(key, self.d)
        except SqlParseError:
            found = None
        else:
            idents = tuple(p for p in table.parts if isinstance(p, exp.Identifier))
            found = (
                idents,
                tuple(identifier_name(i, self.d) for i in idents),
                tuple(i.sql(dialect=self.d) for i in idents),
            )
        return _put(self.keys, key, found)

    def column(self, col: str) -> tuple[str, str]:
        """A schema column's SQL (its mapping key) and its normalised name."""
        found = self.columns.get(col)
        if found is None:
            d = self.d
            ident = (
                exp.parse_identifier(col, dialect=d) if col[:1] in '"`[' else exp.to_identifier(col)
            )
            col_sql = ident.sql(dialect=d)
            found = _put(
                self.columns, col, (col_sql, identifier_name(d.normalize_identifier(ident), d))
            )
        return found

    def type(self, typ: str) -> exp.DataType | str:
        """A schema type as the ``DataType`` ``MappingSchema`` builds from it on demand.

        A type that does not parse stays a string: sqlglot then fails on it where it did before.
        """
        found = self.types.get(typ)
        if found is None:
            d = self.d
            try:
                dtype = exp.DataType.from_str(typ, dialect=d, udt=d.SUPPORTS_USER_DEFINED_TYPES)
                dtype.transform(d.normalize_identifier, copy=False)
                found = _put(self.types, typ, dtype)
            except (SqlglotError, AttributeError, KeyError, ValueError, TypeError):
                found = _put(self.types, typ, typ)
        return found

    def name(self, sql: str, is_table: bool) -> str:
        """The name ``MappingSchema(normalize=True)`` stores for a key written as ``sql``."""
        found = self.normalized.get((sql, is_table))
        if found is None:
            found = normalize_name(sql, dialect=self.d, is_table=is_table).name
            _put(self.normalized, (sql, is_table), found)
        return found

    def sql_of(self, dtype: exp.DataType) -> str:
        """``dtype.sql()``, memoised by the type's exact structure.

        ``sql()`` renders a detached copy, so the text depends on nothing but the node's own
        subtree (classes, args, comments, meta), which is what the key spells out.
        """
        try:
            key = _exact_key(dtype)
            found = self.type_sql.get(key)
        except TypeError:  # an unhashable arg: render it every time
            return dtype.sql(dialect=self.d)
        if found is None:
            found = _put(self.type_sql, key, dtype.sql(dialect=self.d))
        return found

    def normalize_nested(self, nested: dict[str, Any]) -> dict[str, Any]:
        """``nested`` (tables keyed by identifier SQL) with every name normalised.

        Merged the way ``MappingSchema._normalize`` does: same order, equal names merged.
        """
        out: dict[str, Any] = {}

        def visit(level: dict[str, Any], path: list[str]) -> None:
            for key, value in level.items():
                if value and isinstance(next(iter(value.values())), dict):
                    visit(value, [*path, self.name(key, True)])
                    continue
                target = out
                for part in path:
                    target = target.setdefault(part, {})
                target = target.setdefault(self.name(key, True), {})
                for col_sql, typ in value.items():
                    target[self.name(col_sql, False)] = typ

        visit(nested, [])
        return out


_V = TypeVar("_V")
_K = TypeVar("_K")
_BY_DIALECT: dict[tuple[Any, ...], _Names] = {}


def _put(table: dict[_K, _V], key: _K, value: _V) -> _V:
    if len(table) >= _MEMO_MAX:
        table.clear()
    table[key] = value
    return value


def _exact_key(node: Any) -> Any:
    """A hashable spelling of a node's whole subtree, strings kept as written."""
    if isinstance(node, exp.Expr):
        meta = node._meta
        return (
            type(node),
            tuple(node.comments or ()),
            tuple(sorted(meta.items())) if meta else (),
            tuple((k, _exact_key(v)) for k, v in node.args.items()),
        )
    if isinstance(node, list):
        return tuple(_exact_key(v) for v in node)
    return (type(node), node)


def _names(d: Dialect) -> _Names:
    """The memo of ``d``'s dialect: its class and the settings that decide how names read."""
    key = (type(d), d.version, d.normalization_strategy, repr(sorted(d.settings.items())))
    found = _BY_DIALECT.get(key)
    if found is None:
        found = _BY_DIALECT[key] = _Names(d)
    return found


# --- helpers over expressions -------------------------------------------------------------------


def _walk_local(node: exp.Expr) -> Iterator[exp.Expr]:
    """Nodes of ``node`` without descending into nested queries (those are their own scopes)."""
    return node.walk(prune=lambda n: n is not node and isinstance(n, _NESTED))


def _is_star(proj: exp.Expr) -> bool:
    return isinstance(proj, exp.Star) or (
        isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star)
    )


def _proj_ident(proj: exp.Expr) -> exp.Expr:
    if isinstance(proj, exp.Alias):
        return proj.args["alias"]
    if isinstance(proj, exp.Column):
        return proj.this
    return exp.to_identifier(proj.alias_or_name or proj.sql())


def _in_window_spec(node: exp.Expr, root: exp.Expr) -> bool:
    cur = node
    while cur is not root and cur.parent is not None:
        if isinstance(cur.parent, exp.Window) and cur.arg_key != "this":
            return True
        cur = cur.parent
    return False


def _step_rank(node: exp.Expr, root: exp.Expr) -> int:
    """Aggregation under an aggregate (or its FILTER) used as such, else transformation.

    An aggregate used as a window function (``sum(x) OVER (...)``) is a transformation.
    """
    cur = node
    while cur is not root and cur.parent is not None:
        parent = cur.parent
        agg: exp.Expr | None = None
        if isinstance(parent, exp.AggFunc):
            agg = parent.parent if isinstance(parent.parent, exp.Filter) else parent
        elif isinstance(parent, exp.Filter) and isinstance(parent.this, exp.AggFunc):
            agg = parent
        if agg is not None and not isinstance(agg.parent, exp.Window):
            return _AGG
        cur = parent
    return _TRANS


def _kind(rank: int, out_name: str, column: str) -> EdgeKind:
    if rank in (_PASS, _POSITIONAL):
        return EdgeKind.IDENTITY if out_name == column else EdgeKind.RENAME
    return EdgeKind.AGGREGATION if rank == _AGG else EdgeKind.TRANSFORMATION


def _merge(into: _Deps, deps: _Deps, floor: int = _PASS) -> None:
    for base, rank in deps.items():
        into[base] = max(into.get(base, _PASS), rank, floor)


# --- the analysis -------------------------------------------------------------------------------


class _Analysis:
    def __init__(
        self,
        statement: exp.Expr,
        d: Dialect,
        schema: SchemaMapping,
        notes: list[Unknown],
        reparse: Callable[[], exp.Expr] | None = None,
    ) -> None:
        self.statement = statement
        self._reparse = reparse
        self.d = d
        self.unknowns: set[Unknown] = set(notes)
        self.reads: set[tuple[str, str, Clause]] = set()
        self.select_refs: set[_Base] = set()
        self.tables: set[str] = set()
        self._out: dict[int, list[tuple[str, _Deps]]] = {}
        self._out_index: dict[int, dict[str, _Deps]] = {}
        # per scope, aligned with its outputs: the (table, column, clause) that shape each column
        self._indirect: dict[int, list[set[_Read]]] = {}
        self._collect: set[_Read] | None = None
        self._star_at: dict[int, int] = {}  # per scope, how many outputs precede its open `*`
        self._busy: set[int] = set()
        self._open_stars: dict[int, list[str]] = {}
        self._star_memo: dict[int, set[str]] = {}
        self._table_memo: dict[int, tuple[exp.Table, str, list[str] | None]] = {}
        self._selected_memo: dict[int, tuple[Scope, list[str], frozenset[str]]] = {}
        self._scope_of: dict[int, Scope] = {}
        self._ctx: str | None = None
        self._root: Scope | None = None
        self._schema_cols: dict[tuple[str, ...], list[str]] = {}
        self._schema_parts: dict[tuple[str, ...], list[exp.Identifier]] = {}
        self._typed = False
        self._names = _names(d)
        self._mapping = self._build_schema(schema)

    # schema ------------------------------------------------------------------------------------

    def _build_schema(self, schema: SchemaMapping) -> MappingSchema:
        names_memo = self._names
        entries: list[tuple[_SchemaKey, Mapping[str, str | None]]] = []
        for key, cols in schema.items():
            if not cols:
                continue
            parsed = names_memo.key(key)
            if parsed is None:
                self.unknowns.add(Unknown(f"schema key {key!r} is not a table name; ignored"))
                continue
            if not 1 <= len(parsed[0]) <= 3:
                self.unknowns.add(
                    Unknown(f"schema key {key!r} has more than 3 name parts; ignored")
                )
                continue
            entries.append((parsed, cols))
        depth = max((len(p[0]) for p, _ in entries), default=0)
        pad, pad_sql = names_memo.pad, names_memo.pad_sql
        # the nested MappingSchema layout: each level keyed by the identifier's SQL
        nested: dict[str, Any] = {}
        for (idents, names, sqls), cols in entries:
            n_pad = depth - len(idents)
            self._schema_parts[names] = [pad] * n_pad + list(idents)
            level = nested
            for part_sql in ([pad_sql] * n_pad + list(sqls))[:-1]:
                level = level.setdefault(part_sql, {})
            mapping: dict[str, exp.DataType | str] = {}
            col_names: list[str] = []
            typed = False
            for col, typ in cols.items():
                col_sql, col_name = names_memo.column(col)
                mapping[col_sql] = names_memo.type(typ or "UNKNOWN")
                col_names.append(col_name)
                typed = typed or bool(typ)
            self._typed = self._typed or typed
            level[sqls[-1]] = mapping
            self._schema_cols[names] = col_names
        try:
            # normalised here, with memoised names, as MappingSchema(normalize=True) would
            normalized = names_memo.normalize_nested(nested)
            return MappingSchema(normalized or None, dialect=self.d, normalize=False)
        except (SqlglotError, KeyError, ValueError, TypeError) as e:
            self.unknowns.add(Unknown(f"the schema mapping could not be used ({e}); ignored"))
            self._schema_parts.clear()
            self._schema_cols.clear()
            return MappingSchema(None, dialect=self.d)

    def _match(self, table: exp.Table) -> tuple[str, ...] | None:
        parts = tuple(
            identifier_name(p, self.d) for p in table.parts if isinstance(p, exp.Identifier)
        )
        if parts in self._schema_parts:
            return parts
        found = [k for k in self._schema_parts if parts_match(k, parts)]
        if len(found) > 1:
            top = max(min(len(k), len(parts)) for k in found)
            found = [k for k in found if min(len(k), len(parts)) == top]
        if len(found) == 1:
            return found[0]
        if found:
            self.unknowns.add(
                Unknown(
                    f"table '{'.'.join(parts)}' matches several schema tables: "
                    f"{', '.join(sorted('.'.join(k) for k in found))}"
                )
            )
        return None

    # run ---------------------------------------------------------------------------------------

    def _split(self) -> tuple[exp.Query | None, exp.Table | None, tuple[str, ...]]:
        """The statement's query, target and target columns (MERGE/UPDATE/DELETE rewritten)."""
        if isinstance(self.statement, (exp.Update, exp.Merge, exp.Delete)):
            dml = dml_query(self.statement, self.d)
            if dml is not None:
                query, target, cols, notes = dml
                self.unknowns.update(notes)
                return query, target, cols
        return split_statement(self.statement, self.d, copy=self._reparse is None)

    def run(self) -> StatementLineage:
        dml = isinstance(self.statement, (exp.Update, exp.Merge, exp.Delete))
        query, target, target_cols = self._split()
        target_name = None
        if target is not None:
            normalize_identifiers(target, dialect=self.d)
            key = self._match(target)
            target_name = ".".join(key) if key is not None else table_name(target, self.d)
        if query is None:
            kind = type(self.statement).__name__.upper()
            self.unknowns.add(Unknown(f"the statement ({kind}) holds no query: no column lineage"))
            return StatementLineage(target=target_name, unknowns=self._final_unknowns())
        query = normalize_identifiers(query, dialect=self.d)
        self._prepare(query)
        try:
            query = qualify(
                query,
                dialect=self.d,
                schema=self._mapping,
                validate_qualify_columns=False,
                identify=False,
            )
        except (SqlglotError, KeyError, ValueError, TypeError) as e:
            # Start again from the unqualified query (a fresh parse, or the intact statement
            # whose query was copied) and only qualify tables; columns are then resolved by
            # name, scope by scope.
            detail = str(e).splitlines()[0] if str(e) else type(e).__name__
            alias_or_column = _ALIAS_OR_COLUMN.fullmatch(detail)
            if alias_or_column is not None:
                name = alias_or_column.group(1).lower()
                aliases = {
                    p.alias.lower()
                    for sel in query.find_all(exp.Select)
                    for p in sel.expressions
                    if isinstance(p, exp.Alias)
                }
                if name not in aliases:  # a correlated name: inner or outer table, unknown
                    alias_or_column = None
            if alias_or_column is None:
                self.unknowns.add(Unknown(f"could not qualify the query's columns ({detail})"))
            elif self.d.__class__.__name__.lower() in _LATERAL_ALIAS_DIALECTS:
                # the dialect lets a select-list alias be referenced later in the list
                self.unknowns.add(
                    Unknown(
                        f"column '{name}' may be a column of a table without schema or the "
                        "alias of an earlier output column; it was read as the table's column "
                        "(pass the table's columns in `schema` to be sure)"
                    )
                )
            # else: the dialect has no lateral aliases, so the name is a table column: resolved
            # by name below, scope by scope
            if self._reparse is not None:
                self.statement = self._reparse()
            retry = self._split()[0]
            assert retry is not None
            query = normalize_identifiers(retry, dialect=self.d)
            self._prepare(query)
            try:
                query = qualify(
                    query, dialect=self.d, qualify_columns=False, validate_qualify_columns=False
                )
            except (SqlglotError, KeyError, ValueError, TypeError) as again:
                self.unknowns.add(Unknown(f"could not qualify the query's tables ({again})"))
        if self._typed:
            try:
                query = annotate_types(query, schema=self._mapping, dialect=self.d)
            except (SqlglotError, KeyError, ValueError, TypeError, AttributeError):
                pass
        root = build_scope(query)
        if root is None:
            self.unknowns.add(Unknown("the query has no analysable scope"))
            return StatementLineage(target=target_name, unknowns=tuple(sorted(self.unknowns)))
        self._root = root
        scopes = list(root.traverse())
        for sc in scopes:
            self._scope_of.setdefault(id(sc.expression), sc)
            for src in sc.sources.values():
                if isinstance(src, exp.Table):
                    self.tables.add(self._table(src)[0])
        outputs = self._outputs(root)
        names = [n for n, _ in outputs]
        names = self._target_names(names, target, target_cols)
        for i, name in enumerate(names):
            if _GENERATED_NAME.fullmatch(name) and name == outputs[i][0]:
                self.unknowns.add(
                    Unknown(
                        f"output column {i + 1} has no alias (called '{name}' here; the "
                        "database names it differently): add an alias",
                        name,
                    )
                )
        types = self._types(query)
        columns = []
        sourced: set[_Base] = set()
        shaping = self._indirect.get(id(self._canon(root)), [])
        for i, ((_, deps), name) in enumerate(zip(outputs, names)):
            sources = tuple(
                sorted(
                    SourceColumn(t, c, _kind(r, name, c), by_position=r == _POSITIONAL)
                    for (t, c), r in deps.items()
                )
            )
            sourced.update(deps)
            indirect = tuple(
                sorted(
                    TableColumnRead(t, c, k) for t, c, k in (shaping[i] if i < len(shaping) else ())
                )
            )
            columns.append(
                OutputColumn(name, sources, types[i] if i < len(types) else None, indirect)
            )
        unbound = self._unbound_ctes(root)
        for sc in scopes:
            if id(sc) not in unbound:
                self._scope_reads(sc)
        for stars in self._root_star_unknowns(root):
            self.unknowns.add(stars)
        read_bases = {(t, c) for t, c, _ in self.reads}
        for base in self.select_refs - sourced - read_bases:
            self.reads.add((base[0], base[1], Clause.SELECT))
        star_tables = sorted(self._star_through(root))
        self.tables.discard("")
        if dml:
            columns = self._dml_columns(columns, target)
            if isinstance(self.statement, exp.Delete):
                target_name = None  # it writes no column: its table is read
        return StatementLineage(
            columns=tuple(columns),
            reads=tuple(sorted(TableColumnRead(t, c, k) for t, c, k in self.reads)),
            tables=tuple(sorted(self.tables)),
            star_tables=tuple(star_tables),
            target=target_name,
            unknowns=self._final_unknowns(),
        )

    def _dml_columns(
        self, columns: list[OutputColumn], target: exp.Table | None
    ) -> list[OutputColumn]:
        """A MERGE/UPDATE's target columns: each written value merged per column.

        Columns known by position (MERGE ... INSERT VALUES without a list) take the target's
        schema names; the ON and WHERE columns shape every written column (indirect).
        """
        key = self._match(target) if target is not None else None
        tcols = self._schema_cols.get(key, []) if key is not None else []
        shaping = tuple(
            sorted(
                TableColumnRead(t, c, k)
                for t, c, k in self.reads
                if k in (Clause.JOIN, Clause.FILTER)
            )
        )
        merged: dict[str, tuple[set[SourceColumn], str | None]] = {}
        own: dict[str, set[TableColumnRead]] = {}
        for col in columns:
            name = col.name
            if name.startswith(_DML_CONSTANT):
                continue
            if name.startswith(POSITION):
                pos = int(name[len(POSITION) :])
                if pos >= len(tcols):
                    self.unknowns.add(
                        Unknown(
                            f"MERGE ... INSERT VALUES without a column list: value {pos + 1} "
                            "has no target column in the schema; its lineage is left out"
                        )
                    )
                    continue
                name = tcols[pos]
                col = OutputColumn(
                    name,
                    tuple(
                        SourceColumn(s.table, s.column, _repass(s.kind, name, s.column))
                        for s in col.sources
                    ),
                    col.data_type,
                    col.indirect,
                )
            srcs, dtype = merged.setdefault(name, (set(), col.data_type))
            srcs.update(col.sources)
            own.setdefault(name, set()).update(col.indirect)
        out = []
        for name, (srcs, dtype) in merged.items():
            strongest: dict[tuple[str, str], EdgeKind] = {}
            for src in srcs:
                have = strongest.get((src.table, src.column))
                strongest[(src.table, src.column)] = (
                    src.kind if have is None else EdgeKind.combine(have, src.kind)
                )
            out.append(
                OutputColumn(
                    name,
                    tuple(sorted(SourceColumn(t, c, k) for (t, c), k in strongest.items())),
                    dtype,
                    tuple(sorted(set(shaping) | own.get(name, set()))),
                )
            )
        return out

    def _unbound_ctes(self, root: Scope) -> set[int]:
        """Scopes of CTEs nothing references, when the dialect's engine never binds those.

        DuckDB skips an unreferenced CTE entirely (its columns and tables are not needed), while
        PostgreSQL analyses every CTE (a missing column there fails the statement). The choice is
        said in the result, as a note (:class:`Unknown`) naming the CTE and the dialect.
        """
        if type(self.d).__name__.lower() not in _SKIPS_UNUSED_CTES:
            return set()
        reached: set[int] = set()
        todo = [root]
        while todo:
            sc = todo.pop()
            if id(sc) in reached:
                continue
            reached.add(id(sc))
            todo += sc.subquery_scopes + sc.derived_table_scopes + sc.set_operation_scopes
            todo += sc.udtf_scopes + sc.table_scopes
            # ``sources`` lists every CTE in reach; ``selected_sources`` only those used
            todo += [src for _, src in sc.selected_sources.values() if isinstance(src, Scope)]
        out: set[int] = set()
        for sc in root.traverse():
            if id(sc) in reached:
                continue
            out.add(id(sc))
            cte = sc.expression.parent
            if isinstance(cte, exp.CTE):
                self.unknowns.add(
                    Unknown(
                        f"CTE {cte.alias_or_name} is never referenced: {type(self.d).__name__} "
                        "does not bind it, so its columns are not needed (PostgreSQL would "
                        "analyse it)"
                    )
                )
        return out

    def _final_unknowns(self) -> tuple[Unknown, ...]:
        """Sorted, without whole-statement duplicates of a column's unknown."""
        with_column = {u.reason for u in self.unknowns if u.column is not None}
        kept = [u for u in self.unknowns if u.column is not None or u.reason not in with_column]
        return tuple(sorted(kept, key=lambda u: (u.column or "", u.reason)))

    def _prepare(self, query: exp.Expr) -> None:
        """Mark written columns and stars, and point tables at their schema keys.

        Parse positions are dropped from the nodes' ``meta`` (nothing here reports them): sqlglot
        deep-copies ``meta`` with every node it copies while qualifying and typing the query.
        """
        ctes: set[str] = set()
        tables: list[exp.Table] = []
        for node in query.walk():
            meta = node._meta
            if meta is not None and "line" in meta:
                for pos in _POSITIONS:
                    meta.pop(pos, None)
                if not meta:
                    node._meta = None
            if isinstance(node, exp.Column):
                node.meta[_MARK] = True
            elif isinstance(node, exp.Select):
                stars = []
                for proj in node.expressions:
                    if isinstance(proj, exp.Star):
                        stars.append("")
                    elif isinstance(proj, exp.Column) and isinstance(proj.this, exp.Star):
                        stars.append(proj.table)
                node.meta[_STARS] = stars
            elif isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
                tables.append(node)
            elif isinstance(node, exp.CTE):
                ctes.add(node.alias_or_name)
        for node in tables:
            if not node.args.get("db") and node.name in ctes and not _in_own_cte(node):
                continue
            key = self._match(node)
            if key is not None:
                args = _table_args(self._schema_parts[key])
                for arg in ("this", "db", "catalog"):
                    node.set(arg, args.get(arg))

    def _target_names(
        self, names: list[str], target: exp.Table | None, cols: tuple[str, ...]
    ) -> list[str]:
        if cols:
            if len(cols) == len(names):
                return list(cols)
            self.unknowns.add(
                Unknown(
                    f"the target lists {len(cols)} columns but the query returns {len(names)}; "
                    "the query's names are used"
                )
            )
            return names
        if target is not None and isinstance(self.statement, exp.Insert):
            key = self._match(target)
            if key is not None:
                # by position into the target's columns, static partition columns excluded
                # (Spark's PARTITION (dt='2020')); fewer columns fill the first ones (PostgreSQL)
                static = _static_partition_columns(target, self.d)
                tcols = [c for c in self._schema_cols[key] if c not in static]
                if len(names) <= len(tcols):
                    return tcols[: len(names)]
                self.unknowns.add(
                    Unknown(
                        f"the query returns {len(names)} columns but table "
                        f"'{'.'.join(key)}' has {len(tcols)}; the query's names are used"
                    )
                )
        return names

    def _types(self, query: exp.Query) -> list[str | None]:
        projections = [p for p in query.selects if not _is_star(p)]
        if not self._typed:
            return [None] * len(projections)
        out: list[str | None] = []
        for proj in projections:
            typ = proj.type
            if typ is None or typ.this in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL):
                out.append(None)
            else:
                out.append(self._names.sql_of(typ))
        return out

    # scope outputs -----------------------------------------------------------------------------

    def _canon(self, scope: Scope) -> Scope:
        """The traversed scope of the same expression (a recursive CTE's anchor is re-scoped)."""
        return self._scope_of.get(id(scope.expression), scope)

    def _outputs(self, scope: Scope) -> list[tuple[str, _Deps]]:
        scope = self._canon(scope)
        key = id(scope)
        if key in self._out:
            return self._out[key]
        if key in self._busy:  # a recursive CTE referring to itself adds no new source
            return []
        self._busy.add(key)
        try:
            result = self._compute_outputs(scope)
        finally:
            self._busy.discard(key)
        self._out[key] = result
        return result

    def _output(self, scope: Scope, name: str) -> _Deps | None:
        """The sources of ``scope``'s output column ``name`` (the first of that name)."""
        scope = self._canon(scope)
        index = self._out_index.get(id(scope))
        if index is None:
            outs = self._outputs(scope)
            if id(scope) in self._busy:
                return None
            index = {}
            for out_name, deps in outs:
                index.setdefault(out_name, deps)
            self._out_index[id(scope)] = index
        return index.get(name)

    def _compute_outputs(self, scope: Scope) -> list[tuple[str, _Deps]]:
        expr = scope.expression
        if isinstance(expr, exp.SetOperation):
            branches = [self._outputs(s) for s in scope.set_operation_scopes]
            if not branches:
                return []
            first = branches[0]
            merged: list[tuple[str, _Deps]] = [(n, dict(deps)) for n, deps in first]
            for other in branches[1:]:
                if other and len(other) != len(first):
                    self.unknowns.add(
                        Unknown(
                            f"set operation branches return {len(first)} and {len(other)} "
                            "columns; unmatched columns ignored"
                        )
                    )
                for (_, mdeps), (_, odeps) in zip(merged, other):
                    # a later branch feeds the column by position, under the first branch's name
                    for base, rank in odeps.items():
                        mdeps[base] = max(mdeps.get(base, _POSITIONAL), rank)
            shaping: list[set[_Read]] = [set() for _ in merged]
            for sub in scope.set_operation_scopes:
                for i, ind in enumerate(
                    self._indirect.get(id(self._canon(sub)), [])[: len(merged)]
                ):
                    shaping[i] |= ind
            self._indirect[id(scope)] = shaping
            return merged
        if isinstance(expr, exp.Select):
            result = []
            shaping = self._indirect[id(scope)] = []
            aggregated: list[int] = []
            for proj in expr.expressions:
                if _is_star(proj):
                    qualifier = proj.table if isinstance(proj, exp.Column) else ""
                    if id(scope) not in self._open_stars:
                        # the columns of a derived table known before its own unexpanded `*`
                        for name, deps, ind in self._known_through_star(scope, qualifier):
                            result.append((name, deps))
                            shaping.append(ind)
                    self._open_stars.setdefault(id(scope), []).append(qualifier)
                    self._star_at.setdefault(id(scope), len(result))
                    continue
                name = identifier_name(_proj_ident(proj), self.d)
                body = proj.this if isinstance(proj, exp.Alias) else proj
                self._ctx = name if scope is self._root else None
                saved, self._collect = self._collect, set()
                try:
                    result.append((name, self._expr_deps(scope, body)))
                    self._window_indirect(scope, expr, body)
                    shaping.append(self._collect)
                finally:
                    self._collect = saved
                self._ctx = None
                if _has_aggregate(body):
                    aggregated.append(len(result) - 1)
            if aggregated and expr.args.get("group") is not None:
                # the GROUP BY keys shape every aggregate of the select list (count(*) too)
                keys = self._group_keys(scope, expr.args["group"], result)
                for i in aggregated:
                    shaping[i] |= keys
            return result
        alias = expr.args.get("alias")
        renames = [identifier_name(c, self.d) for c in (alias.columns if alias else [])]
        inner = expr.this.this if isinstance(expr.this, exp.Subquery) else expr.this
        child = self._scope_of.get(id(inner)) if inner is not None else None
        if child is not None:  # LATERAL (SELECT ...): the subquery's outputs
            outs = self._outputs(child)
            if len(renames) == len(outs):
                return [(n, deps) for n, (_, deps) in zip(renames, outs)]
            return outs
        # UDTFs (UNNEST, VALUES, table functions): columns derive from what the call references.
        names = renames
        if not names and alias is not None and alias.this:
            names = [identifier_name(alias.this, self.d)]
        return [(n, dict(self._udtf_deps(scope))) for n in names]

    def _known_through_star(
        self, scope: Scope, qualifier: str
    ) -> list[tuple[str, _Deps, set[_Read]]]:
        """Output columns an unexpanded ``*`` of ``scope`` certainly starts with.

        ``SELECT * FROM (SELECT f1, * FROM t) s`` without a schema for ``t`` starts with ``f1``:
        when the star reads one derived table, its columns before that table's own open ``*``.
        """
        aliases = [qualifier] if qualifier else self._selected(scope)[0]
        if len(aliases) != 1:
            return []
        src = scope.sources.get(aliases[0])
        if not isinstance(src, Scope) or not isinstance(self._canon(src).expression, exp.Select):
            return []
        src = self._canon(src)
        outs = self._outputs(src)
        known = self._star_at.get(id(src), len(outs))
        shaping = self._indirect.get(id(src), [])
        return [
            (name, dict(deps), set(shaping[i]) if i < len(shaping) else set())
            for i, (name, deps) in enumerate(outs[:known])
        ]

    def _group_keys(
        self, scope: Scope, group: exp.Expr, outputs: list[tuple[str, _Deps]]
    ) -> set[_Read]:
        """The base columns of a GROUP BY (positions read from the select list)."""
        saved, self._collect = self._collect, None
        keys: set[_Read] = set()
        try:
            for node in _walk_local(group):
                if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                    keys.update((t, c, Clause.GROUP) for t, c in self._resolve(scope, node))
                elif isinstance(node, exp.Literal) and node.is_int and node.parent is group:
                    pos = int(node.name) - 1
                    if 0 <= pos < len(outputs):
                        keys.update((t, c, Clause.GROUP) for t, c in outputs[pos][1])
        finally:
            self._collect = saved
        return keys

    def _indirect_of(self, scope: Scope, name: str) -> set[_Read]:
        """What shapes ``scope``'s output column ``name`` indirectly (its window specs, ...)."""
        scope = self._canon(scope)
        shaping = self._indirect.get(id(scope), [])
        for (out_name, _), ind in zip(self._outputs(scope), shaping):
            if out_name == name:
                return ind
        return set()

    def _window_indirect(self, scope: Scope, select: exp.Select, body: exp.Expr) -> None:
        """Add the PARTITION BY / ORDER BY columns of ``body``'s windows to the collector."""
        named = {
            identifier_name(w.this, self.d): w
            for w in select.args.get("windows") or []
            if isinstance(w.this, exp.Identifier)
        }
        assert self._collect is not None
        for node in _walk_local(body):
            if not isinstance(node, exp.Window):
                continue
            specs = [node]
            ref = node.args.get("alias")
            seen: set[str] = set()
            while isinstance(ref, exp.Identifier) and identifier_name(ref, self.d) in named:
                ref_name = identifier_name(ref, self.d)
                if ref_name in seen:
                    break
                seen.add(ref_name)
                specs.append(named[ref_name])
                ref = named[ref_name].args.get("alias")
            for spec in specs:
                parts = [*(spec.args.get("partition_by") or [])]
                if spec.args.get("order") is not None:
                    parts.append(spec.args["order"])
                for part in parts:
                    for col in _walk_local(part):
                        if isinstance(col, exp.Column) and not isinstance(col.this, exp.Star):
                            for t, c in self._resolve(scope, col):
                                self._collect.add((t, c, Clause.WINDOW))

    def _udtf_deps(self, scope: Scope) -> _Deps:
        """Every column a table function's call references (its outputs derive from them)."""
        deps: _Deps = {}
        parent = scope.parent or scope
        for node in _walk_local(scope.expression):
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                _merge(deps, self._resolve(parent, node), _TRANS)
        return deps

    def _expr_deps(self, scope: Scope, body: exp.Expr) -> _Deps:
        while isinstance(body, exp.Paren):
            body = body.this
        if isinstance(body, exp.Column) and not isinstance(body.this, exp.Star):
            return dict(self._resolve(scope, body))
        if isinstance(body, exp.Subquery):
            child = self._child(body)
            if child is not None:
                outs = self._outputs(child)
                if outs and self._collect is not None:
                    self._collect |= self._indirect_of(child, outs[0][0])
                return dict(outs[0][1]) if outs else {}
        deps: _Deps = {}
        if self._is_using_coalesce(body):
            for col in body.find_all(exp.Column):
                _merge(deps, self._resolve(scope, col))
            return deps
        for node in _walk_local(body):
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                if _in_window_spec(node, body):
                    continue
                _merge(deps, self._resolve(scope, node), _step_rank(node, body))
            elif isinstance(node, _NESTED) and node is not body:
                child = self._child(node)
                if child is not None:
                    for _, cdeps in self._outputs(child):
                        _merge(deps, cdeps, _step_rank(node, body))
        return deps

    @staticmethod
    def _is_using_coalesce(body: exp.Expr) -> bool:
        """``COALESCE(a.id, b.id)`` written by the qualifier for a ``USING (id)`` column."""
        if not isinstance(body, exp.Coalesce):
            return False
        args = [body.this, *body.expressions]
        return (
            all(isinstance(a, exp.Column) and not a.meta.get(_MARK) for a in args)
            and len({a.name for a in args}) == 1
        )

    def _child(self, node: exp.Expr) -> Scope | None:
        inner = node.this if isinstance(node, exp.Subquery) else node
        found = self._scope_of.get(id(inner)) or self._scope_of.get(id(node))
        if found is None:
            self._unknown(f"nested query not analysed: {node.sql(dialect=self.d)[:60]}")
        return found

    # column resolution -------------------------------------------------------------------------

    def _resolve(self, scope: Scope, col: exp.Column, *, aliases: bool = False) -> _Deps:
        name = identifier_name(col.this, self.d)
        qualifier = col.table
        if qualifier:
            src = self._find_source(scope, qualifier)
            if src is None:
                self._unknown(f"column '{qualifier}.{name}': no table or alias '{qualifier}'")
                return {}
            return self._from_source(src, name, qualifier)
        if aliases:
            found = self._output(scope, name)
            if found is not None:
                return found
        cur: Scope | None = scope
        while cur is not None:
            selected = self._selected(cur)[1]
            cands = [
                (alias, src)
                for alias, src in cur.sources.items()
                if alias in selected and self._may_have(src, name)
            ]
            if len(cands) == 1:
                return self._from_source(cands[0][1], name, cands[0][0])
            if len(cands) > 1 and name in _using_names(cur, self.d):  # JOIN ... USING (name)
                deps: _Deps = {}
                for alias, src in cands:
                    _merge(deps, self._from_source(src, name, alias))
                return deps
            if len(cands) > 1:
                self._unknown(
                    f"ambiguous column '{name}': it could come from "
                    f"{', '.join(sorted(a for a, _ in cands))}; qualify it with a table alias"
                )
                return {}
            cur = cur.parent if cur.is_subquery or cur.is_correlated_subquery else None
        own = [a for a in self._selected(scope)[0] if a in scope.sources]
        if len(own) == 1:  # one table: the column must be its (the schema is out of date)
            return self._from_source(scope.sources[own[0]], name, own[0])
        self._unknown(f"column '{name}' is not a column of any table in its query")
        return {}

    def _find_source(self, scope: Scope, alias: str) -> exp.Table | Scope | None:
        cur: Scope | None = scope
        while cur is not None:
            if alias in cur.sources:
                return cur.sources[alias]
            cur = cur.parent
        return None

    def _may_have(self, src: exp.Table | Scope, name: str) -> bool:
        if isinstance(src, exp.Table):
            cols = self._table_cols(src)
            return cols is None or name in cols
        return self._output(src, name) is not None or self._has_open_star(src)

    def _known_tables(self) -> set[str]:
        return {".".join(k) for k in self._schema_cols}

    def _table_cols(self, table: exp.Table) -> list[str] | None:
        return self._table(table)[1]

    def _table(self, table: exp.Table) -> tuple[str, list[str] | None]:
        """A source table's reported name and schema columns (``None``: not in the schema)."""
        found = self._table_memo.get(id(table))
        if found is None or found[0] is not table:
            cols = self._schema_cols.get(_table_key(table, self.d))
            found = self._table_memo[id(table)] = (table, table_name(table, self.d), cols)
        return found[1], found[2]

    def _selected(self, scope: Scope) -> tuple[list[str], frozenset[str]]:
        """:func:`_selected_aliases` of a scope (in order, and as a set), memoised."""
        found = self._selected_memo.get(id(scope))
        if found is None or found[0] is not scope:
            aliases = _selected_aliases(scope)
            found = self._selected_memo[id(scope)] = (scope, aliases, frozenset(aliases))
        return found[1], found[2]

    def _has_open_star(self, scope: Scope) -> bool:
        scope = self._canon(scope)
        if isinstance(scope.expression, exp.SetOperation):
            return any(self._has_open_star(s) for s in scope.set_operation_scopes)
        self._outputs(scope)
        return bool(self._open_stars.get(id(scope)))

    def _from_source(self, src: exp.Table | Scope, name: str, alias: str) -> _Deps:
        if isinstance(src, exp.Table):
            tname, cols = self._table(src)
            if cols is not None and name not in cols:
                self._unknown(f"column '{name}' is not in the schema of table '{tname}'")
            return {(tname, name): _PASS}
        if id(self._canon(src)) in self._busy:
            return {}
        found = self._output(src, name)
        if found is not None:
            if self._collect is not None:
                self._collect |= self._indirect_of(src, name)
            return found
        through = self._through_star(src, name)
        if through is not None:
            return through
        if not isinstance(self._canon(src).expression, (exp.Select, exp.SetOperation)):
            # a table function's fixed outputs (FLATTEN's VALUE, ...): derived from its input
            return self._udtf_deps(self._canon(src))
        self._unknown(f"column '{name}' is not an output of '{alias}'")
        return {}

    def _through_star(self, scope: Scope, name: str) -> _Deps | None:
        """Resolve ``name`` through an unexpanded ``*`` of ``scope`` (its source has no schema)."""
        scope = self._canon(scope)
        if isinstance(scope.expression, exp.SetOperation):
            branches = [self._through_star(s, name) for s in scope.set_operation_scopes[:1]]
            return branches[0] if branches else None
        stars = self._open_stars.get(id(scope))
        if not stars:
            return None
        aliases = [q for q in stars if q] or [
            a for a in self._selected(scope)[0] if a in scope.sources
        ]
        cands = [a for a in aliases if self._may_have(scope.sources[a], name)]
        if len(cands) == 1:
            return self._from_source(scope.sources[cands[0]], name, cands[0])
        return None

    def _unknown(self, reason: str) -> None:
        self.unknowns.add(Unknown(reason, self._ctx))

    # reads -------------------------------------------------------------------------------------

    def _scope_reads(self, scope: Scope) -> None:
        expr = scope.expression
        if isinstance(expr, exp.SetOperation):
            order = expr.args.get("order")
            if order is not None:
                self._read(scope, order, Clause.ORDER, aliases=True)
            return
        if not isinstance(expr, exp.Select):
            return
        group = expr.args.get("group")
        if group is not None and group.args.get("all"):
            self._read_group_all(scope, expr)
        for arg, clause in (
            ("where", Clause.FILTER),
            ("group", Clause.GROUP),
            ("having", Clause.HAVING),
            ("order", Clause.ORDER),
            ("qualify", Clause.QUALIFY),
        ):
            node = expr.args.get(arg)
            if node is not None:
                self._read(scope, node, clause, aliases=clause is Clause.ORDER)
        for join in expr.args.get("joins") or []:
            for arg in ("on", "match_condition"):
                node = join.args.get(arg)
                if node is not None:
                    self._read(scope, node, Clause.JOIN)
            for ident in join.args.get("using") or []:
                self._read_using(scope, join, ident)
        for window in expr.args.get("windows") or []:
            self._read(scope, window, Clause.WINDOW)
        for proj in expr.expressions:
            for node in _walk_local(proj):
                if isinstance(node, exp.Window):
                    for part in node.args.get("partition_by") or []:
                        self._read(scope, part, Clause.WINDOW)
                    if node.args.get("order") is not None:
                        self._read(scope, node.args["order"], Clause.WINDOW)
                elif (
                    isinstance(node, exp.Column)
                    and node.meta.get(_MARK)
                    and not isinstance(node.this, exp.Star)
                    and not _in_window_spec(node, proj)
                ):
                    self.select_refs.update(self._resolve(scope, node))

    def _read(self, scope: Scope, node: exp.Expr, clause: Clause, aliases: bool = False) -> None:
        for sub in _walk_local(node):
            if isinstance(sub, exp.Column) and not isinstance(sub.this, exp.Star):
                deps = self._resolve(scope, sub, aliases=aliases and not sub.table)
                self.reads.update((t, c, clause) for t, c in deps)
            elif isinstance(sub, _NESTED) and sub is not node:
                child = self._child(sub)
                if child is not None:
                    for _, deps in self._outputs(child):
                        self.reads.update((t, c, clause) for t, c in deps)
            elif (
                aliases
                and isinstance(sub, exp.Literal)
                and sub.is_int
                and isinstance(sub.parent, exp.Ordered)
            ):
                outs = self._outputs(scope)
                pos = int(sub.name) - 1
                if 0 <= pos < len(outs):
                    self.reads.update((t, c, clause) for t, c in outs[pos][1])

    def _read_group_all(self, scope: Scope, select: exp.Select) -> None:
        """``GROUP BY ALL`` groups by every select-list expression without an aggregate."""
        for proj in select.expressions:
            has_agg = any(
                isinstance(n, exp.AggFunc) and not isinstance(n.parent, exp.Window)
                for n in _walk_local(proj)
            )
            if not has_agg and not _is_star(proj):
                self._read(scope, proj, Clause.GROUP)

    def _read_using(self, scope: Scope, join: exp.Join, ident: exp.Expr) -> None:
        name = identifier_name(ident, self.d)
        for alias in self._selected(scope)[0]:
            src = scope.sources.get(alias)
            if src is not None and self._may_have(src, name):
                deps = self._from_source(src, name, alias)
                self.reads.update((t, c, Clause.JOIN) for t, c in deps)

    # stars -------------------------------------------------------------------------------------

    def _star_through(self, scope: Scope) -> set[str]:
        """Base tables whose columns reach ``scope``'s output through ``*`` (shape propagates)."""
        scope = self._canon(scope)
        key = id(scope)
        if key in self._star_memo:
            return self._star_memo[key]
        self._star_memo[key] = set()
        out: set[str] = set()
        if isinstance(scope.expression, exp.SetOperation):
            for sub in scope.set_operation_scopes:
                out |= self._star_through(sub)
        elif isinstance(scope.expression, exp.Select):
            for qualifier in scope.expression.meta.get(_STARS, []):
                aliases = [qualifier] if qualifier else self._selected(scope)[0]
                for alias in aliases:
                    src = scope.sources.get(alias)
                    if isinstance(src, exp.Table):
                        out.add(self._table(src)[0])
                    elif isinstance(src, Scope):
                        out |= self._star_through(src)
        self._star_memo[key] = out
        return out

    def _root_star_unknowns(self, root: Scope) -> Iterator[Unknown]:
        scopes = _branches(root)
        for sc in scopes:
            for qualifier in self._open_stars.get(id(sc), []):
                if qualifier and self._find_source(sc, qualifier) is None:
                    yield self._hidden_star(sc, qualifier)
                    continue
                aliases = [qualifier] if qualifier else self._selected(sc)[0]
                tables: set[str] = set()
                for alias in aliases:
                    src = sc.sources.get(alias)
                    if isinstance(src, exp.Table) and self._table_cols(src) is None:
                        tables.add(self._table(src)[0])
                    elif isinstance(src, Scope):
                        tables |= {
                            t for t in self._star_through(src) if t not in self._known_tables()
                        } or {alias}
                star = f"{qualifier}.*" if qualifier else "*"
                listed = ", ".join(sorted(tables)) or "its source"
                yield Unknown(
                    f"SELECT {star} cannot be expanded: no schema for {listed}; "
                    "pass its columns in `schema` to list the output columns"
                )

    def _hidden_star(self, scope: Scope, qualifier: str) -> Unknown:
        """The unknown of ``q.*`` where ``q`` names no source (or a table behind an alias)."""
        hiding = sorted(
            alias
            for alias, src in scope.sources.items()
            if isinstance(src, exp.Table) and src.name == qualifier and alias != qualifier
        )
        if hiding:
            return Unknown(
                f"SELECT {qualifier}.* names table '{qualifier}', which the query calls "
                f"'{hiding[0]}' (an alias hides the table name): write {hiding[0]}.*"
            )
        return Unknown(
            f"SELECT {qualifier}.* cannot be expanded: the query has no table or alias "
            f"'{qualifier}'"
        )


def _table_key(table: exp.Table, d: Dialect) -> tuple[str, ...]:
    parts = tuple(identifier_name(p, d) for p in table.parts if isinstance(p, exp.Identifier))
    return tuple(p for p in parts if p != PAD)


def _repass(kind: EdgeKind, out_name: str, column: str) -> EdgeKind:
    """An edge kind recomputed for a new output name (identity and rename swap by name)."""
    if kind.is_pass_through:
        return EdgeKind.IDENTITY if out_name == column else EdgeKind.RENAME
    return kind


def _has_aggregate(body: exp.Expr) -> bool:
    """Whether an expression aggregates (an aggregate not used as a window function)."""
    return any(
        isinstance(n, exp.AggFunc) and not isinstance(n.parent, exp.Window)
        for n in _walk_local(body)
    )


def _static_partition_columns(target: exp.Table, d: Dialect) -> set[str]:
    """Columns given a constant in the target's ``PARTITION (dt='2020')`` (not query columns)."""
    partition = target.args.get("partition")
    if not isinstance(partition, exp.Partition):
        return set()
    return {
        identifier_name(e.this.this, d)
        for e in partition.expressions
        if isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)
    }


def _table_args(padded: list[exp.Identifier]) -> dict[str, exp.Identifier]:
    keys = ["this", "db", "catalog"][: len(padded)]
    # identifiers hold only strings and flags: a shallow rebuild is a full copy (without the
    # parse positions the schema key's parse left in ``meta``)
    return {k: type(ident)(**ident.args) for k, ident in zip(keys, reversed(padded))}


def _in_own_cte(table: exp.Table) -> bool:
    """A table named like the non-recursive CTE it sits in: the base table, not the CTE."""
    cur = table.parent
    while cur is not None:
        if isinstance(cur, exp.CTE) and cur.alias_or_name == table.name:
            with_ = cur.parent
            return not (isinstance(with_, exp.With) and with_.args.get("recursive"))
        cur = cur.parent
    return False


def _using_names(scope: Scope, d: Dialect) -> set[str]:
    """Column names joined with ``USING`` in a scope (when the qualifier did not rewrite them)."""
    if not isinstance(scope.expression, exp.Select):
        return set()
    return {
        identifier_name(ident, d)
        for join in scope.expression.args.get("joins") or []
        for ident in join.args.get("using") or []
    }


def _selected_aliases(scope: Scope) -> list[str]:
    """Aliases of the sources in a scope's FROM and JOINs, in order."""
    expr = scope.expression
    if not isinstance(expr, exp.Select):
        return list(scope.sources)
    out = []
    from_ = expr.args.get(FROM_ARG)
    nodes = ([from_.this] if from_ is not None else []) + [
        j.this for j in expr.args.get("joins") or []
    ]
    for node in nodes:
        alias = node.alias_or_name
        if alias:
            out.append(alias)
    laterals = [lat.alias_or_name for lat in expr.args.get("laterals") or []]
    return out + [a for a in laterals if a]


def _branches(scope: Scope) -> list[Scope]:
    """The SELECT scopes of a set operation (flattened), or the scope itself."""
    if isinstance(scope.expression, exp.SetOperation):
        return [b for sub in scope.set_operation_scopes for b in _branches(sub)]
    return [scope]
