"""``dagster-lineage openlineage``: the lineage graph as OpenLineage dataset and job events.

The graph comes from a code location (``-m/-f/-w``) or a state file (``--state FILE``, written by
``dagster-lineage snapshot``).

Writes one JSON file per event into ``-o DIR``, or posts them to ``--url URL`` through the official
client's HTTP transport (``--url`` is the server's base URL, e.g. Marquez's ``http://host:5000``;
the client appends ``/api/v1/lineage``).

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> args = build_parser().parse_args(["openlineage", "-o", "out", "-m", "my_project.defs"])
    >>> args.output, args.module
    ('out', 'my_project.defs')
"""

from __future__ import annotations

import argparse
from pathlib import Path

from dagster_lineage.cli import add_command
from dagster_lineage.cli.loading import add_location_args, load_definitions
from dagster_lineage.cli.state import add_state_arg
from dagster_lineage.errors import DagsterLineageError


class OpenLineageCliError(DagsterLineageError):
    """Bad arguments for ``dagster-lineage openlineage``."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``openlineage`` subcommand."""
    p = add_command(sub, "openlineage")
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", help="folder to write one JSON file per event into")
    out.add_argument("--url", help="OpenLineage server base URL to post the events to")
    p.add_argument("--api-key", help="bearer token for --url (default: OPENLINEAGE_API_KEY)")
    p.add_argument(
        "--dataset-namespace",
        help="namespace of warehouse tables, e.g. duckdb:///path/warehouse.duckdb or "
        "postgres://host:5432 (default: from the code location's dbt-duckdb profile)",
    )
    p.add_argument("--database", help="database completing schema.table names")
    p.add_argument("--schema", help="schema completing bare table names")
    p.add_argument(
        "--job-namespace", help="the jobs' namespace (default: OPENLINEAGE_NAMESPACE or 'default')"
    )
    add_location_args(p)
    add_state_arg(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Execute ``openlineage``."""
    import os

    from dagster_lineage.exports.openlineage import (
        OpenLineageNaming,
        build_openlineage_events,
        event_file_name,
        event_to_json,
    )

    if not args.output and not args.url:
        raise OpenLineageCliError(
            "no destination: pass -o DIR to write the events as files or --url URL to send them."
        )
    if args.url and not args.url.startswith(("http://", "https://")):
        raise OpenLineageCliError(
            f"--url {args.url!r} is not an http(s) URL: pass the server's base URL, "
            "e.g. --url http://localhost:5000."
        )
    overrides = {
        "dataset_namespace": args.dataset_namespace,
        "database": args.database,
        "schema": args.schema,
    }
    if args.state:
        # a state file holds the records only: tables are named from their records (sources'
        # ``source_ref``), other assets by their asset key
        from dagster_lineage.cli.state import load_state

        graph = load_state(args.state).graph()
        naming = OpenLineageNaming(
            **overrides,  # type: ignore[arg-type]
            **({"job_namespace": args.job_namespace} if args.job_namespace else {}),
        )
    else:  # Dagster is imported only here: a `--state` export stays light
        from dagster_lineage.defs.graph import graph_from_definitions
        from dagster_lineage.defs.openlineage import naming_from_definitions

        defs = load_definitions(args)
        naming = naming_from_definitions(defs, **overrides, job_namespace=args.job_namespace)
        graph = graph_from_definitions(defs)
    events = build_openlineage_events(graph.records(), naming=naming)
    if args.output:
        folder = Path(args.output)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob("[0-9][0-9][0-9][0-9]-*.json"):
                old.unlink()
            for i, event in enumerate(events):
                (folder / event_file_name(i, event)).write_text(event_to_json(event) + "\n")
        except OSError as e:
            raise OpenLineageCliError(
                f"cannot write to {folder}: {e.strerror}. Pass a writable folder with -o."
            ) from None
        print(f"wrote {len(events)} OpenLineage events to {folder}")
        return 0
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    config: dict[str, object] = {"url": args.url}
    api_key = args.api_key or os.environ.get("OPENLINEAGE_API_KEY")
    if api_key:
        config["auth"] = {"type": "api_key", "apiKey": api_key}
    transport = HttpTransport(HttpConfig.from_dict(config))
    client = OpenLineageClient(transport=transport)
    for i, event in enumerate(events):
        try:
            client.emit(event)
        except Exception as e:  # noqa: BLE001 - any transport error becomes one CLI error line
            raise OpenLineageCliError(
                f"sending event {i + 1}/{len(events)} to {args.url} failed: "
                f"{type(e).__name__}: {str(e)[:200]}. Check that the server is up and --url."
            ) from None
    print(f"sent {len(events)} OpenLineage events to {args.url}")
    return 0
