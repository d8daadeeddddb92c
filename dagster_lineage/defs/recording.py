"""Checksum metadata recorded on every materialization (stub: the checksum work fills this in).

Every lineage-aware asset factory (dbt, Airflow, Spark, file globs) calls :func:`checksum_metadata`
when it materializes an asset and adds the returned entries to the materialization's metadata.

Examples:
    >>> from dagster_lineage.core.model import AssetLineage
    >>> from dagster_lineage.defs.recording import checksum_metadata
    >>> isinstance(checksum_metadata(AssetLineage(key=("a",))), dict)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster_lineage.core.model import AssetLineage, ColumnInfo


def checksum_metadata(
    record: AssetLineage,
    *,
    context: Any | None = None,
    observed_columns: Sequence[ColumnInfo] | None = None,
    table: Any | None = None,
) -> dict[str, Any]:
    """Metadata entries (code, schema, data and upstream checksums) for one materialization.

    Args:
        record: the asset's lineage record (carries its code checksum).
        context: the Dagster execution context, used to read the parents' last checksums.
        observed_columns: the schema actually produced, when the factory knows it.
        table: a warehouse table handle for the data checksum and row count, when there is one.

    Never raises for enrichment failures: it logs a warning and leaves the entry out.
    """
    return {}
