"""SQL column lineage on sqlglot (pure: no Dagster import).

Examples:
    >>> from dagster_lineage.sql import statement_lineage
    >>> statement_lineage("select a from t", schema={"t": {"a": None}}).column_names
    ('a',)
"""

from dagster_lineage.sql.compose import ScriptLineage as ScriptLineage
from dagster_lineage.sql.compose import compose_statements as compose_statements
from dagster_lineage.sql.lineage import SchemaMapping as SchemaMapping
from dagster_lineage.sql.lineage import script_lineage as script_lineage
from dagster_lineage.sql.lineage import statement_lineage as statement_lineage
from dagster_lineage.sql.naming import match_table_name as match_table_name
from dagster_lineage.sql.naming import normalize_table_name as normalize_table_name
from dagster_lineage.sql.records import LineageParts as LineageParts
from dagster_lineage.sql.records import build_schema as build_schema
from dagster_lineage.sql.records import lineage_parts as lineage_parts
from dagster_lineage.sql.records import table_resolver as table_resolver
from dagster_lineage.sql.types import OutputColumn as OutputColumn
from dagster_lineage.sql.types import SourceColumn as SourceColumn
from dagster_lineage.sql.types import StatementLineage as StatementLineage
from dagster_lineage.sql.types import TableColumnRead as TableColumnRead
