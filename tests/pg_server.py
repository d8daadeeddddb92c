"""A throw-away PostgreSQL server on 127.0.0.1 for tests and benchmarks (reusable by everyone).

``initdb`` refuses to run as root, so when the tests run as root the server runs as the ``postgres``
user through ``runuser -u postgres``; its data folder is created inside a temporary folder and
chmod'ed for that user. Usage::

    from tests.pg_server import PostgresServer, pg_binaries_available

    with pg_temp_dir() as base, PostgresServer.start_new(base) as pg:
        pg.url          # postgresql+psycopg2://postgres@127.0.0.1:<port>/postgres
        pg.dsn          # host=127.0.0.1 port=<port> user=postgres dbname=postgres
        pg.create_database("dagster")
        pg.dagster_yaml("dagster")   # storage block for dagster.yaml (scheme postgresql+psycopg2)
        pg.stop(); pg.start()        # simulate an outage and a restart

A pytest session fixture is in ``tests/integration/postgres/conftest.py`` (``pg_server``).
Keep the data folder out of pytest's ``tmp_path``: pytest resets ``/tmp/pytest-of-<user>`` to mode
0700 when a session starts, which would lock the ``postgres`` user out of a running cluster.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

PG_USER = "postgres"


def pg_binaries_available() -> str | None:
    """``None`` when initdb/pg_ctl are usable, else the reason they are not."""
    for tool in ("initdb", "pg_ctl"):
        if shutil.which(tool) is None:
            return f"PostgreSQL binary '{tool}' not found on PATH"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return "running as root and there is no 'postgres' user to run initdb as"
        if shutil.which("runuser") is None:
            return "running as root and 'runuser' is not available"
    return None


@contextmanager
def pg_temp_dir() -> Iterator[Path]:
    """A fresh folder directly under the system temp dir, removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="dagster_lineage_pg_"))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def started_server() -> Iterator[PostgresServer]:
    """A new server in a fresh temp folder, stopped afterwards; skips the test when none can start.

    Not under pytest's basetemp: another pytest process resets that folder to mode 0700, which
    locks the postgres user out of its own data directory.
    """
    import pytest

    reason = pg_binaries_available()
    if reason:
        pytest.skip(f"no PostgreSQL server can be started: {reason}")
    with pg_temp_dir() as base:
        server = PostgresServer.start_new(base)
        try:
            yield server
        finally:
            server.stop("immediate")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only."""

    def __init__(self, base_dir: Path, port: int | None = None) -> None:
        self.base_dir = Path(base_dir)
        self.data_dir = self.base_dir / "pgdata"
        self.log_file = self.base_dir / "postgres.log"
        self.socket_dir = self.base_dir / "sock"
        self.port = port or free_port()
        self.running = False

    # --- running commands as the postgres user when we are root ------------------------------

    def _cmd(self, args: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", PG_USER, "--", *args]
        return args

    def _run(self, args: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self._cmd(args), capture_output=True, text=True, timeout=timeout, cwd="/"
        )
        if proc.returncode != 0:
            log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}"
            )
        return proc

    # --- lifecycle ---------------------------------------------------------------------------

    def init(self) -> None:
        """Create the cluster (``initdb``) with trust auth for local connections."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam(PG_USER)
            # Every parent must be traversable by the postgres user.
            p = self.base_dir
            while p != p.parent:
                mode = p.stat().st_mode
                if not mode & 0o001:
                    os.chmod(p, mode | 0o711)
                p = p.parent
            for d in (self.base_dir, self.socket_dir):
                os.chown(d, pw.pw_uid, pw.pw_gid)
        self._run(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )

    def start(self) -> None:
        """Start (or restart after :meth:`stop`) the server and wait until it accepts connections."""
        opts = (
            f"-h 127.0.0.1 -p {self.port} -k {self.socket_dir} -c fsync=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                opts,
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        self.running = True
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        """Wait until a TCP connection to the port succeeds."""
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(self.dsn, connect_timeout=2).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` simulates a crash; data survives either way)."""
        if self.running:
            self._run(["pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop"])
            self.running = False

    @classmethod
    def start_new(cls, base_dir: Path, port: int | None = None) -> PostgresServer:
        """Init and start a new cluster in ``base_dir``."""
        server = cls(base_dir, port)
        server.init()
        server.start()
        return server

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- connection details ------------------------------------------------------------------

    @property
    def dsn(self) -> str:
        """libpq DSN of the ``postgres`` database."""
        return self.dsn_for("postgres")

    def dsn_for(self, db_name: str) -> str:
        """libpq DSN of ``db_name``."""
        return f"host=127.0.0.1 port={self.port} user={PG_USER} dbname={db_name}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database."""
        return self.url_for("postgres")

    def url_for(self, db_name: str) -> str:
        """SQLAlchemy URL (``postgresql+psycopg2``) of ``db_name``."""
        return f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{self.port}/{db_name}"

    def create_database(self, name: str) -> str:
        """Create a database (idempotent); returns its name."""
        import psycopg2

        con = psycopg2.connect(self.dsn)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute("select 1 from pg_database where datname = %s", (name,))
                if cur.fetchone() is None:
                    cur.execute(f'create database "{name}"')
        finally:
            con.close()
        return name

    def dagster_yaml(self, db_name: str) -> str:
        """A ``dagster.yaml`` whose storage is this server's ``db_name`` (via dagster-postgres).

        SQLAlchemy 2.1 needs the explicit ``postgresql+psycopg2`` scheme.
        """
        return (
            "storage:\n"
            "  postgres:\n"
            "    postgres_db:\n"
            f"      username: {PG_USER}\n"
            "      password: ''\n"
            "      hostname: 127.0.0.1\n"
            f"      db_name: {db_name}\n"
            f"      port: {self.port}\n"
            "      scheme: postgresql+psycopg2\n"
            "telemetry:\n"
            "  enabled: false\n"
        )

    def dagster_home(self, home: Path, db_name: str) -> Path:
        """Create database ``db_name`` and a DAGSTER_HOME folder ``home`` pointing at it."""
        self.create_database(db_name)
        home.mkdir(parents=True, exist_ok=True)
        (home / "dagster.yaml").write_text(self.dagster_yaml(db_name))
        return home
