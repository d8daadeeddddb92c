"""The Airflow translator on the Dagster side: every key hook returns a ``dagster.AssetKey``.

:class:`AirflowLineageTranslator` is the one to subclass (like dagster-dbt's
``DagsterDbtTranslator`` and :class:`~dagster_lineage.defs.spark.SparkLineageTranslator`): the
key hooks (:meth:`~AirflowLineageTranslator.get_asset_key`,
:meth:`~AirflowLineageTranslator.get_table_asset_key`,
:meth:`~AirflowLineageTranslator.get_airflow_asset_key`) return ``dagster.AssetKey``; the other
hooks (dialects, declared lineage, owners, description, group, tags, the DAG filter) are the pure
reader's (:mod:`dagster_lineage.integrations.airflow.translator`), which reads the keys' paths.
Feature flags live in the frozen :class:`AirflowLineageSettings`.

Examples:
    >>> import dagster as dg
    >>> from dagster_lineage.integrations.airflow.model import DagInfo
    >>> class Prefixed(AirflowLineageTranslator):
    ...     def get_asset_key(self, dag, task=None, table=None):
    ...         return super().get_asset_key(dag, task, table).with_prefix("airflow")
    >>> Prefixed().get_asset_key(DagInfo("daily_revenue_report", "d.py"))
    AssetKey(['airflow', 'daily_revenue_report'])
    >>> AirflowLineageTranslator().get_table_asset_key("main.fct_orders")
    AssetKey(['fct_orders'])
"""

from __future__ import annotations

import dagster as dg

from dagster_lineage.integrations.airflow.model import AirflowAssetRef, DagInfo, TaskInfo
from dagster_lineage.integrations.airflow.translator import (
    AirflowLineageSettings as AirflowLineageSettings,
)
from dagster_lineage.integrations.airflow.translator import (
    AirflowLineageTranslator as _PureAirflowTranslator,
)
from dagster_lineage.integrations.airflow.translator import key_path


class AirflowLineageTranslator(_PureAirflowTranslator):
    """Maps DAGs, tasks, tables and Airflow Assets to Dagster asset keys and spec attributes.

    Every hook is an instance method: subclass and override what you need. The key hooks return
    ``dagster.AssetKey`` (call ``super()`` and adjust, e.g. ``.with_prefix(...)``).

    Examples:
        >>> t = AirflowLineageTranslator(AirflowLineageSettings(key_prefix=("af",)))
        >>> t.get_asset_key(DagInfo("report", "d.py"))
        AssetKey(['af', 'report'])
    """

    def get_asset_key(  # type: ignore[override]
        self, dag: DagInfo, task: TaskInfo | None = None, table: str | None = None
    ) -> dg.AssetKey:
        """Key of the asset for a DAG (or one task, or one output table, per ``asset_per``)."""
        return dg.AssetKey(list(key_path(super().get_asset_key(dag, task, table))))

    def get_table_asset_key(self, table: str) -> dg.AssetKey | None:  # type: ignore[override]
        """Key of a table the SQL reads, or ``None`` (reported as an unknown table)."""
        found = super().get_table_asset_key(table)
        return None if found is None else dg.AssetKey(list(key_path(found)))

    def get_airflow_asset_key(self, asset: AirflowAssetRef) -> dg.AssetKey:  # type: ignore[override]
        """Key of an Airflow Asset (inlet, outlet or schedule) by its name and URI."""
        return dg.AssetKey(list(key_path(super().get_airflow_asset_key(asset))))
