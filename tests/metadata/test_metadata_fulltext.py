"""SearchText: the full-text index follows every write, ranks by relevance, and obeys tenant and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.domain import NewMemory, Scope, Tenant
from libs.filters.parser import parse_filters
from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from services.metadata import fulltext
from services.metadata.database import create_engine, run_migrations
from services.metadata.store import SqlMetadataStore

from .helpers import expect_error, filter_of, new_memory, query_plans, recorded_statements


async def _create(stub, tenant, *memories: pb.NewMemory) -> list[str]:
    created = await call(stub.CreateMemories(pb.CreateMemoriesRequest(tenant=tenant, memories=list(memories))))
    return [memory.id for memory in created.memories]


async def _search(stub, tenant, query: str, raw_filter: dict | None = None, limit: int = 10) -> list[pb.TextHit]:
    request = pb.SearchTextRequest(tenant=tenant, query=query, limit=limit)
    if raw_filter is not None:
        request.filter.CopyFrom(filter_of(raw_filter))
    return list((await call(stub.SearchText(request))).hits)


async def test_finds_stemmed_words_and_ranks_the_better_match_first(stub, tenant):
    rare, common = await _create(
        stub,
        tenant,
        new_memory("Adopted two rescue greyhounds from the shelter", user_id="u"),
        new_memory("Went hiking with friends in the hills", user_id="u"),
    )
    await _create(stub, tenant, new_memory("Painted a sunrise over the lake", user_id="u"))
    hits = await _search(stub, tenant, "Which greyhound did she adopt when hiking?")
    assert [hit.memory_id for hit in hits] == [rare, common]  # both words of `rare` match (stemmed), one of `common`
    assert hits[0].score > hits[1].score > 0
    # Stopwords alone match nothing.
    assert await _search(stub, tenant, "what did the of") == []


async def test_index_follows_updates_and_deletes(stub, tenant):
    (memory_id,) = await _create(stub, tenant, new_memory("Keeps a pet quokka named Bo", user_id="u"))
    assert [h.memory_id for h in await _search(stub, tenant, "quokka")] == [memory_id]
    patch = pb.MemoryPatch(memory_id=memory_id, text="Keeps a pet wombat named Bo")
    await call(stub.UpdateMemories(pb.UpdateMemoriesRequest(tenant=tenant, patches=[patch])))
    assert await _search(stub, tenant, "quokka") == []
    assert [h.memory_id for h in await _search(stub, tenant, "wombat")] == [memory_id]
    await call(stub.DeleteMemories(pb.DeleteMemoriesRequest(tenant=tenant, memory_ids=[memory_id])))
    assert await _search(stub, tenant, "wombat") == []
    assert await _search(stub, tenant, "Bo") == []


async def test_respects_tenant_and_filters(stub, tenant, other_tenant):
    mine_x, mine_y = await _create(
        stub,
        tenant,
        new_memory("Allergic to hazelnuts", user_id="x", metadata={"kind": "health"}),
        new_memory("Sells hazelnuts at the market", user_id="y", metadata={"kind": "work"}),
    )
    (theirs,) = await _create(stub, other_tenant, new_memory("Hazelnuts everywhere", user_id="x"))
    sibling = common_pb2.Tenant(org_id=tenant.org_id, project_id="sibling")
    assert {h.memory_id for h in await _search(stub, tenant, "hazelnuts")} == {mine_x, mine_y}
    assert [h.memory_id for h in await _search(stub, other_tenant, "hazelnuts")] == [theirs]
    assert await _search(stub, sibling, "hazelnuts") == []
    assert [h.memory_id for h in await _search(stub, tenant, "hazelnuts", {"user_id": "y"})] == [mine_y]
    assert [h.memory_id for h in await _search(stub, tenant, "hazelnuts", {"metadata": {"kind": "health"}})] == [mine_x]
    assert len(await _search(stub, tenant, "hazelnuts", limit=1)) == 1


async def test_expired_memories_only_on_request(stub, tenant):
    (memory_id,) = await _create(
        stub, tenant, new_memory("Old coupon for kumquats", user_id="u", expiration_date="2000-01-01")
    )
    assert await _search(stub, tenant, "kumquats") == []
    request = pb.SearchTextRequest(tenant=tenant, query="kumquats", limit=5, show_expired=True)
    assert [h.memory_id for h in (await call(stub.SearchText(request))).hits] == [memory_id]


async def test_limit_is_checked(stub, tenant):
    for limit in (0, 1001):
        await expect_error(
            stub.SearchText(pb.SearchTextRequest(tenant=tenant, query="x", limit=limit)),
            grpc.StatusCode.INVALID_ARGUMENT,
            "limit",
        )


async def test_query_syntax_is_never_interpreted(stub, tenant):
    (memory_id,) = await _create(stub, tenant, new_memory("Likes NEAR-field radio and AND gates", user_id="u"))
    for query in ('"unbalanced', "NEAR(", "a* OR", "gates)", "col:radio", "-radio ^"):
        hits = await _search(stub, tenant, query)
        assert [h.memory_id for h in hits] in ([], [memory_id]), query


async def test_migrations_index_memories_stored_before_them(database_url: str) -> None:
    """A memory stored at revision 0002 is found after every later migration (0005's index, 0010's scope tokens,
    0014's stored tsvector on PostgreSQL)."""
    engine = create_engine(database_url)
    try:
        await run_migrations(engine, "0002")
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO memories (id, org_id, project_id, user_id, text, hash, categories, immutable,"
                    " created_at, updated_at) VALUES ('m-old', 'o', 'p', 'u', 'Collects vintage typewriters',"
                    " 'h', '[]', false, '2024-01-01 00:00:00', '2024-01-01 00:00:00')"
                )
            )
        await run_migrations(engine)
        store = SqlMetadataStore(engine)
        hits = await store.search_text(Tenant("o", "p"), "typewriter", None, 5)
        assert [memory_id for memory_id, _ in hits] == ["m-old"] and hits[0][1] > 0
        # 0010 gave it its scope tokens: a search pinned to its user finds it, one pinned elsewhere does not.
        pinned = await store.search_text(Tenant("o", "p"), "typewriter", parse_filters({"user_id": "u"}), 5)
        assert [memory_id for memory_id, _ in pinned] == ["m-old"]
        assert await store.search_text(Tenant("o", "p"), "typewriter", parse_filters({"user_id": "v"}), 5) == []
    finally:
        await engine.dispose()


def test_the_rarest_terms_are_ranked_while_their_matches_fit_the_budget() -> None:
    terms = ["likes", "coffee", "tea", "lisbon"]
    # Rarest first (lisbon 2, tea 10, coffee 30): 2 + 10 fit in 15, coffee would not; query order is kept.
    assert fulltext.within_budget(terms, [43, 30, 10, 2], 15) == ["tea", "lisbon"]
    assert fulltext.within_budget(terms, [43, 30, 10, 2], 85) == terms
    # A term alone over the budget is never ranked, even the only one.
    assert fulltext.within_budget(["likes"], [16], 15) == []
    # Terms without matches cost nothing.
    assert fulltext.within_budget(["zebra", "likes"], [0, 15], 15) == ["zebra", "likes"]


def test_an_entitys_share_of_the_memories_is_estimated_as_postgresqls_planner_does() -> None:
    stats = {"values": ["bot", "u0"], "freqs": [0.9, 0.02], "nulls": 0.05, "distinct": -0.5}
    assert fulltext.entity_share(stats, "bot", 100) == 0.9
    # Not among the most common: the rest (1 - 0.92 - 0.05) over the other 50 - 2 distinct values.
    assert fulltext.entity_share(stats, "u7", 100) == pytest.approx(0.03 / 48)
    assert fulltext.entity_share({"values": None, "freqs": None, "nulls": 0, "distinct": 1000}, "u", 10**6) == 0.001
    # No statistics of the column: the entity may hold every memory.
    assert fulltext.entity_share(None, "u", 100) == 1.0


async def test_words_too_common_to_rank_are_left_out_of_searches_over_many_memories(database_url: str) -> None:
    """Ranking costs per match: at 1M memories a common word matched hundreds of thousands and a project-wide
    search took up to 1.6 s. A search ranks the rarest terms while their matches fit the budget: SQLite counts
    them within the search's scope tokens, PostgreSQL estimates them from its statistics (after ANALYZE). A
    search pinned to an entity with few memories still ranks common words; one with most of them does not."""
    engine = create_engine(database_url)
    try:
        await run_migrations(engine)
        store = SqlMetadataStore(engine, match_budget=15)
        tenant = Tenant("o", "p")
        texts = [f"likes coffee number {n}" for n in range(30)] + [f"likes tea number {n}" for n in range(10)]
        await store.create_memories(
            tenant,
            [
                NewMemory(id=f"m{n}", text=text, scope=Scope(user_id=f"u{n % 4}", agent_id="bot"))
                for n, text in enumerate(texts)
            ]
            + [NewMemory(id=f"solo{n}", text=f"likes coffee solo {n}", scope=Scope(user_id="solo")) for n in range(3)],
        )
        tea = {f"m{n}" for n in range(30, 40)}
        solo = parse_filters({"user_id": "solo"})
        if engine.dialect.name == "postgresql":
            # No statistics yet (43 rows are below autovacuum's threshold): a young table ranks every term.
            assert len(await store.search_text(tenant, "likes tea", None, 100)) == 43
            async with engine.begin() as connection:
                await connection.execute(sa.text("ANALYZE memories"))
            # A store reads the statistics at most once a minute: a new one reads them now.
            store = SqlMetadataStore(engine, match_budget=15)
        # 43 memories like, 33 coffee, 10 tea: only "tea" fits in 15 matches.
        hits = await store.search_text(tenant, "likes tea", None, 100)
        assert {memory_id for memory_id, _ in hits} == tea
        assert await store.search_text(tenant, "likes coffee", None, 100) == []
        # Pinned to an agent that holds most memories: the same as the whole tenant.
        shared = await store.search_text(tenant, "likes tea", parse_filters({"agent_id": "bot"}), 100)
        assert {memory_id for memory_id, _ in shared} == tea
        # Pinned to a user with 3 memories: "likes" and "coffee" still rank there.
        pinned = await store.search_text(tenant, "likes coffee", solo, 100)
        assert {memory_id for memory_id, _ in pinned} == {"solo0", "solo1", "solo2"}
        # The default budget ranks them all.
        everything = await SqlMetadataStore(engine).search_text(tenant, "likes tea", None, 100)
        assert len(everything) == 43 and {memory_id for memory_id, _ in everything[:10]} == tea
    finally:
        await engine.dispose()


# Ids the scope tokens must survive: FTS5 syntax, separators, non-ASCII, the longest id a column holds.
AWKWARD_IDS = ('quote"d AND x', "a/b", "Ünïcode ✓ café", "with space", "x" * 255, "---", "u1", "U1")


async def test_a_pinned_search_ranks_exactly_the_filtered_tenant_ranking(tmp_path: Path) -> None:
    """On SQLite a search pinned to entity ids matches on the memories' scope tokens (migration 0010) before
    the filter: its hits must be exactly the tenant-wide ranking restricted to the filter, same order and
    scores, whatever characters the ids hold and however the filter pins them (eq, in, OR, AND)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await run_migrations(engine)
        store = SqlMetadataStore(engine)
        tenant, sibling = Tenant("o", "p"), Tenant("o", "p/x")
        memories = []
        for n in range(64):
            user, agent = AWKWARD_IDS[n % len(AWKWARD_IDS)], AWKWARD_IDS[(n // 3) % len(AWKWARD_IDS)]
            words = ("apple", "banana", "cherry", "damson")[: 1 + n % 4]
            text = f"{' '.join(words)} note {n}"
            memories.append(
                NewMemory(id=f"m{n}", text=text, scope=Scope(user_id=user, agent_id=agent, run_id=f"r{n % 5}"))
            )
        await store.create_memories(tenant, memories)
        # Project "p/x", user "a/b" gives the same "o/p/x/a/b" token as project "p", user "x/a/b": the token may
        # match it, the filter never does.
        await store.create_memories(sibling, [NewMemory(id="s0", text="apple cherry", scope=Scope(user_id="a/b"))])
        query = "apple cherry damson"
        everything = await store.search_text(tenant, query, None, 1000)
        assert len(everything) == 64
        filters = [
            *({"user_id": user} for user in AWKWARD_IDS),
            {"agent_id": AWKWARD_IDS[2]},
            {"run_id": "r3"},
            {"user_id": {"in": ["a/b", "x" * 255]}},
            {"OR": [{"user_id": "u1"}, {"agent_id": "---"}]},
            {"AND": [{"user_id": "U1"}, {"run_id": "r1"}]},
            {"AND": [{"user_id": "with space"}, {"created_at": {"gte": "2000-01-01"}}]},
            {"user_id": "nobody"},
        ]
        for raw in filters:
            node = parse_filters(raw)
            allowed = set(await store.find_memory_ids(tenant, node))
            expected = [hit for hit in everything if hit[0] in allowed]
            assert await store.search_text(tenant, query, node, 1000) == expected, raw
            assert fulltext.search_scope(tenant, node).pinned, raw
        assert await store.search_text(tenant, query, parse_filters({"user_id": "x/a/b"}), 10) == []
        assert [hit[0] for hit in await store.search_text(sibling, query, parse_filters({"user_id": "a/b"}), 10)] == [
            "s0"
        ]
    finally:
        await engine.dispose()


async def test_sqlite_runs_the_match_once_whatever_index_the_filter_offers(tmp_path: Path) -> None:
    """A user + date filter offers SQLite a selective index (user_id, created_at): joined in one query, it
    walked that index and ran the whole MATCH again for every row found (161 ms p95 at 300k memories, 1 s at
    1M). The matches are computed first, once; every row lookup after them is by key."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await run_migrations(engine)
        store = SqlMetadataStore(engine)
        tenant = Tenant("o", "p")
        start = datetime(2025, 1, 1, tzinfo=UTC)
        await store.create_memories(
            tenant,
            [
                NewMemory(
                    id=f"m{n}",
                    text=f"{('apple', 'banana', 'cherry')[n % 3]} note {n}",
                    scope=Scope(user_id=f"u{n % 4}"),
                    metadata={"k": n % 2},
                    created_at=start + timedelta(days=n),
                )
                for n in range(80)
            ],
        )
        for raw in (
            {"user_id": "u1"},
            {"AND": [{"user_id": "u1"}, {"created_at": {"gte": "2025-02-01"}}]},
            {"AND": [{"user_id": "u1"}, {"metadata": {"k": 1}}]},
            {"metadata": {"k": 1}},
        ):
            node = parse_filters(raw)
            plan = await query_plans(engine, lambda node=node: store.search_text(tenant, "apple cherry", node, 50))
            match_at = next(i for i, line in enumerate(plan) if "memory_fts VIRTUAL TABLE" in line)
            memories_at = [i for i, line in enumerate(plan) if " memories " in f"{line} "]
            assert memories_at and match_at < min(memories_at), (raw, plan)
            assert all("(id=?)" in plan[i] for i in memories_at), (raw, plan)
    finally:
        await engine.dispose()


def test_filters_that_pin_no_entity_search_the_tenant() -> None:
    tenant = Tenant("o", "p")
    for raw in (
        {"metadata": {"k": "v"}},
        {"user_id": {"ne": "u"}},
        {"OR": [{"user_id": "u"}, {"metadata": {"k": 1}}]},
        {"NOT": [{"user_id": "u"}]},
        {"user_id": "*"},
    ):
        scope = fulltext.search_scope(tenant, parse_filters(raw))
        assert scope == fulltext.SearchScope((fulltext.scope_token(tenant),)), raw
    assert fulltext.search_scope(tenant, None).pinned is False


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_postgresql_ranks_the_stored_tsvector_without_parsing_texts(database_url: str) -> None:
    """Migration 0014 stores each text's tsvector: the ranking statement reads it (to_tsvector on every row the
    search read cost ~6 us each: a user's search at 1M memories 7.8-11.2 ms, 1.0-1.1 ms with the stored one)."""
    engine = create_engine(database_url)
    try:
        await run_migrations(engine)
        store = SqlMetadataStore(engine)
        await store.create_memories(
            Tenant("o", "p"), [NewMemory(id="m", text="Collects vintage typewriters", scope=Scope(user_id="u"))]
        )
        with recorded_statements(engine) as statements:
            hits = await store.search_text(Tenant("o", "p"), "typewriter", parse_filters({"user_id": "u"}), 5)
        assert len(hits) == 1 and hits[0][1] > 0
        ranking = [statement for statement, _ in statements if "ts_rank" in statement]
        assert len(ranking) == 1 and "memories.text_tsv" in ranking[0] and "to_tsvector" not in ranking[0]
    finally:
        await engine.dispose()


async def test_a_search_over_many_memories_for_rare_words_matches_the_text_alone(tmp_path: Path) -> None:
    """SQLite's bm25 computes the IDF of every phrase of the MATCH, the scope token's too (~28 ms for a scope of
    1M memories). When the scope holds more memories than the budget and the kept words are rare in the whole
    index, the MATCH names the text alone and the where-clause keeps the scope: same hits, same scores."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")

    async def matches_of(store: SqlMetadataStore, query: str, raw: dict | None, limit: int) -> tuple[list, list[str]]:
        """The hits, and what the ranking statement's MATCH named."""
        with recorded_statements(engine) as statements:
            hits = await store.search_text(tenant, query, None if raw is None else parse_filters(raw), limit)
        named = [
            value
            for statement, parameters in statements
            if "bm25(" in statement
            for value in parameters
            if isinstance(value, str) and "text : " in value
        ]
        return hits, named

    try:
        await run_migrations(engine)
        store = SqlMetadataStore(engine, match_budget=15)
        tenant, other = Tenant("o", "p"), Tenant("o", "q")
        await store.create_memories(
            tenant,
            [
                NewMemory(id=f"m{n}", text=f"likes coffee number {n}", scope=Scope(user_id=f"u{n % 4}"))
                for n in range(40)
            ]
            + [NewMemory(id=f"z{n}", text=f"sailing to Zanzibar {n}", scope=Scope(user_id="u0")) for n in range(2)],
        )
        await store.create_memories(other, [NewMemory(id="q0", text="Zanzibar again", scope=Scope(user_id="u0"))])
        # 42 memories in the tenant (more than 15), "zanzibar" in 3 of the index: the text alone.
        hits, named = await matches_of(store, "zanzibar coffee", None, 10)
        assert named == ['text : ("zanzibar")']
        assert {memory_id for memory_id, _ in hits} == {"z0", "z1"}
        # The scoped MATCH (a budget the tenant is within) ranks them the same.
        scoped, named = await matches_of(SqlMetadataStore(engine, match_budget=100), "zanzibar", None, 10)
        assert scoped == hits and len(named) == 1 and named[0].startswith("scope : (")
        # A scope within the budget (u1: 10 memories) keeps its tokens in the MATCH.
        pinned, named = await matches_of(store, "coffee", {"user_id": "u1"}, 20)
        assert len(pinned) == 10 and len(named) == 1 and named[0].startswith("scope : (")
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_postgresql_statistics_are_read_at_most_once_a_minute(database_url: str) -> None:
    """Reading pg_stats cost ~3 ms a search; the statistics change only when ANALYZE runs. A planner reads them
    again once PG_STATISTICS_SECONDS have passed, and remembers the lexemes of the words it has seen."""
    engine = create_engine(database_url)
    try:
        await run_migrations(engine)
        tenant = Tenant("o", "p")
        await SqlMetadataStore(engine).create_memories(
            tenant, [NewMemory(id=f"m{n}", text=f"likes coffee {n}", scope=Scope(user_id="u")) for n in range(3)]
        )
        async with engine.begin() as connection:
            await connection.execute(sa.text("ANALYZE memories"))
        now = [0.0]
        planner = fulltext.TextSearchPlanner("postgresql", budget=1, clock=lambda: now[0])
        scope = fulltext.search_scope(tenant, None)
        with recorded_statements(engine) as statements:
            async with engine.connect() as connection:
                session = AsyncSession(bind=connection)
                # "coffee" is in all 3 memories, over a budget of 1; "zebra" is not among the common lexemes.
                assert (await planner.plan(session, ["coffee", "zebra"], scope)).terms == ["zebra"]
                assert (await planner.plan(session, ["zebra", "coffee"], scope)).terms == ["zebra"]
                now[0] = fulltext.PG_STATISTICS_SECONDS
                assert (await planner.plan(session, ["coffee"], scope)).terms == []
                await session.close()
        assert sum("pg_stats" in statement for statement, _ in statements) == 2
        assert sum("to_tsvector" in statement for statement, _ in statements) == 1
    finally:
        await engine.dispose()
