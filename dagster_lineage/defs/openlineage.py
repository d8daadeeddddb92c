"""OpenLineage from Dagster: naming from a code location, and run-status sensors that emit run events.

:func:`build_openlineage_sensors` returns two run-status sensors (run success, run failure). For each
finished run they emit, through the official ``openlineage-python`` client and whatever transport
it is configured with (``OPENLINEAGE_URL`` / ``OPENLINEAGE_CONFIG`` / ``openlineage.yml``, as for
every OpenLineage integration), START and COMPLETE/FAIL events for the run and for each asset it
materialized or planned, with the schema and column-lineage facets of
:mod:`dagster_lineage.exports.openlineage` plus the row count (``dagster/row_count``).

Examples:
    >>> from dagster_lineage.defs.openlineage import build_openlineage_sensors
    >>> [s.name for s in build_openlineage_sensors()]
    ['dagster_lineage_openlineage_success', 'dagster_lineage_openlineage_failure']
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_lineage.core.model import AssetKeyPath, AssetLineage
from dagster_lineage.defs.graph import record_from_spec
from dagster_lineage.defs.metadata import metadata_value
from dagster_lineage.defs.metadata_keys import ROW_COUNT_KEY, TABLE_NAME_KEY
from dagster_lineage.exports.openlineage import (
    AssetRun,
    OpenLineageNaming,
    build_run_events,
)

logger = logging.getLogger("dagster_lineage.openlineage")

ClientFactory = Callable[[], Any]
"""Returns an ``openlineage.client.OpenLineageClient`` (default: ``OpenLineageClient()``)."""


def records_from_specs(specs: Iterable[dg.AssetSpec]) -> dict[AssetKeyPath, AssetLineage]:
    """Lineage records of asset specs, by key (through :func:`dagster_lineage.defs.graph.record_from_spec`).

    Examples:
        >>> sorted(records_from_specs([dg.AssetSpec("a"), dg.AssetSpec("b", deps=["a"])]))
        [('a',), ('b',)]
    """
    out = {}
    for spec in specs:
        rec = record_from_spec(spec)
        out[rec.key] = rec
    return out


def openlineage_naming(
    specs: Iterable[dg.AssetSpec],
    *,
    resources: Mapping[str, Any] | None = None,
    dataset_namespace: str | None = None,
    database: str | None = None,
    schema: str | None = None,
    job_namespace: str | None = None,
    dbt_project: Any = None,
) -> OpenLineageNaming:
    """Dataset naming for a code location: tables from the specs' ``dagster/table_name``.

    When ``dataset_namespace`` is not given and a ``DbtCliResource`` among ``resources`` (else
    ``dbt_project``, a ``DbtProject``: the dbt component's) targets a dbt-duckdb file, the
    namespace is ``duckdb://<its path>`` and the database the file's stem, which is how the dbt
    OpenLineage integration and dbt-duckdb name the same tables.

    Examples:
        >>> spec = dg.AssetSpec("t", metadata={"dagster/table_name": '"w"."main"."t"'})
        >>> n = openlineage_naming([spec], dataset_namespace="duckdb:///w.duckdb")
        >>> n.table_names[("t",)], n.dataset_namespace
        ('"w"."main"."t"', 'duckdb:///w.duckdb')
    """
    tables = {}
    for spec in specs:
        name = metadata_value((spec.metadata or {}).get(TABLE_NAME_KEY))
        if isinstance(name, str) and name:
            tables[tuple(spec.key.path)] = name
    if dataset_namespace is None and (resources or dbt_project is not None):
        from dagster_lineage.defs.dbt.assets import duckdb_path_for

        path = duckdb_path_for(resources or {}, dbt_project)
        if path:
            dataset_namespace = f"duckdb://{path}"
            database = database or Path(path).stem
    kwargs: dict[str, Any] = {}
    if job_namespace:
        kwargs["job_namespace"] = job_namespace
    return OpenLineageNaming(
        dataset_namespace=dataset_namespace,
        database=database,
        schema=schema,
        table_names=tables,
        **kwargs,
    )


def naming_from_definitions(defs: dg.Definitions, **overrides: Any) -> OpenLineageNaming:
    """:func:`openlineage_naming` for a ``Definitions`` object (its specs and resources).

    Examples:
        >>> naming_from_definitions(dg.Definitions(assets=[dg.AssetSpec("a")])).table_names
        {}
    """
    resources = dict(defs.resources or {})
    return openlineage_naming(
        defs.resolve_all_asset_specs(),
        resources=resources,
        dbt_project=_dbt_project_of(defs),
        **overrides,
    )


def _dbt_project_of(defs: dg.Definitions) -> Any:
    """The ``DbtProject`` of the first dbt assets definition that records one.

    A dbt component runs dbt with its own ``DbtCliResource``, which is not among the resources.
    """
    for asset in defs.assets or ():
        if not isinstance(asset, dg.AssetsDefinition):
            continue
        if not any("dagster_dbt/manifest" in md for md in asset.metadata_by_key.values()):
            continue
        from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

        try:
            _, _, project = get_manifest_and_translator_from_dbt_assets([asset])
        except Exception:  # noqa: BLE001 - naming is enrichment: no project, no namespace
            continue
        if project is not None:
            return project
    return None


def _iso(ts: float | None) -> str:
    when = (
        _dt.datetime.fromtimestamp(ts, _dt.timezone.utc)
        if ts
        else _dt.datetime.now(_dt.timezone.utc)
    )
    return when.isoformat()


def run_events_for(
    instance: dg.DagsterInstance,
    run: dg.DagsterRun,
    *,
    records: Mapping[AssetKeyPath, AssetLineage],
    naming: OpenLineageNaming,
    error_message: str | None = None,
) -> list[Any]:
    """The OpenLineage run events of one finished Dagster run, read from the instance.

    Assets materialized in the run COMPLETE with their ``dagster/row_count``; assets planned but not
    materialized FAIL when the run failed.
    """
    stats = instance.get_run_stats(run.run_id)
    start, end = _iso(stats.start_time), _iso(stats.end_time)
    assets: dict[AssetKeyPath, AssetRun] = {}
    planned = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED, limit=10_000
    ).records
    for rec in planned:
        event = rec.event_log_entry.dagster_event
        key = getattr(getattr(event, "event_specific_data", None), "asset_key", None)
        if key is not None:
            assets[tuple(key.path)] = AssetRun(tuple(key.path), succeeded=False)
    mats = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
    ).records
    for rec in mats:
        mat = rec.event_log_entry.asset_materialization
        if mat is None:
            continue
        key = tuple(mat.asset_key.path)
        rows = metadata_value((mat.metadata or {}).get(ROW_COUNT_KEY))
        assets[key] = AssetRun(
            key,
            succeeded=True,
            row_count=int(rows) if isinstance(rows, (int, float)) else None,
            end_time=_iso(rec.event_log_entry.timestamp),
        )
    succeeded = run.status == dg.DagsterRunStatus.SUCCESS
    return build_run_events(
        records,
        run_id=run.run_id,
        job_name=run.job_name,
        succeeded=succeeded,
        assets=list(assets.values()),
        start_time=start,
        end_time=end,
        naming=naming,
        error_message=error_message,
    )


def _default_client() -> Any:
    from openlineage.client import OpenLineageClient

    return OpenLineageClient()


def build_openlineage_sensors(
    *,
    name: str | None = None,
    client_factory: ClientFactory | None = None,
    naming: OpenLineageNaming | None = None,
    monitor_all_code_locations: bool | None = None,
    minimum_interval_seconds: int | None = None,
    default_status: dg.DefaultSensorStatus | None = None,
) -> list[dg.SensorDefinition]:
    """Two run-status sensors (success, failure) that emit OpenLineage run events per run.

    Args:
        name: prefix of the sensor names (default ``dagster_lineage_openlineage``).
        client_factory: builds the OpenLineage client (default ``OpenLineageClient()``, configured
            from ``OPENLINEAGE_URL`` / ``OPENLINEAGE_CONFIG`` / ``openlineage.yml``).
        naming: dataset and job naming (default: :func:`openlineage_naming` of the code location's
            specs and resources); the specs' ``dagster/table_name`` complete its ``table_names``.
        monitor_all_code_locations: also report runs of other code locations (their assets'
            lineage is known only when they are in this one).
        minimum_interval_seconds: see ``run_status_sensor``.
        default_status: see ``run_status_sensor`` (default stopped, like every sensor).

    Examples:
        >>> [s.name for s in build_openlineage_sensors(name="ol")]
        ['ol_success', 'ol_failure']
    """
    prefix = name or "dagster_lineage_openlineage"
    factory = client_factory or _default_client
    state: dict[str, Any] = {}

    def client() -> Any:
        if "client" not in state:
            state["client"] = factory()
        return state["client"]

    def emit(context: dg.RunStatusSensorContext, error_message: str | None) -> None:
        repo = context.repository_def
        specs = []
        resources: dict[str, Any] = {}
        if repo is not None:
            unique = {id(ad): ad for ad in repo.assets_defs_by_key.values()}
            specs = [spec for ad in unique.values() for spec in ad.specs]
            try:
                resources = dict(repo.get_top_level_resources())
            except Exception:  # noqa: BLE001 - resources are only a naming hint
                resources = {}
        records = records_from_specs(specs)
        found = openlineage_naming(specs, resources=None if naming else resources)
        run_naming = (
            dataclasses.replace(naming, table_names={**found.table_names, **naming.table_names})
            if naming is not None
            else found
        )
        events = run_events_for(
            context.instance,
            context.dagster_run,
            records=records,
            naming=run_naming,
            error_message=error_message,
        )
        sent = 0
        for event in events:
            try:
                client().emit(event)
                sent += 1
            except Exception as e:  # noqa: BLE001 - lineage is enrichment: never fail the run
                context.log.warning(
                    f"dagster-lineage: could not emit an OpenLineage event for run "
                    f"{context.dagster_run.run_id}: {e}"
                )
                break
        context.log.info(
            f"dagster-lineage: emitted {sent}/{len(events)} OpenLineage events for run "
            f"{context.dagster_run.run_id} ({context.dagster_run.job_name})"
        )

    common: dict[str, Any] = {
        "monitor_all_code_locations": bool(monitor_all_code_locations),
        "default_status": default_status or dg.DefaultSensorStatus.STOPPED,
    }
    if minimum_interval_seconds is not None:
        common["minimum_interval_seconds"] = minimum_interval_seconds

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name=f"{prefix}_success",
        description="Emits OpenLineage START/COMPLETE events for successful runs (dagster-lineage).",
        **common,
    )
    def _success(context: dg.RunStatusSensorContext) -> None:
        emit(context, None)

    @dg.run_failure_sensor(
        name=f"{prefix}_failure",
        description="Emits OpenLineage START/FAIL events for failed runs (dagster-lineage).",
        **common,
    )
    def _failure(context: dg.RunFailureSensorContext) -> None:
        message = None
        if context.failure_event is not None:
            message = context.failure_event.message
        emit(context, message)

    return [_success, _failure]
