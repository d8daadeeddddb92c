"""Lineage records as OpenLineage events: datasets with schema and column-lineage facets.

Pure (no Dagster import); the models are the official ``openlineage-python`` client's, so every event
built here is one the client validates, serialises and sends through its transports (install
``dagster-lineage[openlineage]``).

**Edges.** Each output column's upstream columns become ``columnLineage`` input fields:

- ``identity`` -> ``DIRECT``/``IDENTITY``;
- ``rename`` -> ``DIRECT``/``IDENTITY`` with the description ``rename <old> -> <new>``: the spec's
  subtypes describe what happens to the *value*, and a rename passes the value through unchanged
  (OpenLineage's own SQL parser reports ``SELECT a AS b`` the same way); the description keeps
  what our model knows beyond the spec;
- ``transformation`` -> ``DIRECT``/``TRANSFORMATION``; ``aggregation`` -> ``DIRECT``/``AGGREGATION``.

Columns that shape an output column without flowing into it (``AssetLineage.indirect_deps``: window
partition/order, filter, join, group) are ``INDIRECT`` input fields of that column; the columns an
asset only reads (``AssetLineage.reads``) affect the whole dataset and go to the facet's
``dataset`` list, also ``INDIRECT``. Clauses map to subtypes: filter/having/qualify -> ``FILTER``,
join -> ``JOIN``, group -> ``GROUP_BY``, order -> ``SORT``, window -> ``WINDOW``; a column read in
the select list only (no spec subtype) is ``INDIRECT`` with a description and no subtype.

**Naming** follows the OpenLineage naming spec, as the dbt integration (``dbt-ol``) applies it, so
the same table is the same dataset in a catalog whichever tool reported it: a warehouse table is
``<namespace>`` = ``duckdb://<path of the profile>`` / ``postgres://host:port`` / ... and
``<name>`` = ``database.schema.table``. Assets that are not warehouse tables (a DAG, a dashboard)
are datasets in :attr:`OpenLineageNaming.asset_namespace` named by their asset key. Jobs live in
``OPENLINEAGE_NAMESPACE`` (default ``default``, as for ``dbt-ol`` and ``openlineage-dagster``), one
job per asset named by its asset key; run events of a Dagster run have the Dagster job as parent.

Examples:
    >>> from dagster_lineage.core.model import (
    ...     AssetLineage, AssetType, ColumnDep, ColumnInfo, ColumnRef, EdgeKind,
    ... )
    >>> raw = AssetLineage(key=("raw",), asset_type=AssetType.TABLE, source_ref="main.raw",
    ...                    columns=(ColumnInfo("total", "decimal(10,2)"),))
    >>> fct = AssetLineage(key=("fct",), asset_type=AssetType.DBT_MODEL, upstream=(("raw",),),
    ...                    columns=(ColumnInfo("amount", "decimal(10,2)"),),
    ...                    column_deps={"amount": (ColumnDep(ColumnRef(("raw",), "total"),
    ...                                                      EdgeKind.RENAME),)})
    >>> naming = OpenLineageNaming(dataset_namespace="duckdb:///w.duckdb", database="w",
    ...                            table_names={("fct",): "w.main.fct"})
    >>> events = build_openlineage_events([raw, fct], naming=naming)
    >>> [type(e).__name__ for e in events]
    ['DatasetEvent', 'DatasetEvent', 'JobEvent']
    >>> job = events[-1]
    >>> job.job.name, [d.name for d in job.inputs], [d.name for d in job.outputs]
    ('fct', ['w.main.raw'], ['w.main.fct'])
    >>> [field] = job.outputs[0].facets["columnLineage"].fields["amount"].inputFields
    >>> field.name, field.field, [(t.type, t.subtype, t.description) for t in field.transformations]
    ('w.main.raw', 'total', [('DIRECT', 'IDENTITY', 'rename total -> amount')])
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Clause,
    ColumnRead,
    EdgeKind,
    key_to_str,
)
from dagster_lineage.errors import IntegrationError

if TYPE_CHECKING:
    from openlineage.client.event_v2 import (
        DatasetEvent,
        InputDataset,
        JobEvent,
        OutputDataset,
        RunEvent,
    )

PRODUCER = "https://github.com/dagster-lineage/dagster-lineage"
"""The ``producer`` URI of every event and facet we build."""

DIRECT_SUBTYPES: Mapping[EdgeKind, str] = {
    EdgeKind.IDENTITY: "IDENTITY",
    EdgeKind.RENAME: "IDENTITY",
    EdgeKind.TRANSFORMATION: "TRANSFORMATION",
    EdgeKind.AGGREGATION: "AGGREGATION",
}
"""Our edge kinds as OpenLineage ``DIRECT`` subtypes (a rename keeps the value: ``IDENTITY``)."""

INDIRECT_SUBTYPES: Mapping[Clause, str | None] = {
    Clause.FILTER: "FILTER",
    Clause.HAVING: "FILTER",
    Clause.QUALIFY: "FILTER",
    Clause.JOIN: "JOIN",
    Clause.GROUP: "GROUP_BY",
    Clause.ORDER: "SORT",
    Clause.WINDOW: "WINDOW",
    Clause.SELECT: None,
}
"""Our clauses as OpenLineage ``INDIRECT`` subtypes (``None``: the spec has no subtype for it)."""

_TABLE_TYPES = (AssetType.TABLE, AssetType.DBT_SOURCE)


def _require_client() -> Any:
    try:
        import openlineage.client.event_v2 as event_v2
    except ImportError:
        raise IntegrationError(
            "openlineage",
            "the OpenLineage client is not installed",
            fix="pip install 'dagster-lineage[openlineage]' (it installs openlineage-python).",
        ) from None
    return event_v2


def _default_job_namespace() -> str:
    return os.environ.get("OPENLINEAGE_NAMESPACE") or "default"


@dataclass(frozen=True)
class OpenLineageNaming:
    """How assets become OpenLineage datasets and jobs.

    Attributes:
        dataset_namespace: the namespace of the warehouse tables, as the dbt integration writes it
            (``duckdb://<profile path>``, ``postgres://host:port``, ...). ``None``: tables are
            named in ``asset_namespace`` like every other asset.
        database: the database that completes a ``schema.table`` name (for DuckDB, the file's
            stem, as dbt-duckdb reports it).
        schema: the schema that completes a bare ``table`` name.
        table_names: asset key -> table (``db.schema.table``, quoted or not), e.g. the specs'
            ``dagster/table_name``; wins over a record's own ``source_ref``.
        asset_namespace: namespace of the assets that are not warehouse tables.
        job_namespace: the jobs' namespace (``OPENLINEAGE_NAMESPACE``, else ``default``).

    Examples:
        >>> n = OpenLineageNaming(dataset_namespace="postgres://db:5432", database="shop",
        ...                       schema="public", job_namespace="default")
        >>> n.dataset(AssetLineage(key=("raw",), asset_type=AssetType.TABLE, source_ref="raw"))
        ('postgres://db:5432', 'shop.public.raw')
        >>> n.dataset(AssetLineage(key=("reports", "daily"), asset_type=AssetType.DAG))
        ('dagster', 'reports/daily')
    """

    dataset_namespace: str | None = None
    database: str | None = None
    schema: str | None = None
    table_names: Mapping[AssetKeyPath, str] = field(default_factory=dict)
    asset_namespace: str = "dagster"
    job_namespace: str = field(default_factory=_default_job_namespace)

    def table_of(self, record: AssetLineage) -> tuple[str, ...] | None:
        """The ``(database, schema, table)`` parts of an asset's table, or ``None``."""
        raw = self.table_names.get(record.key)
        if raw is None and record.asset_type in _TABLE_TYPES and record.source_ref:
            raw = record.source_ref
        if not raw:
            return None
        parts = _split_table(raw)
        if not parts:
            return None
        if len(parts) == 1 and self.schema:
            parts = (self.schema, *parts)
        if len(parts) == 2 and self.database:
            parts = (self.database, *parts)
        return parts

    def dataset(self, record: AssetLineage) -> tuple[str, str]:
        """``(namespace, name)`` of the dataset an asset is."""
        parts = self.table_of(record) if self.dataset_namespace else None
        if parts and self.dataset_namespace:
            return self.dataset_namespace, ".".join(parts)
        return self.asset_namespace, key_to_str(record.key)

    def job_name(self, key: AssetKeyPath) -> str:
        """The name of the job that produces an asset (its asset key)."""
        return key_to_str(key)


def _split_table(text: str) -> tuple[str, ...]:
    """``"w"."main"."t"`` / ``w.main.t`` -> ``("w", "main", "t")``, through sqlglot."""
    import sqlglot
    from sqlglot import exp

    try:
        table = exp.to_table(text.strip(), dialect="duckdb")
    except (sqlglot.errors.ParseError, ValueError):
        return tuple(p.strip('"`') for p in text.split(".") if p)
    return tuple(p.name for p in table.parts)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def _schema_facet(record: AssetLineage) -> Any:
    from openlineage.client.generated import schema_dataset

    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(
                name=c.name, type=c.data_type, description=c.description, ordinal_position=i + 1
            )
            for i, c in enumerate(record.columns)
        ],
        producer=PRODUCER,
    )


class _Resolver:
    """Datasets of every record, with the upstream ones the graph does not hold named too."""

    def __init__(self, records: Mapping[AssetKeyPath, AssetLineage], naming: OpenLineageNaming):
        self.records = records
        self.naming = naming

    def dataset(self, key: AssetKeyPath) -> tuple[str, str]:
        record = self.records.get(key) or AssetLineage(key=key)
        return self.naming.dataset(record)


def _input_field(
    resolver: _Resolver, asset: AssetKeyPath, column: str, transformations: list[Any]
) -> Any:
    from openlineage.client.generated import column_lineage_dataset as cl

    namespace, name = resolver.dataset(asset)
    return cl.InputField(
        namespace=namespace, name=name, field=column, transformations=transformations
    )


def _indirect(read: ColumnRead) -> Any:
    from openlineage.client.generated import column_lineage_dataset as cl

    subtype = INDIRECT_SUBTYPES.get(read.clause)
    description = None if subtype and read.clause.value.upper() == subtype else read.clause.value
    if read.clause == Clause.SELECT:
        description = "read in the select list"
    return cl.Transformation(
        type="INDIRECT", subtype=subtype, description=description, masking=False
    )


def column_lineage_facet(record: AssetLineage, resolver: _Resolver) -> Any | None:
    """The ``columnLineage`` facet of one asset's dataset (``None`` when it has no edges).

    Input fields are grouped by upstream column, each with all its transformations (an output may
    use a column both directly and in a filter), sorted for deterministic output.
    """
    from openlineage.client.generated import column_lineage_dataset as cl

    fields: dict[str, Any] = {}
    for column in sorted(set(record.column_deps) | set(record.indirect_deps)):
        by_ref: dict[tuple[AssetKeyPath, str], list[Any]] = {}
        kinds: set[EdgeKind] = set()
        for dep in sorted(set(record.column_deps.get(column, ()))):
            kinds.add(dep.kind)
            description = (
                f"rename {dep.upstream.column} -> {column}" if dep.kind == EdgeKind.RENAME else None
            )
            by_ref.setdefault((dep.upstream.asset, dep.upstream.column), []).append(
                cl.Transformation(
                    type="DIRECT",
                    subtype=DIRECT_SUBTYPES[dep.kind],
                    description=description,
                    masking=False,
                )
            )
        for read in sorted(set(record.indirect_deps.get(column, ()))):
            by_ref.setdefault((read.upstream.asset, read.upstream.column), []).append(
                _indirect(read)
            )
        if not by_ref:
            continue
        fields[column] = cl.Fields(
            inputFields=[
                _input_field(resolver, asset, col, transformations)
                for (asset, col), transformations in sorted(by_ref.items())
            ],
            transformationType="IDENTITY"
            if kinds and all(k.is_pass_through for k in kinds)
            else None,
        )
    reads: dict[tuple[AssetKeyPath, str], list[Any]] = {}
    for read in sorted(set(record.reads)):
        reads.setdefault((read.upstream.asset, read.upstream.column), []).append(_indirect(read))
    dataset = [
        _input_field(resolver, asset, col, transformations)
        for (asset, col), transformations in sorted(reads.items())
    ]
    if not fields and not dataset:
        return None
    return cl.ColumnLineageDatasetFacet(fields=fields, dataset=dataset, producer=PRODUCER)


def _dataset_facets(record: AssetLineage | None) -> dict[str, Any]:
    from openlineage.client.generated import documentation_dataset, ownership_dataset

    facets: dict[str, Any] = {}
    if record is None:
        return facets
    if record.columns:
        facets["schema"] = _schema_facet(record)
    if record.description:
        facets["documentation"] = documentation_dataset.DocumentationDatasetFacet(
            description=record.description, producer=PRODUCER
        )
    if record.owners:
        facets["ownership"] = ownership_dataset.OwnershipDatasetFacet(
            owners=[ownership_dataset.Owner(name=o) for o in sorted(set(record.owners))],
            producer=PRODUCER,
        )
    return facets


def input_datasets(record: AssetLineage, resolver: _Resolver) -> list[InputDataset]:
    """The upstream datasets of an asset, each with its schema (when the graph knows it)."""
    event_v2 = _require_client()
    out = []
    for up in sorted(set(record.upstream)):
        namespace, name = resolver.dataset(up)
        out.append(
            event_v2.InputDataset(
                namespace=namespace, name=name, facets=_dataset_facets(resolver.records.get(up))
            )
        )
    return out


def output_dataset(
    record: AssetLineage,
    resolver: _Resolver,
    *,
    row_count: int | None = None,
) -> OutputDataset:
    """The dataset an asset is, with schema, documentation, ownership and column lineage facets.

    ``row_count`` (run time) adds the ``outputStatistics`` output facet.
    """
    from openlineage.client.generated import output_statistics_output_dataset as stats

    event_v2 = _require_client()
    facets = _dataset_facets(record)
    lineage = column_lineage_facet(record, resolver)
    if lineage is not None:
        facets["columnLineage"] = lineage
    output_facets: dict[str, Any] = {}
    if row_count is not None:
        output_facets["outputStatistics"] = stats.OutputStatisticsOutputDatasetFacet(
            rowCount=int(row_count), producer=PRODUCER
        )
    namespace, name = resolver.dataset(record.key)
    return event_v2.OutputDataset(
        namespace=namespace, name=name, facets=facets, outputFacets=output_facets
    )


def _job(key: AssetKeyPath, record: AssetLineage, naming: OpenLineageNaming) -> Any:
    from openlineage.client.generated import documentation_job, job_type_job

    event_v2 = _require_client()
    facets: dict[str, Any] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH",
            integration="DAGSTER",
            jobType=record.asset_type.value.upper(),
            producer=PRODUCER,
        )
    }
    if record.description:
        facets["documentation"] = documentation_job.DocumentationJobFacet(
            description=record.description, producer=PRODUCER
        )
    return event_v2.Job(namespace=naming.job_namespace, name=naming.job_name(key), facets=facets)


def _produced(record: AssetLineage) -> bool:
    """Whether some job produces the asset (it has inputs or code), so it gets a job event."""
    return bool(record.upstream) or record.code_checksum is not None


def build_openlineage_events(
    records: Iterable[AssetLineage],
    *,
    naming: OpenLineageNaming | None = None,
    event_time: str | None = None,
) -> list[DatasetEvent | JobEvent]:
    """The static graph as OpenLineage events: a ``DatasetEvent`` per asset, ``JobEvent`` per job.

    A job event is built for every asset that something produces (it has inputs or code): its
    inputs are the upstream datasets, its output the asset's dataset with the ``columnLineage``
    facet.

    Args:
        records: the lineage records (``LineageGraph.records()`` or a state file's).
        naming: datasets' and jobs' names (default :class:`OpenLineageNaming`).
        event_time: ISO 8601 time of the events (default now, UTC).

    Returns:
        Dataset events sorted by dataset, then job events sorted by job name.
    """
    event_v2 = _require_client()
    naming = naming or OpenLineageNaming()
    by_key = {r.key: r for r in records}
    resolver = _Resolver(by_key, naming)
    when = event_time or _now()
    datasets = []
    for key in sorted(by_key):
        record = by_key[key]
        namespace, name = naming.dataset(record)
        datasets.append(
            event_v2.DatasetEvent(
                eventTime=when,
                producer=PRODUCER,
                dataset=event_v2.StaticDataset(
                    namespace=namespace, name=name, facets=_dataset_facets(record)
                ),
            )
        )
    jobs = []
    for key in sorted(by_key, key=naming.job_name):
        record = by_key[key]
        if not _produced(record):
            continue
        jobs.append(
            event_v2.JobEvent(
                eventTime=when,
                producer=PRODUCER,
                job=_job(key, record, naming),
                inputs=input_datasets(record, resolver),
                outputs=[output_dataset(record, resolver)],
            )
        )
    datasets.sort(key=lambda e: (e.dataset.namespace, e.dataset.name))
    return [*datasets, *jobs]


@dataclass(frozen=True)
class AssetRun:
    """One asset's part of a Dagster run, for :func:`build_run_events`.

    Attributes:
        key: the asset key.
        succeeded: whether it was materialized (``False``: planned, not materialized).
        row_count: ``dagster/row_count`` of its materialization, when recorded.
        start_time: when its step started (ISO 8601), default the run's start.
        end_time: when it was materialized or the step ended (ISO 8601), default the run's end.

    Examples:
        >>> AssetRun(("fct",), succeeded=True, row_count=3).row_count
        3
    """

    key: AssetKeyPath
    succeeded: bool
    row_count: int | None = None
    start_time: str | None = None
    end_time: str | None = None


def build_run_events(
    records: Mapping[AssetKeyPath, AssetLineage] | Iterable[AssetLineage],
    *,
    run_id: str,
    job_name: str,
    succeeded: bool,
    assets: Sequence[AssetRun],
    start_time: str,
    end_time: str,
    naming: OpenLineageNaming | None = None,
    error_message: str | None = None,
) -> list[RunEvent]:
    """START and COMPLETE/FAIL run events of one Dagster run and of each asset it materialized.

    The run's own events use the Dagster job as job and the Dagster run id as run id (as
    ``openlineage-dagster`` does); each asset gets a child run (a UUID derived from the run id and
    the asset key, so re-emitting is idempotent) with the ``parent`` facet, its inputs, and its
    output dataset with the static facets plus ``outputStatistics`` (row count).

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> events = build_run_events(
        ...     [AssetLineage(key=("a",))], run_id="0b7e3a8e-0000-4000-8000-000000000000",
        ...     job_name="__ASSET_JOB", succeeded=True,
        ...     assets=[AssetRun(("a",), succeeded=True, row_count=2)],
        ...     start_time="2026-01-01T00:00:00+00:00", end_time="2026-01-01T00:01:00+00:00")
        >>> [(e.eventType.value, e.job.name) for e in events]
        [('START', '__ASSET_JOB'), ('START', 'a'), ('COMPLETE', 'a'), ('COMPLETE', '__ASSET_JOB')]
        >>> events[2].outputs[0].outputFacets["outputStatistics"].rowCount
        2
    """
    import uuid

    from openlineage.client.generated import error_message_run, parent_run

    event_v2 = _require_client()
    naming = naming or OpenLineageNaming()
    by_key = dict(records) if isinstance(records, Mapping) else {r.key: r for r in records}
    resolver = _Resolver(by_key, naming)
    ol_run_id = _as_uuid(run_id)
    run_job = event_v2.Job(namespace=naming.job_namespace, name=job_name)
    end_state = event_v2.RunState.COMPLETE if succeeded else event_v2.RunState.FAIL
    run_facets: dict[str, Any] = {}
    if not succeeded and error_message:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error_message, programmingLanguage="python", producer=PRODUCER
        )
    out: list[Any] = [
        event_v2.RunEvent(
            eventType=event_v2.RunState.START,
            eventTime=start_time,
            run=event_v2.Run(runId=ol_run_id),
            job=run_job,
            producer=PRODUCER,
        )
    ]
    parent = parent_run.ParentRunFacet(
        run=parent_run.Run(runId=ol_run_id),
        job=parent_run.Job(namespace=naming.job_namespace, name=job_name),
        producer=PRODUCER,
    )
    for asset in sorted(assets, key=lambda a: a.key):
        record = by_key.get(asset.key) or AssetLineage(key=asset.key)
        child_id = str(uuid.uuid5(uuid.UUID(ol_run_id), key_to_str(asset.key)))
        job = _job(asset.key, record, naming)
        inputs = input_datasets(record, resolver)
        run = event_v2.Run(runId=child_id, facets={"parent": parent})
        out.append(
            event_v2.RunEvent(
                eventType=event_v2.RunState.START,
                eventTime=asset.start_time or start_time,
                run=run,
                job=job,
                inputs=inputs,
                outputs=[output_dataset(record, resolver)],
                producer=PRODUCER,
            )
        )
        out.append(
            event_v2.RunEvent(
                eventType=(
                    event_v2.RunState.COMPLETE if asset.succeeded else event_v2.RunState.FAIL
                ),
                eventTime=asset.end_time or end_time,
                run=run,
                job=job,
                inputs=inputs,
                outputs=[
                    output_dataset(
                        record, resolver, row_count=asset.row_count if asset.succeeded else None
                    )
                ],
                producer=PRODUCER,
            )
        )
    out.append(
        event_v2.RunEvent(
            eventType=end_state,
            eventTime=end_time,
            run=event_v2.Run(runId=ol_run_id, facets=run_facets),
            job=run_job,
            producer=PRODUCER,
        )
    )
    return out


def _as_uuid(run_id: str) -> str:
    """A Dagster run id is a UUID; anything else is mapped to a stable UUID of its text."""
    import uuid

    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dagster-run:{run_id}"))


def event_to_json(event: Any) -> str:
    """One event as the JSON the client's transports send (``Serde``), keys sorted.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> [e] = build_openlineage_events([AssetLineage(key=("a",))],
        ...                                event_time="2026-01-01T00:00:00+00:00")
        >>> json.loads(event_to_json(e))["dataset"]
        {'facets': {}, 'name': 'a', 'namespace': 'dagster'}
    """
    from openlineage.client.serde import Serde

    return json.dumps(json.loads(Serde.to_json(event)), sort_keys=True)


def event_file_name(index: int, event: Any) -> str:
    """A file name for one event of an export folder (ordered, readable, unique).

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> [e] = build_openlineage_events([AssetLineage(key=("a", "b"))])
        >>> event_file_name(0, e)
        '0000-dataset-dagster-a_b.json'
    """
    if hasattr(event, "dataset"):
        kind, label = "dataset", f"{event.dataset.namespace}-{event.dataset.name}"
    else:
        kind, label = ("job" if not hasattr(event, "run") else "run"), event.job.name
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in label)
    return f"{index:04d}-{kind}-{safe[:120]}.json"
