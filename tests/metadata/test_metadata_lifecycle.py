"""Start-up: migrations to head, persistence across a restart, bootstrap keys, settings validation."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from libs.errors import AlreadyExists
from libs.rpc.client import call, open_channel
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc
from services.metadata.database import alembic_config, create_engine, run_migrations
from services.metadata.models import Base, include_in_schema_comparison
from services.metadata.server import start_service
from services.metadata.settings import DATABASE_FILE, MetadataSettings, parse_bootstrap_keys

from .conftest import service_settings
from .helpers import new_memory

TENANT = common_pb2.Tenant(org_id="acme", project_id="app")


async def test_data_and_keys_survive_a_restart(tmp_path, database_url):
    settings = service_settings(tmp_path, database_url, api_keys="k-restart=acme/app")
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        created = await call(
            stub.CreateMemories(
                pb.CreateMemoriesRequest(
                    tenant=TENANT, memories=[new_memory("persisted", user_id="u", metadata={"a": 1})]
                )
            )
        )
        extra = await call(stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=TENANT, name="extra")))
        await call(
            stub.RecordEvent(
                pb.RecordEventRequest(
                    tenant=TENANT,
                    event=common_pb2.Event(id="e1", event_type="ADD", status=common_pb2.EVENT_STATUS_PENDING),
                )
            )
        )
    finally:
        await channel.close()
        await service.stop(0)

    # Same database, same bootstrap keys: migrations and key upserts are idempotent.
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
        got = await call(stub.GetMemories(pb.GetMemoriesRequest(tenant=TENANT, memory_ids=[created.memories[0].id])))
        assert list(got.memories) == list(created.memories)
        history = await call(stub.ListHistory(pb.ListHistoryRequest(tenant=TENANT, memory_id=created.memories[0].id)))
        assert len(history.entries) == 1
        entities = await call(stub.ListEntities(pb.ListEntitiesRequest(tenant=TENANT)))
        assert [(e.name, e.memory_count) for e in entities.entities] == [("u", 1)]
        for key in ("k-restart", extra.api_key):
            auth = await call(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key)))
            assert auth.tenant == TENANT
        keys = await call(stub.ListApiKeys(pb.ListApiKeysRequest(include_revoked=True)))
        assert sorted(k.name for k in keys.keys) == ["bootstrap", "extra"]
        event = await call(stub.GetEvent(pb.GetEventRequest(tenant=TENANT, event_id="e1")))
        assert event.event.status == common_pb2.EVENT_STATUS_PENDING
    finally:
        await channel.close()
        await service.stop(0)


async def _tables(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def test_migrations_build_exactly_the_models_and_downgrade_to_nothing(database_url):
    engine = create_engine(database_url)
    try:
        await run_migrations(engine)
        await run_migrations(engine)  # a second upgrade is a no-op

        def differences(connection: sa.Connection) -> list:
            options = {"compare_type": True, "include_object": include_in_schema_comparison}
            context = MigrationContext.configure(connection, opts=options)
            return compare_metadata(context, Base.metadata)

        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
            version = await connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
        assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()

        def downgrade(connection: sa.Connection) -> None:
            command.downgrade(alembic_config(connection), "base")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
    finally:
        await engine.dispose()
    assert await _tables(database_url) == {"alembic_version"}


def test_default_database_is_sqlite_in_data_dir(tmp_path):
    settings = MetadataSettings(data_dir=tmp_path / "nested" / "dir")
    assert settings.metadata_port == 50063
    url = settings.resolved_database_url()
    assert url == f"sqlite+aiosqlite:///{(tmp_path / 'nested' / 'dir').resolve() / DATABASE_FILE}"
    assert (tmp_path / "nested" / "dir").is_dir()
    assert (
        MetadataSettings(database_url="postgresql+psycopg://db/memgrid")
        .resolved_database_url()
        .startswith("postgresql+psycopg://")
    )


def test_api_keys_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEMGRID_API_KEYS", " key1=org1/projA, key2=org1/projB ,")
    keys = MetadataSettings().bootstrap_keys()
    assert [(k.api_key, k.tenant.org_id, k.tenant.project_id) for k in keys] == [
        ("key1", "org1", "projA"),
        ("key2", "org1", "projB"),
    ]
    assert "key1" not in repr(MetadataSettings())


@pytest.mark.parametrize("raw", ["key1", "key1=org1", "=org/proj", "key=/proj", "key=org/", "k=a/b/c", "ok=o/p,bad"])
async def test_malformed_api_keys_stop_start_up_without_echoing_the_key(tmp_path, database_url, raw):
    with pytest.raises(ValueError, match="MEMGRID_API_KEYS entry") as caught:
        parse_bootstrap_keys(raw)
    assert "key1" not in str(caught.value)
    with pytest.raises(ValueError, match="MEMGRID_API_KEYS entry"):
        await start_service(service_settings(tmp_path, database_url, api_keys=raw))
    assert await _tables(database_url) == set()  # refused before touching the database


async def test_bootstrap_key_claimed_by_another_tenant_stops_start_up(tmp_path, database_url):
    service = await start_service(service_settings(tmp_path, database_url, api_keys="shared-key=acme/app"))
    await service.stop(0)
    with pytest.raises(AlreadyExists, match="api_key"):
        await start_service(service_settings(tmp_path, database_url, api_keys="shared-key=other/app"))


async def test_concurrent_writes_do_not_collide(stub, tenant):
    async def add(index: int) -> None:
        memories = [new_memory(f"fact {index}", user_id="same-user", agent_id=f"agent-{index % 3}")]
        await call(stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=memories)))

    await asyncio.gather(*(add(index) for index in range(30)))
    listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant)))
    assert listed.total_count == 30
    entities = await call(stub.ListEntities(pb.ListEntitiesRequest(tenant=tenant)))
    assert {(e.name, e.memory_count) for e in entities.entities} == {
        ("same-user", 30),
        ("agent-0", 10),
        ("agent-1", 10),
        ("agent-2", 10),
    }
