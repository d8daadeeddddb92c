"""Where runtime column lineage differs from the static reading of a job (pure, no Dagster import).

Columns are compared case-insensitively (Spark's default). A column the static analysis left to a
``*`` source (an upstream whose schema it did not know) matches a runtime identity edge from that
upstream.

Examples:
    >>> from dagster_lineage.core.model import AssetLineage, ColumnDep, ColumnRef, EdgeKind
    >>> dep = lambda c, k=EdgeKind.IDENTITY: (ColumnDep(ColumnRef(("fct_orders",), c), k),)
    >>> static = AssetLineage(key=("j",), column_deps={"ltv": dep("net_revenue", EdgeKind.AGGREGATION)})
    >>> runtime = AssetLineage(key=("j",), column_deps={"ltv": dep("order_total", EdgeKind.AGGREGATION)})
    >>> [d.message() for d in compare_lineage(static, runtime)]  # doctest: +NORMALIZE_WHITESPACE
    ["column 'ltv': static lineage fct_orders.net_revenue (aggregation),
      runtime lineage fct_orders.order_total (aggregation)"]
"""

from __future__ import annotations

from dataclasses import dataclass

from dagster_lineage.core.model import AssetLineage, ColumnDep, EdgeKind


@dataclass(frozen=True, order=True)
class LineageDifference:
    """One column whose runtime lineage differs from the static lineage.

    Attributes:
        column: the output column.
        what: ``only_at_runtime`` (the static analysis did not know the column),
            ``only_static`` (the job did not produce it) or ``sources`` (different upstream columns
            or edge kinds).
        static: the static edges, as ``asset.column (kind)``.
        runtime: the runtime edges, same format.

    Examples:
        >>> LineageDifference("x", "only_static", ("a.x (identity)",), ()).message()
        "column 'x': in the static lineage (a.x (identity)) but not produced at run time"
    """

    column: str
    what: str
    static: tuple[str, ...] = ()
    runtime: tuple[str, ...] = ()

    def message(self) -> str:
        """One line for humans."""
        s = ", ".join(self.static) or "no source column"
        r = ", ".join(self.runtime) or "no source column"
        if self.what == "only_at_runtime":
            return f"column '{self.column}': produced at run time ({r}) but unknown to the static lineage"
        if self.what == "only_static":
            return (
                f"column '{self.column}': in the static lineage ({s}) but not produced at run time"
            )
        return f"column '{self.column}': static lineage {s}, runtime lineage {r}"


def _edges(deps: tuple[ColumnDep, ...] | list[ColumnDep]) -> tuple[str, ...]:
    return tuple(sorted({f"{d.upstream.display()} ({d.kind.value})" for d in deps}, key=str.lower))


def _norm(deps: tuple[ColumnDep, ...]) -> set[tuple[tuple[str, ...], str, EdgeKind]]:
    return {(d.upstream.asset, d.upstream.column.lower(), d.kind) for d in deps}


def compare_lineage(static: AssetLineage, runtime: AssetLineage) -> tuple[LineageDifference, ...]:
    """Column-by-column differences between a static and a runtime lineage record.

    Args:
        static: the record built from the job's Python before it ran.
        runtime: the record built from Spark's analysed plan when it ran.

    Returns:
        The differences, sorted by column; empty when the static reading was right.
    """
    s_cols = {c.lower(): (c, deps) for c, deps in static.column_deps.items()}
    for c in static.column_names:
        s_cols.setdefault(c.lower(), (c, ()))
    r_cols = {c.lower(): (c, deps) for c, deps in runtime.column_deps.items()}
    for c in runtime.column_names:
        r_cols.setdefault(c.lower(), (c, ()))
    stars = set(static.star_upstreams)
    out: list[LineageDifference] = []
    for low in sorted(set(s_cols) | set(r_cols)):
        if low not in r_cols:
            name, deps = s_cols[low]
            out.append(LineageDifference(name, "only_static", _edges(deps)))
            continue
        r_name, r_deps = r_cols[low]
        if low not in s_cols:
            star_ok = bool(r_deps) and all(
                d.upstream.asset in stars
                and d.kind == EdgeKind.IDENTITY
                and d.upstream.column.lower() == low
                for d in r_deps
            )
            if not star_ok:
                out.append(LineageDifference(r_name, "only_at_runtime", (), _edges(r_deps)))
            continue
        name, s_deps = s_cols[low]
        if _norm(s_deps) != _norm(r_deps):
            out.append(LineageDifference(name, "sources", _edges(s_deps), _edges(r_deps)))
    return tuple(out)
