"""The ``dagster-lineage`` command line: thin commands over the lineage graph.

Subcommands live in their own modules (``graph``, ``changed``, ``impact``), each exposing
``register(subparsers)``. Every error of ours is printed as one actionable line with exit code 2.

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> build_parser().parse_args(["graph", "raw_orders", "--depth", "2"]).depth
    2
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from dagster_lineage.cli.exit_codes import EXIT_ERROR
from dagster_lineage.errors import DagsterLineageError, clip, redact

_SUBCOMMANDS = ("graph", "changed", "impact", "snapshot", "diff", "openlineage", "serve")



def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="dagster-lineage",
        description="Column-level lineage, checksums and schema-change impact for Dagster assets.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _SUBCOMMANDS:
        try:
            module = importlib.import_module(f"dagster_lineage.cli.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"dagster_lineage.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dagster-lineage`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DagsterLineageError as e:
        print(f"dagster-lineage: error: {_one_line(str(e))}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # noqa: BLE001 - never a traceback, never exit 1 (1 means "findings")
        detail = _one_line(str(e)) or type(e).__name__
        print(
            f"dagster-lineage: error: {type(e).__name__}: {detail}. This is unexpected; re-run "
            "with PYTHONDEVMODE=1 or report it with the command line.",
            file=sys.stderr,
        )
        return EXIT_ERROR


def _one_line(text: str, limit: int = 2000) -> str:
    """The message on one line, credentials removed, shortened to ``limit`` characters."""
    line = " ".join(text.split())
    return clip(redact(line), limit)


def non_negative_int(text: str) -> int:
    """``argparse`` type for ``--depth``: an integer >= 0.

    Examples:
        >>> non_negative_int("2")
        2
    """
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {clip(text, 40)!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be 0 or more, got {value} (omit --depth for every level)"
        )
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
