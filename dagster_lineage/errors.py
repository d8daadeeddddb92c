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


class DagsterLineageError(Exception):
    """Root of every error raised by dagster-lineage.

    Examples:
        >>> from dagster_lineage.errors import DagsterLineageError
        >>> isinstance(DagsterLineageError("boom"), Exception)
        True
    """


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
        super().__init__(
            f"Unknown asset '{asset}': it is not in the lineage graph of this code location."
            + (
                _suggest(asset, candidates)
                or " Run `dagster-lineage graph --list` to see all assets."
            )
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
        super().__init__(
            f"Unknown column '{column}' on asset '{asset}'.{_suggest(column, cands)}{known}"
        )


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

    def __init__(self, storage: str, detail: str) -> None:
        self.storage = storage
        super().__init__(
            f"The lineage storage is unreachable ({storage}): {detail}. Nothing was recorded for this "
            "materialization; start the database (or fix dagster.yaml) and re-run."
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
