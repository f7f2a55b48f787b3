"""The async engine and the Alembic migrations that bring its schema to head."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from libs.errors import FailedPrecondition

log = structlog.get_logger()

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL advisory lock held while migrating: replicas starting together on one database take turns
# (the later ones find the schema at head). Any fixed bigint works; this one is "memgrid" in ASCII.
MIGRATION_LOCK_ID = 0x6D656D67726964


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite files get WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """A programmatic Alembic config (no alembic.ini) pointing at this package's migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def run_migrations(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database to `revision` (head by default)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, revision)
    log.info("database.migrated", revision=revision, dialect=engine.dialect.name)


def _upgrade(connection: sa.Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        # Released when the migration transaction ends.
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK_ID)))
    command.upgrade(alembic_config(connection), revision)


async def require_head(engine: AsyncEngine) -> None:
    """FailedPrecondition unless the schema is at head: a service that does not migrate itself (Kubernetes
    runs `python -m services.metadata migrate` as a Job first) refuses to serve an older or newer schema."""
    async with engine.connect() as connection:
        current = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
    head = ScriptDirectory.from_config(alembic_config()).get_heads()
    if set(current) != set(head):
        raise FailedPrecondition(
            f"database schema is at {list(current) or 'no revision'}, expected {head}: "
            "run `python -m services.metadata migrate` (or set MEMGRID_AUTO_MIGRATE=true)",
            field="database_url",
        )
