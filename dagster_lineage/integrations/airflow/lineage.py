"""Lineage of Airflow DAGs: from the normalised DAG model to :class:`AssetLineage` records.

Each SQL task's templates are rendered (params, search path), split into statements and analysed
with :func:`~dagster_lineage.sql.lineage.statement_lineage` in the connection's dialect. Tables
written and read inside the same asset are traced through (the final output's columns point at the
external tables), tables written by another Airflow asset become dependencies on it, other tables
map to asset keys through the translator. Airflow Assets (inlets, schedules) become dependencies;
what cannot be analysed (Python/Bash tasks, dynamic SQL, unknown tables) is reported in the
record's ``unknowns``, never dropped silently.

Examples:
    >>> from dagster_lineage.integrations.airflow.lineage import dag_records
    >>> from dagster_lineage.integrations.airflow.model import DagInfo, TaskInfo, TaskKind
    >>> task = TaskInfo("build", "SQLExecuteQueryOperator", TaskKind.SQL, conn_id="duckdb",
    ...     sql=("create table daily as select cast(ordered_at as date) as d, sum(order_total) as r "
    ...          "from fct_orders where status = 'completed' group by 1",))
    >>> (unit,) = dag_records([DagInfo("report", "report.py", tasks=(task,))])
    >>> unit.record.upstream, unit.record.column_names, unit.output_table
    ((('fct_orders',),), ('d', 'r'), 'daily')
    >>> sorted(r.upstream.column + ":" + r.clause.value for r in unit.record.reads)
    ['ordered_at:group', 'status:filter']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Clause,
    ColumnRead,
    ColumnRef,
    Unknown,
)
from dagster_lineage.integrations.airflow.model import DagInfo, TaskInfo, TaskKind
from dagster_lineage.integrations.airflow.templates import render_sql, template_searchpath
from dagster_lineage.integrations.airflow.translator import AirflowLineageTranslator, key_path
from dagster_lineage.sql.compose import compose_statements
from dagster_lineage.sql.records import build_schema, lineage_parts, unknown_table
from dagster_lineage.sql.types import StatementLineage

SchemaMapping = Mapping[str, Mapping[str, str | None]]


@dataclass(frozen=True)
class AnalysedStatement:
    """One analysed SQL statement of a task (its lineage, or why it has none).

    Examples:
        >>> AnalysedStatement("t", "select 1", None, ("skipped",)).lineage is None
        True
    """

    task_id: str
    sql: str
    lineage: StatementLineage | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AirflowUnit:
    """One Dagster asset built from Airflow: its record, DAG, tasks and output table.

    Attributes:
        record: the lineage record.
        dag: the DAG it comes from.
        task_ids: the tasks it covers (all of the DAG's for ``asset_per="dag"``).
        output_table: the table it produces when exactly one is known.
        output_tables: every table its tasks write that no task of the same asset reads again.
        outlets: URIs of the Airflow Assets its tasks produce.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> AirflowUnit(AssetLineage(key=("d",)), DagInfo("d", "d.py")).output_table is None
        True
    """

    record: AssetLineage
    dag: DagInfo
    task_ids: tuple[str, ...] = ()
    output_table: str | None = None
    output_tables: tuple[str, ...] = ()
    outlets: tuple[str, ...] = field(default_factory=tuple)


_SKIPPED_STATEMENTS = (
    "Drop",
    "Use",
    "Set",
    "Command",
    "Delete",
    "TruncateTable",
    "Transaction",
    "Commit",
    "Rollback",
    "Copy",
    "Comment",
    "Grant",
    "Pragma",
    "Describe",
    "Analyze",
    "Alter",
)


def split_statements(sql: str, dialect: str | None) -> tuple[list[str], list[str]]:
    """Split rendered SQL into the statements that move data, and notes on what was skipped.

    DDL without a query (``DROP``, ``CREATE TABLE (...)``), ``DELETE``, ``TRUNCATE``, ``SET`` and
    similar are skipped: they read no columns into the output.

    Examples:
        >>> split_statements("drop table if exists t; create table t as select a from s;", "duckdb")
        (['CREATE TABLE t AS SELECT a FROM s'], [])
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        exprs = sqlglot.parse(sql, read=dialect)
    except (ParseError, TokenError) as e:
        return [], [f"SQL could not be parsed ({dialect or 'generic'} dialect): {_first_line(e)}"]
    out: list[str] = []
    for stmt in exprs:
        if stmt is None:
            continue
        if type(stmt).__name__ in _SKIPPED_STATEMENTS:
            continue
        if isinstance(stmt, exp.Create) and not isinstance(stmt.expression, exp.Query):
            continue
        out.append(stmt.sql(dialect=dialect))
    return out, []


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def analyse_task(
    dag: DagInfo,
    task: TaskInfo,
    *,
    dialect: str | None,
    schema: SchemaMapping | None = None,
) -> list[AnalysedStatement]:
    """Render and analyse every SQL statement of one task.

    Examples:
        >>> t = TaskInfo("q", "SQLExecuteQueryOperator", TaskKind.SQL,
        ...              sql=("select a from t where b = '{{ params.b }}'",))
        >>> (st,) = analyse_task(DagInfo("d", "d.py", params={"b": "x"}), t, dialect="duckdb")
        >>> st.sql, st.lineage.tables
        ("SELECT a FROM t WHERE b = 'x'", ('t',))
    """
    from dagster_lineage.errors import DagsterLineageError
    from dagster_lineage.sql.lineage import statement_lineage

    params = {**dict(dag.params), **dict(task.params)}
    # tables the task's earlier statements write are known to its later ones (``*`` expands)
    known: dict[str, Mapping[str, str | None]] = dict(schema or {})
    searchpath = template_searchpath(str(Path(dag.fileloc).parent), dag.template_searchpath)
    source = f"{dag.fileloc} (task {task.task_id})"
    out: list[AnalysedStatement] = []
    for template in task.sql:
        rendered = render_sql(
            template,
            params=params,
            searchpath=searchpath,
            macros=dag.user_defined_macros,
            extra_context={"dag_id": dag.dag_id, "task_id": task.task_id},
        )
        statements, notes = split_statements(rendered.sql, dialect)
        notes = [*rendered.notes, *notes]
        if notes and not statements:
            out.append(AnalysedStatement(task.task_id, rendered.sql, None, tuple(notes)))
            continue
        for i, stmt in enumerate(statements):
            try:
                lin = statement_lineage(stmt, dialect=dialect, schema=known or None, source=source)
            except DagsterLineageError as e:
                out.append(AnalysedStatement(task.task_id, stmt, None, (*notes, str(e))))
            except Exception as e:  # noqa: BLE001 - lineage is enrichment: never fail the code location
                out.append(
                    AnalysedStatement(
                        task.task_id,
                        stmt,
                        None,
                        (*notes, f"SQL could not be analysed: {type(e).__name__}: {e}"),
                    )
                )
            else:
                out.append(
                    AnalysedStatement(task.task_id, stmt, lin, tuple(notes) if i == 0 else ())
                )
                if lin.target and lin.columns and lin.target not in known:
                    known[lin.target] = {c.name: c.data_type for c in lin.columns}
    return out


def code_checksum_of(dag: DagInfo) -> str:
    """Checksum of a DAG's code: its file's Python AST and every task's SQL, normalised.

    The SQL templates are normalised through sqlglot (comments and formatting do not count; code
    that does not parse enters exactly).

    Both readers give the same value (``.sql`` files enter through their text).

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.py"
        >>> _ = p.write_text("x = 1")
        >>> a = code_checksum_of(DagInfo("d", str(p)))
        >>> b = code_checksum_of(DagInfo("d", str(p), tasks=(TaskInfo("t", "X", TaskKind.SQL,
        ...                                                            sql=("select 1",)),)))
        >>> a != b, len(a)
        (True, 64)
    """
    from dagster_lineage.state.checksums import code_checksum, normalise_sql, python_file_digest

    try:
        file_hash: str | None = python_file_digest(dag.fileloc)
    except OSError:
        file_hash = None
    sql_hashes = sorted(normalise_sql(s).digest for t in dag.tasks for s in t.sql)
    return code_checksum({"scheme": "airflow/2", "airflow_dag_file": file_hash, "sql": sql_hashes})


# --------------------------------------------------------------------------- units
@dataclass
class _Draft:
    key: AssetKeyPath
    dag: DagInfo
    tasks: list[TaskInfo]
    table: str | None = None


def _norm(table: str) -> str:
    return table.lower()


def _same_table(a: str, b: str) -> bool:
    pa, pb = _norm(a).split("."), _norm(b).split(".")
    n = min(len(pa), len(pb))
    return pa[-n:] == pb[-n:]


def _find(table: str, names: Iterable[str]) -> str | None:
    for n in names:
        if _same_table(table, n):
            return n
    return None


def _targets(statements: list[AnalysedStatement]) -> list[str]:
    return [s.lineage.target for s in statements if s.lineage and s.lineage.target]


def _plan(
    dags: list[DagInfo],
    translator: AirflowLineageTranslator,
    analysed: Mapping[tuple[str, str], list[AnalysedStatement]],
) -> list[_Draft]:
    per = translator.settings.asset_per
    drafts: list[_Draft] = []
    for dag in dags:
        tasks = list(dag.topological_tasks())
        if per == "dag":
            drafts.append(_Draft(key_path(translator.get_asset_key(dag)), dag, tasks))
        elif per == "task":
            for t in tasks:
                drafts.append(_Draft(key_path(translator.get_asset_key(dag, task=t)), dag, [t]))
        else:
            by_table: dict[str, list[TaskInfo]] = {}
            rest: list[TaskInfo] = []
            for t in tasks:
                written = _targets(analysed.get((dag.dag_id, t.task_id), []))
                if written:
                    by_table.setdefault(_norm(written[-1]), []).append(t)
                else:
                    rest.append(t)
            for table in sorted(by_table):
                key = key_path(translator.get_asset_key(dag, table=table))
                drafts.append(_Draft(key, dag, by_table[table], table=table))
            if rest and any(t.kind is not TaskKind.NOOP for t in rest):
                drafts.append(_Draft(key_path(translator.get_asset_key(dag)), dag, rest))
    return drafts


def _build_unit(
    draft: _Draft,
    translator: AirflowLineageTranslator,
    analysed: Mapping[tuple[str, str], list[AnalysedStatement]],
    table_owner: Mapping[str, AssetKeyPath],
    outlet_owner: Mapping[str, AssetKeyPath],
    checksum: str,
) -> AirflowUnit:
    dag = draft.dag
    unknowns: list[Unknown] = [Unknown(n) for n in dag.notes]
    upstream: set[AssetKeyPath] = set()
    reads: set[ColumnRead] = set()
    unknown_tables: set[str] = set()
    statements: list[StatementLineage] = []
    self_tables = {
        _norm(t)
        for task in draft.tasks
        for t in _targets(analysed.get((dag.dag_id, task.task_id), []))
    }

    def resolve(table: str) -> AssetKeyPath | None:
        """A table's asset: this asset's own tables, another asset's, else the translator's."""
        if _find(table, self_tables) is not None:
            return draft.key
        owner = _find(table, table_owner)
        if owner is not None:
            return table_owner[owner]
        found = translator.get_table_asset_key(table)
        return None if found is None else key_path(found)

    outlets: list[str] = []
    for task in draft.tasks:
        declared = translator.get_declared_lineage(dag, task)
        notes = list(task.notes)
        if declared is not None:
            upstream.update(declared.upstream)
            reads.update(declared.reads)
            upstream.update(r.upstream.asset for r in declared.reads)
            if declared.replaces_unknowns:
                notes = [n for n in notes if "cannot be analysed" not in n]
        if task.kind is TaskKind.OTHER and not task.inlets and declared is None:
            notes.append(
                f"{task.operator} task '{task.task_id}': what it reads cannot be analysed; "
                "declare inlets or references through the translator"
            )
        unknowns.extend(Unknown(n) for n in notes)
        for inlet in task.inlets:
            upstream.add(
                outlet_owner.get(inlet.uri) or key_path(translator.get_airflow_asset_key(inlet))
            )
        outlets.extend(o.uri for o in task.outlets)
        if task.kind is TaskKind.CHECK and task.table:
            key = resolve(task.table)
            if key is None:
                unknown_tables.add(task.table)
            elif key != draft.key:
                upstream.add(key)
                reads.update(
                    ColumnRead(ColumnRef(key, c), Clause.SELECT) for c in task.check_columns
                )
        for st in analysed.get((dag.dag_id, task.task_id), []):
            unknowns.extend(Unknown(n) for n in st.notes)
            if st.lineage is not None:
                statements.append(st.lineage)
    # the statements of all its tasks, composed: tables written and read again are traced through
    script = compose_statements(statements, output=draft.table)
    parts = lineage_parts(script.lineage, resolve, self_key=draft.key)
    upstream.update(parts.upstream)
    reads.update(parts.reads)
    unknowns.extend(parts.unknowns)
    unknowns.extend(unknown_table(t) for t in sorted(unknown_tables))
    finals = list(script.outputs)
    output = script.lineage.target
    upstream.discard(draft.key)
    for sched in draft.dag.schedule_assets:
        key = outlet_owner.get(sched.uri) or key_path(translator.get_airflow_asset_key(sched))
        if key != draft.key:
            upstream.add(key)
    one_task = draft.tasks[0] if translator.settings.asset_per == "task" and draft.tasks else None
    record = AssetLineage(
        key=draft.key,
        asset_type=AssetType.DAG,
        source_ref=dag.dag_id if one_task is None else f"{dag.dag_id}.{one_task.task_id}",
        upstream=tuple(sorted(upstream)),
        columns=parts.columns,
        column_deps=dict(parts.column_deps),
        reads=tuple(sorted(reads)),
        indirect_deps=dict(parts.indirect_deps),
        star_upstreams=parts.star_upstreams,
        unknowns=tuple(dict.fromkeys(unknowns)),
        code_checksum=checksum,
        owners=translator.get_owners(dag),
        tags={"airflow_dag_id": dag.dag_id},
        description=translator.get_description(dag, one_task),
    )
    return AirflowUnit(
        record=record,
        dag=dag,
        task_ids=tuple(t.task_id for t in draft.tasks),
        output_table=output,
        output_tables=tuple(finals),
        outlets=tuple(sorted(set(outlets))),
    )


def dag_records(
    dags: Iterable[DagInfo],
    *,
    translator: AirflowLineageTranslator | None = None,
    upstream_schemas: SchemaMapping | None = None,
    known_records: Iterable[AssetLineage] | None = None,
) -> list[AirflowUnit]:
    """Lineage records for DAGs: one unit per DAG (or per task / output table, per the translator).

    Args:
        dags: normalised DAGs from either reader.
        translator: maps DAGs, tables and Airflow Assets to keys (default translator when None).
        upstream_schemas: known upstream table schemas (table -> {column: type}) for ``*`` and
            qualification; explicit column references resolve without them.
        known_records: known assets (e.g. the dbt specs' records) whose columns complete the schema.

    Examples:
        >>> dag_records([])
        []
    """
    translator = translator or AirflowLineageTranslator()
    schema: dict[str, Mapping[str, str | None]] = {}
    if known_records is not None:
        schema.update(build_schema(known_records, lambda rec: rec.key[-1]))
    schema.update(upstream_schemas or {})
    selected = translator.filter_dags(sorted(dags, key=lambda d: d.dag_id))
    analysed: dict[tuple[str, str], list[AnalysedStatement]] = {}
    for dag in selected:
        for task in dag.tasks:
            if task.sql and task.kind in (TaskKind.SQL, TaskKind.PYTHON):
                analysed[(dag.dag_id, task.task_id)] = analyse_task(
                    dag,
                    task,
                    dialect=translator.get_sql_dialect(dag, task),
                    schema=schema or None,
                )
    drafts = _plan(selected, translator, analysed)
    # which asset writes which table / produces which Airflow Asset (for cross-asset deps)
    table_owner: dict[str, AssetKeyPath] = {}
    outlet_owner: dict[str, AssetKeyPath] = {}
    for d in drafts:
        for t in d.tasks:
            for target in _targets(analysed.get((d.dag.dag_id, t.task_id), [])):
                table_owner.setdefault(_norm(target), d.key)
            for o in t.outlets:
                outlet_owner.setdefault(o.uri, d.key)
    checksums = {dag.dag_id: code_checksum_of(dag) for dag in selected}
    units = []
    for d in drafts:
        # tables this asset writes itself are traced through, not dependencies
        own = {k: v for k, v in table_owner.items() if v != d.key}
        outlets = {k: v for k, v in outlet_owner.items() if v != d.key}
        try:
            unit = _build_unit(d, translator, analysed, own, outlets, checksums[d.dag.dag_id])
        except Exception as e:  # noqa: BLE001 - lineage is enrichment: keep the asset, report it
            unit = AirflowUnit(
                record=AssetLineage(
                    key=d.key,
                    asset_type=AssetType.DAG,
                    source_ref=d.dag.dag_id,
                    unknowns=(
                        Unknown(
                            f"lineage of DAG '{d.dag.dag_id}' ({d.dag.fileloc}) could not be "
                            f"built: {type(e).__name__}: {e}"
                        ),
                    ),
                    code_checksum=checksums[d.dag.dag_id],
                    owners=translator.get_owners(d.dag),
                ),
                dag=d.dag,
                task_ids=tuple(t.task_id for t in d.tasks),
            )
        units.append(unit)
    return units
