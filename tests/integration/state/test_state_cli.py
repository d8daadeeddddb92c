"""``dagster-lineage changed`` through a real subprocess, a real code location and instance."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from dagster_lineage.cli import main
from tests.integration.state.state_flow import Project
from tests.pg_server import free_port


def run_subprocess(home: Path | None, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    if home is not None:
        env["DAGSTER_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "dagster_lineage.cli", "changed", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


class _Out:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def test_changed_cli_text_json_csv(
    project: Project,
    sqlite_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    loc = ("-f", str(project.definitions_file))
    # the real console entry point once, in a subprocess
    out = run_subprocess(sqlite_home, project.root, *loc, "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert {r["asset"]: r["reasons"] for r in rows} == {
        "load_configs": ["never_materialized"],
        "stg": ["never_materialized"],
        "fct": ["never_materialized"],
        "report": ["never_materialized"],
    }
    instance = dg.DagsterInstance.from_config(str(sqlite_home))
    try:
        result = project.materialize(instance)
        assert result.success
        end = instance.get_run_record_by_id(result.run_id).end_time
    finally:
        instance.dispose()

    # then in-process (same code path, much faster on a loaded machine)
    monkeypatch.setenv("DAGSTER_HOME", str(sqlite_home))
    monkeypatch.chdir(project.root)

    def run(_home: Path, _cwd: Path, *args: str) -> _Out:
        capsys.readouterr()
        code = main(["changed", *args])
        cap = capsys.readouterr()
        return _Out(code, cap.out, cap.err)

    out = run(sqlite_home, project.root, *loc)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("No asset changed since its last successful run (4 assets")

    project.append_model("stg", " and id > 0\n")
    out = run(sqlite_home, project.root, *loc, "--format", "json", "--exit-code")
    assert out.returncode == 1, out.stderr
    rows = json.loads(out.stdout)
    assert [(r["asset"], r["reasons"]) for r in rows] == [
        ("stg", ["code"]),
        ("fct", ["upstream"]),
        ("report", ["upstream"]),
    ]
    assert {r["last_success_run_id"] for r in rows} == {result.run_id}
    import datetime as dt

    expected_time = dt.datetime.fromtimestamp(end, tz=dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert rows[0]["last_success_time"] == expected_time

    out = run(sqlite_home, project.root, *loc, "--format", "csv", "--select", "fct+")
    assert out.returncode == 0, out.stderr
    table = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["asset"], r["reasons"]) for r in table] == [
        ("fct", "upstream"),
        ("report", "upstream"),
    ]
    assert "upstream stg changed (code)" in table[0]["details"]

    out = run(sqlite_home, project.root, *loc)
    assert "3 asset(s) changed" in out.stdout
    assert "stg     code" in out.stdout or "stg  " in out.stdout
    assert f"last success: run {result.run_id} at {expected_time}" in out.stdout

    out = run(sqlite_home, project.root, *loc, "--last-run", "--format", "json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["run_id"] == result.run_id
    assert summary["end_time"] == expected_time
    assert summary["rows"] == {"fct": 3, "load_configs": None, "report": 2, "stg": 4}
    out = run(sqlite_home, project.root, *loc, "--last-run", "--select", "report")
    assert "report: 2 rows" in out.stdout and "stg" not in out.stdout


def test_changed_cli_errors(
    project: Project,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    loc = ["changed", "-f", str(project.definitions_file)]
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(loc) == 2
    assert "DAGSTER_HOME is not set" in capsys.readouterr().err
    assert main([*loc, "--dagster-home", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    assert main([*loc, "--dagster-home", str(home), "--select", "stgg"]) == 2
    assert "Did you mean: stg" in capsys.readouterr().err


def test_changed_cli_unreachable_postgres(project: Project, tmp_path: Path) -> None:
    """A dagster.yaml pointing at a PostgreSQL server that is not there: exit 2, clear message."""
    home = tmp_path / "pg_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "storage:\n  postgres:\n    postgres_db:\n      username: postgres\n      password: ''\n"
        f"      hostname: 127.0.0.1\n      db_name: dagster\n      port: {free_port()}\n"
        "      scheme: postgresql+psycopg2\n"
    )
    out = run_subprocess(home, project.root, "-f", str(project.definitions_file))
    assert out.returncode == 2, out.stdout + out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("dagster-lineage: error: The lineage storage is unreachable (PostgreSQL")
    assert "Connection refused" in last or "connect" in last
    assert "Traceback" not in out.stderr
