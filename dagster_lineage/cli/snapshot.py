"""``dagster-lineage snapshot``: write the lineage state file of a code location.

The state file (see :mod:`dagster_lineage.state.lineage_state`) holds every asset's lineage record;
``graph --state``, ``impact --state`` and ``diff`` read it without loading the code location. The
output is byte-identical for an unchanged project (commit it, or build it in CI).

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> args = build_parser().parse_args(["snapshot", "-m", "example_project.definitions", "-o", "x.json"])
    >>> args.output, args.module
    ('x.json', 'example_project.definitions')
"""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``snapshot`` subcommand."""
    from dagster_lineage.cli import add_command
    from dagster_lineage.cli.loading import add_location_args

    p = add_command(
        sub,
        "snapshot",
        description="Write a versioned JSON state file of the code location's lineage "
        "(read by `graph --state`, `impact --state` and `diff`).",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="where to write it (default: stdout)")
    p.add_argument(
        "--project",
        metavar="NAME",
        help="project identity recorded in the file (default: the module, file or workspace "
        "entry of the code location)",
    )
    add_location_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``snapshot``."""
    from dagster_lineage.cli.loading import load_graph
    from dagster_lineage.cli.state import location_identity
    from dagster_lineage.state.lineage_state import LineageState, write_state

    graph = load_graph(args)  # stdout goes to stderr while loading: stdout stays the state's
    state = LineageState.from_records(graph.records(), project=location_identity(args))
    if args.output:
        write_state(state, args.output)
        print(
            f"dagster-lineage: wrote {state.asset_count} assets of {state.project} to "
            f"{args.output}",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(state.to_json())
    return 0
