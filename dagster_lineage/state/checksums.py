"""Deterministic checksums of code, schema, data and upstream state.

Pure Python, no Dagster import. Every checksum is a hex sha256 (:func:`~dagster_lineage.core.hashing.
stable_hash`) over sorted, canonical content: no absolute path, no timestamp, no dict order enters the
hashed text, so the same inputs give the same checksum in any process on any machine.

Examples:
    >>> from dagster_lineage.state.checksums import code_checksum, schema_checksum
    >>> code_checksum({"sql": "select 1", "config": {"b": 1, "a": 2}}) == code_checksum(
    ...     {"config": {"a": 2, "b": 1}, "sql": "select 1"})
    True
    >>> schema_checksum([("id", "INTEGER")]) == schema_checksum([("ID", "integer")])
    True
"""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.core.model import ColumnInfo
from dagster_lineage.errors import IntegrationError
from dagster_lineage.sql.data_types import type_key

CHECKSUM_VERSION = 1
"""Bumped when the way checksums are computed changes (it is part of every hashed text)."""

ColumnLike = ColumnInfo | tuple[str, str | None] | Mapping[str, Any]
"""A column as :class:`ColumnInfo`, ``(name, type)`` or ``{"name": ..., "type"/"data_type": ...}``."""


def _normalize_text(data: bytes) -> bytes:
    # Line endings must not differ between machines (git autocrlf on Windows).
    return data.replace(b"\r\n", b"\n")


def code_checksum(parts: Any) -> str:
    """Checksum of an asset's code given as plain data (SQL text, config dict, file digests).

    Args:
        parts: any JSON-like value; dict order does not matter, list order does.

    Examples:
        >>> code_checksum({"sql": "select 1"}) == code_checksum({"sql": "select 1"})
        True
        >>> code_checksum({"sql": "select 1"}) == code_checksum({"sql": "select 2"})
        False
    """
    return stable_hash({"kind": "code", "v": CHECKSUM_VERSION, "parts": parts})


def file_digest(path: str | os.PathLike[str]) -> str:
    """sha256 of a file's bytes (CRLF read as LF).

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.sql"
        >>> _ = p.write_text("select 1")
        >>> file_digest(p) == hashlib.sha256(b"select 1").hexdigest()
        True
    """
    return hashlib.sha256(_normalize_text(Path(path).read_bytes())).hexdigest()


def match_files(base_path: str | os.PathLike[str], patterns: Sequence[str]) -> list[str]:
    """Files under ``base_path`` matching any glob pattern, as sorted POSIX paths relative to it.

    ``**`` matches any number of folders. Raises :class:`IntegrationError` when ``base_path`` is not a
    folder.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "b.json").write_text("{}"); _ = (d / "a.csv").write_text("x")
        >>> match_files(d, ["*.json", "*.csv"])
        ['a.csv', 'b.json']
    """
    base = Path(base_path)
    if not base.is_dir():
        raise IntegrationError(
            str(base_path),
            "the base path of the file set is not a folder",
            fix="Pass an existing folder as base_path (relative paths are resolved from the "
            "current folder).",
        )
    found: set[str] = set()
    for pattern in patterns:
        for hit in glob.glob(pattern, root_dir=str(base), recursive=True):
            if (base / hit).is_file():
                found.add(Path(hit).as_posix())
    return sorted(found)


@dataclass(frozen=True)
class FileSetDigest:
    """The files of a declared file set and their digests (relative paths only).

    Examples:
        >>> FileSetDigest((("a.sql", "00"),)).checksum == FileSetDigest((("a.sql", "00"),)).checksum
        True
    """

    files: tuple[tuple[str, str], ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """The relative paths, sorted."""
        return tuple(p for p, _ in self.files)

    @property
    def checksum(self) -> str:
        """The code checksum over the relative paths and contents."""
        return code_checksum({"files": [[p, d] for p, d in sorted(self.files)]})


def file_set_digest(
    base_path: str | os.PathLike[str],
    patterns: Sequence[str] = (),
    *,
    files: Iterable[str | os.PathLike[str]] = (),
) -> FileSetDigest:
    """Digest the files matching ``patterns`` under ``base_path`` plus explicitly listed ``files``.

    Paths are recorded relative to ``base_path`` (POSIX style) so the checksum does not depend on
    where the project is checked out. Explicit files outside ``base_path`` are recorded by name only.

    Examples:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "load.yaml").write_text("a: 1")
        >>> file_set_digest(d, ["*.yaml"]).paths
        ('load.yaml',)
    """
    base = Path(base_path).resolve()
    entries: dict[str, str] = {p: file_digest(base / p) for p in match_files(base, patterns)}
    for f in files:
        p = Path(f)
        full = p if p.is_absolute() else base / p
        full = full.resolve()
        if not full.is_file():
            raise IntegrationError(
                str(f), "the file is not there", fix="List only existing files in the file set."
            )
        try:
            rel = full.relative_to(base).as_posix()
        except ValueError:
            rel = full.name
        entries[rel] = file_digest(full)
    return FileSetDigest(tuple(sorted(entries.items())))


def file_set_checksum(
    base_path: str | os.PathLike[str],
    patterns: Sequence[str] = (),
    *,
    files: Iterable[str | os.PathLike[str]] = (),
) -> str:
    """Code checksum of a declared file set (see :func:`file_set_digest`).

    Examples:
        >>> import tempfile, pathlib
        >>> d1, d2 = pathlib.Path(tempfile.mkdtemp()), pathlib.Path(tempfile.mkdtemp())
        >>> for d in (d1, d2):
        ...     _ = (d / "c.json").write_text('{"a": 1}')
        >>> file_set_checksum(d1, ["*.json"]) == file_set_checksum(d2, ["*.json"])
        True
    """
    return file_set_digest(base_path, patterns, files=files).checksum


def _column_pair(col: ColumnLike) -> tuple[str, str | None]:
    if isinstance(col, ColumnInfo):
        return col.name, col.data_type
    if isinstance(col, Mapping):
        return str(col["name"]), col.get("type", col.get("data_type"))
    name, data_type = col
    return str(name), data_type


def normalize_schema(columns: Iterable[ColumnLike]) -> dict[str, str | None]:
    """Columns as ``{lower-case name: normalized type}`` (order-independent).

    Examples:
        >>> normalize_schema([("ID", "INTEGER"), ColumnInfo("Name", "VARCHAR")])
        {'id': 'integer', 'name': 'varchar'}
    """
    out: dict[str, str | None] = {}
    for col in columns:
        name, data_type = _column_pair(col)
        out[name.lower()] = type_key(data_type)
    return dict(sorted(out.items()))


def schema_checksum(columns: Iterable[ColumnLike]) -> str:
    """Checksum of column names and types, independent of column order and case.

    Examples:
        >>> schema_checksum([("a", "int"), ("b", "text")]) == schema_checksum([("b", "text"), ("a", "int")])
        True
        >>> schema_checksum([("a", "int")]) == schema_checksum([("a", "bigint")])
        False
    """
    return stable_hash(
        {"kind": "schema", "v": CHECKSUM_VERSION, "columns": normalize_schema(columns)}
    )


def data_checksum(row_count: int, content_hash: str | None) -> str:
    """Checksum of a table's data from its row count and order-independent content hash.

    Examples:
        >>> data_checksum(3, "abc") == data_checksum(3, "abc"), data_checksum(3, "abc") == data_checksum(4, "abc")
        (True, False)
    """
    return stable_hash(
        {"kind": "data", "v": CHECKSUM_VERSION, "rows": int(row_count), "content": content_hash}
    )


@dataclass(frozen=True)
class ParentState:
    """What a child saw of one parent when it materialized: the parent's checksums.

    Examples:
        >>> ParentState(code="c", schema="s", data=None).to_dict()
        {'code': 'c', 'schema': 's', 'data': None, 'upstream': None}
    """

    code: str | None = None
    schema: str | None = None
    data: str | None = None
    upstream: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """JSON-ready form (stable key order)."""
        return {
            "code": self.code,
            "schema": self.schema,
            "data": self.data,
            "upstream": self.upstream,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ParentState:
        """Inverse of :meth:`to_dict` (missing entries are ``None``)."""
        return cls(
            code=data.get("code"),
            schema=data.get("schema"),
            data=data.get("data"),
            upstream=data.get("upstream"),
        )


def upstream_checksum(parents: Mapping[str, ParentState | None]) -> str:
    """Fold the parents' checksums (keyed by asset key string) into one checksum.

    A parent never materialized counts as ``None``. Order of the mapping does not matter.

    Examples:
        >>> a = {"x": ParentState(code="1"), "y": None}
        >>> b = {"y": None, "x": ParentState(code="1")}
        >>> upstream_checksum(a) == upstream_checksum(b)
        True
        >>> upstream_checksum(a) == upstream_checksum({"x": ParentState(code="2"), "y": None})
        False
    """
    return stable_hash(
        {
            "kind": "upstream",
            "v": CHECKSUM_VERSION,
            "parents": {k: (v.to_dict() if v else None) for k, v in sorted(parents.items())},
        }
    )
