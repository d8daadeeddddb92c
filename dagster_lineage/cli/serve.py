"""``dagster-lineage serve`` and ``dagster-lineage docs``: the lineage explorer, live or as static files.

``serve`` loads the code location once (or reads a lineage state file, ``--state``; with
``--base`` another state, the page also shows the diff between the two) and answers the explorer page and its JSON API (see
:mod:`dagster_lineage.explorer.server`) on 127.0.0.1 until stopped. ``docs -o DIR`` writes the
same explorer as a static site (see :mod:`dagster_lineage.explorer.site`), like
``dbt docs generate``.

Each asset links to its page in the Dagster UI when ``--dagster-url`` (or the environment variable
``DAGSTER_LINEAGE_DAGSTER_URL``) gives the UI's address.

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> args = build_parser().parse_args(["serve", "-m", "example_project.definitions", "--port", "0"])
    >>> args.host, args.port
    ('127.0.0.1', 0)
    >>> build_parser().parse_args(["docs", "-o", "site"]).output
    'site'
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_lineage.errors import DagsterLineageError

if TYPE_CHECKING:
    import dagster as dg

    from dagster_lineage.explorer.api import Explorer

DAGSTER_URL_ENV = "DAGSTER_LINEAGE_DAGSTER_URL"
"""Environment variable with the Dagster UI's base URL (for links from the explorer to Dagster)."""


class ExplorerOptionError(DagsterLineageError):
    """A ``serve``/``docs`` option is not usable."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` and ``docs`` subcommands."""
    from dagster_lineage.cli import add_command
    from dagster_lineage.cli.loading import add_location_args

    p = add_command(
        sub,
        "serve",
        description="Serve the lineage explorer and its JSON API (GET /api/assets, "
        "GET /api/lineage/ASSET?direction=&depth=, POST /api/impact) for a code location.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    _common(p)
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    add_location_args(p)
    p.set_defaults(func=run_serve)

    d = add_command(
        sub,
        "docs",
        description="Write the lineage explorer as a static site into DIR (open DIR/index.html, "
        "or host the folder anywhere).",
    )
    d.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write")
    _common(d)
    add_location_args(d)
    d.set_defaults(func=run_docs)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--state",
        metavar="FILE",
        help="explore a lineage state file (`dagster-lineage snapshot -o FILE`) instead of "
        "loading the code location",
    )
    p.add_argument(
        "--base",
        metavar="FILE",
        help="with --state: a base state file; the page shows the diff (as `dagster-lineage diff`)",
    )
    p.add_argument(
        "--dagster-url",
        default=None,
        metavar="URL",
        help=f"base URL of the Dagster UI, for links to each asset (default: ${DAGSTER_URL_ENV})",
    )


def explorer_from_definitions(defs: dg.Definitions, *, dagster_url: str | None = None) -> Explorer:
    """An :class:`~dagster_lineage.explorer.api.Explorer` of a code location (kinds, groups too).

    Examples:
        >>> import dagster as dg
        >>> defs = dg.Definitions(assets=[dg.AssetSpec("a", kinds={"dbt"}, group_name="g")])
        >>> explorer_from_definitions(defs).index()["assets"][0]["kinds"]
        ['dbt']
    """
    from dagster_lineage.defs.graph import graph_from_definitions
    from dagster_lineage.explorer.api import Explorer

    specs = list(defs.resolve_all_asset_specs())
    kinds = {tuple(s.key.path): tuple(s.kinds or ()) for s in specs}
    groups = {tuple(s.key.path): s.group_name for s in specs if s.group_name}
    return Explorer(
        graph_from_definitions(defs), kinds=kinds, groups=groups, dagster_url=dagster_url
    )


def _dagster_url(args: argparse.Namespace) -> str | None:
    url = args.dagster_url or os.environ.get(DAGSTER_URL_ENV) or None
    if url and not url.startswith(("http://", "https://")):
        raise ExplorerOptionError(
            f"--dagster-url must start with http:// or https://, got '{url}' "
            "(e.g. --dagster-url http://localhost:3000)"
        )
    return url


def _load(args: argparse.Namespace) -> Explorer:
    from dagster_lineage.cli.loading import load_location

    url = _dagster_url(args)
    if args.base and not args.state:
        raise ExplorerOptionError("--base needs --state HEAD.json (the state to compare with it)")
    if args.state:
        return _from_state(args, url)
    # stdout to stderr meanwhile (dbt compile, Airflow log), every load error as one line
    explorer: Explorer = load_location(
        args, lambda defs: explorer_from_definitions(defs, dagster_url=url)
    )
    return explorer


def _from_state(args: argparse.Namespace, url: str | None) -> Explorer:
    """The explorer of a state file, with the diff against ``--base`` when given."""
    from dagster_lineage.cli.state import load_state
    from dagster_lineage.explorer.api import Explorer
    from dagster_lineage.state.lineage_state import read_state

    head = load_state(args.state)
    diff = None
    if args.base:
        import json

        from dagster_lineage.impact.diff import diff_states
        from dagster_lineage.impact.diff_render import render_diff

        base = read_state(args.base)
        if base.project != head.project:
            raise ExplorerOptionError(
                f"--base {args.base} is a state of project '{base.project}' and --state "
                f"{args.state} of '{head.project}': compare two states of one code location"
            )
        result = diff_states(base, head, base_label=args.base, head_label=args.state)
        diff = {**json.loads(render_diff(result, "json")), "text": render_diff(result, "text")}
    return Explorer(head.graph(), dagster_url=url, diff=diff)


def run_serve(args: argparse.Namespace) -> int:
    """Execute ``serve``: load, bind, print the URL, answer until interrupted."""
    from dagster_lineage.explorer.server import make_server

    if not 0 <= args.port <= 65535:
        raise ExplorerOptionError(f"--port must be 0-65535, got {args.port}")
    explorer = _load(args)
    server = make_server(explorer, host=args.host, port=args.port, verbose=args.verbose)
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    print(
        f"dagster-lineage explorer: {len(explorer.graph)} assets at http://{shown}:{port}/ "
        "(Ctrl+C to stop)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def run_docs(args: argparse.Namespace) -> int:
    """Execute ``docs``: write the static site."""
    from dagster_lineage.explorer.site import write_site

    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise ExplorerOptionError(f"-o {out} is a file; name a folder")
    explorer = _load(args)
    counts = write_site(explorer, out)
    print(
        f"dagster-lineage docs: {counts['assets']} assets, {counts['files']} files in {out}/ "
        f"(open {out / 'index.html'})",
        file=sys.stdout,
    )
    return 0
