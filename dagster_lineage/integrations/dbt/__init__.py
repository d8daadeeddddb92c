"""dbt: lineage records from a dbt manifest (and catalog), without a warehouse connection.

The pure half of the dbt integration: read manifest.json / catalog.json, trace each model's
compiled SQL, cache the results, checksum each node. The Dagster half (translator, specs, the
``dbt_lineage_assets`` decorator) lives in :mod:`dagster_lineage.defs.dbt`.

Examples:
    >>> from dagster_lineage.integrations.dbt import code_checksum_for_dbt_node
    >>> len(code_checksum_for_dbt_node({"compiled_code": "select 1", "config": {}}))
    64
"""

from dagster_lineage.integrations.dbt.analysis import (
    DbtLineageAnalysis as DbtLineageAnalysis,
)
from dagster_lineage.integrations.dbt.analysis import (
    LineageWarning as LineageWarning,
)
from dagster_lineage.integrations.dbt.analysis import (
    analyse_dbt_manifest as analyse_dbt_manifest,
)
from dagster_lineage.integrations.dbt.cache import CacheStats as CacheStats
from dagster_lineage.integrations.dbt.cache import LineageCache as LineageCache
from dagster_lineage.integrations.dbt.checksum import (
    code_checksum_for_dbt_node as code_checksum_for_dbt_node,
)
from dagster_lineage.integrations.dbt.settings import DbtLineageSettings as DbtLineageSettings
