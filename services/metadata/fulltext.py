"""Full-text ranking of memory texts: the lexical half of hybrid search, on the SQL side.

SQLite: an FTS5 index (`memory_fts`, Porter-stemmed) ranked by its BM25; PostgreSQL: a GIN index on
`to_tsvector('english', text)` ranked by ts_rank. Both are created and kept in sync by migration 0003 (SQLite
triggers; PostgreSQL indexes the expression itself), so every write path keeps them current. The statement
composes with the same where-clause as every other memory query, so tenancy, entity and metadata filters
and expiry apply to the lexical side exactly as to listing.

SQLite's index is shared by every tenant, so on its own FTS5 would rank every match in the index before the
where-clause keeps one user's. Its `scope` column (migration 0010) holds tokens for the memory's tenant and
entity ids; the MATCH names the tokens the filter pins (`search_scope`), and FTS5 ranks only the memories
carrying them. The where-clause still decides: the tokens narrow, they never widen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    """The scope tokens a lexical search matches on (any of them), and whether they pin entities (a few
    memories) or only the tenant (possibly all of a large project)."""

    tokens: tuple[str, ...]
    pinned: bool


def search_scope(tenant: Tenant, node: FilterNode | None) -> SearchScope:
    """Tokens that every memory matching `node` in `tenant` carries: those of the entity ids the filter
    requires (an eq/in on user_id, agent_id, app_id or run_id, at the top or under AND; OR when every branch
    pins one), else the tenant's."""
    pinned = _pinned_tokens(tenant, node) if node is not None else None
    if pinned:
        return SearchScope(tuple(dict.fromkeys(pinned)), pinned=True)
    return SearchScope((scope_token(tenant),), pinned=False)


def _pinned_tokens(tenant: Tenant, node: FilterNode) -> list[str] | None:
    if isinstance(node, Condition):
        if node.field not in ENTITY_TOKEN_PREFIXES:
            return None
        if node.op is Op.EQ and isinstance(node.value, str):
            return [scope_token(tenant, node.field, node.value)]
        if node.op is Op.IN and node.value and all(isinstance(value, str) for value in node.value):
            return [scope_token(tenant, node.field, value) for value in node.value]
        return None
    if isinstance(node, And):
        return next((tokens for child in node.children if (tokens := _pinned_tokens(tenant, child))), None)
    if isinstance(node, Or):
        branches = [_pinned_tokens(tenant, child) for child in node.children]
        return [token for tokens in branches for token in tokens] if all(branches) else None
    return None


# Below this many indexed memories every term is kept (ranking is cheap); above it, see discriminating_terms.
PRUNE_MIN_DOCUMENTS = 1_000


async def discriminating_terms(
    session: AsyncSession, dialect: str, terms: list[str], *, min_documents: int = PRUNE_MIN_DOCUMENTS
) -> list[str]:
    """SQLite: the terms found in at most half of the indexed memories. FTS5's bm25 gives a term in more than
    half of them an IDF of ~0 (log((N - n + 0.5) / (n + 0.5)), floored at 1e-6), so it adds nothing to the
    ranking, yet ranking its matches costs a bm25 pass over all of them (100k memories: ~450 ms for a word
    in every memory, vs ~7 ms to count its matches here). N and n are over the whole index, as in bm25.
    PostgreSQL (ts_rank over an expression index) keeps every term."""
    if dialect == "postgresql" or not terms:
        return terms
    total = int(await session.scalar(sa.text(f"SELECT count(*) FROM {FTS_KEYS_TABLE}")) or 0)
    if total < min_documents:
        return terms
    kept: list[str] = []
    for term in terms:
        matches = await session.scalar(
            sa.text(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :match"), {"match": f'"{term}"'}
        )
        if int(matches or 0) * 2 <= total:
            kept.append(term)
    return kept


def ranked_ids(
    dialect: str, terms: list[str], where: sa.ColumnElement[bool], limit: int, scope: SearchScope
) -> sa.Select:
    """(memory id, relevance > 0) of the memories matching any term and `where`, best first; on SQLite only
    memories carrying a token of `scope` are ranked (`where` must imply it)."""
    if dialect == "postgresql":
        return _postgresql(terms, where, limit)
    return _sqlite(terms, where, limit, scope)


def _sqlite(terms: list[str], where: sa.ColumnElement[bool], limit: int, scope: SearchScope) -> sa.Select:
    fts = sa.table(FTS_TABLE, sa.column("rowid", sa.Integer))
    keys = sa.table(FTS_KEYS_TABLE, sa.column("seq", sa.Integer), sa.column("memory_id", sa.String))
    # \w+ words and hex tokens, quoted: never FTS5 query syntax.
    words = " OR ".join(f'"{term}"' for term in terms)
    scopes = " OR ".join(f'"{token}"' for token in scope.tokens)
    match = f"scope : ({scopes}) AND text : ({words})"
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
    config = sa.literal_column(f"'{PG_TEXT_CONFIG}'::regconfig")  # a literal, so the expression index applies
    document = sa.func.to_tsvector(config, MemoryRow.text)
    query = sa.func.to_tsquery(config, " | ".join(terms))
    relevance = sa.func.ts_rank(document, query).label("relevance")
    return (
        sa.select(MemoryRow.id, relevance)
        .where(document.op("@@")(query), where)
        .order_by(relevance.desc(), MemoryRow.id)
        .limit(limit)
    )
