"""The schema-drift sensor against a real PostgreSQL table (information_schema)."""

from __future__ import annotations

import json

import dagster as dg
import pytest
from impact_story import story_records

from dagster_lineage import lineage_metadata
from dagster_lineage.defs.impact import REPORT_MD_KEY, build_schema_drift_impact_sensor
from tests.pg_server import PostgresServer

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg(pg_server: PostgresServer) -> PostgresServer:
    return pg_server  # the session's server (tests/conftest.py)


def test_drift_sensor_on_a_real_postgres_table(pg: PostgresServer) -> None:
    import psycopg2

    con = psycopg2.connect(pg.dsn)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(
            "create table public.raw_orders (order_id integer, customer_id integer, "
            "order_total numeric(10,2), legacy_discount_code varchar, ordered_at timestamp, "
            "status varchar)"
        )
    defs = dg.Definitions(
        assets=[
            dg.AssetSpec(
                list(r.key), deps=[list(k) for k in r.upstream], metadata=lineage_metadata(r)
            )
            for r in story_records()
        ]
    )
    sensor = build_schema_drift_impact_sensor(
        tables={"raw_orders": "public.raw_orders"}, database=pg.dsn, graph=defs
    )
    instance = dg.DagsterInstance.ephemeral()
    base = sensor(dg.build_sensor_context(instance=instance))
    assert [c[0] for c in json.loads(base.cursor)["schemas"]["raw_orders"]][:3] == [
        "order_id",
        "customer_id",
        "order_total",
    ]
    with con.cursor() as cur:
        cur.execute("alter table public.raw_orders alter column order_id type bigint")
        cur.execute("alter table public.raw_orders drop column legacy_discount_code")
    con.close()
    drift = sensor(dg.build_sensor_context(instance=instance, cursor=base.cursor))
    (obs,) = drift.asset_events
    changes = obs.metadata["schema_changes"].value
    assert {"type": "column_drop", "column": "legacy_discount_code"} in changes
    assert {
        "type": "column_type_change",
        "column": "order_id",
        "data_type": "bigint",
        "old_type": "integer",
    } in changes
    assert obs.metadata["risk_level"].value == "high"  # fct_orders (criticality: high) breaks
    assert "`fct_orders`" in obs.metadata[REPORT_MD_KEY].value
