"""The run sensor against a real Airflow 3 API server (started on loopback by the fixture)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
import requests

from dagster_lineage.defs.airflow import build_airflow_lineage_specs, build_airflow_run_sensor

pytestmark = pytest.mark.airflow

EXAMPLE_DAGS = Path(__file__).resolve().parents[3] / "example_project" / "dags"
DAG_ID = "daily_revenue_report"


def _token(server: Any) -> str:
    resp = requests.post(
        f"{server.url}/auth/token",
        json={"username": server.username, "password": server.password},
        timeout=30,
    )
    assert resp.status_code in (200, 201), resp.text
    return str(resp.json()["access_token"])


def _successful_run(server: Any, token: str, run_id: str) -> dict[str, Any]:
    """Create a DAG run through the API and mark it successful (what a finished run looks like)."""
    headers = {"Authorization": f"Bearer {token}"}
    created = requests.post(
        f"{server.url}/api/v2/dags/{DAG_ID}/dagRuns",
        json={"dag_run_id": run_id, "logical_date": None},
        headers=headers,
        timeout=30,
    )
    assert created.status_code in (200, 201), created.text
    done = requests.patch(
        f"{server.url}/api/v2/dags/{DAG_ID}/dagRuns/{run_id}",
        json={"state": "success"},
        headers=headers,
        timeout=30,
    )
    assert done.status_code == 200, done.text
    return dict(done.json())


def _tick(sensor: dg.SensorDefinition, cursor: str | None) -> Any:
    with dg.instance_for_test() as instance:
        return sensor(dg.build_sensor_context(instance=instance, cursor=cursor))


def test_sensor_records_successful_runs(airflow_api_server: Any) -> None:
    specs = build_airflow_lineage_specs(dags_folder=EXAMPLE_DAGS, reader="static")
    sensor = build_airflow_run_sensor(
        airflow_url=airflow_api_server.url,
        specs=specs,
        username=airflow_api_server.username,
        password=airflow_api_server.password,
    )
    token = _token(airflow_api_server)
    first = _successful_run(airflow_api_server, token, "lineage_run_1")
    second = _successful_run(airflow_api_server, token, "lineage_run_2")

    result = _tick(sensor, None)
    events = [
        e
        for e in result.asset_events
        if e.metadata["airflow/dag_run_id"].value.startswith("lineage")
    ]
    assert [e.asset_key for e in events] == [dg.AssetKey(DAG_ID)] * 2
    by_run = {e.metadata["airflow/dag_run_id"].value: e for e in events}
    assert set(by_run) == {"lineage_run_1", "lineage_run_2"}
    mat = by_run["lineage_run_1"]
    assert mat.metadata["airflow/end_date"].value == first["end_date"]
    assert mat.metadata["airflow/run_type"].value == first["run_type"]
    assert "dagster_lineage/code_checksum" in mat.metadata
    cursor = json.loads(result.cursor)
    assert cursor["v"] == 1
    assert cursor["dags"][DAG_ID]["end_date"] >= second["end_date"]

    # next tick: nothing new; then one more run is picked up exactly once
    assert _tick(sensor, result.cursor).asset_events == []
    _successful_run(airflow_api_server, token, "lineage_run_3")
    third = _tick(sensor, result.cursor)
    assert [e.metadata["airflow/dag_run_id"].value for e in third.asset_events] == ["lineage_run_3"]

    # the events land on the instance as materializations of the external asset
    with dg.instance_for_test() as instance:
        for e in events:
            instance.report_runless_asset_event(e)
        latest = instance.get_latest_materialization_event(dg.AssetKey(DAG_ID))
        assert latest is not None
        md = latest.asset_materialization.metadata
        assert md["airflow/dag_run_id"].value in {"lineage_run_1", "lineage_run_2"}

    # an undecodable cursor is reset (with a log line): every run is seen again
    reset = _tick(sensor, "not json")
    assert {e.metadata["airflow/dag_run_id"].value for e in reset.asset_events} >= {
        "lineage_run_1",
        "lineage_run_2",
        "lineage_run_3",
    }


def test_sensor_with_a_static_token(airflow_api_server: Any) -> None:
    specs = build_airflow_lineage_specs(dags_folder=EXAMPLE_DAGS, reader="static")

    token = _token(airflow_api_server)
    _successful_run(airflow_api_server, token, "token_run_ok")
    _successful_run(airflow_api_server, token, "token_run_hook_fails")

    def hook(run: dict[str, Any]) -> dict[str, Any]:
        if run["dag_run_id"] == "token_run_hook_fails":
            raise ValueError("hook bug")
        return {"airflow/triggered_by": str(run["triggered_by"])}

    sensor = build_airflow_run_sensor(
        airflow_url=airflow_api_server.url,
        specs=specs,
        token=token,
        run_metadata_fn=hook,
    )
    result = _tick(sensor, None)
    assert all(e.asset_key == dg.AssetKey(DAG_ID) for e in result.asset_events)
    by_run = {e.metadata["airflow/dag_run_id"].value: e.metadata for e in result.asset_events}
    assert by_run["token_run_ok"]["airflow/triggered_by"].value == "rest_api"
    # the hook failed for this run: the tick logged it and still recorded the run
    assert "airflow/triggered_by" not in by_run["token_run_hook_fails"]

    bad = build_airflow_run_sensor(airflow_url=airflow_api_server.url, specs=specs, token="nope")
    assert _tick(bad, None).asset_events == []  # 401: logged, nothing recorded, no crash


def test_sensor_when_api_is_down() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    specs = build_airflow_lineage_specs(dags_folder=EXAMPLE_DAGS, reader="static")
    sensor = build_airflow_run_sensor(
        airflow_url=f"http://127.0.0.1:{port}", specs=specs, token="t", request_timeout_seconds=2
    )
    result = _tick(sensor, None)
    assert isinstance(result, dg.SkipReason)
    assert "unreachable" in str(result.skip_message) and str(port) in str(result.skip_message)


@pytest.mark.parametrize("cursor", ['{"v": 99, "dags": {}}', "[]"])
def test_sensor_resets_unknown_cursor_versions(cursor: str) -> None:
    from dagster_lineage.defs.airflow.sensor import _decode_cursor

    class Log:
        lines: list[str] = []

        def warning(self, msg: str) -> None:
            self.lines.append(msg)

    log = Log()
    assert _decode_cursor(cursor, log) == {"v": 1, "dags": {}}
    assert "starting over" in log.lines[-1]
