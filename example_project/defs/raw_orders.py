"""The raw table: ``raw_orders``, the shop's CSV export loaded into DuckDB ``main.raw_orders``.

A plain Python asset next to the components; its lineage record is written by hand (a source
table has no SQL to read it from) and every materialization records checksums and the observed
schema.
"""

import dagster as dg

from dagster_lineage.core.hashing import stable_hash
from dagster_lineage.core.model import AssetLineage, AssetType, ColumnInfo
from dagster_lineage.defs.metadata import lineage_metadata
from dagster_lineage.defs.recording import checksum_metadata
from example_project import paths, warehouse

RAW_ORDERS_CSV = paths.DATA_DIR / "raw_orders.csv"

RAW_ORDERS_COLUMNS = (
    ColumnInfo("order_id", "integer", "Order identifier."),
    ColumnInfo("customer_id", "integer", "Customer who placed the order."),
    ColumnInfo("order_total", "decimal(10,2)", "Order amount before discounts."),
    ColumnInfo("legacy_discount_code", "varchar", "Discount code of the old checkout."),
    ColumnInfo("ordered_at", "timestamp", "When the order was placed."),
    ColumnInfo("status", "varchar", "Order status as typed by the shop (mixed case)."),
)

_LOAD_SQL = (
    "create or replace table main.raw_orders ("
    + ", ".join(f"{c.name} {c.data_type}" for c in RAW_ORDERS_COLUMNS)
    + ");\n"
    "insert into main.raw_orders select * from read_csv(?, header = true, columns = {"
    + ", ".join(f"'{c.name}': '{(c.data_type or 'varchar').upper()}'" for c in RAW_ORDERS_COLUMNS)
    + "}, nullstr = '')"
)

RAW_ORDERS_LINEAGE = AssetLineage(
    key=("raw_orders",),
    asset_type=AssetType.TABLE,
    source_ref="main.raw_orders",
    columns=RAW_ORDERS_COLUMNS,
    code_checksum=stable_hash({"sql": _LOAD_SQL, "columns": [c.name for c in RAW_ORDERS_COLUMNS]}),
    owners=("data-platform@example.com",),
    description="Orders exported by the shop (data/raw_orders.csv), loaded into DuckDB main.raw_orders.",
)


def _table_handle(conn: object) -> object | None:
    try:
        from dagster_lineage.state.warehouse import TableHandle
    except ImportError:  # the checksum layer is optional for the example
        return None
    return TableHandle.duckdb(conn, "main.raw_orders")


@dg.asset(
    key="raw_orders",
    description=RAW_ORDERS_LINEAGE.description,
    kinds={"duckdb"},
    owners=list(RAW_ORDERS_LINEAGE.owners),
    code_version=RAW_ORDERS_LINEAGE.code_checksum,
    metadata={**lineage_metadata(RAW_ORDERS_LINEAGE), "dagster/table_name": "main.raw_orders"},
)
def raw_orders(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Load ``data/raw_orders.csv`` into DuckDB ``main.raw_orders`` (replacing it)."""
    with warehouse.connect() as conn:
        create, insert = _LOAD_SQL.split(";\n")
        conn.execute(create)
        conn.execute(insert, [str(RAW_ORDERS_CSV)])
        row_count = conn.execute("select count(*) from main.raw_orders").fetchone()[0]  # type: ignore[index]
        observed = [ColumnInfo(n, t) for n, t in warehouse.table_columns(conn, "raw_orders")]
        md: dict[str, object] = {"dagster/row_count": int(row_count)}
        md.update(
            checksum_metadata(
                RAW_ORDERS_LINEAGE,
                context=context,
                observed_columns=observed,
                table=_table_handle(conn),
            )
        )
    return dg.MaterializeResult(metadata=md)

