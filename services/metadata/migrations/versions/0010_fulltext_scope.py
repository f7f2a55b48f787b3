"""SQLite: the full-text index carries each memory's tenant and entity ids, so a user's search ranks only
that user's matches.

`memory_fts` had one column, `text`, for every tenant: a query word found in 12,000 of 100,000 memories cost
a bm25 pass over all 12,000 before the tenant and user filter threw nearly all of them away (55-70 ms per
search). It gets a second column, `scope`, holding five tokens: `t<hex(org/project)>`, and
`u`/`a`/`x`/`r` + `<hex(org/project/<user|agent|app|run id>)>` (hex: one token per id, whatever characters the
id has). A search pinned to a user matches `scope : "u…" AND text : (…)`, which FTS5 answers by intersecting
doclists and ranks only the intersection (0.4-1.3 ms at 100k). The SQL filter still applies afterwards, so the
tokens only need to be a superset of the right rows. bm25 weighs the `scope` column 0 (fulltext.py).
The query side builds the same tokens in `fulltext.scope_token`; a test checks they agree on awkward ids.
PostgreSQL ranks within the tenant's rows already (the planner starts from the tenant index): nothing to do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TOKENIZER = "tokenize = 'porter unicode61 remove_diacritics 2'"
ENTITY_PREFIXES = (("u", "user_id"), ("a", "agent_id"), ("x", "app_id"), ("r", "run_id"))


def scope_sql(row: str) -> str:
    """The `scope` column's text for the memory row called `row` (`new`, `m`): must match fulltext.scope_token."""
    tenant = f"{row}.org_id || '/' || {row}.project_id"
    tokens = [f"'t' || hex({tenant})"]
    tokens += [
        f"'{prefix}' || hex({tenant} || '/' || coalesce({row}.{column}, ''))" for prefix, column in ENTITY_PREFIXES
    ]
    return " || ' ' || ".join(tokens)


def _triggers(columns: str, values: str, update_set: str, update_of: str) -> list[str]:
    return [
        f"""CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
             INSERT INTO memory_fts_keys (memory_id) VALUES (new.id);
             INSERT INTO memory_fts (rowid, {columns})
               VALUES ((SELECT seq FROM memory_fts_keys WHERE memory_id = new.id), {values});
           END""",
        f"""CREATE TRIGGER memories_fts_update AFTER UPDATE OF {update_of} ON memories BEGIN
             UPDATE memory_fts SET {update_set}
               WHERE rowid = (SELECT seq FROM memory_fts_keys WHERE memory_id = new.id);
           END""",
        """CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
             DELETE FROM memory_fts WHERE rowid = (SELECT seq FROM memory_fts_keys WHERE memory_id = old.id);
             DELETE FROM memory_fts_keys WHERE memory_id = old.id;
           END""",
    ]


DROP_INDEX = [
    "DROP TRIGGER IF EXISTS memories_fts_delete",
    "DROP TRIGGER IF EXISTS memories_fts_update",
    "DROP TRIGGER IF EXISTS memories_fts_insert",
    "DROP TABLE IF EXISTS memory_fts",
]
SQLITE_UP = [
    *DROP_INDEX,
    f"CREATE VIRTUAL TABLE memory_fts USING fts5(text, scope, {TOKENIZER})",
    "INSERT INTO memory_fts (rowid, text, scope)"
    f" SELECT k.seq, m.text, {scope_sql('m')} FROM memory_fts_keys k JOIN memories m ON m.id = k.memory_id",
    *_triggers(
        "text, scope",
        f"new.text, {scope_sql('new')}",
        f"text = new.text, scope = {scope_sql('new')}",
        "text, org_id, project_id, user_id, agent_id, app_id, run_id",
    ),
]
SQLITE_DOWN = [
    *DROP_INDEX,
    f"CREATE VIRTUAL TABLE memory_fts USING fts5(text, {TOKENIZER})",
    "INSERT INTO memory_fts (rowid, text)"
    " SELECT k.seq, m.text FROM memory_fts_keys k JOIN memories m ON m.id = k.memory_id",
    *_triggers("text", "new.text", "text = new.text", "text"),
]


def upgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for statement in SQLITE_DOWN:
            op.execute(statement)
