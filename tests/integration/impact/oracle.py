"""An engine oracle for the impact analysis: DuckDB says what a schema change really breaks.

For a dbt project (manifest with compiled SQL, catalog), every catalog relation becomes an empty
DuckDB table with its columns and types (created when first needed). A change (rename or drop of
a column, rename or drop of a table) is applied with a real ``ALTER TABLE`` / ``DROP TABLE``; then
each downstream model's compiled SQL is bound (``DESCRIBE``) in dependency order:

- a model that fails to bind **breaks**;
- a model that binds takes its new schema from DuckDB (a ``SELECT *`` passes the change on);
- a broken model is fixed the way an engineer fixes it, references rewritten with sqlglot (a
  renamed column or table gets its new name; a dropped column becomes ``NULL`` and a projection
  of it alone is removed, a positional ``GROUP BY`` renumbered; a join of a dropped relation
  loses that relation's columns), and takes the fixed model's schema, so its consumers are
  judged too;
- a model none of whose relations changed schema binds as before and is not bound again.

A model's parents are its ``ref``/``source`` nodes plus every relation its compiled SQL reads by
name (a macro building the name): the engine binds names, not refs. Ephemeral models are bound
as dbt runs them: inlined into each consumer's compiled SQL (they are no assets of their own).
``engine_catalog`` makes the catalog a build would leave, with DuckDB binding each model, for
projects too large to build with dbt in a test.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
    _ephemeral: dict[str, tuple[tuple[str, str], ...]] | None = field(default=None, repr=False)

    def ephemeral_columns(self) -> dict[str, tuple[tuple[str, str], ...]]:
        """Each ephemeral model's columns, as DuckDB binds its SQL over the unchanged project."""
        if self._ephemeral is None:
            engine = Engine(self)
            self._ephemeral = {
                uid: tuple(engine.columns(r.parts).items())
                for uid, r in self.relations.items()
                if r.ephemeral and r.sql is not None
            }
            engine.con.close()
        return self._ephemeral

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
        _add_parents_read_by_name(out)
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


def _tables_read(sql: str, default_db: str) -> set[tuple[str, str, str]]:
    """(db, schema, table) of the relations a statement reads, lower-case (CTE names excluded)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    out = set()
    for t in tree.find_all(exp.Table):
        if not t.name or (not t.db and t.name.lower() in ctes):
            continue
        out.add(((t.catalog or default_db).lower(), (t.db or "main").lower(), t.name.lower()))
    return out


def _add_parents_read_by_name(relations: dict[str, Relation]) -> None:
    """A model that reads a relation by name (a macro building it, no ``ref``/``source``) depends
    on it as much as on a ref: the engine binds the name. Its parents gain that relation (never
    itself: an incremental model reading ``{{ this }}`` is no consumer of its own change)."""
    by_parts = {tuple(p.lower() for p in r.parts): uid for uid, r in relations.items()}
    for uid, r in list(relations.items()):
        if r.sql is None:
            continue
        read = {by_parts.get(key) for key in _tables_read(r.sql, r.parts[0])}
        extra = sorted(u for u in read if u is not None and u != uid and u not in r.parents)
        if extra:
            relations[uid] = replace(r, parents=r.parents + tuple(extra))


def engine_catalog(manifest: Mapping[str, Any], ddl: str) -> dict[str, Any]:
    """The catalog.json that ``dbt docs generate`` writes after a build, with DuckDB as the builder.

    ``ddl`` creates the sources (in the manifest's database); then each model's compiled SQL is
    bound (``DESCRIBE``) in dependency order and its relation created, empty, with the columns
    and types the engine gives it. An incremental model reading ``{{ this }}`` is first created
    with its YAML columns, as a previous run would have left it. Ephemeral models have no relation
    and no catalog entry (dbt inlines them), as in dbt's catalog.
    """
    nodes = {**manifest["nodes"], **manifest.get("sources", {})}
    con = duckdb.connect()
    dbs = sorted({n["database"] for n in nodes.values() if n.get("database")})
    for db in dbs:
        con.execute(f"ATTACH ':memory:' AS {_q(db)}")
    for db, schema in sorted({(n["database"], n["schema"]) for n in nodes.values()}):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(db)}.{_q(schema)}")
    con.execute(f"USE {_q(dbs[0])}")
    con.execute(ddl)
    models = {
        uid: Relation(
            uid,
            (n["database"], n["schema"], n.get("alias") or n["name"]),
            tuple((c["name"], c.get("data_type") or "INTEGER") for c in n["columns"].values()),
            n["compiled_code"],
            tuple(n["depends_on"]["nodes"]),
            n["config"].get("materialized") == "ephemeral",
        )
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model"
    }
    sources = {
        uid: Relation(uid, (n["database"], n["schema"], n.get("identifier") or n["name"]), ())
        for uid, n in manifest.get("sources", {}).items()
    }
    relations = {**sources, **models}
    _add_parents_read_by_name(relations)
    catalog: dict[str, Any] = {"nodes": {}, "sources": {}}

    def entry(parts: Sequence[str]) -> dict[str, Any]:
        rows = con.execute(f"DESCRIBE SELECT * FROM {_fqn(parts)}").fetchall()
        columns = {
            str(r[0]): {"name": str(r[0]), "type": str(r[1]), "index": i + 1}
            for i, r in enumerate(rows)
        }
        return {"metadata": {"type": "BASE TABLE"}, "columns": columns}

    for uid, r in sources.items():
        catalog["sources"][uid] = entry(r.parts)
    done: set[str] = set(sources)

    def build(uid: str) -> None:
        if uid in done or uid not in models:
            return
        done.add(uid)
        r = models[uid]
        for p in r.parents:
            build(p)
        if r.ephemeral:
            return
        own = tuple(x.lower() for x in r.parts)
        if r.columns and own in _tables_read(r.sql, r.parts[0]):  # reads itself ({{ this }}):
            con.execute(  # a previous run's table, with the YAML's columns
                f"CREATE TABLE IF NOT EXISTS {_fqn(r.parts)} "
                f"({', '.join(f'{_q(c)} {t}' for c, t in r.columns)})"
            )
        cols = con.execute(f"DESCRIBE {r.sql}").fetchall()
        con.execute(
            f"CREATE OR REPLACE TABLE {_fqn(r.parts)} "
            f"({', '.join(f'{_q(str(c[0]))} {c[1]}' for c in cols)})"
        )
        catalog["nodes"][uid] = entry(r.parts)

    for uid in sorted(models):
        build(uid)
    con.close()
    return catalog


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _fqn(parts: Sequence[str]) -> str:
    return ".".join(_q(p) for p in parts)


class Engine:
    """An in-memory DuckDB holding the relations of a project as empty tables.

    ``lazy``: create a relation only when it is first needed (:meth:`ensure`), not all at once.
    """

    def __init__(self, project: Project, *, lazy: bool = False) -> None:
        self.project = project
        self.con = duckdb.connect()
        dbs = {r.parts[0] for r in project.relations.values()}
        for db in sorted(dbs):
            self.con.execute(f"ATTACH ':memory:' AS {_q(db)}")
        for db, schema in sorted({r.parts[:2] for r in project.relations.values()}):
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(db)}.{_q(schema)}")
        self.default_db = next(iter(project.relations.values())).parts[0]
        self.names = {uid: r.parts for uid, r in project.relations.items()}
        self.present = set(project.relations)  # relations that (still) exist
        self.dropped: set[tuple[str, ...]] = set()  # (db, schema, table) lower-case
        self.created: set[str] = set()
        self._columns: dict[tuple[str, ...], set[str]] = {}  # source_columns of tables, memo
        if lazy:
            return
        for r in project.relations.values():
            if not r.ephemeral:
                self.create(r.parts, r.columns)
                self.created.add(r.unique_id)
        for r in project.relations.values():  # ephemeral models: from their SQL, in order
            if r.ephemeral and r.sql is not None:
                cols = self.describe(self.sql_of(r.unique_id, r.sql))
                self.create(r.parts, cols)
                self.created.add(r.unique_id)

    def ensure(self, uid: str) -> None:
        """Create relation ``uid`` as it was before any change, unless created (or gone)."""
        if uid in self.created or uid not in self.present:
            return
        r = self.project.relations[uid]
        cols = self.project.ephemeral_columns().get(uid, ()) if r.ephemeral else r.columns
        if cols:
            self.create(self.names[uid], cols)
        self.created.add(uid)

    def changed(self) -> None:
        """Forget what was memoised about the tables (call after any DDL)."""
        self._columns.clear()

    def create(self, parts: Sequence[str], columns: Iterable[tuple[str, str]]) -> None:
        cols = ", ".join(f"{_q(c)} {t}" for c, t in columns)
        self.con.execute(f"CREATE OR REPLACE TABLE {_fqn(parts)} ({cols})")
        self.changed()

    def describe(self, sql: str) -> tuple[tuple[str, str], ...]:
        rows = self.con.execute(f"DESCRIBE {sql}").fetchall()
        return tuple((str(r[0]), str(r[1])) for r in rows)

    def columns(self, parts: Sequence[str]) -> dict[str, str]:
        return dict(self.describe(f"SELECT * FROM {_fqn(parts)}"))

    def table_key(self, table: exp.Table) -> tuple[str, ...]:
        """(db, schema, table) of a table reference, lower-case, defaults filled in."""
        db = table.catalog or self.default_db
        schema = table.db or "main"
        return (db.lower(), schema.lower(), table.name.lower())

    def source_columns(self, src: Any) -> set[str] | None:
        """Lower-case columns of a scope's source (a table, CTE or subquery); ``None``: unknown.

        A ``*`` or ``t.*`` in a CTE or subquery stands for the columns of what it selects from.
        """
        if isinstance(src, exp.Table):
            key = self.table_key(src)
            if key not in self._columns:
                self._columns[key] = set()
                for uid, parts in self.names.items():
                    if uid in self.present and tuple(p.lower() for p in parts) == key:
                        self.ensure(uid)
                        self._columns[key] = {c.lower() for c in self.columns(parts)}
                        break
            return self._columns[key]
        if isinstance(src, Scope):
            expr = src.expression
            if not isinstance(expr, exp.Select):
                return None
            out: set[str] = set()
            for e in expr.expressions:
                star = e if isinstance(e, exp.Star) else None
                if isinstance(e, exp.Column) and isinstance(e.this, exp.Star):
                    star = e.this
                if star is None:
                    out.add(e.alias_or_name.lower())
                    continue
                if any(star.args.get(k) for k in ("except", "replace", "rename")):
                    return None  # a star modifier: not followed here
                if isinstance(e, exp.Column):
                    inner = [src.sources.get(e.table)]
                else:
                    inner = [s for _, s in src.selected_sources.values()]
                for s in inner:
                    cols = self.source_columns(s) if s is not None else None
                    if cols is None:
                        return None
                    out |= cols
            return out
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
    engine.changed()
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


_DROPPED = "__dropped__"


def _fix(engine: Engine, sql: str, fates: Mapping[tuple[str, ...], dict[str, str | None]]) -> str:
    """Rewrite references the way an engineer would.

    ``fates``: per relation (db, schema, table; lower-case), column -> new name (``None``: gone).
    A reference the engine cannot resolve any more takes its column's fate: renamed, or ``NULL``
    (a projection of it alone is removed). Table renames are already in ``engine.names``. A read
    of a dropped relation (a join, a CTE) is replaced by an empty relation with none of its
    columns, so they are gone like dropped columns: the engineer removes that join and its
    columns, the rest of the model stays (only a later UNION branch reading it goes whole).
    What happens to the output of a CTE or subquery (a projected column renamed or removed) is
    that column's fate in the scopes reading it.
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
    for table in list(tree.find_all(exp.Table)):  # any other read of a dropped relation
        if table.name and engine.table_key(table) in engine.dropped:
            empty = sqlglot.parse_one(f"SELECT NULL AS {_DROPPED} WHERE false", read="duckdb")
            table.replace(exp.Subquery(this=empty, alias=exp.TableAlias(
                this=exp.to_identifier(table.alias_or_name, quoted=True)
            )))  # fmt: skip
    every_fate: dict[str, str | None] = {}
    for fate in fates.values():
        every_fate.update({k.lower(): v for k, v in fate.items()})
    # per CTE/subquery (its SELECT node): output column -> new name or None
    scope_fates: dict[int, dict[str, str | None]] = {}
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
                for src, cols in zip(candidates, found):
                    if isinstance(src, exp.Table):
                        own = fates.get(engine.table_key(src), {})
                        fate = {k.lower(): v for k, v in own.items()} or every_fate
                    elif cols == {_DROPPED}:
                        fate = {name: None}
                    elif name in scope_fates.get(id(src.expression), {}):
                        fate = scope_fates[id(src.expression)]
                if name not in fate:
                    continue
                new = fate[name]
                changed = True
                outputs = scope_fates.setdefault(id(scope.expression), {})
                projected = col.parent is scope.expression and any(
                    e is col for e in scope.expression.expressions
                )
                if new is not None:
                    if projected:
                        outputs[name] = new.lower()
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
                    if parent is scope.expression:
                        outputs[name] = None
                    _remove_projection(parent, node)
                else:
                    node.replace(exp.Null())
        if not changed:
            break
    return tree.sql(dialect="duckdb")


def _remove_projection(select: exp.Select, node: exp.Expression) -> None:
    """Remove one output column; a positional ``GROUP BY``/``ORDER BY`` follows (the engineer
    removes its position and renumbers the later ones)."""
    index = next(i for i, e in enumerate(select.expressions) if e is node) + 1
    for clause in ("group", "order"):
        part = select.args.get(clause)
        if part is None:
            continue
        kept = []
        for e in part.expressions:
            term = e.this if isinstance(e, exp.Ordered) else e
            if isinstance(term, exp.Literal) and term.is_int:
                position = int(term.name)
                if position == index:
                    continue
                if position > index:
                    renumbered = exp.Literal.number(position - 1)
                    if isinstance(e, exp.Ordered):
                        e.set("this", renumbered)
                    else:
                        e = renumbered
            kept.append(e)
        if kept:
            part.set("expressions", kept)
        else:
            select.set(clause, None)
    kept_cols = [e for e in select.expressions if e is not node]
    select.set("expressions", kept_cols or [exp.Null().as_("__placeholder__")])


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
    engine.changed()
    engine.present.discard(uid)
    engine.dropped.add(tuple(p.lower() for p in engine.names[uid]))


def engine_verdict(project: Project, uid: str, change: SchemaChange) -> Verdict:
    """The models that really break when ``change`` is applied to relation ``uid``."""
    below = project.downstream(uid)
    engine = Engine(project, lazy=True)
    engine.ensure(uid)
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
    changed = {uid}  # relations whose schema is not what it was: only their readers are bound
    for child in project.relations:
        if child not in below:
            continue
        rel = project.relations[child]
        if rel.sql is None or not changed.intersection(rel.parents):
            continue  # binding reads the schemas of the relations read: all unchanged
        for p in (*rel.parents, child):
            engine.ensure(p)
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
                changed.add(child)
                continue
        if tuple(before.items()) == after:
            continue
        changed.add(child)
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
