"""On-disk cache of analysed SQL lineage, keyed by code checksum, upstream schema and version.

Reloading an unchanged dbt project reads every model's lineage from here and parses no SQL. The
whole cache is ONE JSON file (``lineage_cache.json`` in the cache folder) holding an entry per
key, read once on the first lookup; new entries are buffered and written by :meth:`flush`
atomically (temporary file, then rename), merged with what another process may have written in
the meantime, so two processes loading the same project never read half a file. An unreadable
file is ignored with a warning (every lookup is a miss) and replaced on the next flush; an
unreadable entry counts as a miss.

Examples:
    >>> import tempfile
    >>> from dagster_lineage.integrations.dbt.cache import LineageCache, lineage_cache_key
    >>> from dagster_lineage.sql.types import StatementLineage
    >>> folder = tempfile.mkdtemp()
    >>> cache = LineageCache(folder)
    >>> key = lineage_cache_key(code_checksum="abc", schema={}, dialect="duckdb")
    >>> cache.get(key) is None
    True
    >>> cache.put(key, StatementLineage())
    >>> cache.flush()
    >>> fresh = LineageCache(folder)
    >>> fresh.get(key) == StatementLineage(), cache.stats(), fresh.stats()
    (True, CacheStats(hits=0, misses=1, writes=1), CacheStats(hits=1, misses=0, writes=0))
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import pickle
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

logger = logging.getLogger("dagster_lineage.dbt")

CACHE_FORMAT_VERSION = 2
CACHE_FILENAME = "lineage_cache.json"
SNAPSHOT_FILENAME = "analysis_snapshot.pickle"
SNAPSHOT_FORMAT_VERSION = 1
DEFAULT_MAX_ENTRIES = 50_000

_EDGE_KINDS = {k.value: k for k in EdgeKind}
_CLAUSES = {c.value: c for c in Clause}


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


@functools.lru_cache(maxsize=1)
def snapshot_fingerprint() -> str:
    """Version of what produces a whole-manifest analysis: the library's pure layers' code.

    Like :func:`analyser_fingerprint`, but over every module the dbt analysis runs (the SQL core,
    the record model, checksums and this integration), so a changed analysis never reads an
    older snapshot.

    Examples:
        >>> len(snapshot_fingerprint())
        64
    """
    root = Path(__file__).resolve().parents[2]  # the dagster_lineage package folder
    digest = hashlib.sha256(analyser_fingerprint().encode())
    for folder in ("core", "sql", "state", "integrations/dbt"):
        for path in sorted((root / folder).glob("*.py")):
            try:
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
            except OSError:  # pragma: no cover
                continue
    return digest.hexdigest()


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
    # json.dumps (C) on plain str/None data instead of stable_hash's recursive normalisation:
    # this runs once per model on every load, warm or cold.
    text = json.dumps(
        [
            CACHE_FORMAT_VERSION,
            analyser_fingerprint(),
            code_checksum,
            dialect,
            {str(t): {str(c): v for c, v in cols.items()} for t, cols in schema.items()},
            None if extra is None else stable_hash(extra),
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _loads(data: bytes) -> Any:
    try:
        import orjson  # a dagster-dbt dependency; about twice as fast as json
    except ImportError:  # pragma: no cover
        return json.loads(data)
    return orjson.loads(data)


class LineageCache:
    """One file of cached :class:`StatementLineage` results (or :class:`CachedFailure`), by key.

    Args:
        directory: the cache folder (the file ``lineage_cache.json`` in it), created on the first
            flush; ``None`` keeps nothing on disk (every lookup is a miss), which is what an
            analysis without a target dir uses.
        max_entries: entries kept in the file; the least recently used beyond it are dropped.

    Examples:
        >>> LineageCache(None).get("k") is None
        True
    """

    def __init__(self, directory: str | Path | None, *, max_entries: int = DEFAULT_MAX_ENTRIES):
        self.directory = Path(directory) if directory is not None else None
        self.max_entries = max_entries
        self._hits = 0
        self._misses = 0
        self._writes = 0
        self._entries: dict[str, Any] | None = None
        self._loaded_version: tuple[int, int] | None = None
        self._used: set[str] = set()
        self._pending: dict[str, Any] = {}

    @property
    def path(self) -> Path | None:
        """The cache file, or ``None`` without a folder."""
        return self.directory / CACHE_FILENAME if self.directory is not None else None

    def stats(self) -> CacheStats:
        """The counters so far."""
        return CacheStats(hits=self._hits, misses=self._misses, writes=self._writes)

    def _read_file(self, warn: bool) -> tuple[dict[str, Any], tuple[int, int] | None]:
        path = self.path
        if path is None:
            return {}, None
        try:
            st = path.stat()
            raw = path.read_bytes()
        except FileNotFoundError:
            return {}, None
        except OSError as e:
            if warn:
                logger.warning("Ignoring the lineage cache %s (unreadable: %s)", path, e)
            return {}, None
        version = (st.st_mtime_ns, st.st_size)
        try:
            data = _loads(raw)
            if not isinstance(data, dict) or not isinstance(data.get("entries"), dict):
                raise ValueError("not a lineage cache file")
        except (ValueError, TypeError) as e:
            if warn:
                logger.warning(
                    "Ignoring the lineage cache %s (%s): every model is analysed again and the "
                    "file is rewritten",
                    path,
                    " ".join(str(e).split())[:200],
                )
            return {}, version
        if data.get("format") != CACHE_FORMAT_VERSION or data.get("analyser") != (
            analyser_fingerprint()
        ):
            return {}, version  # written by another version: its keys can never match
        return data["entries"], version

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries, self._loaded_version = self._read_file(warn=True)
        return self._entries

    def get(self, key: str) -> StatementLineage | CachedFailure | None:
        """The cached result for ``key``, or ``None`` (a miss)."""
        entry = self.get_entry(key)
        return None if entry is None else statement_from_entry(entry)

    def get_entry(self, key: str) -> dict[str, Any] | None:
        """The cached result for ``key`` in its stored JSON form (see :func:`lineage_entry`).

        What the dbt analysis reads: it needs plain names and tuples, not the dataclasses, so a
        warm load builds no :class:`StatementLineage` at all. ``None`` is a miss; an entry of the
        wrong shape is a miss too.

        Examples:
            >>> import tempfile
            >>> cache = LineageCache(tempfile.mkdtemp())
            >>> cache.put("k", CachedFailure("bad"))
            >>> cache.get_entry("k"), cache.get_entry("other")
            ({'failure': 'bad'}, None)
        """
        data = self._load().get(key)
        if not _valid_entry(data):
            self._misses += 1
            return None
        self._hits += 1
        self._used.add(key)
        return data  # type: ignore[no-any-return]

    def get_fingerprint(self, key: str) -> tuple[str, str | None, str | None] | None:
        """A memoised normalised SQL: (digest, note, canonical text), or ``None``.

        See ``DbtFingerprinter``; not counted in :meth:`stats` (which counts lineage lookups).

        Examples:
            >>> import tempfile
            >>> cache = LineageCache(tempfile.mkdtemp())
            >>> cache.put_fingerprint("k", ("d", None, "SELECT 1"))
            >>> cache.get_fingerprint("k"), cache.get_fingerprint("x")
            (('d', None, 'SELECT 1'), None)
        """
        data = self._load().get("fp:" + key)
        if not isinstance(data, dict) or not isinstance(data.get("fp"), list):
            return None
        fp = list(data["fp"]) + [None, None]
        self._used.add("fp:" + key)
        return (
            str(fp[0]),
            str(fp[1]) if fp[1] is not None else None,
            str(fp[2]) if fp[2] is not None else None,
        )

    def put_fingerprint(self, key: str, value: tuple[str, str | None, str | None]) -> None:
        """Keep a normalised SQL (digest, note, text) under ``key`` (written by :meth:`flush`)."""
        if self.directory is None:
            return
        entry = {"fp": list(value)}
        self._load()["fp:" + key] = entry
        self._pending["fp:" + key] = entry

    def put(self, key: str, value: StatementLineage | CachedFailure) -> None:
        """Store ``value`` under ``key`` (kept in memory until :meth:`flush`)."""
        self.put_entry(key, lineage_entry(value))

    def put_entry(self, key: str, entry: dict[str, Any]) -> None:
        """Store an entry already in its JSON form (:func:`lineage_entry`) under ``key``."""
        if self.directory is None:
            return
        self._load()[key] = entry
        self._pending[key] = entry

    @property
    def snapshot_path(self) -> Path | None:
        """The file of the last whole-manifest analysis, or ``None`` without a folder."""
        return self.directory / SNAPSHOT_FILENAME if self.directory is not None else None

    def get_snapshot(self, key: str) -> Any:
        """The whole-manifest analysis stored under ``key`` by :meth:`put_snapshot`, or ``None``.

        One snapshot is kept (the last one written): reloading an unchanged project reads it in
        one step instead of re-assembling every model's record from its cached lineage. The file
        is a pickle written by this library into the cache folder (beside dbt's own
        ``partial_parse.msgpack``); anything unreadable, of another format, or under another key
        is a miss.

        Examples:
            >>> import tempfile
            >>> cache = LineageCache(tempfile.mkdtemp())
            >>> cache.put_snapshot("k", {"records": 1})
            >>> cache.get_snapshot("k"), cache.get_snapshot("other")
            ({'records': 1}, None)
        """
        path = self.snapshot_path
        if path is None:
            return None
        try:
            with path.open("rb") as f:
                header = pickle.load(f)
                if header != (SNAPSHOT_FORMAT_VERSION, snapshot_fingerprint(), key):
                    return None
                return pickle.load(f)
        except FileNotFoundError:
            return None
        except Exception as e:  # noqa: BLE001 - a broken snapshot is only a miss
            logger.debug("Ignoring the analysis snapshot %s: %s", path, e)
            return None

    def put_snapshot(self, key: str, value: Any) -> None:
        """Keep ``value`` as the snapshot under ``key`` (atomically; a failed write is ignored)."""
        path = self.snapshot_path
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pickle")
            try:
                with os.fdopen(fd, "wb") as f:
                    pickle.dump(
                        (SNAPSHOT_FORMAT_VERSION, snapshot_fingerprint(), key),
                        f,
                        protocol=pickle.HIGHEST_PROTOCOL,
                    )
                    pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except (OSError, pickle.PicklingError, TypeError, AttributeError) as e:
            logger.warning("Could not write the analysis snapshot %s: %s", path, e)

    def flush(self) -> None:
        """Write the entries put since the last flush (atomically; a failed write is ignored)."""
        path = self.path
        if path is None or not self._pending:
            return
        entries = self._load()
        try:
            st = path.stat()
        except OSError:
            st = None
        if st is not None and (st.st_mtime_ns, st.st_size) != self._loaded_version:
            # another process wrote the file since we read it: keep its entries too
            theirs, _ = self._read_file(warn=False)
            entries = {**theirs, **entries}
        # least recently used first: entries neither read nor written now go first when trimming
        fresh = {k: entries[k] for k in entries if k in self._used or k in self._pending}
        older = [k for k in entries if k not in fresh]
        keep = max(self.max_entries - len(fresh), 0)
        ordered = {k: entries[k] for k in older[len(older) - keep :]} if keep else {}
        ordered.update(fresh)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                payload = {
                    "format": CACHE_FORMAT_VERSION,
                    "analyser": analyser_fingerprint(),
                    "entries": ordered,
                }
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(json.dumps(payload, separators=(",", ":")))  # C encoder, one write
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            st = path.stat()
        except OSError as e:
            logger.warning("Could not write the lineage cache %s: %s", path, e)
            return
        self._writes += len(self._pending)
        self._pending.clear()
        self._entries = ordered
        self._loaded_version = (st.st_mtime_ns, st.st_size)


def structural_sql_digest(sql: str, dialect: str | None) -> str:
    """sha256 of the SQL's tokens with literal VALUES blanked (token kinds kept).

    Column lineage does not depend on literal values, so this is the lineage cache key of a model
    whose compiled SQL embeds run-time values (``run_started_at``...): a recompile an hour later
    hits the cache. Falls back to the exact text when the SQL cannot be tokenised.

    Examples:
        >>> a = structural_sql_digest("select '2024-01-01' as t, x from a", "duckdb")
        >>> a == structural_sql_digest("select '2025-06-30' as t, x  from a -- c", "duckdb")
        True
        >>> a == structural_sql_digest("select '2024-01-01' as t, y from a", "duckdb")
        False
    """
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokens import TokenType

    try:
        tokens = Dialect.get_or_raise(dialect).tokenize(sql)
    except Exception:  # noqa: BLE001 - TokenError and friends
        return hashlib.sha256(sql.encode("utf-8")).hexdigest()
    blank = (
        TokenType.STRING,
        TokenType.NUMBER,
        TokenType.NATIONAL_STRING,
        TokenType.BIT_STRING,
        TokenType.HEX_STRING,
        TokenType.BYTE_STRING,
        TokenType.RAW_STRING,
    )
    text = "\x1f".join(
        t.token_type.name if t.token_type in blank else f"{t.token_type.name}:{t.text}"
        for t in tokens
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _valid_entry(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    if "failure" in data:
        return isinstance(data["failure"], str)
    try:
        return all(len(c) in (3, 4) and isinstance(c[2], list) for c in data["columns"]) and all(
            k in data for k in ("reads", "tables", "star_tables", "unknowns")
        )
    except (KeyError, TypeError):
        return False


def lineage_entry(value: StatementLineage | CachedFailure) -> dict[str, Any]:
    """The JSON form of one analysis result, as stored in the cache file.

    ``{"failure": message}`` for a failure; else ``columns`` as ``[name, data_type,
    [[table, column, edge kind], ...]]`` (plus ``[[table, column, clause], ...]`` of its indirect
    inputs when it has some), ``reads`` as ``[table, column, clause]``, ``tables``,
    ``star_tables``, ``target`` and ``unknowns`` as ``[reason, column]``.

    Examples:
        >>> lineage_entry(CachedFailure("bad"))
        {'failure': 'bad'}
        >>> lineage_entry(StatementLineage(columns=(OutputColumn("x"),)))["columns"]
        [['x', None, []]]
    """
    if isinstance(value, CachedFailure):
        return {"failure": value.message}
    return {
        "columns": [
            [c.name, c.data_type, [[s.table, s.column, _edge(s)] for s in c.sources]]
            + ([[[r.table, r.column, r.clause.value] for r in c.indirect]] if c.indirect else [])
            for c in value.columns
        ],
        "reads": [[r.table, r.column, r.clause.value] for r in value.reads],
        "tables": list(value.tables),
        "star_tables": list(value.star_tables),
        "target": value.target,
        "unknowns": [[u.reason, u.column] for u in value.unknowns],
    }


def _edge(source: SourceColumn) -> str:
    """The edge kind as records see it: a later UNION branch's column is a rename edge."""
    return EdgeKind.RENAME.value if source.by_position else source.kind.value


def statement_from_entry(data: Mapping[str, Any]) -> StatementLineage | CachedFailure:
    """The analysis result stored as ``data`` (the inverse of :func:`lineage_entry`).

    Examples:
        >>> statement_from_entry(lineage_entry(StatementLineage(columns=(OutputColumn("x"),))))
        StatementLineage(columns=(OutputColumn(name='x', sources=(), data_type=None, indirect=()),), reads=(), tables=(), star_tables=(), target=None, unknowns=())
    """
    if "failure" in data:
        return CachedFailure(str(data["failure"]))
    kinds = _EDGE_KINDS
    return StatementLineage(
        columns=tuple(
            OutputColumn(
                c[0],
                tuple([SourceColumn(t, col, kinds[k]) for t, col, k in c[2]]),
                c[1],
                tuple([TableColumnRead(t, col, _CLAUSES[k]) for t, col, k in c[3]])
                if len(c) > 3
                else (),
            )
            for c in data["columns"]
        ),
        reads=tuple([TableColumnRead(t, c, _CLAUSES[k]) for t, c, k in data["reads"]]),
        tables=tuple(data["tables"]),
        star_tables=tuple(data["star_tables"]),
        target=data.get("target"),
        unknowns=tuple([Unknown(r, c) for r, c in data["unknowns"]]),
    )
