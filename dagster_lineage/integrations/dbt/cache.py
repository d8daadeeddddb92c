"""On-disk cache of analysed SQL lineage, keyed by code checksum, upstream schema and version.

Reloading an unchanged dbt project reads every model's lineage from here and parses no SQL. Each
entry is one small JSON file named by its key; writes are atomic (write then rename), so two
processes loading the same project never read half a file. Unreadable entries count as misses.

Examples:
    >>> import tempfile
    >>> from dagster_lineage.integrations.dbt.cache import LineageCache, lineage_cache_key
    >>> from dagster_lineage.sql.types import StatementLineage
    >>> cache = LineageCache(tempfile.mkdtemp())
    >>> key = lineage_cache_key(code_checksum="abc", schema={}, dialect="duckdb")
    >>> cache.get(key) is None
    True
    >>> cache.put(key, StatementLineage())
    >>> cache.get(key) == StatementLineage(), cache.stats()
    (True, CacheStats(hits=1, misses=1, writes=1))
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.core.model import Clause, EdgeKind, Unknown
from dagster_lineage.sql.types import (
    OutputColumn,
    SourceColumn,
    StatementLineage,
    TableColumnRead,
)

CACHE_FORMAT_VERSION = 1


@functools.lru_cache(maxsize=1)
def analyser_fingerprint() -> str:
    """Version of what produces the cached results: this library, sqlglot and the SQL core's code.

    The SQL core's source files are hashed too, so a development install whose version number did
    not change still invalidates the cache when the analysis code changes.

    Examples:
        >>> len(analyser_fingerprint())
        64
    """
    from importlib.metadata import PackageNotFoundError, version

    import sqlglot

    import dagster_lineage.sql as sql_pkg

    try:
        lib = version("dagster-lineage")
    except PackageNotFoundError:  # pragma: no cover - not installed
        lib = "unknown"
    sources = {}
    for path in sorted(Path(sql_pkg.__file__).parent.glob("*.py")):
        try:
            sources[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:  # pragma: no cover
            continue
    return stable_hash({"library": lib, "sqlglot": sqlglot.__version__, "sql_core": sources})


@dataclass(frozen=True)
class CacheStats:
    """How often the cache answered (hits), did not (misses), and was written (writes).

    Examples:
        >>> CacheStats(hits=2, misses=1, writes=1).lookups
        3
    """

    hits: int = 0
    misses: int = 0
    writes: int = 0

    @property
    def lookups(self) -> int:
        """Hits plus misses."""
        return self.hits + self.misses


@dataclass(frozen=True)
class CachedFailure:
    """A statement that could not be analysed: cached too, so a reload does not retry it.

    Examples:
        >>> CachedFailure("Invalid expression").message
        'Invalid expression'
    """

    message: str
    transient: bool = False


def lineage_cache_key(
    *,
    code_checksum: str,
    schema: Mapping[str, Mapping[str, str | None]],
    dialect: str | None,
    extra: Any = None,
) -> str:
    """The cache key of one analysis: the code, the upstream schema it saw, the dialect, the version.

    Examples:
        >>> a = lineage_cache_key(code_checksum="c", schema={"t": {"x": "int"}}, dialect="duckdb")
        >>> b = lineage_cache_key(code_checksum="c", schema={"t": {"x": "text"}}, dialect="duckdb")
        >>> a != b
        True
    """
    return stable_hash(
        {
            "format": CACHE_FORMAT_VERSION,
            "analyser": analyser_fingerprint(),
            "code": code_checksum,
            "schema": {t: dict(cols) for t, cols in schema.items()},
            "dialect": dialect,
            "extra": extra,
        }
    )


class LineageCache:
    """A folder of cached :class:`StatementLineage` results (or :class:`CachedFailure`).

    Args:
        directory: the cache folder, created on the first write; ``None`` keeps nothing on disk
            (every lookup is a miss), which is what an analysis without a target dir uses.

    Examples:
        >>> LineageCache(None).get("k") is None
        True
    """

    def __init__(self, directory: str | Path | None) -> None:
        self.directory = Path(directory) if directory is not None else None
        self._hits = 0
        self._misses = 0
        self._writes = 0

    def stats(self) -> CacheStats:
        """The counters so far."""
        return CacheStats(hits=self._hits, misses=self._misses, writes=self._writes)

    def _path(self, key: str) -> Path | None:
        return self.directory / f"{key}.json" if self.directory is not None else None

    def get(self, key: str) -> StatementLineage | CachedFailure | None:
        """The cached result for ``key``, or ``None`` (a miss)."""
        path = self._path(key)
        if path is None or not path.is_file():
            self._misses += 1
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            value = _from_dict(data)
        except (OSError, ValueError, KeyError, TypeError):
            self._misses += 1
            return None
        self._hits += 1
        return value

    def put(self, key: str, value: StatementLineage | CachedFailure) -> None:
        """Store ``value`` under ``key`` (atomically; a failed write is ignored: it is a cache)."""
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(_to_dict(value), f, sort_keys=True, separators=(",", ":"))
            os.replace(tmp, path)
            self._writes += 1
        except OSError:
            return


def _to_dict(value: StatementLineage | CachedFailure) -> dict[str, Any]:
    if isinstance(value, CachedFailure):
        return {"failure": value.message}
    return {
        "columns": [
            {
                "name": c.name,
                "data_type": c.data_type,
                "sources": [[s.table, s.column, s.kind.value] for s in c.sources],
            }
            for c in value.columns
        ],
        "reads": [[r.table, r.column, r.clause.value] for r in value.reads],
        "tables": list(value.tables),
        "star_tables": list(value.star_tables),
        "target": value.target,
        "unknowns": [[u.reason, u.column] for u in value.unknowns],
    }


def _from_dict(data: Mapping[str, Any]) -> StatementLineage | CachedFailure:
    if "failure" in data:
        return CachedFailure(str(data["failure"]))
    return StatementLineage(
        columns=tuple(
            OutputColumn(
                c["name"],
                tuple(SourceColumn(t, col, EdgeKind(k)) for t, col, k in c["sources"]),
                c.get("data_type"),
            )
            for c in data["columns"]
        ),
        reads=tuple(TableColumnRead(t, c, Clause(k)) for t, c, k in data["reads"]),
        tables=tuple(data["tables"]),
        star_tables=tuple(data["star_tables"]),
        target=data.get("target"),
        unknowns=tuple(Unknown(r, c) for r, c in data["unknowns"]),
    )
