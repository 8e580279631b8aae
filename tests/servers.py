"""Servers the tests start themselves: a PostgreSQL that accepts only TLS and SCRAM-SHA-256
(as Neon does), and a real PgBouncer in transaction mode with TLS in front of it.

Each test process gets its own: a temporary folder owned by `postgres` (initdb refuses to
run as root), free ports on 127.0.0.1, a self-signed certificate made with openssl. Both
are stopped at the end of the session; folders left by a process that died are cleaned up
at the next start. A server that cannot start fails the tests that need it, with the
reason (never a skip).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest

from tests.engines import Databases, create_database, drop_databases

PG_BIN = Path("/usr/lib/postgresql/15/bin")
RUN_AS = "postgres"
ROLE = "neon_user"
# Needs percent-encoding in a URL: every character that would end the user info early.
PASSWORD = "p@ss:w/rd?#%"
ENCODED_PASSWORD = quote(PASSWORD, safe="")
# A role allowed one connection at a time: the "too many clients" refusal.
LIMITED_ROLE = "one_connection"
FOLDER_PREFIX = "todo-tui-servers-"
START_LIMIT = 30.0


class ServerFailed(Exception):
    """A test server could not be set up; the message says why."""


@dataclass
class TLSServer:
    """A PostgreSQL on 127.0.0.1:`port` with `ssl = on` and only `hostssl … scram-sha-256`."""

    folder: Path
    port: int
    cert: Path
    key: Path

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def local_connect(self, dbname: str = "postgres"):
        """A superuser connection over the Unix socket (trust: the fixture's own set-up)."""
        connection = psycopg2.connect(
            host=str(self.socket_dir), port=self.port, user="postgres", dbname=dbname
        )
        connection.autocommit = True
        return connection

    def url(self, dbname: str, *, port: int | None = None, query: str | None = None) -> str:
        """A URL shaped like Neon's: a percent-encoded password, TLS and channel binding."""
        query = "sslmode=require&channel_binding=require" if query is None else query
        tail = f"?{query}" if query else ""
        return (
            f"postgresql://{ROLE}:{ENCODED_PASSWORD}@127.0.0.1:{port or self.port}/{dbname}{tail}"
        )

    @property
    def admin_url(self) -> str:
        """The superuser's URL over the Unix socket (trust: the fixture's own set-up)."""
        return f"postgresql+psycopg2://postgres@/postgres?host={self.socket_dir}&port={self.port}"

    def new_database(self) -> str:
        return create_database(self.admin_url, owner=ROLE)

    def drop_databases(self, names: list[str]) -> None:
        drop_databases(self.admin_url, names)


@dataclass
class PgBouncer:
    """PgBouncer on 127.0.0.1:`port`, transaction mode, TLS and SCRAM, before `server`."""

    server: TLSServer
    port: int
    folder: Path

    def url(self, dbname: str) -> str:
        """A Neon-shaped pooled URL (PgBouncer does no channel binding: TLS only)."""
        return self.server.url(dbname, port=self.port, query="sslmode=require")


class ServerDatabases(Databases):
    """Like conftest's DatabaseFactory, on one of these servers: fresh databases by URL,
    dropped at the end of the module."""

    dialect = "postgresql"

    def __init__(self, server: TLSServer, *, bouncer: PgBouncer | None = None) -> None:
        super().__init__()
        self.server = server
        self.bouncer = bouncer

    def new_url(self) -> str:
        name = self.server.new_database()
        self.created.append(name)
        return self.bouncer.url(name) if self.bouncer else self.server.url(name)

    def drop(self, names: list[str]) -> None:
        self.server.drop_databases(names)


# -- starting and stopping ----------------------------------------------------------------


def _run(*command: str, cwd: Path | None = None, check: bool = True) -> str:
    result = subprocess.run(
        ["runuser", "-u", RUN_AS, "--", *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=START_LIMIT * 2,
        check=False,
    )
    if check and result.returncode != 0:
        raise ServerFailed(f"{Path(command[0]).name} failed: {result.stderr.strip()[-800:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_leftovers() -> None:
    """Stop and remove what a test process that died left behind (not a live one's)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            owner = 0
        if owner and _alive(owner):
            continue
        _stop_folder(folder)
        shutil.rmtree(folder, ignore_errors=True)


def _stop_folder(folder: Path) -> None:
    for pidfile in folder.glob("*/pgbouncer.pid"):
        with contextlib.suppress(OSError, ValueError):
            pid = int(pidfile.read_text().split()[0])
            # Only that PgBouncer: a pid from a dead run may have been reused since.
            if str(folder).encode() in Path(f"/proc/{pid}/cmdline").read_bytes():
                os.kill(pid, signal.SIGKILL)
    if (folder / "data" / "postmaster.pid").exists():
        with contextlib.suppress(ServerFailed, subprocess.SubprocessError):
            _run(str(PG_BIN / "pg_ctl"), "stop", "-D", str(folder / "data"), "-m", "immediate")


def _make_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
    (folder / "owner.pid").write_text(str(os.getpid()))
    user = pwd.getpwnam(RUN_AS)
    os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o700)
    return folder


def _make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "server.crt", folder / "server.key"
    _run(
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
        "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip
    key.chmod(0o600)
    return cert, key


def _wait_until(what: str, ready, *, log: Path, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + START_LIMIT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            return ready()
        except psycopg2.Error as exc:
            last = exc
            time.sleep(0.1)  # a server starting up: nothing to wait on but its port
    tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
    raise ServerFailed(f"{what} did not start: {last or 'it exited'}; log: {tail.strip()}")


def start_tls_server() -> TLSServer:
    """initdb, TLS and SCRAM only, started on a free port; raises ServerFailed."""
    _clean_leftovers()
    folder = _make_folder()
    try:
        cert, key = _make_certificate(folder)
        data = folder / "data"
        _run(
            str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        (data / "pg_hba.conf").write_text(
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n"
        )
        log = folder / "postgres.log"
        for _ in range(3):  # a free port can be taken by another process in between
            port = free_port()
            (data / "postgresql.auto.conf").write_text(
                f"port = {port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{folder}'\n"
                "ssl = on\n"
                f"ssl_cert_file = '{cert}'\n"
                f"ssl_key_file = '{key}'\n"
                "password_encryption = 'scram-sha-256'\n"
                "max_connections = 60\n"
                "shared_buffers = 16MB\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )
            started = subprocess.run(
                ["runuser", "-u", RUN_AS, "--", str(PG_BIN / "pg_ctl"), "start", "-w",
                 "-t", str(int(START_LIMIT)), "-D", str(data), "-l", str(log)],
                capture_output=True, text=True, timeout=START_LIMIT * 2, check=False,
            )  # fmt: skip
            if started.returncode == 0:
                break
        else:
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise ServerFailed(f"PostgreSQL did not start: {started.stderr.strip()} {tail}")
        server = TLSServer(folder=folder, port=port, cert=cert, key=key)
        connection = _wait_until("PostgreSQL", server.local_connect, log=log)
        with contextlib.closing(connection):
            cursor = connection.cursor()
            cursor.execute(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD %s", (PASSWORD,))
            cursor.execute(
                f"CREATE ROLE {LIMITED_ROLE} LOGIN CONNECTION LIMIT 1 PASSWORD %s", (PASSWORD,)
            )
        return server
    except BaseException:
        _stop_folder(folder)
        shutil.rmtree(folder, ignore_errors=True)
        raise


def stop_tls_server(server: TLSServer) -> None:
    _stop_folder(server.folder)
    shutil.rmtree(server.folder, ignore_errors=True)


def start_pgbouncer(
    server: TLSServer, *, ignore_options: bool = False
) -> tuple[PgBouncer, subprocess.Popen]:
    """PgBouncer before `server`, as `postgres`, with the role's SCRAM secret from
    pg_authid in its auth_file (so it can log in to the server with it). With
    `ignore_options`, it takes the `options` start-up parameter and drops it, as many
    PgBouncer set-ups are told to."""
    program = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if program is None:
        raise ServerFailed("pgbouncer is not installed (apt-get install pgbouncer)")
    with contextlib.closing(server.local_connect()) as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = %s", (ROLE,))
        secrets = cursor.fetchall()
    folder = server.folder / ("bouncer-ignoring" if ignore_options else "bouncer")
    folder.mkdir()
    user = pwd.getpwnam(RUN_AS)
    os.chown(folder, user.pw_uid, user.pw_gid)
    (folder / "userlist.txt").write_text("".join(f'"{u}" "{s}"\n' for u, s in secrets))
    log = folder / "pgbouncer.log"
    for _ in range(3):
        port = free_port()
        ini = folder / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={server.port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {port}\n"
            "unix_socket_dir =\n"
            "pool_mode = transaction\n"
            "auth_type = scram-sha-256\n"
            f"auth_file = {folder / 'userlist.txt'}\n"
            "client_tls_sslmode = require\n"
            f"client_tls_cert_file = {server.cert}\n"
            f"client_tls_key_file = {server.key}\n"
            "server_tls_sslmode = require\n"
            f"logfile = {log}\n"
            f"pidfile = {folder / 'pgbouncer.pid'}\n"
            "max_client_conn = 200\n"
            "default_pool_size = 10\n"
            + ("ignore_startup_parameters = options\n" if ignore_options else "")
        )
        process = subprocess.Popen(
            ["runuser", "-u", RUN_AS, "--", program, str(ini)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        bouncer = PgBouncer(server=server, port=port, folder=folder)

        def ready(bouncer=bouncer) -> None:
            probe = psycopg2.connect(
                host="127.0.0.1", port=bouncer.port, user=ROLE, password=PASSWORD,
                dbname="postgres", sslmode="require", connect_timeout=3,
            )  # fmt: skip
            probe.close()

        try:
            _wait_until("PgBouncer", ready, log=log, process=process)
        except ServerFailed:
            if process.poll() is None:
                raise
            continue  # exited: most likely the port was taken meanwhile; another one
        return bouncer, process
    raise ServerFailed(f"PgBouncer did not start: {log.read_text(errors='replace')[-800:]}")


def stop_pgbouncer(process: subprocess.Popen, folder: Path) -> None:
    with contextlib.suppress(OSError, ValueError, ProcessLookupError):
        os.kill(int((folder / "pgbouncer.pid").read_text().split()[0]), signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tls_server() -> Iterator[TLSServer]:
    """The TLS + SCRAM-SHA-256 PostgreSQL of this test process."""
    try:
        server = start_tls_server()
    except (ServerFailed, OSError, subprocess.SubprocessError, KeyError) as exc:
        pytest.fail(f"the TLS test server could not start: {exc}", pytrace=False)
    yield server
    stop_tls_server(server)


@pytest.fixture(scope="session")
def pgbouncer(tls_server: TLSServer) -> Iterator[PgBouncer]:
    """A real PgBouncer, transaction mode, TLS and SCRAM, before the TLS server."""
    try:
        bouncer, process = start_pgbouncer(tls_server)
    except (ServerFailed, OSError, subprocess.SubprocessError) as exc:
        pytest.fail(f"PgBouncer could not start: {exc}", pytrace=False)
    yield bouncer
    stop_pgbouncer(process, bouncer.folder)


@pytest.fixture(scope="session")
def pgbouncer_ignoring_options(tls_server: TLSServer) -> Iterator[PgBouncer]:
    """The same, with `ignore_startup_parameters = options`: no refusal to notice."""
    try:
        bouncer, process = start_pgbouncer(tls_server, ignore_options=True)
    except (ServerFailed, OSError, subprocess.SubprocessError) as exc:
        pytest.fail(f"PgBouncer could not start: {exc}", pytrace=False)
    yield bouncer
    stop_pgbouncer(process, bouncer.folder)


@pytest.fixture(scope="module")
def tls_databases(tls_server: TLSServer) -> Iterator[ServerDatabases]:
    factory = ServerDatabases(tls_server)
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def pooled_databases(tls_server: TLSServer, pgbouncer: PgBouncer) -> Iterator[ServerDatabases]:
    factory = ServerDatabases(tls_server, bouncer=pgbouncer)
    yield factory
    factory.close()
