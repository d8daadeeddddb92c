"""Lineage checksums on dbt's event stream, event by event (:func:`with_lineage`).

dagster-dbt turns dbt's log into Dagster events as dbt emits them. :func:`with_lineage` adds to
each materialization what ``@dbt_lineage_assets`` records (code, schema, data and upstream
checksums, the observed columns) **as it arrives**, reading the warehouse through the dbt adapter
of the invocation (``adapter.get_columns_in_relation`` / ``adapter.execute``), so it works on any
warehouse dbt reaches. It follows dagster-dbt's own rule (``DbtEventIterator._attach_metadata``):
on DuckDB, whose file the dbt process holds locked while it writes, the events are collected until
the dbt process ends, then every collected event is enriched and yielded **before** the error of a
failed build is re-raised; on every other warehouse each event is enriched and yielded at once.

Enrichment never fails a run (a warning names the event), except
:class:`~dagster_lineage.errors.StorageUnavailableError`: the Dagster instance cannot record the
materialization, so the step fails loudly.

Examples:
    >>> from dagster_lineage.defs.dbt.stream import with_lineage
    >>> callable(with_lineage)
    True
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import dagster as dg

from dagster_lineage.core.model import ColumnInfo
from dagster_lineage.defs.dbt.translator import DagsterDbtLineageTranslator
from dagster_lineage.defs.metadata import columns_from_metadata
from dagster_lineage.defs.metadata_keys import CODE_CHECKSUM_KEY, UPSTREAM_CHECKSUM_KEY
from dagster_lineage.defs.recording import checksum_metadata
from dagster_lineage.errors import StorageUnavailableError
from dagster_lineage.integrations.dbt.manifest import adapter_type

if TYPE_CHECKING:
    from dagster_dbt import DbtCliInvocation, DbtProject

    from dagster_lineage.state.warehouse import TableHandle

logger = logging.getLogger("dagster_lineage.dbt")

_STATS_KINDS = ("duckdb", "postgres")  # warehouses whose data checksum SQL we know


def with_lineage(
    invocation: DbtCliInvocation,
    events: Iterable[Any] | None = None,
) -> Iterator[Any]:
    """Stream a dbt invocation's Dagster events with lineage checksums on each materialization.

    The one call to add to the stream a ``@dbt_assets`` (or ``@dbt_lineage_assets``) function
    already writes. Each materialization gets, as dbt emits it, the entries of
    :func:`~dagster_lineage.defs.recording.checksum_metadata` (code, schema, data and upstream
    checksums, ``dagster/column_schema`` as observed through the dbt adapter, row count); asset
    check results and observations pass through unchanged and in order. When dbt fails, every
    event it emitted before is yielded (enriched) and then the error fails the step, as without
    this call. On DuckDB the events wait for the dbt process to end (it holds the file lock),
    exactly as dagster-dbt's ``fetch_row_counts()`` does.

    The invocation's translator should be a :class:`DagsterDbtLineageTranslator` (the assets'
    lineage records come from it); with another translator the events pass through unchanged with
    a warning. Inside ``@dbt_lineage_assets`` the events are enriched already: the call is then a
    no-op, so it is safe to write either way.

    Args:
        invocation: ``dbt.cli([...], context=context)``.
        events: the stream to enrich (default ``invocation.stream()``), e.g.
            ``invocation.stream().fetch_row_counts()``.

    Yields:
        The events of ``events``, in order, materializations with checksum metadata.

    Examples:
        >>> callable(with_lineage)
        True

        Typical use::

            from dagster_dbt import DbtCliResource, dbt_assets
            from dagster_lineage import DagsterDbtLineageTranslator, with_lineage

            @dbt_assets(manifest=project.manifest_path,
                        dagster_dbt_translator=DagsterDbtLineageTranslator())
            def my_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
                yield from with_lineage(dbt.cli(["build"], context=context))
    """
    stream = invocation.stream() if events is None else events
    translator = invocation.dagster_dbt_translator
    if not isinstance(translator, DagsterDbtLineageTranslator):
        logger.warning(
            "with_lineage: the dbt assets use %s, not a DagsterDbtLineageTranslator: events are "
            "not enriched. Pass dagster_dbt_translator=DagsterDbtLineageTranslator() to @dbt_assets.",
            type(translator).__name__,
        )
        yield from stream
        return
    yield from enrich_dbt_events(
        stream,
        context=invocation.context,
        manifest=invocation.manifest,
        translator=translator,
        project=invocation.project,
        invocation=lambda: invocation,
    )


def enrich_dbt_events(
    events: Iterable[Any],
    *,
    context: Any,
    manifest: Mapping[str, Any],
    translator: DagsterDbtLineageTranslator,
    project: DbtProject | None = None,
    invocation: Callable[[], DbtCliInvocation | None] | None = None,
) -> Iterator[Any]:
    """Yield ``events`` as they come, with checksum metadata on each dbt materialization.

    ``invocation`` returns the dbt invocation the events come from (its adapter reads the
    warehouse); without one, only what the events and the manifest say is recorded.

    Examples:
        >>> list(enrich_dbt_events([], context=None, manifest={},
        ...                        translator=DagsterDbtLineageTranslator()))
        []
    """
    enricher = _Enricher(manifest, translator, project, context, invocation or (lambda: None))
    iterator = iter(events)
    try:
        for event in iterator:
            if enricher.waits_for_process():
                collected, error = [event], None
                try:
                    for later in iterator:
                        collected.append(later)
                except Exception as e:  # noqa: BLE001 - re-raised below, after the events
                    error = e
                for done in collected:
                    yield enricher.enrich(done)
                if error is not None:
                    raise error
                return
            yield enricher.enrich(event)
    finally:
        enricher.close()


class _Enricher:
    """What one step needs to enrich its dbt events: records, fingerprints, nodes, the adapter."""

    def __init__(
        self,
        manifest: Mapping[str, Any],
        translator: DagsterDbtLineageTranslator,
        project: DbtProject | None,
        context: Any,
        invocation: Callable[[], DbtCliInvocation | None],
    ) -> None:
        self.manifest = manifest
        self.translator = translator
        self.project = project
        self.context = context
        self._invocation = invocation
        self.kind = adapter_type(manifest)
        self.observe = translator.get_lineage_settings().observe_columns
        self.records = translator.records_by_key(manifest, project)
        self.fingerprints = translator.get_lineage_analysis(manifest, project).fingerprints
        self.nodes = _nodes_by_key(manifest, translator)
        self._used_adapter: Any = None

    def adapter(self) -> Any:
        inv = self._invocation()
        return getattr(inv, "adapter", None) if inv is not None else None

    def close(self) -> None:
        """Let the warehouse go: dbt-duckdb keeps its (read-only) database open by default.

        A DuckDB file opened read-only in this process would refuse the next writer (the next
        step's dbt process, or an asset of the same process opening it read-write).
        """
        adapter = self._used_adapter
        if adapter is None:
            return
        try:
            adapter.cleanup_connections()
            if type(adapter).__name__ == "DuckDBAdapter":
                adapter.connections.env().close()
        except Exception as e:  # noqa: BLE001 - best effort: the run's result does not depend on it
            logger.debug("Could not close the dbt adapter's connections: %s", e)

    def waits_for_process(self) -> bool:
        """DuckDB allows no reader while dbt writes: wait for the process (dagster-dbt's rule)."""
        if not self.observe:  # nothing reads the warehouse: stream as dbt emits
            return False
        adapter = self.adapter()
        return adapter is not None and type(adapter).__name__ == "DuckDBAdapter"

    def enrich(self, event: Any) -> Any:
        try:
            if not isinstance(event, (dg.Output, dg.AssetMaterialization, dg.MaterializeResult)):
                return event
            metadata = event.metadata or {}
            if CODE_CHECKSUM_KEY in metadata or UPSTREAM_CHECKSUM_KEY in metadata:
                return event  # enriched already (``with_lineage`` inside ``@dbt_lineage_assets``)
            key = _event_key(event, self.context)
            record = self.records.get(tuple(key.path)) if key is not None else None
            if record is None or key is None:
                return event
            node = self.nodes.get(tuple(key.path))
            fp = self.fingerprints.get(str(node.get("unique_id"))) if node is not None else None
            extra = self._observe(
                node,
                event,
                lambda columns, table: checksum_metadata(
                    record,
                    context=self.context,
                    observed_columns=columns,
                    table=table,
                    code_parts=fp.explain_parts if fp is not None else None,
                ),
            )
            return _with_metadata(event, extra) if extra else event
        except StorageUnavailableError:
            # Not enrichment: the instance cannot record this materialization, so the run must
            # fail loudly rather than report success with nothing stored.
            raise
        except Exception as e:  # noqa: BLE001 - lineage is enrichment: never fail the run
            _warn(
                self.context, f"dagster-lineage: could not add lineage checksums to {event!r}: {e}"
            )
            return event

    def _observe(
        self,
        node: Mapping[str, Any] | None,
        event: Any,
        build: Callable[[list[ColumnInfo] | None, TableHandle | None], dict[str, Any]],
    ) -> dict[str, Any]:
        """``build(columns, table)`` with the columns the warehouse reports, inside one connection."""
        recorded = columns_from_metadata(getattr(event, "metadata", None) or {})
        columns = None if recorded is None else [ColumnInfo(c.name, c.data_type) for c in recorded]
        adapter = self.adapter() if self.observe and node is not None else None
        materialized = (node or {}).get("config", {}).get("materialized")
        if adapter is None or node is None or materialized == "ephemeral":
            return build(columns, None)
        self._used_adapter = adapter
        unique_id = str(node.get("unique_id"))
        schema, identifier = str(node.get("schema")), str(node.get("alias") or node.get("name"))
        with adapter.connection_named(f"dagster_lineage_{unique_id}"):
            if columns is None:
                try:
                    relation = adapter.Relation.create(
                        database=node.get("database"), schema=schema, identifier=identifier
                    )
                    found = adapter.get_columns_in_relation(relation)
                    columns = [ColumnInfo(str(c.name), _column_type(c)) for c in found]
                    columns = columns or None
                except Exception as e:  # noqa: BLE001 - enrichment: warn, record the rest
                    _warn(
                        self.context,
                        f"dagster-lineage: could not read the columns of {schema}.{identifier} "
                        f"({unique_id}) through the dbt adapter: {e}",
                    )
            return build(columns, self._table(adapter, schema, identifier))

    def _table(self, adapter: Any, schema: str, identifier: str) -> TableHandle | None:
        if self.kind not in _STATS_KINDS:
            return None
        from dagster_lineage.state.warehouse import TableHandle

        def execute(sql: str) -> list[Any]:
            return list(adapter.execute(sql, auto_begin=True, fetch=True)[1].rows)

        return TableHandle.from_executor(self.kind, f"{schema}.{identifier}", execute)  # type: ignore[arg-type]


def _column_type(column: Any) -> str:
    """The warehouse's type of a dbt ``Column``, lower-case.

    ``Column.data_type`` gives a string without a declared length dbt's default length
    (``character varying(256)`` for DuckDB's ``VARCHAR``): the raw ``dtype`` is the truth then.

    Examples:
        >>> from dbt.adapters.base.column import Column
        >>> _column_type(Column("a", "VARCHAR")), _column_type(Column("b", "character varying", 20))
        ('varchar', 'character varying(20)')
        >>> _column_type(Column("c", "numeric", numeric_precision=10, numeric_scale=2))
        'numeric(10,2)'
    """
    if column.is_string() and column.char_size is None:
        return str(column.dtype).lower()
    return str(column.data_type).lower()


def _warn(context: Any, message: str) -> None:
    log = getattr(context, "log", None)
    (log if log is not None else logger).warning(message)


def _nodes_by_key(
    manifest: Mapping[str, Any], translator: DagsterDbtLineageTranslator
) -> dict[tuple[str, ...], Mapping[str, Any]]:
    out = {}
    for node in (manifest.get("nodes") or {}).values():
        if node.get("resource_type") in ("model", "seed", "snapshot"):
            out[tuple(translator.get_asset_key(node).path)] = node
    return out


def _event_key(event: Any, context: Any) -> dg.AssetKey | None:
    if isinstance(event, dg.Output):
        if context is None:
            return None
        return context.asset_key_for_output(event.output_name)
    if isinstance(event, (dg.AssetMaterialization, dg.MaterializeResult)):
        return event.asset_key
    return None


def _with_metadata(event: Any, extra: Mapping[str, Any]) -> Any:
    if isinstance(event, (dg.Output, dg.AssetMaterialization)):
        return event.with_metadata({**(event.metadata or {}), **extra})
    if isinstance(event, dg.MaterializeResult):
        return dg.MaterializeResult(
            asset_key=event.asset_key,
            metadata={**(event.metadata or {}), **extra},
            check_results=event.check_results,
            data_version=event.data_version,
            tags=event.tags,
            value=event.value,
        )
    return event


class InvocationRecorder:
    """A ``DbtCliResource`` stand-in that remembers the invocations its ``cli`` starts.

    ``@dbt_lineage_assets`` and ``DbtLineageProjectComponent`` pass it to the user's function in
    place of the resource, so the events the function yields can be enriched through the adapter
    of the invocation they came from. Every other attribute is the resource's.

    Examples:
        >>> class Fake:
        ...     target = "dev"
        ...     def cli(self, args, **kwargs):
        ...         return ("invocation", tuple(args))
        >>> rec = InvocationRecorder(Fake())
        >>> rec.cli(["build"]), rec.target, rec.latest()
        (('invocation', ('build',)), 'dev', ('invocation', ('build',)))
    """

    def __init__(self, resource: Any) -> None:
        self._resource = resource
        self._invocations: list[Any] = []

    def cli(self, *args: Any, **kwargs: Any) -> Any:
        """``DbtCliResource.cli``, remembered."""
        invocation = self._resource.cli(*args, **kwargs)
        self._invocations.append(invocation)
        return invocation

    def latest(self) -> Any:
        """The last invocation started, or ``None``."""
        return self._invocations[-1] if self._invocations else None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._resource, name)
