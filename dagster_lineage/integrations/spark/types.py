"""Result types of the PySpark lineage analysis (static and runtime); pure, no pyspark import.

A job reads *sources* (catalog tables or file paths) and writes *outputs*. Column lineage of an output
reuses the SQL core's types (:class:`~dagster_lineage.sql.types.StatementLineage`): a
:class:`~dagster_lineage.sql.types.SourceColumn`'s ``table`` is the :attr:`SparkSource.name` of the
source it comes from.

Examples:
    >>> from dagster_lineage.integrations.spark.types import SparkSource
    >>> SparkSource("path", "{EXPORT_DIR}/fct_orders.parquet", "parquet").display()
    'parquet {EXPORT_DIR}/fct_orders.parquet'
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster_lineage.core.model import Unknown
from dagster_lineage.sql.types import StatementLineage


@dataclass(frozen=True, order=True)
class SparkSource:
    """A table or a path a Spark job reads or writes.

    Attributes:
        kind: ``"table"`` (catalog table, lower-cased) or ``"path"`` (as written in the code; parts
            only known at run time appear as ``{name}`` placeholders).
        name: the table name or the path.
        format: the data source format (``parquet``, ``csv``, ``delta``...) when known.

    Examples:
        >>> SparkSource("table", "fct_orders").display()
        'table fct_orders'
    """

    kind: str
    name: str
    format: str | None = None

    def display(self) -> str:
        """``<format or kind> <name>`` for messages."""
        return f"{self.format or self.kind} {self.name}"


@dataclass(frozen=True)
class SparkOutput:
    """One DataFrame a job writes (or returns), with its column lineage.

    Attributes:
        target: where it is written (``None`` for a returned, unwritten DataFrame).
        lineage: its columns, each with its source columns, the columns only read, the sources.
        line: the line of the write (or return) in the job file.

    Examples:
        >>> SparkOutput(target=None, lineage=StatementLineage()).lineage.columns
        ()
    """

    target: SparkSource | None
    lineage: StatementLineage
    line: int | None = None


@dataclass(frozen=True)
class SparkJobLineage:
    """What a PySpark job reads and writes, column by column.

    Attributes:
        sources: every source the job reads (sorted).
        output: the job's output: the DataFrame its entry function returns (and the write of it),
            else its last write; ``None`` when it neither returns nor writes a DataFrame.
        writes: every write, in program order.
        unknowns: what could not be analysed for the job as a whole.

    Examples:
        >>> SparkJobLineage().source("fct_orders") is None
        True
    """

    sources: tuple[SparkSource, ...] = ()
    output: SparkOutput | None = None
    writes: tuple[SparkOutput, ...] = ()
    unknowns: tuple[Unknown, ...] = ()

    def source(self, name: str) -> SparkSource | None:
        """The source called ``name`` (table or path), or ``None``."""
        for s in self.sources:
            if s.name == name:
                return s
        return None
