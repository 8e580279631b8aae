"""Each way a server that accepts only TLS and SCRAM-SHA-256 (as Neon does; tests/servers.py)
refuses a connection gets its own sentence, never "Cannot reach the database"."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import pytest

from tests.servers import (
    ENCODED_PASSWORD,
    LIMITED_ROLE,
    PASSWORD,
    ROLE,
    PgBouncer,
    ServerDatabases,
    TLSServer,
)
from todo_tui.db import Database
from todo_tui.faults import DatabaseFault, FaultKind
from todo_tui.schema import SchemaState, schema_status


@pytest.fixture(scope="module")
def dbname(tls_databases: ServerDatabases) -> str:
    return tls_databases.migrated().settings.database.url.rpartition("/")[2].partition("?")[0]


def connect_fault(factory: ServerDatabases, url: str) -> DatabaseFault:
    database = Database(factory.settings(url))
    try:
        with pytest.raises(DatabaseFault) as caught, database.faults(), database.engine.connect():
            pass
    finally:
        database.dispose()
    fault = caught.value
    assert "Cannot reach" not in fault.sentence
    assert PASSWORD not in fault.sentence and ENCODED_PASSWORD not in fault.sentence
    return fault


def test_the_neon_shaped_url_is_let_in(tls_server: TLSServer, tls_databases, dbname) -> None:
    url = tls_server.url(dbname)
    assert url.endswith("?sslmode=require&channel_binding=require")
    database = Database(tls_databases.settings(url))
    try:
        assert schema_status(database).state is SchemaState.UP_TO_DATE
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW ssl").scalar() == "on"
            assert connection.exec_driver_sql("SHOW password_encryption").scalar() == (
                "scram-sha-256"
            )
    finally:
        database.dispose()


def test_a_wrong_password_through_scram(tls_server, tls_databases, dbname) -> None:
    url = tls_server.url(dbname).replace(ENCODED_PASSWORD, "not-it")
    fault = connect_fault(tls_databases, url)
    assert fault.kind is FaultKind.AUTHENTICATION
    assert fault.sentence == "The database refused the user name or password in DATABASE_URL."


def test_a_wrong_password_through_pgbouncer(tls_server, pgbouncer: PgBouncer, dbname) -> None:
    factory = ServerDatabases(tls_server, bouncer=pgbouncer)
    fault = connect_fault(factory, pgbouncer.url(dbname).replace(ENCODED_PASSWORD, "not-it"))
    assert fault.kind is FaultKind.AUTHENTICATION
    assert "refused the user name or password" in fault.sentence


@pytest.mark.parametrize("through", ["server", "pgbouncer"])
def test_ssl_required(tls_server, pgbouncer, tls_databases, dbname, through) -> None:
    port = pgbouncer.port if through == "pgbouncer" else tls_server.port
    fault = connect_fault(tls_databases, tls_server.url(dbname, port=port, query="sslmode=disable"))
    assert fault.kind is FaultKind.SSL_REQUIRED
    assert fault.sentence == "The server requires SSL: add ?sslmode=require to DATABASE_URL."


def test_channel_binding_required_but_not_offered(tls_server, pgbouncer, tls_databases, dbname):
    """PgBouncer does SCRAM without channel binding: libpq refuses to go on."""
    url = tls_server.url(dbname, port=pgbouncer.port)  # channel_binding=require
    fault = connect_fault(tls_databases, url)
    assert fault.kind is FaultKind.AUTHENTICATION
    assert "channel binding" in fault.sentence
    assert "channel_binding=require" in fault.sentence


def test_too_many_clients(tls_server: TLSServer, tls_databases, dbname) -> None:
    """A role limited to one connection, which another client holds."""
    held = psycopg2.connect(
        host="127.0.0.1", port=tls_server.port, user=LIMITED_ROLE, password=PASSWORD,
        dbname=dbname, sslmode="require",
    )  # fmt: skip
    try:
        url = tls_server.url(dbname).replace(f"{ROLE}:", f"{LIMITED_ROLE}:")
        fault = connect_fault(tls_databases, url)
    finally:
        held.close()
    assert fault.kind is FaultKind.UNREACHABLE
    assert fault.sentence.startswith("The database has no free connections (too many clients)")
    assert fault.is_connection_problem


def test_each_refusal_reads_differently(tls_server, pgbouncer, tls_databases, dbname) -> None:
    urls = {
        "password": tls_server.url(dbname).replace(ENCODED_PASSWORD, "not-it"),
        "ssl": tls_server.url(dbname, query="sslmode=disable"),
        "channel binding": tls_server.url(dbname, port=pgbouncer.port),
    }
    sentences = {name: connect_fault(tls_databases, url).sentence for name, url in urls.items()}
    assert len(set(sentences.values())) == len(sentences), sentences


def test_db_status_says_the_refusal_and_exits_4(tls_server, dbname, tmp_path) -> None:
    url = tls_server.url(dbname, query="sslmode=disable")
    environ = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "todo_tui", "--database-url", url, "db", "status"],
        env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 4, result
    assert "The server requires SSL" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert PASSWORD not in result.stdout + result.stderr
