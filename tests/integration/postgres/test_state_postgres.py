"""Checksums and change detection on a real PostgreSQL server (dagster-postgres instance storage).

The server is started by the session fixture ``pg_server`` (tests/pg_server.py) on 127.0.0.1.
"""

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
from dagster import AssetExecutionContext

from dagster_lineage.core.model import AssetLineage
from dagster_lineage.defs.changed_assets import changed_assets, last_successful_materializations
from dagster_lineage.defs.recording import checksum_metadata
from dagster_lineage.errors import StorageUnavailableError
from dagster_lineage.state.warehouse import TableHandle, table_stats
from tests.integration.state.state_flow import Project, check_change_flow
from tests.pg_server import PostgresServer

_db = itertools.count()
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pg_home(pg_server: PostgresServer, tmp_path: Path) -> Path:
    return pg_server.dagster_home(tmp_path / "dagster_home", f"dagster_{next(_db)}")


@pytest.fixture
def pg_instance(pg_home: Path) -> Iterator[dg.DagsterInstance]:
    instance = dg.DagsterInstance.from_config(str(pg_home))
    try:
        yield instance
    finally:
        instance.dispose()


def test_instance_really_uses_postgres(pg_instance: dg.DagsterInstance) -> None:
    assert "Postgres" in type(pg_instance.event_log_storage).__name__
    assert "Postgres" in type(pg_instance.run_storage).__name__


def test_change_flow_on_postgres(pg_instance: dg.DagsterInstance, tmp_path: Path) -> None:
    check_change_flow(Project.copy_to(tmp_path / "project"), pg_instance)


def test_postgres_table_stats(pg_server: PostgresServer) -> None:
    db = pg_server.create_database("warehouse")
    con = psycopg2.connect(pg_server.dsn_for(db))
    try:
        with con.cursor() as cur:
            cur.execute("drop table if exists public.orders, public.orders_rev")
            cur.execute(
                "create table public.orders (id integer, total numeric(10,2), status varchar(20))"
            )
            cur.execute(
                "insert into public.orders values (1, 10.50, 'a'), (2, 20.00, null), (2, 20.00, null)"
            )
            cur.execute("create table public.orders_rev as select * from orders order by id desc")
        con.commit()
        a = table_stats(TableHandle.postgres(pg_server.dsn_for(db), "public.orders"))
        b = table_stats(TableHandle.postgres(con, "orders_rev"))
        assert a.row_count == 3
        assert [(c.name, c.data_type) for c in a.columns] == [
            ("id", "integer"),
            ("total", "numeric(10,2)"),
            ("status", "character varying(20)"),
        ]
        assert a.data_checksum is not None and a.data_checksum == b.data_checksum
        with con.cursor() as cur:  # one duplicate row less: different checksum
            cur.execute(
                "delete from orders_rev where ctid in (select ctid from orders_rev where id = 2 limit 1)"
            )
        con.commit()
        c = table_stats(TableHandle.postgres(con, "orders_rev"))
        assert c.row_count == 2 and c.data_checksum != a.data_checksum
        off = table_stats(TableHandle.postgres(con, "orders", data_checksum=False))
        capped = table_stats(TableHandle.postgres(con, "orders", max_rows_for_checksum=2))
        assert off.row_count == capped.row_count == 3
        assert off.data_checksum is None and capped.data_checksum is None
    finally:
        con.close()


def test_concurrent_runs_lose_no_record(pg_home: Path, tmp_path: Path) -> None:
    """Two runs in two processes (as Dagster runs them) record at the same moments."""
    n = 4
    sync = tmp_path / "sync"
    sync.mkdir()
    writer = Path(__file__).with_name("concurrent_writer.py")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = {
        p: subprocess.Popen(
            [sys.executable, str(writer), str(pg_home), p, str(n), str(sync)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for p in "ab"
    }
    run_ids = {}
    for p, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        line = [x for x in out.splitlines() if x.startswith("RUN_ID=")][-1]
        run_id, ok = line.split()
        assert ok == "SUCCESS=True"
        run_ids[p] = run_id.split("=", 1)[1]
    instance = dg.DagsterInstance.from_config(str(pg_home))
    try:
        keys = [(f"{p}{i}",) for p in "ab" for i in range(n)]
        states = last_successful_materializations(instance, keys)
        for key, state in states.items():
            assert state is not None, key
            assert state.code == f"c-{key[0]}"
            assert state.run_id == run_ids[key[0][0]]
            assert state.upstream is not None
        # each child recorded its parent's checksums from the same run
        assert states[("a1",)].parents["a0"].code == "c-a0"
        assert states[("b3",)].parents["b2"].code == "c-b2"
        for key in keys:
            recs = instance.fetch_materializations(dg.AssetKey(list(key)), limit=10).records
            assert len(recs) == 1
    finally:
        instance.dispose()


def test_postgres_down_while_a_run_records(
    pg_server: PostgresServer, pg_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    up_rec = AssetLineage(key=("up",), code_checksum="u1")
    down_rec = AssetLineage(key=("down",), upstream=(("up",),), code_checksum="d1")
    outage_done: list[bool] = []

    @dg.asset(name="up", code_version="u1")
    def up(context: AssetExecutionContext) -> dg.MaterializeResult:
        return dg.MaterializeResult(metadata=checksum_metadata(up_rec, context=context))

    @dg.asset(name="down", deps=["up"], code_version="d1")
    def down(context: AssetExecutionContext) -> dg.MaterializeResult:
        if not outage_done:
            outage_done.append(True)
            pg_server.stop("immediate")  # the database goes away while the run records
        return dg.MaterializeResult(metadata=checksum_metadata(down_rec, context=context))

    defs_graph = dg.Definitions(assets=[up, down])
    instance = dg.DagsterInstance.from_config(str(pg_home))
    try:
        first = dg.materialize([up, down.to_source_asset()], instance=instance, selection=["up"])
        assert first.success
        before = instance.get_latest_materialization_event(dg.AssetKey("up"))
        caplog.clear()
        failed = False
        try:
            result = dg.materialize([up, down], instance=instance, selection=["down"])
            failed = not result.success
        except Exception:  # noqa: BLE001 - Dagster cannot even record the failure: storage is down
            failed = True
        assert failed
        err = caplog.text  # on stderr outside pytest (logger dagster_lineage)
        assert "The lineage storage is unreachable (PostgreSQL event log storage" in err
        assert "reading the last materialization of up failed" in err
        assert "start the database (or fix dagster.yaml) and re-run" in err
    finally:
        if not pg_server.running:
            pg_server.start()
        instance.dispose()

    # after the restart nothing recorded earlier is missing
    instance = dg.DagsterInstance.from_config(str(pg_home))
    try:
        after = instance.get_latest_materialization_event(dg.AssetKey("up"))
        assert after is not None and after.run_id == before.run_id
        assert after.asset_materialization.metadata == before.asset_materialization.metadata
        assert instance.get_latest_materialization_event(dg.AssetKey("down")) is None
        others = [r for r in instance.get_run_records() if r.dagster_run.run_id != first.run_id]
        assert len(others) == 1  # the interrupted run is there, and not a success
        assert others[0].dagster_run.status != dg.DagsterRunStatus.SUCCESS
        reasons = {
            c.key_str: [r.value for r in c.reasons] for c in changed_assets(defs_graph, instance)
        }
        assert reasons == {"down": ["never_materialized"]}
        # and recording works again
        assert dg.materialize([up, down], instance=instance).success
        assert changed_assets(defs_graph, instance) == []
    finally:
        instance.dispose()


def test_storage_error_from_queries_is_storage_unavailable(
    pg_server: PostgresServer, pg_home: Path
) -> None:
    instance = dg.DagsterInstance.from_config(str(pg_home))
    try:
        pg_server.stop("fast")
        with pytest.raises(StorageUnavailableError, match="PostgreSQL event log storage"):
            last_successful_materializations(instance, [("x",)])
    finally:
        if not pg_server.running:
            pg_server.start()
        instance.dispose()
