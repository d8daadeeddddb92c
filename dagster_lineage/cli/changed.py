"""``dagster-lineage changed``: which assets changed since their last successful run, and why.

Reads the code location's lineage graph (current code checksums) and the Dagster instance of
``DAGSTER_HOME`` (SQLite by default, PostgreSQL through dagster-postgres). Exit code 0 (or 1 with
``--exit-code`` when something changed); 2 when the storage is unreachable or the input is bad.

Examples:
    >>> from dagster_lineage.cli import build_parser
    >>> args = build_parser().parse_args(["changed", "--select", "fct_orders+", "--format", "json"])
    >>> args.select, args.format
    (['fct_orders+'], 'json')
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import sqlalchemy.exc

from dagster_lineage.cli import add_command
from dagster_lineage.cli.loading import add_location_args, load_location, warn_cycle
from dagster_lineage.errors import DagsterLineageError, clip, redact
from dagster_lineage.state.compare import AssetChange


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``changed`` subcommand."""
    p = add_command(
        sub,
        "changed",
        description="List the assets whose current code checksum differs from the one recorded at "
        "their last successful materialization, those never materialized, and their downstream "
        "assets (reason: upstream), with the run id and time of that last success.",
    )
    p.add_argument(
        "--select",
        action="append",
        default=None,
        help="assets to report (names or a/b keys, globs, 'name+' adds downstream, '+name' "
        "upstream; repeat or comma-separate). Default: all",
    )
    p.add_argument("--format", choices=["text", "json", "csv"], default="text")
    p.add_argument(
        "--last-run",
        action="store_true",
        help="show the last successful run for the selection instead: run id, completion time, "
        "rows per asset",
    )
    p.add_argument(
        "--explain",
        metavar="ASSET",
        help="explain one asset: which file, macro or config changed (a short diff of the "
        "normalised code), which columns (schema), checksums and row counts (data), which parent "
        "(upstream)",
    )
    p.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with 1 when something changed (like git diff)",
    )
    p.add_argument(
        "--dagster-home", help="Dagster instance folder (default: the DAGSTER_HOME variable)"
    )
    add_location_args(p)
    p.set_defaults(func=run)


def _instance(home: str | None) -> Any:
    import dagster as dg

    from dagster_lineage.defs.recording import storage_guard

    path = home or os.environ.get("DAGSTER_HOME")
    if not path:
        raise DagsterLineageError(
            "DAGSTER_HOME is not set, so there is no Dagster instance to read materializations "
            "from. Set DAGSTER_HOME to the folder holding dagster.yaml (or pass --dagster-home)."
        )
    if not Path(path).is_dir():
        raise DagsterLineageError(
            f"Dagster home {path} is not a folder. Create it (it may hold a dagster.yaml) or fix "
            "DAGSTER_HOME / --dagster-home."
        )
    yaml_file = Path(path) / "dagster.yaml"
    text = yaml_file.read_text() if yaml_file.is_file() else ""
    where = (
        f"PostgreSQL storage configured in {yaml_file}"
        if "postgres" in text
        else f"Dagster instance storage in {path}"
    )
    try:
        with storage_guard(None, "opening the Dagster instance", storage=where):
            if home:
                return dg.DagsterInstance.from_config(str(Path(home).resolve()))
            return dg.DagsterInstance.get()
    except DagsterLineageError:
        raise
    except (sqlite3.DatabaseError, sqlalchemy.exc.DatabaseError):
        raise  # a corrupt event log: explained by _database_errors
    except Exception as e:  # noqa: BLE001 - a malformed dagster.yaml raises many kinds
        raise DagsterLineageError(
            f"Cannot open the Dagster instance in {path}: {type(e).__name__}: "
            f"{_first_line(e)}. Fix {yaml_file} (see the dagster.yaml reference of Dagster)."
        ) from None


def _first_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return clip(redact(text), 400)


def _database_errors(where: str) -> Any:
    """A corrupt event log (``file is not a database``) as one clear error."""

    @contextlib.contextmanager
    def guard() -> Any:
        try:
            yield
        except (sqlite3.DatabaseError, sqlalchemy.exc.DatabaseError) as e:
            raise DagsterLineageError(
                f"The Dagster instance storage in {where} cannot be read: {_first_line(e)}. "
                "The SQLite event log may be corrupt: restore its .db files (history/, storage/) "
                "from a backup, or move them away to start afresh."
            ) from None

    return guard()


def _time(ts: float | None) -> str:
    if ts is None:
        return ""
    return dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(c: AssetChange) -> dict[str, Any]:
    d = c.to_dict()
    d["last_success_time"] = _time(d["last_success_time"])
    return d


def run(args: argparse.Namespace) -> int:
    """Execute ``changed``."""
    from dagster_lineage.defs.changed_assets import (
        LineageSnapshot,
        changed_report,
        explain_change,
        last_successful_run,
    )

    if args.explain is not None and (args.last_run or args.select):
        raise DagsterLineageError(
            "--explain takes one asset and cannot be combined with --last-run or --select; "
            "drop one of them."
        )
    if args.explain is not None and not args.explain.strip():
        raise DagsterLineageError("--explain needs an asset name, e.g. --explain fct_orders.")
    snap = load_location(args, LineageSnapshot.from_definitions)
    warn_cycle(snap.graph)
    if args.explain is not None:
        snap.graph.resolve(args.explain.strip())  # unknown asset: one line, before the instance
    home = args.dagster_home or os.environ.get("DAGSTER_HOME") or "DAGSTER_HOME"
    with _database_errors(home):
        instance = _instance(args.dagster_home)
        try:
            if args.last_run:
                summary = last_successful_run(snap, instance, select=args.select)
                _print_run(summary, args.format)
                return 0
            if args.explain is not None:
                found = explain_change(snap, instance, args.explain.strip())
                if args.format == "json":
                    out = {"asset": found.asset, "changed": found.changed, "lines": list(found.lines)}
                    print(json.dumps(out, indent=2))
                else:
                    print(found.text)
                return 1 if (args.exit_code and found.changed) else 0
            report = changed_report(snap, instance, select=args.select)
        finally:
            instance.dispose()
    changes = list(report.changes)
    _print_changes(changes, args.format, len(snap.graph), report.notices)
    return 1 if (changes and args.exit_code) else 0


def _print_changes(
    changes: list[AssetChange], fmt: str, checked: int, notices: tuple[str, ...] = ()
) -> None:
    rows = [_row(c) for c in changes]
    if fmt == "json":
        if notices:
            print(json.dumps({"notices": list(notices), "changes": rows}, indent=2))
        else:
            print(json.dumps(rows, indent=2))
        return
    for notice in notices:
        print(f"Note: {notice}.", file=sys.stderr if fmt == "csv" else sys.stdout)
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["asset", "reasons", "last_success_run_id", "last_success_time", "details"])
        for r in rows:
            w.writerow(
                [
                    r["asset"],
                    ";".join(r["reasons"]),
                    r["last_success_run_id"] or "",
                    r["last_success_time"],
                    "; ".join(r["details"]),
                ]
            )
        return
    if not rows:
        print(f"No asset changed since its last successful run ({checked} assets checked).")
        return
    print(f"{len(rows)} asset(s) changed since their last successful run:")
    width = max(len(r["asset"]) for r in rows)
    for r in rows:
        if r["last_success_run_id"]:
            last = f"last success: run {r['last_success_run_id']} at {r['last_success_time']}"
        elif r["materializable"]:
            last = "never materialized successfully"
        else:
            last = "not materializable (external asset or exposure)"
        print(f"  {r['asset']:<{width}}  {', '.join(r['reasons']):<22} {last}")
        for d in r["details"]:
            print(f"  {'':<{width}}    - {d}")


def _print_run(summary: Any, fmt: str) -> None:
    if fmt == "json":
        d = summary.to_dict() if summary else None
        if d:
            d["end_time"] = _time(d["end_time"])
        print(json.dumps(d, indent=2))
        return
    if summary is None:
        if fmt == "csv":
            print("run_id,end_time,asset,rows")
        else:
            print("No successful run has materialized the selected assets.")
        return
    if fmt == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(["run_id", "end_time", "asset", "rows"])
        for asset, rows in summary.rows.items():
            w.writerow(
                [summary.run_id, _time(summary.end_time), asset, "" if rows is None else rows]
            )
        return
    print(f"Last successful run: {summary.run_id} ({summary.job_name or 'unknown job'})")
    print(f"Completed: {_time(summary.end_time)}")
    for asset, rows in summary.rows.items():
        print(f"  {asset}: {'?' if rows is None else rows} rows")
