"""Data checksums do not depend on the time zone, locale or output settings (DuckDB and PostgreSQL).

The same rows are hashed with the process and the warehouse session in ``UTC`` and in
``America/New_York`` (PostgreSQL also with other DateStyle, IntervalStyle, extra_float_digits and
bytea_output): the checksums must be equal, while a changed value, NULL versus ``''`` and a changed
row count must change them. Timestamps' canonical text is checked against Python's own UTC
conversion of the values the driver returns.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import duckdb
import pytest

from dagster_lineage.state.warehouse import TableHandle, _duckdb_text, table_stats
from tests.pg_server import PostgresServer

ROWS = """
    (1, TIMESTAMPTZ '2024-03-10 06:59:59.5+00', TIMESTAMP '2024-03-10 02:30:00', DATE '2024-03-10',
     1.50, 0.1, true, 'x', INTERVAL '1 day 2 hours', TIME '01:02:03'),
    (2, TIMESTAMPTZ '2024-11-03 05:30:00+00', TIMESTAMP '2024-11-03 01:30:00', DATE '1999-12-31',
     100.00, 1e16, false, '', INTERVAL '3 months', TIME '23:59:59.25'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
"""
COLUMNS = "(id, tz, ts, d, amount, f, flag, s, iv, tm)"
DUCKDB_TYPES = (
    "id INTEGER, tz TIMESTAMPTZ, ts TIMESTAMP, d DATE, amount DECIMAL(10,2), f DOUBLE, "
    "flag BOOLEAN, s VARCHAR, iv INTERVAL, tm TIME, b BLOB, l TIMESTAMPTZ[]"
)
PG_TYPES = (
    "id integer, tz timestamptz, ts timestamp, d date, amount numeric(10,2), f double precision, "
    "flag boolean, s text, iv interval, tm time, b bytea, j jsonb"
)


@pytest.fixture
def process_tz() -> Iterator[object]:
    saved = os.environ.get("TZ")

    def use(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()

    try:
        yield use
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


def _duckdb_table(con: duckdb.DuckDBPyConnection, name: str = "t", rows: str = ROWS) -> None:
    con.execute(f"create or replace table {name} ({DUCKDB_TYPES})")
    con.execute(f"insert into {name} {COLUMNS} select * from (values {rows}) v{COLUMNS}")
    con.execute(
        f"update {name} set b = '\\x00\\xFFab'::BLOB, l = [tz, tz + interval 1 hour] where id = 1"
    )


def test_duckdb_checksum_is_the_same_in_every_time_zone(process_tz, tmp_path) -> None:
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as con:
        _duckdb_table(con)
    sums = []
    for zone in ("UTC", "America/New_York", "Asia/Kolkata"):
        process_tz(zone)
        with duckdb.connect(path) as con:
            con.execute(f"SET TimeZone = '{zone}'")
            sums.append(table_stats(TableHandle.duckdb(con, "t")).data_checksum)
            # the caller's session setting is left as it was
            assert con.execute("select current_setting('TimeZone')").fetchone()[0] == zone
        # and through a connection the module opens itself
        sums.append(table_stats(TableHandle.duckdb(path, "t")).data_checksum)
    assert sums[0] is not None and len(set(sums)) == 1


def test_duckdb_canonical_timestamp_text_is_utc_iso_8601(process_tz) -> None:
    process_tz("America/New_York")
    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")
    _duckdb_table(con)
    expr = _duckdb_text("tz", "TIMESTAMP WITH TIME ZONE")
    for value, text in con.execute(f"select tz, {expr} from t where tz is not null").fetchall():
        # the judge: Python's own conversion of the value the driver returns
        assert text == value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_duckdb_checksum_sees_values_nulls_and_rows() -> None:
    con = duckdb.connect()
    _duckdb_table(con, "base")
    base = table_stats(TableHandle.duckdb(con, "base")).data_checksum
    # NULL and '' differ
    _duckdb_table(con, "nulls")
    con.execute("update nulls set s = NULL where id = 2")
    # one value changed by a microsecond-free second
    _duckdb_table(con, "value")
    con.execute("update value set tz = tz + interval 1 second where id = 1")
    # a duplicated row
    _duckdb_table(con, "dup")
    con.execute("insert into dup select * from dup where id = 3")
    others = {
        n: table_stats(TableHandle.duckdb(con, n)).data_checksum for n in ("nulls", "value", "dup")
    }
    assert base not in others.values() and len(set(others.values())) == 3
    # trailing-zero noise: the same amounts at another scale hash the same
    con.execute(
        "create table scaled as select * replace (amount::DECIMAL(12,4) as amount) from base"
    )
    assert table_stats(TableHandle.duckdb(con, "scaled")).data_checksum == base


@pytest.fixture(scope="module")
def pg(pg_server: PostgresServer) -> PostgresServer:
    return pg_server  # the session's server (tests/conftest.py)


def _pg_connect(server: PostgresServer, options: str = "") -> object:
    import psycopg2

    return (
        psycopg2.connect(server.dsn, options=options) if options else psycopg2.connect(server.dsn)
    )


PG_OTHER = (
    "-c TimeZone=America/New_York -c DateStyle=SQL,DMY -c IntervalStyle=postgres_verbose "
    "-c extra_float_digits=0 -c bytea_output=escape -c lc_monetary=C"
)


def test_postgres_checksum_is_the_same_under_other_session_settings(pg, process_tz) -> None:
    con = _pg_connect(pg)
    con.autocommit = True
    with con.cursor() as cur:
        cur.execute(f"drop table if exists t; create table t ({PG_TYPES})")
        cur.execute(f"insert into t {COLUMNS} values {ROWS}")
        cur.execute(
            "update t set b = '\\x00ff6162'::bytea, j = '{\"b\": 1.50, \"a\": [1, null]}' "
            "where id = 1"
        )
        # a float whose text depends on extra_float_digits
        cur.execute("update t set f = 0.1 + 0.2 where id = 2")
    con.close()
    sums = []
    for zone, options in (("UTC", "-c TimeZone=UTC"), ("America/New_York", PG_OTHER)):
        process_tz(zone)
        con = _pg_connect(pg, options)
        try:
            sums.append(table_stats(TableHandle.postgres(con, "public.t")).data_checksum)
            with con.cursor() as cur:  # the caller's settings are untouched
                cur.execute("select current_setting('TimeZone'), current_setting('DateStyle')")
                setting = cur.fetchone()
            assert setting[0] == zone
            con.rollback()
            con.autocommit = True  # an autocommit connection works too
            sums.append(table_stats(TableHandle.postgres(con, "public.t")).data_checksum)
        finally:
            con.close()
        # a connection the module opens itself (libpq reads PGTZ/PGOPTIONS from the environment)
        os.environ["PGOPTIONS"] = options
        try:
            sums.append(table_stats(TableHandle.postgres(pg.dsn, "public.t")).data_checksum)
        finally:
            os.environ.pop("PGOPTIONS", None)
    assert sums[0] is not None and len(set(sums)) == 1
    # and a changed value changes it
    con = _pg_connect(pg)
    with con.cursor() as cur:
        cur.execute("update t set tz = tz + interval '1 microsecond' where id = 2")
    con.commit()
    assert table_stats(TableHandle.postgres(con, "public.t")).data_checksum != sums[0]
    con.close()
