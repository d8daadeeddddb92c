r"""Airflow DAGs as lineage-aware Dagster assets: the specs and the asset factory.

- :func:`build_airflow_lineage_specs`: one ``AssetSpec`` per DAG (or task / output table) with
  its dependencies, ``dagster/column_lineage``/``dagster/column_schema`` where the output table is
  known, the ``airflow`` kind, owners from the DAG's ``owner`` and ``code_version`` = checksum of
  the DAG file and its SQL. External assets: Airflow runs them.
- :func:`airflow_dag_assets`: the factory; ``execution="in_process"`` materializes a DAG from
  Dagster by running its SQL tasks against DuckDB (see :mod:`dagster_lineage.defs.airflow.runner`).

Examples:
    >>> from dagster_lineage.defs.airflow.assets import airflow_dag_assets
    >>> airflow_dag_assets(dags_folder="/nonexistent", reader="static")
    []
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import dagster as dg

from dagster_lineage.core.model import AssetLineage
from dagster_lineage.defs.airflow.runner import duckdb_path, run_dag_in_process
from dagster_lineage.defs.airflow.translator import AirflowLineageTranslator
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.defs.metadata_keys import (
    AIRFLOW_DAG_FILE_KEY,
    AIRFLOW_DAG_ID_KEY,
    AIRFLOW_OUTLETS_KEY,
    AIRFLOW_OUTPUT_TABLES_KEY,
    AIRFLOW_RUN_ID_KEY,
    AIRFLOW_RUN_TASKS_KEY,
    AIRFLOW_TASKS_KEY,
    TABLE_NAME_KEY,
)
from dagster_lineage.errors import DagsterLineageError, IntegrationError
from dagster_lineage.integrations.airflow import Reader, read_dags
from dagster_lineage.integrations.airflow.lineage import AirflowUnit, dag_records
from dagster_lineage.integrations.airflow.model import DagFileError, DagInfo

Execution = Literal["external", "in_process"]


@dataclass(frozen=True)
class AirflowLineage:
    """Everything read from a DAG folder: one unit per asset, and the files that failed.

    Examples:
        >>> AirflowLineage(units=(), errors=()).records
        ()
    """

    units: tuple[AirflowUnit, ...]
    errors: tuple[DagFileError, ...]

    @property
    def records(self) -> tuple[AssetLineage, ...]:
        """The lineage records, one per asset."""
        return tuple(u.record for u in self.units)


def load_airflow_lineage(
    *,
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator | None = None,
    reader: Reader | None = None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None = None,
    known_records: Iterable[AssetLineage] | None = None,
) -> AirflowLineage:
    """Read a DAG folder and build its lineage; failing DAG files are logged (with the file) and skipped.

    Examples:
        >>> load_airflow_lineage(dags_folder="/nonexistent", reader="static").units
        ()
    """
    folder = read_dags(dags_folder, reader=reader)
    log = dg.get_dagster_logger()
    for err in folder.errors:
        log.warning(f"dagster-lineage: skipped Airflow DAG file {err.path}: {err.message}")
    units = dag_records(
        folder.dags,
        translator=translator,
        upstream_schemas=upstream_schemas,
        known_records=known_records,
    )
    return AirflowLineage(units=tuple(units), errors=folder.errors)


def _spec(unit: AirflowUnit, translator: AirflowLineageTranslator, root: Path) -> dg.AssetSpec:
    rec = unit.record
    try:
        rel = Path(unit.dag.fileloc).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = Path(unit.dag.fileloc).name
    metadata: dict[str, Any] = {
        **lineage_metadata(rec),
        AIRFLOW_DAG_ID_KEY: unit.dag.dag_id,
        AIRFLOW_DAG_FILE_KEY: rel,
        AIRFLOW_TASKS_KEY: dg.MetadataValue.json(list(unit.task_ids)),
    }
    if unit.output_tables:
        metadata[AIRFLOW_OUTPUT_TABLES_KEY] = dg.MetadataValue.json(list(unit.output_tables))
    if unit.output_table:
        metadata[TABLE_NAME_KEY] = unit.output_table
    if unit.outlets:
        metadata[AIRFLOW_OUTLETS_KEY] = dg.MetadataValue.json(list(unit.outlets))
    return dg.AssetSpec(
        key=dg.AssetKey(list(rec.key)),
        deps=[dg.AssetKey(list(k)) for k in rec.upstream],
        description=rec.description,
        metadata=metadata,
        kinds={"airflow"},
        owners=list(rec.owners),
        code_version=rec.code_checksum,
        group_name=translator.get_group_name(unit.dag),
        tags=dict(translator.get_tags(unit.dag)),
    )


def _load(
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator,
    reader: Reader | None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None,
    known_records: Iterable[AssetLineage] | None,
) -> tuple[AirflowLineage, Path]:
    """The folder's lineage and the root that spec paths are relative to."""
    lineage = load_airflow_lineage(
        dags_folder=dags_folder,
        translator=translator,
        reader=reader,
        upstream_schemas=upstream_schemas,
        known_records=known_records,
    )
    root = Path(dags_folder)
    return lineage, (root.parent if root.is_file() else root)


def build_airflow_lineage_specs(
    *,
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator | None = None,
    reader: Reader | None = None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None = None,
    known_records: Iterable[AssetLineage] | None = None,
) -> list[dg.AssetSpec]:
    """One ``AssetSpec`` per DAG (or task / output table) of a folder, carrying its lineage.

    Args:
        dags_folder: folder (or one file) of Airflow DAG files.
        translator: keys, table/Asset mapping, dialects, owners (default translator when None).
        reader: ``"auto"`` (DagBag when Airflow is installed, else static), ``"static"``,
            ``"dagbag"``.
        upstream_schemas: known upstream table schemas (table -> {column: type}).
        known_records: known assets' records (e.g. the dbt specs') to complete the schemas.

    Examples:
        >>> build_airflow_lineage_specs(dags_folder="/nonexistent", reader="static")
        []
    """
    translator = translator or AirflowLineageTranslator()
    lineage, root = _load(dags_folder, translator, reader, upstream_schemas, known_records)
    return [_spec(u, translator, root) for u in lineage.units]


def _in_process_asset(
    dag: DagInfo,
    units: list[AirflowUnit],
    specs: list[dg.AssetSpec],
    connections: Mapping[str, str] | None,
) -> dg.AssetsDefinition:
    from dagster_lineage.defs.recording import checksum_metadata

    records = {u.record.key: u for u in units}

    @dg.multi_asset(specs=specs, name=f"airflow_{_safe(dag.dag_id)}", can_subset=False)
    def _run_dag(context):  # type: ignore[no-untyped-def]  # noqa: ANN001 (Dagster resolves it)
        runs = run_dag_in_process(dag, connections=connections, log=context.log)
        run_id = f"dagster__{context.run.run_id}"
        for spec in specs:
            unit = records[tuple(spec.key.path)]
            md: dict[str, Any] = {
                AIRFLOW_RUN_ID_KEY: run_id,
                AIRFLOW_RUN_TASKS_KEY: dg.MetadataValue.json(
                    {r.task_id: r.state for r in runs if r.task_id in unit.task_ids}
                ),
            }
            table = None
            path = None
            if unit.output_table:
                task_conns = {dag.task(t).conn_id for t in unit.task_ids}
                path = next(
                    (
                        p
                        for c in sorted(x or "" for x in task_conns)
                        if (p := duckdb_path(c, connections))
                    ),
                    None,
                )
            if unit.output_table and path:
                from dagster_lineage.state.warehouse import TableHandle

                table = TableHandle.duckdb(path, unit.output_table)
            try:
                md.update(checksum_metadata(unit.record, context=context, table=table))
            except DagsterLineageError:
                raise
            except Exception as e:  # noqa: BLE001 - enrichment: a warehouse error never fails the run
                context.log.warning(f"checksums of {spec.key.to_user_string()} skipped: {e}")
            yield dg.MaterializeResult(asset_key=spec.key, metadata=md)

    return _run_dag


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in text)


def airflow_dag_assets(
    *,
    dags_folder: str | os.PathLike[str],
    translator: AirflowLineageTranslator | None = None,
    reader: Reader | None = None,
    upstream_schemas: Mapping[str, Mapping[str, str | None]] | None = None,
    known_records: Iterable[AssetLineage] | None = None,
    execution: Execution | None = None,
    connections: Mapping[str, str] | None = None,
) -> list[dg.AssetSpec | dg.AssetsDefinition]:
    """The asset factory: Airflow DAGs of a folder as lineage-aware Dagster assets.

    Args:
        dags_folder: folder (or one file) of Airflow DAG files.
        translator: keys, table/Asset mapping, dialects, owners (default translator when None).
        reader: ``"auto"`` (default), ``"static"`` or ``"dagbag"`` (see :func:`read_dags`).
        upstream_schemas: known upstream table schemas (table -> {column: type}).
        known_records: known assets' records to complete the schemas.
        execution: ``"external"`` (default: Airflow runs the DAGs; pair with
            :func:`build_airflow_run_sensor`) or ``"in_process"`` (Dagster runs each DAG's SQL
            tasks against DuckDB, see :func:`run_dag_in_process`).
        connections: for ``in_process``: Airflow conn_id -> DuckDB database path.

    Examples:
        >>> airflow_dag_assets(dags_folder="/nonexistent", reader="static")
        []
    """
    translator = translator or AirflowLineageTranslator()
    lineage, root = _load(dags_folder, translator, reader, upstream_schemas, known_records)
    mode = execution or "external"
    if mode not in ("external", "in_process"):
        raise IntegrationError(
            str(dags_folder),
            f"unknown execution mode '{execution}'",
            fix="Use 'external' or 'in_process'.",
        )
    if mode == "external":
        return [_spec(u, translator, root) for u in lineage.units]
    out: list[dg.AssetSpec | dg.AssetsDefinition] = []
    by_dag: dict[str, list[AirflowUnit]] = {}
    for u in lineage.units:
        by_dag.setdefault(u.dag.dag_id, []).append(u)
    for dag_id in sorted(by_dag):
        units = by_dag[dag_id]
        specs = [_spec(u, translator, root) for u in units]
        out.append(_in_process_asset(units[0].dag, units, specs, connections))
    return out
