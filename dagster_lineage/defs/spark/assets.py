r"""PySpark jobs as lineage-aware Dagster assets.

A job is a Python file with an entry function (``run`` by default) or a callable::

    def run(spark: SparkSession) -> DataFrame:
        orders = spark.read.parquet(...)
        out = orders.groupBy("customer_id").agg(...)
        out.write.mode("overwrite").parquet(...)
        return out          # or return nothing: the last DataFrame written is the output

When definitions load, the job's Python is analysed statically (no Spark, no import of the job file):
its upstream tables/paths become the asset's deps and its column lineage goes on the spec. When the
asset materializes, the entry function runs with a local ``SparkSession`` from
:class:`SparkSessionResource`; the column lineage of the output DataFrame is read from Spark's
analysed plan and recorded as the materialization's ``dagster/column_lineage``, and any difference
from the static lineage is recorded (``dagster_lineage/lineage_mismatch``) and logged as a warning.

Nothing here imports pyspark until a job materializes.

Examples:
    >>> import tempfile, pathlib
    >>> from dagster_lineage.defs.spark import build_spark_lineage_specs
    >>> from dagster_lineage.integrations.spark.translator import SparkJob
    >>> job = pathlib.Path(tempfile.mkdtemp()) / "ltv.py"
    >>> _ = job.write_text(
    ...     "def run(spark):\n"
    ...     "    o = spark.read.parquet('/exports/fct_orders.parquet')\n"
    ...     "    return o.groupBy('customer_id').count()\n"
    ... )
    >>> [spec] = build_spark_lineage_specs(jobs=[SparkJob(job_file=job)])
    >>> spec.key.path, [d.asset_key.path for d in spec.deps]
    (['ltv'], [['fct_orders']])
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
from pydantic import Field

from dagster_lineage.core.model import AssetLineage, ColumnInfo, Unknown
from dagster_lineage.defs.metadata import column_lineage
from dagster_lineage.defs.metadata_keys import (
    COLUMN_LINEAGE_KEY,
    COLUMN_SCHEMA_KEY,
    LINEAGE_MATCHES_KEY,
    LINEAGE_MISMATCH_KEY,
    RUNTIME_LINEAGE_KEY,
)
from dagster_lineage.defs.recording import checksum_metadata
from dagster_lineage.defs.spark.translator import SparkLineageTranslator
from dagster_lineage.errors import IntegrationError
from dagster_lineage.integrations.spark.checksum import job_code_checksum, module_name
from dagster_lineage.integrations.spark.compare import LineageDifference, compare_lineage
from dagster_lineage.integrations.spark.static import analyze_job_file
from dagster_lineage.integrations.spark.translator import SparkJob
from dagster_lineage.integrations.spark.types import SparkJobLineage

_log = logging.getLogger("dagster_lineage")


class SparkSessionResource(dg.ConfigurableResource):
    """A local SparkSession for PySpark job assets (``local[*]``, UI off, bound to loopback).

    Examples:
        >>> res = SparkSessionResource(shuffle_partitions=4)
        >>> res.spark_conf()["spark.sql.shuffle.partitions"], res.spark_conf()["spark.ui.enabled"]
        ('4', 'false')
    """

    master: str = Field(default="local[*]", description="Spark master URL.")
    app_name: str = Field(default="dagster-lineage", description="Spark application name.")
    shuffle_partitions: int = Field(
        default=2, description="spark.sql.shuffle.partitions (small for local runs)."
    )
    warehouse_dir: str | None = Field(
        default=None,
        description="spark.sql.warehouse.dir for saveAsTable; default: a folder in the temp dir.",
    )
    bind_address: str = Field(
        default="127.0.0.1", description="Driver bind address and host (loopback by default)."
    )
    conf: dict[str, str] = Field(default_factory=dict, description="Extra Spark configuration.")
    stop_on_teardown: bool = Field(
        default=False,
        description="Stop the session after each run (frees the JVM; the next run starts a new one).",
    )

    def spark_conf(self) -> dict[str, str]:
        """Every Spark configuration entry the session is built with."""
        warehouse = self.warehouse_dir or str(
            Path(tempfile.gettempdir()) / "dagster_lineage_spark_warehouse"
        )
        return {
            "spark.ui.enabled": "false",
            "spark.driver.bindAddress": self.bind_address,
            "spark.driver.host": self.bind_address,
            "spark.sql.shuffle.partitions": str(self.shuffle_partitions),
            "spark.sql.warehouse.dir": warehouse,
            **{k: str(v) for k, v in self.conf.items()},
        }

    def get_session(self) -> Any:
        """The (shared) ``SparkSession``; raises :class:`IntegrationError` without pyspark/Java."""
        if self.warehouse_dir and Path(self.warehouse_dir).is_file():
            raise IntegrationError(
                self.warehouse_dir,
                "warehouse_dir is a file",
                fix="Point SparkSessionResource.warehouse_dir at a folder.",
            )
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise IntegrationError(
                "SparkSessionResource",
                "pyspark is not installed",
                fix="Install the spark extra: pip install 'dagster-lineage[spark]'.",
            ) from None
        # the JVM reads it at launch: no "hostname resolves to a loopback address" guessing
        os.environ.setdefault("SPARK_LOCAL_IP", self.bind_address)
        builder = SparkSession.builder.master(self.master).appName(self.app_name)
        for k, v in self.spark_conf().items():
            builder = builder.config(k, v)
        try:
            return builder.getOrCreate()
        except Exception as e:  # noqa: BLE001 - the JVM could not start (no Java, port in use...)
            raise IntegrationError(
                "SparkSessionResource",
                f"could not start Spark ({type(e).__name__}: {str(e).splitlines()[0][:300]})",
                fix="Check that Java 17+ is installed and JAVA_HOME is set.",
            ) from None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Stops the session when ``stop_on_teardown`` is set."""
        if not self.stop_on_teardown:
            return
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            return
        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()


# --- static side ------------------------------------------------------------------------------


def _static(
    job: SparkJob, translator: SparkLineageTranslator
) -> tuple[AssetLineage, SparkJobLineage | None]:
    path = job.path
    if not path.is_file():
        raise IntegrationError(
            str(path),
            "the Spark job file does not exist",
            fix="Check job_file (relative paths are resolved from the working directory).",
        )
    settings = translator.settings
    if settings.include_local_imports_in_code_version:
        checksum = job_code_checksum(path, entry=job.entry)
    else:
        from dagster_lineage.state.checksums import code_checksum, python_file_digest

        checksum = code_checksum(
            {
                "spark_job": path.name,
                "entry": job.entry,
                "scheme": "spark/2",
                "file": python_file_digest(path),
            }
        )
    lineage: SparkJobLineage | None = None
    if settings.enable_static_lineage:
        try:
            lineage = analyze_job_file(
                path,
                entry=job.entry,
                schema_for=translator.get_schema_for_source,
                max_inline_depth=settings.max_inline_depth,
            )
        except IntegrationError:
            raise
        except Exception as e:  # noqa: BLE001 - lineage is enrichment: warn, keep going
            _log.warning("dagster-lineage: could not analyse Spark job %s: %s", path, e)
            lineage = SparkJobLineage(unknowns=(Unknown(f"static analysis failed: {e}"),))
        for u in lineage.unknowns:
            if "not valid Python" in u.reason:
                _log.warning("dagster-lineage: %s", u.reason)
    record = translator.get_lineage_record(
        job, lineage or SparkJobLineage(), code_checksum=checksum
    )
    if lineage is None:
        record = replace(record, unknowns=(Unknown("static lineage disabled"),))
    return record, lineage


def _as_jobs(jobs: Sequence[SparkJob | str | Path | Callable[..., Any]]) -> list[SparkJob]:
    out = []
    for j in jobs:
        if isinstance(j, SparkJob):
            out.append(j)
        elif isinstance(j, str | Path):
            out.append(SparkJob(job_file=j))
        elif callable(j):
            out.append(SparkJob.from_callable(j))
        else:
            raise IntegrationError(repr(j), "not a Spark job", fix="Pass SparkJob(job_file=...).")
    return out


def build_spark_lineage_specs(
    *,
    jobs: Sequence[SparkJob | str | Path | Callable[..., Any]],
    translator: SparkLineageTranslator | None = None,
) -> list[dg.AssetSpec]:
    """One ``AssetSpec`` per Spark job, with static column lineage and code version; no Spark needed.

    Args:
        jobs: ``SparkJob``s, job file paths (entry ``run``) or entry callables.
        translator: maps jobs, tables and paths to asset keys and spec attributes.

    Raises:
        IntegrationError: a job file that does not exist.

    Examples:
        >>> build_spark_lineage_specs(jobs=["/no/such/job.py"])
        Traceback (most recent call last):
        ...
        dagster_lineage.errors.IntegrationError: Could not read /no/such/job.py: the Spark job file does not exist. Check job_file (relative paths are resolved from the working directory).
    """
    tr = translator or SparkLineageTranslator()
    specs = []
    for job in _as_jobs(jobs):
        record, lineage = _static(job, tr)
        specs.append(tr.get_asset_spec(job, record, lineage))
    return specs


# --- run time ---------------------------------------------------------------------------------


def load_entry(job: SparkJob) -> Callable[..., Any]:
    r"""Import the job's module and return its entry function (or the callable it was given).

    The module is imported by its dotted name when it lives in a package importable from the
    job's project root, else straight from its file.

    Raises:
        IntegrationError: the module cannot be imported or has no such function.

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "j.py"
        >>> _ = p.write_text("def run(spark):\n    return spark\n")
        >>> load_entry(SparkJob(job_file=p))("s")
        's'
    """
    if job.fn is not None:
        return job.fn
    path = job.path.resolve()
    mod: Any = None
    dotted = module_name(path)
    if dotted:
        try:
            mod = importlib.import_module(dotted)
            if Path(getattr(mod, "__file__", "") or "").resolve() != path:
                mod = None
        except ImportError:
            mod = None
    if mod is None:
        name = f"dagster_lineage_spark_job_{path.stem}_{abs(hash(str(path))):x}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise IntegrationError(str(path), "cannot be imported", fix="Check the job file.")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    fn = getattr(mod, job.entry, None)
    if not callable(fn):
        raise IntegrationError(
            str(path),
            f"it has no entry function {job.entry!r}",
            fix="Define it (def run(spark): ...) or pass entry= the function's name.",
        )
    return fn


def _is_dataframe(value: Any) -> bool:
    return hasattr(value, "_jdf") or type(value).__name__ == "DataFrame"


def run_spark_job(
    context: dg.AssetExecutionContext,
    *,
    job: SparkJob,
    record: AssetLineage,
    spark: Any,
    translator: SparkLineageTranslator,
) -> dg.MaterializeResult:
    """Run one job's entry function and build its materialization metadata.

    The job's own errors fail the run; capturing lineage never does (it warns).

    Examples:
        >>> callable(run_spark_job)
        True
    """
    from dagster_lineage.integrations.spark.runtime import (
        capture_written_dataframes,
        runtime_lineage,
    )

    fn = load_entry(job)
    kwargs: dict[str, Any] = {}
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    if "context" in params:
        kwargs["context"] = context
    with capture_written_dataframes() as written:
        result = fn(spark, **kwargs)
    df = result if _is_dataframe(result) else (written[-1] if written else None)

    metadata: dict[str, Any] = {}
    observed: list[ColumnInfo] | None = None
    if df is None:
        context.log.warning(
            f"dagster-lineage: Spark job {job.path.name} neither returned nor wrote a DataFrame; "
            "no runtime lineage recorded. Return the output DataFrame from the entry function."
        )
    elif translator.settings.enable_runtime_lineage:
        try:
            rt = runtime_lineage(df)
            rt_record = translator.get_lineage_record(job, rt)
            observed = list(rt_record.columns)
            metadata[COLUMN_LINEAGE_KEY] = column_lineage(rt_record)
            metadata[RUNTIME_LINEAGE_KEY] = dg.MetadataValue.json(
                {
                    "column_deps": rt_record.to_dict()["column_deps"],
                    "reads": rt_record.to_dict()["reads"],
                    "sources": [s.name for s in rt.sources],
                }
            )
            diffs: tuple[LineageDifference, ...] = ()
            if record.column_deps or not record.unknowns:
                diffs = compare_lineage(record, rt_record)
            metadata[LINEAGE_MATCHES_KEY] = not diffs
            if diffs:
                metadata[LINEAGE_MISMATCH_KEY] = dg.MetadataValue.md(
                    "\n".join(f"- {d.message()}" for d in diffs)
                )
                if translator.settings.warn_on_lineage_mismatch:
                    context.log.warning(
                        f"dagster-lineage: runtime column lineage of {job.path.name} differs from "
                        "its static lineage: " + "; ".join(d.message() for d in diffs)
                    )
        except Exception as e:  # noqa: BLE001 - lineage is enrichment: never fail the run
            context.log.warning(
                f"dagster-lineage: runtime lineage of {job.path.name} not captured: "
                f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
            )
    if observed:
        from dagster_lineage.defs.metadata import column_schema

        metadata[COLUMN_SCHEMA_KEY] = column_schema(replace(record, columns=tuple(observed)))
    recorded = checksum_metadata(record, context=context, observed_columns=observed)
    metadata.update({k: v for k, v in recorded.items() if k not in metadata})  # runtime lineage wins
    return dg.MaterializeResult(asset_key=dg.AssetKey(list(record.key)), metadata=metadata)


def _asset_for(
    job: SparkJob,
    translator: SparkLineageTranslator,
    resource_key: str,
    op_name: str | None,
) -> dg.AssetsDefinition:
    record, lineage = _static(job, translator)
    spec = translator.get_asset_spec(job, record, lineage)
    name = op_name or "spark_" + "_".join(spec.key.path)

    @dg.multi_asset(specs=[spec], name=name, required_resource_keys={resource_key})
    def _spark_job(context) -> dg.MaterializeResult:  # type: ignore[no-untyped-def]
        resource = getattr(context.resources, resource_key)
        spark = resource.get_session() if hasattr(resource, "get_session") else resource
        return run_spark_job(context, job=job, record=record, spark=spark, translator=translator)

    return _spark_job


def spark_job_asset(
    *,
    job_file: str | Path | None = None,
    entry: str | Callable[..., Any] | None = None,
    name: str | None = None,
    translator: SparkLineageTranslator | None = None,
    owners: Sequence[str] | None = None,
    tags: Mapping[str, str] | None = None,
    group_name: str | None = None,
    resource_key: str | None = None,
) -> dg.AssetsDefinition:
    r"""A PySpark job as a Dagster asset with static and runtime column lineage.

    Args:
        job_file: the job's Python file (optional when ``entry`` is a callable).
        entry: the entry function's name (default ``run``) or the function itself.
        name: the asset name (default: the job file's stem; the translator may override).
        translator: maps jobs, tables and paths to asset keys and spec attributes.
        owners: asset owners.
        tags: asset tags.
        group_name: the asset group.
        resource_key: the resource providing the session (default ``spark``: a
            :class:`SparkSessionResource`, or any object with ``get_session()``).

    Raises:
        IntegrationError: no job file given or found.

    Examples:
        >>> import tempfile, pathlib
        >>> job = pathlib.Path(tempfile.mkdtemp()) / "report.py"
        >>> _ = job.write_text("def run(spark):\n    return spark.table('fct_orders').select('order_id')\n")
        >>> asset = spark_job_asset(job_file=job, name="order_ids")
        >>> [k.path for k in asset.keys]
        [['order_ids']]
    """
    if job_file is None and callable(entry):
        job = SparkJob.from_callable(
            entry,
            name=name,
            owners=tuple(owners or ()),
            tags=dict(tags or {}),
            group_name=group_name,
        )
    elif job_file is not None:
        entry_name = entry.__name__ if callable(entry) else (entry or "run")
        job = SparkJob(
            job_file=job_file,
            entry=entry_name,
            name=name,
            fn=entry if callable(entry) else None,
            owners=tuple(owners or ()),
            tags=dict(tags or {}),
            group_name=group_name,
        )
    else:
        raise IntegrationError(
            "spark_job_asset", "no job given", fix="Pass job_file=... or entry=<a function>."
        )
    return _asset_for(job, translator or SparkLineageTranslator(), resource_key or "spark", None)


def spark_job_assets(
    *,
    jobs: Sequence[SparkJob | str | Path | Callable[..., Any]],
    translator: SparkLineageTranslator | None = None,
    resource_key: str | None = None,
) -> list[dg.AssetsDefinition]:
    r"""One asset per Spark job (see :func:`spark_job_asset`); asset names must be unique.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> for n in ("a", "b"):
        ...     _ = (d / f"{n}.py").write_text("def run(spark):\n    return spark.table('t')\n")
        >>> sorted(k.to_user_string() for a in spark_job_assets(jobs=[d / "a.py", d / "b.py"]) for k in a.keys)
        ['a', 'b']
    """
    tr = translator or SparkLineageTranslator()
    assets = [_asset_for(j, tr, resource_key or "spark", None) for j in _as_jobs(jobs)]
    seen: dict[str, None] = {}
    for a in assets:
        for k in a.keys:
            if k.to_user_string() in seen:
                from dagster_lineage.errors import DagsterLineageError

                raise DagsterLineageError(
                    f"Two Spark jobs map to asset {k.to_user_string()}: give them distinct names "
                    "(SparkJob(name=...)) or override SparkLineageTranslator.get_asset_key."
                )
            seen[k.to_user_string()] = None
    return assets
