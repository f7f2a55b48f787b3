"""Times every SQL statement into memgrid_dependency_duration_seconds{dependency="db", operation=<verb>}.

SQLAlchemy's cursor events run around each statement's execution; the verb (select, insert, update, delete, ...)
is the only part of the statement kept, so no value or identifier reaches a label.
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from libs.observability.metrics import ServiceMetrics

_STARTED = "memgrid_statement_started"
_VERBS = frozenset({"select", "insert", "update", "delete", "with", "pragma", "begin", "commit", "rollback"})


def statement_verb(statement: str) -> str:
    """The statement's first keyword, lower-cased, or "other"."""
    first = statement.lstrip().split(None, 1)[:1]
    verb = first[0].lower() if first else ""
    return verb if verb in _VERBS else "other"


def time_statements(engine: AsyncEngine, metrics: ServiceMetrics) -> None:
    """Observe the duration of every statement `engine` executes."""
    histogram = metrics.dependency_duration

    # One statement runs at a time on a connection, so one start time per connection is enough.
    def before(conn: sa.Connection, cursor: Any, statement: str, *_: Any) -> None:
        conn.info[_STARTED] = time.perf_counter()

    def after(conn: sa.Connection, cursor: Any, statement: str, *_: Any) -> None:
        started = conn.info.pop(_STARTED, None)
        if started is not None:
            histogram.labels("db", statement_verb(statement), "ok").observe(time.perf_counter() - started)

    def failed(context: sa.engine.ExceptionContext) -> None:
        started = context.connection.info.pop(_STARTED, None) if context.connection is not None else None
        if started is not None and context.statement is not None:
            seconds = time.perf_counter() - started
            histogram.labels("db", statement_verb(context.statement), "error").observe(seconds)

    sa.event.listen(engine.sync_engine, "before_cursor_execute", before)
    sa.event.listen(engine.sync_engine, "after_cursor_execute", after)
    sa.event.listen(engine.sync_engine, "handle_error", failed)
