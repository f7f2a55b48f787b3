"""Which searches read Session on a Milvus server: those a recent write of this process could answer.

The policy (services/vectorsearch/freshness.py) with a fake clock, then the store on a real server: a user's
search right after that user's upsert reads Session and finds the row; another user's search reads Bounded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from libs.domain import Scope, Tenant, VectorRecord
from libs.filters import And, Condition, Not, Op, Or, pinned_values
from services.vectorsearch.embedder import HashingEmbedder
from services.vectorsearch.freshness import RecentWrites
from services.vectorsearch.models import StoredVector
from services.vectorsearch.store import MilvusVectorStore

from .support import on_server_only, open_hashing_store, server_uri

ACME = Tenant(org_id="acme", project_id="p1")
OTHER = Tenant(org_id="other", project_id="p1")
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def user(user_id: str) -> Condition:
    return Condition("user_id", Op.EQ, user_id)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def recent(clock: Clock) -> RecentWrites:
    return RecentWrites(window_seconds=6.0, clock=clock)


def test_nothing_written_means_no_search_waits(recent: RecentWrites) -> None:
    assert not recent.may_see_recent_write(ACME, None)
    assert not recent.may_see_recent_write(ACME, user("alice"))


def test_an_upsert_concerns_its_users_and_unpinned_searches_of_its_tenant_only(recent: RecentWrites) -> None:
    recent.upserted(ACME, [("m1", "alice"), ("m2", "alice"), ("m3", "")])
    assert recent.may_see_recent_write(ACME, user("alice"))
    assert recent.may_see_recent_write(ACME, None)
    assert recent.may_see_recent_write(ACME, Condition("agent_id", Op.EQ, "bot"))  # rows without a user
    assert not recent.may_see_recent_write(ACME, user("bob"))
    assert not recent.may_see_recent_write(OTHER, user("alice"))
    assert not recent.may_see_recent_write(OTHER, None)


def test_a_search_among_candidate_ids_waits_only_for_writes_of_those_ids(recent: RecentWrites) -> None:
    recent.upserted(ACME, [("m1", "alice"), ("m2", "bob")])
    assert recent.may_see_recent_write(ACME, None, ["m0", "m2"])
    assert not recent.may_see_recent_write(ACME, None, ["m0", "m9"])
    assert not recent.may_see_recent_write(ACME, None, [])
    # The candidates decide, whatever users the filter names.
    assert not recent.may_see_recent_write(ACME, user("alice"), ["m9"])
    assert not recent.may_see_recent_write(OTHER, None, ["m1"])
    recent.deleted(ACME, ["m1"])
    assert recent.may_see_recent_write(ACME, None, ["m9"])


def test_writes_are_forgotten_after_the_window(recent: RecentWrites, clock: Clock) -> None:
    recent.upserted(ACME, [("m1", "alice")])
    clock.now += 5.9
    assert recent.may_see_recent_write(ACME, user("alice"))
    recent.upserted(ACME, [("m2", "bob")])
    clock.now += 0.2
    assert not recent.may_see_recent_write(ACME, user("alice"))
    assert recent.may_see_recent_write(ACME, user("bob"))
    clock.now += 6.0
    assert not recent.may_see_recent_write(ACME, None)


def test_a_delete_names_no_users_so_it_concerns_every_search_of_its_tenant(recent: RecentWrites, clock: Clock) -> None:
    recent.upserted(ACME, [("m1", "alice")])
    clock.now += 3
    recent.deleted(ACME, ["m1"])
    assert recent.may_see_recent_write(ACME, user("bob"))
    assert not recent.may_see_recent_write(OTHER, user("bob"))
    clock.now += 4  # past the upsert's window, inside the delete's
    assert recent.may_see_recent_write(ACME, user("carol"))
    clock.now += 3
    assert not recent.may_see_recent_write(ACME, user("carol"))


def test_the_ids_deleted_in_a_tenant_are_named_for_the_window(recent: RecentWrites, clock: Clock) -> None:
    assert recent.deleted_ids(ACME) == []
    recent.deleted(ACME, ["m1", "m2"])
    clock.now += 3
    recent.deleted(ACME, ["m3"])
    recent.deleted(OTHER, ["o1"])
    recent.upserted(ACME, [("m4", "alice")])
    assert recent.deleted_ids(ACME) == ["m1", "m2", "m3"]
    assert recent.deleted_ids(OTHER) == ["o1"]
    clock.now += 3.5  # past m1's and m2's window
    assert recent.deleted_ids(ACME) == ["m3"]
    clock.now += 3
    assert recent.deleted_ids(ACME) == [] and recent.deleted_ids(OTHER) == []


def test_past_the_cap_a_delete_is_not_left_out_by_id(clock: Clock) -> None:
    recent = RecentWrites(clock=clock, max_deleted_ids=3)
    assert recent.deleted(ACME, ["m1", "m2"])
    assert not recent.deleted(ACME, ["m3", "m4"])  # 4 > 3: the caller must make the deletion visible itself
    assert recent.deleted_ids(ACME) == ["m1", "m2"]
    assert recent.may_see_recent_write(ACME, user("bob"))  # the tenant's searches still read Session
    assert recent.deleted(OTHER, ["o1", "o2", "o3"])
    clock.now += 7
    assert recent.deleted(ACME, ["m5", "m6", "m7"])


def test_the_users_a_filter_pins() -> None:
    dated = Condition("created_at", Op.GTE, SINCE)
    assert pinned_values(None, "user_id") is None
    assert pinned_values(user("alice"), "user_id") == {"alice"}
    assert pinned_values(Condition("user_id", Op.IN, ("alice", "bob")), "user_id") == {"alice", "bob"}
    assert pinned_values(And((user("alice"), dated)), "user_id") == {"alice"}
    assert pinned_values(And((Condition("user_id", Op.IN, ("alice", "bob")), user("bob"))), "user_id") == {"bob"}
    assert pinned_values(And((dated, Condition("agent_id", Op.EQ, "bot"))), "user_id") is None
    # Anything else may reach other users' rows: not pinned.
    assert pinned_values(Or((user("alice"), user("bob"))), "user_id") is None
    assert pinned_values(Not((user("alice"),)), "user_id") is None
    assert pinned_values(Condition("user_id", Op.NE, "alice"), "user_id") is None
    assert pinned_values(Condition("user_id", Op.EXISTS), "user_id") is None
    assert pinned_values(Condition("user_id", Op.IN, ("alice", 7)), "user_id") is None  # 7 is matched as "7"


def _row(memory_id: str, user_id: str, embedder: HashingEmbedder) -> StoredVector:
    text = f"{user_id} keeps notes about gardening"
    record = VectorRecord(memory_id, text, Scope(user_id=user_id), SINCE, SINCE, [])
    return StoredVector(record, embedder.embed([text])[0])


def _open(uri: str, consistency_level: str) -> tuple[MilvusVectorStore, HashingEmbedder]:
    return open_hashing_store(uri, f"t_{uuid.uuid4().hex}", lite=False, consistency_level=consistency_level)


@on_server_only
async def test_on_a_server_only_searches_a_recent_write_could_answer_read_session() -> None:
    store, embedder = _open(str(server_uri()), "Session")
    tenant = Tenant(org_id=f"fresh-{uuid.uuid4().hex[:6]}", project_id="p")
    try:
        assert store.compile_search(tenant, user("alice"), None).consistency_level == "Bounded"
        for round_ in range(5):
            await store.upsert(tenant, [_row(f"alice-{round_}", "alice", embedder)])
            search = store.compile_search(tenant, user("alice"), None)
            assert search.consistency_level == "Session"
            # Read-your-writes: the row written just now is found at once, every round.
            [hits] = await store.search(search, embedder.embed(["gardening notes"]), 10)
            assert {hit.memory_id for hit in hits} == {f"alice-{i}" for i in range(round_ + 1)}
        assert store.compile_search(tenant, user("bob"), None).consistency_level == "Bounded"
        assert store.compile_search(tenant, None, None).consistency_level == "Session"
        assert store.compile_search(tenant, None, ["alice-4", "bob-1"]).consistency_level == "Session"
        assert store.compile_search(tenant, None, ["bob-1"]).consistency_level == "Bounded"
        await store.delete(tenant, ["alice-0"])
        assert store.compile_search(tenant, user("bob"), None).consistency_level == "Session"
    finally:
        await store.close()


@on_server_only
@pytest.mark.parametrize("consistency_level", ["Session", "Bounded"])
async def test_on_a_server_a_deleted_row_is_gone_from_the_next_search_without_a_strong_read(
    consistency_level: str,
) -> None:
    """Milvus 2.3 gives a delete no timestamp, so no read waits for it: the store leaves the ids it deleted out
    of its searches (the Strong read it made after every delete is gone)."""
    store, embedder = _open(str(server_uri()), consistency_level)
    levels: list[str] = []
    query = store._client.query

    def recorded(*args: Any, **kwargs: Any) -> Any:
        levels.append(kwargs.get("consistency_level", ""))
        return query(*args, **kwargs)

    store._client.query = recorded  # type: ignore[method-assign]
    tenant = Tenant(org_id=f"fresh-{uuid.uuid4().hex[:6]}", project_id="p")
    try:
        await store.upsert(tenant, [_row(f"alice-{i}", "alice", embedder) for i in range(4)])
        for doomed in ("alice-0", "alice-1"):
            await store.delete(tenant, [doomed])
            search = store.compile_search(tenant, user("alice"), None)
            [hits] = await store.search(search, embedder.embed(["gardening notes"]), 10)
            assert doomed not in {hit.memory_id for hit in hits}
        assert "Strong" not in levels
        # Too many deleted ids to leave out by id: the delete makes one Strong read instead.
        store._recent_writes = RecentWrites(max_deleted_ids=1)
        await store.delete(tenant, ["alice-2", "alice-3"])
        assert levels[-1] == "Strong"
        [hits] = await store.search(store.compile_search(tenant, user("alice"), None), embedder.embed(["notes"]), 10)
        assert hits == []
        await store.upsert(tenant, [_row("alice-2", "alice", embedder), _row("alice-3", "alice", embedder)])
        # Settled, after the delete: Session reads see the rows that are left (and Bounded ones, once the
        # upserts are older than the server's gracefulTime).
        search = store.compile_search(tenant, user("alice"), None)
        [hits] = await store.search(search, embedder.embed(["gardening notes"]), 10)
        if consistency_level == "Session":
            assert {hit.memory_id for hit in hits} == {"alice-2", "alice-3"}
        assert {hit.memory_id for hit in hits} <= {"alice-2", "alice-3"}
    finally:
        await store.close()


@on_server_only
async def test_on_a_server_any_other_configured_level_is_used_as_it_is() -> None:
    store, embedder = _open(str(server_uri()), "Strong")
    tenant = Tenant(org_id=f"fresh-{uuid.uuid4().hex[:6]}", project_id="p")
    try:
        await store.upsert(tenant, [_row("alice-0", "alice", embedder)])
        assert store.compile_search(tenant, user("bob"), None).consistency_level == "Strong"
        assert store.compile_search(tenant, user("alice"), None).consistency_level == "Strong"
    finally:
        await store.close()


async def test_milvus_lite_reads_with_the_configured_level_whatever_was_written(tmp_path: Path) -> None:
    store, embedder = open_hashing_store(str(tmp_path / "milvus.db"), "fresh", lite=True)
    try:
        await store.upsert(ACME, [_row("alice-0", "alice", embedder)])
        assert store.compile_search(ACME, user("bob"), None).consistency_level == "Session"
        [hits] = await store.search(store.compile_search(ACME, user("alice"), None), embedder.embed(["notes"]), 5)
        assert [hit.memory_id for hit in hits] == ["alice-0"]
    finally:
        await store.close()
