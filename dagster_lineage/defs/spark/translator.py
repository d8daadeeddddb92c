"""How PySpark jobs become Dagster asset keys and specs: :class:`SparkLineageTranslator`.

Customise by subclassing and overriding a hook (every hook is an instance method), like
``DagsterDbtTranslator``; feature flags live in the frozen
:class:`~dagster_lineage.integrations.spark.translator.SparkLineageSettings`.

Examples:
    >>> from dagster_lineage.defs.spark.translator import SparkLineageTranslator
    >>> from dagster_lineage.integrations.spark.translator import SparkJob
    >>> t = SparkLineageTranslator()
    >>> t.get_asset_key_for_path("file:/tmp/state/exports/fct_orders.parquet").path
    ['fct_orders']
    >>> t.get_asset_key_for_table("spark_catalog.analytics.fct_orders").path
    ['fct_orders']
    >>> t.get_asset_key(SparkJob(job_file="jobs/customer_ltv.py", name="customer_ltv_model")).path
    ['customer_ltv_model']
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

import dagster as dg

from dagster_lineage.core.model import AssetLineage
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.defs.metadata_keys import SPARK_ENTRY_KEY, SPARK_JOB_FILE_KEY
from dagster_lineage.integrations.spark.translator import (
    SparkJob,
    SparkLineageSettings,
    job_lineage_record,
    safe_project_relative,
)
from dagster_lineage.integrations.spark.types import SparkJobLineage, SparkSource

_FILE_SUFFIXES = re.compile(
    r"(\.(parquet|csv|json|jsonl|orc|avro|txt|text|delta|xml|gz|snappy|zstd))+$", re.I
)


class SparkLineageTranslator:
    """Maps Spark jobs, tables and paths to Dagster asset keys and spec attributes.

    Args:
        settings: feature flags (defaults when ``None``).

    Examples:
        >>> class Prefixed(SparkLineageTranslator):
        ...     def get_asset_key_for_table(self, table):
        ...         return dg.AssetKey(["warehouse", table.split(".")[-1]])
        >>> Prefixed().get_asset_key_for_source(SparkSource("table", "main.fct_orders")).path
        ['warehouse', 'fct_orders']
    """

    def __init__(self, settings: SparkLineageSettings | None = None) -> None:
        self._settings = settings or SparkLineageSettings()

    @property
    def settings(self) -> SparkLineageSettings:
        """The feature flags."""
        return self._settings

    # --- keys --------------------------------------------------------------------------------

    def get_asset_key(self, job: SparkJob) -> dg.AssetKey:
        """The job's own asset key (default: its ``name``, else the job file's stem)."""
        return dg.AssetKey([job.asset_name])

    def get_asset_key_for_table(self, table: str) -> dg.AssetKey:
        """The asset key of a catalog table the job reads (default: the last dotted part)."""
        return dg.AssetKey([table.strip("`").split(".")[-1].lower()])

    def get_asset_key_for_path(self, path: str) -> dg.AssetKey:
        """The asset key of a path the job reads (default: the last path part without suffixes).

        ``file:/x/exports/fct_orders.parquet``, ``s3://b/fct_orders/`` and
        ``{EXPORT_DIR}/fct_orders.parquet`` all map to ``fct_orders``.
        """
        text = re.sub(r"^[a-z][a-z0-9+.-]*:/*", "/", path.strip(), flags=re.I).rstrip("/")
        parts = [p for p in PurePosixPath(text).parts if p and p != "/" and not _is_glob(p)]
        last = parts[-1] if parts else text
        return dg.AssetKey([_FILE_SUFFIXES.sub("", last.strip("{}"))])

    def get_asset_key_for_source(self, source: SparkSource) -> dg.AssetKey:
        """Dispatches to :meth:`get_asset_key_for_table` or :meth:`get_asset_key_for_path`."""
        if source.kind == "table":
            return self.get_asset_key_for_table(source.name)
        return self.get_asset_key_for_path(source.name)

    # --- spec attributes ---------------------------------------------------------------------

    def get_schema_for_source(self, source: SparkSource) -> Sequence[str] | None:
        """Known column names of a source, so that the static analysis can expand ``*`` (default: unknown)."""
        return None

    def get_owners(self, job: SparkJob) -> Sequence[str]:
        """Owners of the job's asset (default: ``job.owners``)."""
        return job.owners

    def get_kinds(self, job: SparkJob, lineage: SparkJobLineage | None) -> set[str]:
        """Kinds shown in the UI (default: ``spark`` plus the output's format)."""
        kinds = {"spark"}
        if lineage and lineage.output and lineage.output.target and lineage.output.target.format:
            kinds.add(lineage.output.target.format)
        return kinds

    def get_description(self, job: SparkJob) -> str | None:
        """The entry function's docstring, else the job module's docstring."""
        try:
            tree = ast.parse(job.path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, UnicodeDecodeError):
            return None
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == job.entry:
                doc = ast.get_docstring(node)
                if doc:
                    return doc
        return ast.get_docstring(tree)

    def get_group_name(self, job: SparkJob) -> str | None:
        """The asset group (default: ``job.group_name``)."""
        return job.group_name

    def get_tags(self, job: SparkJob) -> Mapping[str, str]:
        """Asset tags (default: ``job.tags``)."""
        return dict(job.tags)

    def get_metadata(self, job: SparkJob, record: AssetLineage) -> Mapping[str, Any]:
        """Extra spec metadata, added to the lineage metadata (default: the job file and entry)."""
        return {
            SPARK_JOB_FILE_KEY: record.source_ref or job.path.name,
            SPARK_ENTRY_KEY: job.entry,
        }

    # --- records and specs -------------------------------------------------------------------

    def get_lineage_record(
        self,
        job: SparkJob,
        lineage: SparkJobLineage,
        *,
        code_checksum: str | None = None,
    ) -> AssetLineage:
        """The job's :class:`AssetLineage` from its (static or runtime) Spark lineage."""
        return job_lineage_record(
            lineage,
            key=tuple(self.get_asset_key(job).path),
            key_for_source=lambda s: tuple(self.get_asset_key_for_source(s).path),
            source_ref=safe_project_relative(job.path),
            code_checksum=code_checksum,
            owners=tuple(self.get_owners(job)),
        )

    def get_asset_spec(
        self, job: SparkJob, record: AssetLineage, lineage: SparkJobLineage | None
    ) -> dg.AssetSpec:
        """The job's ``AssetSpec``: key, deps, lineage metadata, code version, owners, kinds."""
        md = {**lineage_metadata(record), **self.get_metadata(job, record)}
        return dg.AssetSpec(
            key=self.get_asset_key(job),
            deps=[dg.AssetKey(list(k)) for k in record.upstream],
            description=self.get_description(job),
            metadata=md,
            code_version=record.code_checksum,
            owners=list(self.get_owners(job)) or None,
            kinds=self.get_kinds(job, lineage),
            tags=self.get_tags(job) or None,
            group_name=self.get_group_name(job),
        )


def _is_glob(part: str) -> bool:
    return any(ch in part for ch in "*?[") or "=" in part
