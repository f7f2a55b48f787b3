"""Create / get / list / find / update / delete / history through the real gRPC server."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import grpc

from libs.errors import InvalidArgument
from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb

from .helpers import expect_error, filter_of, new_memory, struct, timestamp

INVALID = grpc.StatusCode.INVALID_ARGUMENT
USER_INPUT = [common_pb2.Message(role=common_pb2.ROLE_USER, content="I love pizza", name="alex")]


async def create(stub, tenant, *memories, messages=()):
    response = await call(
        stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=list(memories), input=list(messages)))
    )
    return list(response.memories)


async def test_create_returns_memories_in_order_with_hash_and_get_fetches_them(stub, tenant):
    created = await create(
        stub,
        tenant,
        new_memory("likes pizza", user_id="alex", metadata={"food": {"kind": "pizza"}}, categories=["food"]),
        new_memory("drinks tea", agent_id="bot", actor_id="alex"),
        messages=USER_INPUT,
    )
    assert [m.memory for m in created] == ["likes pizza", "drinks tea"]
    assert created[0].hash == hashlib.md5(b"likes pizza").hexdigest()
    assert created[0].scope.user_id == "alex" and created[1].scope.agent_id == "bot"
    assert created[0].metadata["food"]["kind"] == "pizza"
    assert list(created[0].categories) == ["food"]
    assert created[1].actor_id == "alex"
    assert created[0].created_at.ToDatetime() <= datetime.now(UTC).replace(tzinfo=None)

    ids = [created[1].id, "unknown-id", created[0].id]
    got = await call(stub.GetMemories(pb.GetMemoriesRequest(tenant=tenant, memory_ids=ids)))
    assert [m.id for m in got.memories] == [created[1].id, created[0].id]
    assert got.memories[1] == created[0]


async def test_list_is_newest_first_paginated_with_total(stub, tenant):
    start = datetime(2024, 3, 1, tzinfo=UTC)
    ids = [
        m.id
        for m in await create(
            stub,
            tenant,
            *[new_memory(f"fact {i}", user_id="u", created_at=start + timedelta(hours=i)) for i in range(7)],
        )
    ]
    newest_first = list(reversed(ids))
    seen = []
    for page in (1, 2, 3):
        response = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page=page, page_size=3)))
        assert response.total_count == 7
        seen.extend(m.id for m in response.memories)
    assert seen == newest_first
    beyond = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page=4, page_size=3)))
    assert list(beyond.memories) == [] and beyond.total_count == 7
    default = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant)))
    assert [m.id for m in default.memories] == newest_first


async def test_page_size_limits_and_bad_pages_are_invalid_argument(stub, tenant):
    await expect_error(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page_size=1001)), INVALID, "page_size")
    await expect_error(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page=-1)), INVALID, "page")
    ok = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page_size=1000)))
    assert ok.total_count == 0


async def test_expired_memories_are_hidden_unless_asked_for(stub, tenant):
    today = datetime.now(UTC).date()
    expired, today_m, future, forever = await create(
        stub,
        tenant,
        new_memory("old", user_id="u", expiration_date=(today - timedelta(days=1)).isoformat()),
        new_memory("today", user_id="u", expiration_date=today.isoformat()),
        new_memory("later", user_id="u", expiration_date=(today + timedelta(days=30)).isoformat()),
        new_memory("forever", user_id="u"),
    )
    assert expired.expiration_date == (today - timedelta(days=1)).isoformat()
    live = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant)))
    assert {m.id for m in live.memories} == {today_m.id, future.id, forever.id} and live.total_count == 3
    everything = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, show_expired=True)))
    assert everything.total_count == 4
    ids = await call(stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant)))
    assert set(ids.memory_ids) == {today_m.id, future.id, forever.id}
    all_ids = await call(stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant, show_expired=True)))
    assert expired.id in all_ids.memory_ids


async def test_find_memory_ids_applies_the_filter(stub, tenant):
    alex, _bob = await create(stub, tenant, new_memory("a", user_id="alex"), new_memory("b", user_id="bob"))
    found = await call(
        stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant, filter=filter_of({"user_id": "alex"})))
    )
    assert list(found.memory_ids) == [alex.id]


async def test_bad_create_requests_are_invalid_argument_naming_the_field(stub, tenant):
    await expect_error(
        stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("", user_id="u")])),
        INVALID,
        "memories[0].text",
    )
    await expect_error(
        stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("no scope")])),
        INVALID,
        "scope: at least one of user_id, agent_id, app_id, run_id is required",
    )
    await expect_error(
        stub.CreateMemories(
            pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("x", user_id="u", expiration_date="soon")])
        ),
        INVALID,
        "memories[0].expiration_date",
    )
    await expect_error(
        stub.CreateMemories(pb.CreateMemoriesRequest(memories=[new_memory("x", user_id="u")])), INVALID, "tenant"
    )
    # Nothing of a refused batch is stored.
    batch = [new_memory("good", user_id="u"), new_memory("", user_id="u")]
    await expect_error(stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=batch)), INVALID)
    listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, show_expired=True)))
    assert listed.total_count == 0


async def test_duplicate_id_is_already_exists_and_typed_errors_reach_clients(stub, tenant):
    (memory,) = await create(stub, tenant, new_memory("x", user_id="u"))
    await expect_error(
        stub.CreateMemories(
            pb.CreateMemoriesRequest(tenant=tenant, memories=[new_memory("y", user_id="u", memory_id=memory.id)])
        ),
        grpc.StatusCode.ALREADY_EXISTS,
        memory.id,
    )
    try:
        await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, page_size=5000)))
    except InvalidArgument as error:
        assert error.field == "page_size"
    else:
        raise AssertionError("page_size=5000 was accepted")


async def test_update_changes_text_hash_metadata_expiry_and_writes_history(stub, tenant):
    (memory,) = await create(
        stub,
        tenant,
        new_memory("likes pizza", user_id="alex", metadata={"a": 1}, expiration_date="2999-01-01"),
        messages=USER_INPUT,
    )
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    response = await call(
        stub.UpdateMemories(
            pb.UpdateMemoriesRequest(
                tenant=tenant,
                patches=[
                    pb.MemoryPatch(
                        memory_id=memory.id,
                        text="loves pizza",
                        metadata=struct({"b": "two"}),
                        clear_expiration_date=True,
                        created_at=timestamp(moment),
                    ),
                    pb.MemoryPatch(memory_id="does-not-exist", text="ghost"),
                ],
                input=[common_pb2.Message(role=common_pb2.ROLE_USER, content="actually I love it", name="alex")],
            )
        )
    )
    assert list(response.previous_texts) == ["likes pizza"]
    (updated,) = response.memories
    assert updated.memory == "loves pizza"
    assert updated.hash == hashlib.md5(b"loves pizza").hexdigest()
    assert dict(updated.metadata) == {"b": "two"}
    assert updated.expiration_date == ""
    # Mem0's `timestamp` on update moves the creation time; updated_at and the history row are "now".
    assert updated.created_at.ToDatetime(tzinfo=UTC) == moment
    assert updated.updated_at.ToDatetime(tzinfo=UTC) > memory.updated_at.ToDatetime(tzinfo=UTC)

    (stored,) = (await call(stub.GetMemories(pb.GetMemoriesRequest(tenant=tenant, memory_ids=[memory.id])))).memories
    assert stored == updated

    history = await call(stub.ListHistory(pb.ListHistoryRequest(tenant=tenant, memory_id=memory.id)))
    add, update = history.entries
    assert add.event == common_pb2.MEMORY_EVENT_ADD and add.new_memory == "likes pizza" and add.old_memory == ""
    assert [(m.content, m.name) for m in add.input] == [("I love pizza", "alex")]
    assert update.event == common_pb2.MEMORY_EVENT_UPDATE
    assert (update.old_memory, update.new_memory) == ("likes pizza", "loves pizza")
    assert update.input[0].content == "actually I love it" and update.actor_id == "alex"
    assert dict(update.metadata) == {"b": "two"} and update.scope.user_id == "alex"
    assert not update.is_deleted


async def test_update_sets_expiry_and_respects_immutable(stub, tenant):
    frozen, loose = await create(
        stub, tenant, new_memory("fixed", user_id="u", immutable=True), new_memory("loose", user_id="u")
    )
    response = await call(
        stub.UpdateMemories(
            pb.UpdateMemoriesRequest(
                tenant=tenant,
                patches=[
                    pb.MemoryPatch(memory_id=frozen.id, text="changed", respect_immutable=True),
                    pb.MemoryPatch(memory_id=loose.id, expiration_date="2031-05-06", respect_immutable=True),
                ],
            )
        )
    )
    assert [m.id for m in response.memories] == [loose.id]
    assert response.memories[0].expiration_date == "2031-05-06" and response.memories[0].memory == "loose"
    # A user edit (respect_immutable unset) may change an immutable memory.
    forced = await call(
        stub.UpdateMemories(
            pb.UpdateMemoriesRequest(tenant=tenant, patches=[pb.MemoryPatch(memory_id=frozen.id, text="changed")])
        )
    )
    assert forced.memories[0].memory == "changed" and forced.memories[0].immutable


async def test_bad_update_is_invalid_argument(stub, tenant):
    (memory,) = await create(stub, tenant, new_memory("x", user_id="u"))
    await expect_error(
        stub.UpdateMemories(
            pb.UpdateMemoriesRequest(tenant=tenant, patches=[pb.MemoryPatch(memory_id=memory.id, text="  ")])
        ),
        INVALID,
        "patches[0].text",
    )
    await expect_error(
        stub.UpdateMemories(
            pb.UpdateMemoriesRequest(
                tenant=tenant, patches=[pb.MemoryPatch(memory_id=memory.id, expiration_date="31/12/2030")]
            )
        ),
        INVALID,
        "patches[0].expiration_date",
    )
    await expect_error(
        stub.UpdateMemories(pb.UpdateMemoriesRequest(tenant=tenant, patches=[pb.MemoryPatch(text="x")])),
        INVALID,
        "patches[0].memory_id",
    )


async def test_delete_by_ids_writes_history_and_hides_the_memory(stub, tenant):
    first, second = await create(stub, tenant, new_memory("one", user_id="u"), new_memory("two", user_id="u"))
    response = await call(
        stub.DeleteMemories(
            pb.DeleteMemoriesRequest(
                tenant=tenant,
                memory_ids=[first.id, "unknown"],
                input=[common_pb2.Message(role=common_pb2.ROLE_USER, content="forget it", name="alex")],
            )
        )
    )
    assert [m.id for m in response.memories] == [first.id]
    # As it was, but for updated_at: the deletion's time (its vector-sync version).
    deleted = response.memories[0]
    assert deleted.updated_at.ToDatetime() > first.updated_at.ToDatetime()
    deleted.updated_at.CopyFrom(first.updated_at)
    assert deleted == first
    got = await call(stub.GetMemories(pb.GetMemoriesRequest(tenant=tenant, memory_ids=[first.id, second.id])))
    assert [m.id for m in got.memories] == [second.id]
    listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, show_expired=True)))
    assert [m.id for m in listed.memories] == [second.id]
    found = await call(stub.FindMemoryIds(pb.FindMemoryIdsRequest(tenant=tenant, show_expired=True)))
    assert list(found.memory_ids) == [second.id]

    history = await call(stub.ListHistory(pb.ListHistoryRequest(tenant=tenant, memory_id=first.id)))
    assert [e.event for e in history.entries] == [common_pb2.MEMORY_EVENT_ADD, common_pb2.MEMORY_EVENT_DELETE]
    deletion = history.entries[1]
    assert deletion.is_deleted and deletion.old_memory == "one" and deletion.new_memory == ""
    assert deletion.input[0].content == "forget it"
    # Deleting again finds nothing.
    again = await call(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, memory_ids=[first.id])))
    assert list(again.memories) == []


async def test_delete_by_filter_ids_and_all(stub, tenant):
    a1, a2, b1, frozen = await create(
        stub,
        tenant,
        new_memory("a1", user_id="alex"),
        new_memory("a2", user_id="alex", expiration_date="2000-01-01"),
        new_memory("b1", user_id="bob"),
        new_memory("frozen", user_id="bob", immutable=True),
    )
    # ids and filter: both must match.
    both = await call(
        stub.DeleteMemories(
            pb.DeleteMemoriesRequest(tenant=tenant, memory_ids=[a1.id, b1.id], filter=filter_of({"user_id": "bob"}))
        )
    )
    assert [m.id for m in both.memories] == [b1.id]
    # A filter alone also deletes expired memories.
    by_filter = await call(
        stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, filter=filter_of({"user_id": "alex"})))
    )
    assert {m.id for m in by_filter.memories} == {a1.id, a2.id}
    # all=true under respect_immutable leaves immutable memories alone.
    kept = await call(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, all=True, respect_immutable=True)))
    assert list(kept.memories) == []
    everything = await call(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, all=True)))
    assert [m.id for m in everything.memories] == [frozen.id]
    listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant, show_expired=True)))
    assert listed.total_count == 0


async def test_empty_delete_is_refused(stub, tenant):
    await create(stub, tenant, new_memory("keep me", user_id="u"))
    await expect_error(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant)), INVALID, "memory_ids")
    listed = await call(stub.ListMemories(pb.ListMemoriesRequest(tenant=tenant)))
    assert listed.total_count == 1


async def test_history_of_unknown_memory_is_not_found(stub, tenant):
    await expect_error(
        stub.ListHistory(pb.ListHistoryRequest(tenant=tenant, memory_id="nope")), grpc.StatusCode.NOT_FOUND, "nope"
    )


async def test_dates_round_trip(stub, tenant):
    created_at = datetime(2021, 6, 7, 8, 9, 10, 123456, tzinfo=UTC)
    (memory,) = await create(
        stub, tenant, new_memory("dated", run_id="r1", created_at=created_at, expiration_date="2040-02-29")
    )
    assert memory.created_at.ToDatetime(tzinfo=UTC) == created_at
    assert date.fromisoformat(memory.expiration_date) == date(2040, 2, 29)
    (stored,) = (await call(stub.GetMemories(pb.GetMemoriesRequest(tenant=tenant, memory_ids=[memory.id])))).memories
    assert stored.created_at.ToDatetime(tzinfo=UTC) == created_at
    assert stored.updated_at == stored.created_at
