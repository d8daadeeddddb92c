"""PySpark jobs as lineage records: :class:`SparkJob`, its settings and :func:`job_lineage_record`.

The Dagster-facing translator (keys, specs) is
:class:`dagster_lineage.defs.spark.translator.SparkLineageTranslator`; nothing here imports dagster.

Examples:
    >>> from dagster_lineage.integrations.spark.translator import SparkJob
    >>> SparkJob(job_file="jobs/customer_ltv.py", name="customer_ltv_model").asset_name
    'customer_ltv_model'
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_lineage.core.model import (
    AssetKeyPath,
    AssetLineage,
    AssetType,
    Unknown,
)
from dagster_lineage.integrations.spark.types import SparkJobLineage, SparkSource
from dagster_lineage.sql.records import LineageParts, lineage_parts


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


def safe_project_relative(path: Path) -> str:
    """:func:`project_relative`, else the file name when ``path`` has no readable project root.

    Examples:
        >>> safe_project_relative(Path("/nonexistent/dir/job.py"))
        'job.py'
    """
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
