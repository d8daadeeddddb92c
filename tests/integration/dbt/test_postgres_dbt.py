"""The example's dbt project on PostgreSQL (dbt-postgres) and on DuckDB, through our assets.

``example_project/dbt_project`` has a ``postgres`` target (host, port, user from env vars). The same
``raw_orders`` rows are loaded into a DuckDB file and into a PostgreSQL server on loopback
(tests/pg_server.py, one per session), then ``@dbt_lineage_assets`` builds the models on each and
the materializations are compared. Observed through the dbt adapter on both:

- equal: the columns (names and order), the row counts, the column lineage, the schema checksum of
  the pass-through model once types are in sqlglot's canonical form;
- legitimately different: the type names (PostgreSQL says ``numeric(10,2)``, ``character
  varying``, ``timestamp without time zone`` where DuckDB says ``decimal(10,2)``, ``varchar``,
  ``timestamp``), and DuckDB infers ``decimal(12,3)`` for ``order_total * 0.9`` where PostgreSQL
  keeps an unconstrained ``numeric``, so the recorded schema checksums (and the declared ones, whose
  types sqlglot infers in each warehouse's dialect) differ; the data checksums (each engine folds
  md5 into an integer its own way) and the code checksums (the compiled SQL names each
  warehouse's relations) differ too, and are required to be there.
"""

import csv
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import psycopg2
import pytest
from dagster_dbt import DbtCliResource, DbtProject

from dagster_lineage import dbt_lineage_assets, prepare_dbt_project
from dagster_lineage.defs.metadata import columns_from_metadata
from dagster_lineage.defs.metadata_keys import (
    CODE_CHECKSUM_KEY,
    COLUMN_LINEAGE_KEY,
    DATA_CHECKSUM_KEY,
    ROW_COUNT_KEY,
    SCHEMA_CHECKSUM_KEY,
    UPSTREAM_CHECKSUM_KEY,
)
from dagster_lineage.sql.data_types import canonical_type
from dagster_lineage.state.checksums import schema_checksum
from tests.pg_server import PostgresServer, started_server

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "example_project"
RAW_COLUMNS = (
    ("order_id", "integer"),
    ("customer_id", "integer"),
    ("order_total", "decimal(10,2)"),
    ("legacy_discount_code", "varchar"),
    ("ordered_at", "timestamp"),
    ("status", "varchar"),
)
MODELS = ("stg_orders", "fct_orders")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    with started_server() as server:
        yield server


def _rows() -> list[list[Any]]:
    with (EXAMPLE / "data" / "raw_orders.csv").open() as f:
        return [[v if v != "" else None for v in row] for row in list(csv.reader(f))[1:]]


def _load_duckdb(path: Path) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema if not exists main")
        con.execute(
            "create table main.raw_orders (" + ", ".join(f"{n} {t}" for n, t in RAW_COLUMNS) + ")"
        )
        con.executemany("insert into main.raw_orders values (?, ?, ?, ?, ?, ?)", _rows())
    finally:
        con.close()


def _load_postgres(server: PostgresServer, db: str) -> None:
    server.create_database(db)
    con = psycopg2.connect(server.dsn_for(db))
    try:
        with con.cursor() as cur:
            cur.execute("create schema if not exists main")
            cur.execute("drop table if exists main.raw_orders")
            cur.execute(
                "create table main.raw_orders ("
                + ", ".join(f"{n} {t}" for n, t in RAW_COLUMNS)
                + ")"
            )
            cur.executemany("insert into main.raw_orders values (%s, %s, %s, %s, %s, %s)", _rows())
        con.commit()
    finally:
        con.close()


def _materialize(project_dir: Path, target: str) -> dict[str, dict[str, Any]]:
    project = DbtProject(project_dir=project_dir, target_path=f"target_{target}", target=target)
    prepare_dbt_project(project)

    @dbt_lineage_assets(manifest=project.manifest_path, project=project)
    def example_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [example_dbt],
        resources={"dbt": DbtCliResource(project_dir=project, target=target)},
        instance=instance,
        raise_on_error=False,
    )
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    out = {}
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        out[mat.asset_key.path[-1]] = dict(mat.metadata)
    # the order of the run's log: the first materialization, and dagster-dbt's line logged when
    # the dbt process has ended (an order, not a timing)
    kinds = [
        "mat"
        if e.dagster_event is not None
        and e.dagster_event.event_type_value == "ASSET_MATERIALIZATION"
        else "end"
        if "Finished dbt command" in (e.user_message or "")
        else ""
        for e in instance.all_logs(result.run_id)
    ]
    out["__streamed__"] = {"streamed": kinds.index("mat") < kinds.index("end")}
    return out


@pytest.fixture(scope="module")
def both(pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("example_dbt_pg")
    project_dir = root / "dbt_project"
    shutil.copytree(EXAMPLE / "dbt_project", project_dir, ignore=shutil.ignore_patterns("target*"))
    duck = root / "warehouse.duckdb"
    _load_duckdb(duck)
    _load_postgres(pg_server, "warehouse")
    env = {
        "DAGSTER_LINEAGE_DUCKDB_PATH": str(duck),
        "DAGSTER_LINEAGE_EXPORT_DIR": str(root),
        "DAGSTER_LINEAGE_PG_HOST": "127.0.0.1",
        "DAGSTER_LINEAGE_PG_PORT": str(pg_server.port),
        "DAGSTER_LINEAGE_PG_USER": "postgres",
        "DAGSTER_LINEAGE_PG_DBNAME": "warehouse",
        # the DbtCliResource looks for `dbt` on PATH (an un-activated virtualenv here)
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return {
            "duckdb": _materialize(project_dir, "dev"),
            "postgres": _materialize(project_dir, "postgres"),
        }
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _observed(md: dict[str, Any]) -> list[tuple[str, str | None]]:
    columns = columns_from_metadata(md)
    assert columns is not None
    return [(c.name, c.data_type) for c in columns]


def test_both_warehouses_record_every_model_with_checksums(both) -> None:
    for side in ("duckdb", "postgres"):
        for model in MODELS:
            md = both[side][model]
            for key in (
                CODE_CHECKSUM_KEY,
                SCHEMA_CHECKSUM_KEY,
                DATA_CHECKSUM_KEY,
                UPSTREAM_CHECKSUM_KEY,
            ):
                assert key in md, f"{side} {model} lacks {key}"


def _same_type(duck: str | None, pg: str | None) -> bool:
    """Equal in sqlglot's canonical form; or a decimal whose precision only DuckDB infers.

    ``order_total * 0.9`` is ``decimal(12,3)`` in DuckDB and an unconstrained ``numeric`` in
    PostgreSQL (its arithmetic keeps no declared precision): the engines differ, not the SQL.
    """
    d, p = canonical_type(duck or ""), canonical_type(pg or "")
    return d == p or (d.startswith("decimal(") and p == "decimal")


def test_observed_columns_match_and_types_differ_only_in_spelling(both) -> None:
    for model in MODELS:
        duck, pg = _observed(both["duckdb"][model]), _observed(both["postgres"][model])
        assert [n for n, _ in duck] == [n for n, _ in pg]
        assert all(_same_type(d, p) for (_, d), (_, p) in zip(duck, pg)), (duck, pg)
        # the spelling differs: PostgreSQL names its own types (they come from the adapter)
        assert ("order_total", "numeric(10,2)") in pg, pg
        assert ("order_total", "decimal(10,2)") in duck, duck
    # where the SQL passes columns through, the schema checksums agree once types are canonical
    duck, pg = _observed(both["duckdb"]["stg_orders"]), _observed(both["postgres"]["stg_orders"])
    assert schema_checksum([(n, canonical_type(t or "")) for n, t in duck]) == schema_checksum(
        [(n, canonical_type(t or "")) for n, t in pg]
    )
    assert (
        both["duckdb"]["stg_orders"][SCHEMA_CHECKSUM_KEY]
        != (both["postgres"]["stg_orders"][SCHEMA_CHECKSUM_KEY])
    ), "the recorded checksums hash each warehouse's own type names"


def test_row_counts_and_column_lineage_are_equal(both) -> None:
    for model in MODELS:
        duck, pg = both["duckdb"][model], both["postgres"][model]
        assert duck[ROW_COUNT_KEY] == pg[ROW_COUNT_KEY]
        assert duck[ROW_COUNT_KEY].value > 0
        assert duck[COLUMN_LINEAGE_KEY] == pg[COLUMN_LINEAGE_KEY]


def test_data_and_code_checksums_are_per_warehouse(both) -> None:
    for model in MODELS:
        duck, pg = both["duckdb"][model], both["postgres"][model]
        assert duck[DATA_CHECKSUM_KEY] != pg[DATA_CHECKSUM_KEY]
        assert duck[CODE_CHECKSUM_KEY] != pg[CODE_CHECKSUM_KEY]


def test_postgres_streams_and_duckdb_waits_for_the_dbt_process(both) -> None:
    """On PostgreSQL the first materialization is recorded while dbt still runs; on DuckDB (the
    file is locked by dbt) after the process ends, as dagster-dbt's ``fetch_row_counts()``."""
    assert both["postgres"]["__streamed__"]["streamed"] is True
    assert both["duckdb"]["__streamed__"]["streamed"] is False
