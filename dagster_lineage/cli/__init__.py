"""The ``dagster-lineage`` command line: thin commands over the lineage graph.

Each subcommand lives in its own module (``graph``, ``changed``, ``impact``, ...) exposing
``register(subparsers)`` and its ``run`` function. The table :data:`COMMANDS` names every
subcommand, its one-line help and its module, so the parser lists them all without importing any:
:func:`main` imports only the module of the command it runs, and each module imports its heavy
dependencies (Dagster, dbt, the explorer) inside ``run``. A ``--state`` answer, ``diff`` of two
state files and ``--help`` therefore never import Dagster, dbt, Airflow or pyspark
(``tests/integration/cli/test_lean_imports.py`` pins it). Every error of ours is printed as one
actionable line with exit code 2.

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> build_parser().parse_args(["graph", "raw_orders", "--depth", "2"]).depth
    2
    >>> list(COMMANDS)[:3]
    ['graph', 'changed', 'impact']
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

from dagster_lineage.cli.exit_codes import EXIT_ERROR
from dagster_lineage.errors import DagsterLineageError, clip, redact


class Command(NamedTuple):
    """A subcommand: the module registering it and its one-line help in ``--help``."""

    module: str
    help: str


COMMANDS: dict[str, Command] = {
    "graph": Command(
        "dagster_lineage.cli.graph", "print the lineage tree of an asset (or one of its columns)"
    ),
    "changed": Command(
        "dagster_lineage.cli.changed",
        "list assets whose code changed since their last successful materialization",
    ),
    "impact": Command(
        "dagster_lineage.cli.impact",
        "analyse what a schema change of an asset breaks downstream (exit 1 when breaking)",
    ),
    "snapshot": Command(
        "dagster_lineage.cli.snapshot",
        "write the lineage state file (every asset's lineage) of the code location",
    ),
    "diff": Command(
        "dagster_lineage.cli.diff",
        "compare two lineage states (files or git refs): changed assets and columns, and what "
        "they break downstream (exit 1 when breaking)",
    ),
    "openlineage": Command(
        "dagster_lineage.cli.openlineage",
        "export the lineage graph as OpenLineage dataset and job events",
    ),
    "serve": Command(
        "dagster_lineage.cli.serve",
        "serve the lineage explorer (graph, column paths, impact) and its JSON API",
    ),
    "docs": Command("dagster_lineage.cli.serve", "write the lineage explorer as a static site"),
}
"""Every subcommand by name, in ``--help`` order."""


def add_command(sub: argparse._SubParsersAction, name: str, **kwargs: Any) -> Any:
    """Add the subparser of ``name`` with its help from :data:`COMMANDS` (called by ``register``).

    Examples:
        >>> sub = argparse.ArgumentParser().add_subparsers()
        >>> add_command(sub, "graph").prog.endswith("graph")
        True
    """
    return sub.add_parser(name, help=COMMANDS[name].help, **kwargs)


def _command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word that is not an option), if any."""
    word = next((a for a in argv if not a.startswith("-")), None)
    return word if word in COMMANDS else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``dagster-lineage`` command.

    Args:
        argv: the command line to parse. When given, only the subcommand it names is registered
            in full (its module imported); the others are listed by name and help only. When
            ``None``, every subcommand is registered in full.

    Examples:
        >>> p = build_parser(["diff", "--base", "a.json"])
        >>> p.parse_args(["diff", "--base", "a.json"]).base
        'a.json'
    """
    parser = argparse.ArgumentParser(
        prog="dagster-lineage",
        description="Column-level lineage, checksums and schema-change impact for Dagster assets.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    wanted = None if argv is None else _command_of(argv)
    for name, command in COMMANDS.items():
        if name in sub.choices:  # registered with a sibling (serve registers docs)
            continue
        if argv is None or (wanted and command.module == COMMANDS[wanted].module):
            importlib.import_module(command.module).register(sub)
        else:
            sub.add_parser(name, help=command.help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dagster-lineage`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
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
