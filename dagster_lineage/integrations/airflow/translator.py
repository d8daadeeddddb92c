"""How Airflow DAGs map to Dagster assets: one translator, every hook an instance method.

Subclass :class:`AirflowLineageTranslator` to change asset keys, the table and Airflow-Asset to
asset-key mapping, the SQL dialect of a connection, owners, groups, or to declare what an opaque
task (Python, Bash) reads. Feature flags live in the frozen :class:`AirflowLineageSettings`.

Examples:
    >>> from dagster_lineage.integrations.airflow.translator import (
    ...     AirflowLineageTranslator, AirflowLineageSettings,
    ... )
    >>> t = AirflowLineageTranslator()
    >>> t.get_table_asset_key("main.fct_orders")
    ('fct_orders',)
    >>> t2 = AirflowLineageTranslator(AirflowLineageSettings(asset_per="task"))
    >>> t2.settings.asset_per
    'task'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from dagster_lineage.core.model import AssetKeyPath, ColumnRead, key_from_str
from dagster_lineage.integrations.airflow.model import AirflowAssetRef, DagInfo, TaskInfo

AssetPer = Literal["dag", "task", "table"]

_DIALECT_HINTS = (
    ("duckdb", "duckdb"),
    ("postgres", "postgres"),
    ("redshift", "redshift"),
    ("snowflake", "snowflake"),
    ("bigquery", "bigquery"),
    ("mysql", "mysql"),
    ("sqlite", "sqlite"),
    ("mssql", "tsql"),
    ("trino", "trino"),
    ("presto", "presto"),
    ("databricks", "databricks"),
    ("spark", "spark"),
    ("hive", "hive"),
    ("oracle", "oracle"),
    ("clickhouse", "clickhouse"),
    ("teradata", "teradata"),
)

_SCHEME_DIALECTS = {
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "duckdb": "duckdb",
    "snowflake": "snowflake",
    "mssql": "tsql",
    "redshift": "redshift",
    "trino": "trino",
    "bigquery": "bigquery",
    "gcpbigquery": "bigquery",
    "google_cloud_platform": "bigquery",
    "databricks": "databricks",
    "oracle": "oracle",
}


def key_path(key: object) -> AssetKeyPath:
    """A key path from what a translator hook returns: a key path, or anything with ``.path``.

    The Dagster-facing translator (:mod:`dagster_lineage.defs.airflow.translator`) returns
    ``dagster.AssetKey``; this layer reads its ``path`` without importing Dagster.

    Examples:
        >>> key_path(("a", "b"))
        ('a', 'b')
    """
    path = getattr(key, "path", key)
    return tuple(str(p) for p in path)  # type: ignore[attr-defined]


def _key_part(text: str) -> str:
    part = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    return part or "_"


@dataclass(frozen=True)
class AirflowLineageSettings:
    """Feature flags of :class:`AirflowLineageTranslator`.

    Attributes:
        asset_per: one asset per ``dag`` (default), per ``task``, or per output ``table``.
        default_dialect: SQL dialect when a task's connection gives none (``None``: sqlglot's
            generic dialect).
        conn_dialects: connection id -> sqlglot dialect, checked first.
        known_asset_keys: existing Dagster asset keys; when given, a table or Airflow Asset maps to
            the known key with the same last part (unmatched tables are reported as unknown).
        key_prefix: prefix for the DAG/task/table asset keys.
        group_name: Dagster group of the Airflow assets (``None``: default group).

    Examples:
        >>> AirflowLineageSettings(conn_dialects={"wh": "duckdb"}).conn_dialects["wh"]
        'duckdb'
    """

    asset_per: AssetPer = "dag"
    default_dialect: str | None = None
    conn_dialects: Mapping[str, str] = field(default_factory=dict)
    known_asset_keys: tuple[AssetKeyPath, ...] | None = None
    key_prefix: tuple[str, ...] = ()
    group_name: str | None = None


@dataclass(frozen=True)
class DeclaredLineage:
    """What a user declares a task reads (for tasks static analysis cannot see into).

    Attributes:
        upstream: asset keys the task depends on.
        reads: upstream columns the task reads (with the clause).
        replaces_unknowns: drop the task's "cannot be analysed" notes (default ``True``).

    Examples:
        >>> from dagster_lineage.core.model import Clause, ColumnRead, ColumnRef
        >>> d = DeclaredLineage(reads=(ColumnRead(ColumnRef(("fct_orders",), "status"),
        ...                                        Clause.FILTER),))
        >>> d.replaces_unknowns
        True
    """

    upstream: tuple[AssetKeyPath, ...] = ()
    reads: tuple[ColumnRead, ...] = ()
    replaces_unknowns: bool = True


class AirflowLineageTranslator:
    """Maps DAGs, tasks, tables and Airflow Assets to Dagster asset keys and spec attributes.

    Every hook is an instance method: subclass and override what you need.

    Examples:
        >>> class Prefixed(AirflowLineageTranslator):
        ...     def get_asset_key(self, dag, task=None, table=None):
        ...         return ("airflow", *super().get_asset_key(dag, task, table))
        >>> from dagster_lineage.integrations.airflow.model import DagInfo
        >>> Prefixed().get_asset_key(DagInfo("daily_revenue_report", "d.py"))
        ('airflow', 'daily_revenue_report')
    """

    def __init__(self, settings: AirflowLineageSettings | None = None) -> None:
        self.settings = settings or AirflowLineageSettings()

    # --- keys -----------------------------------------------------------------------------
    def get_asset_key(
        self, dag: DagInfo, task: TaskInfo | None = None, table: str | None = None
    ) -> AssetKeyPath:
        """Key of the asset for a DAG (or one task, or one output table, per ``asset_per``).

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo, TaskInfo, TaskKind
            >>> d = DagInfo("report", "d.py")
            >>> AirflowLineageTranslator().get_asset_key(d, TaskInfo("g.load", "X", TaskKind.SQL))
            ('report', 'g_load')
        """
        prefix = self.settings.key_prefix
        if table is not None:
            return (*prefix, _key_part(table.split(".")[-1]))
        if task is not None:
            return (*prefix, _key_part(dag.dag_id), _key_part(task.task_id))
        return (*prefix, _key_part(dag.dag_id))

    def _known_match(self, name: str) -> AssetKeyPath | None:
        known = self.settings.known_asset_keys
        if known is None:
            return None
        low = name.lower()
        matches = sorted({k for k in known if k and k[-1].lower() == low})
        return matches[0] if len(matches) == 1 else None

    def get_table_asset_key(self, table: str) -> AssetKeyPath | None:
        """Asset key of a table the SQL reads (normalised name, e.g. ``main.fct_orders``).

        Default: the table's last name part; when ``known_asset_keys`` is set, the known key with
        that last part, else ``None`` (reported as an unknown table).

        Examples:
            >>> s = AirflowLineageSettings(known_asset_keys=(("dbt", "fct_orders"),))
            >>> AirflowLineageTranslator(s).get_table_asset_key("main.fct_orders")
            ('dbt', 'fct_orders')
            >>> AirflowLineageTranslator(s).get_table_asset_key("main.other") is None
            True
        """
        last = table.split(".")[-1]
        if self.settings.known_asset_keys is not None:
            return self._known_match(last)
        return (_key_part(last),)

    def get_airflow_asset_key(self, asset: AirflowAssetRef) -> AssetKeyPath:
        """Asset key of an Airflow Asset (inlet, outlet or schedule) by its name and URI.

        A URI without a scheme is read as a key path (``a/b``); with a scheme the key is the scheme
        followed by the URI's path parts. A known asset with the same last part wins.

        Examples:
            >>> t = AirflowLineageTranslator()
            >>> t.get_airflow_asset_key(AirflowAssetRef("fct_orders", "fct_orders"))
            ('fct_orders',)
            >>> t.get_airflow_asset_key(AirflowAssetRef("x", "s3://lake/exports/orders.parquet"))
            ('s3', 'lake', 'exports', 'orders_parquet')
        """
        split = urlsplit(asset.uri)
        if not split.scheme or "://" not in asset.uri:
            parts = key_from_str(asset.uri)
        else:
            raw = [split.netloc, *split.path.split("/")]
            parts = (split.scheme, *(p for p in raw if p))
        parts = tuple(_key_part(p) for p in parts)
        for candidate in (asset.name, parts[-1] if parts else "", asset.uri.rsplit("/", 1)[-1]):
            stem = candidate.rsplit(".", 1)[0] if "." in candidate else candidate
            known = self._known_match(stem) if stem else None
            if known is not None:
                return known
        return parts

    # --- SQL ------------------------------------------------------------------------------
    def get_sql_dialect(self, dag: DagInfo, task: TaskInfo) -> str | None:
        """The sqlglot dialect of a task's SQL, from its connection.

        Checks ``conn_dialects``, then an ``AIRFLOW_CONN_<ID>`` environment variable (URI scheme or
        JSON ``conn_type``), then hints in the connection id and operator name, then
        ``default_dialect``.

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo, TaskInfo, TaskKind
            >>> t = TaskInfo("q", "SQLExecuteQueryOperator", TaskKind.SQL, conn_id="duckdb_wh")
            >>> AirflowLineageTranslator().get_sql_dialect(DagInfo("d", "d.py"), t)
            'duckdb'
        """
        conn = task.conn_id
        if conn and conn in self.settings.conn_dialects:
            return self.settings.conn_dialects[conn]
        if conn:
            env = os.environ.get(f"AIRFLOW_CONN_{conn.upper()}")
            if env:
                conn_type: str | None = None
                if env.lstrip().startswith("{"):
                    try:
                        conn_type = json.loads(env).get("conn_type")
                    except ValueError:
                        conn_type = None
                else:
                    conn_type = urlsplit(env).scheme
                if conn_type:
                    ct = conn_type.lower().replace("-", "_")
                    if ct in _SCHEME_DIALECTS:
                        return _SCHEME_DIALECTS[ct]
        hay = f"{conn or ''} {task.operator}".lower()
        for hint, dialect in _DIALECT_HINTS:
            if hint in hay:
                return dialect
        return self.settings.default_dialect

    def get_declared_lineage(self, dag: DagInfo, task: TaskInfo) -> DeclaredLineage | None:
        """What a task reads, declared by the user (default: nothing declared).

        Override for Python or Bash tasks whose reads static analysis cannot see.

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo, TaskInfo, TaskKind
            >>> t = TaskInfo("py", "@task", TaskKind.PYTHON)
            >>> AirflowLineageTranslator().get_declared_lineage(DagInfo("d", "d.py"), t) is None
            True
        """
        return None

    # --- spec attributes ------------------------------------------------------------------
    def get_owners(self, dag: DagInfo) -> tuple[str, ...]:
        """Dagster owners from the DAG's ``owner`` (emails as is, other names as ``team:``).

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo
            >>> AirflowLineageTranslator().get_owners(
            ...     DagInfo("d", "d.py", owners=("finance", "a@b.com")))
            ('a@b.com', 'team:finance')
        """
        out = []
        for o in dag.owners:
            out.append(o if "@" in o else f"team:{_key_part(o)}")
        return tuple(sorted(set(out)))

    def get_description(self, dag: DagInfo, task: TaskInfo | None = None) -> str:
        """Asset description: the DAG's description, or where it comes from.

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo
            >>> AirflowLineageTranslator().get_description(DagInfo("d", "dags/d.py"))
            'Airflow DAG d (d.py)'
        """
        base = dag.description or f"Airflow DAG {dag.dag_id} ({os.path.basename(dag.fileloc)})"
        return f"{base}, task {task.task_id}" if task is not None else base

    def get_group_name(self, dag: DagInfo) -> str | None:
        """Dagster group of the DAG's assets (``settings.group_name``).

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo
            >>> AirflowLineageTranslator().get_group_name(DagInfo("d", "d.py")) is None
            True
        """
        return self.settings.group_name

    def get_tags(self, dag: DagInfo) -> Mapping[str, str]:
        """Dagster tags: one per DAG tag (keys and values sanitised), ``airflow/dag_id``.

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo
            >>> dict(AirflowLineageTranslator().get_tags(DagInfo("d", "d.py", tags=("finance",))))
            {'airflow/dag_id': 'd', 'finance': ''}
        """
        tags = {"airflow/dag_id": _key_part(dag.dag_id)[:63]}
        for t in dag.tags:
            tags[_key_part(t)[:63]] = ""
        return tags

    def filter_dags(self, dags: Iterable[DagInfo]) -> list[DagInfo]:
        """The DAGs to turn into assets (default: all).

        Examples:
            >>> from dagster_lineage.integrations.airflow.model import DagInfo
            >>> len(AirflowLineageTranslator().filter_dags([DagInfo("d", "d.py")]))
            1
        """
        return list(dags)


_DEPRECATED = {"AirflowTranslatorSettings": "AirflowLineageSettings"}


def __getattr__(name: str) -> object:
    """Old names, kept one release with a ``DeprecationWarning`` (PEP 562)."""
    new = _DEPRECATED.get(name)
    if new is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import warnings

    warnings.warn(
        f"{name} is deprecated: use {new} (one settings naming scheme: "
        "DbtLineageSettings, AirflowLineageSettings, SparkLineageSettings)",
        DeprecationWarning,
        stacklevel=2,
    )
    return globals()[new]
