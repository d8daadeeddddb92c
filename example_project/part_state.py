"""Example definitions: the state part (filled in by its integration's work)."""

import dagster as dg

defs = dg.Definitions()
