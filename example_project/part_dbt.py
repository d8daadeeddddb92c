"""Example definitions: the dbt part (filled in by its integration's work)."""

import dagster as dg

defs = dg.Definitions()
