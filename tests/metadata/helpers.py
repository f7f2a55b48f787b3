"""Request builders and assertions shared by the metadata tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from google.protobuf import struct_pb2, timestamp_pb2

from libs.filters import parse_filters
from libs.filters.proto import filter_to_proto
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb


def new_memory(
    text: str,
    *,
    user_id: str = "",
    agent_id: str = "",
    app_id: str = "",
    run_id: str = "",
    metadata: dict[str, Any] | None = None,
    categories: list[str] | None = None,
    immutable: bool = False,
    expiration_date: str = "",
    created_at: datetime | None = None,
    memory_id: str | None = None,
    actor_id: str = "",
) -> pb.NewMemory:
    message = pb.NewMemory(
        id=memory_id or str(uuid.uuid4()),
        text=text,
        scope=common_pb2.Scope(user_id=user_id, agent_id=agent_id, app_id=app_id, run_id=run_id),
        categories=categories or [],
        immutable=immutable,
        expiration_date=expiration_date,
        actor_id=actor_id,
    )
    if metadata is not None:
        message.metadata.CopyFrom(struct(metadata))
    if created_at is not None:
        message.created_at.CopyFrom(timestamp(created_at))
    return message


def struct(data: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(data)
    return message


def timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def filter_of(raw: dict[str, Any]) -> common_pb2.Filter:
    """The Mem0 JSON filter, parsed by libs.filters and sent as the proto Filter."""
    node = parse_filters(raw)
    assert node is not None
    return filter_to_proto(node)


async def expect_error(pending: Awaitable[Any], code: grpc.StatusCode, *fragments: str) -> str:
    """Await a raw stub call that must fail with `code`; every fragment must appear in the message."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await pending
    assert caught.value.code() == code, caught.value.details()
    details = caught.value.details() or ""
    for fragment in fragments:
        assert fragment in details, details
    return details


@contextlib.contextmanager
def recorded_statements(engine: Any) -> Iterator[list[tuple[str, Any]]]:
    """Every statement run on `engine` (an async engine) inside the block, with its parameters, in order."""
    statements: list[tuple[str, Any]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    sa.event.listen(engine.sync_engine, "before_cursor_execute", grab)
    try:
        yield statements
    finally:
        sa.event.remove(engine.sync_engine, "before_cursor_execute", grab)


async def query_plans(engine: Any, action: Callable[[], Awaitable[Any]]) -> list[str]:
    """EXPLAIN QUERY PLAN (SQLite) of every statement `action()` runs on `engine`, its detail lines in order."""
    with recorded_statements(engine) as statements:
        await action()
    details: list[str] = []
    async with engine.connect() as connection:
        for statement, parameters in statements:
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            details.extend(row[-1] for row in rows)
    return details
