"""Property: the SQL translator selects exactly what the plain-Python reference evaluator selects, on SQLite and
on PostgreSQL (each module-scoped engine is parametrised by backend; the test id shows which)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.domain import Memory, Scope
from libs.filters.ast import And, Condition, FilterNode, Not, Op, Or
from services.metadata.models import Base, MemoryRow
from services.metadata.sql_filters import SqlFilterTranslator
from tests.conftest import BACKENDS, fresh_sync_engine
from tests.filter_reference import evaluate

IDS = ["a", "b", "ab", "B"]
CATEGORIES = ["food", "Food", "travel", "work"]
WORDS = ["x", "X", "xy", "abc", ""]
TEXTS = ["I like Pizza", "tea time", "pizza and TEA", "nothing"]
MOMENTS = [datetime(2024, 1, day, 12, tzinfo=UTC) for day in (1, 2, 3)]
DAYS = [date(2024, 1, day) for day in (1, 2, 3)]
METADATA_KEYS = ["metadata.k1", "metadata.k1", "metadata.k2", "metadata.n.k1", "metadata.n"]

# Small pools, so that drawn operands often hit stored values.
SCALARS = [True, False, 0, 1, 2.5, "x", "X", "xy", ""]
scalars = st.sampled_from(SCALARS)
json_values = st.one_of(
    st.none(),
    scalars,
    scalars,
    scalars,
    st.lists(st.sampled_from(["x", "X", "xy", 1]), max_size=3),
    st.fixed_dictionaries({}, optional={"k1": scalars}),
)
metadata = st.one_of(
    st.none(),
    st.fixed_dictionaries({"k1": json_values}, optional={"k2": json_values, "n": json_values}),
)


@st.composite
def memories(draw: st.DrawFn) -> list[Memory]:
    count = draw(st.integers(0, 10))
    result = []
    for index in range(count):
        scope = Scope(**{name: draw(st.sampled_from([*IDS, None])) for name in ("user_id", "agent_id", "run_id")})
        created = draw(st.sampled_from(MOMENTS))
        result.append(
            Memory(
                id=f"m{index}",
                memory=draw(st.sampled_from(TEXTS)),
                hash="",
                scope=scope,
                metadata=draw(metadata),
                categories=draw(st.lists(st.sampled_from(CATEGORIES), max_size=3, unique=True)),
                immutable=False,
                expiration_date=draw(st.sampled_from([*DAYS, None])),
                created_at=created,
                updated_at=created,
            )
        )
    return result


def _leaf(field: str, ops: list[Op], operand: st.SearchStrategy) -> st.SearchStrategy[Condition]:
    def build(op: Op, value: object, values: list[object]) -> Condition:
        if op is Op.EXISTS:
            return Condition(field, op)
        if op in (Op.IN, Op.NIN):
            return Condition(field, op, tuple(values))
        return Condition(field, op, value)

    return st.builds(build, st.sampled_from(ops), operand, st.lists(operand, min_size=1, max_size=3))


ALL_STRING_OPS = [Op.EQ, Op.NE, Op.IN, Op.NIN, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.CONTAINS, Op.ICONTAINS, Op.EXISTS]
ORDER = [Op.EQ, Op.NE, Op.IN, Op.NIN, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.EXISTS]
LIST_OPS = [Op.EQ, Op.NE, Op.IN, Op.NIN, Op.CONTAINS, Op.ICONTAINS, Op.EXISTS]
# Metadata comparisons with a boolean operand are refused for gt/gte/lt/lte, so they draw non-booleans.
metadata_leaf = st.one_of(
    *[
        _leaf(key, [Op.EQ, Op.NE, Op.IN, Op.NIN, Op.CONTAINS, Op.ICONTAINS, Op.EXISTS], scalars)
        for key in METADATA_KEYS
    ],
    *[
        _leaf(key, [Op.GT, Op.GTE, Op.LT, Op.LTE], st.sampled_from([0, 1, 1.5, 2.5, 10**30, -(10**30), *WORDS]))
        for key in METADATA_KEYS
    ],
)
leaves = st.one_of(
    *[_leaf(name, ALL_STRING_OPS, st.sampled_from(IDS)) for name in ("user_id", "agent_id", "run_id")],
    _leaf("categories", LIST_OPS, st.sampled_from(CATEGORIES)),
    _leaf("keywords", LIST_OPS, st.sampled_from(["pizza", "Pizza", "TEA", "time"])),
    _leaf("memory_ids", [Op.IN, Op.NIN], st.sampled_from(["m0", "m1", "m5"])),
    _leaf("created_at", ORDER, st.sampled_from(MOMENTS)),
    _leaf("expiration_date", ORDER, st.sampled_from(MOMENTS)),
    metadata_leaf,
    metadata_leaf,
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


def _empty_engine(request: pytest.FixtureRequest) -> sa.Engine:
    """A synchronous engine on a new database of the backend in request.param, with the models' tables."""
    engine = fresh_sync_engine(request.param, request)
    Base.metadata.create_all(engine)
    return engine


@pytest.fixture(scope="module", params=BACKENDS)
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    engine = _empty_engine(request)
    yield engine
    engine.dispose()


def _row(memory: Memory, tenant: str) -> MemoryRow:
    return MemoryRow(
        id=f"{tenant}-{memory.id}" if tenant != "t" else memory.id,
        org_id=tenant,
        project_id="p",
        user_id=memory.scope.user_id,
        agent_id=memory.scope.agent_id,
        run_id=memory.scope.run_id,
        text=memory.memory,
        hash="",
        metadata_=memory.metadata,
        categories=memory.categories,
        immutable=False,
        expiration_date=memory.expiration_date,
        created_at=memory.created_at,
        updated_at=memory.updated_at,
    )


def _store(engine: sa.Engine, rows: list[Memory]) -> None:
    with engine.begin() as connection:
        connection.execute(sa.delete(MemoryRow))
    with sa.orm.Session(engine) as session, session.begin():
        # The same memories under a second tenant: the tenant clause must keep them out.
        session.add_all([_row(memory, "t") for memory in rows] + [_row(memory, "other") for memory in rows])


def _sql_matches(engine: sa.Engine, node: FilterNode) -> set[str]:
    translator = SqlFilterTranslator(engine.dialect.name)
    with engine.connect() as connection:
        statement = sa.select(MemoryRow.id).where(MemoryRow.org_id == "t", translator.translate(node))
        return set(connection.scalars(statement))


@settings(max_examples=400, deadline=None)
@given(rows=memories(), node=filters)
def test_sql_translator_matches_reference(engine: sa.Engine, rows: list[Memory], node: FilterNode) -> None:
    _store(engine, rows)
    expected = {memory.id for memory in rows if evaluate(node, memory)}
    assert _sql_matches(engine, node) == expected


def _rich_memories() -> list[Memory]:
    """Every pooled value under every metadata key, so that random filters often select something."""
    values: list[object] = [*SCALARS, None, ["x", "X"], ["xy", 1], [], {"k1": "x"}]
    result = []
    for index, value in enumerate(values):
        other = SCALARS[(index * 5 + 3) % len(SCALARS)]
        result.append(
            Memory(
                id=f"r{index}",
                memory=TEXTS[index % len(TEXTS)],
                hash="",
                scope=Scope(
                    user_id=([*IDS, None])[index % 5],
                    agent_id=([*IDS, None])[(index + 2) % 5],
                    run_id=([*IDS, None])[(index + 4) % 5],
                ),
                metadata=None
                if index % 7 == 6
                else {"k1": value, "k2": other, "n": {"k1": other} if index % 2 else value},
                categories=CATEGORIES[index % 4 : index % 4 + index % 3],
                immutable=False,
                expiration_date=([*DAYS, None])[index % 4],
                created_at=MOMENTS[index % 3],
                updated_at=MOMENTS[index % 3],
            )
        )
    return result


@pytest.fixture(scope="module", params=BACKENDS)
def rich_engine(request: pytest.FixtureRequest) -> Iterator[tuple[sa.Engine, list[Memory]]]:
    engine = _empty_engine(request)
    rows = _rich_memories()
    _store(engine, rows)
    yield engine, rows
    engine.dispose()


@settings(max_examples=400, deadline=None)
@given(node=filters)
def test_sql_translator_matches_reference_on_rich_data(
    rich_engine: tuple[sa.Engine, list[Memory]], node: FilterNode
) -> None:
    engine, rows = rich_engine
    expected = {memory.id for memory in rows if evaluate(node, memory)}
    assert _sql_matches(engine, node) == expected
