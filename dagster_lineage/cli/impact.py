r"""``dagster-lineage impact``: what a proposed schema change of one asset breaks downstream.

Changes come from flags (``--rename a:b``, ``--drop c``, ``--type-change c:bigint``, ``--add c:t``,
``--rename-table new``, ``--drop-table``), a JSON/YAML file (``--changes``) and/or a migration
(``--sql migration.sql --dialect postgres``); they are combined in that order.

Exit codes: ``0`` nothing breaking; ``1`` something breaking (or a warning with
``--fail-on warning``); ``2`` bad input (unknown asset or column, malformed change spec or SQL) or
another error, reported as one line on stderr.

CI usage (GitHub Actions)::

    - name: Schema-change impact
      run: |
        dagster-lineage impact raw_orders --sql migrations/0042_rename_total.sql \
          --dialect postgres --format markdown > impact.md
    # exit 1 fails the job when something downstream breaks; post impact.md as a PR comment

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> args = build_parser().parse_args(
    ...     ["impact", "raw_orders", "--rename", "order_total:total_amount", "--drop", "legacy_discount_code"])
    >>> args.rename, args.drop, args.fail_on
    (['order_total:total_amount'], ['legacy_discount_code'], 'breaking')
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dagster_lineage.errors import ChangeSpecError, DagsterLineageError, UnknownAssetError

if TYPE_CHECKING:
    from dagster_lineage.core.graph import LineageGraph
    from dagster_lineage.core.model import AssetKeyPath

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``impact`` subcommand."""
    from dagster_lineage.cli.loading import add_location_args

    p = sub.add_parser(
        "impact",
        help="analyse what a schema change of an asset breaks downstream (exit 1 when breaking)",
        description="Analyse the downstream impact of proposed schema changes to ASSET across dbt, "
        "Airflow, Spark and exposures. Exit 0: nothing breaking; 1: breaking found (or warnings "
        "with --fail-on warning); 2: bad input or error.",
    )
    p.add_argument(
        "asset",
        nargs="?",
        help="the changed asset (a/b or its last key part); optional when --changes names it or "
        "--sql changes a single table",
    )
    p.add_argument(
        "--rename", action="append", default=[], metavar="OLD:NEW", help="rename a column"
    )
    p.add_argument("--drop", action="append", default=[], metavar="COLUMN", help="drop a column")
    p.add_argument(
        "--type-change",
        action="append",
        default=[],
        metavar="COLUMN:TYPE",
        help="change a column's type",
    )
    p.add_argument(
        "--add", action="append", default=[], metavar="COLUMN[:TYPE]", help="add a column"
    )
    p.add_argument("--rename-table", metavar="NEW_NAME", help="rename the table")
    p.add_argument("--drop-table", action="store_true", help="drop the table")
    p.add_argument("--changes", metavar="FILE", help="JSON or YAML list of changes")
    p.add_argument("--sql", metavar="FILE", help="migration SQL (ALTER TABLE ... / DROP TABLE)")
    p.add_argument("--dialect", help="sqlglot dialect of --sql (duckdb, postgres, mysql, ...)")
    p.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    p.add_argument(
        "--fail-on",
        choices=["breaking", "warning"],
        default="breaking",
        help="exit 1 at this severity or worse (default: breaking)",
    )
    add_location_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``impact``; returns the exit code."""
    try:
        return _run(args)
    except DagsterLineageError:
        raise  # printed as one line by dagster_lineage.cli.main, exit 2
    except Exception as e:  # noqa: BLE001 - a user's code location may raise anything
        print(f"dagster-lineage: error: {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_ERROR


def _run(args: argparse.Namespace) -> int:
    from dagster_lineage.cli.loading import load_graph
    from dagster_lineage.impact.analysis import analyze_impact
    from dagster_lineage.impact.migration import load_migration
    from dagster_lineage.impact.render import render_report
    from dagster_lineage.impact.schema_changes import (
        SchemaChange,
        Severity,
        changes_from_flags,
        load_changes_file,
    )

    # parse every input before loading the code location: bad input fails fast
    changes: list[SchemaChange] = list(
        changes_from_flags(
            rename=args.rename,
            drop=args.drop,
            type_change=args.type_change,
            add=args.add,
            rename_table=args.rename_table,
            drop_table=args.drop_table,
        )
    )
    asset = args.asset
    if args.changes:
        file_asset, file_changes = load_changes_file(args.changes)
        asset = asset or file_asset
        changes += file_changes
    migration = load_migration(args.sql, dialect=args.dialect) if args.sql else None
    if migration is None and not changes:
        raise ChangeSpecError(
            "no changes given",
            hint="--rename a:b, --drop c, --type-change c:bigint, --changes FILE or --sql FILE",
        )
    if asset is None and (migration is None or len(migration.tables) != 1):
        raise ChangeSpecError(
            "name the changed asset"
            + (
                f" (the migration changes {len(migration.tables)} tables: "
                f"{', '.join(migration.tables)})"
                if migration is not None
                else ""
            ),
            hint="dagster-lineage impact raw_orders --drop c",
        )

    with _stdout_to_stderr():  # loading may log (dbt compile, Airflow): keep stdout the report's
        graph = load_graph(args)
    if asset is not None:
        key = graph.resolve(asset)
    else:
        assert migration is not None
        key = _table_asset(graph, migration.tables[0])
    if migration is not None:
        changes += migration.changes_for(key)
    report = analyze_impact(graph, key, changes)
    print(render_report(report, args.format))
    return report.exit_code(Severity.parse(args.fail_on))


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Send everything written to stdout (Python and subprocesses, fd 1) to stderr meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _table_asset(graph: LineageGraph, table: str) -> AssetKeyPath:
    """The asset of a migration's table: by its full dotted name, else by its last part."""
    try:
        return graph.resolve(table)
    except UnknownAssetError:
        return graph.resolve(table.split(".")[-1])
