"""Exact top-k under selective filters, and filter semantics against a plain-Python reference.

Uses the real server with the hashing embedder (settings.embedder="hashing") so thousands of rows load
in a second; the vectors are reproduced in-process for the brute-force comparison.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from pymilvus import MilvusClient

from libs.domain import Memory, Scope
from libs.filters import And, Condition, FilterNode, Not, Op, Or
from libs.filters.proto import filter_to_proto
from memgrid.common.v1 import common_pb2
from services.vectorsearch.embedder import HashingEmbedder
from tests.filter_reference import evaluate
from tests.support.milvus_server import seal_and_index

from .support import RunningVectorSearch, item, on_server_only

WORDS = (
    "apple banana cherry dog eagle forest guitar harbor island jungle kettle lemon mountain "
    "night ocean piano quartz river sunset tiger umbrella violin winter yellow zebra coffee "
    "tea running hiking painting reading chess movies travel paris tokyo berlin"
).split()
USERS = 100
ROWS = 2000
BASE = datetime(2024, 1, 1, tzinfo=UTC)


def random_text(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, rng.randint(3, 7)))


@pytest.fixture(scope="module")
async def corpus(hashing_server: RunningVectorSearch) -> dict[str, Any]:
    """2,000 rows over 100 users in one tenant, with random agents, dates and categories."""
    rng = random.Random(7)
    tenant = common_pb2.Tenant(org_id=f"exact-{uuid.uuid4().hex[:6]}", project_id="p")
    rows: list[dict[str, Any]] = []
    for index in range(ROWS):
        rows.append(
            {
                "id": f"row-{index:05d}-{tenant.org_id}",
                "text": random_text(rng),
                "user_id": f"user-{rng.randrange(USERS)}",
                "agent_id": rng.choice(["", "", "planner", "helper"]),
                "run_id": rng.choice(["", "r1", "r2"]),
                "created_at": BASE + timedelta(hours=rng.randrange(24 * 90)),
                "categories": rng.sample(["food", "sport", "travel", "work"], rng.randint(0, 2)),
            }
        )
    started = time.perf_counter()
    for offset in range(0, ROWS, 500):
        batch = rows[offset : offset + 500]
        await hashing_server.upsert(
            tenant,
            [
                item(
                    row["id"],
                    row["text"],
                    user_id=row["user_id"],
                    agent_id=row["agent_id"],
                    run_id=row["run_id"],
                    created_at=row["created_at"],
                    categories=row["categories"],
                )
                for row in batch
            ],
        )
    print(f"\nupserted {ROWS} rows in {time.perf_counter() - started:.2f} s")
    embedder = HashingEmbedder()
    matrix = np.array(embedder.embed([row["text"] for row in rows]), dtype=np.float64)
    return {"tenant": tenant, "rows": rows, "matrix": matrix, "embedder": embedder}


def brute_force(corpus: dict[str, Any], query: str, mask: list[bool], k: int) -> list[tuple[str, float]]:
    vector = np.array(corpus["embedder"].embed([query])[0], dtype=np.float64)
    scores = np.clip(corpus["matrix"] @ vector, 0.0, 1.0)
    ranked = sorted(
        ((corpus["rows"][i]["id"], float(scores[i])) for i in range(len(mask)) if mask[i]),
        key=lambda pair: -pair[1],
    )
    return ranked[:k]


async def test_exact_top_k_for_one_user(hashing_server: RunningVectorSearch, corpus: dict[str, Any]) -> None:
    await assert_exact_top_k_for_one_user(hashing_server, corpus, "user-42")


@on_server_only
async def test_exact_top_k_for_one_user_on_sealed_hnsw_segments(
    hashing_server: RunningVectorSearch, corpus: dict[str, Any]
) -> None:
    """The server's steady state: every row in a sealed segment searched through its HNSW index."""
    client = MilvusClient(uri=hashing_server.settings.milvus_uri())
    try:
        await asyncio.to_thread(seal_and_index, client, hashing_server.settings.milvus.collection, ROWS, 180)
    finally:
        client.close()
    for user in ("user-42", "user-7", "user-77"):
        await assert_exact_top_k_for_one_user(hashing_server, corpus, user)


async def assert_exact_top_k_for_one_user(
    hashing_server: RunningVectorSearch, corpus: dict[str, Any], user: str
) -> None:
    query = "hiking in the mountain forest at sunset"
    mask = [row["user_id"] == user for row in corpus["rows"]]
    assert 5 < sum(mask) < 60  # selective: about 1% of the rows
    node = filter_to_proto(Condition("user_id", Op.EQ, user))
    await hashing_server.search(corpus["tenant"], query, top_k=10, filter=node)  # warm-up
    latencies = []
    for _ in range(20):
        started = time.perf_counter()
        [hits] = await hashing_server.search(corpus["tenant"], query, top_k=10, filter=node)
        latencies.append((time.perf_counter() - started) * 1000)
    print(f"search p50 at {ROWS} rows, user filter: {sorted(latencies)[10]:.1f} ms")
    ranked = brute_force(corpus, query, mask, 11)
    expected = ranked[:10]
    assert len(hits) == 10
    # Same scores in the same order (robust to ties), and every id really is a match of the filter.
    assert [score for _, score in hits] == pytest.approx([score for _, score in expected], abs=1e-5)
    allowed = {row["id"] for row, keep in zip(corpus["rows"], mask, strict=True) if keep}
    assert {memory_id for memory_id, _ in hits} <= allowed
    # Without a tie at the cut-off the ids must be exactly the brute-force ones (user-42 has none).
    if ranked[9][1] - ranked[10][1] > 1e-5 or user == "user-42":
        assert ranked[9][1] - ranked[10][1] > 1e-5
        assert {memory_id for memory_id, _ in hits} == {memory_id for memory_id, _ in expected}


async def test_exact_top_k_unfiltered_and_batched(hashing_server: RunningVectorSearch, corpus: dict[str, Any]) -> None:
    queries = ["coffee and tea in paris", "chess piano violin", "zebra tiger jungle"]
    results = await hashing_server.search(corpus["tenant"], *queries, top_k=25)
    assert len(results) == 3
    for query, hits in zip(queries, results, strict=True):
        expected = brute_force(corpus, query, [True] * ROWS, 25)
        assert [score for _, score in hits] == pytest.approx([score for _, score in expected], abs=1e-5)


# --- filter semantics against a plain-Python reference evaluator --------------------------------


def reference(node: FilterNode, row: dict[str, Any]) -> bool:
    """The shared plain-Python reference evaluator (tests/filter_reference.py) on one corpus row."""
    memory = Memory(
        id=row["id"],
        memory=row["text"],
        hash="",
        scope=Scope(**{name: row.get(name) or None for name in ("user_id", "agent_id", "app_id", "run_id")}),
        metadata=None,
        categories=list(row["categories"]),
        immutable=False,
        expiration_date=None,
        created_at=row["created_at"],
        updated_at=row.get("updated_at") or row["created_at"],
    )
    return evaluate(node, memory)


def random_condition(rng: random.Random, rows: list[dict[str, Any]]) -> Condition:
    field = rng.choice(["user_id", "agent_id", "run_id", "created_at", "categories", "memory_ids"])
    if field == "user_id":
        op = rng.choice([Op.EQ, Op.NE, Op.IN, Op.NIN, Op.EXISTS])
        users = tuple(f"user-{rng.randrange(USERS)}" for _ in range(rng.randint(1, 30)))
        return Condition(field, op, None if op is Op.EXISTS else users if op in (Op.IN, Op.NIN) else users[0])
    if field in ("agent_id", "run_id"):
        choices = ["planner", "helper", "nobody"] if field == "agent_id" else ["r1", "r2", "r3"]
        op = rng.choice([Op.EQ, Op.NE, Op.IN, Op.NIN, Op.EXISTS])
        picked = tuple(rng.sample(choices, rng.randint(1, 2)))
        return Condition(field, op, None if op is Op.EXISTS else picked if op in (Op.IN, Op.NIN) else picked[0])
    if field == "created_at":
        op = rng.choice([Op.EQ, Op.NE, Op.GT, Op.GTE, Op.LT, Op.LTE])
        moment = (
            rng.choice(rows)["created_at"] if op in (Op.EQ, Op.NE) else BASE + timedelta(hours=rng.randrange(24 * 90))
        )
        return Condition(field, op, moment)
    if field == "categories":
        op = rng.choice([Op.EQ, Op.CONTAINS, Op.NE, Op.IN, Op.NIN, Op.EXISTS])
        picked = tuple(rng.sample(["food", "sport", "travel", "work", "none"], rng.randint(1, 2)))
        return Condition(field, op, None if op is Op.EXISTS else picked if op in (Op.IN, Op.NIN) else picked[0])
    return Condition("memory_ids", Op.IN, tuple(row["id"] for row in rng.sample(rows, rng.randint(1, 300))))


def random_filter(rng: random.Random, rows: list[dict[str, Any]], depth: int = 0) -> FilterNode:
    if depth >= 2 or rng.random() < 0.4:
        return random_condition(rng, rows)
    kind = rng.choice([And, Or, Not])
    return kind(tuple(random_filter(rng, rows, depth + 1) for _ in range(rng.randint(1, 3))))


async def test_random_filters_match_reference(hashing_server: RunningVectorSearch, corpus: dict[str, Any]) -> None:
    rng = random.Random(11)
    rows = corpus["rows"]
    # Restrict to a slice of rows so top_k=1000 returns every match.
    sample = rng.sample(rows, 600)
    candidate_ids = [row["id"] for row in sample]
    checked_nonempty = 0
    for _ in range(40):
        node = random_filter(rng, rows)
        expected = {row["id"] for row in sample if reference(node, row)}
        [hits] = await hashing_server.search(
            corpus["tenant"],
            "apple",
            top_k=1000,
            filter=filter_to_proto(node),
            candidate_ids=candidate_ids,
            restrict_to_candidates=True,
        )
        assert {memory_id for memory_id, _ in hits} == expected, node
        checked_nonempty += bool(expected)
    assert checked_nonempty >= 10


@on_server_only
async def test_exact_top_k_for_one_user_among_many_fresh_rows(hashing_server: RunningVectorSearch) -> None:
    """Rows still in growing segments (never flushed): exact only with the server's interim index off, as
    tests/support/with_milvus_server.sh and the README's server set-up have it."""
    rng = random.Random(23)
    tenant = common_pb2.Tenant(org_id=f"fresh-{uuid.uuid4().hex[:6]}", project_id="p")
    users = 1000
    rows = [
        (f"fresh-{index}-{tenant.org_id}", random_text(rng), f"user-{rng.randrange(users)}") for index in range(20_000)
    ]
    for offset in range(0, len(rows), 5000):
        batch = rows[offset : offset + 5000]
        await hashing_server.upsert(tenant, [item(memory_id, text, user_id=user) for memory_id, text, user in batch])
    embedder = HashingEmbedder()
    matrix = np.array(embedder.embed([text for _, text, _ in rows]), dtype=np.float64)
    for user in ("user-1", "user-500", "user-999"):
        query = random_text(rng)
        mask = np.array([row_user == user for _, _, row_user in rows])
        scores = np.clip(matrix @ np.array(embedder.embed([query])[0]), 0.0, 1.0)[mask]
        expected = sorted(scores.tolist(), reverse=True)[:10]
        node = filter_to_proto(Condition("user_id", Op.EQ, user))
        [hits] = await hashing_server.search(tenant, query, top_k=10, filter=node)
        assert [score for _, score in hits] == pytest.approx(expected, abs=1e-5), user
