"""A throwaway PostgreSQL cluster for tests: initdb into a temp dir, pg_ctl start on a free loopback port.

`PostgresCluster.start()` runs the server binaries of the Debian packages (/usr/lib/postgresql/<major>/bin,
the newest major first, or $MEMGRID_TEST_PG_BIN). PostgreSQL refuses to run as root, so under root the
binaries run as the `postgres` OS user (runuser). Trust authentication, listening on 127.0.0.1 only, the
unix socket inside the temp dir; `stop()` stops the server and removes the directory. The temp dir is on
/dev/shm when there is one: in RAM, CREATE DATABASE takes ~30 ms instead of ~300 ms on a busy disk.

Each test asks for its own database (`create_database()`, a CREATE DATABASE, fast) so tests stay
independent; `create_database(template=...)` copies a prepared database (e.g. one already migrated).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import structlog
from psycopg import sql

log = structlog.get_logger()

PG_BIN_ENV = "MEMGRID_TEST_PG_BIN"
DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")
PREFERRED_MAJOR = "15"
SUPERUSER = "postgres"
OS_USER = "postgres"
START_TIMEOUT_SECONDS = 60
RAM_DIR = Path("/dev/shm")
INSTALL_HINT = (
    "PostgreSQL server binaries not found: install them (Debian: apt-get install -y postgresql-15) "
    f"or point {PG_BIN_ENV} at the directory holding initdb and pg_ctl"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (or no `postgres` user to run them as root)."""


def find_pg_bin() -> Path:
    """The directory holding initdb/pg_ctl: $MEMGRID_TEST_PG_BIN, else Debian's (15 first, then newest)."""
    configured = os.environ.get(PG_BIN_ENV)
    candidates = [Path(configured)] if configured else []
    if not configured and DEBIAN_PG_ROOT.is_dir():
        majors = sorted(
            (path.name for path in DEBIAN_PG_ROOT.iterdir() if path.name.isdigit()),
            key=lambda major: (major != PREFERRED_MAJOR, -int(major)),
        )
        candidates += [DEBIAN_PG_ROOT / major / "bin" for major in majors]
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    raise PostgresUnavailable(INSTALL_HINT)


def _scratch_parent() -> Path | None:
    """Where to put the cluster: RAM-backed /dev/shm if writable, else the default temp dir (None)."""
    return RAM_DIR if RAM_DIR.is_dir() and os.access(RAM_DIR, os.W_OK | os.X_OK) else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running throwaway cluster; build it with PostgresCluster.start()."""

    bin_dir: Path
    root: Path
    port: int
    as_user: str | None
    version: str = ""

    @classmethod
    def start(cls) -> PostgresCluster:
        bin_dir = find_pg_bin()
        as_user = OS_USER if os.geteuid() == 0 else None
        root = Path(tempfile.mkdtemp(prefix="memgrid-pg-", dir=_scratch_parent()))
        if as_user is not None:
            try:
                account = pwd.getpwnam(as_user)
            except KeyError:
                shutil.rmtree(root, ignore_errors=True)
                raise PostgresUnavailable(
                    f"running as root, PostgreSQL needs the '{as_user}' OS user (created by the Debian package)"
                ) from None
            os.chown(root, account.pw_uid, account.pw_gid)
        cluster = cls(bin_dir=bin_dir, root=root, port=free_port(), as_user=as_user)
        try:
            cluster._initdb()
            cluster._pg_ctl_start()
            with cluster.connect() as connection:
                cluster.version = str(connection.execute("SHOW server_version").fetchone()[0])
        except BaseException:
            cluster.stop()
            raise
        log.info("postgres.started", port=cluster.port, version=cluster.version, data_dir=str(cluster.data_dir))
        return cluster

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.as_user is not None:
            command = ["runuser", "-u", self.as_user, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=self.root)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")

    def _initdb(self) -> None:
        self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--auth=trust",
            f"--username={SUPERUSER}",
            "--encoding=UTF8",
            # Linguistic (ICU en-US) collation like a typical production database, not byte order: the
            # filter translator must ask for byte-wise order itself where it needs it.
            "--locale=C.UTF-8",
            "--locale-provider=icu",
            "--icu-locale=en-US",
            "--no-sync",
        )

    def _pg_ctl_start(self) -> None:
        # fsync off: a throwaway cluster needs no durability against power loss (a restart test restarts
        # the services, not the server).
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off -c full_page_writes=off"
        self._run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data_dir),
            "--wait",
            f"--timeout={START_TIMEOUT_SECONDS}",
            "--log",
            str(self.root / "server.log"),
            "-o",
            options,
        )

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "--pgdata", str(self.data_dir), "--mode=fast", "--wait")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
        log.info("postgres.stopped", port=self.port)

    def dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def url(self, database: str, driver: str = "psycopg") -> str:
        """The SQLAlchemy URL of `database` (the async engine picks psycopg's async mode by itself)."""
        return f"postgresql+{driver}://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.dsn(database), autocommit=True)

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """CREATE DATABASE (a copy of `template` when given); returns its name."""
        name = name or f"test_{uuid.uuid4().hex[:12]}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
        with self.connect() as connection:
            connection.execute(statement)
        return name

    def drop_database(self, name: str) -> None:
        with self.connect() as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
