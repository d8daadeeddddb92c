"""dbt assets with lineage: specs first (``build_dbt_lineage_specs``), a thin decorator on top.

``dbt_lineage_assets`` builds exactly what ``dagster_dbt.dbt_assets`` builds (execution, selection,
``dbt.cli([...]).stream()`` unchanged), with the lineage translator, and adds the checksums of each
materialization once the dbt process has ended.

Examples:
    >>> from dagster_lineage.defs.dbt.assets import build_dbt_exposure_specs
    >>> manifest = {"nodes": {}, "sources": {}, "exposures": {"exposure.p.dash": {
    ...     "unique_id": "exposure.p.dash", "resource_type": "exposure", "name": "dash",
    ...     "type": "dashboard", "url": "https://bi.example.com/d", "depends_on": {"nodes": []},
    ...     "owner": {"name": "Fin", "email": "fin@example.com"}, "config": {"enabled": True}}}}
    >>> [spec] = build_dbt_exposure_specs(manifest=manifest)
    >>> spec.key.to_user_string(), list(spec.owners), sorted(spec.kinds)
    ('dash', ['fin@example.com'], ['dashboard', 'dbt'])
"""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster_dbt import DbtCliResource, build_dbt_asset_specs, dbt_assets

from dagster_lineage.core.model import ColumnInfo
from dagster_lineage.defs.dbt.translator import DagsterDbtLineageTranslator
from dagster_lineage.defs.metadata import columns_from_metadata
from dagster_lineage.defs.recording import checksum_metadata
from dagster_lineage.errors import StorageUnavailableError
from dagster_lineage.integrations.dbt.manifest import (
    adapter_type,
    coerce_manifest,
    exposures,
    node_relation_parts,
)

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

logger = logging.getLogger("dagster_lineage.dbt")

ManifestParam = Mapping[str, Any] | str | Path


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the specs are built.

    Building the definitions of a large project allocates hundreds of thousands of long-lived
    objects (manifest dicts, specs, metadata) and no garbage cycles; every full collection on the
    way walks all of them again (about half of a 2,000-model load). Reference counting still
    frees memory; the collector runs again as before once the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _prepare(
    manifest: ManifestParam,
    project: DbtProject | None,
    translator: DagsterDbtLineageTranslator | None,
    catalog: Mapping[str, Any] | str | Path | None,
) -> tuple[Mapping[str, Any], DagsterDbtLineageTranslator]:
    translator = translator if translator is not None else DagsterDbtLineageTranslator()
    if not isinstance(translator, DagsterDbtLineageTranslator):
        raise dg.DagsterInvalidDefinitionError(
            f"translator must be a DagsterDbtLineageTranslator (or a subclass), got "
            f"{type(translator).__name__}. Subclass DagsterDbtLineageTranslator to customise it."
        )
    if isinstance(manifest, Mapping):
        manifest_dict, manifest_dir = coerce_manifest(manifest)
    else:
        manifest_dict = translator.load_manifest(manifest)
        manifest_dir = Path(manifest).resolve().parent
    translator.bind_artifacts(
        manifest_dict,
        catalog=catalog,
        target_dir=manifest_dir
        or (Path(project.manifest_path).parent if project is not None else None),
    )
    return manifest_dict, translator


def build_dbt_exposure_specs(
    *,
    manifest: ManifestParam,
    translator: DagsterDbtLineageTranslator | None = None,
    project: DbtProject | None = None,
) -> list[dg.AssetSpec]:
    """One downstream asset spec per dbt exposure (kind ``dbt``, owners, url, deps).

    Args:
        manifest: manifest.json as a dict or a path.
        translator: the translator (default :class:`DagsterDbtLineageTranslator`).
        project: the ``DbtProject`` the manifest belongs to.

    Examples:
        >>> build_dbt_exposure_specs(manifest={"nodes": {}, "sources": {}, "exposures": {}})
        []
    """
    manifest_dict, translator = _prepare(manifest, project, translator, None)
    if not translator.get_lineage_settings().enable_exposures:
        return []
    return [
        translator.get_exposure_spec(manifest_dict, e["unique_id"], project)
        for e in exposures(manifest_dict)
    ]


def build_dbt_lineage_specs(
    *,
    manifest: ManifestParam,
    translator: DagsterDbtLineageTranslator | None = None,
    catalog: Mapping[str, Any] | str | Path | None = None,
    project: DbtProject | None = None,
    select: str = "fqn:*",
    exclude: str | None = None,
    selector: str | None = None,
    include_exposures: bool = True,
) -> list[dg.AssetSpec]:
    """Asset specs of a dbt project's models, seeds and snapshots (and exposures), with lineage.

    Usable alone (e.g. to show dbt lineage of a project run elsewhere): each spec carries its
    ``dagster/column_schema``, ``dagster/column_lineage`` and lineage record, computed from the
    manifest's compiled SQL without a warehouse connection.

    Args:
        manifest: manifest.json as a dict or a path (compile it for column lineage).
        translator: the translator (default :class:`DagsterDbtLineageTranslator`).
        catalog: catalog.json (dict or path) for column types; default ``catalog.json`` next to
            the manifest when present.
        project: the ``DbtProject`` the manifest belongs to.
        select: dbt selection string.
        exclude: dbt exclusion string.
        selector: a dbt selector name.
        include_exposures: also return one spec per exposure.

    Returns:
        The specs, dbt nodes first, then exposures.
    """
    with _gc_paused():
        manifest_dict, translator = _prepare(manifest, project, translator, catalog)
        specs = list(
            build_dbt_asset_specs(
                manifest=manifest_dict,
                dagster_dbt_translator=translator,
                select=select,
                exclude=exclude or "",
                selector=selector or "",
                project=project,
            )
        )
        if include_exposures:
            specs += build_dbt_exposure_specs(
                manifest=manifest_dict, translator=translator, project=project
            )
    return specs


def dbt_lineage_assets(
    *,
    manifest: ManifestParam,
    project: DbtProject | None = None,
    translator: DagsterDbtLineageTranslator | None = None,
    catalog: Mapping[str, Any] | str | Path | None = None,
    select: str = "fqn:*",
    exclude: str | None = None,
    selector: str | None = None,
    name: str | None = None,
    io_manager_key: str | None = None,
    partitions_def: dg.PartitionsDefinition | None = None,
    backfill_policy: dg.BackfillPolicy | None = None,
    op_tags: Mapping[str, Any] | None = None,
    required_resource_keys: set[str] | None = None,
    retry_policy: dg.RetryPolicy | None = None,
    pool: str | None = None,
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """``@dbt_assets`` with column lineage on every asset and checksums on every materialization.

    Delegates to ``dagster_dbt.dbt_assets`` with a :class:`DagsterDbtLineageTranslator`, so the
    decorated function is written exactly as for ``@dbt_assets``. After the function's event
    stream ends (the dbt process has exited, so the warehouse is free), each materialization gets
    the entries of :func:`~dagster_lineage.defs.recording.checksum_metadata`. Exposures are not
    executable: add :func:`build_dbt_exposure_specs` to your ``Definitions`` for them.

    Args:
        manifest: manifest.json as a dict or a path (compiled, for column lineage).
        project: the ``DbtProject`` (code references, target folder for the cache).
        translator: the translator (default :class:`DagsterDbtLineageTranslator`).
        catalog: catalog.json for column types (default: next to the manifest, when present).
        select: dbt selection string.
        exclude: dbt exclusion string.
        selector: a dbt selector name.
        name: the op name.
        io_manager_key: see ``dbt_assets``.
        partitions_def: see ``dbt_assets``.
        backfill_policy: see ``dbt_assets``.
        op_tags: see ``dbt_assets``.
        required_resource_keys: see ``dbt_assets``.
        retry_policy: see ``dbt_assets``.
        pool: see ``dbt_assets``.

    Examples:
        >>> callable(dbt_lineage_assets)
        True

        Typical use (a compiled project)::

            @dbt_lineage_assets(manifest=project.manifest_path, project=project)
            def my_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource):
                yield from dbt.cli(["build"], context=context).stream()
    """
    with _gc_paused():
        manifest_dict, translator = _prepare(manifest, project, translator, catalog)
        # Analyse now (definition time), so a broken project warns when the code location loads.
        translator.get_lineage_analysis(manifest_dict, project)
        inner = dbt_assets(
            manifest=manifest_dict,
            select=select,
            exclude=exclude or "",
            selector=selector or "",
            name=name,
            io_manager_key=io_manager_key,
            partitions_def=partitions_def,
            dagster_dbt_translator=translator,
            backfill_policy=backfill_policy,
            op_tags=op_tags,
            required_resource_keys=required_resource_keys,
            project=project,
            retry_policy=retry_policy,
            pool=pool,
        )

    def decorator(fn: Callable[..., Any]) -> dg.AssetsDefinition:
        @functools.wraps(fn)
        def with_checksums(*args: Any, **kwargs: Any) -> Iterator[Any]:
            context = args[0] if args else kwargs.get("context")
            result = fn(*args, **kwargs)
            if result is None:
                return
            events = list(result)  # the dbt process has ended once the stream is exhausted
            yield from add_checksums_to_events(
                events,
                context=context,
                manifest=manifest_dict,
                translator=translator,
                project=project,
                resources=kwargs,
            )

        try:  # resolve string annotations (``from __future__ import annotations``) for Dagster
            with_checksums.__signature__ = inspect.signature(fn, eval_str=True)  # type: ignore[attr-defined]
        except (NameError, AttributeError, SyntaxError, TypeError, ValueError):
            pass  # an annotation that does not evaluate here: Dagster reads the plain signature
        with _gc_paused():
            return inner(with_checksums)

    return decorator


# --- materialization enrichment -------------------------------------------------------------


def add_checksums_to_events(
    events: list[Any],
    *,
    context: Any,
    manifest: Mapping[str, Any],
    translator: DagsterDbtLineageTranslator,
    project: DbtProject | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Iterator[Any]:
    """Yield ``events`` with checksum metadata added to each dbt materialization.

    Never raises for enrichment failures: the event is yielded unchanged with a warning.

    Examples:
        >>> list(add_checksums_to_events([], context=None, manifest={},
        ...                               translator=DagsterDbtLineageTranslator()))
        []
    """
    records = translator.records_by_key(manifest, project)
    fingerprints = translator.get_lineage_analysis(manifest, project).fingerprints
    by_key_node = _nodes_by_key(manifest, translator)
    observed = _ObservedColumns(manifest, resources or {}, translator, project)
    for event in events:
        try:
            key = _event_key(event, context)
            record = records.get(tuple(key.path)) if key is not None else None
            if record is None or key is None:
                yield event
                continue
            node = by_key_node.get(tuple(key.path))
            columns, table = observed.for_node(node, event)
            fp = fingerprints.get(str(node.get("unique_id"))) if node is not None else None
            extra = checksum_metadata(
                record,
                context=context,
                observed_columns=columns,
                table=table,
                code_parts=fp.explain_parts if fp is not None else None,
            )
            yield _with_metadata(event, extra) if extra else event
        except StorageUnavailableError:
            # Not enrichment: the instance cannot record this materialization, so the run must
            # fail loudly rather than report success with nothing stored.
            observed.close()
            raise
        except Exception as e:  # noqa: BLE001 - lineage is enrichment: never fail the run
            logger.warning("Could not add lineage checksums to %r: %s", event, e)
            yield event
    observed.close()


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


class _ObservedColumns:
    """The schema each dbt node actually produced, read after the dbt process ended.

    From the event's ``dagster/column_schema`` when dagster-dbt fetched it
    (``.fetch_column_metadata()``), else straight from DuckDB (read-only, one short connection).
    """

    def __init__(
        self,
        manifest: Mapping[str, Any],
        resources: Mapping[str, Any],
        translator: DagsterDbtLineageTranslator,
        project: DbtProject | None,
    ) -> None:
        self.adapter = adapter_type(manifest)
        self.enabled = translator.get_lineage_settings().observe_columns
        self.resources = resources
        self.project = project
        self._conn: Any = None
        self._opened = False

    def _duckdb(self) -> Any:
        if self._opened:
            return self._conn
        self._opened = True
        path = duckdb_path_for(self.resources, self.project)
        if path is None or not Path(path).is_file():
            return None
        import duckdb

        try:
            self._conn = duckdb.connect(path, read_only=True)
        except (duckdb.Error, OSError) as e:  # locked by a writer, or not a DuckDB file
            logger.warning("Could not open DuckDB %s to observe dbt schemas: %s", path, e)
        return self._conn

    def for_node(
        self, node: Mapping[str, Any] | None, event: Any
    ) -> tuple[list[ColumnInfo] | None, Any]:
        recorded = columns_from_metadata(getattr(event, "metadata", None) or {})
        columns = None if recorded is None else [ColumnInfo(c.name, c.data_type) for c in recorded]
        if node is None or not self.enabled or self.adapter != "duckdb":
            return columns, None
        materialized = (node.get("config") or {}).get("materialized")
        if materialized == "ephemeral":
            return columns, None
        conn = self._duckdb()
        if conn is None:
            return columns, None
        parts = node_relation_parts(node, "duckdb")
        schema_name, table = parts[-2], parts[-1]
        if columns is None:
            rows = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where lower(table_schema) = lower(?) and lower(table_name) = lower(?) "
                "order by ordinal_position",
                [schema_name, table],
            ).fetchall()
            columns = [ColumnInfo(str(n), str(t).lower()) for n, t in rows] or None
        return columns, _table_handle(conn, f"{schema_name}.{table}")

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _table_handle(conn: Any, table: str) -> Any:
    try:
        from dagster_lineage.state.warehouse import TableHandle
    except ImportError:  # pragma: no cover - the state layer is part of the package
        return None
    return TableHandle.duckdb(conn, table)


def duckdb_path_for(resources: Mapping[str, Any], project: DbtProject | None) -> str | None:
    """The DuckDB file of a dbt-duckdb profile, from the run's ``DbtCliResource`` (or ``project``).

    Reads ``profiles.yml`` and renders its ``path`` (``env_var`` supported); ``None`` when it is
    not a DuckDB file profile or cannot be read.

    Examples:
        >>> duckdb_path_for({}, None) is None
        True
    """
    dbt_resource = next((r for r in resources.values() if isinstance(r, DbtCliResource)), None)
    if dbt_resource is not None:
        project_dir = Path(dbt_resource.project_dir)
        profiles_dir = Path(dbt_resource.profiles_dir or project_dir)
        profile_name, target_name = dbt_resource.profile, dbt_resource.target
    elif project is not None:
        project_dir = Path(project.project_dir)
        profiles_dir = Path(project.profiles_dir)
        profile_name, target_name = project.profile, project.target
    else:
        return None
    try:
        return _render_duckdb_path(project_dir, profiles_dir, profile_name, target_name)
    except Exception as e:  # noqa: BLE001 - profiles.yml (YAML and Jinja) is optional here
        logger.warning("Could not read the DuckDB path of the dbt profile: %s", e)
        return None


def _render_duckdb_path(
    project_dir: Path, profiles_dir: Path, profile: str | None, target: str | None
) -> str | None:
    import os

    import jinja2
    import yaml

    profiles_file = profiles_dir / "profiles.yml"
    if not profiles_file.is_file():
        profiles_file = Path.home() / ".dbt" / "profiles.yml"
    if not profiles_file.is_file():
        return None
    if profile is None:
        project_yml = yaml.safe_load((project_dir / "dbt_project.yml").read_text()) or {}
        profile = project_yml.get("profile")
    profiles = yaml.safe_load(profiles_file.read_text()) or {}
    entry = profiles.get(profile) or {}
    outputs = entry.get("outputs") or {}
    target = target or os.environ.get("DBT_TARGET") or entry.get("target")
    out = outputs.get(target) or {}
    if out.get("type") != "duckdb":
        return None
    raw = str(out.get("path") or "")
    if not raw or raw == ":memory:":
        return None

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise KeyError(f"environment variable {name} is not set")
        return value

    rendered = jinja2.Environment().from_string(raw).render(env_var=env_var)
    path = Path(rendered)
    return str(path if path.is_absolute() else (project_dir / path))
