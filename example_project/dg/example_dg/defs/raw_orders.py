"""``raw_orders``, the CSV export loaded into DuckDB: a plain Python asset next to the components."""

from example_project.part_raw import raw_orders

__all__ = ["raw_orders"]
