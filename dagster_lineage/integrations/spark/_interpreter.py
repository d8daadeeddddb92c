"""The abstract interpreter behind :mod:`dagster_lineage.integrations.spark.static`.

Internal. It walks statements and expressions of a job's Python, following DataFrame values through
assignments, helper-function calls and PySpark method calls (see ``_Interpreter``).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.integrations.spark._values import (
    _AGGREGATES,
    _FRAME_METHODS,
    _OPS,
    _PASS_THROUGH_METHODS,
    _READ_FORMATS,
    _SQL_DIALECT,
    Dep,
    Read,
    _arg,
    _as_expr,
    _as_expr_or_lit,
    _Bound,
    _col,
    _Columns,
    _combine_exprs,
    _dyn,
    _Dynamic,
    _Expr,
    _flatten,
    _Frame,
    _Func,
    _FuncRef,
    _FunctionsModule,
    _Grouped,
    _index,
    _is_pathlike,
    _lookup,
    _Na,
    _non_agg,
    _norm_kind,
    _Opaque,
    _Open,
    _operand_name,
    _Reader,
    _reason,
    _Ref,
    _Return,
    _schema_names,
    _Session,
    _sql_expr,
    _State,
    _text,
    _Tmpl,
    _tmpl_join,
    _WindowClass,
    _WindowSpec,
    _Writer,
)
from dagster_lineage.integrations.spark.types import SparkSource
from dagster_lineage.sql.types import StatementLineage

# ---------------------------------------------------------------------------------------------
# the interpreter


class _Interpreter:
    def __init__(self, state: _State, max_depth: int) -> None:
        self.st = state
        self.max_depth = max_depth
        self.line = 0

    # --- statements ------------------------------------------------------------------------

    def run_block(self, body: Sequence[ast.stmt], env: dict[str, Any]) -> None:
        for stmt in body:
            self.run_stmt(stmt, env)

    def run_stmt(self, stmt: ast.stmt, env: dict[str, Any]) -> None:
        self.line = getattr(stmt, "lineno", self.line)
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            env[stmt.name] = _Func(stmt, env)  # type: ignore[arg-type]
        elif isinstance(stmt, ast.Import):
            for a in stmt.names:
                self._import(a.name, a.asname, None, env)
        elif isinstance(stmt, ast.ImportFrom):
            for a in stmt.names:
                self._import(a.name, a.asname, stmt.module or "", env)
        elif isinstance(stmt, ast.Assign):
            value = self.eval(stmt.value, env)
            for t in stmt.targets:
                self.bind(t, value, env)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self.bind(stmt.target, self.eval(stmt.value, env), env)
        elif isinstance(stmt, ast.AugAssign):
            cur = self.eval(stmt.target, env) if isinstance(stmt.target, ast.Name) else None
            new = self._binop(stmt.op, cur, self.eval(stmt.value, env))
            self.bind(stmt.target, new, env)
        elif isinstance(stmt, ast.Expr):
            self.eval(stmt.value, env)
        elif isinstance(stmt, ast.Return):
            raise _Return(self.eval(stmt.value, env) if stmt.value is not None else None)
        elif isinstance(stmt, ast.If):
            if _is_main_guard(stmt.test):
                return
            self.run_block(stmt.body, env)
            self.run_block(stmt.orelse, env)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            self._for(stmt, env)  # type: ignore[arg-type]
        elif isinstance(stmt, ast.While):
            self.run_block(stmt.body, env)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                val = self.eval(item.context_expr, env)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, val, env)
            self.run_block(stmt.body, env)
        elif isinstance(stmt, ast.Try):
            self.run_block(stmt.body, env)
            self.run_block(stmt.orelse, env)
            self.run_block(stmt.finalbody, env)

    def _import(
        self, name: str, asname: str | None, module: str | None, env: dict[str, Any]
    ) -> None:
        full = f"{module}.{name}" if module else name
        bind_as = asname or (name if module is not None else name.split(".")[0])
        if full in ("pyspark.sql.functions", "pyspark.sql.connect.functions"):
            env[bind_as] = _FunctionsModule()
        elif module in ("pyspark.sql.functions", "pyspark.sql.connect.functions"):
            env[bind_as] = _FuncRef(name)
        elif name == "Window" and (module or "").startswith("pyspark"):
            env[bind_as] = _WindowClass()
        elif module is None and asname is None and "." in name:
            env[bind_as] = _Opaque(bind_as)
        else:
            env[bind_as] = _Opaque(bind_as if module is not None else full)

    def _for(self, stmt: ast.For, env: dict[str, Any]) -> None:
        it = self.eval(stmt.iter, env)
        if isinstance(it, list | tuple) and all(not isinstance(v, _Dynamic) for v in it):
            for v in it:
                self.bind(stmt.target, v, env)
                self.run_block(stmt.body, env)
        else:
            reason = (
                "loop over df.columns: column names are computed at run time"
                if isinstance(it, _Columns)
                else "loop over values only known at run time"
            )
            self.bind(stmt.target, _Dynamic(f"{reason} (line {stmt.lineno})"), env)
            self.run_block(stmt.body, env)
        self.run_block(stmt.orelse, env)

    def bind(self, target: ast.expr, value: Any, env: dict[str, Any]) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, _Opaque) and "(" in value.name:
                value = _Opaque(target.id)  # a call's result reads better by its variable's name
            env[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            vals = list(value) if isinstance(value, list | tuple) else None
            for i, t in enumerate(target.elts):
                self.bind(t, vals[i] if vals and i < len(vals) else _Dynamic("unpacking"), env)

    # --- expressions -----------------------------------------------------------------------

    def eval(self, node: ast.expr | None, env: dict[str, Any]) -> Any:
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue):
                    parts.append(_text(self.eval(v.value, env), ast.unparse(v.value)))
            text = "".join(parts)
            return (
                text
                if all(
                    isinstance(v, ast.Constant) or isinstance(self.eval(v.value, env), str)  # type: ignore[attr-defined]
                    for v in node.values
                )
                else _Tmpl(text)
            )
        if isinstance(node, ast.Name):
            if node.id in env:
                return env[node.id]
            return _Opaque(node.id)
        if isinstance(node, ast.Attribute):
            return self._attr(self.eval(node.value, env), node.attr, node)
        if isinstance(node, ast.Subscript):
            return self._subscript(self.eval(node.value, env), self.eval(node.slice, env))
        if isinstance(node, ast.Call):
            return self._call(node, env)
        if isinstance(node, ast.BinOp):
            return self._binop(node.op, self.eval(node.left, env), self.eval(node.right, env))
        if isinstance(node, ast.UnaryOp):
            v = self.eval(node.operand, env)
            if isinstance(v, _Expr):
                return v.apply(EdgeKind.TRANSFORMATION)
            if isinstance(node.op, ast.USub) and isinstance(v, int | float):
                return -v
            return v if isinstance(v, _Dynamic) else _Opaque(ast.unparse(node))
        if isinstance(node, ast.Compare):
            vals = [self.eval(node.left, env)] + [self.eval(c, env) for c in node.comparators]
            if any(isinstance(v, _Expr) for v in vals):
                return _combine_exprs(vals, EdgeKind.TRANSFORMATION)
            return _Opaque(ast.unparse(node))
        if isinstance(node, ast.BoolOp):
            return _Opaque(ast.unparse(node))
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            out: list[Any] = []
            for e in node.elts:
                if isinstance(e, ast.Starred):
                    v = self.eval(e.value, env)
                    if isinstance(v, list | tuple):
                        out.extend(v)
                    else:
                        out.append(_dyn(v, "starred value only known at run time"))
                else:
                    out.append(self.eval(e, env))
            return tuple(out) if isinstance(node, ast.Tuple) else out
        if isinstance(node, ast.Dict):
            d: dict[Any, Any] = {}
            for k, v in zip(node.keys, node.values):
                if k is None:
                    return _Dynamic("dict unpacking")
                key = self.eval(k, env)
                d[key if isinstance(key, str | int | float | tuple) else repr(key)] = self.eval(
                    v, env
                )
            return d
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return self._comprehension(node, env)
        if isinstance(node, ast.IfExp):
            return self.eval(node.body, env)
        if isinstance(node, ast.NamedExpr):
            v = self.eval(node.value, env)
            self.bind(node.target, v, env)
            return v
        return _Opaque(ast.unparse(node))

    def _comprehension(
        self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, env: dict[str, Any]
    ) -> Any:
        if len(node.generators) != 1 or node.generators[0].ifs:
            return [_Dynamic(f"comprehension at line {node.lineno} is only known at run time")]
        gen = node.generators[0]
        it = self.eval(gen.iter, env)
        if isinstance(it, list | tuple) and all(not isinstance(v, _Dynamic) for v in it):
            out = []
            for v in it:
                local = dict(env)
                self.bind(gen.target, v, local)
                out.append(self.eval(node.elt, local))
            return out
        what = "df.columns" if isinstance(it, _Columns) else "values only known at run time"
        return [_Dynamic(f"columns computed at run time from {what} (line {node.lineno})")]

    def _binop(self, op: ast.operator, a: Any, b: Any) -> Any:
        if isinstance(a, _Expr) or isinstance(b, _Expr):
            name = None
            sym = _OPS.get(type(op))
            if sym:
                ln, rn = _operand_name(a), _operand_name(b)
                if ln is not None and rn is not None:
                    name = f"({ln} {sym} {rn})"
            return _combine_exprs([a, b], EdgeKind.TRANSFORMATION, name)
        if isinstance(op, ast.Div) and _is_pathlike(a) and _is_pathlike(b):
            return _tmpl_join([a, b])
        if isinstance(op, ast.Add) and _is_pathlike(a) and _is_pathlike(b):
            if isinstance(a, str) and isinstance(b, str):
                return a + b
            return _Tmpl(_text(a) + _text(b))
        if isinstance(op, ast.Mod) and isinstance(a, str):
            return _Tmpl(a.replace("%s", "{}"))
        if isinstance(a, int | float) and isinstance(b, int | float):
            try:
                return eval(  # noqa: S307 - two numbers and an arithmetic operator
                    compile(
                        ast.Expression(ast.BinOp(ast.Constant(a), op, ast.Constant(b))), "", "eval"
                    )
                )
            except Exception:  # noqa: BLE001
                return _Opaque("number")
        return _dyn(a if isinstance(a, _Dynamic) else b, "value only known at run time")

    def _subscript(self, obj: Any, key: Any) -> Any:
        if isinstance(obj, _Frame):
            if isinstance(key, str):
                return self._bound_ref(obj, key)
            if isinstance(key, list | tuple):
                return self.frame_method(obj, "select", list(key), {})
            if isinstance(key, _Expr):
                return self.frame_method(obj, "filter", [key], {})
            return _Expr(dynamic="DataFrame column chosen at run time")
        if isinstance(obj, _Expr):
            return obj.apply(EdgeKind.TRANSFORMATION)
        if isinstance(obj, dict) and isinstance(key, str | int) and key in obj:
            return obj[key]
        if isinstance(obj, list | tuple) and isinstance(key, int) and -len(obj) <= key < len(obj):
            return obj[key]
        if isinstance(obj, _Columns):
            return _Dynamic("column taken from df.columns")
        if isinstance(obj, _Opaque):
            return _Opaque(f"{obj.name}[{key!r}]" if isinstance(key, str) else f"{obj.name}[]")
        return _dyn(obj, "value only known at run time")

    def _bound_ref(self, frame: _Frame, name: str) -> _Expr:
        deps, reads, unknowns = _lookup(frame, name)
        if unknowns:
            return _Expr(refs=(_Ref(name),), name=name.split(".")[-1], bare=True)
        return _Expr(
            refs=(_Ref(name, bound=frozenset(deps)),),
            name=name.split(".")[-1],
            bare=True,
        )

    def _attr(self, obj: Any, attr: str, node: ast.Attribute) -> Any:
        if isinstance(obj, _Session):
            if attr == "read":
                return _Reader()
            if attr in ("table", "sql", "createDataFrame", "range"):
                return _Bound(obj, attr)
            return _Opaque(f"spark.{attr}")
        if isinstance(obj, _Reader | _Writer | _Grouped | _WindowSpec | _Na):
            return _Bound(obj, attr)
        if isinstance(obj, _Frame):
            if attr == "write":
                return _Writer(obj)
            if attr == "columns":
                return _Columns(obj)
            if attr == "na":
                return _Na(obj)
            if attr in ("schema", "dtypes", "rdd", "sparkSession", "storageLevel"):
                return _Dynamic(f"df.{attr} is only known at run time")
            if attr in _FRAME_METHODS:
                return _Bound(obj, attr)
            return self._bound_ref(obj, attr)
        if isinstance(obj, _Expr):
            return _Bound(obj, attr)
        if isinstance(obj, _FunctionsModule):
            return _FuncRef(attr)
        if isinstance(obj, _WindowClass):
            if attr in ("partitionBy", "orderBy", "rowsBetween", "rangeBetween"):
                return _Bound(_WindowSpec(), attr)
            return _Opaque(f"Window.{attr}")
        if isinstance(obj, _Opaque):
            if obj.name in ("SparkSession",) and attr == "builder":
                return _Opaque("SparkSession.builder")
            if obj.name.startswith("SparkSession.builder"):
                return _Opaque(f"SparkSession.builder.{attr}")
            return _Opaque(f"{obj.name}.{attr}")
        if isinstance(obj, _Tmpl | str) and attr in ("format", "strip", "lower", "upper"):
            return _Bound(obj, attr)
        if isinstance(obj, _Dynamic):
            return obj
        return _Opaque(ast.unparse(node))

    # --- calls -----------------------------------------------------------------------------

    def _call(self, node: ast.Call, env: dict[str, Any]) -> Any:
        func = self.eval(node.func, env)
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, env)
                if isinstance(v, list | tuple):
                    args.extend(v)
                else:
                    args.append(
                        _Dynamic(f"columns computed at run time (line {node.lineno})")
                        if isinstance(v, _Columns | _Dynamic)
                        else _dyn(v, f"arguments only known at run time (line {node.lineno})")
                    )
            else:
                args.append(self.eval(a, env))
        kwargs = {k.arg: self.eval(k.value, env) for k in node.keywords if k.arg}
        if any(k.arg is None for k in node.keywords):
            kwargs["**"] = _Dynamic("keyword arguments only known at run time")
        self.line = node.lineno
        if isinstance(func, _Bound):
            return self._method(func.obj, func.attr, args, kwargs)
        if isinstance(func, _FuncRef):
            return self._spark_function(func.name, args, kwargs)
        if isinstance(func, _Func):
            return self._inline(func, args, kwargs)
        if isinstance(func, _Opaque):
            return self._opaque_call(func.name, args, kwargs)
        return _dyn(func, "call only known at run time")

    def _opaque_call(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        last = name.split(".")[-1]
        if name.startswith("SparkSession.builder") and last in ("getOrCreate", "create"):
            return _Session()
        if name.startswith("SparkSession.builder"):
            return _Opaque(name)
        if last in ("str", "Path", "PurePath", "PosixPath", "fspath", "abspath", "expanduser"):
            if not args:
                return ""
            return args[0] if _is_pathlike(args[0]) else _Tmpl(_text(args[0]))
        if last == "join" and "path" in name:
            return _tmpl_join(args)
        if last in ("list", "tuple", "sorted") and args and isinstance(args[0], list | tuple):
            return list(args[0])
        if last in ("list", "tuple", "sorted") and args and isinstance(args[0], _Columns):
            return args[0]
        if last == "len":
            return _Opaque("len()")
        return _Opaque(f"{name}()")

    def _inline(self, func: _Func, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self.st.depth >= self.max_depth:
            return _Dynamic(f"call of {func.node.name} nested too deep to analyse")
        local = dict(func.env)
        _bind_params(func.node, args, kwargs, local, self)
        self.st.depth += 1
        try:
            self.run_block(func.node.body, local)
        except _Return as r:
            return r.value
        finally:
            self.st.depth -= 1
        return None

    def _method(self, obj: Any, attr: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if isinstance(obj, _Session):
            return self._session_method(attr, args, kwargs)
        if isinstance(obj, _Reader):
            return self._reader_method(obj, attr, args, kwargs)
        if isinstance(obj, _Frame):
            return self.frame_method(obj, attr, args, kwargs)
        if isinstance(obj, _Grouped):
            return self._grouped_method(obj, attr, args, kwargs)
        if isinstance(obj, _Expr):
            return self._column_method(obj, attr, args, kwargs)
        if isinstance(obj, _WindowSpec):
            if attr in ("partitionBy", "orderBy"):
                clause_refs = tuple(
                    dataclasses.replace(r, clause=Clause.WINDOW)
                    for e in _flatten(args)
                    for r in _as_expr(e).refs
                )
                return _WindowSpec(obj.refs + clause_refs)
            return obj
        if isinstance(obj, _Writer):
            return self._writer_method(obj, attr, args, kwargs)
        if isinstance(obj, _Na):
            if attr == "drop":
                return self.frame_method(obj.frame, "dropna", args, kwargs)
            return self.frame_method(obj.frame, "fillna", args, kwargs)
        if isinstance(obj, str | _Tmpl):
            if attr == "format":
                return _Tmpl(_text(obj).replace("{}", "{?}"))
            return obj
        return _Opaque(f"{attr}()")

    # --- session and readers ---------------------------------------------------------------

    def _source_frame(self, src: SparkSource) -> _Frame:
        self.st.sources.setdefault(src.name, src)
        cols = self.st.schema_for(src)
        if cols:
            return _Frame(
                cols=tuple((c, frozenset({(src.name, c, EdgeKind.IDENTITY)})) for c in cols)
            )
        return _Frame(open=(_Open((src.name,)),))

    def _session_method(self, attr: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if attr == "table":
            name = _arg(args, kwargs, 0, "tableName")
            if isinstance(name, str):
                return self._table_frame(name)
            return _Frame(
                unknowns=(Unknown(f"table name only known at run time (line {self.line})"),)
            )
        if attr == "sql":
            query = _arg(args, kwargs, 0, "sqlQuery")
            if isinstance(query, str):
                return self._sql_frame(query)
            return _Frame(
                unknowns=(Unknown(f"SQL text only known at run time (line {self.line})"),)
            )
        if attr == "createDataFrame":
            schema = _arg(args, kwargs, 1, "schema")
            names = _schema_names(schema)
            if names:
                return _Frame(cols=tuple((n, frozenset()) for n in names))
            return _Frame(
                unknowns=(Unknown(f"createDataFrame without a literal schema (line {self.line})"),)
            )
        if attr == "range":
            return _Frame(cols=(("id", frozenset()),))
        return _Dynamic(f"spark.{attr}")

    def _table_frame(self, name: str) -> _Frame:
        low = name.strip("`").lower()
        short = low.split(".")[-1]
        if short in self.st.views and short == low:
            return self.st.views[short]
        return self._source_frame(SparkSource("table", low))

    def _reader_method(
        self, rd: _Reader, attr: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        if attr == "format":
            fmt = _arg(args, kwargs, 0, "source")
            return dataclasses.replace(rd, fmt=fmt if isinstance(fmt, str) else rd.fmt)
        if attr == "schema":
            return dataclasses.replace(rd, schema=_schema_names(_arg(args, kwargs, 0, "schema")))
        if attr in ("option", "options"):
            return rd
        if attr == "table":
            name = _arg(args, kwargs, 0, "tableName")
            if isinstance(name, str):
                return self._table_frame(name)
            return _Frame(
                unknowns=(Unknown(f"table name only known at run time (line {self.line})"),)
            )
        if attr in _READ_FORMATS or attr == "load":
            fmt = attr if attr != "load" else kwargs.get("format", rd.fmt)
            paths = [a for a in args if _is_pathlike(a)] if attr != "load" else args[:1]
            if "path" in kwargs:
                paths = [kwargs["path"]]
            if attr == "load" and not paths:
                name = kwargs.get("tableName") or kwargs.get("table")
                if isinstance(name, str):
                    return self._table_frame(name)
            srcs = []
            for p in _flatten(paths):
                if not _is_pathlike(p) or _only_placeholders(_text(p)):
                    # columns still resolve by name, to no known source
                    where = f" ({_text(p)})" if _is_pathlike(p) else ""
                    return _Frame(
                        open=(_Open(()),),
                        unknowns=(
                            Unknown(
                                f"input path only known at run time{where}, line {self.line}: "
                                "its upstream asset is not known before the job runs"
                            ),
                        ),
                    )
                srcs.append(SparkSource("path", _text(p), fmt if isinstance(fmt, str) else None))
            if not srcs:
                return _Frame(unknowns=(Unknown(f"reader without a path (line {self.line})"),))
            for s in srcs:
                self.st.sources.setdefault(s.name, s)
            names = [s.name for s in srcs]
            if rd.schema:
                return _Frame(
                    cols=tuple(
                        (c, frozenset((n, c, EdgeKind.IDENTITY) for n in names)) for c in rd.schema
                    )
                )
            if len(srcs) == 1:
                return self._source_frame(srcs[0])
            return _Frame(open=(_Open(tuple(names)),))
        return rd

    def _sql_frame(self, query: str) -> _Frame:
        from dagster_lineage.sql.lineage import statement_lineage

        schema: dict[str, dict[str, str | None]] = {
            v: {c: None for c, _ in f.cols}
            for v, f in self.st.views.items()
            if f.cols and not f.open
        }
        try:
            sl = statement_lineage(query, dialect=_SQL_DIALECT, schema=schema or None)
        except Exception as e:  # noqa: BLE001 - lineage is enrichment: report, keep going
            return _Frame(unknowns=(Unknown(f"spark.sql at line {self.line} not analysed: {e}"),))
        return self._frame_from_statement(sl)

    def _frame_from_statement(self, sl: StatementLineage) -> _Frame:
        reads: set[Read] = set()
        unknowns = list(sl.unknowns)

        def through(table: str, column: str) -> tuple[set[Dep], set[Read]]:
            short = table.split(".")[-1]
            if short in self.st.views:
                view = self.st.views[short]
                deps, rd, unk = _lookup(view, column)
                unknowns.extend(unk)
                return set(deps), set(rd)
            name = table
            self.st.sources.setdefault(name, SparkSource("table", name))
            return {(name, column, EdgeKind.IDENTITY)}, set()

        for t in sl.tables:
            short = t.split(".")[-1]
            if short in self.st.views:
                reads.update(self.st.views[short].reads)
                unknowns.extend(self.st.views[short].unknowns)
            else:
                self.st.sources.setdefault(t, SparkSource("table", t))
        cols = []
        for oc in sl.columns:
            deps: set[Dep] = set()
            for sc in oc.sources:
                d, r = through(sc.table, sc.column)
                reads.update(r)
                deps.update(
                    (s, c, _norm_kind(oc.name, EdgeKind.combine(k, sc.kind), c)) for s, c, k in d
                )
            cols.append((oc.name, frozenset(deps)))
        for rd in sl.reads:
            d, r = through(rd.table, rd.column)
            reads.update(r)
            reads.update((s, c, rd.clause) for s, c, _ in d)
        opens: list[_Open] = []
        for t in sl.star_tables:
            short = t.split(".")[-1]
            if short in self.st.views:
                opens.extend(self.st.views[short].open)
            else:
                opens.append(_Open((t,)))
        return _Frame(
            cols=tuple(cols), open=tuple(opens), reads=frozenset(reads), unknowns=tuple(unknowns)
        )

    # --- writes ----------------------------------------------------------------------------

    def _writer_method(self, w: _Writer, attr: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if attr == "format":
            fmt = _arg(args, kwargs, 0, "source")
            return dataclasses.replace(w, fmt=fmt if isinstance(fmt, str) else w.fmt)
        if attr in ("parquet", "csv", "json", "orc", "text", "save"):
            path = _arg(args, kwargs, 0, "path")
            fmt = attr if attr != "save" else kwargs.get("format", w.fmt)
            if path is None:
                self.st.unknowns.append(Unknown(f"write without a path (line {self.line})"))
                return None
            target = SparkSource(
                "path",
                _text(path, "{path}"),
                fmt if isinstance(fmt, str) else None,
            )
            self.st.writes.append((target, w.frame, self.line))
            return None
        if attr in ("saveAsTable", "insertInto"):
            name = _arg(args, kwargs, 0, "name" if attr == "saveAsTable" else "tableName")
            fmt = kwargs.get("format", w.fmt)
            target = SparkSource(
                "table",
                name.lower() if isinstance(name, str) else _text(name, "{table}"),
                fmt if isinstance(fmt, str) else None,
            )
            self.st.writes.append((target, w.frame, self.line))
            return None
        if attr in (
            "create",
            "replace",
            "createOrReplace",
            "append",
            "overwrite",
            "overwritePartitions",
        ):
            if w.table:
                self.st.writes.append((SparkSource("table", w.table, w.fmt), w.frame, self.line))
            return None
        if attr == "using":
            fmt = _arg(args, kwargs, 0, "provider")
            return dataclasses.replace(w, fmt=fmt if isinstance(fmt, str) else w.fmt)
        return w

    # --- DataFrame methods -----------------------------------------------------------------

    def resolve(self, frame: _Frame, e: _Expr) -> tuple[set[Dep], set[Read], list[Unknown]]:
        deps: set[Dep] = set()
        reads: set[Read] = set()
        unknowns: list[Unknown] = []
        for r in e.refs:
            if r.bound is not None:
                found, unk = set(r.bound), list[Unknown]()
            else:
                found, _, unk = _lookup(frame, r.name)
            unknowns.extend(unk)
            if r.clause is not None:
                reads.update((s, c, r.clause) for s, c, _ in found)
            else:
                deps.update((s, c, EdgeKind.combine(k, r.kind)) for s, c, k in found)
        return deps, reads, unknowns

    def _project(self, frame: _Frame, exprs: list[Any], *, keep_existing: bool) -> _Frame:
        """Columns of ``frame`` (when ``keep_existing``) followed by ``exprs``, by output name."""
        cols = list(frame.cols) if keep_existing else []
        opens = frame.open if keep_existing else ()
        reads = set(frame.reads)
        unknowns = list(frame.unknowns)
        named: list[tuple[str, frozenset[Dep]]] = []
        for item in exprs:
            if isinstance(item, _Dynamic):
                unknowns.append(Unknown(f"{item.reason}; output columns unknown"))
                opens = opens + tuple(_Open((s,)) for s in sorted(frame.sources()))
                continue
            e = _as_expr(item)
            if e.star:
                cols.extend(frame.cols)
                opens = opens + frame.open
                continue
            deps, rd, unk = self.resolve(frame, e)
            reads.update(rd)
            unknowns.extend(unk)
            name = e.name
            if e.dynamic:
                unknowns.append(Unknown(e.dynamic, column=name))
            if name is None:
                unknowns.append(
                    Unknown(
                        f"expression without a name at line {self.line}: give it .alias(...)",
                        column=None,
                    )
                )
                continue
            entry = (name, frozenset((s, c, _norm_kind(name, k, c)) for s, c, k in deps))
            idx = _index(cols, name)
            if idx is None:
                cols.append(entry)
            else:
                cols[idx] = entry
            opens = tuple(
                dataclasses.replace(o, excluded=o.excluded | {name.lower()}) for o in opens
            )
            named.append(entry)
        # beside a part whose columns are unknown (``select(*cols, "status")``) a column named
        # literally is still a reference by name: record it as one, so that it is not mistaken
        # for a column passing through the unknown part (only that part is uncertain)
        open_sources = {src for o in opens for src in o.sources}
        for out_name, out_sources in named if open_sources else ():
            reads.update(
                (src, col, Clause.SELECT)
                for src, col, kind in out_sources
                if src in open_sources
                and kind is EdgeKind.IDENTITY
                and col.lower() == out_name.lower()
            )
        return dataclasses.replace(
            frame, cols=tuple(cols), open=opens, reads=frozenset(reads), unknowns=tuple(unknowns)
        )

    def _clause(self, frame: _Frame, items: Iterable[Any], clause: Clause) -> _Frame:
        reads = set(frame.reads)
        unknowns = list(frame.unknowns)
        for item in items:
            if isinstance(item, _Dynamic):
                unknowns.append(Unknown(f"{clause.value} on {item.reason}"))
                continue
            e = _as_expr(item)
            deps, rd, unk = self.resolve(frame, e)
            reads.update((s, c, clause) for s, c, _ in deps)
            reads.update(rd)
            unknowns.extend(unk)
            if e.dynamic:
                unknowns.append(Unknown(f"{clause.value}: {e.dynamic}"))
        return dataclasses.replace(frame, reads=frozenset(reads), unknowns=tuple(unknowns))

    def frame_method(self, f: _Frame, attr: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if attr == "select":
            return self._project(f, _flatten(args), keep_existing=False)
        if attr == "selectExpr":
            return self._project(f, [_sql_expr(a) for a in _flatten(args)], keep_existing=False)
        if attr == "withColumn":
            name = _arg(args, kwargs, 0, "colName")
            col = _arg(args, kwargs, 1, "col")
            if not isinstance(name, str):
                return f.with_unknown(
                    Unknown(f"withColumn with a column name computed at run time ({_reason(name)})")
                )
            e = _as_expr(col)
            return self._project(
                f, [dataclasses.replace(e, name=name, bare=False)], keep_existing=True
            )
        if attr == "withColumns":
            mapping = _arg(args, kwargs, 0, "colsMap")
            if not isinstance(mapping, dict):
                return f.with_unknown(Unknown("withColumns with a mapping only known at run time"))
            return self._project(
                f,
                [dataclasses.replace(_as_expr(v), name=str(k)) for k, v in mapping.items()],
                keep_existing=True,
            )
        if attr in ("withColumnRenamed", "withColumnsRenamed"):
            if attr == "withColumnRenamed":
                pairs = [(_arg(args, kwargs, 0, "existing"), _arg(args, kwargs, 1, "new"))]
            else:
                mapping = _arg(args, kwargs, 0, "colsMap")
                pairs = list(mapping.items()) if isinstance(mapping, dict) else [(None, None)]
            for old, new in pairs:
                if not isinstance(old, str) or not isinstance(new, str):
                    f = f.with_unknown(Unknown("column rename with names computed at run time"))
                    continue
                f = self._rename(f, old, new)
            return f
        if attr == "drop":
            names = []
            for a in _flatten(args):
                if isinstance(a, str):
                    names.append(a)
                elif isinstance(a, _Expr) and a.bare and a.name:
                    names.append(a.name)
                else:
                    f = f.with_unknown(
                        Unknown(f"drop of a column only known at run time (line {self.line})")
                    )
            cols = tuple(c for c in f.cols if c[0].lower() not in {n.lower() for n in names})
            return dataclasses.replace(f, cols=cols, open=f.exclude(names))
        if attr in ("filter", "where"):
            cond = _arg(args, kwargs, 0, "condition")
            return self._clause(
                f, [_sql_expr(cond) if isinstance(cond, str) else cond], Clause.FILTER
            )
        if attr in ("groupBy", "groupby"):
            keys = tuple(_as_expr(a) if not isinstance(a, _Dynamic) else a for a in _flatten(args))
            return _Grouped(f, keys)  # type: ignore[arg-type]
        if attr == "agg":
            return self._grouped_method(_Grouped(f, ()), "agg", args, kwargs)
        if attr in ("orderBy", "sort", "sortWithinPartitions"):
            return self._clause(f, _flatten(args), Clause.ORDER)
        if attr in ("dropDuplicates", "drop_duplicates", "distinct"):
            # deduplication groups by its subset, or by every column (Spark plans a Deduplicate)
            subset = _arg(args, kwargs, 0, "subset") if attr != "distinct" else None
            dedup_keys: list[Any] = (
                _flatten([subset]) if subset else [_Expr(refs=(_Ref(n),)) for n, _ in f.cols]
            )
            return self._clause(f, dedup_keys, Clause.GROUP)
        if attr == "dropna":
            subset = kwargs.get("subset", args[2] if len(args) > 2 else None)
            return self._clause(f, _flatten([subset]) if subset else [], Clause.FILTER)
        if attr in ("alias", "as_"):
            name = _arg(args, kwargs, 0, "alias")
            if isinstance(name, str):
                return dataclasses.replace(f, aliases=f.aliases + ((name, f),))
            return f
        if attr == "join":
            return self._join(f, args, kwargs)
        if attr == "crossJoin":
            other = _arg(args, kwargs, 0, "other")
            if isinstance(other, _Frame):
                return self._merge(f, other, f.cols + other.cols)
            return f.with_unknown(Unknown("crossJoin with a DataFrame not known statically"))
        if attr in ("union", "unionAll", "unionByName"):
            return self._union(f, _arg(args, kwargs, 0, "other"), by_name=attr == "unionByName")
        if attr in ("intersect", "intersectAll", "subtract", "exceptAll"):
            other = _arg(args, kwargs, 0, "other")
            if isinstance(other, _Frame):
                g = self._clause(
                    other, [_Expr(refs=(_Ref(n),)) for n, _ in other.cols], Clause.FILTER
                )
                return dataclasses.replace(
                    f, reads=f.reads | g.reads, unknowns=f.unknowns + g.unknowns
                )
            return f
        if attr in (
            "createOrReplaceTempView",
            "createTempView",
            "createOrReplaceGlobalTempView",
            "createGlobalTempView",
        ):
            name = _arg(args, kwargs, 0, "name")
            if isinstance(name, str):
                self.st.views[name.lower()] = f
            return None
        if attr == "toDF":
            names = _flatten(args)
            if not all(isinstance(n, str) for n in names) or f.open or len(names) != len(f.cols):
                return f.with_unknown(
                    Unknown(f"toDF renames columns positionally (line {self.line})")
                )
            return dataclasses.replace(
                f,
                cols=tuple(
                    (n, frozenset((s, c, _norm_kind(n, k, c)) for s, c, k in deps))
                    for n, (_, deps) in zip(names, f.cols)
                ),
            )
        if attr == "transform":
            fn = _arg(args, kwargs, 0, "func")
            if isinstance(fn, _Func):
                return self._inline(
                    fn, [f, *args[1:]], {k: v for k, v in kwargs.items() if k != "func"}
                )
            return f.with_unknown(
                Unknown("DataFrame.transform with a function not known statically")
            )
        if attr == "writeTo":
            name = _arg(args, kwargs, 0, "table")
            return _Writer(f, table=name.lower() if isinstance(name, str) else None)
        if attr in _PASS_THROUGH_METHODS:
            return f
        return _Opaque(f"df.{attr}()")

    def _rename(self, f: _Frame, old: str, new: str) -> _Frame:
        idx = f.col_index(old)
        if idx is not None:
            cols = list(f.cols)
            _, deps = cols[idx]
            cols[idx] = (new, frozenset((s, c, _norm_kind(new, k, c)) for s, c, k in deps))
            return dataclasses.replace(f, cols=tuple(cols), open=f.exclude([new]))
        deps_l, _, unknowns = _lookup(f, old)
        if unknowns or not deps_l:
            # Spark ignores renames of missing columns; nothing flows.
            return f
        entry = (new, frozenset((s, c, _norm_kind(new, k, c)) for s, c, k in deps_l))
        return dataclasses.replace(f, cols=f.cols + (entry,), open=f.exclude([old, new]))

    def _merge(self, a: _Frame, b: _Frame, cols: tuple[tuple[str, frozenset[Dep]], ...]) -> _Frame:
        return _Frame(
            cols=cols,
            open=a.open + b.open,
            reads=a.reads | b.reads,
            aliases=a.aliases + b.aliases,
            unknowns=a.unknowns + b.unknowns,
        )

    def _join(self, left: _Frame, args: list[Any], kwargs: dict[str, Any]) -> Any:
        right = _arg(args, kwargs, 0, "other")
        on = _arg(args, kwargs, 1, "on")
        how = _arg(args, kwargs, 2, "how")
        how = how.lower().replace("_", "") if isinstance(how, str) else "inner"
        if not isinstance(right, _Frame):
            return left.with_unknown(
                Unknown(f"join with a DataFrame not known statically (line {self.line})")
            )
        semi = how in ("semi", "leftsemi", "anti", "leftanti")
        on_items = _flatten([on]) if on is not None else []
        if on_items and all(isinstance(o, str) for o in on_items):
            keys = [str(o) for o in on_items]
            reads: set[Read] = set()
            unknowns: list[Unknown] = []
            key_cols = []
            for k in keys:
                ld, _, lu = _lookup(left, k)
                rd, _, ru = _lookup(right, k)
                unknowns.extend(lu + ru)
                reads.update((s, c, Clause.JOIN) for s, c, _ in ld | rd)
                if how in ("right", "rightouter"):
                    deps = set(rd)
                elif how in ("full", "outer", "fullouter"):
                    deps = {(s, c, EdgeKind.TRANSFORMATION) for s, c, _ in ld | rd}
                else:
                    deps = set(ld)
                key_cols.append((k, frozenset((s, c, _norm_kind(k, kd, c)) for s, c, kd in deps)))
            low = {k.lower() for k in keys}
            lcols = tuple(c for c in left.cols if c[0].lower() not in low)
            rcols = tuple(c for c in right.cols if c[0].lower() not in low)
            lx = dataclasses.replace(left, open=left.exclude(keys))
            rx = dataclasses.replace(right, open=right.exclude(keys))
            if semi:
                merged = dataclasses.replace(
                    left, reads=left.reads | right.reads, unknowns=left.unknowns + right.unknowns
                )
            else:
                merged = self._merge(lx, rx, tuple(key_cols) + lcols + rcols)
            return dataclasses.replace(
                merged,
                reads=merged.reads | frozenset(reads),
                unknowns=merged.unknowns + tuple(unknowns),
            )
        if semi:
            merged = dataclasses.replace(
                left,
                reads=left.reads | right.reads,
                aliases=left.aliases + right.aliases,
                unknowns=left.unknowns + right.unknowns,
            )
        else:
            merged = self._merge(left, right, left.cols + right.cols)
        if any(isinstance(o, _Dynamic) or (isinstance(o, str)) for o in on_items):
            return merged.with_unknown(
                Unknown(f"join keys only known at run time (line {self.line})")
            )
        both = self._merge(left, right, left.cols + right.cols)
        checked = self._clause(both, on_items, Clause.JOIN)
        return dataclasses.replace(
            merged,
            reads=merged.reads | checked.reads,
            unknowns=merged.unknowns + checked.unknowns[len(both.unknowns) :],
        )

    def _union(self, f: _Frame, other: Any, *, by_name: bool) -> _Frame:
        if not isinstance(other, _Frame):
            return f.with_unknown(Unknown("union with a DataFrame not known statically"))
        if f.open or other.open:
            merged = self._merge(f, other, ())
            cols = []
            for name, deps in f.cols:
                found = _lookup(other, name)[0] if by_name else set()
                cols.append((name, deps | frozenset(found)))
            return dataclasses.replace(merged, cols=tuple(cols))
        cols = []
        for i, (name, deps) in enumerate(f.cols):
            od: frozenset[Dep]
            if by_name:
                j = other.col_index(name)
                od = other.cols[j][1] if j is not None else frozenset()
            else:
                od = other.cols[i][1] if i < len(other.cols) else frozenset()
            cols.append((name, deps | frozenset((s, c, _norm_kind(name, k, c)) for s, c, k in od)))
        return self._merge(f, other, tuple(cols))

    # --- grouped data ----------------------------------------------------------------------

    def _grouped_method(
        self, g: _Grouped, attr: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        frame = self._clause(g.frame, g.keys, Clause.GROUP)
        keys: list[Any] = list(g.keys)
        items: list[Any]
        if attr == "agg":
            items = []
            for a in _flatten(args):
                if isinstance(a, dict):
                    for col, fn in a.items():
                        items.append(self._spark_function(str(fn), [str(col)], {}))
                else:
                    items.append(a)
            return self._project(frame, keys + items, keep_existing=False)
        if attr == "count":
            return self._project(frame, [*keys, _Expr(name="count")], keep_existing=False)
        if attr in ("sum", "avg", "mean", "min", "max"):
            items = [self._spark_function(attr, [c], {}) for c in _flatten(args)]
            if not items:
                return self._project(frame, keys, keep_existing=False).with_unknown(
                    Unknown(
                        f"GroupedData.{attr}() over every numeric column is only known at run time"
                    )
                )
            return self._project(frame, keys + items, keep_existing=False)
        if attr == "pivot":
            f = self._clause(frame, [_arg(args, kwargs, 0, "pivot_col")], Clause.GROUP)
            return _Grouped(
                f.with_unknown(
                    Unknown(f"pivot: output columns depend on the data (line {self.line})")
                ),
                g.keys,
            )
        return _Opaque(f"grouped.{attr}()")

    # --- columns ---------------------------------------------------------------------------

    def _column_method(self, e: _Expr, attr: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if attr in ("alias", "name", "as_"):
            name = _arg(args, kwargs, 0, "alias")
            if isinstance(name, str):
                return dataclasses.replace(e, name=name, bare=False)
            return dataclasses.replace(
                e, name=None, dynamic=f"alias only known at run time ({_reason(name)})"
            )
        if attr in (
            "asc",
            "desc",
            "asc_nulls_first",
            "asc_nulls_last",
            "desc_nulls_first",
            "desc_nulls_last",
        ):
            return e
        if attr == "over":
            w = _arg(args, kwargs, 0, "window")
            refs = tuple(
                r
                if r.clause
                else dataclasses.replace(
                    r, kind=EdgeKind.combine(EdgeKind.TRANSFORMATION, _non_agg(r.kind))
                )
                for r in e.refs
            )
            extra = w.refs if isinstance(w, _WindowSpec) else ()
            return _Expr(refs=refs + extra, name=None, dynamic=e.dynamic)
        if attr in ("when", "otherwise"):
            parts = [e, *args]
            return _combine_exprs(parts, EdgeKind.TRANSFORMATION)
        if attr in ("cast", "astype"):
            return e.apply(EdgeKind.TRANSFORMATION, name=e.name if e.bare else None)
        return _combine_exprs([e, *args, *kwargs.values()], EdgeKind.TRANSFORMATION)

    def _spark_function(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        low = name.lower()
        if low in ("col", "column"):
            c = _arg(args, kwargs, 0, "col")
            if isinstance(c, str):
                return _col(c)
            return _Expr(dynamic=f"F.col with a name computed at run time ({_reason(c)})")
        if low == "lit":
            v = _arg(args, kwargs, 0, "col")
            return _Expr(name=str(v) if isinstance(v, int | float | str) else None)
        if low == "expr":
            s = _arg(args, kwargs, 0, "str")
            return _sql_expr(s)
        if low == "when":
            return _combine_exprs([_as_expr_or_lit(a) for a in args], EdgeKind.TRANSFORMATION)
        if low in _AGGREGATES:
            if low == "count" and args and args[0] == "*":
                return _Expr(name="count(1)", agg=True)
            cols = [_as_expr_or_lit(a) for a in args]
            inner = ", ".join(c.name or "?" for c in cols if isinstance(c, _Expr))
            prefix = "DISTINCT " if "distinct" in low and low != "approx_count_distinct" else ""
            out = _combine_exprs(cols, EdgeKind.AGGREGATION, f"{_AGGREGATES[low]}({prefix}{inner})")
            return dataclasses.replace(out, agg=True)
        if low in ("broadcast",):
            return _arg(args, kwargs, 0, "df")
        cols = [_as_expr_or_lit(a) for a in [*args, *kwargs.values()]]
        names = [c.name for c in cols if isinstance(c, _Expr)]
        auto = f"{low}({', '.join(n for n in names if n)})" if all(names) else None
        return _combine_exprs(cols, EdgeKind.TRANSFORMATION, auto)


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
    )


def _bind_params(
    fn: ast.FunctionDef,
    args: list[Any],
    kwargs: dict[str, Any],
    env: dict[str, Any],
    it: _Interpreter,
) -> None:
    params = [*fn.args.posonlyargs, *fn.args.args]
    defaults = [None] * (len(params) - len(fn.args.defaults)) + list(fn.args.defaults)
    for i, (p, d) in enumerate(zip(params, defaults)):
        if i < len(args):
            env[p.arg] = args[i]
        elif p.arg in kwargs:
            env[p.arg] = kwargs[p.arg]
        elif d is not None:
            env[p.arg] = it.eval(d, env)
        else:
            env[p.arg] = _Opaque(p.arg)
    for p, kd in zip(fn.args.kwonlyargs, fn.args.kw_defaults):
        if p.arg in kwargs:
            env[p.arg] = kwargs[p.arg]
        else:
            env[p.arg] = it.eval(kd, env) if kd is not None else _Opaque(p.arg)
    if fn.args.vararg:
        env[fn.args.vararg.arg] = list(args[len(params) :])
    if fn.args.kwarg:
        env[fn.args.kwarg.arg] = _Opaque(fn.args.kwarg.arg)


_SESSION_PARAMS = ("spark", "session", "spark_session", "ss")


def _entry_args(fn: ast.FunctionDef) -> list[Any]:
    params = [*fn.args.posonlyargs, *fn.args.args]
    out: list[Any] = []
    for i, p in enumerate(params):
        if p.arg in _SESSION_PARAMS or (
            i == 0 and not any(q.arg in _SESSION_PARAMS for q in params)
        ):
            out.append(_Session())
        else:
            break
    return out


def _only_placeholders(path: str) -> bool:
    """A path with no literal part (``{args.input}``): it names no asset before run time."""
    import re

    return not re.sub(r"\{[^{}]*\}|/", "", path).strip()
