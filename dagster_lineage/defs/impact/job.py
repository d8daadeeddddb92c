"""The ``impact_check`` op and job: analyse proposed schema changes, fail when anything breaks.

The job is configured with the proposed changes (launchpad or
``dagster job execute -c run_config.yaml``). It fails with a ``dagster.Failure`` carrying the
report as Markdown metadata when anything is breaking, and succeeds with the report attached
otherwise.

Examples:
    >>> job = build_impact_check_job(name="impact_job")
    >>> job.name, [n.name for n in job.nodes]
    ('impact_job', ['impact_check'])
"""

# No ``from __future__ import annotations``: Dagster reads the op's config annotation at runtime.

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from pydantic import Field

from dagster_lineage.core.model import AssetKeyPath, key_to_str
from dagster_lineage.defs.graph import GraphSource, resolve_graph
from dagster_lineage.defs.impact.results import report_metadata, to_failure
from dagster_lineage.errors import ChangeSpecError, DagsterLineageError
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.migration import parse_migration
from dagster_lineage.impact.report import BreakingPredicate
from dagster_lineage.impact.schema_changes import SchemaChange, Severity, changes_from_data


class ImpactCheckConfig(dg.Config):
    """Run config of the ``impact_check`` op (set it in the launchpad or a run config file).

    Examples:
        >>> ImpactCheckConfig(asset="raw_orders", changes=[{"type": "table_drop"}]).fail_on
        'breaking'
    """

    asset: str = Field(description="the changed asset: a/b key or its last part")
    changes: list[dict[str, str]] = Field(
        default_factory=list,
        description='proposed changes, e.g. [{"type": "column_rename", "from": "a", "to": "b"}]',
    )
    sql: str | None = Field(
        default=None, description="migration SQL (ALTER TABLE / DROP TABLE), added to changes"
    )
    dialect: str | None = Field(default=None, description="sqlglot dialect of `sql`")
    fail_on: str = Field(
        default="breaking", description="fail the run at this severity: breaking or warning"
    )


def _config_changes(config: ImpactCheckConfig, key: AssetKeyPath) -> tuple[SchemaChange, ...]:
    changes: list[SchemaChange] = list(changes_from_data(config.changes)) if config.changes else []
    if config.sql:
        changes += parse_migration(
            config.sql, dialect=config.dialect, source="config.sql"
        ).changes_for(key)
    if not changes:
        raise ChangeSpecError(
            "the impact_check op needs 'changes' or 'sql' in its config",
            hint='changes: [{"type": "column_drop", "column": "c"}]',
        )
    return tuple(changes)


def build_impact_check_op(
    *,
    name: str | None = None,
    graph: GraphSource | None = None,
    is_breaking: BreakingPredicate | None = None,
) -> dg.OpDefinition:
    """The ``impact_check`` op: analyse the configured changes, fail on breaking.

    Args:
        name: op name (default ``impact_check``).
        graph: the lineage graph (default: the op's own code location).
        is_breaking: optional override of what counts as breaking (see ``analyze_impact``).

    Examples:
        >>> build_impact_check_op(name="check_orders").name
        'check_orders'
    """

    @dg.op(
        name=name or "impact_check",
        description="Schema-change impact analysis: fails with the report when anything breaks.",
        tags={"kind": "dagster_lineage"},
    )
    def _impact_check(context: dg.OpExecutionContext, config: ImpactCheckConfig) -> dict:
        try:
            g = resolve_graph(graph, context)
            key = g.resolve(config.asset)
            fail_on = Severity.parse(config.fail_on)
            report = analyze_impact(g, key, _config_changes(config, key), is_breaking=is_breaking)
        except DagsterLineageError as e:
            raise to_failure(e) from None
        md = report_metadata(report)
        context.log.info(
            f"Impact of {len(report.changes)} change(s) to {key_to_str(key)}: risk "
            f"{report.risk.value}, {len(report.breaking)} breaking, {len(report.warnings)} warning"
        )
        if report.exit_code(fail_on):
            raise dg.Failure(
                description=(
                    f"Schema change to {key_to_str(key)} is {report.severity.label}: risk "
                    f"{report.risk.value.upper()}; breaks "
                    f"{', '.join(key_to_str(a.key) for a in report.breaking) or 'nothing'}"
                    + (
                        f"; warnings on {', '.join(key_to_str(a.key) for a in report.warnings)}"
                        if report.warnings
                        else ""
                    )
                ),
                metadata=md,
                allow_retries=False,
            )
        context.add_output_metadata(md)
        return report.to_dict()

    return _impact_check


def build_impact_check_job(
    *,
    name: str | None = None,
    graph: GraphSource | None = None,
    asset: str | None = None,
    changes: Sequence[SchemaChange] | None = None,
    is_breaking: BreakingPredicate | None = None,
    tags: Mapping[str, str] | None = None,
) -> dg.JobDefinition:
    """A job running the ``impact_check`` op, optionally with default changes in its run config.

    Launch it from the launchpad (edit the ``ops.impact_check.config`` YAML) or with
    ``dagster job execute -m my_defs -j impact_check_job -c changes.yaml``.

    Args:
        name: job name (default ``impact_check_job``).
        graph: the lineage graph (default: the job's own code location).
        asset: default changed asset for the run config.
        changes: default changes for the run config.
        is_breaking: optional override of what counts as breaking.
        tags: job tags.

    Examples:
        >>> from dagster_lineage.impact.schema_changes import ColumnDropped
        >>> job = build_impact_check_job(asset="raw_orders", changes=[ColumnDropped("x")])
        >>> job.name
        'impact_check_job'
    """
    op_def = build_impact_check_op(graph=graph, is_breaking=is_breaking)
    config: dg.RunConfig | None = None
    if asset is not None:
        config = dg.RunConfig(
            ops={
                "impact_check": ImpactCheckConfig(
                    asset=asset,
                    changes=[{k: str(v) for k, v in c.to_dict().items()} for c in changes or ()],
                )
            }
        )

    @dg.job(
        name=name or "impact_check_job",
        description="Analyse proposed schema changes; fails when a downstream asset breaks.",
        config=config,  # type: ignore[arg-type]
        tags=dict(tags or {}),
    )
    def _job() -> None:
        op_def()

    return _job


def impact_run_config(
    asset: str, changes: Sequence[SchemaChange], *, fail_on: str = "breaking"
) -> dict[str, Any]:
    """The run config (dict) of an impact-check job for ``changes`` to ``asset``.

    Examples:
        >>> from dagster_lineage.impact.schema_changes import ColumnDropped
        >>> impact_run_config("raw_orders", [ColumnDropped("x")])["ops"]["impact_check"]["config"]["changes"]
        [{'type': 'column_drop', 'column': 'x'}]
    """
    return {
        "ops": {
            "impact_check": {
                "config": {
                    "asset": asset,
                    "changes": [{k: str(v) for k, v in c.to_dict().items()} for c in changes],
                    "fail_on": fail_on,
                }
            }
        }
    }
