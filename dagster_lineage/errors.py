"""One exception hierarchy for dagster-lineage.

Every error names what failed, where (file, asset, column) and how to fix it. The root is a plain
``Exception`` so that the pure core (``core``, ``sql``, ``impact``, ``state``) stays free of any Dagster
import (see DESIGN.md); Dagster-facing ops convert these errors into ``dagster.Failure`` with the same
message and structured metadata via :func:`dagster_lineage.defs.impact.to_failure`.

Examples:
    >>> from dagster_lineage.errors import UnknownAssetError
    >>> err = UnknownAssetError("raw_order", candidates=["raw_orders", "stg_orders"])
    >>> "Did you mean" in str(err)
    True
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class DagsterLineageError(Exception):
    """Root of every error raised by dagster-lineage.

    Examples:
        >>> from dagster_lineage.errors import DagsterLineageError
        >>> isinstance(DagsterLineageError("boom"), Exception)
        True
    """


MAX_NAME_IN_MESSAGE = 120
"""Names longer than this are shortened in messages (a pasted 100,000-character name is not echoed)."""


def clip(text: str, limit: int = MAX_NAME_IN_MESSAGE) -> str:
    """``text`` shortened to about ``limit`` characters for a message, saying how long it was.

    Examples:
        >>> clip("a" * 200, 10)
        'aaaaaaaaaa... (200 characters)'
        >>> clip("raw_orders")
        'raw_orders'
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def redact(text: str) -> str:
    """``text`` with credentials removed (URL user info and DSN ``password=...`` settings).

    ``http://user:pass@host`` becomes ``http://***@host``. Used on every line the CLI, sensors and logs print, and on stored reasons.

    Examples:
        >>> redact("GET http://admin:s3cret@airflow:8080/api failed")
        'GET http://***@airflow:8080/api failed'
        >>> redact("host=db password=s3cret dbname=x")
        'host=db password=*** dbname=x'
    """
    from urllib.parse import urlsplit, urlunsplit

    out: list[str] = []
    for token in text.split(" "):
        if "://" in token and "@" in token:
            start = token.index("://")
            while start > 0 and (token[start - 1].isalnum() or token[start - 1] in "+-."):
                start -= 1
            head, url = token[:start], token[start:]
            try:
                parts = urlsplit(url)
            except ValueError:
                parts = None
            if parts is not None and "@" in parts.netloc:
                host = parts.netloc.rsplit("@", 1)[1]
                token = head + urlunsplit(parts._replace(netloc=f"***@{host}"))
        low = token.lower()
        for key in ("password=", "passwd=", "pwd="):
            at = low.find(key)
            if at >= 0 and (at == 0 or not low[at - 1].isalnum()):
                token = token[: at + len(key)] + "***"
                break
        out.append(token)
    return " ".join(out)


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=3, cutoff=0.5)
    return f" Did you mean: {', '.join(close)}?" if close else ""


class UnknownAssetError(DagsterLineageError):
    """An asset key that is not in the lineage graph.

    Examples:
        >>> from dagster_lineage.errors import UnknownAssetError
        >>> str(UnknownAssetError("fct_order", candidates=["fct_orders"])).endswith("fct_orders?")
        True
    """

    def __init__(self, asset: str, candidates: Iterable[str] = ()) -> None:
        self.asset = asset
        if not asset.strip():
            super().__init__(
                "The asset name is empty. Name an asset (a/b or its last key part); "
                "`dagster-lineage graph --list` lists them."
            )
            return
        super().__init__(
            f"Unknown asset '{clip(asset)}': it is not in the lineage graph of this code location."
            + (
                (_suggest(asset, candidates) if len(asset) <= MAX_NAME_IN_MESSAGE else "")
                or " Run `dagster-lineage graph --list` to see all assets."
            )
        )


class AmbiguousAssetError(UnknownAssetError):
    """A short asset name that is the last part of several keys.

    Examples:
        >>> from dagster_lineage.errors import AmbiguousAssetError
        >>> str(AmbiguousAssetError("c", ["a/b/c", "other/c"]))
        "Asset name 'c' is ambiguous: a/b/c, other/c. Name it with its full key, e.g. a/b/c."
    """

    def __init__(self, asset: str, matches: Iterable[str]) -> None:  # noqa: D107
        found = sorted(matches)
        self.asset = asset
        self.matches = found
        DagsterLineageError.__init__(
            self,
            f"Asset name '{clip(asset)}' is ambiguous: {', '.join(found)}. Name it with its full "
            f"key, e.g. {found[0]}.",
        )


class UnknownColumnError(DagsterLineageError):
    """A column that the named asset does not have.

    Examples:
        >>> from dagster_lineage.errors import UnknownColumnError
        >>> "order_totl" in str(UnknownColumnError("raw_orders", "order_totl", ["order_total"]))
        True
    """

    def __init__(self, asset: str, column: str, candidates: Iterable[str] = ()) -> None:
        self.asset = asset
        self.column = column
        cands = list(candidates)
        known = f" Known columns: {', '.join(sorted(cands))}." if cands else ""
        suggest = _suggest(column, cands) if len(column) <= MAX_NAME_IN_MESSAGE else ""
        super().__init__(f"Unknown column '{clip(column)}' on asset '{asset}'.{suggest}{known}")


class SqlParseError(DagsterLineageError):
    """SQL that sqlglot cannot parse or qualify.

    Examples:
        >>> from dagster_lineage.errors import SqlParseError
        >>> "models/bad.sql" in str(SqlParseError("unexpected token", source="models/bad.sql"))
        True
    """

    def __init__(
        self, detail: str, *, source: str | None = None, dialect: str | None = None
    ) -> None:
        self.source = source
        self.detail = detail
        where = f" in {source}" if source else ""
        dia = f" (dialect: {dialect})" if dialect else ""
        super().__init__(
            f"Could not parse SQL{where}{dia}: {detail}. Check the statement's syntax, or pass the "
            "dialect the SQL is written in."
        )


class ChangeSpecError(DagsterLineageError):
    """A proposed schema change that cannot be understood.

    Examples:
        >>> from dagster_lineage.errors import ChangeSpecError
        >>> "column_rename" in str(ChangeSpecError("missing 'to'", hint='{"type": "column_rename"}'))
        True
    """

    def __init__(self, detail: str, *, hint: str | None = None) -> None:
        self.detail = detail
        super().__init__(
            f"Invalid change spec: {detail}." + (f" Expected e.g. {hint}" if hint else "")
        )


class LineageCycleError(DagsterLineageError):
    """The lineage graph has a cycle; the message lists it.

    Examples:
        >>> from dagster_lineage.errors import LineageCycleError
        >>> "a -> b -> a" in str(LineageCycleError(["a", "b", "a"]))
        True
    """

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__(
            f"The lineage graph has a cycle: {' -> '.join(cycle)}. Remove one of these dependencies."
        )


class StorageUnavailableError(DagsterLineageError):
    """The Dagster instance storage (SQLite or PostgreSQL) cannot be reached.

    Examples:
        >>> from dagster_lineage.errors import StorageUnavailableError
        >>> "PostgreSQL" in str(StorageUnavailableError("PostgreSQL at 127.0.0.1:5432", "refused"))
        True
    """

    def __init__(self, storage: str, detail: str, *, recording: bool = False) -> None:
        self.storage = storage
        self.recording = recording
        outcome = (
            "Nothing was recorded for this materialization; start"
            if recording
            else "Nothing was read or changed; start"
        )
        super().__init__(
            f"The lineage storage is unreachable ({storage}): {redact(detail)}. {outcome} the "
            "database (or fix dagster.yaml) and re-run."
        )


class IntegrationError(DagsterLineageError):
    """A tool's artefact (manifest, DAG file, Spark job) that cannot be read.

    Examples:
        >>> from dagster_lineage.errors import IntegrationError
        >>> "dags/x.py" in str(IntegrationError("dags/x.py", "SyntaxError at line 3"))
        True
    """

    def __init__(self, source: str, detail: str, *, fix: str | None = None) -> None:
        self.source = source
        self.detail = detail
        super().__init__(f"Could not read {source}: {detail}." + (f" {fix}" if fix else ""))


class MissingExtraError(DagsterLineageError, ImportError):
    """A feature needs an optional dependency that is not installed: names the extra to install.

    Also an ``ImportError``, so code that already guards an optional import keeps working.

    Examples:
        >>> from dagster_lineage.errors import MissingExtraError
        >>> str(MissingExtraError("duckdb", "duckdb", "A DuckDB table's data checksum"))
        "A DuckDB table's data checksum needs the 'duckdb' package: pip install 'dagster-lineage[duckdb]'."
    """

    def __init__(self, module: str, extra: str, feature: str) -> None:
        self.module = module
        self.extra = extra
        super().__init__(
            f"{feature} needs the {module!r} package: pip install 'dagster-lineage[{extra}]'."
        )


def import_extra(module: str, *, extra: str, feature: str) -> Any:
    """Import an optional dependency, or raise :class:`MissingExtraError` naming its extra.

    Examples:
        >>> import_extra("json", extra="x", feature="Reading JSON").__name__
        'json'
        >>> import_extra("no_such_module_xyz", extra="duckdb", feature="This")
        Traceback (most recent call last):
        ...
        dagster_lineage.errors.MissingExtraError: This needs the 'no_such_module_xyz' package: pip install 'dagster-lineage[duckdb]'.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        if e.name is not None and e.name.split(".")[0] != module.split(".")[0]:
            raise  # the package is there; something it imports is broken: show that
        raise MissingExtraError(module, extra, feature) from None
