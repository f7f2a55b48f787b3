"""Fixtures shared by the cross-service tests: the whole stack on loopback port 0, in this process, and the
database backends (SQLite, and PostgreSQL in a throwaway cluster) that backend-parametrised tests run on."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from services.metadata.database import create_engine, run_migrations
from tests.support.postgres import PostgresCluster, PostgresUnavailable
from tests.support.stack import start_stack

KEY_A = "test-key-acme-app1"
KEY_B = "test-key-acme-app2"
API_KEYS = f"{KEY_A}=acme/app1,{KEY_B}=acme/app2"


@dataclass(frozen=True, slots=True)
class Stack:
    rest_url: str
    grpc_target: str
    metadata_target: str
    vectorsearch_target: str
    extraction_target: str
    key_a: str = KEY_A
    key_b: str = KEY_B


@pytest.fixture(scope="session", autouse=True)
def shared_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One ONNX export of the embedder for the whole session (stacks and `python -m bench` subprocesses read
    MEMGRID_MODELS_DIR), instead of one per fresh data dir."""
    models = tmp_path_factory.mktemp("models")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEMGRID_MODELS_DIR", str(models))
        yield models


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = await start_stack(tmp_path_factory.mktemp("stack"), API_KEYS)
    yield Stack(
        rest_url=running.rest_url,
        grpc_target=running.grpc_target,
        metadata_target=running.metadata_target,
        vectorsearch_target=running.vectorsearch_target,
        extraction_target=running.extraction_target,
    )
    await running.stop()


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster per test session. Without server binaries the PostgreSQL tests are
    skipped with the reason, except under CI (the `CI` variable set), where they fail."""
    try:
        cluster = PostgresCluster.start()
    except PostgresUnavailable as missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} (CI is set, so the PostgreSQL tests must run)", pytrace=False)
        pytest.skip(str(missing))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The metadata database backend of a test; the test id shows it ([sqlite] / [postgresql])."""
    return request.param


def fresh_database_url(backend: str, request: pytest.FixtureRequest, directory: Path) -> str:
    """An empty database of `backend`: an SQLite file in `directory`, or a new database in the session's
    PostgreSQL cluster (dropped when the test ends)."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{directory / 'memgrid.db'}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = cluster.create_database()
    request.addfinalizer(lambda: cluster.drop_database(name))
    return cluster.url(name)


def fresh_sync_engine(backend: str, request: pytest.FixtureRequest) -> sa.Engine:
    """A synchronous engine on a new, empty database of `backend` (in-memory SQLite, or a new database in
    the session's PostgreSQL cluster, dropped at the end of the requesting fixture's scope)."""
    if backend == "sqlite":
        return sa.create_engine("sqlite://")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = cluster.create_database()
    request.addfinalizer(lambda: cluster.drop_database(name))
    return sa.create_engine(cluster.url(name))


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database for this test on its backend."""
    return fresh_database_url(backend, request, tmp_path)


@pytest.fixture(scope="session")
async def postgres_template(postgres: PostgresCluster) -> str:
    """A PostgreSQL database migrated to head once per session, to copy per test (CREATE DATABASE ... TEMPLATE
    is faster than running every migration again)."""
    name = postgres.create_database("memgrid_template")
    engine = create_engine(postgres.url(name))
    try:
        await run_migrations(engine)
    finally:
        await engine.dispose()
    return name


@pytest.fixture
def service_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database for a metadata service under test: an empty SQLite file (the service migrates it at
    start-up), or on PostgreSQL a copy of `postgres_template` (the start-up migration finds it at head)."""
    if backend == "sqlite":
        return fresh_database_url(backend, request, tmp_path)
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = cluster.create_database(template=request.getfixturevalue("postgres_template"))
    request.addfinalizer(lambda: cluster.drop_database(name))
    return cluster.url(name)
