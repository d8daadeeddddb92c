"""Static column lineage of a PySpark job: a small abstract interpreter over the job's Python AST.

No Spark is needed. The interpreter follows DataFrame values through assignments and method calls
(``spark.table``, ``spark.read.*``, ``spark.sql``, ``select``, ``withColumn``, ``join``, ``groupBy``/
``agg``, windows, writes...), keeping for each DataFrame its columns, each mapped to the source columns
it derives from and how (:class:`~dagster_lineage.core.model.EdgeKind`), plus the source columns only
read (filter, join, group, order, window). Column expressions are symbolic, as in PySpark: ``F.col("x")``
is resolved against the DataFrame it is used on. What cannot be known before run time (column names
computed at run time, loops over ``df.columns``, unresolvable names) is reported as an
:class:`~dagster_lineage.core.model.Unknown`, never guessed.

When a source's schema is unknown, the columns a job names are attributed to it by name and the
columns it does not name pass through unseen (reported as a ``star`` source).

Examples:
    >>> from dagster_lineage.integrations.spark.static import analyze_source
    >>> job = '''
    ... from pyspark.sql import functions as F
    ... def run(spark):
    ...     orders = spark.table("fct_orders").filter(F.col("status") != "returned")
    ...     return orders.groupBy("customer_id").agg(F.sum("net_revenue").alias("ltv"))
    ... '''
    >>> out = analyze_source(job).output.lineage
    >>> out.column_names
    ('customer_id', 'ltv')
    >>> [(s.table, s.column, s.kind.value) for s in out.columns[1].sources]
    [('fct_orders', 'net_revenue', 'aggregation')]
    >>> sorted((r.column, r.clause.value) for r in out.reads)
    [('customer_id', 'group'), ('status', 'filter')]
"""

from __future__ import annotations

import ast
import dataclasses
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster_lineage.core.model import Unknown
from dagster_lineage.integrations.spark._interpreter import (
    _bind_params,
    _entry_args,
    _Interpreter,
)
from dagster_lineage.integrations.spark._values import (
    SchemaLookup,
    _Frame,
    _Func,
    _Return,
    _Session,
    _State,
)
from dagster_lineage.integrations.spark.types import SparkJobLineage, SparkOutput, SparkSource
from dagster_lineage.sql.types import OutputColumn, SourceColumn, StatementLineage, TableColumnRead


def _output_from(frame: _Frame, target: SparkSource | None, line: int) -> SparkOutput:
    columns = tuple(
        OutputColumn(name, tuple(sorted(SourceColumn(s, c, k) for s, c, k in deps)))
        for name, deps in frame.cols
    )
    stars = sorted({s for o in frame.open for s in o.sources})
    tables = sorted(frame.sources() | {r[0] for r in frame.reads})
    return SparkOutput(
        target=target,
        lineage=StatementLineage(
            columns=columns,
            reads=tuple(sorted({TableColumnRead(s, c, cl) for s, c, cl in frame.reads})),
            tables=tuple(tables),
            star_tables=tuple(stars),
            target=target.name if target else None,
            unknowns=tuple(dict.fromkeys(frame.unknowns)),
        ),
        line=line,
    )


# ---------------------------------------------------------------------------------------------
# public entry points


def analyze_source(
    source: str,
    *,
    entry: str | None = "run",
    filename: str = "<job>",
    schema_for: SchemaLookup | None = None,
    max_inline_depth: int = 5,
) -> SparkJobLineage:
    r"""Static column lineage of a PySpark job given as Python source text.

    The module's top level is interpreted (imports, constants, helper functions, and scripts'
    top-level code). When it defines ``entry`` (``run`` by default), that function is then called with
    an abstract SparkSession as its first parameter (or the one named ``spark``); its other
    parameters take their defaults or stay unknown.

    Args:
        source: the job's Python code.
        entry: the entry function's name; ``None`` analyses only the top level.
        filename: shown in messages.
        schema_for: known column names of a source, to expand columns a job does not name.
        max_inline_depth: how deep calls of the module's own helper functions are followed.

    Returns:
        The sources, the writes and the output's column lineage. Never raises for code it does not
        understand: that becomes an :class:`~dagster_lineage.core.model.Unknown`.

    Examples:
        >>> src = 'def run(spark):\n    spark.table("a").select("x").write.saveAsTable("b")'
        >>> res = analyze_source(src)
        >>> res.output.target.name, res.output.lineage.column_names
        ('b', ('x',))
    """
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as e:
        return SparkJobLineage(
            unknowns=(Unknown(f"{filename} is not valid Python: {e.msg} (line {e.lineno})"),)
        )
    state = _State(schema_for=schema_for or (lambda _s: None))
    it = _Interpreter(state, max_inline_depth)
    env: dict[str, Any] = {"spark": _Session()}
    returned: Any = None
    ret_line = 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                it.run_block(tree.body, env)
            except _Return:
                pass
            fn = env.get(entry) if entry else None
            if isinstance(fn, _Func):
                local = dict(fn.env)
                _bind_params(fn.node, _entry_args(fn.node), {}, local, it)
                try:
                    it.run_block(fn.node.body, local)
                except _Return as r:
                    returned = r.value
                    ret_line = it.line
            elif entry and entry != "run":
                state.unknowns.append(Unknown(f"{filename} has no function {entry!r}"))
    except RecursionError:
        state.unknowns.append(Unknown(f"{filename} is too deeply nested to analyse"))
    except Exception as e:  # noqa: BLE001 - lineage is enrichment: report what stopped it
        state.unknowns.append(
            Unknown(f"{filename}: analysis stopped at line {it.line} ({type(e).__name__}: {e})")
        )
    writes = tuple(_output_from(f, t, line) for t, f, line in state.writes)
    output: SparkOutput | None = None
    if isinstance(returned, _Frame):
        output = _output_from(returned, None, ret_line)
        for (_t, f, line), w in zip(state.writes, writes):
            if f == returned:
                output = dataclasses.replace(w, line=line)
    elif writes:
        output = writes[-1]
    elif returned is not None and not isinstance(returned, _Frame):
        state.unknowns.append(
            Unknown(f"{filename}: the entry function does not return a DataFrame")
        )
    return SparkJobLineage(
        sources=tuple(sorted(state.sources.values())),
        output=output,
        writes=writes,
        unknowns=tuple(dict.fromkeys(state.unknowns)),
    )


def analyze_job_file(
    path: str | Path,
    *,
    entry: str | None = "run",
    schema_for: SchemaLookup | None = None,
    max_inline_depth: int = 5,
) -> SparkJobLineage:
    r"""Static column lineage of a PySpark job file (see :func:`analyze_source`).

    Raises:
        IntegrationError: when the file does not exist or cannot be read.

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "job.py"
        >>> _ = p.write_text('def run(spark):\n    return spark.table("t").select("a")\n')
        >>> analyze_job_file(p).output.lineage.column_names
        ('a',)
    """
    from dagster_lineage.errors import IntegrationError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise IntegrationError(
            str(p), f"cannot read the Spark job file ({e.strerror or e})", fix="Check job_file."
        ) from None
    return analyze_source(
        text, entry=entry, filename=str(p), schema_for=schema_for, max_inline_depth=max_inline_depth
    )


def schema_lookup(schemas: Mapping[str, Sequence[str]] | None) -> SchemaLookup:
    """A :data:`SchemaLookup` from ``{table name or path: [columns]}`` (case-insensitive names).

    Examples:
        >>> from dagster_lineage.integrations.spark.types import SparkSource
        >>> schema_lookup({"fct_orders": ["order_id"]})(SparkSource("table", "fct_orders"))
        ('order_id',)
    """
    table = {k.lower(): tuple(v) for k, v in (schemas or {}).items()}

    def lookup(src: SparkSource) -> Sequence[str] | None:
        return table.get(src.name.lower())

    return lookup
