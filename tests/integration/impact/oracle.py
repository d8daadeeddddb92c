"""An engine oracle for the impact analysis: DuckDB says what a schema change really breaks.

For a dbt project (manifest with compiled SQL, catalog), every catalog relation becomes an empty
DuckDB table with its columns and types. A change (rename or drop of a column, rename or drop of a
table) is applied with a real ``ALTER TABLE`` / ``DROP TABLE``; then each downstream model's
compiled SQL is bound (``DESCRIBE``) in dependency order:

- a model that fails to bind **breaks**;
- a model that binds takes its new schema from DuckDB (a ``SELECT *`` passes the change on);
- a broken model is fixed the way an engineer fixes it, references rewritten with sqlglot (a
  renamed column or table gets its new name; a dropped column becomes ``NULL`` and a projection
  of it alone is removed), and takes the fixed model's schema, so its consumers are judged too.

Ephemeral models are bound as dbt runs them: inlined into each consumer's compiled SQL (they are
no assets of their own).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from dagster_lineage.impact.schema_changes import (
    ColumnDropped,
    ColumnRenamed,
    SchemaChange,
    TableDropped,
    TableRenamed,
)


@dataclass(frozen=True)
class Relation:
    """One dbt node with a relation: its name parts, columns (name, type) and compiled SQL."""

    unique_id: str
    parts: tuple[str, str, str]  # database, schema, identifier (as the engine names them)
    columns: tuple[tuple[str, str], ...]
    sql: str | None = None  # compiled SELECT for a model, None for a seed/source
    parents: tuple[str, ...] = ()
    ephemeral: bool = False


@dataclass
class Project:
    """The relations of a dbt project, in dependency order."""

    relations: dict[str, Relation] = field(default_factory=dict)

    @classmethod
    def from_artifacts(cls, manifest: Mapping[str, Any], catalog: Mapping[str, Any]) -> Project:
        nodes = {**manifest["nodes"], **manifest.get("sources", {})}
        cat = {**catalog.get("nodes", {}), **catalog.get("sources", {})}
        out: dict[str, Relation] = {}
        for uid, node in nodes.items():
            if node["resource_type"] not in ("model", "seed", "source", "snapshot"):
                continue
            ephemeral = node.get("config", {}).get("materialized") == "ephemeral"
            if ephemeral:
                cols: tuple[tuple[str, str], ...] = ()
            else:
                entry = cat.get(uid)
                if entry is None:
                    continue
                cols = tuple(
                    (c["name"], c["type"])
                    for c in sorted(entry["columns"].values(), key=lambda c: c["index"])
                )
            ident = node.get("alias") or node.get("identifier") or node["name"]
            sql = node.get("compiled_code") if node["resource_type"] == "model" else None
            parents = tuple(p for p in node.get("depends_on", {}).get("nodes", []) if p in nodes)
            out[uid] = Relation(
                uid,
                (node["database"], node["schema"], ident),
                cols,
                sql,
                parents,
                ephemeral,
            )
        order: list[str] = []
        seen: set[str] = set()

        def visit(uid: str) -> None:
            if uid in seen or uid not in out:
                return
            seen.add(uid)
            for p in out[uid].parents:
                visit(p)
            order.append(uid)

        for uid in sorted(out):
            visit(uid)
        return cls({uid: out[uid] for uid in order})

    def children(self) -> dict[str, list[str]]:
        kids: dict[str, list[str]] = {u: [] for u in self.relations}
        for r in self.relations.values():
            for p in r.parents:
                if p in kids:
                    kids[p].append(r.unique_id)
        return kids

    def downstream(self, uid: str) -> set[str]:
        kids, out, todo = self.children(), set(), [uid]
        while todo:
            for c in kids[todo.pop()]:
                if c not in out:
                    out.add(c)
                    todo.append(c)
        return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fqn(parts: Sequence[str]) -> str:
    return ".".join(_q(p) for p in parts)


class Engine:
    """An in-memory DuckDB holding every relation of a project as an empty table."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.con = duckdb.connect()
        dbs = {r.parts[0] for r in project.relations.values()}
        for db in sorted(dbs):
            self.con.execute(f"ATTACH ':memory:' AS {_q(db)}")
        for db, schema in sorted({r.parts[:2] for r in project.relations.values()}):
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(db)}.{_q(schema)}")
        self.names = {uid: r.parts for uid, r in project.relations.items()}
        self.present = set(project.relations)  # relations that (still) exist
        self.dropped: set[tuple[str, ...]] = set()  # (db, schema, table) lower-case
        for r in project.relations.values():
            if r.ephemeral:
                continue
            self.create(r.parts, r.columns)
        for r in project.relations.values():  # ephemeral models: from their SQL, in order
            if r.ephemeral and r.sql is not None:
                cols = self.describe(self.sql_of(r.unique_id, r.sql))
                self.create(r.parts, cols)

    def create(self, parts: Sequence[str], columns: Iterable[tuple[str, str]]) -> None:
        cols = ", ".join(f"{_q(c)} {t}" for c, t in columns)
        self.con.execute(f"CREATE OR REPLACE TABLE {_fqn(parts)} ({cols})")

    def describe(self, sql: str) -> tuple[tuple[str, str], ...]:
        rows = self.con.execute(f"DESCRIBE {sql}").fetchall()
        return tuple((str(r[0]), str(r[1])) for r in rows)

    def columns(self, parts: Sequence[str]) -> dict[str, str]:
        return dict(self.describe(f"SELECT * FROM {_fqn(parts)}"))

    def table_key(self, table: exp.Table) -> tuple[str, ...]:
        """(db, schema, table) of a table reference, lower-case, defaults filled in."""
        db = table.catalog or next(iter(self.names.values()))[0]
        schema = table.db or "main"
        return (db.lower(), schema.lower(), table.name.lower())

    def source_columns(self, src: Any) -> set[str] | None:
        """Lower-case columns of a scope's source (a table, CTE or subquery); ``None``: unknown."""
        if isinstance(src, exp.Table):
            key = self.table_key(src)
            for uid, parts in self.names.items():
                if uid in self.present and tuple(p.lower() for p in parts) == key:
                    return {c.lower() for c in self.columns(parts)}
            return set()
        if isinstance(src, Scope):
            expr = src.expression
            if not isinstance(expr, exp.Select) or any(
                isinstance(e, exp.Star)
                or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
                for e in expr.expressions
            ):
                return None
            return {n.lower() for n in expr.named_selects}
        return None

    def sql_of(self, uid: str, sql: str) -> str:
        """The SQL bound for a model: its compiled code as dbt runs it (an ephemeral model's SQL
        inlined as a ``__dbt__cte__<name>`` CTE, so a broken ephemeral model breaks, and is fixed
        in, every consumer)."""
        return sql


@dataclass(frozen=True)
class Verdict:
    change: SchemaChange
    uid: str
    breaking: frozenset[str]


def _apply(engine: Engine, uid: str, change: SchemaChange) -> None:
    parts = engine.names[uid]
    t = _fqn(parts)
    if isinstance(change, ColumnRenamed):
        engine.con.execute(
            f"ALTER TABLE {t} RENAME COLUMN {_q(change.column)} TO {_q(change.new_name)}"
        )
    elif isinstance(change, ColumnDropped):
        cols = engine.columns(parts)
        if len(cols) == 1:  # DuckDB cannot drop the last column: recreate without it
            engine.create(parts, [("__placeholder__", "INTEGER")])
        else:
            engine.con.execute(f"ALTER TABLE {t} DROP COLUMN {_q(change.column)}")
    elif isinstance(change, TableRenamed):
        engine.con.execute(f"ALTER TABLE {t} RENAME TO {_q(change.new_name)}")
        engine.names[uid] = (parts[0], parts[1], change.new_name)
    elif isinstance(change, TableDropped):
        engine.con.execute(f"DROP TABLE {t}")
    else:  # pragma: no cover
        raise TypeError(change)


def _fix(engine: Engine, sql: str, fates: Mapping[tuple[str, ...], dict[str, str | None]]) -> str:
    """Rewrite references the way an engineer would.

    ``fates``: per relation (db, schema, table; lower-case), column -> new name (``None``: gone).
    A reference the engine cannot resolve any more takes its column's fate: renamed, or ``NULL``
    (a projection of it alone is removed). Table renames are already in ``engine.names``.
    """
    tree = sqlglot.parse_one(sql, read="duckdb")
    for uid, now in engine.names.items():  # a renamed relation gets its new name
        old = engine.project.relations[uid].parts
        if old == now:
            continue
        for table in tree.find_all(exp.Table):
            if table.name.lower() == old[2].lower() and (
                not table.db or table.db.lower() == old[1].lower()
            ):
                table.set("this", exp.to_identifier(now[2], quoted=True))
    # a later UNION branch reading a dropped relation goes (the first branch names the output)
    for union in list(tree.find_all(exp.SetOperation)):
        right = union.right
        if any(engine.table_key(t) in engine.dropped for t in right.find_all(exp.Table)):
            left = union.left
            if union is tree:
                tree = left.pop()
            else:
                union.replace(left)
    every_fate: dict[str, str | None] = {}
    for fate in fates.values():
        every_fate.update({k.lower(): v for k, v in fate.items()})
    for _ in range(8):
        changed = False
        for scope in traverse_scope(tree):
            for col in list(scope.columns):
                if isinstance(col.this, exp.Star):
                    continue
                if col.table:
                    src = scope.sources.get(col.table)
                    candidates = [src] if src is not None else []
                else:
                    candidates = [src for _, src in scope.selected_sources.values()]
                if not candidates:
                    continue
                name = col.name.lower()
                found = [engine.source_columns(src) for src in candidates]
                if any(cols is None or name in cols for cols in found):
                    continue  # it resolves (or the source's columns are not known)
                fate = every_fate
                for src in candidates:
                    if isinstance(src, exp.Table):
                        own = fates.get(engine.table_key(src), {})
                        fate = {k.lower(): v for k, v in own.items()} or every_fate
                if name not in fate:
                    continue
                new = fate[name]
                changed = True
                if new is not None:
                    col.set("this", exp.to_identifier(new, quoted=True))
                    continue
                node: exp.Expression = col
                parent = col.parent
                if isinstance(parent, exp.Alias) and parent.alias.lower() == name:
                    node, parent = parent, parent.parent
                later_branch = (
                    isinstance(parent, exp.Select)
                    and isinstance(parent.parent, exp.SetOperation)
                    and parent.parent.left is not parent
                )
                if later_branch:  # keep the branch's arity: the names come from the first
                    node.replace(exp.Null())
                elif isinstance(parent, exp.Select) and isinstance(parent.parent, exp.SetOperation):
                    _drop_position(parent, node)  # the first branch: that column goes everywhere
                elif isinstance(parent, exp.Select) and any(e is node for e in parent.expressions):
                    kept = [e for e in parent.expressions if e is not node]
                    parent.set("expressions", kept or [exp.Null().as_("__placeholder__")])
                else:
                    node.replace(exp.Null())
        if not changed:
            break
    return tree.sql(dialect="duckdb")


def _drop_position(first: exp.Select, node: exp.Expression) -> None:
    """Remove the output column at ``node``'s position from every branch of the set operation."""
    index = next(i for i, e in enumerate(first.expressions) if e is node)
    top: exp.Expression = first
    while isinstance(top.parent, exp.SetOperation):
        top = top.parent
    for branch in top.find_all(exp.Select):
        if len(branch.expressions) > index and (
            branch is first or isinstance(branch.parent, exp.SetOperation)
        ):
            kept = [e for i, e in enumerate(branch.expressions) if i != index]
            branch.set("expressions", kept or [exp.Null().as_("__placeholder__")])


def _gone(engine: Engine, uid: str) -> None:
    """A broken model that cannot be fixed is not built: its relation disappears too."""
    engine.con.execute(f"DROP TABLE IF EXISTS {_fqn(engine.names[uid])}")
    engine.present.discard(uid)
    engine.dropped.add(tuple(p.lower() for p in engine.names[uid]))


def engine_verdict(project: Project, uid: str, change: SchemaChange) -> Verdict:
    """The models that really break when ``change`` is applied to relation ``uid``."""
    engine = Engine(project)
    _apply(engine, uid, change)
    parts = project.relations[uid].parts
    fates: dict[tuple[str, ...], dict[str, str | None]] = {}
    key = tuple(p.lower() for p in parts)
    if isinstance(change, ColumnRenamed):
        fates[key] = {change.column: change.new_name}
    elif isinstance(change, ColumnDropped):
        fates[key] = {change.column: None}
    elif isinstance(change, TableDropped):
        engine.present.discard(uid)
        engine.dropped.add(key)
    breaking: set[str] = set()
    below = project.downstream(uid)
    for child in project.relations:
        if child not in below:
            continue
        rel = project.relations[child]
        if rel.sql is None:
            continue
        sql = engine.sql_of(child, rel.sql)
        before = engine.columns(engine.names[child])
        try:
            after = engine.describe(sql)
        except duckdb.Error:
            breaking.add(child)
            try:
                after = engine.describe(_fix(engine, sql, fates))
            except (duckdb.Error, sqlglot.errors.SqlglotError):
                after = ()
            if not after:
                _gone(engine, child)
                continue
        engine.create(engine.names[child], after)
        old = {c.lower(): c for c in before}
        new = {c.lower() for c, _ in after}
        gone = {old[c]: None for c in old if c not in new}
        if gone:
            fates[tuple(p.lower() for p in engine.names[child])] = dict(gone)
    return Verdict(change, uid, frozenset(breaking))


def random_changes(
    project: Project, n: int, seed: int, *, only: set[str] | None = None
) -> list[tuple[str, SchemaChange]]:
    """``n`` changes (seeded) to relations that have consumers: column renames and drops most
    often, some table renames and drops."""
    rng = random.Random(seed)
    kids = project.children()
    candidates = [
        u
        for u, r in project.relations.items()
        if kids[u] and not r.ephemeral and r.columns and (only is None or u in only)
    ]
    out: list[tuple[str, SchemaChange]] = []
    for _ in range(n):
        uid = rng.choice(candidates)
        cols = [c for c, _ in project.relations[uid].columns]
        roll = rng.random()
        col = rng.choice(cols)
        change: SchemaChange
        if roll < 0.45:
            change = ColumnRenamed(col, f"{col}_renamed")
        elif roll < 0.9:
            change = ColumnDropped(col)
        elif roll < 0.95:
            change = TableRenamed(project.relations[uid].parts[2] + "_v2")
        else:
            change = TableDropped()
        out.append((uid, change))
    return out
