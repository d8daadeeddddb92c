"""Views of the lineage graph for other tools (no Dagster import): OpenLineage events.

Examples:
    >>> from dagster_lineage.exports.openlineage import OpenLineageNaming
    >>> OpenLineageNaming().job_namespace
    'default'
"""
