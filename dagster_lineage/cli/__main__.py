"""``python -m dagster_lineage.cli`` runs the CLI."""

import sys

from dagster_lineage.cli import main

sys.exit(main())
