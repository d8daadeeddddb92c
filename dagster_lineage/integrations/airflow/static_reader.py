r"""Read Airflow DAG files without Airflow: a static analysis of the Python AST.

Finds DAGs declared with ``with DAG(...)``, ``dag = DAG(...)`` (tasks passing ``dag=dag``) and
``@dag``-decorated functions that are called; their operators (``task_id``, ``sql`` literals and
``.sql`` template files, ``conn_id``, inlets/outlets), TaskFlow tasks (``@task``, ``@task.sql``,
``.override(task_id=...)``), task groups (ids prefixed like Airflow does), dependencies
(``>>``, ``<<``, ``chain``, ``set_upstream``/``set_downstream``, TaskFlow arguments) and the
DAG's params, ``default_args`` owner, ``template_searchpath``, tags and Asset schedule.

Only literal values (and simple expressions over module constants, ``__file__`` and
``os.path``/``pathlib``) are evaluated; what the reader cannot evaluate is reported in the
task's or DAG's ``notes`` and never guessed.

Examples:
    >>> import tempfile, pathlib
    >>> from dagster_lineage.integrations.airflow.static_reader import read_dags_static
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "d.py").write_text(
    ...     "from airflow.sdk import DAG\n"
    ...     "from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
    ...     "with DAG('report', default_args={'owner': 'finance'}):\n"
    ...     "    SQLExecuteQueryOperator(task_id='q', conn_id='wh', sql='select a from t')\n"
    ... )
    >>> found = read_dags_static(folder)
    >>> found.dag_ids, found.dag("report").owners, found.dag("report").task("q").sql
    (('report',), ('finance',), ('select a from t',))
"""

from __future__ import annotations

import ast
import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_lineage.integrations.airflow.model import (
    AirflowAssetRef,
    DagFileError,
    DagFolder,
    DagInfo,
    TaskInfo,
    TaskKind,
    classify_operator,
    normalise_owners,
)
from dagster_lineage.integrations.airflow.templates import (
    find_template_file,
    has_dynamic_sql,
    is_template_file,
    sql_literals_in_code,
    template_searchpath,
)


class _Opaque:
    """A value the static reader cannot evaluate."""

    def __repr__(self) -> str:
        return "<opaque>"


OPAQUE: Any = _Opaque()

_ASSET_CLASSES = {"Asset", "Dataset"}
_DAG_CLASSES = {"DAG"}
_GROUP_CLASSES = {"TaskGroup"}


def _call_name(node: ast.AST) -> str | None:
    """Last name of a call's function: ``a.b.C(...)`` -> ``C``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _is_operator_name(name: str | None) -> bool:
    if not name:
        return False
    return name.endswith("Operator") or name.endswith("Sensor") or name == "ExternalTaskMarker"


@dataclass
class _Group:
    group_id: str
    members: list[str] = field(default_factory=list)


@dataclass
class _TaskDraft:
    task_id: str
    operator: str
    kwargs: dict[str, Any]
    callable_node: ast.AST | None = None
    upstream: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


@dataclass
class _DagDraft:
    dag_id: str
    kwargs: dict[str, Any]
    tasks: dict[str, _TaskDraft] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def default_args(self) -> dict[str, Any]:
        da = self.kwargs.get("default_args")
        return da if isinstance(da, dict) else {}


@dataclass
class _TaskFlowFn:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    decorator: str  # "@task", "@task.sql", ...
    kwargs: dict[str, Any]


@dataclass
class _Ctx:
    dag: _DagDraft | None = None
    groups: tuple[_Group, ...] = ()

    def prefix(self) -> str:
        return "".join(g.group_id + "." for g in self.groups)


class _FileReader:
    """Walks one module's AST, keeping a flat environment of evaluated names."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.env: dict[str, Any] = {"__file__": str(path)}
        self.dags: list[_DagDraft] = []
        self.dag_vars: dict[str, _DagDraft] = {}
        self.task_vars: dict[str, Any] = {}  # name -> list[task ids] | _Group
        self.funcs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.taskflow: dict[str, _TaskFlowFn] = {}
        self.dag_funcs: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, dict]] = {}
        self.group_funcs: dict[str, tuple[ast.FunctionDef | ast.AsyncFunctionDef, dict]] = {}

    # ---------------------------------------------------------------- evaluation
    def value(self, node: ast.AST | None) -> Any:
        if node is None:
            return None
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return [self.value(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            out: dict[Any, Any] = {}
            for k, v in zip(node.keys, node.values):
                if k is None:
                    inner = self.value(v)
                    if isinstance(inner, dict):
                        out.update(inner)
                    continue
                key = self.value(k)
                if isinstance(key, (str, int, float, bool)):
                    out[key] = self.value(v)
            return out
        if isinstance(node, ast.Name):
            return self.env.get(node.id, OPAQUE)
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                elif isinstance(v, ast.FormattedValue):
                    inner = self.value(v.value)
                    if not isinstance(inner, (str, int, float)) or v.format_spec is not None:
                        return OPAQUE
                    parts.append(str(inner))
            return "".join(parts)
        if isinstance(node, ast.BinOp):
            left, right = self.value(node.left), self.value(node.right)
            if OPAQUE in (left, right) or left is OPAQUE or right is OPAQUE:
                return OPAQUE
            try:
                if isinstance(node.op, ast.Add):
                    return left + right
                if isinstance(node.op, ast.Div) and isinstance(left, Path):
                    return left / str(right)
                if isinstance(node.op, ast.Mod) and isinstance(left, str):
                    return left % right
            except (TypeError, ValueError, KeyError, ArithmeticError):
                return OPAQUE
            return OPAQUE
        if isinstance(node, ast.Attribute):
            base = self.value(node.value)
            if isinstance(base, Path) and node.attr == "parent":
                return base.parent
            if isinstance(base, Path) and node.attr in ("name", "stem"):
                return getattr(base, node.attr)
            return OPAQUE
        if isinstance(node, ast.Call):
            return self.call_value(node)
        return OPAQUE

    def call_value(self, node: ast.Call) -> Any:
        dotted = _dotted(node.func) or ""
        name = _call_name(node.func)
        args = [self.value(a) for a in node.args]
        kwargs = {k.arg: self.value(k.value) for k in node.keywords if k.arg}
        if name in _ASSET_CLASSES:
            return self.asset_ref(args, kwargs)
        if name == "Param":
            return args[0] if args else kwargs.get("default")
        if dotted in ("os.path.join", "path.join", "join") and all(
            isinstance(a, str) for a in args
        ):
            return os.path.join(*args) if args else OPAQUE
        if dotted in ("os.path.dirname", "path.dirname", "dirname") and len(args) == 1:
            return os.path.dirname(str(args[0])) if isinstance(args[0], (str, Path)) else OPAQUE
        if dotted in ("os.path.abspath", "os.path.realpath", "abspath") and len(args) == 1:
            return os.path.abspath(str(args[0])) if isinstance(args[0], (str, Path)) else OPAQUE
        if name in ("Path", "PurePath") and args and all(isinstance(a, (str, Path)) for a in args):
            return Path(*[str(a) for a in args])
        if name in ("str", "fspath") and len(args) == 1 and isinstance(args[0], (str, Path)):
            return str(args[0])
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("resolve", "absolute"):
            base = self.value(node.func.value)
            return base.resolve() if isinstance(base, Path) else OPAQUE
        if isinstance(node.func, ast.Attribute) and node.func.attr == "joinpath":
            base = self.value(node.func.value)
            if isinstance(base, Path) and all(isinstance(a, str) for a in args):
                return base.joinpath(*args)
        if name == "dict" and not args:
            return kwargs
        return OPAQUE

    @staticmethod
    def asset_ref(args: list[Any], kwargs: dict[str, Any]) -> Any:
        name = kwargs.get("name", args[0] if args else None)
        uri = kwargs.get("uri", args[1] if len(args) > 1 else None)
        if name is None and uri is None:
            return OPAQUE
        if not isinstance(name, (str, type(None))) or not isinstance(uri, (str, type(None))):
            return OPAQUE
        return AirflowAssetRef(name=name or uri or "", uri=uri or name or "")

    def assets_in(self, node: ast.AST | None) -> tuple[list[AirflowAssetRef], bool]:
        """Asset refs in an expression (lists, ``&``/``|`` conditions); flag when some are opaque."""
        if node is None:
            return [], False
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            a, ua = self.assets_in(node.left)
            b, ub = self.assets_in(node.right)
            return a + b, ua or ub
        if isinstance(node, ast.Call) and _call_name(node.func) in ("AssetAll", "AssetAny"):
            out: list[AirflowAssetRef] = []
            unknown = False
            for arg in node.args:
                refs, u = self.assets_in(arg)
                out += refs
                unknown = unknown or u
            return out, unknown
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            out, unknown = [], False
            for e in node.elts:
                refs, u = self.assets_in(e)
                out += refs
                unknown = unknown or u
            return out, unknown
        val = self.value(node)
        if isinstance(val, AirflowAssetRef):
            return [val], False
        if isinstance(val, list) and all(isinstance(v, AirflowAssetRef) for v in val):
            return list(val), False
        if val is None or isinstance(val, str):  # cron strings, presets, None
            return [], False
        return [], True

    # ---------------------------------------------------------------- walking
    def run(self) -> list[_DagDraft]:
        self.block(self.tree.body, _Ctx())
        return self.dags

    def block(self, stmts: list[ast.stmt], ctx: _Ctx) -> None:
        for st in stmts:
            self.stmt(st, ctx)

    def stmt(self, st: ast.stmt, ctx: _Ctx) -> None:
        if isinstance(st, (ast.Import, ast.ImportFrom)):
            return
        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.funcdef(st)
            return
        if isinstance(st, ast.With):
            self.with_stmt(st, ctx)
            return
        if isinstance(st, (ast.Assign, ast.AnnAssign)):
            value = st.value
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            if value is None:
                return
            result = self.expr(value, ctx)
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            for n in names:
                if isinstance(result, _DagDraft):
                    self.dag_vars[n] = result
                elif isinstance(result, (list, _Group)) and result:
                    self.task_vars[n] = result
                else:
                    self.env[n] = self.value(value) if result is None else OPAQUE
            return
        if isinstance(st, ast.Expr):
            self.expr(st.value, ctx)
            return
        if isinstance(st, (ast.If, ast.For, ast.While, ast.Try)):
            if isinstance(st, (ast.For, ast.While)) and ctx.dag is not None:
                before = len(ctx.dag.tasks)
                self.block(st.body, ctx)
                if len(ctx.dag.tasks) == before and _creates_tasks(st):
                    ctx.dag.notes.append(
                        f"tasks created in a loop at line {st.lineno} have dynamic ids; "
                        "they are not analysed"
                    )
                self.block(st.orelse, ctx)
                return
            for part in ("body", "orelse", "finalbody"):
                self.block(getattr(st, part, []) or [], ctx)
            for h in getattr(st, "handlers", []) or []:
                self.block(h.body, ctx)
            return

    def funcdef(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.funcs[fn.name] = fn
        for dec in fn.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            target = call.func if call else dec
            dotted = _dotted(target) or ""
            kwargs = {k.arg: self.value(k.value) for k in call.keywords if k.arg} if call else {}
            last = dotted.split(".")[-1]
            if last == "dag":
                if call and call.args:
                    kwargs.setdefault("dag_id", self.value(call.args[0]))
                self.dag_funcs[fn.name] = (fn, kwargs)
                return
            if last == "task_group" or dotted.endswith("task_group"):
                if call and call.args:
                    kwargs.setdefault("group_id", self.value(call.args[0]))
                self.group_funcs[fn.name] = (fn, kwargs)
                return
            if dotted == "task" or dotted.startswith("task."):
                deco = "@" + dotted
                self.taskflow[fn.name] = _TaskFlowFn(fn, deco, kwargs)
                return

    def with_stmt(self, st: ast.With, ctx: _Ctx) -> None:
        inner = ctx
        for item in st.items:
            ce = item.context_expr
            name = _call_name(ce.func) if isinstance(ce, ast.Call) else None
            var = item.optional_vars.id if isinstance(item.optional_vars, ast.Name) else None
            if isinstance(ce, ast.Call) and name in _DAG_CLASSES:
                dag = self.new_dag(ce)
                if dag is not None:
                    inner = _Ctx(dag=dag, groups=())
                    if var:
                        self.dag_vars[var] = dag
            elif isinstance(ce, ast.Call) and name in _GROUP_CLASSES:
                gid = self.value(ce.args[0]) if ce.args else self.value(_kw(ce, "group_id"))
                group = _Group(str(gid) if isinstance(gid, str) else f"<group@{ce.lineno}>")
                inner = _Ctx(dag=inner.dag, groups=(*inner.groups, group))
                if var:
                    self.task_vars[var] = group
            elif isinstance(ce, ast.Name) and ce.id in self.dag_vars:
                inner = _Ctx(dag=self.dag_vars[ce.id], groups=())
        self.block(st.body, inner)

    def new_dag(self, call: ast.Call, *, default_id: str | None = None) -> _DagDraft | None:
        kwargs: dict[str, Any] = {k.arg: k.value for k in call.keywords if k.arg}
        dag_id = self.value(call.args[0]) if call.args else self.value(kwargs.get("dag_id"))
        if dag_id is None:
            dag_id = default_id
        if not isinstance(dag_id, str):
            return None
        return self.register_dag(dag_id, kwargs)

    def register_dag(self, dag_id: str, raw_kwargs: dict[str, ast.AST | Any]) -> _DagDraft:
        kw: dict[str, Any] = {}
        for k, v in raw_kwargs.items():
            kw[k] = v if not isinstance(v, ast.AST) else self.value(v)
        sched = raw_kwargs.get("schedule")
        if isinstance(sched, ast.AST):
            refs, unknown = self.assets_in(sched)
            kw["__schedule_assets"] = refs
            kw["__schedule_unknown"] = unknown
        dag = _DagDraft(dag_id=dag_id, kwargs=kw)
        self.dags.append(dag)
        return dag

    def expr(self, node: ast.AST, ctx: _Ctx) -> Any:
        """Process an expression; return a _DagDraft, a list of task ids, a _Group or None."""
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.RShift, ast.LShift)):
            left = self.expr(node.left, ctx)
            right = self.expr(node.right, ctx)
            ltasks = self.as_tasks(
                left, side="left" if isinstance(node.op, ast.RShift) else "right"
            )
            rtasks = self.as_tasks(
                right, side="right" if isinstance(node.op, ast.RShift) else "left"
            )
            if isinstance(node.op, ast.RShift):
                self.edges(ctx, ltasks, rtasks)
            else:
                self.edges(ctx, rtasks, ltasks)
            return right
        if isinstance(node, (ast.List, ast.Tuple)):
            out: list[str] = []
            for e in node.elts:
                out += self.as_tasks(self.expr(e, ctx), side="all")
            return out
        if isinstance(node, ast.Name):
            if node.id in self.task_vars:
                return self.task_vars[node.id]
            if node.id in self.dag_vars:
                return self.dag_vars[node.id]
            return None
        if isinstance(node, ast.Call):
            return self.call(node, ctx)
        return None

    def as_tasks(self, val: Any, *, side: str) -> list[str]:
        if isinstance(val, list):
            return [v for v in val if isinstance(v, str)]
        if isinstance(val, _Group):
            return self.group_side(val, side)
        return []

    def group_side(self, group: _Group, side: str) -> list[str]:
        if side == "all":
            return list(group.members)
        members = set(group.members)
        dag = self.dag_of(group.members[0]) if group.members else None
        if dag is None:
            return []
        if side == "right":  # roots: no upstream inside the group
            return [m for m in group.members if not (dag.tasks[m].upstream & members)]
        downstream = {u for m in group.members for u in dag.tasks[m].upstream if u in members}
        return [m for m in group.members if m not in downstream]

    def dag_of(self, task_id: str) -> _DagDraft | None:
        for d in self.dags:
            if task_id in d.tasks:
                return d
        return None

    def edges(self, ctx: _Ctx, ups: list[str], downs: list[str]) -> None:
        for d in downs:
            dag = self.dag_of(d)
            if dag is None:
                continue
            for u in ups:
                if u in dag.tasks and u != d:
                    dag.tasks[d].upstream.add(u)

    def call(self, node: ast.Call, ctx: _Ctx) -> Any:
        func = node.func
        name = _call_name(func)
        # DAG(...) outside a with block
        if name in _DAG_CLASSES:
            return self.new_dag(node)
        # @dag function called
        if isinstance(func, ast.Name) and func.id in self.dag_funcs:
            fn, kwargs = self.dag_funcs[func.id]
            dag_id = kwargs.get("dag_id") or fn.name
            raw = {k: v for k, v in kwargs.items() if k != "dag_id"}
            dag = self.register_dag(str(dag_id), {})
            dag.kwargs.update(raw)
            self.fill_schedule_from_decorator(fn, dag)
            self.block(fn.body, _Ctx(dag=dag, groups=()))
            return dag
        # @task_group function called
        if isinstance(func, ast.Name) and func.id in self.group_funcs and ctx.dag is not None:
            fn, kwargs = self.group_funcs[func.id]
            group = _Group(str(kwargs.get("group_id") or fn.name))
            self.call_args_tasks(node, ctx)
            self.block(fn.body, _Ctx(dag=ctx.dag, groups=(*ctx.groups, group)))
            for g in ctx.groups:
                g.members.extend(group.members)
            return group
        # chain(a, b, ...)
        if name == "chain":
            prev: list[str] = []
            for a in node.args:
                val = self.expr(a, ctx)
                self.edges(ctx, prev, self.as_tasks(val, side="right"))
                prev = self.as_tasks(val, side="left")
            return prev
        # a.set_downstream(b) / a.set_upstream(b)
        if isinstance(func, ast.Attribute) and func.attr in ("set_downstream", "set_upstream"):
            me = self.as_tasks(self.expr(func.value, ctx), side="all")
            other: list[str] = []
            for a in node.args:
                other += self.as_tasks(self.expr(a, ctx), side="all")
            if func.attr == "set_downstream":
                self.edges(ctx, me, other)
            else:
                self.edges(ctx, other, me)
            return me
        # Operator(...)
        if _is_operator_name(name):
            return self.operator_task(node, ctx, name or "")
        # TaskFlow: fn(...), fn.override(...)(...), fn.expand(...), fn.partial(...).expand(...)
        tf, overrides = self.taskflow_target(func)
        if tf is not None:
            return self.taskflow_task(tf, overrides, node, ctx)
        # anything else: its arguments may still create tasks
        self.call_args_tasks(node, ctx)
        return None

    def fill_schedule_from_decorator(self, fn: ast.AST, dag: _DagDraft) -> None:
        for dec in getattr(fn, "decorator_list", []):
            if isinstance(dec, ast.Call):
                for k in dec.keywords:
                    if k.arg == "schedule":
                        refs, unknown = self.assets_in(k.value)
                        dag.kwargs["__schedule_assets"] = refs
                        dag.kwargs["__schedule_unknown"] = unknown

    def call_args_tasks(self, node: ast.Call, ctx: _Ctx) -> list[str]:
        found: list[str] = []
        for a in [*node.args, *(k.value for k in node.keywords)]:
            found += self.as_tasks(self.expr(a, ctx), side="left")
        return found

    def taskflow_target(self, func: ast.AST) -> tuple[_TaskFlowFn | None, dict[str, Any]]:
        if isinstance(func, ast.Name) and func.id in self.taskflow:
            return self.taskflow[func.id], {}
        if isinstance(func, ast.Attribute) and func.attr in ("expand", "expand_kwargs"):
            return self.taskflow_target(func.value)
        if isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute):
            if func.func.attr in ("override", "partial"):
                tf, ov = self.taskflow_target(func.func.value)
                if tf is not None:
                    ov = {**ov, **{k.arg: self.value(k.value) for k in func.keywords if k.arg}}
                return tf, ov
        return None, {}

    def add_task(self, ctx: _Ctx, dag: _DagDraft, draft: _TaskDraft) -> str:
        base = ctx.prefix() + draft.task_id
        tid = base
        n = 0
        while tid in dag.tasks:
            n += 1
            tid = f"{base}__{n}"
        draft.task_id = tid
        dag.tasks[tid] = draft
        for g in ctx.groups:
            g.members.append(tid)
        return tid

    def operator_task(self, node: ast.Call, ctx: _Ctx, name: str) -> list[str]:
        raw_kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        dag = ctx.dag
        dag_kw = raw_kwargs.get("dag")
        if isinstance(dag_kw, ast.Name) and dag_kw.id in self.dag_vars:
            dag = self.dag_vars[dag_kw.id]
        if dag is None:
            return []
        task_id = self.value(raw_kwargs.get("task_id"))
        if not isinstance(task_id, str):
            dag.notes.append(
                f"{name} at line {node.lineno} has a task_id the static reader cannot evaluate"
            )
            return []
        kwargs = {k: self.value(v) for k, v in raw_kwargs.items() if k not in ("dag",)}
        for side in ("inlets", "outlets"):
            if side in raw_kwargs:
                refs, unknown = self.assets_in(raw_kwargs[side])
                kwargs[side] = refs
                kwargs[f"__{side}_unknown"] = unknown
        callable_node: ast.AST | None = None
        pc = raw_kwargs.get("python_callable")
        if isinstance(pc, ast.Name):
            callable_node = self.funcs.get(pc.id) or (
                self.taskflow[pc.id].node if pc.id in self.taskflow else None
            )
            if callable_node is None:
                kwargs["__callable_missing"] = pc.id
        elif isinstance(pc, ast.Lambda):
            callable_node = pc
        draft = _TaskDraft(
            task_id=task_id, operator=name, kwargs=kwargs, callable_node=callable_node
        )
        tid = self.add_task(_Ctx(dag=dag, groups=ctx.groups if dag is ctx.dag else ()), dag, draft)
        return [tid]

    def taskflow_task(
        self, tf: _TaskFlowFn, overrides: dict[str, Any], node: ast.Call, ctx: _Ctx
    ) -> list[str]:
        ups = self.call_args_tasks(node, ctx)
        if isinstance(node.func, ast.Call):  # fn.override(...)(args) / fn.partial(..).expand(..)
            ups += self.call_args_tasks(node.func, ctx)
        dag = ctx.dag
        if dag is None:
            return []
        kwargs = {**tf.kwargs, **overrides}
        for side in ("inlets", "outlets"):
            if side in kwargs:
                raw = _decorator_kw(tf.node, side)
                refs, unknown = self.assets_in(raw) if raw is not None else ([], True)
                kwargs[side] = refs
                kwargs[f"__{side}_unknown"] = unknown
        task_id = kwargs.get("task_id") or tf.node.name
        draft = _TaskDraft(
            task_id=str(task_id), operator=tf.decorator, kwargs=kwargs, callable_node=tf.node
        )
        draft.upstream.update(ups)
        tid = self.add_task(ctx, dag, draft)
        return [tid]


def _kw(call: ast.Call, name: str) -> ast.AST | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def _decorator_kw(fn: ast.AST, name: str) -> ast.AST | None:
    for dec in getattr(fn, "decorator_list", []):
        if isinstance(dec, ast.Call):
            found = _kw(dec, name)
            if found is not None:
                return found
    return None


def _creates_tasks(st: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Call) and _is_operator_name(_call_name(n.func)) for n in ast.walk(st)
    )


# ------------------------------------------------------------------------- normalisation
_CONN_KWARGS = ("conn_id",)


def _conn_id(kwargs: dict[str, Any]) -> str | None:
    for k in _CONN_KWARGS:
        if isinstance(kwargs.get(k), str):
            return str(kwargs[k])
    for k, v in sorted(kwargs.items()):
        if k.endswith("_conn_id") and isinstance(v, str):
            return v
    return None


def _str_list(v: Any) -> list[str] | None:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v)
    return None


def resolve_sql_values(
    values: list[str], searchpath: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Replace template-file names by their text: (sql, files found, notes).

    Examples:
        >>> resolve_sql_values(["select 1", "missing.sql"], ["/nonexistent"])[2]
        ("SQL template file 'missing.sql' not found on the template search path ['/nonexistent']",)
    """
    sql: list[str] = []
    files: list[str] = []
    notes: list[str] = []
    for v in values:
        if is_template_file(v):
            found = find_template_file(v.strip(), searchpath)
            if found is None:
                notes.append(
                    f"SQL template file '{v.strip()}' not found on the template search path "
                    f"{searchpath}"
                )
                continue
            files.append(str(found))
            sql.append(found.read_text(encoding="utf-8"))
        else:
            sql.append(v)
    return tuple(sql), tuple(files), tuple(notes)


def python_task_sql(node: ast.AST | None, task_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    r"""SQL literals of a Python task's code, and the notes on what cannot be analysed.

    Examples:
        >>> import ast
        >>> python_task_sql(ast.parse("def f():\n    return 1\n"), "t")[1]
        ("Python task 't': what it reads cannot be analysed statically (no SQL literal found); declare inlets or references through the translator",)
    """
    if node is None:
        return (), (
            f"Python task '{task_id}': its callable is not defined in the DAG file; what it reads "
            "cannot be analysed; declare inlets or references through the translator",
        )
    sql = sql_literals_in_code(node)
    notes: list[str] = []
    if not sql:
        notes.append(
            f"Python task '{task_id}': what it reads cannot be analysed statically (no SQL literal "
            "found); declare inlets or references through the translator"
        )
    elif has_dynamic_sql(node):
        notes.append(
            f"Python task '{task_id}': builds SQL at run time; only its literal SQL is analysed"
        )
    return sql, tuple(notes)


def _normalise(draft: _DagDraft, path: Path) -> DagInfo:
    kw = draft.kwargs
    dag_folder = str(path.parent)
    tsp = _str_list(kw.get("template_searchpath")) or []
    searchpath = template_searchpath(dag_folder, tsp)
    params: dict[str, Any] = kw["params"] if isinstance(kw.get("params"), dict) else {}
    default_args = draft.default_args()
    notes = list(draft.notes)
    if "params" in kw and not isinstance(kw.get("params"), dict):
        notes.append("DAG params could not be evaluated statically")
    tasks: list[TaskInfo] = []
    owners: list[str] = []
    for tid in sorted(draft.tasks):
        t = draft.tasks[tid]
        k = t.kwargs
        tnotes = list(t.notes)
        sql: tuple[str, ...] = ()
        files: tuple[str, ...] = ()
        if t.operator == "@task.sql":
            sql, pnotes = python_task_sql(t.callable_node, tid)
            tnotes += [n for n in pnotes if "no SQL literal" not in n]
            if not sql:
                tnotes.append(f"SQL task '{tid}': its SQL is built at run time")
        elif "sql" in k:
            values = _str_list(k.get("sql"))
            if values is None:
                tnotes.append(
                    f"SQL of task '{tid}' is an expression the static reader cannot evaluate"
                )
            else:
                sql, files, fnotes = resolve_sql_values(values, searchpath)
                tnotes += fnotes
        table = k.get("table") if isinstance(k.get("table"), str) else None
        kind = classify_operator(t.operator, has_sql="sql" in k, has_table=table is not None)
        if kind is TaskKind.PYTHON:
            if "__callable_missing" in k:
                sql, pnotes = python_task_sql(None, tid)
            else:
                sql, pnotes = python_task_sql(t.callable_node, tid)
            tnotes += pnotes
        cm = k.get("column_mapping")
        check_cols = tuple(sorted(cm)) if isinstance(cm, dict) and kind is TaskKind.CHECK else ()
        inlets = tuple(k.get("inlets") or ()) if isinstance(k.get("inlets"), list) else ()
        outlets = tuple(k.get("outlets") or ()) if isinstance(k.get("outlets"), list) else ()
        for side in ("inlets", "outlets"):
            if k.get(f"__{side}_unknown"):
                tnotes.append(f"some {side} of task '{tid}' could not be evaluated statically")
        owner = k.get("owner") if isinstance(k.get("owner"), str) else default_args.get("owner")
        owner = owner if isinstance(owner, str) else "airflow"
        owners.append(owner)
        tparams: dict[str, Any] = k["params"] if isinstance(k.get("params"), dict) else {}
        tasks.append(
            TaskInfo(
                task_id=tid,
                operator=t.operator,
                kind=kind,
                sql=sql,
                sql_files=files,
                conn_id=_conn_id(k),
                table=table if kind is TaskKind.CHECK else None,
                check_columns=check_cols,
                inlets=inlets,
                outlets=outlets,
                upstream_task_ids=tuple(sorted(t.upstream)),
                params={p: v for p, v in tparams.items() if params.get(p, OPAQUE) != v},
                owner=owner,
                notes=tuple(tnotes),
            )
        )
    if kw.get("__schedule_unknown"):
        notes.append("the DAG's schedule has Assets the static reader cannot evaluate")
    macros = kw.get("user_defined_macros")
    literal_macros = (
        {
            m: v
            for m, v in macros.items()
            if isinstance(v, (str, int, float, bool)) and v is not OPAQUE
        }
        if isinstance(macros, dict)
        else {}
    )
    tags = _str_list(kw.get("tags")) or []
    desc = kw.get("description") if isinstance(kw.get("description"), str) else None
    return DagInfo(
        dag_id=draft.dag_id,
        fileloc=str(path),
        tasks=tuple(tasks),
        params={p: v for p, v in params.items() if v is not OPAQUE},
        template_searchpath=tuple(tsp),
        user_defined_macros=literal_macros,
        schedule_assets=tuple(kw.get("__schedule_assets") or ()),
        owners=normalise_owners(owners),
        tags=tuple(sorted(tags)),
        description=desc,
        reader="static",
        notes=tuple(notes),
    )


def read_dag_file_static(path: str | os.PathLike[str]) -> list[DagInfo]:
    r"""Every DAG declared in one file, read without importing it.

    Raises:
        IntegrationError: when the file cannot be read or is not valid Python (names the file and
            the line).

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "broken.py"
        >>> _ = p.write_text("from airflow.sdk import DAG\nwith DAG('x':\n    pass\n")
        >>> try:
        ...     read_dag_file_static(p)
        ... except Exception as exc:
        ...     print(type(exc).__name__, "broken.py" in str(exc))
        IntegrationError True
    """
    from dagster_lineage.errors import IntegrationError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise IntegrationError(str(p), f"cannot read the file ({exc})") from None
    try:
        tree = ast.parse(text, filename=str(p))
    except SyntaxError as exc:
        raise IntegrationError(
            str(p),
            f"SyntaxError at line {exc.lineno}: {exc.msg}",
            fix="Fix the DAG file; the other DAG files are still read.",
        ) from None
    drafts = _FileReader(p, tree).run()
    seen: dict[str, DagInfo] = {}
    for d in drafts:
        seen[d.dag_id] = _normalise(d, p)
    return [seen[k] for k in sorted(seen)]


def might_contain_dag(path: Path) -> bool:
    r"""Airflow's safe-mode heuristic: the file mentions both ``airflow`` and ``dag``.

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "helpers.py"
        >>> _ = p.write_text("x = 1\n")
        >>> might_contain_dag(p)
        False
    """
    try:
        content = path.read_bytes().lower()
    except OSError:
        return False
    return b"airflow" in content and b"dag" in content


def list_dag_files(dags_folder: str | os.PathLike[str]) -> list[Path]:
    """Python files of a DAG folder that may hold DAGs, sorted (``.airflowignore`` glob lines apply).

    Examples:
        >>> list_dag_files("/nonexistent-folder")
        []
    """
    root = Path(dags_folder)
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    ignore: list[str] = []
    ig = root / ".airflowignore"
    if ig.is_file():
        ignore = [
            line.strip()
            for line in ig.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.strip().startswith("#")
        ]
    out = []
    for p in sorted(root.rglob("*.py")):
        rel = p.relative_to(root).as_posix()
        if "__pycache__" in p.parts or any(fnmatch.fnmatch(rel, pat) for pat in ignore):
            continue
        if might_contain_dag(p):
            out.append(p)
    return out


def _iter_dags(files: list[Path]) -> Iterator[tuple[Path, list[DagInfo] | None, str | None]]:
    from dagster_lineage.errors import IntegrationError

    for f in files:
        try:
            yield f, read_dag_file_static(f), None
        except IntegrationError as exc:
            yield f, None, str(exc)
        except Exception as exc:  # noqa: BLE001 - enrichment: one odd file never stops the others
            err = IntegrationError(
                str(f),
                f"the static reader failed ({type(exc).__name__}: {exc})",
                fix="Read the DAGs with Airflow (reader='dagbag') or report the file.",
            )
            yield f, None, str(err)


def read_dags_static(dags_folder: str | os.PathLike[str]) -> DagFolder:
    """Every DAG of a folder (or one file), read statically; failing files are listed, not raised.

    Examples:
        >>> read_dags_static("/nonexistent-folder").dags
        ()
    """
    dags: dict[str, DagInfo] = {}
    errors = []
    for f, found, err in _iter_dags(list_dag_files(dags_folder)):
        if err is not None:
            errors.append(DagFileError(str(f), err))
            continue
        for d in found or []:
            if d.dag_id in dags:
                errors.append(
                    DagFileError(
                        str(f),
                        f"Could not read {f}: DAG id '{d.dag_id}' is already defined in "
                        f"{dags[d.dag_id].fileloc}. Give each DAG a unique dag_id.",
                    )
                )
                continue
            dags[d.dag_id] = d
    return DagFolder(dags=tuple(dags[k] for k in sorted(dags)), errors=tuple(errors))
