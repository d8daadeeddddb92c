"""Type-change classes judged by DuckDB: a widening keeps every boundary value of the old type
through a cast to the new type and back; a narrowing or precision loss loses at least one."""

from __future__ import annotations

import itertools

import duckdb
import pytest

from dagster_lineage.sql.data_types import TypeChangeKind, classify_type_change

# boundary values of each old type, as DuckDB literals
BOUNDARIES: dict[str, list[str]] = {
    "tinyint": ["127", "-128", "0"],
    "smallint": ["32767", "-32768"],
    "integer": ["2147483647", "-2147483648"],
    "bigint": ["9223372036854775807", "-9223372036854775808", "9007199254740993"],
    "hugeint": ["170141183460469231731687303715884105727"],
    "utinyint": ["255"],
    "usmallint": ["65535"],
    "uinteger": ["4294967295"],
    "ubigint": ["18446744073709551615"],
    "boolean": ["true", "false"],
    "decimal(12,2)": ["9999999999.99", "-9999999999.99", "0.01"],
    "decimal(10,2)": ["99999999.99", "0.01"],
    "decimal(12,4)": ["99999999.9999", "0.0001"],
    "decimal(18,3)": ["999999999999999.999", "0.001"],
    "decimal(5,0)": ["99999", "-99999"],
    "float": ["3.4028235e38", "0.1"],
    "double": ["1.7976931348623157e308", "0.1", "123456789.123456789"],
    "date": ["'2024-02-29'", "'1970-01-01'", "'2500-01-01'"],
    "timestamp": ["'2024-05-06 12:34:56.789123'", "'2500-01-01 00:00:00'"],
    "timestamp_ms": ["'2024-05-06 12:34:56.789'", "'2500-01-01 00:00:00'"],
    "timestamp_ns": ["'2024-05-06 12:34:56.789123456'"],
    "timestamp_s": ["'2024-05-06 12:34:56'", "'2500-01-01 00:00:00'"],
}
JUDGED = [
    (a, b)
    for a, b in itertools.permutations(BOUNDARIES, 2)
    if classify_type_change(a, b, "duckdb").kind
    in (TypeChangeKind.WIDEN, TypeChangeKind.NARROW, TypeChangeKind.PRECISION_LOSS)
]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def keeps_every_value(con, old: str, new: str) -> bool:
    """Every boundary value of ``old`` survives ``old -> new -> old`` unchanged (DuckDB casts)."""
    for literal in BOUNDARIES[old]:
        ok = con.execute(
            f"select coalesce(try_cast(try_cast(cast({literal} as {old}) as {new}) as {old})"
            f" = cast({literal} as {old}), false)"
        ).fetchone()[0]
        if not ok:
            return False
    return True


def test_the_judged_matrix_covers_every_class():
    kinds = {classify_type_change(a, b, "duckdb").kind for a, b in JUDGED}
    assert kinds == {TypeChangeKind.WIDEN, TypeChangeKind.NARROW, TypeChangeKind.PRECISION_LOSS}
    assert len(JUDGED) > 150


@pytest.mark.parametrize(("old", "new"), JUDGED, ids=[f"{a}->{b}" for a, b in JUDGED])
def test_duckdb_agrees_with_the_class(con, old, new):
    change = classify_type_change(old, new, "duckdb")
    assert keeps_every_value(con, old, new) == (not change.kind.destructive), change.reason


def test_another_family_is_incompatible_and_the_unknown_is_said():
    assert classify_type_change("integer", "varchar").kind is TypeChangeKind.INCOMPATIBLE
    assert classify_type_change("varchar", "date").kind is TypeChangeKind.INCOMPATIBLE
    unknown = classify_type_change(None, "bigint")
    assert unknown.kind is TypeChangeKind.UNKNOWN and "not known" in unknown.reason
    # dialect-aware: DuckDB's FLOAT is single precision, PostgreSQL's is double
    assert classify_type_change("double", "float", "duckdb").kind is TypeChangeKind.PRECISION_LOSS
    assert classify_type_change("double", "float", "postgres").kind is TypeChangeKind.SAME
