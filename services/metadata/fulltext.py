"""Full-text ranking of memory texts: the lexical half of hybrid search, on the SQL side.

SQLite: an FTS5 index (`memory_fts`, Porter-stemmed) ranked by its BM25, kept in sync by the triggers of
migration 0005; PostgreSQL: a generated column `text_tsv` = to_tsvector('english', text) with a GIN index
(migration 0014) ranked by ts_rank. Every write path keeps them current. The statement composes with the same
where-clause as every other memory query, so tenancy, entity and metadata filters and expiry apply to the
lexical side exactly as to listing.

SQLite's index is shared by every tenant, so on its own FTS5 would rank every match in the index before the
where-clause keeps one user's. Its `scope` column (migration 0010) holds tokens for the memory's tenant and
entity ids; the MATCH names the tokens the filter pins (`search_scope`), and FTS5 ranks only the memories
carrying them (unless the scope is large and the words rare everywhere: `TextSearchPlanner`). The where-clause
still decides: the tokens narrow, they never widen.

Ranking costs per match, so a search ranks only the query's rarest words, within MATCH_BUDGET matches.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from libs.domain import Tenant
from libs.filters.ast import And, Condition, FilterNode, Op, Or
from services.metadata.models import MemoryRow

FTS_TABLE = "memory_fts"
FTS_KEYS_TABLE = "memory_fts_keys"
PG_TEXT_CONFIG = "english"
MAX_QUERY_TERMS = 32

_WORD = re.compile(r"\w+")
# Words that say nothing about which memory is meant; matching on them only adds noise and work.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves s t d ll m re ve""".split()
)


def query_terms(query: str) -> list[str]:
    """The distinct, lower-cased content words of a query, in order (at most MAX_QUERY_TERMS)."""
    terms = dict.fromkeys(word for word in _WORD.findall(query.lower()) if word not in STOPWORDS)
    return list(terms)[:MAX_QUERY_TERMS]


# The scope token prefix of each entity id (migration 0010 writes the same tokens).
ENTITY_TOKEN_PREFIXES = {"user_id": "u", "agent_id": "a", "app_id": "x", "run_id": "r"}
TENANT_TOKEN_PREFIX = "t"


def scope_token(tenant: Tenant, field: str | None = None, value: str = "") -> str:
    """The `scope` token of a tenant (no field) or of one entity id within it: the prefix and the hex of the
    UTF-8 bytes, as SQLite's hex() writes it in the triggers of migration 0010."""
    if field is None:
        return TENANT_TOKEN_PREFIX + f"{tenant.org_id}/{tenant.project_id}".encode().hex().upper()
    key = f"{tenant.org_id}/{tenant.project_id}/{value}"
    return ENTITY_TOKEN_PREFIXES[field] + key.encode().hex().upper()


@dataclass(frozen=True, slots=True)
class SearchScope:
    """The scope tokens a lexical search matches on (any of them), and the entity ids they stand for: (field,
    value) pairs when the filter pins entities, none when it searches the whole tenant."""

    tokens: tuple[str, ...]
    entities: tuple[tuple[str, str], ...] = ()

    @property
    def pinned(self) -> bool:
        return bool(self.entities)


def search_scope(tenant: Tenant, node: FilterNode | None) -> SearchScope:
    """Tokens that every memory matching `node` in `tenant` carries: those of the entity ids the filter
    requires (an eq/in on user_id, agent_id, app_id or run_id, at the top or under AND; OR when every branch
    pins one), else the tenant's."""
    pinned = _pinned_entities(node) if node is not None else None
    if pinned:
        entities = tuple(dict.fromkeys(pinned))
        return SearchScope(tuple(scope_token(tenant, field, value) for field, value in entities), entities)
    return SearchScope((scope_token(tenant),))


def _pinned_entities(node: FilterNode) -> list[tuple[str, str]] | None:
    if isinstance(node, Condition):
        if node.field not in ENTITY_TOKEN_PREFIXES:
            return None
        if node.op is Op.EQ and isinstance(node.value, str):
            return [(node.field, node.value)]
        if node.op is Op.IN and node.value and all(isinstance(value, str) for value in node.value):
            return [(node.field, value) for value in node.value]
        return None
    if isinstance(node, And):
        return next((pairs for child in node.children if (pairs := _pinned_entities(child))), None)
    if isinstance(node, Or):
        branches = [_pinned_entities(child) for child in node.children]
        return [pair for pairs in branches for pair in pairs] if all(branches) else None
    return None


# About the most matches a lexical search ranks. Ranking costs per match (SQLite: bm25 and the join, ~5 us;
# PostgreSQL: ts_rank re-parses each text, ~6 us), and at 1M memories a common word matches hundreds of thousands:
# a search over an agent's or a project's 1M memories took 0.15-1.6 s on SQLite, 0.08-1.2 s on PostgreSQL. A word
# that common says little about which memory is meant (its IDF is low), and the dense half still ranks by meaning.
MATCH_BUDGET = 5_000
# PostgreSQL: the stored tsvector of each memory's text (migration 0014); ANALYZE keeps its most common lexemes.
PG_TEXT_COLUMN = "text_tsv"


def within_budget(terms: list[str], matches: list[float], budget: int) -> list[str]:
    """The terms to rank, in query order: the rarest first while their `matches` (one count or estimate per term)
    add up to at most `budget`; a term alone over it is never ranked."""
    kept: set[str] = set()
    total = 0.0
    for count, term in sorted(zip(matches, terms, strict=True)):
        if total + count > budget:
            break
        total += count
        kept.add(term)
    return [term for term in terms if term in kept]


@dataclass(frozen=True, slots=True)
class TextQuery:
    """What a lexical search ranks: the query's affordable terms, and the scope tokens its MATCH names (SQLite;
    none: the text alone, and the where-clause keeps the scope's memories)."""

    terms: list[str]
    scope: SearchScope


# PostgreSQL's statistics change only when ANALYZE runs (autovacuum: after a tenth of a table changed); a store
# reads them at most this often (reading pg_stats cost ~3 ms a search).
PG_STATISTICS_SECONDS = 60.0
# Query words whose lexemes a store remembers (the text search configuration never changes).
PG_LEXEMES_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class PgTextStatistics:
    """What PostgreSQL's statistics say of the memories: each most common lexeme's share of them, their number,
    and the statistics of the entity columns (most common values, their shares, null share, distinct values)."""

    lexemes: dict[str, float]
    memories: float
    entities: dict[str, dict[str, Any]]


class TextSearchPlanner:
    """Plans a store's lexical searches: the query words a search ranks within `budget` matches (see
    within_budget), and what SQLite's MATCH names.

    SQLite counts each word's matches among the memories carrying the scope's tokens, stopping past the budget
    (one statement; at 1M memories at most ~1 ms a word, 0.1 ms pinned to a user). Its bm25 computes the IDF of
    every phrase of the MATCH, the scope token's too: a scope of 1M memories cost ~28 ms for that alone. So when
    the scope holds more memories than the budget and the kept words match at most the budget in the whole index
    (counted in a second statement), the MATCH names the text alone: the same scores, 0.1 ms.

    PostgreSQL estimates the counts from its own statistics: a word's share of all memories (the stored tsvector's
    most common lexemes; any other counts as rare) times the memories, times the pinned entities' share of them
    (the entity column's most common values, as the planner estimates an equality), 1 for a tenant-wide search.
    The statistics are read at most every `statistics_max_age` seconds, the lexemes of query words remembered."""

    def __init__(
        self,
        dialect: str,
        *,
        budget: int = MATCH_BUDGET,
        statistics_max_age: float = PG_STATISTICS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dialect = dialect
        self._budget = budget
        self._statistics_max_age = statistics_max_age
        self._clock = clock
        self._statistics: PgTextStatistics | None = None
        self._statistics_read_at = -math.inf
        self._lexemes: dict[str, str] = {}

    async def plan(self, session: AsyncSession, terms: list[str], scope: SearchScope) -> TextQuery:
        if not terms:
            return TextQuery(terms, scope)
        if self._dialect == "postgresql":
            return TextQuery(
                within_budget(terms, await self._estimated_matches(session, terms, scope), self._budget), scope
            )
        *counts, scope_size = await _counted_matches(session, terms, scope.tokens, self._budget)
        kept = within_budget(terms, counts, self._budget)
        if (
            kept
            and scope_size > self._budget
            and sum(await _counted_matches(session, kept, (), self._budget)) <= self._budget
        ):
            return TextQuery(kept, SearchScope(()))
        return TextQuery(kept, scope)

    async def _estimated_matches(self, session: AsyncSession, terms: list[str], scope: SearchScope) -> list[float]:
        statistics = await self._pg_statistics(session)
        if statistics is None:  # never analysed: a young table, every word is affordable
            return [0.0] * len(terms)
        lexemes = await self._lexemes_of(session, terms)
        memories = statistics.memories
        if scope.pinned:
            shares = (entity_share(statistics.entities.get(field), value, memories) for field, value in scope.entities)
            memories *= min(1.0, sum(shares))
        return [statistics.lexemes.get(lexeme, 0.0) * memories for lexeme in lexemes]

    async def _pg_statistics(self, session: AsyncSession) -> PgTextStatistics | None:
        now = self._clock()
        if now - self._statistics_read_at >= self._statistics_max_age:
            elements, frequencies, rows, entities = (
                await session.execute(_PG_STATISTICS, {"column": PG_TEXT_COLUMN, "fields": list(ENTITY_TOKEN_PREFIXES)})
            ).one()
            self._statistics = (
                PgTextStatistics(
                    dict(zip(elements, frequencies, strict=False)),
                    max(float(rows), 0.0),
                    {stats["field"]: stats for stats in entities or []},
                )
                if elements
                else None
            )
            self._statistics_read_at = now
        return self._statistics

    async def _lexemes_of(self, session: AsyncSession, terms: list[str]) -> list[str]:
        missing = [term for term in terms if term not in self._lexemes]
        if missing:
            if len(self._lexemes) + len(missing) > PG_LEXEMES_REMEMBERED:
                self._lexemes.clear()
            rows = await session.execute(_PG_LEXEMES, {"config": PG_TEXT_CONFIG, "terms": missing})
            self._lexemes.update({term: lexemes for term, lexemes in rows})
        return [self._lexemes[term] for term in terms]


def _any_of(items: Sequence[str]) -> str:
    """FTS5 alternatives, each quoted: \\w+ words and hex tokens, never FTS5 query syntax."""
    return " OR ".join(f'"{item}"' for item in items)


def _match(tokens: Sequence[str], words: Sequence[str]) -> str:
    """An FTS5 query: any of `words` in the text, of memories carrying any of the scope `tokens` (if any)."""
    text = f"text : ({_any_of(words)})"
    return f"scope : ({_any_of(tokens)}) AND {text}" if tokens else text


async def _counted_matches(
    session: AsyncSession, terms: list[str], tokens: tuple[str, ...], budget: int
) -> list[float]:
    """Each term's matches among the memories carrying `tokens` (all memories: none), and with tokens, how many
    carry them; every count stops past `budget`."""
    queries = [_match(tokens, [term]) for term in terms] + ([f"scope : ({_any_of(tokens)})"] if tokens else [])
    counts = ", ".join(
        f"(SELECT count(*) FROM (SELECT 1 FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :m{index} LIMIT :cap))"
        for index in range(len(queries))
    )
    parameters = {f"m{index}": query for index, query in enumerate(queries)}
    row = (await session.execute(sa.text(f"SELECT {counts}"), {**parameters, "cap": budget + 1})).one()
    return [float(count) for count in row]


_PG_STATISTICS = sa.text(
    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples,"
    " (SELECT json_agg(json_build_object('field', e.attname, 'values', e.most_common_vals::text::text[],"
    "  'freqs', e.most_common_freqs, 'nulls', e.null_frac, 'distinct', e.n_distinct))"
    "  FROM pg_stats e WHERE e.schemaname = current_schema() AND e.tablename = 'memories'"
    "  AND e.attname = ANY(CAST(:fields AS text[])))"
    " FROM pg_class c LEFT JOIN pg_stats s"
    "  ON s.schemaname = current_schema() AND s.tablename = 'memories' AND s.attname = :column"
    " WHERE c.oid = CAST('memories' AS regclass)"
)
# Each word's lexemes as the stored tsvector has them (none for a stopword; "a b" when the parser splits it).
_PG_LEXEMES = sa.text(
    "SELECT t, array_to_string(tsvector_to_array(to_tsvector(CAST(:config AS regconfig), t)), ' ')"
    " FROM unnest(CAST(:terms AS text[])) AS t"
)


def entity_share(stats: dict[str, Any] | None, value: str, rows: float) -> float:
    """The share of memories whose column holds `value`, estimated from the column's statistics as PostgreSQL's
    planner does for an equality: its frequency if among the most common values, else the rest spread evenly
    over the other distinct values. Without statistics: 1 (assume the entity may hold every memory)."""
    if stats is None:
        return 1.0
    values, freqs = stats["values"] or [], stats["freqs"] or []
    common = dict(zip(values, freqs, strict=False))
    if value in common:
        return float(common[value])
    distinct = float(stats["distinct"] or 0.0)
    distinct = distinct if distinct >= 0 else -distinct * rows  # negative: a share of the rows
    others = distinct - len(values)
    rest = 1.0 - sum(freqs) - (stats["nulls"] or 0.0)
    return max(rest, 0.0) / others if others >= 1 else 0.0


def ranked_ids(dialect: str, query: TextQuery, where: sa.ColumnElement[bool], limit: int) -> sa.Select:
    """(memory id, relevance > 0) of the memories matching any of the query's terms and `where`, best first; on
    SQLite only memories carrying a token of its scope are ranked (`where` must imply it)."""
    if dialect == "postgresql":
        return _postgresql(query.terms, where, limit)
    return _sqlite(query, where, limit)


def _sqlite(query: TextQuery, where: sa.ColumnElement[bool], limit: int) -> sa.Select:
    fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
    keys = sa.table(FTS_KEYS_TABLE, sa.column("seq", sa.Integer), sa.column("memory_id", sa.String))
    match = _match(query.scope.tokens, query.terms)
    # bm25() is negative, more negative is better; the scope column weighs nothing.
    relevance = (-sa.func.bm25(sa.literal_column(FTS_TABLE), 1.0, 0.0)).label("relevance")
    # The matches first, once: joined in one query, SQLite walked a selective index of `where` (user + date
    # range) and ran the whole MATCH again for every row it found (161 ms p95 at 300k memories, 1 s at 1M).
    matches = (
        sa.select(fts.c.rowid.label("seq"), relevance)
        .where(sa.literal_column(FTS_TABLE).op("MATCH")(match))
        .cte("fts_matches")
        .prefix_with("MATERIALIZED")
    )
    return (
        sa.select(MemoryRow.id, matches.c.relevance)
        .select_from(
            matches.join(keys, keys.c.seq == matches.c.seq).join(MemoryRow.__table__, MemoryRow.id == keys.c.memory_id)
        )
        .where(where)
        .order_by(matches.c.relevance.desc(), MemoryRow.id)
        .limit(limit)
    )


def _postgresql(terms: list[str], where: sa.ColumnElement[bool], limit: int) -> sa.Select:
    config = sa.literal_column(f"'{PG_TEXT_CONFIG}'::regconfig")
    document = sa.literal_column(f"{MemoryRow.__tablename__}.{PG_TEXT_COLUMN}")
    query = sa.func.to_tsquery(config, " | ".join(terms))
    relevance = sa.func.ts_rank(document, query).label("relevance")
    return (
        sa.select(MemoryRow.id, relevance)
        .where(document.op("@@")(query), where)
        .order_by(relevance.desc(), MemoryRow.id)
        .limit(limit)
    )
