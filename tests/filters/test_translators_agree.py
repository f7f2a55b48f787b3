"""Property: for random filters over the fields both stores hold, the SQL translator (metadata) and the
Milvus translator (vectorsearch) select exactly what the plain-Python reference evaluator selects.

One random corpus is written to real SQLite and PostgreSQL (the SQL side is parametrised by backend) and to a
real Milvus Lite collection; hypothesis then draws filters (AND / OR / NOT nested, every operator the vector
store evaluates) and compares all three.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libs.domain import Memory, Scope, Tenant, VectorRecord
from libs.filters import VECTOR_FILTER_OPS, And, Condition, FilterNode, Not, Op, Or
from services.metadata.models import Base, MemoryRow
from services.metadata.sql_filters import SqlFilterTranslator
from services.vectorsearch.embedder import HashingEmbedder
from services.vectorsearch.models import StoredVector
from services.vectorsearch.store import MilvusVectorStore
from tests.conftest import BACKENDS, fresh_sync_engine
from tests.filter_reference import evaluate

TENANT = Tenant(org_id="agree", project_id="p")
IDS = ["alex", "bea", "Bea", "cy"]
CATEGORIES = ["food", "travel", "work", "Food"]
BASE = datetime(2024, 3, 1, tzinfo=UTC)
MOMENTS = [BASE + timedelta(days=day) for day in range(6)]
ROWS = 150


def _corpus() -> list[Memory]:
    rng = random.Random(2026)
    memories = []
    for index in range(ROWS):
        created = rng.choice(MOMENTS)
        scope = Scope(**{name: rng.choice([*IDS, None]) for name in ("user_id", "agent_id", "app_id", "run_id")})
        if scope.is_empty():
            scope = Scope(user_id="alex")
        memories.append(
            Memory(
                id=f"m{index:03d}",
                memory=f"memory {index}",
                hash="",
                scope=scope,
                metadata=None,
                categories=rng.sample(CATEGORIES, rng.randint(0, 2)),
                immutable=False,
                expiration_date=None,
                created_at=created,
                updated_at=created + timedelta(hours=rng.randint(0, 72)),
            )
        )
    return memories


CORPUS = _corpus()


def _leaf(field: str, operand: st.SearchStrategy) -> st.SearchStrategy[Condition]:
    def build(op: Op, value: object, values: list[object]) -> Condition:
        if op is Op.EXISTS:
            return Condition(field, op)
        if op in (Op.IN, Op.NIN):
            return Condition(field, op, tuple(values))
        return Condition(field, op, value)

    ops = sorted(VECTOR_FILTER_OPS[field] - ({Op.EQ, Op.NE} if field == "memory_ids" else set()))
    return st.builds(build, st.sampled_from(ops), operand, st.lists(operand, min_size=1, max_size=3))


leaves = st.one_of(
    *[_leaf(name, st.sampled_from(IDS)) for name in ("user_id", "agent_id", "app_id", "run_id")],
    _leaf("created_at", st.sampled_from(MOMENTS)),
    _leaf("updated_at", st.sampled_from([*MOMENTS, BASE + timedelta(days=2, hours=5)])),
    _leaf("categories", st.sampled_from(CATEGORIES)),
    _leaf("memory_ids", st.sampled_from([m.id for m in CORPUS[:20]])),
)
filters = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda nodes: And(tuple(nodes))),
        st.lists(children, min_size=1, max_size=3).map(lambda nodes: Or(tuple(nodes))),
        st.lists(children, min_size=1, max_size=2).map(lambda nodes: Not(tuple(nodes))),
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module", params=BACKENDS)
def sql(request: pytest.FixtureRequest) -> Iterator[tuple[sa.Engine, SqlFilterTranslator]]:
    engine = fresh_sync_engine(request.param, request)
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(MemoryRow),
            [
                {
                    "id": m.id,
                    "org_id": TENANT.org_id,
                    "project_id": TENANT.project_id,
                    "user_id": m.scope.user_id,
                    "agent_id": m.scope.agent_id,
                    "app_id": m.scope.app_id,
                    "run_id": m.scope.run_id,
                    "text": m.memory,
                    "hash": "",
                    "categories": m.categories,
                    "immutable": False,
                    "created_at": m.created_at,
                    "updated_at": m.updated_at,
                }
                for m in CORPUS
            ],
        )
    yield engine, SqlFilterTranslator(engine.dialect.name)
    engine.dispose()


@pytest.fixture(scope="module")
def milvus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusVectorStore]:
    embedder = HashingEmbedder()
    path: Path = tmp_path_factory.mktemp("agree") / "milvus.db"
    store = MilvusVectorStore.open(
        uri=str(path),
        token=None,
        collection="agree",
        dim=embedder.dim,
        embedder_name=embedder.name,
        lite=True,
        consistency_level="Session",
    )
    records = [VectorRecord(m.id, m.memory, m.scope, m.created_at, m.updated_at, list(m.categories)) for m in CORPUS]
    vectors = embedder.embed([m.memory for m in CORPUS])
    asyncio.run(store.upsert(TENANT, [StoredVector(r, v) for r, v in zip(records, vectors, strict=True)]))
    yield store
    asyncio.run(store.close())


def _sql_ids(sql: tuple[sa.Engine, SqlFilterTranslator], node: FilterNode) -> set[str]:
    engine, translator = sql
    with engine.connect() as connection:
        return set(connection.scalars(sa.select(MemoryRow.id).where(translator.translate(node))))


def _milvus_ids(store: MilvusVectorStore, node: FilterNode) -> set[str]:
    search = store.compile_search(TENANT, node, None)
    [hits] = asyncio.run(store.search(search, [HashingEmbedder().embed(["memory"])[0]], 1000))
    return {hit.memory_id for hit in hits}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(node=filters)
def test_sql_and_milvus_select_what_the_reference_selects(
    sql: tuple[sa.Engine, SqlFilterTranslator], milvus: MilvusVectorStore, node: FilterNode
) -> None:
    expected = {m.id for m in CORPUS if evaluate(node, m)}
    assert _sql_ids(sql, node) == expected, node
    assert _milvus_ids(milvus, node) == expected, node
