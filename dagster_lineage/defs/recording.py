"""Checksum metadata recorded on every materialization.

Every lineage-aware asset factory (dbt, Airflow, Spark, file globs) calls :func:`checksum_metadata`
when it materializes an asset and adds the returned entries to the materialization's metadata, so the
checksums live in the Dagster instance (SQLite or PostgreSQL) next to each materialization:

- ``dagster_lineage/code_checksum``: the asset's code (compiled SQL and config, DAG file and its SQL,
  job file and local imports, a declared file set);
- ``dagster_lineage/schema_checksum`` with ``dagster/column_schema``: the schema produced (names and
  types, order-independent; the schema itself is recorded once, in Dagster's own entry), and
  ``dagster_lineage/declared_schema_checksum`` for the schema the lineage record declares (what
  ``dagster-lineage changed`` compares);
- ``dagster_lineage/data_checksum`` and ``dagster/row_count`` when a warehouse table handle is given;
- ``dagster_lineage/upstream_checksum`` folding the parents' last recorded checksums, with the
  parents' checksums themselves in ``dagster_lineage/parent_checksums``.

Examples:
    >>> from dagster_lineage.core.model import AssetLineage, ColumnInfo
    >>> from dagster_lineage.defs.recording import checksum_metadata
    >>> md = checksum_metadata(AssetLineage(key=("a",), code_checksum="c1", columns=(ColumnInfo("x", "int"),)))
    >>> sorted(md)  # doctest: +NORMALIZE_WHITESPACE
    ['dagster/column_lineage', 'dagster/column_schema', 'dagster_lineage/code_checksum',
     'dagster_lineage/declared_schema_checksum', 'dagster_lineage/parent_checksums', 'dagster_lineage/schema_checksum', 'dagster_lineage/upstream_checksum']
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import dagster as dg

from dagster_lineage.core.model import AssetKeyPath, AssetLineage, ColumnInfo, key_to_str
from dagster_lineage.defs.metadata import column_lineage, columns_from_metadata, metadata_value
from dagster_lineage.defs.metadata_keys import (
    CODE_CHECKSUM_KEY,
    CODE_PARTS_KEY,
    CODE_SCHEME_KEY,
    COLUMN_LINEAGE_KEY,
    COLUMN_SCHEMA_KEY,
    DATA_CHECKSUM_KEY,
    DECLARED_SCHEMA_CHECKSUM_KEY,
    PARENT_CHECKSUMS_KEY,
    ROW_COUNT_KEY,
    SCHEMA_CHECKSUM_KEY,
    SCHEMA_KEY,
    UPSTREAM_CHECKSUM_KEY,
)
from dagster_lineage.errors import StorageUnavailableError
from dagster_lineage.state.checksums import (
    ParentState,
    code_scheme_for,
    normalize_schema,
    pack_code_parts,
    schema_checksum,
    upstream_checksum,
)
from dagster_lineage.state.compare import MaterializationState
from dagster_lineage.state.warehouse import TableHandle, table_stats

UNKNOWN_TYPE = "unknown"
"""Type written to ``dagster/column_schema`` for a column of unknown type (read back as ``None``)."""

_log = logging.getLogger("dagster_lineage")


# --- storage errors ---------------------------------------------------------------------------


def is_storage_error(exc: BaseException) -> bool:
    """True when ``exc`` (or an exception it was raised from) means the instance storage is down.

    Examples:
        >>> import sqlite3
        >>> is_storage_error(sqlite3.OperationalError("unable to open database file"))
        True
        >>> is_storage_error(ValueError("x"))
        False
    """
    import sqlalchemy.exc

    kinds: tuple[type[BaseException], ...] = (
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        sqlite3.OperationalError,
    )
    try:
        import psycopg2

        kinds = (*kinds, psycopg2.OperationalError, psycopg2.InterfaceError)
    except ImportError:  # pragma: no cover - psycopg2 comes with dagster-postgres
        pass
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, StorageUnavailableError):
            return True
        if isinstance(cur, kinds) or type(cur).__name__ == "DagsterPostgresException":
            return True
        cur = cur.__cause__ or cur.__context__
    return False


def describe_storage(instance: dg.DagsterInstance | None) -> str:
    """A short name of the instance's event storage for messages (no credentials).

    Examples:
        >>> describe_storage(None)
        'Dagster instance storage'
    """
    if instance is None:
        return "Dagster instance storage"
    name = type(instance.event_log_storage).__name__.lower()
    if "postgres" in name:
        return "PostgreSQL event log storage of the Dagster instance"
    if "sqlite" in name:
        return "SQLite event log storage in DAGSTER_HOME"
    if "inmemory" in name:
        return "in-memory event log storage"
    return f"{type(instance.event_log_storage).__name__} of the Dagster instance"


def _first_line(exc: BaseException) -> str:
    root: BaseException = exc
    while root.__cause__ is not None:
        root = root.__cause__
    text = str(root).strip() or type(root).__name__
    return text.splitlines()[0][:300]


@contextmanager
def storage_guard(
    instance: dg.DagsterInstance | None,
    what: str,
    *,
    announce: bool = False,
    storage: str | None = None,
) -> Iterator[None]:
    """Turn storage connection errors raised inside the block into :class:`StorageUnavailableError`.

    ``storage`` names the storage in the message (default: from the instance). With ``announce``
    the error is also logged on the ``dagster_lineage`` Python logger (stderr):
    inside a run whose event log is on the unreachable storage, Dagster cannot record it.

    Examples:
        >>> import sqlite3
        >>> try:
        ...     with storage_guard(None, "reading"):
        ...         raise sqlite3.OperationalError("disk I/O error")
        ... except StorageUnavailableError as e:
        ...     "unreachable" in str(e)
        True
    """
    try:
        yield
    except StorageUnavailableError:
        raise
    except Exception as e:
        if is_storage_error(e):
            err = StorageUnavailableError(
                storage or describe_storage(instance),
                f"{what} failed: {_first_line(e)}",
                recording=announce,  # announce: inside a run that records
            )
            if announce:
                _log.error("dagster-lineage: %s", err)
            raise err from e
        raise


# --- reading recorded checksums back -------------------------------------------------------------


def _str_or_none(value: Any) -> str | None:
    value = metadata_value(value)
    return str(value) if value is not None else None


def parent_state_from_metadata(metadata: Mapping[str, Any]) -> ParentState:
    """The checksums recorded in a materialization's metadata, as a child sees them.

    Examples:
        >>> parent_state_from_metadata({"dagster_lineage/code_checksum": "c"}).code
        'c'
    """
    return ParentState(
        code=_str_or_none(metadata.get(CODE_CHECKSUM_KEY)),
        schema=_str_or_none(metadata.get(SCHEMA_CHECKSUM_KEY)),
        data=_str_or_none(metadata.get(DATA_CHECKSUM_KEY)),
        upstream=_str_or_none(metadata.get(UPSTREAM_CHECKSUM_KEY)),
    )


def _compact(state: ParentState | None) -> dict[str, str] | None:
    """A parent's checksums without the ``None`` entries (``ParentState.from_dict`` reads them)."""
    if state is None:
        return None
    return {k: v for k, v in state.to_dict().items() if v is not None}


def recorded_schema(metadata: Mapping[str, Any]) -> dict[str, str | None] | None:
    """The schema a materialization recorded, as ``{lower-case name: normalized type}``.

    Read from ``dagster/column_schema`` (a column of type ``unknown`` reads as ``None``), or from
    the legacy ``dagster_lineage/schema`` entry of older materializations; ``None`` when neither
    is there.

    Examples:
        >>> import dagster as dg
        >>> recorded_schema({"dagster/column_schema": dg.TableSchema(columns=[
        ...     dg.TableColumn("ID", "INTEGER"), dg.TableColumn("x", "unknown")])})
        {'id': 'integer', 'x': None}
        >>> recorded_schema({"dagster_lineage/schema": {"id": "integer"}})
        {'id': 'integer'}
        >>> recorded_schema({}) is None
        True
    """
    legacy = metadata_value(metadata.get(SCHEMA_KEY))
    if isinstance(legacy, Mapping):
        return {str(k): (None if v is None else str(v)) for k, v in legacy.items()}
    columns = columns_from_metadata(metadata)
    if columns is None:
        return None
    return normalize_schema(
        (c.name, None if c.data_type == UNKNOWN_TYPE else c.data_type) for c in columns
    )


class _RecordedSchema(Mapping[str, "str | None"]):
    """:func:`recorded_schema` of a materialization, read on first use.

    Only a changed declared schema needs the recorded one (for the details), so the batched read of
    thousands of materializations does not normalize every schema up front.
    """

    def __init__(self, metadata: Mapping[str, Any]) -> None:
        self._metadata: Mapping[str, Any] | None = metadata
        self._schema: dict[str, str | None] = {}

    def _get(self) -> dict[str, str | None]:
        if self._metadata is not None:
            self._schema = recorded_schema(self._metadata) or {}
            self._metadata = None
        return self._schema

    def __getitem__(self, name: str) -> str | None:
        return self._get()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())

    def __repr__(self) -> str:
        return repr(self._get())


def state_from_metadata(
    key: AssetKeyPath,
    metadata: Mapping[str, Any],
    *,
    run_id: str,
    timestamp: float,
    storage_id: int,
    run_end_time: float | None = None,
) -> MaterializationState:
    """A :class:`MaterializationState` from one materialization's metadata.

    Examples:
        >>> s = state_from_metadata(("a",), {"dagster/row_count": 3}, run_id="r", timestamp=1.0, storage_id=2)
        >>> s.row_count
        3
    """
    parents_raw = metadata_value(metadata.get(PARENT_CHECKSUMS_KEY)) or {}
    parents: dict[str, ParentState | None] = {}
    if isinstance(parents_raw, Mapping):
        for k, v in parents_raw.items():
            parents[str(k)] = ParentState.from_dict(v) if isinstance(v, Mapping) else None
    rows = metadata_value(metadata.get(ROW_COUNT_KEY))
    return MaterializationState(
        key=key,
        run_id=run_id,
        timestamp=timestamp,
        storage_id=storage_id,
        code=_str_or_none(metadata.get(CODE_CHECKSUM_KEY)),
        schema=_str_or_none(metadata.get(SCHEMA_CHECKSUM_KEY)),
        declared_schema=_str_or_none(metadata.get(DECLARED_SCHEMA_CHECKSUM_KEY)),
        data=_str_or_none(metadata.get(DATA_CHECKSUM_KEY)),
        upstream=_str_or_none(metadata.get(UPSTREAM_CHECKSUM_KEY)),
        parents=parents,
        columns=_RecordedSchema(metadata),
        row_count=int(rows) if isinstance(rows, (int, float)) else None,
        run_end_time=run_end_time,
        code_scheme=_str_or_none(metadata.get(CODE_SCHEME_KEY)),
        code_parts=_str_or_none(metadata.get(CODE_PARTS_KEY)),
    )


def _latest_parent_state(instance: dg.DagsterInstance, parent: AssetKeyPath) -> ParentState | None:
    with storage_guard(
        instance, f"reading the last materialization of {key_to_str(parent)}", announce=True
    ):
        entry = instance.get_latest_materialization_event(dg.AssetKey(list(parent)))
    if entry is None or entry.asset_materialization is None:
        return None
    return parent_state_from_metadata(entry.asset_materialization.metadata)


def _warn(context: Any, message: str) -> None:
    log = getattr(context, "log", None)
    if log is not None:
        log.warning(message)
    else:
        _log.warning(message)


# --- the hook ------------------------------------------------------------------------------------


def checksum_metadata(
    record: AssetLineage,
    *,
    context: Any | None = None,
    observed_columns: Sequence[ColumnInfo] | None = None,
    table: TableHandle | None = None,
    code_checksum: str | None = None,
    parent_states: Mapping[AssetKeyPath, ParentState | None] | None = None,
    instance: dg.DagsterInstance | None = None,
    code_parts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Metadata entries (code, schema, data and upstream checksums) for one materialization.

    Args:
        record: the asset's lineage record (carries its code checksum and declared columns).
        context: the Dagster execution context; its instance gives the parents' last checksums and
            its log receives warnings.
        observed_columns: the schema actually produced, when the factory knows it (else the table's
            columns, else the record's declared columns).
        table: a :class:`~dagster_lineage.state.warehouse.TableHandle` for the data checksum and row
            count (DuckDB or PostgreSQL).
        code_checksum: overrides ``record.code_checksum`` (e.g. recomputed at run time).
        parent_states: the parents' checksums when the caller knows them (e.g. parents materialized
            earlier in the same step); others are read from the instance.
        instance: the instance to read parents from when there is no ``context``.
        code_parts: the normalised code the fingerprint hashed (recorded compressed, for
            ``changed --explain``).

    Returns:
        Metadata entries to add to the materialization.

    Raises:
        StorageUnavailableError: the instance storage cannot be reached while reading the parents.
            Enrichment failures (table missing, warehouse locked) only log a warning and leave the
            entry out.

    Examples:
        >>> from dagster_lineage.core.model import AssetLineage
        >>> md = checksum_metadata(AssetLineage(key=("a",), code_checksum="c1"))
        >>> md["dagster_lineage/code_checksum"]
        'c1'
    """
    md: dict[str, Any] = {}
    code = code_checksum or record.code_checksum
    if code:
        md[CODE_CHECKSUM_KEY] = code
        scheme = code_scheme_for(record.asset_type.value)
        if scheme is not None:
            md[CODE_SCHEME_KEY] = scheme
        if code_parts:
            md[CODE_PARTS_KEY] = pack_code_parts(code_parts)

    columns: Sequence[ColumnInfo] | None = observed_columns
    if table is not None:
        try:
            stats = table_stats(table)
        except Exception as e:  # noqa: BLE001 - enrichment: a warehouse error never fails the run
            _warn(
                context,
                f"dagster-lineage: no data checksum or row count for {table.display} "
                f"({record and key_to_str(record.key)}): {_first_line(e)}",
            )
        else:
            md[ROW_COUNT_KEY] = stats.row_count
            if stats.data_checksum is not None:
                md[DATA_CHECKSUM_KEY] = stats.data_checksum
            if columns is None:
                columns = stats.columns
    if columns is None and record.columns:
        columns = record.columns
    if columns:
        # the schema itself travels once, as Dagster's own ``dagster/column_schema`` (the UI and
        # the impact gate read it); readers normalize it (see :func:`state_from_metadata`)
        md[SCHEMA_CHECKSUM_KEY] = schema_checksum(columns)
        md[COLUMN_SCHEMA_KEY] = dg.TableSchema(
            columns=[dg.TableColumn(name=c.name, type=c.data_type or UNKNOWN_TYPE) for c in columns]
        )
    if record.columns:
        md[DECLARED_SCHEMA_CHECKSUM_KEY] = schema_checksum(record.columns)
    if record.columns or any(record.column_deps.values()):
        # Dagster reads column lineage from the latest materialization, not the definition (a
        # source's columns have no upstream: its lineage is rightly empty)
        md[COLUMN_LINEAGE_KEY] = column_lineage(record)

    inst = instance if instance is not None else getattr(context, "instance", None)
    given = dict(parent_states or {})
    parents: dict[str, ParentState | None] = {}
    complete = True
    for parent in sorted(set(record.upstream)):
        if parent in given:
            parents[key_to_str(parent)] = given[parent]
        elif inst is not None:
            parents[key_to_str(parent)] = _latest_parent_state(inst, parent)
        else:
            complete = False
    if complete:
        md[UPSTREAM_CHECKSUM_KEY] = upstream_checksum(parents)
        md[PARENT_CHECKSUMS_KEY] = dg.MetadataValue.json(
            {k: _compact(v) for k, v in sorted(parents.items())}
        )
    return md
