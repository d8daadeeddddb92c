"""Example definitions: the airflow part (filled in by its integration's work)."""

import dagster as dg

defs = dg.Definitions()
