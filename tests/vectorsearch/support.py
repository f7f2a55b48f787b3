"""Helpers for vectorsearch tests: a running server with a typed stub, and request builders."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from libs.rpc.client import call, open_channel
from libs.rpc.server import StartedService
from memgrid.common.v1 import common_pb2
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as pb
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2_grpc as pb_grpc
from services.vectorsearch.embedder import HashingEmbedder
from services.vectorsearch.server import start_service
from services.vectorsearch.settings import MILVUS_LITE_FILE, VectorSearchSettings
from services.vectorsearch.store import MilvusVectorStore


@dataclass
class RunningVectorSearch:
    service: StartedService
    stub: pb_grpc.VectorSearchServiceStub
    data_dir: Path
    settings: VectorSearchSettings

    async def upsert(self, tenant: common_pb2.Tenant, items: Iterable[pb.VectorItem]) -> int:
        request = pb.UpsertVectorsRequest(tenant=tenant, items=list(items))
        response = await call(self.stub.UpsertVectors(request, timeout=60))
        return response.upserted_count

    async def search(
        self, tenant: common_pb2.Tenant, *queries: str, top_k: int = 10, **fields
    ) -> list[list[tuple[str, float]]]:
        request = pb.SearchVectorsRequest(tenant=tenant, queries=list(queries), top_k=top_k, **fields)
        response = await call(self.stub.SearchVectors(request, timeout=30))
        return [[(hit.memory_id, hit.score) for hit in result.hits] for result in response.results]

    async def delete(self, tenant: common_pb2.Tenant, ids: Iterable[str]) -> int:
        response = await call(self.stub.DeleteVectors(pb.DeleteVectorsRequest(tenant=tenant, memory_ids=list(ids))))
        return response.deleted_count


# Set by `make test-milvus-server`: run these tests against that Milvus server instead of Milvus Lite.
SERVER_URI_ENV = "MEMGRID_TEST_MILVUS_URI"


def server_uri() -> str | None:
    return os.environ.get(SERVER_URI_ENV) or None


on_lite_only = pytest.mark.skipif(server_uri() is not None, reason="exercises Milvus Lite itself")
on_server_only = pytest.mark.skipif(server_uri() is None, reason=f"needs a Milvus server ({SERVER_URI_ENV})")


@dataclass(frozen=True)
class MilvusTarget:
    """Where one test's vectors live: Milvus Lite in a data dir, or its own collection on the test server."""

    uri: str
    collection: str
    lite: bool

    def milvus_settings(self) -> dict[str, str]:
        # Lite keeps the default uri (None: <data_dir>/milvus.db, created on start-up), as `make run` does.
        return {"collection": self.collection} if self.lite else {"uri": self.uri, "collection": self.collection}


def milvus_target(data_dir: Path) -> MilvusTarget:
    uri = server_uri()
    if uri is None:
        return MilvusTarget(str((data_dir / MILVUS_LITE_FILE).resolve()), "memgrid_memories", lite=True)
    # One collection per call keeps tests on the shared server independent of each other.
    return MilvusTarget(uri, f"t_{uuid.uuid4().hex}", lite=False)


def settings_for(data_dir: Path, embedder: str, collection: str | None = None) -> VectorSearchSettings:
    """Settings of a vectorsearch service on port 0; its vectors go to a fresh `milvus_target`."""
    target = milvus_target(data_dir)
    milvus = target.milvus_settings()
    if collection:
        milvus["collection"] = collection
    return VectorSearchSettings(data_dir=data_dir, vectorsearch_port=0, embedder=embedder, milvus=milvus)


@asynccontextmanager
async def running(settings: VectorSearchSettings) -> AsyncIterator[RunningVectorSearch]:
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        stub = pb_grpc.VectorSearchServiceStub(channel)
        yield RunningVectorSearch(service, stub, Path(settings.data_dir), settings)
    finally:
        await channel.close()
        await service.stop(grace=1)


def new_tenant() -> common_pb2.Tenant:
    """A fresh tenant per test, so tests sharing one server never see each other's rows."""
    return common_pb2.Tenant(org_id=f"org-{uuid.uuid4().hex[:8]}", project_id="proj")


def item(
    memory_id: str,
    text: str,
    *,
    user_id: str = "",
    agent_id: str = "",
    app_id: str = "",
    run_id: str = "",
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    categories: Iterable[str] = (),
) -> pb.VectorItem:
    message = pb.VectorItem(
        memory_id=memory_id,
        text=text,
        scope=common_pb2.Scope(user_id=user_id, agent_id=agent_id, app_id=app_id, run_id=run_id),
        categories=list(categories),
    )
    message.created_at.FromDatetime(created_at or datetime(2024, 1, 1, tzinfo=UTC))
    message.updated_at.FromDatetime(updated_at or created_at or datetime(2024, 1, 1, tzinfo=UTC))
    return message


def open_hashing_store(
    uri: str, collection: str, *, lite: bool, consistency_level: str = "Session"
) -> tuple[MilvusVectorStore, HashingEmbedder]:
    """A store opened directly (no service around it) on a collection for the hashing embedder's vectors."""
    embedder = HashingEmbedder()
    store = MilvusVectorStore.open(
        uri=uri,
        token=None,
        collection=collection,
        dim=embedder.dim,
        embedder_name=embedder.name,
        lite=lite,
        consistency_level=consistency_level,
    )
    return store, embedder
