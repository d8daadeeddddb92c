"""No credential in any output, log line or stored event (issue 16): the tests grep for it."""

from __future__ import annotations

import logging
import socket

import dagster as dg
import pytest

from dagster_lineage import build_airflow_run_sensor
from dagster_lineage.state.warehouse import TableHandle

SECRET = "pA55w0rd-never-shown"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_airflow_url_credentials_never_shown(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://admin:{SECRET}@127.0.0.1:{closed_port()}"
    spec = dg.AssetSpec("orders_dag", metadata={"dagster_lineage/airflow_dag_id": "orders_dag"})
    sensor = build_airflow_run_sensor(airflow_url=url, specs=[spec], request_timeout_seconds=2)
    assert SECRET not in (sensor.description or "")
    assert "127.0.0.1" in (sensor.description or "")
    with dg.instance_for_test() as instance, caplog.at_level(logging.DEBUG):
        # the returned skip reason and cursor are what Dagster stores on the tick
        result = sensor(dg.build_sensor_context(instance=instance))
    text = repr(result) + caplog.text
    assert "unreachable" in text
    assert SECRET not in text
    assert "admin" not in text


def test_table_handle_repr_hides_the_dsn_password() -> None:
    for dsn in (
        f"postgresql://dagster:{SECRET}@db.internal:5432/warehouse",
        f"host=db.internal user=dagster password={SECRET} dbname=warehouse",
    ):
        h = TableHandle.postgres(dsn, "public.orders")
        assert SECRET not in repr(h) and SECRET not in str(h)
        assert "db.internal" in repr(h)
        assert h.database == dsn  # the handle still connects with it
