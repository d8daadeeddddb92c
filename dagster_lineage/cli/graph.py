"""``dagster-lineage graph``: show an asset's lineage tree, up, down or both, to any depth.

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> args = build_parser().parse_args(["graph", "raw_orders", "--direction", "both"])
    >>> args.direction
    'both'
"""

from __future__ import annotations

import argparse
import json

from dagster_lineage.cli import add_command, non_negative_int
from dagster_lineage.cli.loading import add_location_args, warn_cycle
from dagster_lineage.cli.state import add_state_arg, graph_from_args
from dagster_lineage.core.graph import Direction
from dagster_lineage.core.model import ColumnRef, key_to_str
from dagster_lineage.errors import UnknownAssetError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``graph`` subcommand."""
    p = add_command(sub, "graph")
    p.add_argument("asset", nargs="?", help="asset key (a/b or its last part); omit with --list")
    p.add_argument("--direction", choices=[d.value for d in Direction], default="downstream")
    p.add_argument(
        "--depth", type=non_negative_int, default=None, help="levels to traverse (default: all)"
    )
    p.add_argument("--column", help="trace one column of the asset instead of the asset")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--list", action="store_true", help="list every asset in the graph")
    add_location_args(p)
    add_state_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``graph``."""
    if args.asset is not None and not args.asset.strip():
        raise UnknownAssetError("")  # `graph ""` is a mistake, not a request for the whole list
    graph = graph_from_args(args)
    warn_cycle(graph)
    if args.list or args.asset is None:
        keys = [key_to_str(k) for k in graph.keys]
        if args.format == "json":
            print(json.dumps(keys, indent=2))
        else:
            for k in graph.keys:
                print(f"[{graph.get(k).asset_type.label}] {key_to_str(k)}")
        return 0
    key = graph.resolve(args.asset)
    if args.column:
        ref = graph.resolve_column(key, args.column)
        paths = []
        direction = Direction(args.direction)
        if direction in (Direction.UPSTREAM, Direction.BOTH):
            paths += [("upstream", p) for p in graph.column_upstream(ref, args.depth)]
        if direction in (Direction.DOWNSTREAM, Direction.BOTH):
            paths += [("downstream", p) for p in graph.column_downstream(ref, args.depth)]
        if args.format == "json":
            print(
                json.dumps(
                    [
                        {
                            "direction": d,
                            "path": [s.display() for s in p.steps],
                            "kind": p.kind.value,
                            "clause": p.clause.value if p.clause else None,
                            "indirect": p.indirect.value if p.indirect else None,
                        }
                        for d, p in paths
                    ],
                    indent=2,
                )
            )
        else:
            print(ref.display())
            for d, p in paths:
                how = p.how
                arrow = " <- " if d == "upstream" else " -> "
                print(f"  {d:<10} {arrow.join(_step(s) for s in p.steps)}  ({how})")
        return 0
    if args.format == "json":
        trees = graph.tree(key, Direction(args.direction), args.depth)
        print(json.dumps([t.to_dict() for t in trees], indent=2))
    else:
        print(graph.render_tree(key, Direction(args.direction), args.depth))
    return 0


def _step(ref: ColumnRef) -> str:
    return key_to_str(ref.asset) if ref.column == "*" else ref.display()
