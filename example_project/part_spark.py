"""Example definitions: the spark part (filled in by its integration's work)."""

import dagster as dg

defs = dg.Definitions()
