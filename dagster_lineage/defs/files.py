"""Assets over plain files (JSON/CSV/YAML load configs, ...) whose code checksum covers the files.

Each :class:`FileModel` is an asset of type ``file_model`` defined by glob patterns under a base
path. Its code checksum (and Dagster ``code_version``) is computed over the matched files' relative
paths and contents, so editing, adding or removing a file shows up in ``dagster-lineage changed`` and
as "code version changed" in the Dagster UI. On materialization it re-reads the files and records the
checksums (:func:`~dagster_lineage.defs.recording.checksum_metadata`).

Examples:
    >>> import tempfile, pathlib
    >>> import dagster as dg
    >>> from dagster_lineage.defs.files import FileModel, build_file_model_assets
    >>> base = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (base / "orders.yaml").write_text("table: raw_orders")
    >>> [asset] = build_file_model_assets(base_path=base, models=[FileModel("load_configs", ("*.yaml",))])
    >>> asset.key.path, asset.code_versions_by_key[asset.key] is not None
    (['load_configs'], True)
    >>> dg.materialize([asset], instance=dg.DagsterInstance.ephemeral()).success
    True
"""

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext

from dagster_lineage.core.model import AssetKeyPath, AssetLineage, AssetType, ColumnInfo
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.defs.metadata_keys import FILE_COUNT_KEY, FILE_PATTERNS_KEY, FILES_KEY
from dagster_lineage.defs.recording import checksum_metadata
from dagster_lineage.errors import DagsterLineageError
from dagster_lineage.state.checksums import file_set_digest

_NAME = re.compile(r"^[A-Za-z0-9_]+$")

FilesComputeFn = Callable[[dg.AssetExecutionContext, list[Path]], Mapping[str, Any] | None]
"""User hook run on materialization with the matched files; may return extra metadata."""


@dataclass(frozen=True)
class FileModel:
    """One file-backed asset: a name (unique) and glob patterns relative to the base path.

    Attributes:
        name: the asset name (last key part); letters, digits and underscores.
        patterns: glob patterns (``**`` recurses), relative to the base path.
        deps: names or ``a/b`` keys of upstream assets.
        description: free text.
        columns: declared output columns, when the files describe a table.
        owners: owners to notify (emails or ``team:...``).
        tags: free-form tags.

    Examples:
        >>> FileModel("configs", ("*.json",)).patterns
        ('*.json',)
    """

    name: str
    patterns: tuple[str, ...]
    deps: tuple[str, ...] = ()
    description: str | None = None
    columns: tuple[ColumnInfo, ...] = ()
    owners: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


def file_model_record(
    model: FileModel,
    *,
    base_path: str | os.PathLike[str],
    key_prefix: Sequence[str] = (),
) -> AssetLineage:
    """The lineage record of a file model, with its code checksum over the matched files.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "a.csv").write_text("x")
        >>> rec = file_model_record(FileModel("seed", ("*.csv",)), base_path=d)
        >>> rec.asset_type.value, rec.source_ref
        ('file_model', '*.csv')
    """
    digest = file_set_digest(base_path, model.patterns)
    return AssetLineage(
        key=(*key_prefix, model.name),
        asset_type=AssetType.FILE_MODEL,
        source_ref=", ".join(model.patterns),
        upstream=tuple(sorted({_dep_key(d) for d in model.deps})),
        columns=model.columns,
        code_checksum=digest.checksum,
        owners=model.owners,
        tags=dict(model.tags),
        description=model.description,
    )


def _dep_key(dep: str) -> AssetKeyPath:
    return tuple(p for p in dep.split("/") if p)


def _validate(models: Sequence[FileModel], key_prefix: Sequence[str]) -> None:
    seen: dict[str, FileModel] = {}
    for m in models:
        if not _NAME.match(m.name):
            raise DagsterLineageError(
                f"File model name {m.name!r} is not a valid asset name: use letters, digits and "
                "underscores only."
            )
        if not m.patterns:
            raise DagsterLineageError(
                f"File model {m.name!r} has no glob patterns: give at least one, e.g. ('*.json',)."
            )
        if m.name in seen:
            raise DagsterLineageError(
                f"File model name {m.name!r} is used twice (patterns {list(seen[m.name].patterns)} "
                f"and {list(m.patterns)}): every file model needs a unique name"
                + (f" under key prefix {'/'.join(key_prefix)}" if key_prefix else "")
                + "."
            )
        seen[m.name] = m


def build_file_model_assets(
    *,
    base_path: str | os.PathLike[str],
    models: Sequence[FileModel],
    key_prefix: Sequence[str] | None = None,
    group_name: str | None = None,
    compute_fn: FilesComputeFn | None = None,
) -> list[dg.AssetsDefinition]:
    """One asset per :class:`FileModel`, checksummed over its matched files.

    Args:
        base_path: the folder the patterns are relative to (must exist).
        models: the file models; names must be unique.
        key_prefix: key parts put before each model's name.
        group_name: Dagster asset group.
        compute_fn: optional hook ``(context, files) -> metadata`` run on materialization (e.g. to
            load the configs); errors in it fail the run like any asset code.

    Raises:
        DagsterLineageError: a duplicate or invalid name, or a model without patterns.
        IntegrationError: ``base_path`` is not a folder.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> build_file_model_assets(base_path=d, models=[FileModel("x", ("*.json",)), FileModel("x", ("*.csv",))])
        Traceback (most recent call last):
        ...
        dagster_lineage.errors.DagsterLineageError: File model name 'x' is used twice (patterns ['*.json'] and ['*.csv']): every file model needs a unique name.
    """
    prefix = tuple(key_prefix or ())
    _validate(models, prefix)
    base = Path(base_path)
    return [_build_one(m, base, prefix, group_name, compute_fn) for m in models]


def _build_one(
    model: FileModel,
    base: Path,
    prefix: tuple[str, ...],
    group_name: str | None,
    compute_fn: FilesComputeFn | None,
) -> dg.AssetsDefinition:
    record = file_model_record(model, base_path=base, key_prefix=prefix)
    md = lineage_metadata(record)
    md[FILE_PATTERNS_KEY] = dg.MetadataValue.json(list(model.patterns))
    spec = dg.AssetSpec(
        key=dg.AssetKey(list(record.key)),
        deps=[dg.AssetKey(list(k)) for k in record.upstream],
        description=model.description or f"Files {', '.join(model.patterns)}",
        metadata=md,
        code_version=record.code_checksum,
        owners=list(model.owners) or None,
        tags=dict(model.tags) or None,
        group_name=group_name,
        kinds={"file"},
    )

    @dg.multi_asset(specs=[spec], name="_".join((*prefix, model.name)))
    def _file_model(context: AssetExecutionContext) -> dg.MaterializeResult:
        digest = file_set_digest(base, model.patterns)
        if not digest.files:
            context.log.warning(
                f"dagster-lineage: file model {model.name} matched no file for "
                f"{list(model.patterns)} under {base}"
            )
        extra: Mapping[str, Any] = {}
        if compute_fn is not None:
            extra = compute_fn(context, [base / p for p in digest.paths]) or {}
        now = replace(record, code_checksum=digest.checksum)
        meta: dict[str, Any] = {
            FILES_KEY: dg.MetadataValue.json(list(digest.paths)),
            FILE_COUNT_KEY: len(digest.files),
        }
        meta.update(checksum_metadata(now, context=context))
        meta.update(extra)
        return dg.MaterializeResult(metadata=meta)

    return _file_model
