"""The lineage explorer: a local web app (``dagster-lineage serve``) and a static site (``docs``).

Examples:
    >>> from dagster_lineage.explorer import Explorer
    >>> from dagster_lineage.core.graph import LineageGraph
    >>> Explorer(LineageGraph.from_records([])).index()["n_assets"]
    0
"""

from dagster_lineage.explorer.api import ApiError as ApiError
from dagster_lineage.explorer.api import Explorer as Explorer
from dagster_lineage.explorer.server import make_server as make_server
from dagster_lineage.explorer.site import write_site as write_site
