"""The impact analysis in Dagster: an ``impact_check`` op and job, a schema-change gate, a drift sensor.

- :func:`build_impact_check_job` (and :func:`build_impact_check_op`): a job configured with the
  proposed changes (launchpad or ``dagster job execute -c run_config.yaml``). Its verdict is an
  asset check on the changed asset with the one-line verdict and the Markdown report: ``ERROR``
  when the breaking-change policy blocks (:mod:`dagster_lineage.impact.policy`), ``WARN``
  otherwise; the run is tagged ``dagster-lineage/asset``, ``/risk`` and ``/verdict``.
- :func:`build_schema_change_gate_checks`: blocking asset checks for dbt models (or any asset with
  lineage on its spec). When a model's compiled output schema (its spec's lineage record) differs
  from the schema recorded at its last materialization (``dagster/column_schema``), the impact
  analysis runs; a change the policy blocks fails the check (ERROR), one it only warns about fails
  it with WARN. Being blocking, a failed (ERROR) gate stops every
  downstream asset of the same run; run the gate job of :func:`build_schema_change_gate_job` (the
  checks alone) before materializing, or call :func:`assert_no_breaking_schema_change` first thing
  in the asset's body (before ``dbt build``), to stop the model itself.
- :func:`build_schema_drift_impact_sensor`: observes source tables' schemas (``information_schema``
  of DuckDB or PostgreSQL); on drift it runs the impact analysis, records the report as an
  ``AssetObservation`` of the table and, when given a job, launches it with the changes.

Modules: ``results`` (report metadata, failures),
``job`` (the op and job), ``gate`` (the gate checks);
the drift sensor lives in :mod:`dagster_lineage.defs.schema_drift`.

The lineage graph is the code location's own (:func:`dagster_lineage.defs.graph.graph_from_context`)
unless a ``graph`` (a :class:`~dagster_lineage.core.graph.LineageGraph`, a ``Definitions`` or a callable
returning one of them) is passed.

Examples:
    >>> import dagster as dg
    >>> job = build_impact_check_job(name="impact_job")
    >>> job.name, [n.name for n in job.nodes]
    ('impact_job', ['impact_check'])
"""

from typing import TYPE_CHECKING, Any

from dagster_lineage.defs.graph import GraphSource as GraphSource
from dagster_lineage.defs.graph import graph_from_repository as graph_from_repository
from dagster_lineage.defs.graph import resolve_graph as resolve_graph
from dagster_lineage.defs.impact.gate import (
    assert_no_breaking_schema_change as assert_no_breaking_schema_change,
)
from dagster_lineage.defs.impact.gate import (
    build_schema_change_gate_checks as build_schema_change_gate_checks,
)
from dagster_lineage.defs.impact.gate import (
    build_schema_change_gate_job as build_schema_change_gate_job,
)
from dagster_lineage.defs.impact.gate import schema_change_gate_result as schema_change_gate_result
from dagster_lineage.defs.impact.job import ImpactCheckConfig as ImpactCheckConfig
from dagster_lineage.defs.impact.job import build_impact_check_job as build_impact_check_job
from dagster_lineage.defs.impact.job import build_impact_check_op as build_impact_check_op
from dagster_lineage.defs.impact.job import impact_run_config as impact_run_config
from dagster_lineage.defs.impact.results import report_metadata as report_metadata
from dagster_lineage.defs.impact.results import to_failure as to_failure
from dagster_lineage.defs.metadata_keys import REPORT_JSON_KEY as REPORT_JSON_KEY
from dagster_lineage.defs.metadata_keys import REPORT_MD_KEY as REPORT_MD_KEY

if TYPE_CHECKING:
    from dagster_lineage.defs.schema_drift import (
        build_schema_drift_impact_sensor as build_schema_drift_impact_sensor,
    )
    from dagster_lineage.defs.schema_drift import observe_table_schema as observe_table_schema

_FROM_SCHEMA_DRIFT = ("build_schema_drift_impact_sensor", "observe_table_schema")


def __getattr__(name: str) -> Any:
    """The drift sensor's names, from :mod:`dagster_lineage.defs.schema_drift` (which imports this)."""
    if name in _FROM_SCHEMA_DRIFT:
        from dagster_lineage.defs import schema_drift

        return getattr(schema_drift, name)
    raise AttributeError(f"module 'dagster_lineage.defs.impact' has no attribute {name!r}")
