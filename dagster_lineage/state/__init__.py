"""Checksums per materialization and the comparison with the last successful run (pure, no Dagster).

Examples:
    >>> from dagster_lineage.state.checksums import schema_checksum
    >>> schema_checksum([("a", "int"), ("b", "text")]) == schema_checksum([("b", "TEXT"), ("a", "INT")])
    True
"""
