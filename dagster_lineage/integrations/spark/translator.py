"""How PySpark jobs become lineage records and asset specs: :class:`SparkLineageTranslator`.

Customise by subclassing and overriding a hook (every hook is an instance method), like
``DagsterDbtTranslator``; feature flags live in the frozen :class:`SparkLineageSettings`.

Examples:
    >>> from dagster_lineage.integrations.spark.translator import SparkJob, SparkLineageTranslator
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
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import dagster as dg

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Unknown,
)
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.integrations.spark.types import SparkJobLineage, SparkSource
from dagster_lineage.sql.records import LineageParts, lineage_parts

_FILE_SUFFIXES = re.compile(
    r"(\.(parquet|csv|json|jsonl|orc|avro|txt|text|delta|xml|gz|snappy|zstd))+$", re.I
)


@dataclass(frozen=True)
class SparkLineageSettings:
    """Feature flags of the Spark integration.

    Attributes:
        enable_static_lineage: analyse the job's Python when definitions load.
        enable_runtime_lineage: capture column lineage from Spark's analysed plan on materialization.
        warn_on_lineage_mismatch: log a warning when runtime and static lineage differ.
        include_local_imports_in_code_version: fold project-local imported modules into the code
            version (else only the job file).
        max_inline_depth: how deep calls of the job's own helper functions are followed.

    Examples:
        >>> SparkLineageSettings(enable_runtime_lineage=False).enable_static_lineage
        True
    """

    enable_static_lineage: bool = True
    enable_runtime_lineage: bool = True
    warn_on_lineage_mismatch: bool = True
    include_local_imports_in_code_version: bool = True
    max_inline_depth: int = 5


@dataclass(frozen=True)
class SparkJob:
    """One PySpark job: a job file and its entry function (or a callable).

    The entry function receives the ``SparkSession`` as its first argument (and the Dagster context
    as ``context=`` when it declares that parameter), reads, transforms and writes, and returns the
    DataFrame it wrote (or ``None``: then the last DataFrame written during the call is the output).

    Attributes:
        job_file: the job's Python file.
        entry: the entry function's name (default ``run``).
        name: the asset name (default: the job file's stem).
        fn: the entry callable, when the job was given as one.
        owners: owners of the asset (emails or ``team:`` names).
        tags: asset tags.
        group_name: the asset group.

    Examples:
        >>> SparkJob(job_file="jobs/customer_ltv.py").asset_name
        'customer_ltv'
    """

    job_file: str | Path
    entry: str = "run"
    name: str | None = None
    fn: Callable[..., Any] | None = field(default=None, compare=False)
    owners: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict, compare=False)
    group_name: str | None = None

    @property
    def path(self) -> Path:
        """The job file as a ``Path``."""
        return Path(self.job_file)

    @property
    def asset_name(self) -> str:
        """``name``, else the job file's stem."""
        return self.name or self.path.stem

    @classmethod
    def from_callable(cls, fn: Callable[..., Any], **kwargs: Any) -> SparkJob:
        """A job whose entry is ``fn`` (its module file is analysed statically).

        Examples:
            >>> from dagster_lineage.integrations.spark import translator
            >>> SparkJob.from_callable(translator.project_relative).entry
            'project_relative'
        """
        source = inspect.getsourcefile(fn)
        if source is None:
            from dagster_lineage.errors import IntegrationError

            raise IntegrationError(
                repr(fn), "no source file", fix="Pass a function defined in a .py file."
            )
        kwargs.setdefault("name", None)
        return cls(job_file=source, entry=fn.__name__, fn=fn, **kwargs)


def project_relative(path: str | Path) -> str:
    """``path`` relative to its project root (for ``source_ref``: no absolute paths in records).

    Examples:
        >>> import tempfile, pathlib
        >>> project_relative(pathlib.Path(tempfile.mkdtemp()) / "job.py")
        'job.py'
    """
    from dagster_lineage.integrations.spark.checksum import project_root

    p = Path(path).resolve()
    return p.relative_to(project_root(p)).as_posix()


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
            "dagster_lineage/spark_job_file": record.source_ref or job.path.name,
            "dagster_lineage/spark_entry": job.entry,
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
            source_ref=_safe_relative(job.path),
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


def _safe_relative(path: Path) -> str:
    try:
        return project_relative(path)
    except (OSError, ValueError):
        return path.name


def job_lineage_record(
    lineage: SparkJobLineage,
    *,
    key: AssetKeyPath,
    key_for_source: Callable[[SparkSource], AssetKeyPath],
    source_ref: str | None = None,
    code_checksum: str | None = None,
    owners: tuple[str, ...] = (),
) -> AssetLineage:
    r"""Turn Spark lineage (sources named by table or path) into an :class:`AssetLineage` record.

    Sources that map to the job's own key (a job reading its previous output) are left out of its
    upstream, so the graph stays acyclic.

    Examples:
        >>> from dagster_lineage.integrations.spark.static import analyze_source
        >>> lin = analyze_source('def run(spark):\n    return spark.table("db.t").select("a")')
        >>> rec = job_lineage_record(lin, key=("job",), key_for_source=lambda s: (s.name.split(".")[-1],))
        >>> rec.upstream, [d.upstream.display() for d in rec.column_deps["a"]]
        ((('t',),), ['t.a'])
    """
    by_name = {s.name: s for s in lineage.sources}

    def src_key(name: str) -> AssetKeyPath:
        return key_for_source(by_name.get(name) or SparkSource("table", name))

    out = lineage.output
    unknowns = list(lineage.unknowns)
    upstream = {src_key(s.name) for s in lineage.sources}
    parts = LineageParts()
    if out is None:
        unknowns.append(
            Unknown("the job neither returns nor writes a DataFrame that was recognised")
        )
    else:
        parts = lineage_parts(out.lineage, src_key, self_key=key)
        upstream |= set(parts.upstream)
        unknowns.extend(parts.unknowns)
    return AssetLineage(
        key=key,
        asset_type=AssetType.SPARK_JOB,
        source_ref=source_ref,
        upstream=tuple(sorted(upstream - {key})),
        columns=parts.columns,
        column_deps=dict(parts.column_deps),
        reads=parts.reads,
        indirect_deps=dict(parts.indirect_deps),
        star_upstreams=parts.star_upstreams,
        unknowns=tuple(dict.fromkeys(unknowns)),
        code_checksum=code_checksum,
        owners=owners,
    )
