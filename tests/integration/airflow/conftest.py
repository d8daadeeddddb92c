"""Airflow integration fixtures: DagBag parses in a subprocess (Airflow's logging and import
side effects stay out of the test process), a real Airflow 3 API server on loopback."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "airflow" / "dags"
EXAMPLE_DAGS = ROOT / "example_project" / "dags"
PYTHON = sys.executable

if importlib.util.find_spec("airflow") is None:  # the airflow extra is not installed
    collect_ignore_glob = ["test_*.py"]


def copy_fixture_dags(dest: Path) -> Path:
    """Copy the fixture DAGs, turning ``*.py.txt`` (invalid Python kept out of ruff) into ``.py``."""
    shutil.copytree(FIXTURES, dest)
    for broken in dest.rglob("*.py.txt"):
        broken.rename(broken.with_suffix(""))
    return dest


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home}/airflow.db",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


_DAGBAG_SCRIPT = """
import pickle, sys, time
t = time.monotonic()
from dagster_lineage.integrations.airflow import read_dags_dagbag
out = {p: read_dags_dagbag(p) for p in sys.argv[2:]}
out["__seconds__"] = time.monotonic() - t
with open(sys.argv[1], "wb") as f:
    pickle.dump(out, f)
"""


@pytest.fixture(scope="session")
def fixture_dags(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_fixture_dags(tmp_path_factory.mktemp("airflow_fixtures") / "dags")


@pytest.fixture(scope="session")
def dagbag_results(tmp_path_factory: pytest.TempPathFactory, fixture_dags: Path) -> dict[str, Any]:
    """Airflow's DagBag over the fixture DAGs and the example DAGs (one subprocess)."""
    home = tmp_path_factory.mktemp("airflow_home")
    out = home / "dagbag.pickle"
    proc = subprocess.run(
        [PYTHON, "-c", _DAGBAG_SCRIPT, str(out), str(fixture_dags), str(EXAMPLE_DAGS)],
        env=airflow_env(home),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    with out.open("rb") as f:
        return pickle.load(f)  # noqa: S301 (our own subprocess)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class AirflowServer:
    url: str
    username: str
    password: str
    home: Path


_SETUP_SCRIPT = """
import argparse
from airflow.utils import db
db.upgradedb()
from airflow.cli.commands.dag_command import dag_reserialize
dag_reserialize(argparse.Namespace(bundle_name=None, verbose=False))
"""


@pytest.fixture(scope="session")
def airflow_api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServer]:
    """A real Airflow 3 API server (SQLite metadata DB, SimpleAuthManager) on 127.0.0.1.

    The example DAG folder is serialized into the DB so runs can be created through the API.
    """
    home = tmp_path_factory.mktemp("airflow_api_home")
    port = _free_port()
    password = "lineage-test-password"
    (home / "passwords.json").write_text(json.dumps({"admin": password}))
    env = airflow_env(
        home,
        AIRFLOW__CORE__DAGS_FOLDER=str(EXAMPLE_DAGS),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(home / "passwords.json"),
        AIRFLOW__API_AUTH__JWT_SECRET="dagster-lineage-test-secret",
        AIRFLOW__API__SECRET_KEY="dagster-lineage-test-secret",
    )
    setup = subprocess.run(
        [PYTHON, "-c", _SETUP_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    log = (home / "api-server.log").open("w")
    proc = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "airflow"),
            "api-server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import requests

        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                raise AssertionError(
                    "airflow api-server exited:\n" + (home / "api-server.log").read_text()[-3000:]
                )
            try:
                if requests.get(f"{url}/api/v2/version", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("airflow api-server did not answer within 180 s")
            time.sleep(1)
        yield AirflowServer(url=url, username="admin", password=password, home=home)
    finally:
        # the server runs in its own session (process group) started above: stop exactly that group
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
