"""Values a database cannot store are refused the same way on both backends (INVALID_ARGUMENT naming the
field, nothing written), and concurrent writers on one database do not trip over each other."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from libs.errors import InvalidArgument
from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from services.metadata.request_guard import check_storable

from .helpers import expect_error, filter_of, new_memory, struct

INVALID = grpc.StatusCode.INVALID_ARGUMENT
ROOT = Path(__file__).resolve().parents[2]


def _create(tenant, *memories):
    return pb.CreateMemoriesRequest(tenant=tenant, memories=list(memories))


def _nan_metadata(tenant):
    memory = new_memory("x", user_id="u")
    memory.metadata.update({"deep": {"score": 1.0}})
    memory.metadata["deep"]["score"] = float("nan")
    return _create(tenant, memory)


UNSTORABLE = [
    pytest.param(lambda t: _create(t, new_memory("a\x00b", user_id="u")), "memories[0].text", id="nul-text"),
    pytest.param(lambda t: _create(t, new_memory("x", user_id="u\x00")), "memories[0].scope.user_id", id="nul-scope"),
    pytest.param(
        lambda t: _create(t, new_memory("x", user_id="u", metadata={"k": ["ok", "a\x00"]})),
        "memories[0].metadata.k[1]",
        id="nul-metadata-value",
    ),
    pytest.param(
        lambda t: _create(t, new_memory("x", user_id="u", metadata={"k\x00": 1})),
        "memories[0].metadata.k\\u0000",
        id="nul-metadata-key",
    ),
    pytest.param(
        lambda t: _create(t, new_memory("x", user_id="u", categories=["ok", "c\x00"])),
        "memories[0].categories[1]",
        id="nul-category",
    ),
    pytest.param(_nan_metadata, "memories[0].metadata.deep.score", id="nan-metadata"),
    pytest.param(
        lambda t: _create(t, new_memory("x", user_id="u" * 256)), "memories[0].scope.user_id", id="long-scope"
    ),
    pytest.param(
        lambda t: _create(t, new_memory("x", user_id="u", memory_id="i" * 65)), "memories[0].id", id="long-id"
    ),
    pytest.param(
        lambda t: _create(t, new_memory("x", user_id="u", actor_id="a" * 256)),
        "memories[0].actor_id",
        id="long-actor",
    ),
    pytest.param(
        lambda t: _create(common_pb2.Tenant(org_id="o" * 256, project_id="p"), new_memory("x", user_id="u")),
        "tenant.org_id",
        id="long-tenant",
    ),
]


@pytest.mark.parametrize(("build", "field"), UNSTORABLE)
async def test_unstorable_memories_are_refused_naming_the_field(stub, tenant, build, field):
    await expect_error(stub.CreateMemories(build(tenant)), INVALID, field)
    # The service is fine afterwards and nothing was written.
    listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, show_expired=True)))
    assert listed.total_count == 0
    await call(stub.CreateMemories(_create(tenant, new_memory("fine", user_id="u"))))


async def test_unstorable_values_in_reads_and_other_writes_are_refused(stub, tenant):
    cases = [
        (stub.GetMemories(pb.GetMemoriesRequest(tenant=tenant, memory_ids=["ok", "a\x00"])), "memory_ids[1]"),
        (stub.ListHistory(pb.ListHistoryRequest(tenant=tenant, memory_id="a\x00")), "memory_id"),
        (
            stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, filter=filter_of({"user_id": "a\x00"}))),
            "filter.",
        ),
        (
            stub.ListMemories(pb.ListMemoriesRequest(tenant=common_pb2.Tenant(org_id="o\x00", project_id="p"))),
            "tenant.org_id",
        ),
        (
            stub.UpdateMemories(
                pb.UpdateMemoriesRequest(
                    tenant=tenant, patches=[pb.MemoryPatch(memory_id="m", metadata=struct({"k": "v\x00"}))]
                )
            ),
            "patches[0].metadata.k",
        ),
        (
            stub.UpdateProject(
                pb.UpdateProjectRequest(
                    tenant=tenant,
                    custom_categories=common_pb2.CategoryList(categories=[common_pb2.Category(name="f\x00")]),
                )
            ),
            "custom_categories.categories[0].name",
        ),
        (stub.UpdateProject(pb.UpdateProjectRequest(tenant=tenant, settings=struct({"s\x00": 1}))), "settings.s"),
        (stub.UpdateProject(pb.UpdateProjectRequest(tenant=tenant, name="n" * 256)), "name"),
        (stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=tenant, name="k\x00")), "name"),
        (
            stub.RecordEvent(
                pb.RecordEventRequest(
                    tenant=tenant,
                    event=common_pb2.Event(id="e" * 65, event_type="ADD", status=common_pb2.EVENT_STATUS_PENDING),
                )
            ),
            "event.id",
        ),
    ]
    for pending, field in cases:
        await expect_error(pending, INVALID, field)
    project = await call(stub.GetProject(pb.GetProjectRequest(tenant=tenant)))
    assert not project.project.custom_categories.categories and project.project.name == tenant.project_id


def test_map_keys_and_values_are_checked_too():
    request = memory_service_pb2.AddMemoriesRequest(custom_categories={"food": "meals"})
    check_storable(request)
    request.custom_categories["f\x00"] = "x"
    with pytest.raises(InvalidArgument, match=r"custom_categories\[f\\u0000\]"):
        check_storable(request)
    del request.custom_categories["f\x00"]
    request.custom_categories["food"] = "x\x00"
    with pytest.raises(InvalidArgument, match=r"custom_categories\[food\]"):
        check_storable(request)


async def test_numbers_beyond_64_bits_in_filters_compare_as_numbers_not_text(stub, tenant):
    await call(stub.CreateMemories(_create(tenant, new_memory("big", user_id="u", metadata={"n": 5}))))
    for raw, expected in [({"lt": 1e30}, 1), ({"gt": 1e30}, 0), ({"gt": -1e30}, 1)]:
        found = await call(
            stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, filter=filter_of({"metadata": {"n": raw}})))
        )
        assert found.total_count == expected, raw
    equal = await call(
        stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, filter=filter_of({"metadata": {"n": 1e30}})))
    )
    assert equal.total_count == 0


async def test_concurrent_batches_sharing_entities_in_any_order_all_land(stub, tenant):
    users = [f"user-{index}" for index in range(40)]

    async def add(batch: int) -> None:
        order = random.Random(batch).sample(users, len(users))
        memories = [new_memory(f"batch {batch} for {user}", user_id=user, agent_id="shared") for user in order]
        await call(stub.CreateMemories(_create(tenant, *memories)))

    await asyncio.gather(*(add(batch) for batch in range(12)))
    listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant)))
    assert listed.total_count == 12 * len(users)
    entities = await call(stub.ListEntities(pb.ListEntitiesRequest(tenant=tenant)))
    assert {(e.name, e.memory_count) for e in entities.entities} == {
        *((user, 12) for user in users),
        ("shared", 12 * len(users)),
    }


async def test_the_same_key_created_concurrently_is_one_key(stub, tenant, other_tenant):
    results = await asyncio.gather(
        *(call(stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=tenant, api_key="same-key-twice"))) for _ in range(6))
    )
    assert len({result.key.key_id for result in results}) == 1
    await expect_error(
        stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=other_tenant, api_key="same-key-twice")),
        grpc.StatusCode.ALREADY_EXISTS,
        "api_key",
    )


REPLICA = """
import asyncio, sys
from services.metadata.server import start_service
from services.metadata.settings import MetadataSettings

async def main():
    settings = MetadataSettings(database_url=sys.argv[1], metadata_port=0, api_keys="k1=o/p,k2=o/q")
    service = await start_service(settings)
    await service.stop(0)

asyncio.run(main())
"""


async def test_replicas_starting_together_on_one_postgresql_database_all_start(postgres):
    """Several metadata processes (replicas) migrate and upsert the same bootstrap keys at once."""
    url = postgres.url(postgres.create_database())
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            REPLICA,
            url,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    outputs = [(await replica.communicate())[0].decode() for replica in replicas]
    assert [replica.returncode for replica in replicas] == [0, 0, 0], outputs
    with postgres.connect(url.rsplit("/", 1)[1]) as connection:
        keys = connection.execute("SELECT org_id, project_id FROM api_keys ORDER BY project_id").fetchall()
        version = connection.execute("SELECT count(*) FROM alembic_version").fetchone()
    assert keys == [("o", "p"), ("o", "q")]
    assert version == (1,)
