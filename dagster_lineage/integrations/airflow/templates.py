"""SQL in DAGs: find it (``.sql`` template files, literal strings in Python code) and render it.

Rendering mirrors Airflow's: Jinja with the DAG's folder plus ``template_searchpath`` as the search
path, ``params`` (DAG params overlaid by task params), literal user-defined macros, and placeholder
values for the run context (``ds``, ``ts``, ``logical_date``, ...). A name Jinja cannot resolve
renders as a placeholder identifier and is reported, so the SQL still parses.

Examples:
    >>> from dagster_lineage.integrations.airflow.templates import render_sql, looks_like_sql
    >>> render_sql("select * from t where s = '{{ params.s }}'", params={"s": "done"}).sql
    "select * from t where s = 'done'"
    >>> looks_like_sql("SELECT 1"), looks_like_sql("hello")
    (True, False)
"""

from __future__ import annotations

import ast
import datetime as _dt
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQL_START = re.compile(
    r"^\s*(select|with|insert|create|merge|update|delete|replace|copy)\b", re.IGNORECASE
)

TEMPLATE_EXTENSIONS = (".sql", ".hql", ".jinja", ".j2")

# A fixed, deterministic run context: lineage never depends on the day it is computed.
_LOGICAL = _dt.datetime(2000, 1, 1, tzinfo=_dt.timezone.utc)


def looks_like_sql(text: str) -> bool:
    """True when ``text`` starts like a SQL statement that reads or writes tables.

    Examples:
        >>> looks_like_sql("  with x as (select 1) select * from x")
        True
    """
    return bool(SQL_START.match(text or ""))


def is_template_file(value: str) -> bool:
    """True when an operator argument names a template file (Airflow's ``template_ext``).

    Examples:
        >>> is_template_file("queries/daily.sql"), is_template_file("select 1")
        (True, False)
    """
    v = value.strip()
    return "\n" not in v and v.lower().endswith(TEMPLATE_EXTENSIONS)


def template_searchpath(dag_folder: str, extra: Sequence[str] = ()) -> list[str]:
    """Jinja's search path for a DAG, as Airflow builds it: the DAG's folder, then ``extra``.

    Examples:
        >>> template_searchpath("/dags", ["/sql"])
        ['/dags', '/sql']
    """
    return [dag_folder, *extra]


def find_template_file(name: str, searchpath: Sequence[str]) -> Path | None:
    """The file ``name`` found on ``searchpath`` (absolute names are used as is), or ``None``.

    Examples:
        >>> find_template_file("surely_missing.sql", ["/nonexistent"]) is None
        True
    """
    p = Path(name)
    if p.is_absolute():
        return p if p.is_file() else None
    for folder in searchpath:
        cand = Path(folder) / name
        if cand.is_file():
            return cand
    return None


def sql_literals_in_code(node: ast.AST) -> tuple[str, ...]:
    r"""Literal strings inside Python code that look like SQL (in source order, deduplicated).

    Docstrings are skipped. Used for Python tasks by both readers.

    Examples:
        >>> import ast
        >>> code = ast.parse("def f(h):\n    '''Load.'''\n    h.run('select a from t')\n")
        >>> sql_literals_in_code(code)
        ('select a from t',)
    """
    docstrings: set[int] = set()
    for n in ast.walk(node):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = n.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                docstrings.add(id(body[0].value))
    out: list[str] = []
    consts = [
        n
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings
    ]
    for n in sorted(consts, key=lambda c: (c.lineno, c.col_offset)):
        text = str(n.value)
        if looks_like_sql(text) and text.strip() not in out:
            out.append(text.strip())
    return tuple(out)


def has_dynamic_sql(node: ast.AST) -> bool:
    """True when Python code builds SQL-looking text at run time (f-strings, ``%``/``+``/format).

    Examples:
        >>> import ast
        >>> has_dynamic_sql(ast.parse("q = f'select {c} from t'"))
        True
    """
    for n in ast.walk(node):
        if isinstance(n, ast.JoinedStr):
            head = "".join(
                str(v.value)
                for v in n.values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)
            )
            if looks_like_sql(head):
                return True
        if (
            isinstance(n, ast.BinOp)
            and isinstance(n.op, (ast.Mod, ast.Add))
            and isinstance(n.left, ast.Constant)
            and isinstance(n.left.value, str)
            and looks_like_sql(n.left.value)
        ):
            return True
        if (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "format"
            and isinstance(n.func.value, ast.Constant)
            and isinstance(n.func.value.value, str)
            and looks_like_sql(n.func.value.value)
        ):
            return True
    return False


@dataclass(frozen=True)
class RenderedSql:
    """The rendered SQL text and what could not be resolved while rendering.

    Examples:
        >>> RenderedSql("select 1").notes
        ()
    """

    sql: str
    notes: tuple[str, ...] = ()


class _Placeholder:
    """A run-time value unknown at parse time: renders as an identifier, chains attributes."""

    def __init__(self, name: str, seen: list[str]) -> None:
        self._name = name
        self._seen = seen

    def __getattr__(self, item: str) -> _Placeholder:
        if item.startswith("__"):
            raise AttributeError(item)
        return _Placeholder(f"{self._name}.{item}", self._seen)

    def __getitem__(self, item: Any) -> _Placeholder:
        return _Placeholder(f"{self._name}.{item}", self._seen)

    def __call__(self, *args: Any, **kwargs: Any) -> _Placeholder:
        return _Placeholder(f"{self._name}()", self._seen)

    def __str__(self) -> str:
        if self._name not in self._seen:
            self._seen.append(self._name)
        return "__" + re.sub(r"\W+", "_", self._name).strip("_") + "__"

    def __iter__(self) -> Any:
        return iter(())

    def __bool__(self) -> bool:
        return False


def _macros() -> dict[str, Any]:
    def ds_add(ds: str, days: int) -> str:
        return (_dt.date.fromisoformat(str(ds)) + _dt.timedelta(days=int(days))).isoformat()

    def ds_format(ds: str, input_format: str, output_format: str) -> str:
        return _dt.datetime.strptime(str(ds), input_format).strftime(output_format)

    return {
        "ds_add": ds_add,
        "ds_format": ds_format,
        "datetime": _dt.datetime,
        "timedelta": _dt.timedelta,
        "date": _dt.date,
    }


def run_context(logical_date: _dt.datetime | None = None) -> dict[str, Any]:
    """The Airflow template variables that depend on a run, for ``logical_date`` (fixed default).

    Examples:
        >>> run_context()["ds"]
        '2000-01-01'
    """
    ld = logical_date or _LOGICAL
    end = ld + _dt.timedelta(days=1)
    return {
        "ds": ld.date().isoformat(),
        "ds_nodash": ld.strftime("%Y%m%d"),
        "ts": ld.isoformat(),
        "ts_nodash": ld.strftime("%Y%m%dT%H%M%S"),
        "logical_date": ld,
        "data_interval_start": ld,
        "data_interval_end": end,
        "prev_ds": (ld - _dt.timedelta(days=1)).date().isoformat(),
        "next_ds": end.date().isoformat(),
        "run_id": "manual__" + ld.isoformat(),
    }


def render_sql(
    template: str,
    *,
    params: Mapping[str, Any] | None = None,
    searchpath: Iterable[str] = (),
    macros: Mapping[str, Any] | None = None,
    logical_date: _dt.datetime | None = None,
    extra_context: Mapping[str, Any] | None = None,
) -> RenderedSql:
    """Render an Airflow SQL template the way a task run would, deterministically.

    Args:
        template: the SQL template text (a ``.sql`` file's content or the literal).
        params: the merged DAG and task params.
        searchpath: folders for ``{% include %}`` (the DAG folder, then ``template_searchpath``).
        macros: user-defined macros (top-level names in the template).
        logical_date: the run's logical date (a fixed date by default, for stable lineage).
        extra_context: more names (``task_id``, ``dag_id``...).

    Examples:
        >>> r = render_sql("select * from {{ var.value.schema }}.t where d = '{{ ds }}'")
        >>> r.sql
        "select * from __var_value_schema__.t where d = '2000-01-01'"
        >>> r.notes
        ("template value 'var.value.schema' is only known at run time",)
    """
    import jinja2

    seen: list[str] = []

    class _Undefined(jinja2.Undefined):
        def __str__(self) -> str:
            return str(_Placeholder(self._undefined_name or "undefined", seen))

        def __getattr__(self, item: str) -> Any:
            if item.startswith("__"):
                raise AttributeError(item)
            return _Placeholder(f"{self._undefined_name}.{item}", seen)

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in searchpath]),
        undefined=_Undefined,
        keep_trailing_newline=False,
        autoescape=False,
    )
    context: dict[str, Any] = dict(run_context(logical_date))
    context["macros"] = _macros()
    context["params"] = dict(params or {})
    for name in ("var", "conn", "dag_run", "ti", "task_instance", "triggering_asset_events"):
        context[name] = _Placeholder(name, seen)
    context.update(macros or {})
    context.update(extra_context or {})
    try:
        text = env.from_string(template).render(**context)
    except jinja2.TemplateError as exc:
        return RenderedSql(template, (f"SQL template could not be rendered: {exc}",))
    notes = tuple(f"template value '{n}' is only known at run time" for n in seen)
    return RenderedSql(text, notes)


def relative_to(path: str, root: str | os.PathLike[str]) -> str:
    """``path`` relative to ``root`` in POSIX form when inside it, else the POSIX path itself.

    Examples:
        >>> relative_to("/a/b/c.py", "/a")
        'b/c.py'
    """
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()
