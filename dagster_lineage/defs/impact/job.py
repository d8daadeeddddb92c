"""The ``impact_check`` op and job: analyse proposed schema changes; the verdict is an asset check.

The job is configured with the proposed changes (launchpad or
``dagster job execute -c run_config.yaml``). The verdict is an asset check evaluation on the
changed asset: ``ERROR`` when the breaking-change policy blocks, ``WARN`` when it only warns (or
nothing breaks but something is affected), with the one-line verdict and the Markdown report.
Dagster shows a raised ``Failure`` with its stack trace, which an expected verdict is not; set
``fail_run: true`` in the config to fail the run as well (CI, run-failure alerts).

Examples:
    >>> job = build_impact_check_job(name="impact_job")
    >>> job.name, [n.name for n in job.nodes]
    ('impact_job', ['impact_check'])
"""

# No ``from __future__ import annotations``: Dagster reads the op's config annotation at runtime.

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import dagster as dg
from pydantic import Field

from dagster_lineage.core.model import AssetKeyPath
from dagster_lineage.defs.graph import GraphSource, resolve_graph
from dagster_lineage.defs.impact.results import (
    impact_run_tags,
    report_metadata,
    to_failure,
    verdict_status,
)
from dagster_lineage.errors import ChangeSpecError, DagsterLineageError
from dagster_lineage.impact.analysis import analyze_impact
from dagster_lineage.impact.migration import parse_migration
from dagster_lineage.impact.policy import BreakingPolicy
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
        default="breaking",
        description="the check fails with ERROR at this severity: breaking (when the "
        "breaking-change policy blocks) or warning (anything affected)",
    )
    fail_run: bool = Field(
        default=False,
        description="also fail the run when the check fails with ERROR (for `dagster job "
        "execute` in CI or run-failure alerts; Dagster then shows a stack trace)",
    )


def _tag_run(context: dg.OpExecutionContext, tags: Mapping[str, str]) -> None:
    """Add the verdict's tags to the run (a launchpad run has none; a sensor's run has them)."""
    missing = {k: v for k, v in tags.items() if context.run.tags.get(k) != v}
    if missing:
        context.instance.add_run_tags(context.run_id, missing)


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
    on_breaking: BreakingPolicy | str | None = None,
) -> dg.OpDefinition:
    """The ``impact_check`` op: analyse the configured changes; the verdict is an asset check.

    The op yields an asset check evaluation named like the op on the changed asset: failed with
    ``ERROR`` when the breaking-change policy blocks (:mod:`dagster_lineage.impact.policy`),
    failed with ``WARN`` for a breaking change the policy lets through or warnings only, passed
    when nothing is affected. Its description and ``verdict`` metadata hold the one-line verdict,
    ``impact_report`` the Markdown report; the run gets the ``dagster-lineage/asset``,
    ``dagster-lineage/risk`` and ``dagster-lineage/verdict`` tags. The run itself succeeds
    unless ``fail_run`` is set in the config.

    Args:
        name: op (and check) name (default ``impact_check``).
        graph: the lineage graph (default: the op's own code location).
        is_breaking: optional override of what counts as breaking (see ``analyze_impact``).
        on_breaking: the default breaking-change policy, below the assets' own ``on_breaking``.

    Examples:
        >>> build_impact_check_op(name="check_orders").name
        'check_orders'
    """
    check_name = name or "impact_check"

    @dg.op(
        name=check_name,
        description="Schema-change impact analysis: the verdict is an asset check on the changed "
        "asset (ERROR when the breaking-change policy blocks, WARN otherwise).",
        tags={"kind": "dagster_lineage"},
    )
    def _impact_check(context: dg.OpExecutionContext, config: ImpactCheckConfig) -> Iterator[Any]:
        try:
            g = resolve_graph(graph, context)
            key = g.resolve(config.asset)
            fail_on = Severity.parse(config.fail_on)
            report = analyze_impact(
                g,
                key,
                _config_changes(config, key),
                is_breaking=is_breaking,
                on_breaking=on_breaking,
            )
        except DagsterLineageError as e:
            raise to_failure(e) from None
        md = report_metadata(report)
        passed, severity, verdict = verdict_status(report, fail_on)
        _tag_run(context, impact_run_tags(report, fail_on))
        if passed:
            context.log.info(verdict)
        elif severity == dg.AssetCheckSeverity.ERROR:
            context.log.error(verdict)
        else:
            context.log.warning(verdict)
        # the verdict is a check evaluation: Dagster shows it as a red (ERROR) or yellow (WARN)
        # check with the report, without the stack trace a raised Failure always carries
        yield dg.AssetCheckEvaluation(
            asset_key=dg.AssetKey(list(key)),
            check_name=check_name,
            passed=passed,
            severity=severity,
            description=verdict,
            # the run log draws every failed check red: say the severity in words as well
            metadata={**md, "severity": severity.value},
            blocking=False,
        )
        if config.fail_run and not passed and severity == dg.AssetCheckSeverity.ERROR:
            raise dg.Failure(description=verdict, metadata=md, allow_retries=False)
        yield dg.Output(report.to_dict(), metadata=md)

    return _impact_check


def build_impact_check_job(
    *,
    name: str | None = None,
    graph: GraphSource | None = None,
    asset: str | None = None,
    changes: Sequence[SchemaChange] | None = None,
    is_breaking: BreakingPredicate | None = None,
    on_breaking: BreakingPolicy | str | None = None,
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
        on_breaking: the default breaking-change policy, below the assets' own ``on_breaking``.
        tags: job tags.

    Examples:
        >>> from dagster_lineage.impact.schema_changes import ColumnDropped
        >>> job = build_impact_check_job(asset="raw_orders", changes=[ColumnDropped("x")])
        >>> job.name
        'impact_check_job'
    """
    op_def = build_impact_check_op(graph=graph, is_breaking=is_breaking, on_breaking=on_breaking)
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
        description="Analyse proposed schema changes: the verdict is an asset check on the "
        "changed asset (ERROR: the breaking-change policy blocks; WARN: it warns).",
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
