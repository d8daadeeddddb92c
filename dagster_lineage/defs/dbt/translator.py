"""``DagsterDbtLineageTranslator``: dagster-dbt's translator plus lineage, every hook overridable.

Examples:
    >>> from dagster_lineage.defs.dbt.translator import DagsterDbtLineageTranslator
    >>> from dagster_lineage.integrations.dbt import DbtLineageSettings
    >>> t = DagsterDbtLineageTranslator(lineage_settings=DbtLineageSettings(enable_cache=False))
    >>> t.get_lineage_settings().enable_cache
    False
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from dagster_lineage.core.model import AssetKeyPath, AssetLineage
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.defs.metadata_keys import (
    CODE_PARTS_KEY,
    COLUMN_SCHEMA_KEY,
    DBT_RESOURCE_TYPE_TAG,
    DBT_UNIQUE_ID_KEY,
    EXPOSURE_MATURITY_KEY,
    EXPOSURE_URL_KEY,
    LINEAGE_WARNING_KEY,
)
from dagster_lineage.errors import IntegrationError
from dagster_lineage.integrations.dbt.analysis import (
    DbtLineageAnalysis,
    analyse_dbt_manifest,
    default_dbt_owners,
)
from dagster_lineage.integrations.dbt.cache import CacheStats, LineageCache
from dagster_lineage.integrations.dbt.checksum import DbtFingerprinter, code_checksum_for_dbt_node
from dagster_lineage.integrations.dbt.fingerprint import project_vars
from dagster_lineage.integrations.dbt.manifest import load_json_artifact
from dagster_lineage.integrations.dbt.settings import DbtLineageSettings

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

logger = logging.getLogger("dagster_lineage.dbt")


class DagsterDbtLineageTranslator(DagsterDbtTranslator):
    """A ``DagsterDbtTranslator`` that also puts each node's lineage record on its asset spec.

    Every hook is an instance method; customise by subclassing (asset keys, owners, code
    version, the lineage record itself, the exposure specs). Lineage is computed once per
    manifest, from its compiled SQL (no warehouse connection), and cached on disk.

    Args:
        settings: dagster-dbt's own settings (asset checks, code references, ...).
        lineage_settings: what lineage to compute (:class:`DbtLineageSettings`).

    Examples:
        >>> class MyTranslator(DagsterDbtLineageTranslator):
        ...     def get_asset_key(self, dbt_resource_props):
        ...         return super().get_asset_key(dbt_resource_props).with_prefix("analytics")
        >>> import dagster as dg
        >>> MyTranslator().get_asset_key(
        ...     {"resource_type": "model", "name": "m", "config": {}, "meta": {}}
        ... ) == dg.AssetKey(["analytics", "m"])
        True
    """

    def __init__(
        self,
        settings: DagsterDbtTranslatorSettings | None = None,
        *,
        lineage_settings: DbtLineageSettings | None = None,
    ) -> None:
        super().__init__(settings)
        self._lineage_settings = lineage_settings or DbtLineageSettings()

    # --- settings and artefacts ------------------------------------------------------------

    def get_lineage_settings(self) -> DbtLineageSettings:
        """The lineage feature flags (override to compute them)."""
        if not hasattr(self, "_lineage_settings"):  # a subclass that skipped __init__
            self._lineage_settings = DbtLineageSettings()
        return self._lineage_settings

    def _bindings(self) -> dict[int, dict[str, Any]]:
        if not hasattr(self, "_bound"):
            self._bound: dict[int, dict[str, Any]] = {}
        return self._bound

    def bind_artifacts(
        self,
        manifest: Mapping[str, Any],
        *,
        catalog: Mapping[str, Any] | str | Path | None = None,
        target_dir: str | Path | None = None,
    ) -> None:
        """Tell the translator where ``manifest`` came from (its catalog and target folder).

        The decorator and :func:`~dagster_lineage.defs.dbt.build_dbt_lineage_specs` call this;
        call it yourself only when you use the translator with ``dagster_dbt.dbt_assets``.
        """
        binding = self._bindings().setdefault(id(manifest), {"manifest": manifest})
        if catalog is not None:
            binding["catalog"] = catalog
        if target_dir is not None:
            binding["target_dir"] = Path(target_dir)

    def load_manifest(self, path: str | Path) -> Mapping[str, Any]:
        """Read manifest.json once per file version (the decorator and the exposure specs share it).

        Examples:
            >>> import json, pathlib, tempfile
            >>> p = pathlib.Path(tempfile.mkdtemp()) / "manifest.json"
            >>> _ = p.write_text(json.dumps({"nodes": {}}))
            >>> t = DagsterDbtLineageTranslator()
            >>> t.load_manifest(p) is t.load_manifest(p)
            True
        """
        resolved = Path(path).resolve()
        try:
            st = resolved.stat()
            version: tuple[Any, ...] = (str(resolved), st.st_mtime_ns, st.st_size)
        except OSError:
            version = (str(resolved), None, None)
        if not hasattr(self, "_manifests"):
            self._manifests: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        if version not in self._manifests:
            self._manifests[version] = load_json_artifact(resolved)
        return self._manifests[version]

    def get_catalog(
        self, manifest: Mapping[str, Any], project: DbtProject | None
    ) -> Mapping[str, Any] | None:
        """catalog.json for ``manifest``: the bound one, else ``catalog.json`` next to it."""
        if not self.get_lineage_settings().use_catalog:
            return None
        binding = self._bindings().get(id(manifest), {})
        catalog = binding.get("catalog")
        if isinstance(catalog, Mapping):
            return catalog
        path: Path | None = Path(catalog) if catalog is not None else None
        if path is None:
            target = self.get_target_dir(manifest, project)
            path = target / "catalog.json" if target is not None else None
        if path is None or not path.is_file():
            return None
        try:
            return load_json_artifact(path, what="catalog.json")
        except IntegrationError as e:  # a broken catalog only loses the types
            logger.warning("Ignoring %s: %s", path, e)
            return None

    def get_target_dir(
        self, manifest: Mapping[str, Any], project: DbtProject | None
    ) -> Path | None:
        """The dbt target folder of ``manifest`` (the cache goes under it by default)."""
        bound = self._bindings().get(id(manifest), {}).get("target_dir")
        if bound is not None:
            return Path(bound)
        if project is not None:
            return Path(project.manifest_path).parent
        return None

    # --- lineage ---------------------------------------------------------------------------

    def get_lineage_analysis(
        self, manifest: Mapping[str, Any], project: DbtProject | None = None
    ) -> DbtLineageAnalysis:
        """The lineage of every node of ``manifest`` (computed once per manifest object)."""
        if not hasattr(self, "_analyses"):
            self._analyses: dict[int, tuple[Mapping[str, Any], DbtLineageAnalysis]] = {}
        memo = self._analyses.get(id(manifest))
        if memo is not None and memo[0] is manifest:
            return memo[1]
        settings = self.get_lineage_settings()
        cache = LineageCache(settings.resolve_cache_dir(self.get_target_dir(manifest, project)))
        analysis = analyse_dbt_manifest(
            manifest,
            catalog=self.get_catalog(manifest, project),
            key_fn=lambda props: tuple(self.get_asset_key(props).path),
            owners_fn=lambda props: tuple(self.get_owners(props) or ()),
            settings=settings,
            cache=cache,
            fingerprinter=self.get_fingerprinter(manifest, project, cache),
        )
        self._analyses[id(manifest)] = (manifest, analysis)
        # the analysis has checksummed every node: get_code_version reuses it for that node
        checksums = self._known_checksums()
        for section in ("nodes", "sources"):
            for uid, props in (manifest.get(section) or {}).items():
                rec = analysis.records.get(uid)
                if rec is not None and rec.code_checksum:
                    checksums[uid] = (props, rec.code_checksum)
        return analysis

    def get_fingerprinter(
        self,
        manifest: Mapping[str, Any],
        project: DbtProject | None = None,
        cache: LineageCache | None = None,
    ) -> DbtFingerprinter:
        """The code fingerprinter of ``manifest`` (override to pass more vars or another root).

        It gets the project folder (paths under it are hashed project-relative) and the vars of
        ``dbt_project.yml`` with those ``prepare_dbt_project`` compiled with.
        """
        root = Path(project.project_dir).resolve() if project is not None else None
        target = self.get_target_dir(manifest, project)
        return DbtFingerprinter(
            manifest,
            root=root,
            vars=project_vars(
                project.project_dir if project is not None else None,
                stamp_dir=target,
            ),
            sql_memo=cache if cache is not None and cache.directory is not None else None,
        )

    def _known_checksums(self) -> dict[str, tuple[Mapping[str, Any], str]]:
        if not hasattr(self, "_checksums"):
            self._checksums: dict[str, tuple[Mapping[str, Any], str]] = {}
        return self._checksums

    def lineage_cache_stats(self) -> CacheStats:
        """Cache hits, misses and writes of every analysis this translator ran (for tests/ops).

        Examples:
            >>> DagsterDbtLineageTranslator().lineage_cache_stats()
            CacheStats(hits=0, misses=0, writes=0)
        """
        hits = misses = writes = 0
        for _, analysis in getattr(self, "_analyses", {}).values():
            hits += analysis.cache_stats.hits
            misses += analysis.cache_stats.misses
            writes += analysis.cache_stats.writes
        return CacheStats(hits=hits, misses=misses, writes=writes)

    def get_lineage_record(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> AssetLineage | None:
        """The lineage record of one node (override to adjust it); ``None`` leaves it out."""
        return self.get_lineage_analysis(manifest, project).records.get(unique_id)

    def get_lineage_metadata(
        self, record: AssetLineage, manifest: Mapping[str, Any], unique_id: str
    ) -> Mapping[str, Any]:
        """Metadata entries carrying ``record`` (column schema, column lineage, warnings)."""
        md = dict(lineage_metadata(record))
        analysis = self.get_lineage_analysis(manifest)
        fp = analysis.fingerprints.get(unique_id)
        if fp is not None and fp.parts:
            md[CODE_PARTS_KEY] = fp.packed_explain_parts
        warning = analysis.warning_for(unique_id)
        if warning is not None:
            md[LINEAGE_WARNING_KEY] = dg.MetadataValue.text(warning.render())
        return md

    def records_by_key(
        self, manifest: Mapping[str, Any], project: DbtProject | None = None
    ) -> dict[AssetKeyPath, AssetLineage]:
        """Lineage records of ``manifest`` by asset key path."""
        return {r.key: r for r in self.get_lineage_analysis(manifest, project).records.values()}

    # --- dagster-dbt hooks -----------------------------------------------------------------

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """Checksum of the compiled SQL and config (see ``code_checksum_for_dbt_node``)."""
        known = self._known_checksums().get(str(dbt_resource_props.get("unique_id")))
        if known is not None and known[0] is dbt_resource_props:
            return known[1]  # the same node object the analysis checksummed
        return code_checksum_for_dbt_node(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """dagster-dbt's owners (``meta.dagster.owners``, group owner), else the node's owner."""
        owners = super().get_owners(dbt_resource_props)
        if owners:
            return list(owners)
        found = default_dbt_owners(dbt_resource_props)
        return list(found) or None

    def get_asset_spec(
        self,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetSpec:
        """dagster-dbt's spec, its metadata completed by :meth:`get_metadata` with the lineage.

        The spec is built once (no second spec merged into the first): this sets which manifest
        :meth:`get_metadata` reads the node's lineage record from.
        """
        outer = getattr(self, "_spec_context", None)
        self._spec_context: tuple[Mapping[str, Any], DbtProject | None] | None = (
            manifest,
            project,
        )
        try:
            return super().get_asset_spec(manifest, unique_id, project)
        finally:
            self._spec_context = outer

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dagster-dbt's metadata plus the node's lineage (record, column lineage, checksums).

        dagster-dbt's column schema (from the YAML, with column tags) is kept when it lists the
        same columns with the same types as the lineage record; otherwise the record's schema
        (from the compiled SQL and the catalog) replaces it.
        """
        base = dict(super().get_metadata(dbt_resource_props))
        context = getattr(self, "_spec_context", None)
        unique_id = dbt_resource_props.get("unique_id")
        if context is None or not isinstance(unique_id, str):
            return base
        manifest, project = context
        record = self.get_lineage_record(manifest, unique_id, project)
        if record is None:
            return base
        ours = dict(self.get_lineage_metadata(record, manifest, unique_id))
        if _same_schema(base.get(COLUMN_SCHEMA_KEY), record):
            ours.pop(COLUMN_SCHEMA_KEY, None)
        return {**base, **ours}

    # --- exposures -------------------------------------------------------------------------

    def get_exposure_asset_key(self, exposure_props: Mapping[str, Any]) -> dg.AssetKey:
        """Asset key of an exposure: ``meta.dagster.asset_key``, else its name."""
        meta = (exposure_props.get("config") or {}).get("meta") or exposure_props.get("meta") or {}
        configured = (meta.get("dagster") or {}).get("asset_key")
        return dg.AssetKey(list(configured) if configured else [exposure_props["name"]])

    def get_exposure_spec(
        self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None
    ) -> dg.AssetSpec:
        """A downstream (external) asset spec for one dbt exposure."""
        props = manifest["exposures"][unique_id]
        deps = []
        for dep_id in (props.get("depends_on") or {}).get("nodes") or ():
            dep_props = (manifest.get("nodes") or {}).get(dep_id) or (
                manifest.get("sources") or {}
            ).get(dep_id)
            if dep_props is not None:
                deps.append(self.get_asset_key(dep_props))
        record = self.get_lineage_record(manifest, unique_id, project)
        md: dict[str, Any] = {DBT_UNIQUE_ID_KEY: unique_id}
        if props.get("url"):
            md[EXPOSURE_URL_KEY] = dg.MetadataValue.url(str(props["url"]))
        if props.get("maturity"):
            md[EXPOSURE_MATURITY_KEY] = str(props["maturity"])
        if record is not None:
            record = _with_key(record, tuple(self.get_exposure_asset_key(props).path))
            md.update(lineage_metadata(record))
        owners = list(self.get_owners(props) or ())
        exposure_type = str(props.get("type") or "exposure")
        return dg.AssetSpec(
            key=self.get_exposure_asset_key(props),
            deps=deps,
            description=props.get("description") or props.get("label") or None,
            metadata=md,
            owners=owners or None,
            kinds={"dbt", exposure_type},
            tags={DBT_RESOURCE_TYPE_TAG: "exposure"},
        )


def _same_schema(schema: Any, record: AssetLineage) -> bool:
    """Whether a ``TableSchema`` lists the record's columns, in order, with its types."""
    if not isinstance(schema, dg.TableSchema) or len(schema.columns) != len(record.columns):
        return False
    return all(
        a.name == b.name and a.type == (b.data_type or "unknown")
        for a, b in zip(schema.columns, record.columns)
    )


def _with_key(record: AssetLineage, key: AssetKeyPath) -> AssetLineage:
    import dataclasses

    return record if record.key == key else dataclasses.replace(record, key=key)
