"""Generate a synthetic dbt-duckdb project for the benchmarks.

The project has a ``raw`` source layer, then staging, intermediate and mart models. Models join 1-3
parents with explicit column lists, use CTEs, aggregations and window functions, and a few use
``SELECT *``. Every model and source has 10-60 columns, declared with types in YAML. The output is
a pure function of ``(models, seed)``.

With ``--real-shapes`` (``write_project(..., real_shapes=True)``) it also writes the shapes of large
real projects that column lineage must survive: ephemeral models (about 6% of the intermediate
layer), staging models reading their source by name through a macro (no ``source()``), incremental
marts reading ``{{ this }}``, window-heavy marts (ranking functions with no direct source) and a
local package (a macro and a model). Without it the output is unchanged, so benchmark figures stay
comparable.

Usage::

    .venv/bin/python benchmarks/generate.py --models 2000 --seed 7 --out benchmarks/out/bench_2000
    .venv/bin/python benchmarks/generate.py --models 50 --out /tmp/b50 --parse   # also run dbt parse
    .venv/bin/python benchmarks/generate.py --models 2000 --real-shapes --out /tmp/real --compile
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROJECT_NAME = "bench"
DATABASE = "bench"  # DuckDB database name = file stem of bench.duckdb

NUMERIC_WORDS = [
    "amount", "price", "quantity", "score", "rate", "balance", "discount", "tax", "fee", "weight",
    "cost", "margin", "revenue", "units", "duration", "distance", "volume", "ratio", "points",
    "spend", "income", "credit", "debit", "latency", "clicks", "views", "visits", "orders_cnt",
]  # fmt: skip
TEXT_WORDS = [
    "status", "category", "region", "code", "name", "email", "channel", "country", "city",
    "segment", "tier", "source_system", "currency", "device", "campaign", "plan", "brand",
    "label", "sku", "vendor", "team", "language",
]  # fmt: skip
TIME_WORDS = ["created_at", "updated_at", "ordered_at", "shipped_at", "event_date", "signup_date"]
BOOL_WORDS = ["is_active", "is_deleted", "is_test", "is_paid", "is_promo"]
NUM_TYPES = ["integer", "bigint", "double", "decimal(18,2)"]


@dataclass
class Col:
    """An output column of a generated node: name, SQL type and kind (num/text/time/bool/id)."""

    name: str
    type: str
    kind: str


@dataclass
class Node:
    """A generated source table or model."""

    name: str
    layer: str  # source | staging | intermediate | mart
    cols: list[Col]
    sql: str = ""
    parents: list[str] = field(default_factory=list)
    style: str = ""


def _source_columns(rng: random.Random) -> list[Col]:
    n = rng.randint(10, 60)
    cols = [Col("id", "integer", "id")]
    n_num = max(3, int(n * 0.45))
    n_text = max(2, int(n * 0.3))
    n_time = max(1, int(n * 0.12))
    n_bool = max(1, n - 1 - n_num - n_text - n_time)
    used: set[str] = {"id"}

    def pick(words: list[str], count: int, kind: str) -> None:
        for _ in range(count):
            base = rng.choice(words)
            name = base
            i = 2
            while name in used:
                name = f"{base}_{i}"
                i += 1
            used.add(name)
            if kind == "num":
                typ = rng.choice(NUM_TYPES)
            elif kind == "text":
                typ = "varchar"
            elif kind == "time":
                typ = "date" if name.startswith(("event_date", "signup_date")) else "timestamp"
            else:
                typ = "boolean"
            cols.append(Col(name, typ, kind))

    pick(NUMERIC_WORDS, n_num, "num")
    pick(TEXT_WORDS, n_text, "text")
    pick(TIME_WORDS, n_time, "time")
    pick(BOOL_WORDS, n_bool, "bool")
    return cols[:60]


class _Names:
    """Unique output column names within one model."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, name: str, prefix: str) -> str:
        if name not in self.used:
            self.used.add(name)
            return name
        cand = f"{prefix}_{name}"
        i = 2
        while cand in self.used:
            cand = f"{prefix}{i}_{name}"
            i += 1
        self.used.add(cand)
        return cand


def _of_kind(cols: list[Col], kind: str) -> list[Col]:
    return [c for c in cols if c.kind == kind]


def _staging(rng: random.Random, name: str, src: Node) -> Node:
    ref = f"{{{{ source('raw', '{src.name}') }}}}"
    roll = rng.random()
    if roll < 0.08:
        return Node(name, "staging", list(src.cols), f"select * from {ref}\n", [src.name], "star")
    keep = [c for c in src.cols if c.kind == "id" or rng.random() < 0.85]
    while len(keep) < 10:
        extra = [c for c in src.cols if c not in keep]
        keep.append(extra[0])
    exprs: list[str] = []
    out: list[Col] = []
    names = _Names()
    for c in keep:
        r = rng.random()
        if c.kind == "id" or r < 0.5:
            exprs.append(c.name)
            out.append(Col(names.take(c.name, "s"), c.type, c.kind))
        elif r < 0.62:
            new = names.take(f"{c.name}_value" if c.kind == "num" else f"src_{c.name}", "s")
            exprs.append(f"{c.name} as {new}")
            out.append(Col(new, c.type, c.kind))
        elif r < 0.8 and c.kind == "num":
            new = names.take(c.name, "s")
            exprs.append(f"cast({c.name} as double) as {new}")
            out.append(Col(new, "double", "num"))
        elif c.kind == "text":
            new = names.take(c.name, "s")
            exprs.append(f"lower(trim({c.name})) as {new}")
            out.append(Col(new, "varchar", "text"))
        elif c.kind == "time":
            new = names.take(c.name, "s")
            exprs.append(f"cast({c.name} as timestamp) as {new}")
            out.append(Col(new, "timestamp", "time"))
        elif c.kind == "num":
            new = names.take(c.name, "s")
            exprs.append(f"coalesce({c.name}, 0) as {new}")
            out.append(Col(new, c.type, "num"))
        else:
            new = names.take(c.name, "s")
            exprs.append(f"coalesce({c.name}, false) as {new}")
            out.append(Col(new, "boolean", "bool"))
    filt_col = rng.choice([c for c in keep if c.kind != "id"])
    select = ",\n        ".join(exprs)
    if roll < 0.55:
        sql = (
            f"with source as (\n    select * from {ref}\n),\n\nrenamed as (\n"
            f"    select\n        {select}\n    from source\n"
            f"    where {filt_col.name} is not null\n)\n\nselect * from renamed\n"
        )
        style = "cte"
    else:
        sql = f"select\n    {select.replace(chr(10) + '        ', chr(10) + '    ')}\nfrom {ref}\nwhere {filt_col.name} is not null\n"
        style = "explicit"
    return Node(name, "staging", out, sql, [src.name], style)


def _ensure_width(
    rng: random.Random, exprs: list[str], out: list[Col], names: _Names, base: list[tuple[str, Col]]
) -> None:
    """Pad to >= 10 columns with derived expressions and truncate to <= 60."""
    i = 0
    while len(out) < 10:
        alias, c = base[i % len(base)]
        new = names.take(f"{c.name}_d{i}", "x")
        if c.kind == "num":
            exprs.append(f"{alias}.{c.name} * {i + 2} as {new}")
            out.append(Col(new, "double", "num"))
        else:
            exprs.append(f"cast({alias}.{c.name} as varchar) as {new}")
            out.append(Col(new, "varchar", "text"))
        i += 1
    del exprs[60:]
    del out[60:]


def _join_model(rng: random.Random, name: str, layer: str, parents: list[Node]) -> Node:
    aliases = [f"p{i + 1}" for i in range(len(parents))]
    ctes: list[str] = []
    avail: list[tuple[str, Col]] = []
    for alias, p in zip(aliases, parents):
        take = [c for c in p.cols if c.kind == "id" or rng.random() < 0.6]
        if len(take) < 4:
            take = p.cols[:4]
        take = take[: 25 if len(parents) > 1 else 45]
        filt = ""
        cand = [c for c in take if c.kind in ("num", "time")]
        if cand and rng.random() < 0.5:
            filt = f"\n    where {rng.choice(cand).name} is not null"
        cols_sql = ", ".join(c.name for c in take)
        ctes.append(
            f"{alias} as (\n    select {cols_sql}\n    from {{{{ ref('{p.name}') }}}}{filt}\n)"
        )
        avail.extend((alias, c) for c in take)
    names = _Names()
    exprs: list[str] = []
    out: list[Col] = []
    for alias, c in avail:
        if c.kind == "id" and alias != "p1":
            continue
        if c.kind == "id" or rng.random() < 0.75:
            new = names.take(c.name, alias)
            exprs.append(f"{alias}.{c.name}" if new == c.name else f"{alias}.{c.name} as {new}")
            out.append(Col(new, c.type, c.kind))
    nums = [(a, c) for a, c in avail if c.kind == "num"]
    texts = [(a, c) for a, c in avail if c.kind == "text"]
    for k in range(rng.randint(1, 4)):
        if len(nums) >= 2 and rng.random() < 0.6:
            (a1, c1), (a2, c2) = rng.sample(nums, 2)
            op = rng.choice(["+", "-", "*"])
            new = names.take(f"{c1.name}_{c2.name}_{k}", "x")
            exprs.append(f"coalesce({a1}.{c1.name}, 0) {op} coalesce({a2}.{c2.name}, 0) as {new}")
            out.append(Col(new, "double", "num"))
        elif nums and texts:
            (a1, c1), (a2, c2) = rng.choice(nums), rng.choice(texts)
            new = names.take(f"{c1.name}_by_{c2.name}_{k}", "x")
            exprs.append(
                f"case when {a2}.{c2.name} is null then 0 else {a1}.{c1.name} end as {new}"
            )
            out.append(Col(new, "double", "num"))
    _ensure_width(rng, exprs, out, names, avail)
    joins = "".join(
        f"\n{rng.choice(['left join', 'inner join', 'left join'])} {a} on p1.id = {a}.id"
        for a in aliases[1:]
    )
    sql = (
        "with "
        + ",\n\n".join(ctes)
        + "\n\nselect\n    "
        + ",\n    ".join(exprs)
        + f"\nfrom p1{joins}\n"
    )
    return Node(name, layer, out, sql, [p.name for p in parents], f"join{len(parents)}")


def _agg_model(rng: random.Random, name: str, layer: str, parent: Node) -> Node:
    ref = f"{{{{ ref('{parent.name}') }}}}"
    texts = _of_kind(parent.cols, "text")
    nums = _of_kind(parent.cols, "num")
    times = _of_kind(parent.cols, "time")
    group = [Col("id", "integer", "id")] + texts[: rng.randint(0, min(2, len(texts)))]
    names = _Names()
    exprs = [c.name for c in group]
    out = [Col(names.take(c.name, "g"), c.type, c.kind) for c in group]
    exprs.append("count(*) as n_rows")
    out.append(Col(names.take("n_rows", "g"), "bigint", "num"))
    for c in nums[: rng.randint(4, 30)]:
        fn = rng.choice(["sum", "avg", "max", "min", "sum"])
        new = names.take(f"{fn}_{c.name}", "g")
        exprs.append(f"{fn}({c.name}) as {new}")
        out.append(Col(new, "double", "num"))
    for c in times[:2]:
        new = names.take(f"last_{c.name}", "g")
        exprs.append(f"max({c.name}) as {new}")
        out.append(Col(new, c.type, "time"))
    for c in texts[len(group) - 1 : len(group) + 2]:
        new = names.take(f"n_distinct_{c.name}", "g")
        exprs.append(f"count(distinct {c.name}) as {new}")
        out.append(Col(new, "bigint", "num"))
    _ensure_width(rng, exprs, out, names, [("agg_src", c) for c in nums or parent.cols])
    # padding expressions reference the CTE alias
    having = "\nhaving count(*) > 0" if rng.random() < 0.3 else ""
    group_by = ", ".join(str(i + 1) for i in range(len(group)))
    sql = (
        f"with agg_src as (\n    select * from {ref}\n)\n\nselect\n    "
        + ",\n    ".join(exprs)
        + f"\nfrom agg_src\ngroup by {group_by}{having}\n"
    )
    # padding columns are not aggregated: wrap them so the query stays valid
    sql = sql.replace("agg_src.", "any_value(agg_src.") if "agg_src." in sql else sql
    sql = _close_any_value(sql)
    return Node(name, layer, out, sql, [parent.name], "agg")


def _close_any_value(sql: str) -> str:
    """Close ``any_value(agg_src.col`` calls opened by padding (``... * k as x`` / ``cast(...)``)."""
    lines = []
    for line in sql.split("\n"):
        if "any_value(agg_src." in line:
            head, _, rest = line.partition("any_value(agg_src.")
            col, sep, tail = rest.partition(" ")
            line = f"{head}any_value(agg_src.{col}){sep}{tail}"
        lines.append(line)
    return "\n".join(lines)


def _window_model(rng: random.Random, name: str, layer: str, parent: Node) -> Node:
    ref = f"{{{{ ref('{parent.name}') }}}}"
    nums = _of_kind(parent.cols, "num")
    texts = _of_kind(parent.cols, "text")
    times = _of_kind(parent.cols, "time")
    part = texts[0].name if texts else "id"
    order = times[0].name if times else "id"
    star = rng.random() < 0.25 and len(parent.cols) <= 55
    names = _Names()
    if star:
        exprs = ["*"]
        out = list(parent.cols)
        for c in parent.cols:
            names.take(c.name, "w")
    else:
        keep = [c for c in parent.cols if c.kind == "id" or rng.random() < 0.7][:50]
        exprs = [c.name for c in keep]
        out = [Col(names.take(c.name, "w"), c.type, c.kind) for c in keep]
    new = names.take("row_num", "w")
    exprs.append(f"row_number() over (partition by {part} order by {order}, id) as {new}")
    out.append(Col(new, "bigint", "num"))
    for c in nums[: rng.randint(1, 3)]:
        fn = rng.choice(["sum", "avg", "lag", "max"])
        new = names.take(f"{fn}_{c.name}_w", "w")
        if fn == "lag":
            exprs.append(f"lag({c.name}) over (partition by {part} order by {order}, id) as {new}")
        else:
            exprs.append(
                f"{fn}({c.name}) over (partition by {part} order by {order}, id"
                " rows between unbounded preceding and current row) as "
                f"{new}"
            )
        out.append(Col(new, "double", "num"))
    if not star:
        _ensure_width(rng, exprs, out, names, [("w_src", c) for c in parent.cols])
    sql = "select\n    " + ",\n    ".join(exprs) + f"\nfrom {ref} as w_src\n"
    if rng.random() < 0.3:
        sql += "where w_src.id is not null\n"
    return Node(
        name,
        layer,
        out[:60] if not star else out,
        sql,
        [parent.name],
        "window_star" if star else "window",
    )


def _star_model(rng: random.Random, name: str, layer: str, parents: list[Node]) -> Node:
    p1 = parents[0]
    ref1 = f"{{{{ ref('{p1.name}') }}}}"
    if len(parents) == 1 or len(p1.cols) > 50:
        names = _Names()
        out = list(p1.cols)
        for c in out:
            names.take(c.name, "s")
        nums = _of_kind(p1.cols, "num")
        exprs = ["t.*"]
        if nums and len(out) < 60:
            new = names.take(f"{nums[0].name}_x2", "s")
            exprs.append(f"t.{nums[0].name} * 2 as {new}")
            out.append(Col(new, "double", "num"))
        sql = "select\n    " + ",\n    ".join(exprs) + f"\nfrom {ref1} as t\nwhere t.id > 0\n"
        return Node(name, layer, out, sql, [p1.name], "star")
    p2 = parents[1]
    names = _Names()
    out = list(p1.cols)
    for c in out:
        names.take(c.name, "a")
    extra = [c for c in p2.cols if c.kind != "id"][: max(0, 60 - len(out))][:8]
    exprs = ["a.*"]
    for c in extra:
        new = names.take(c.name, "b")
        exprs.append(f"b.{c.name}" if new == c.name else f"b.{c.name} as {new}")
        out.append(Col(new, c.type, c.kind))
    ref2 = f"{{{{ ref('{p2.name}') }}}}"
    sql = (
        "select\n    "
        + ",\n    ".join(exprs)
        + f"\nfrom {ref1} as a\nleft join {ref2} as b on a.id = b.id\n"
    )
    return Node(name, layer, out, sql, [p1.name, p2.name], "star_join")


def _pick_parents(rng: random.Random, pool: list[Node], k: int) -> list[Node]:
    chosen: list[Node] = []
    while len(chosen) < min(k, len(pool)):
        if rng.random() < 0.6:
            cand = pool[-min(len(pool), 40) :]
        else:
            cand = pool
        p = rng.choice(cand)
        if p not in chosen:
            chosen.append(p)
    return chosen


def build_nodes(models: int, seed: int) -> tuple[list[Node], list[Node]]:
    """Return ``(sources, models)`` for a project of ``models`` models, deterministic in ``seed``."""
    rng = random.Random(seed)
    n_src = max(3, round(models * 0.08))
    n_stg = n_src
    rest = models - n_stg
    n_int = round(rest * 0.65)
    n_mart = rest - n_int
    sources = [Node(f"src_{i:04d}", "source", _source_columns(rng)) for i in range(n_src)]
    out: list[Node] = []
    staging = [_staging(rng, f"stg_{s.name[4:]}", s) for s in sources]
    out.extend(staging)
    inter: list[Node] = []
    for i in range(n_int):
        pool = staging + inter
        node = _model(rng, f"int_{i:04d}", "intermediate", pool)
        inter.append(node)
    out.extend(inter)
    for i in range(n_mart):
        pool = inter + staging[: max(1, len(staging) // 4)]
        node = _model(rng, f"mart_{i:04d}", "mart", pool)
        out.append(node)
    return sources, out


def _model(rng: random.Random, name: str, layer: str, pool: list[Node]) -> Node:
    r = rng.random()
    if r < 0.04:
        return _star_model(rng, name, layer, _pick_parents(rng, pool, rng.randint(1, 2)))
    if r < 0.24:
        return _agg_model(rng, name, layer, _pick_parents(rng, pool, 1)[0])
    if r < 0.40:
        return _window_model(rng, name, layer, _pick_parents(rng, pool, 1)[0])
    k = rng.choice([1, 2, 2, 3, 3])
    return _join_model(rng, name, layer, _pick_parents(rng, pool, k))


def _columns_yaml(cols: list[Col]) -> list[dict[str, str]]:
    return [{"name": c.name, "data_type": c.type} for c in cols]


PACKAGE = "bench_utils"


def add_real_shapes(sources: list[Node], nodes: list[Node], seed: int) -> None:
    """Turn some generated models into the shapes of large real projects (see the docstring).

    Deterministic in ``seed``; output columns are unchanged except for the window-heavy marts,
    which gain ranking columns first in their select list.
    """
    rng = random.Random(seed * 7919 + 1)
    for n in nodes:
        if n.layer == "staging" and "source('raw'" in n.sql and rng.random() < 0.10:
            src = n.parents[0]
            n.sql = n.sql.replace(
                f"{{{{ source('raw', '{src}') }}}}", f"{{{{ raw_relation('{src}') }}}}"
            )
            n.style = "by_name"
        elif n.layer == "intermediate" and rng.random() < 0.06:
            n.sql = "{{ config(materialized='ephemeral') }}\n" + n.sql
            n.style = "ephemeral"
        elif n.layer == "mart" and rng.random() < 0.08:
            n.sql = (
                "{{ config(materialized='incremental') }}\n"
                f"select * from (\n{n.sql}) as inc_src\n"
                # compiled with the incremental branch even before the first run (bench only)
                "{% if is_incremental() or var('bench_incremental_branch', true) %}\n"
                "where inc_src.id > (select max(id) from {{ this }})\n{% endif %}\n"
            )
            n.style = "incremental"
        elif n.layer == "mart" and n.style == "window" and n.sql.startswith("select\n    "):
            part = next((c.name for c in n.cols if c.kind == "text"), "id")
            ranks = [
                (f"w_rank_{part}", f"rank() over (partition by {part} order by id)"),
                ("w_dense_rank_id", "dense_rank() over (order by id desc)"),
                ("w_ntile_id", "ntile(4) over (order by id)"),
            ]
            ranks = [(a, e) for a, e in ranks if a not in {c.name for c in n.cols}]
            head = "".join(f"{e} as {a},\n    " for a, e in ranks)
            n.sql = "select\n    " + head + n.sql[len("select\n    ") :]
            n.cols = [Col(a, "bigint", "num") for a, _ in ranks] + n.cols
            n.style = "window_heavy"
    del sources


def _write_real_shapes_support(out: Path, sources: list[Node]) -> None:
    """The macro building raw relations by name and the local package."""
    (out / "macros").mkdir(exist_ok=True)
    (out / "macros" / "raw_relation.sql").write_text(
        "{% macro raw_relation(name) -%}\n  {{ target.database }}.raw.{{ name }}\n{%- endmacro %}\n"
    )
    pkg = out / "packages" / PACKAGE
    (pkg / "models").mkdir(parents=True)
    (pkg / "macros").mkdir()
    (pkg / "dbt_project.yml").write_text(
        yaml.safe_dump(
            {
                "name": PACKAGE,
                "version": "1.0.0",
                "config-version": 2,
                "models": {PACKAGE: {"+materialized": "view"}},
            },
            sort_keys=False,
        )  # fmt: skip
    )
    (pkg / "macros" / "counts.sql").write_text(
        "{% macro count_by(column) -%}\n  count(*) as n_{{ column }}\n{%- endmacro %}\n"
    )
    src = sources[0]
    (pkg / "models" / f"pkg_{src.name}_ids.sql").write_text(
        f"select id, {{{{ {PACKAGE}.count_by('id') }}}}\n"
        f"from {{{{ source('raw', '{src.name}') }}}}\ngroup by id\n"
    )
    (out / "packages.yml").write_text(
        yaml.safe_dump({"packages": [{"local": f"packages/{PACKAGE}"}]}, sort_keys=False)
    )


def write_project(
    out: Path, models: int = 2000, seed: int = 7, *, real_shapes: bool = False
) -> dict[str, object]:
    """Write the dbt project into ``out`` (replacing it) and return a summary dict."""
    sources, nodes = build_nodes(models, seed)
    if real_shapes:
        add_real_shapes(sources, nodes, seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "models").mkdir(parents=True)
    if real_shapes:
        _write_real_shapes_support(out, sources)
    (out / "dbt_project.yml").write_text(
        yaml.safe_dump(
            {
                "name": PROJECT_NAME,
                "version": "1.0.0",
                "config-version": 2,
                "profile": PROJECT_NAME,
                "model-paths": ["models"],
                "target-path": "target",
                "models": {PROJECT_NAME: {"+materialized": "view"}},
            },
            sort_keys=False,
        )
    )
    (out / "profiles.yml").write_text(
        yaml.safe_dump(
            {
                PROJECT_NAME: {
                    "target": "dev",
                    "outputs": {
                        "dev": {
                            "type": "duckdb",
                            "path": str((out / f"{DATABASE}.duckdb").resolve()),
                            "threads": 2,
                        }
                    },
                }
            }
        )
    )
    (out / "models" / "sources.yml").write_text(
        yaml.safe_dump(
            {
                "version": 2,
                "sources": [
                    {
                        "name": "raw",
                        "schema": "raw",
                        "tables": [
                            {"name": s.name, "columns": _columns_yaml(s.cols)} for s in sources
                        ],
                    }
                ],
            },
            sort_keys=False,
        )
    )
    for layer in ("staging", "intermediate", "mart"):
        layer_nodes = [n for n in nodes if n.layer == layer]
        folder = out / "models" / layer
        folder.mkdir()
        for n in layer_nodes:
            (folder / f"{n.name}.sql").write_text(n.sql)
        (folder / "_schema.yml").write_text(
            yaml.safe_dump(
                {
                    "version": 2,
                    "models": [
                        {"name": n.name, "columns": _columns_yaml(n.cols)} for n in layer_nodes
                    ],
                },
                sort_keys=False,
            )
        )
    ddl = ["create schema if not exists raw;"]
    for s in sources:
        cols = ", ".join(f"{c.name} {c.type}" for c in s.cols)
        ddl.append(f"create or replace table raw.{s.name} ({cols});")
    (out / "create_sources.sql").write_text("\n".join(ddl) + "\n")
    styles: dict[str, int] = {}
    for n in nodes:
        styles[n.style] = styles.get(n.style, 0) + 1
    summary = {
        "models": len(nodes),
        "sources": len(sources),
        "seed": seed,
        "real_shapes": real_shapes,
        "layers": {
            layer: sum(1 for n in nodes if n.layer == layer)
            for layer in ("staging", "intermediate", "mart")
        },
        "styles": dict(sorted(styles.items())),
        "columns": sum(len(n.cols) for n in nodes),
        "max_columns": max(len(n.cols) for n in nodes + sources),
        "min_columns": min(len(n.cols) for n in nodes + sources),
    }
    (out / "generated.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def create_sources(out: Path) -> None:
    """Create the (empty) source tables in the project's DuckDB file."""
    import duckdb

    con = duckdb.connect(str(out / f"{DATABASE}.duckdb"))
    try:
        con.execute((out / "create_sources.sql").read_text())
    finally:
        con.close()


def dbt(out: Path, *args: str) -> float:
    """Run ``dbt <args>`` in the project with the current interpreter's dbt; return seconds."""
    dbt_bin = Path(sys.executable).parent / "dbt"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(dbt_bin), *args, "--project-dir", str(out), "--profiles-dir", str(out), "--quiet"],
        cwd=out,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"dbt {' '.join(args)} failed in {out}:\n{proc.stdout}\n{proc.stderr}")
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--parse", action="store_true", help="run dbt parse and time it")
    parser.add_argument("--compile", action="store_true", help="run dbt compile and time it")
    parser.add_argument(
        "--real-shapes",
        action="store_true",
        help="ephemeral, by-name, incremental and window-heavy models and a local package",
    )
    args = parser.parse_args(argv)
    out = args.out or Path(__file__).parent / "out" / f"bench_{args.models}"
    summary = write_project(out, args.models, args.seed, real_shapes=args.real_shapes)
    print(json.dumps(summary, indent=2))
    if args.parse or args.compile:
        create_sources(out)
        if args.real_shapes:
            print(f"dbt deps: {dbt(out, 'deps'):.1f}s")
    if args.parse:
        print(f"dbt parse: {dbt(out, 'parse'):.1f}s")
    if args.compile:
        print(f"dbt compile: {dbt(out, 'compile'):.1f}s")


if __name__ == "__main__":
    main()
