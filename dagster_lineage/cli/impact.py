r"""``dagster-lineage impact``: what a proposed schema change of one asset breaks downstream.

Changes come from flags (``--rename a:b``, ``--drop c``, ``--type-change c:bigint``, ``--add c:t``,
``--rename-table new``, ``--drop-table``), a JSON/YAML file (``--changes``) and/or a migration
(``--sql migration.sql --dialect postgres``); they are combined in that order.

Exit codes: ``0`` nothing breaking, or the breaking-change policy only warns; ``1`` something
breaking that the policy blocks (or a warning with ``--fail-on warning``); ``2`` bad input (unknown asset or column, malformed change spec or SQL) or
another error, reported as one line on stderr; ``3`` the ``--sql`` migration touches no asset of
this project (CI can treat it as "not ours": ``|| [ $? -eq 3 ]``).

The policy is the assets' own (``on_breaking: block | warn`` in dbt ``meta``, a Dagster tag or a
component's YAML; critical assets block by default), then ``--on-breaking``, then ``block``: see
:mod:`dagster_lineage.impact.policy`. The report names the asset and rule that decided.

Every statement of a migration counts: a migration that alters ``raw_orders`` and drops a column of
``stg_orders`` is analysed for both (the report lists each change with its asset).

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
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dagster_lineage.cli.exit_codes import EXIT_NO_ASSET
from dagster_lineage.errors import AmbiguousAssetError, ChangeSpecError, UnknownAssetError

if TYPE_CHECKING:
    from dagster_lineage.core.graph import LineageGraph
    from dagster_lineage.core.model import AssetKeyPath

def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``impact`` subcommand."""
    from dagster_lineage.cli.loading import add_location_args
    from dagster_lineage.cli.state import add_state_arg

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
        help="exit 1 at this severity or worse (default: breaking, when the policy blocks)",
    )
    p.add_argument(
        "--on-breaking",
        choices=["block", "warn"],
        default=None,
        help="default breaking-change policy, below the assets' own on_breaking (default: block)",
    )
    add_location_args(p)
    add_state_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``impact``; returns the exit code."""
    return _run(args)  # errors: one line and exit 2, printed by dagster_lineage.cli.main


def _run(args: argparse.Namespace) -> int:
    from dagster_lineage.cli.loading import warn_cycle
    from dagster_lineage.cli.state import graph_from_args
    from dagster_lineage.impact.analysis import analyze_changes
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
    if asset is None and migration is None:
        raise ChangeSpecError(
            "name the changed asset", hint="dagster-lineage impact raw_orders --drop c"
        )

    graph = graph_from_args(args)  # stdout goes to stderr while loading: stdout stays the report's
    warn_cycle(graph)
    by_asset: dict[AssetKeyPath, list[SchemaChange]] = {}
    if asset is not None:
        by_asset[graph.resolve(asset)] = changes
    if migration is not None:
        # every statement counts, whichever asset it changes (not only the named one)
        unmatched: list[str] = []
        for table in migration.tables:
            try:
                key = _table_asset(graph, table)
            except UnknownAssetError as e:
                if isinstance(e, AmbiguousAssetError):
                    raise
                unmatched.append(table)
                continue
            by_asset.setdefault(key, []).extend(c for t, c in migration.entries if t == table)
        if unmatched:
            print(
                "dagster-lineage: note: the migration also changes tables that are no asset of "
                f"this project (not analysed): {', '.join(unmatched)}",
                file=sys.stderr,
            )
        if not any(by_asset.values()):
            return _touches_no_asset(migration.tables, args.format)
    report = analyze_changes(
        graph,
        [(k, cs) for k, cs in by_asset.items() if cs],
        on_breaking=getattr(args, "on_breaking", None),
    )
    print(render_report(report, args.format))
    return report.exit_code(Severity.parse(args.fail_on))


def _touches_no_asset(tables: Sequence[str], fmt: str) -> int:
    """The migration is not this project's: its own exit code, so CI can tell it from a finding."""
    message = (
        "this migration touches no asset of this project (it changes: "
        f"{', '.join(tables)}); nothing here can break. Exit code {EXIT_NO_ASSET}."
    )
    if fmt == "json":
        print(json.dumps({"touches_no_asset": True, "tables": list(tables), "message": message}))
    else:
        print(f"dagster-lineage: {message}", file=sys.stderr)
    return EXIT_NO_ASSET


def _table_asset(graph: LineageGraph, table: str) -> AssetKeyPath:
    """The asset of a migration's table: by its full dotted name, else by its last part."""
    try:
        return graph.resolve(table)
    except UnknownAssetError:
        return graph.resolve(table.split(".")[-1])
