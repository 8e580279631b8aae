"""What a database's catalog holds of todo-tui's schema, and what each revision builds.

A catalog maps (kind, name) to a short description of one object: tables, columns (type,
NULL-ability, default), indexes, constraints (CHECK, UNIQUE, FOREIGN KEY with its ON DELETE),
triggers, their functions, sequences and views; on SQLite also AUTOINCREMENT and the CHECKs
kept only in `sqlite_master`'s SQL. Column order is left out: ADD COLUMN appends, a
table made from the models without migrations does not, and nothing in todo-tui depends on it.

The reference is not a list kept by hand: `reference_catalogs` runs the real migrations
into a scratch database and reads each revision's catalog back. SQLite: an in-memory
database. PostgreSQL: a schema of its own inside a transaction (or savepoint) that is
rolled back, so it needs only the right to create a schema and leaves nothing behind.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

Catalog = dict[tuple[str, str], str]

# Version tables are Alembic's bookkeeping, not part of the schema the revisions build.
BOOKKEEPING = frozenset({"alembic_version", "todo_tui_alembic_version"})
_CACHE: dict[tuple, dict[str, Catalog]] = {}


class ReferenceUnavailable(Exception):
    """The scratch schema could not be made (the user may not create a schema)."""


def reference_catalogs(connection: Connection, script_location: Path) -> dict[str, Catalog]:
    """Revision id -> the catalog the migrations leave at that revision, oldest first.

    `connection` is only used (PostgreSQL) to build the reference on the same server, inside
    a transaction or savepoint that is rolled back: nothing of it remains.
    """
    dialect = connection.dialect
    key = (dialect.name, dialect.server_version_info, str(script_location))
    if key not in _CACHE:
        if dialect.name == "sqlite":
            _CACHE[key] = _sqlite_reference(script_location)
        else:
            _CACHE[key] = _postgres_reference(connection, script_location)
    return _CACHE[key]


def _migrate_recording(connection: Connection, script_location: Path, read) -> dict[str, Catalog]:
    from alembic import command

    from todo_tui.schema import alembic_config

    catalogs: dict[str, Catalog] = {}

    def on_version_apply(*, ctx, step, heads, run_args) -> None:
        catalogs[step.up_revision_id] = read()

    config = alembic_config(script_location)
    config.attributes["connection"] = connection
    config.attributes["on_version_apply"] = on_version_apply
    command.upgrade(config, "head")
    return catalogs


def _sqlite_reference(script_location: Path) -> dict[str, Catalog]:
    engine = sa.create_engine("sqlite://")
    try:
        with engine.connect() as connection:
            return _migrate_recording(
                connection, script_location, lambda: read_sqlite_catalog(connection, None)
            )
    finally:
        engine.dispose()


def _postgres_reference(connection: Connection, script_location: Path) -> dict[str, Catalog]:
    schema = f"todo_tui_reference_{uuid.uuid4().hex[:12]}"
    scope = connection.begin_nested() if connection.in_transaction() else connection.begin()
    try:
        try:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except sa.exc.DBAPIError as exc:
            raise ReferenceUnavailable(
                "todo-tui could not compare the tables with its migrations: the database "
                "user may not create a schema (it needs CREATE on the database)."
            ) from exc
        connection.exec_driver_sql(f'SET LOCAL search_path = "{schema}"')
        return _migrate_recording(
            connection, script_location, lambda: read_postgres_catalog(connection, schema, None)
        )
    finally:
        scope.rollback()  # the scratch schema, and the search_path with it


def read_catalog(connection: Connection, references: Iterable[Catalog]) -> Catalog:
    """The live database's objects that any of the `references` has a name for (a trigger
    function or a table of a later revision counts), and everything on those tables (an
    extra index or trigger there is a difference; other applications' tables are not read)."""
    names: dict[str, set[str]] = {kind: set() for kind in _OWNER_KINDS}
    for reference in references:
        for kind, name in reference:
            if kind in names:
                names[kind].add(name)
    if connection.dialect.name == "sqlite":
        return read_sqlite_catalog(connection, names)
    schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    return read_postgres_catalog(connection, schema, names)


_OWNER_KINDS = ("table", "view", "sequence", "function")


def _wanted(names: dict[str, set[str]] | None, kind: str, name: str) -> bool:
    return name not in BOOKKEEPING and (names is None or name in names[kind])


def _squeeze(sql: str) -> str:
    sql = re.sub(r"\s+", " ", sql.strip())
    return re.sub(r"\s*([(),])\s*", r"\1", sql)


# ---------------------------------------------------------------------------------------
# PostgreSQL


def read_postgres_catalog(
    connection: Connection, schema: str, names: dict[str, set[str]] | None
) -> Catalog:
    run = connection.exec_driver_sql
    qualified = re.compile(rf'(?<![\w"])(?:"{re.escape(schema)}"|{re.escape(schema)})\.')

    def local(text: str) -> str:
        return _squeeze(qualified.sub("", text))

    catalog: Catalog = {}
    relations = run(
        "SELECT c.oid, c.relname, c.relkind::text FROM pg_class c "
        "WHERE c.relnamespace = to_regnamespace(%(schema)s) AND c.relkind IN ('r', 'p', 'v', 'S')",
        {"schema": schema},
    ).all()
    tables = []
    for oid, name, relkind in relations:
        kind = {"r": "table", "p": "table", "v": "view", "S": "sequence"}[relkind]
        if not _wanted(names, kind, name):
            continue
        if kind == "table":
            tables.append((oid, name))
            catalog[("table", name)] = "partitioned" if relkind == "p" else "a table"
        elif kind == "view":
            view = run("SELECT pg_get_viewdef(%(oid)s::oid)", {"oid": oid}).scalar()
            catalog[("view", name)] = local(view or "")
        else:
            catalog[("sequence", name)] = " ".join(
                str(value)
                for value in run(
                    "SELECT format_type(seqtypid, NULL), seqstart, seqincrement, seqmin, seqmax, "
                    "seqcycle FROM pg_sequence WHERE seqrelid = %(oid)s::oid",
                    {"oid": oid},
                ).one()
            )
    for oid, table in tables:
        params = {"oid": oid}
        for column, type_, not_null, default, identity, generated in run(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text "
            "FROM pg_attribute a LEFT JOIN pg_attrdef d "
            "ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
            "WHERE a.attrelid = %(oid)s::oid AND a.attnum > 0 AND NOT a.attisdropped",
            params,
        ):
            described = f"{type_} {'NOT NULL' if not_null else 'NULL'}"
            if default is not None:
                described += f" DEFAULT {local(default)}"
            if identity or generated:
                described += f" identity={identity} generated={generated}"
            catalog[("column", f"{table}.{column}")] = described
        for name, definition in run(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %(oid)s::oid",
            params,
        ):
            catalog[("index", name)] = local(definition)
        for name, definition in run(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %(oid)s::oid",
            params,
        ):
            catalog[("constraint", name)] = local(definition)
        for name, definition in run(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = %(oid)s::oid AND NOT tgisinternal",
            params,
        ):
            catalog[("trigger", name)] = local(definition)
    for name, arguments, result, language, source in run(
        "SELECT p.proname, pg_get_function_identity_arguments(p.oid), "
        "pg_get_function_result(p.oid), l.lanname, p.prosrc FROM pg_proc p "
        "JOIN pg_language l ON l.oid = p.prolang "
        "WHERE p.pronamespace = to_regnamespace(%(schema)s)",
        {"schema": schema},
    ):
        signature = f"{name}({arguments})"
        if _wanted(names, "function", signature):
            catalog[("function", signature)] = (
                f"returns {result} language {language}: {_squeeze(source)}"
            )
    return catalog


# ---------------------------------------------------------------------------------------
# SQLite


def read_sqlite_catalog(connection: Connection, names: dict[str, set[str]] | None) -> Catalog:
    run = connection.exec_driver_sql
    catalog: Catalog = {}
    objects = run(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).all()
    tables = [
        (name, sql or "")
        for type_, name, _, sql in objects
        if type_ == "table" and _wanted(names, "table", name)
    ]
    for type_, name, owner, sql in objects:
        if type_ == "view" and _wanted(names, "view", name):
            catalog[("view", name)] = _squeeze(sql or "")
        if type_ == "trigger" and any(owner == table for table, _ in tables):
            catalog[("trigger", name)] = _squeeze(sql or "")
    for table, sql in tables:
        flags = [
            word
            for word in ("AUTOINCREMENT", "WITHOUT ROWID", "STRICT")
            if re.search(rf"\b{word}\b", sql, re.IGNORECASE)
        ]
        catalog[("table", table)] = " ".join(flags) or "no AUTOINCREMENT"
        quoted = table.replace('"', '""')
        for _cid, column, type_, not_null, default, pk, hidden in run(
            f'PRAGMA table_xinfo("{quoted}")'
        ):
            described = f"{type_} {'NOT NULL' if not_null else 'NULL'}"
            if default is not None:
                described += f" DEFAULT {default}"
            if pk:
                described += f" PRIMARY KEY {pk}"
            if hidden:
                described += f" hidden={hidden}"
            catalog[("column", f"{table}.{column}")] = described
        for _seq, index, unique, origin, partial in run(f'PRAGMA index_list("{quoted}")'):
            columns = [
                row[2] if row[2] is not None else "<expression>"
                for row in run(f'PRAGMA index_xinfo("{index}")')
                if row[5]  # key columns, not the rowid
            ]
            described = f"{'UNIQUE ' if unique else ''}({', '.join(columns)}) origin={origin}"
            if partial or "<expression>" in columns:
                index_sql = run(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (index,)
                ).scalar()
                described += f" {_squeeze(index_sql or '')}"
            catalog[("index", index)] = described
        keys: dict[int, list] = {}
        for key_id, _seq, parent, source, target, on_update, on_delete, match in run(
            f'PRAGMA foreign_key_list("{quoted}")'
        ):
            part = (parent, source, target, on_update, on_delete, match)
            keys.setdefault(key_id, []).append(part)
        for parts in keys.values():
            parent = parts[0][0]
            sources = ", ".join(part[1] for part in parts)
            targets = ", ".join(str(part[2]) for part in parts)
            _, _, _, on_update, on_delete, match = parts[0]
            catalog[("foreign key", f"{table}({sources}) -> {parent}({targets})")] = (
                f"ON UPDATE {on_update} ON DELETE {on_delete} MATCH {match}"
            )
        for name, expression in _checks(sql):
            catalog[("CHECK constraint", f"{table}.{name}")] = expression
    return catalog


def _checks(sql: str) -> Iterable[tuple[str, str]]:
    """(name, expression) of each CHECK in a CREATE TABLE; unnamed ones by their expression."""
    pattern = re.compile(r'(?:CONSTRAINT\s+("(?:[^"]|"")+"|\w+)\s+)?CHECK\s*\(', re.IGNORECASE)
    for found in pattern.finditer(sql):
        depth, end = 1, found.end()
        while end < len(sql) and depth:
            if sql[end] == "'":
                end = sql.index("'", end + 1)
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        expression = _squeeze(sql[found.end() : end - 1])
        name = found.group(1)
        yield (name.strip('"') if name else expression), expression


# ---------------------------------------------------------------------------------------
# Comparing


def differences(live: Catalog, reference: Catalog) -> tuple[str, ...]:
    """How `live` differs from `reference`, as short phrases; empty when they are the same."""
    phrases = []
    gone = {name for kind, name in reference.keys() - live.keys() if kind == "table"}
    for key in sorted(reference.keys() | live.keys()):
        kind, name = key
        if kind != "table" and re.split(r"[.(]", name)[0] in gone:
            continue  # said once, by the table
        if key not in live:
            phrases.append(f"{kind} {name} is missing")
        elif key not in reference:
            phrases.append(f"unexpected {kind} {name}")
        elif live[key] != reference[key]:
            if max(len(live[key]), len(reference[key])) > 90:
                phrases.append(f"{kind} {name} differs from what the migrations create")
            else:
                phrases.append(f"{kind} {name}: {live[key]}, expected {reference[key]}")
    return tuple(phrases)
