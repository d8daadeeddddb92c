"""Feature flags of the dbt lineage integration (a frozen dataclass, pure).

Examples:
    >>> from dagster_lineage.integrations.dbt.settings import DbtLineageSettings
    >>> DbtLineageSettings(enable_column_lineage=False).enable_column_lineage
    False
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_CACHE_DIRNAME = "dagster_lineage_cache"


@dataclass(frozen=True)
class DbtLineageSettings:
    """What the dbt lineage integration computes.

    Attributes:
        enable_column_lineage: analyse each model's compiled SQL for column lineage. When off,
            assets still carry their lineage record (type, upstreams, declared columns, checksum).
        enable_exposures: build a downstream asset per dbt exposure.
        enable_cache: keep analysed lineage on disk, so reloading an unchanged project parses no SQL.
        cache_dir: where the cache lives; ``None`` means ``<dbt target dir>/dagster_lineage_cache``
            (or no disk cache when the target dir is unknown).
        use_catalog: read column types from ``catalog.json`` next to the manifest when present.
        observe_columns: after ``dbt build``, read each built relation's columns from the warehouse
            (DuckDB only) and record them with the materialization's checksums.

    Examples:
        >>> DbtLineageSettings(cache_dir="/tmp/x").cache_dir
        '/tmp/x'
    """

    enable_column_lineage: bool = True
    enable_exposures: bool = True
    enable_cache: bool = True
    cache_dir: str | Path | None = None
    use_catalog: bool = True
    observe_columns: bool = True

    def resolve_cache_dir(self, target_dir: str | Path | None) -> Path | None:
        """The cache folder to use, or ``None`` for an in-memory-only analysis.

        Examples:
            >>> DbtLineageSettings().resolve_cache_dir("/p/target").as_posix()
            '/p/target/dagster_lineage_cache'
            >>> DbtLineageSettings(enable_cache=False).resolve_cache_dir("/p/target") is None
            True
        """
        if not self.enable_cache:
            return None
        if self.cache_dir is not None:
            return Path(self.cache_dir)
        if target_dir is None:
            return None
        return Path(target_dir) / DEFAULT_CACHE_DIRNAME
