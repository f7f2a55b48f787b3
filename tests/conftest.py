"""Fixtures shared by the cross-service tests: the whole stack on loopback port 0, in this process.

Each service is started with the same start_service() its `python -m` entry point uses, with real
SQLite, real Milvus Lite and the real MiniLM embedder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from services.extraction.server import start_service as start_extraction
from services.metadata.server import start_service as start_metadata

from gateway.server import start_service as start_gateway
from gateway.settings import GatewaySettings
from services.extraction.settings import ExtractionSettings
from services.metadata.settings import MetadataSettings
from services.vectorsearch.server import start_service as start_vectorsearch
from services.vectorsearch.settings import VectorSearchSettings

KEY_A = "test-key-acme-app1"
KEY_B = "test-key-acme-app2"
API_KEYS = f"{KEY_A}=acme/app1,{KEY_B}=acme/app2"


@dataclass(frozen=True, slots=True)
class Stack:
    rest_url: str
    grpc_target: str
    metadata_target: str
    vectorsearch_target: str
    extraction_target: str
    key_a: str = KEY_A
    key_b: str = KEY_B


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    data_dir = tmp_path_factory.mktemp("stack")
    metadata = await start_metadata(MetadataSettings(data_dir=data_dir, metadata_port=0, api_keys=API_KEYS))
    vectors = await start_vectorsearch(VectorSearchSettings(data_dir=data_dir, vectorsearch_port=0))
    extraction = await start_extraction(ExtractionSettings(data_dir=data_dir, extraction_port=0))
    gateway = await start_gateway(
        GatewaySettings(
            data_dir=data_dir,
            grpc_port=0,
            http_port=0,
            metadata_addr=f"127.0.0.1:{metadata.port}",
            vectorsearch_addr=f"127.0.0.1:{vectors.port}",
            extraction_addr=f"127.0.0.1:{extraction.port}",
        )
    )
    yield Stack(
        rest_url=f"http://127.0.0.1:{gateway.extra_ports['http']}",
        grpc_target=f"127.0.0.1:{gateway.port}",
        metadata_target=f"127.0.0.1:{metadata.port}",
        vectorsearch_target=f"127.0.0.1:{vectors.port}",
        extraction_target=f"127.0.0.1:{extraction.port}",
    )
    for service in (gateway, extraction, vectors, metadata):
        await service.stop(grace=1.0)
