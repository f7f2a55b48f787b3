"""Start-up and restart: data survives on the same data dir; a mismatched collection fails start-up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pymilvus import DataType, MilvusClient

from libs.errors import FailedPrecondition
from libs.filters import Condition, Op
from libs.filters.proto import filter_to_proto
from services.vectorsearch.server import start_service
from services.vectorsearch.settings import VectorSearchSettings

from .support import MilvusTarget, item, milvus_target, new_tenant, on_lite_only, running, settings_for


async def test_data_survives_a_restart(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", "hashing")
    tenant = new_tenant()
    async with running(settings) as server:
        await server.upsert(
            tenant,
            [
                item("keep-1", "rock climbing in the alps", user_id="alex", categories=["sport"]),
                item("keep-2", "vegetarian pasta recipes", user_id="alex"),
                item("gone-1", "rock climbing gear", user_id="alex"),
            ],
        )
        assert await server.delete(tenant, ["gone-1"]) == 1
    assert (tmp_path / "data" / "milvus.db").is_dir() == (settings.milvus.uri is None)
    async with running(settings) as server:
        [hits] = await server.search(tenant, "rock climbing", top_k=10)
        # On a server another process sees a delete once Milvus has applied it, on its time tick (~200-400 ms;
        # the process that deleted leaves the ids out at once): a restart right after may see it a moment later.
        for _ in range(50):
            if settings.milvus.uri is None or "gone-1" not in {memory_id for memory_id, _ in hits}:
                break
            await asyncio.sleep(0.1)
            [hits] = await server.search(tenant, "rock climbing", top_k=10)
        assert [memory_id for memory_id, _ in hits] == ["keep-1", "keep-2"]
        node = filter_to_proto(Condition("categories", Op.CONTAINS, "sport"))
        [hits] = await server.search(tenant, "rock climbing", filter=node)
        assert [memory_id for memory_id, _ in hits] == ["keep-1"]


def create_foreign_collection(target: MilvusTarget, dim: int) -> None:
    from milvus_lite.server_manager import server_manager_instance

    client = MilvusClient(target.uri)
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vector", index_type="FLAT", metric_type="COSINE")
    client.create_collection(target.collection, schema=schema, index_params=index_params)
    client.close()
    if target.lite:
        server_manager_instance.release_server(target.uri)


async def open_and_close_store(target: MilvusTarget, *, dim: int, embedder_name: str) -> None:
    from services.vectorsearch import store

    other = store.MilvusVectorStore.open(
        uri=target.uri, token=None, collection=target.collection, dim=dim, embedder_name=embedder_name, lite=target.lite
    )
    await other.close()


async def test_existing_collection_with_other_dim_fails_start_up(tmp_path: Path) -> None:
    store_dir = tmp_path / "data"
    store_dir.mkdir()
    target = milvus_target(store_dir)
    # A collection with our fields but 8-d vectors.
    await open_and_close_store(target, dim=8, embedder_name="hashing")
    with pytest.raises(FailedPrecondition, match="holds 8-d vectors but the embedder makes 384-d"):
        await start_service(settings_for(store_dir, "hashing", collection=target.collection))
    # The failed start released the data dir: a good configuration can still open it.
    async with running(settings_for(store_dir, "hashing", collection=f"other_{target.collection}")) as server:
        assert await server.upsert(new_tenant(), [item("m1", "text")]) == 1


async def test_collection_without_our_fields_fails_start_up(tmp_path: Path) -> None:
    store_dir = tmp_path / "data"
    store_dir.mkdir()
    target = milvus_target(store_dir)
    create_foreign_collection(target, dim=384)
    with pytest.raises(FailedPrecondition, match="lacks fields"):
        await start_service(settings_for(store_dir, "hashing", collection=target.collection))


async def test_collection_of_another_embedder_fails_start_up(tmp_path: Path) -> None:
    store_dir = tmp_path / "data"
    store_dir.mkdir()
    target = milvus_target(store_dir)
    await open_and_close_store(target, dim=384, embedder_name="other-model")
    with pytest.raises(FailedPrecondition, match="filled by embedder 'other-model', not 'hashing'"):
        await start_service(settings_for(store_dir, "hashing", collection=target.collection))


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEMGRID_MILVUS__URI", "http://milvus:19530")
    monkeypatch.setenv("MEMGRID_MILVUS__COLLECTION", "mems")
    monkeypatch.setenv("MEMGRID_EMBEDDER", "hashing")
    monkeypatch.setenv("MEMGRID_VECTORSEARCH_PORT", "6000")
    settings = VectorSearchSettings()
    assert settings.milvus.uri == "http://milvus:19530"
    assert settings.milvus.collection == "mems"
    assert settings.embedder == "hashing"
    assert settings.vectorsearch_port == 6000
    assert settings.milvus_uri() == "http://milvus:19530"
    assert not settings.uses_milvus_lite()


def test_default_settings_use_milvus_lite_in_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "MEMGRID_MILVUS__URI",
        "MEMGRID_EMBEDDER",
        "MEMGRID_VECTORSEARCH_PORT",
        "MEMGRID_DATA_DIR",
        "MEMGRID_MODELS_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = VectorSearchSettings(data_dir=tmp_path / "nested" / "dir")
    assert settings.vectorsearch_port == 50062
    assert settings.embedder == "minilm-onnx-int8"
    assert settings.model_dir() == tmp_path / "nested" / "dir" / "models"
    assert settings.milvus.collection == "memgrid_memories"
    assert settings.uses_milvus_lite()
    assert settings.milvus_uri() == str((tmp_path / "nested" / "dir" / "milvus.db").resolve())
    assert (tmp_path / "nested" / "dir").is_dir()


@on_lite_only
def test_milvus_lites_alloc_timestamp_traceback_is_filtered(tmp_path, caplog) -> None:
    import logging

    from services.vectorsearch.embedder import HashingEmbedder
    from services.vectorsearch.server import MilvusLiteNoiseFilter, quiet_milvus_lite_noise
    from services.vectorsearch.store import MilvusVectorStore

    def open_store(name: str) -> None:
        embedder = HashingEmbedder()
        store = MilvusVectorStore.open(
            uri=str(tmp_path / name / "milvus.db"),
            token=None,
            collection="noise",
            dim=embedder.dim,
            embedder_name=embedder.name,
            lite=True,
            consistency_level="Session",
        )
        asyncio.run(store.close())

    server_logger = logging.getLogger("grpc._server")
    for existing in [f for f in server_logger.filters if isinstance(f, MilvusLiteNoiseFilter)]:
        server_logger.removeFilter(existing)
    (tmp_path / "a").mkdir()
    with caplog.at_level(logging.ERROR, logger="grpc._server"):
        open_store("a")
    assert any("not implemented" in r.getMessage().lower() for r in caplog.records), "Lite no longer logs it?"
    caplog.clear()
    quiet_milvus_lite_noise()
    (tmp_path / "b").mkdir()
    with caplog.at_level(logging.ERROR, logger="grpc._server"):
        open_store("b")
    assert not [r for r in caplog.records if r.name == "grpc._server"]
