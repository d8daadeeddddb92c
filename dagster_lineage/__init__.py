"""dagster-lineage: table- and column-level lineage, checksums and schema-change impact for Dagster.

Examples:
    >>> import dagster_lineage
    >>> dagster_lineage.LineageGraph.__name__
    'LineageGraph'
"""

from dagster_lineage.core.graph import (
    ColumnPath as ColumnPath,
)
from dagster_lineage.core.graph import (
    Direction as Direction,
)
from dagster_lineage.core.graph import (
    LineageGraph as LineageGraph,
)
from dagster_lineage.core.model import (
    AssetLineage as AssetLineage,
)
from dagster_lineage.core.model import (
    AssetType as AssetType,
)
from dagster_lineage.core.model import (
    Clause as Clause,
)
from dagster_lineage.core.model import (
    ColumnDep as ColumnDep,
)
from dagster_lineage.core.model import (
    ColumnInfo as ColumnInfo,
)
from dagster_lineage.core.model import (
    ColumnRead as ColumnRead,
)
from dagster_lineage.core.model import (
    ColumnRef as ColumnRef,
)
from dagster_lineage.core.model import (
    EdgeKind as EdgeKind,
)
from dagster_lineage.core.model import (
    Unknown as Unknown,
)
from dagster_lineage.defs.metadata import lineage_metadata as lineage_metadata
from dagster_lineage.errors import (
    ChangeSpecError as ChangeSpecError,
)
from dagster_lineage.errors import (
    DagsterLineageError as DagsterLineageError,
)
from dagster_lineage.errors import (
    IntegrationError as IntegrationError,
)
from dagster_lineage.errors import (
    LineageCycleError as LineageCycleError,
)
from dagster_lineage.errors import (
    SqlParseError as SqlParseError,
)
from dagster_lineage.errors import (
    StorageUnavailableError as StorageUnavailableError,
)
from dagster_lineage.errors import (
    UnknownAssetError as UnknownAssetError,
)
from dagster_lineage.errors import (
    UnknownColumnError as UnknownColumnError,
)

__version__ = "0.1.0"
