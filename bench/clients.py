"""The two public surfaces behind one interface: gRPC MemoryService and the Mem0-compatible REST API.

Each method makes exactly one public API call and raises on any failure (gRPC error or HTTP status >= 400).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

import grpc
import httpx
from google.protobuf import struct_pb2

from libs.filters import Condition, FilterNode, Op, conjoin
from libs.filters.proto import filter_to_proto
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb
from memgrid.memory.v1 import memory_service_pb2_grpc as pb_grpc

TIMEOUT_SECONDS = 60.0
FILTER_KINDS = ("user", "user+date", "user+metadata")


def filter_node(kind: str, user_id: str, *, since: datetime, topic: str) -> FilterNode:
    """The search filter of one kind, as the filter AST (what both surfaces translate to)."""
    nodes: list[FilterNode] = [Condition("user_id", Op.EQ, user_id)]
    if kind == "user+date":
        nodes.append(Condition("created_at", Op.GTE, since))
    elif kind == "user+metadata":
        nodes.append(Condition("metadata.topic", Op.EQ, topic))
    elif kind != "user":
        raise ValueError(f"unknown filter kind {kind}")
    node = conjoin(*nodes)
    assert node is not None
    return node


def rest_filters(kind: str, user_id: str, *, since: datetime, topic: str) -> dict[str, Any]:
    """The same filter in the Mem0 v2 JSON filter language."""
    parts: list[dict[str, Any]] = [{"user_id": user_id}]
    if kind == "user+date":
        parts.append({"created_at": {"gte": since.isoformat()}})
    elif kind == "user+metadata":
        parts.append({"metadata": {"topic": topic}})
    return {"AND": parts}


class Surface(Protocol):
    name: str

    async def ping(self) -> None: ...

    async def add(
        self, user_id: str, texts: Sequence[str], metadata: dict[str, Any], timestamp: int | None
    ) -> list[str]: ...

    async def search(self, query: str, kind: str, user_id: str, *, since: datetime, topic: str) -> int: ...

    async def list_page(self, page: int, page_size: int) -> tuple[int, int]: ...

    async def batch_update(self, updates: Sequence[tuple[str, str]]) -> int: ...

    async def batch_delete(self, memory_ids: Sequence[str]) -> int: ...

    async def close(self) -> None: ...


class GrpcSurface:
    """gRPC MemoryService over `channels` channels, used round-robin."""

    name = "grpc"

    def __init__(self, target: str, api_key: str, *, channels: int = 1) -> None:
        self._channels = [grpc.aio.insecure_channel(target) for _ in range(max(1, channels))]
        self._stubs = [pb_grpc.MemoryServiceStub(channel) for channel in self._channels]
        self._next = 0
        self._metadata = (("authorization", f"Token {api_key}"),)

    def _stub(self) -> pb_grpc.MemoryServiceStub:
        self._next = (self._next + 1) % len(self._stubs)
        return self._stubs[self._next]

    async def ping(self) -> None:
        await self._stub().Ping(pb.PingRequest(), metadata=self._metadata, timeout=TIMEOUT_SECONDS)

    async def add(
        self, user_id: str, texts: Sequence[str], metadata: dict[str, Any], timestamp: int | None
    ) -> list[str]:
        meta = struct_pb2.Struct()
        meta.update(metadata)
        request = pb.AddMemoriesRequest(
            messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content=text) for text in texts],
            scope=common_pb2.Scope(user_id=user_id),
            metadata=meta,
            infer=False,
            timestamp=timestamp or 0,
        )
        response = await self._stub().AddMemories(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
        return [change.id for change in response.results]

    async def search(self, query: str, kind: str, user_id: str, *, since: datetime, topic: str) -> int:
        request = pb.SearchMemoriesRequest(
            query=query, filter=filter_to_proto(filter_node(kind, user_id, since=since, topic=topic)), top_k=10
        )
        response = await self._stub().SearchMemories(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
        return len(response.results)

    async def list_page(self, page: int, page_size: int) -> tuple[int, int]:
        request = pb.ListMemoriesRequest(page=page, page_size=page_size)
        response = await self._stub().ListMemories(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
        return len(response.memories), response.total_count

    async def batch_update(self, updates: Sequence[tuple[str, str]]) -> int:
        request = pb.BatchUpdateMemoriesRequest(
            updates=[pb.MemoryUpdate(memory_id=memory_id, text=text) for memory_id, text in updates]
        )
        response = await self._stub().BatchUpdateMemories(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
        return response.updated_count

    async def batch_delete(self, memory_ids: Sequence[str]) -> int:
        request = pb.BatchDeleteMemoriesRequest(memory_ids=list(memory_ids))
        response = await self._stub().BatchDeleteMemories(request, metadata=self._metadata, timeout=TIMEOUT_SECONDS)
        return response.deleted_count

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()


class RestSurface:
    """The Mem0-compatible REST API over one pooled HTTP/1.1 client."""

    name = "rest"

    def __init__(self, base_url: str, api_key: str, *, connections: int = 10) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Token {api_key}"},
            timeout=TIMEOUT_SECONDS,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self._http.request(method, path, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {response.status_code}: {response.text[:200]}")
        return response.json()

    async def ping(self) -> None:
        await self._json("GET", "/v1/ping/")

    async def add(
        self, user_id: str, texts: Sequence[str], metadata: dict[str, Any], timestamp: int | None
    ) -> list[str]:
        body: dict[str, Any] = {
            "messages": [{"role": "user", "content": text} for text in texts],
            "user_id": user_id,
            "metadata": metadata,
            "infer": False,
        }
        if timestamp:
            body["timestamp"] = timestamp
        answer = await self._json("POST", "/v1/memories/", json=body)
        return [item["id"] for item in answer["results"]]

    async def search(self, query: str, kind: str, user_id: str, *, since: datetime, topic: str) -> int:
        body = {"query": query, "filters": rest_filters(kind, user_id, since=since, topic=topic), "top_k": 10}
        answer = await self._json("POST", "/v3/memories/search/", json=body)
        return len(answer["results"])

    async def list_page(self, page: int, page_size: int) -> tuple[int, int]:
        answer = await self._json("POST", "/v3/memories/", params={"page": page, "page_size": page_size}, json={})
        return len(answer["results"]), int(answer["count"])

    async def batch_update(self, updates: Sequence[tuple[str, str]]) -> int:
        body = {"memories": [{"memory_id": memory_id, "text": text} for memory_id, text in updates]}
        return _count_in(await self._json("PUT", "/v1/batch/", json=body))

    async def batch_delete(self, memory_ids: Sequence[str]) -> int:
        body = {"memories": [{"memory_id": memory_id} for memory_id in memory_ids]}
        return _count_in(await self._json("DELETE", "/v1/batch/", json=body))

    async def close(self) -> None:
        await self._http.aclose()


def _count_in(answer: dict[str, Any]) -> int:
    """The number in "Successfully updated N memories"."""
    found = re.search(r"(\d+)", str(answer.get("message", "")))
    return int(found.group(1)) if found else -1
