"""Full-text index of memory texts (the lexical side of hybrid search).

SQLite: an FTS5 table `memory_fts` (Porter stemming) whose rowids are the stable integer keys of
`memory_fts_keys` (memory id -> key; `memories` has no integer primary key, and its implicit rowids may change
on VACUUM), kept in sync by triggers on insert, text update and delete of `memories`. Later migrations that
rebuild `memories` (batch mode) drop these triggers with the old table and must create them again.
PostgreSQL: a GIN expression index on to_tsvector('english', text); nothing to keep in sync.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE TABLE memory_fts_keys (seq INTEGER PRIMARY KEY, memory_id VARCHAR(64) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE memory_fts USING fts5(text, tokenize = 'porter unicode61 remove_diacritics 2')",
    "INSERT INTO memory_fts_keys (memory_id) SELECT id FROM memories ORDER BY created_at, id",
    "INSERT INTO memory_fts (rowid, text)"
    " SELECT k.seq, m.text FROM memory_fts_keys k JOIN memories m ON m.id = k.memory_id",
    """CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
         INSERT INTO memory_fts_keys (memory_id) VALUES (new.id);
         INSERT INTO memory_fts (rowid, text)
           VALUES ((SELECT seq FROM memory_fts_keys WHERE memory_id = new.id), new.text);
       END""",
    """CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
         UPDATE memory_fts SET text = new.text
           WHERE rowid = (SELECT seq FROM memory_fts_keys WHERE memory_id = new.id);
       END""",
    """CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
         DELETE FROM memory_fts WHERE rowid = (SELECT seq FROM memory_fts_keys WHERE memory_id = old.id);
         DELETE FROM memory_fts_keys WHERE memory_id = old.id;
       END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS memories_fts_delete",
    "DROP TRIGGER IF EXISTS memories_fts_update",
    "DROP TRIGGER IF EXISTS memories_fts_insert",
    "DROP TABLE IF EXISTS memory_fts",
    "DROP TABLE IF EXISTS memory_fts_keys",
]
POSTGRESQL_UP = ["CREATE INDEX ix_memories_text_fts ON memories USING gin (to_tsvector('english'::regconfig, text))"]
POSTGRESQL_DOWN = ["DROP INDEX IF EXISTS ix_memories_text_fts"]


def upgrade() -> None:
    for statement in POSTGRESQL_UP if op.get_context().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in POSTGRESQL_DOWN if op.get_context().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
