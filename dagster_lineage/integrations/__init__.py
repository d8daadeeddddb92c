"""Integrations: read one tool's artefacts (dbt, Airflow, Spark) into lineage records.

Each subpackage imports its heavy tool lazily where the tool is optional, so the package and a code
location load without it.

Examples:
    >>> import dagster_lineage.integrations.dbt as dbt_integration
    >>> dbt_integration.DbtLineageSettings().enable_column_lineage
    True
"""
