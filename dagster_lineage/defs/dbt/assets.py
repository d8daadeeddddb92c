"""dbt assets with lineage: specs first (``build_dbt_lineage_specs``), a thin decorator on top.

``dbt_lineage_assets`` builds exactly what ``dagster_dbt.dbt_assets`` builds (execution, selection,
``dbt.cli([...]).stream()`` unchanged), with the lineage translator, and adds the checksums of each
materialization as dbt emits it (:func:`~dagster_lineage.defs.dbt.stream.with_lineage`'s rule).

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster_dbt import DbtCliResource, build_dbt_asset_specs, dbt_assets

from dagster_lineage.defs.dbt.stream import InvocationRecorder, enrich_dbt_events
from dagster_lineage.defs.dbt.translator import DagsterDbtLineageTranslator
from dagster_lineage.integrations.dbt.manifest import coerce_manifest, exposures

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
    decorated function is written exactly as for ``@dbt_assets``. Each materialization the
    function yields gets, as it arrives, the entries of
    :func:`~dagster_lineage.defs.recording.checksum_metadata`, the warehouse read through the dbt
    adapter of the function's ``dbt.cli(...)`` invocation (the ``DbtCliResource`` the function
    receives records its invocations; every other attribute is the resource's). On DuckDB the
    events wait for the dbt process to end (it holds the file lock); when dbt fails, every event
    before the failure is yielded with its checksums, then the error fails the step.
    Exposures are not executable: add :func:`build_dbt_exposure_specs` to your ``Definitions``.

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
            kwargs = record_invocations(kwargs)
            result = fn(*args, **kwargs)
            if result is None:
                return
            yield from add_checksums_to_events(
                result,
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
    events: Iterable[Any],
    *,
    context: Any,
    manifest: Mapping[str, Any],
    translator: DagsterDbtLineageTranslator,
    project: DbtProject | None = None,
    resources: Mapping[str, Any] | None = None,
) -> Iterator[Any]:
    """Yield ``events`` as they come, with checksum metadata added to each dbt materialization.

    Streams (see :func:`~dagster_lineage.defs.dbt.stream.enrich_dbt_events`): the warehouse is
    read through the dbt adapter of the last invocation started by an
    :class:`~dagster_lineage.defs.dbt.stream.InvocationRecorder` in ``resources``. Never raises for
    enrichment failures: the event is yielded unchanged with a warning.

    Examples:
        >>> list(add_checksums_to_events([], context=None, manifest={},
        ...                               translator=DagsterDbtLineageTranslator()))
        []
    """
    recorder = next(
        (r for r in (resources or {}).values() if isinstance(r, InvocationRecorder)), None
    )
    yield from enrich_dbt_events(
        events,
        context=context,
        manifest=manifest,
        translator=translator,
        project=project,
        invocation=recorder.latest if recorder is not None else None,
    )


def record_invocations(resources: dict[str, Any]) -> dict[str, Any]:
    """``resources`` with each ``DbtCliResource`` wrapped in an :class:`InvocationRecorder`.

    Examples:
        >>> record_invocations({"x": 1})
        {'x': 1}
    """
    return {
        k: InvocationRecorder(v) if isinstance(v, DbtCliResource) else v
        for k, v in resources.items()
    }


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
