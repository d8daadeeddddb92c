"""``DbtLineageProjectComponent``: dagster-dbt's ``DbtProjectComponent`` with column lineage.

Every YAML field of ``dagster_dbt.DbtProjectComponent`` (``project``, ``cli_args``, ``select``,
``translation``, ...) works unchanged; ``lineage`` adds our settings. The assets are the ones
``DbtProjectComponent`` builds, through :class:`~dagster_lineage.defs.dbt.DagsterDbtLineageTranslator`
(the translator ``dbt_lineage_assets`` uses), so each carries ``dagster/column_schema``,
``dagster/column_lineage`` and its lineage record; each materialization gets the checksums of
:func:`~dagster_lineage.defs.dbt.add_checksums_to_events`; exposures become downstream assets.

Scaffold it with ``dg scaffold defs dagster_lineage.DbtLineageProjectComponent my_dbt
--project-path path/to/dbt_project``, which writes::

    # defs/my_dbt/defs.yaml
    type: dagster_lineage.DbtLineageProjectComponent
    attributes:
      project: "{{ context.project_root }}/path/to/dbt_project"
      lineage:                      # optional, these are the defaults
        enable_column_lineage: true
        enable_exposures: true
        compile_manifest: true      # `dbt compile` (only when sources changed) for column lineage
        record_checksums: true
        schema_change_gate: false   # fail a model's step before dbt writes a breaking change

Examples:
    >>> from dagster_lineage.defs.components.dbt import DbtLineageArgs
    >>> DbtLineageArgs(enable_cache=False).to_settings().enable_cache
    False
"""


from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import dagster as dg
from dagster.components.utils.translation import (
    ComponentTranslator,
    create_component_translator_cls,
)
from dagster_dbt import DbtCliResource, DbtProject, DbtProjectComponent
from dagster_dbt.asset_utils import DAGSTER_DBT_TRANSLATOR_METADATA_KEY, get_node

from dagster_lineage.defs.dbt.assets import add_checksums_to_events, build_dbt_exposure_specs
from dagster_lineage.defs.dbt.project import prepare_dbt_project
from dagster_lineage.defs.dbt.stream import InvocationRecorder
from dagster_lineage.defs.dbt.translator import DagsterDbtLineageTranslator
from dagster_lineage.integrations.dbt.settings import DbtLineageSettings


@dataclass
class DbtLineageArgs(dg.Resolvable):
    """The ``lineage`` YAML field: :class:`DbtLineageSettings` plus what the component does.

    Attributes:
        enable_column_lineage: analyse each model's compiled SQL for column lineage.
        enable_exposures: build a downstream asset per dbt exposure.
        enable_cache: keep analysed lineage on disk (``<target>/dagster_lineage_cache``).
        cache_dir: where the lineage cache lives (default: under the dbt target folder).
        use_catalog: read column types from ``catalog.json`` when present.
        observe_columns: read each built relation's columns through the dbt adapter.
        compile_manifest: run ``dbt compile`` when the project's sources changed, because column
            lineage needs compiled SQL and ``dbt parse`` (dagster-dbt's preparation) has none.
        record_checksums: add code/schema/data/upstream checksums to every materialization.
        schema_change_gate: before ``dbt build``, fail when a selected model's compiled schema
            breaks a downstream asset (``assert_no_breaking_schema_change``).
        on_breaking: the gate's default breaking-change policy, ``block`` or ``warn``, below each
            asset's own (``meta: {dagster_lineage: {on_breaking: warn}}`` in dbt, or a
            ``dagster_lineage/on_breaking`` tag through ``translation: tags:``); critical assets
            block unless they say otherwise (:mod:`dagster_lineage.impact.policy`).

    Examples:
        >>> DbtLineageArgs().to_settings() == DbtLineageSettings()
        True
    """

    enable_column_lineage: bool = True
    enable_exposures: bool = True
    enable_cache: bool = True
    cache_dir: str | None = None
    use_catalog: bool = True
    observe_columns: bool = True
    compile_manifest: bool = True
    record_checksums: bool = True
    schema_change_gate: bool = False
    on_breaking: Literal["block", "warn"] | None = None

    def to_settings(self) -> DbtLineageSettings:
        """The translator's :class:`DbtLineageSettings`."""
        return DbtLineageSettings(
            enable_column_lineage=self.enable_column_lineage,
            enable_exposures=self.enable_exposures,
            enable_cache=self.enable_cache,
            cache_dir=self.cache_dir,
            use_catalog=self.use_catalog,
            observe_columns=self.observe_columns,
        )


@dataclass
class DbtLineageProjectComponent(DbtProjectComponent):
    """A dbt project as Dagster assets with column lineage, checksums and exposures.

    Every field of ``dagster_dbt.DbtProjectComponent`` plus ``lineage``
    (:class:`DbtLineageArgs`). Subclass it like ``DbtProjectComponent`` (``get_asset_spec``,
    ``execute``); the lineage translator is :class:`DagsterDbtLineageTranslator`.

    Example:

        .. code-block:: yaml

            # defs.yaml
            type: dagster_lineage.DbtLineageProjectComponent
            attributes:
              project: "{{ context.project_root }}/dbt_project"
              lineage:
                schema_change_gate: true
                on_breaking: warn   # the default; a model's own meta or tag wins

    Examples:
        >>> DbtLineageProjectComponent.__name__
        'DbtLineageProjectComponent'
    """

    lineage: Annotated[
        DbtLineageArgs,
        dg.Resolver.default(
            description="dagster-lineage settings: column lineage, exposures, checksums, "
            "compile for lineage, schema-change gate.",
            examples=[
                {"enable_exposures": False},
                {"compile_manifest": True, "schema_change_gate": True},
            ],
        ),
    ] = field(default_factory=DbtLineageArgs)

    @cached_property
    def translator(self) -> DagsterDbtLineageTranslator:  # type: ignore[override]
        """The lineage translator, applying the component's ``translation`` like dagster-dbt's."""
        return DbtLineageProjectComponentTranslator(
            self, self.translation_settings, self.lineage.to_settings()
        )

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        """The spec of one dbt node, with its lineage (override and call ``super()`` to adjust)."""
        return DagsterDbtLineageTranslator.get_asset_spec(
            self.translator, manifest, unique_id, project
        )

    def build_defs_from_state(
        self, context: dg.ComponentLoadContext, state_path: Path | None
    ) -> dg.Definitions:
        """``DbtProjectComponent``'s definitions (compiled first) plus one spec per exposure.

        With ``compile_manifest``, the definitions come from the project folder itself, compiled
        at load when its sources changed, not from the snapshot dagster-dbt's state keeps (which
        is refreshed only by ``dg utils refresh-defs-state`` or under ``dagster dev``): an edited
        model is seen by the next load, as ``dagster-lineage changed`` needs.
        """
        if self.lineage.compile_manifest:
            state_path = None  # the project folder, not a snapshot of it
        project = self._project_manager.get_project(state_path)
        if self.lineage.compile_manifest:
            # dagster-dbt's own preparation (`dbt parse`, under `dg`/`dagster dev`) may have
            # replaced a compiled manifest with one without compiled SQL: compile again then
            prepare_dbt_project(project, force=not _has_compiled_sql(Path(project.manifest_path)))
        self._built_project = project  # the manifest the assets (and their checksums) come from
        defs = super().build_defs_from_state(context, state_path)
        if not self.lineage.enable_exposures:
            return defs
        exposures = build_dbt_exposure_specs(
            manifest=project.manifest_path, translator=self.translator, project=project
        )
        return dg.Definitions.merge(defs, dg.Definitions(assets=exposures)) if exposures else defs

    def execute(self, context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        """``dbt`` as ``DbtProjectComponent`` runs it, each materialization with its checksums.

        Streamed as dbt emits the events (on DuckDB once the dbt process ends, which holds the
        file lock); when dbt fails, every event before the failure is yielded first.
        """
        if self.lineage.schema_change_gate:
            from dagster_lineage.defs.impact import assert_no_breaking_schema_change

            assert_no_breaking_schema_change(context, on_breaking=self.lineage.on_breaking)
        if not self.lineage.record_checksums:
            yield from super().execute(context, dbt)
            return
        recorder = InvocationRecorder(dbt)
        project = getattr(self, "_built_project", None) or dbt_project_of(dbt)
        manifest = self.translator.load_manifest(project.manifest_path)
        yield from add_checksums_to_events(
            super().execute(context, recorder),  # type: ignore[arg-type]
            context=context,
            manifest=manifest,
            translator=self.translator,
            project=project,
            resources={"dbt": recorder},
        )


def _has_compiled_sql(manifest_path: Path) -> bool:
    """True when the manifest's models carry compiled SQL (``dbt compile``, not ``dbt parse``).

    A missing or unreadable manifest counts as compiled: preparing it decides on its own.
    """
    import json

    try:
        nodes = json.loads(manifest_path.read_text()).get("nodes", {})
    except (OSError, ValueError):
        return True
    models = [n for n in nodes.values() if n.get("resource_type") == "model"]
    return not models or any(n.get("compiled_code") for n in models)


def dbt_project_of(dbt: DbtCliResource) -> DbtProject:
    """The ``DbtProject`` a ``DbtCliResource`` runs (its folder, profile and target)."""
    return DbtProject(
        project_dir=dbt.project_dir,
        profiles_dir=dbt.profiles_dir,
        profile=dbt.profile,
        target=dbt.target,
    )


class DbtLineageProjectComponentTranslator(
    create_component_translator_cls(DbtLineageProjectComponent, DagsterDbtLineageTranslator),  # type: ignore[misc]
    ComponentTranslator[DbtLineageProjectComponent],
):
    """The component's translator: lineage, then the component's ``translation`` (as dagster-dbt).

    Examples:
        >>> issubclass(DbtLineageProjectComponentTranslator, DagsterDbtLineageTranslator)
        True
    """

    def __init__(
        self,
        component: DbtLineageProjectComponent,
        settings: Any,
        lineage_settings: DbtLineageSettings,
    ) -> None:
        self._component = component
        super().__init__(settings, lineage_settings=lineage_settings)

    def get_asset_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        """Lineage spec, the component's ``translation`` applied, the translator attached."""
        base_spec = super().get_asset_spec(manifest, unique_id, project)
        if self.component.translation is None:
            spec = base_spec
        else:
            spec = self.component.translation(base_spec, get_node(manifest, unique_id))
        return spec.merge_attributes(metadata={DAGSTER_DBT_TRANSLATOR_METADATA_KEY: self})
