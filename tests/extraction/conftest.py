"""Fixtures of the extraction tests: a real extraction server on port 0 and a stub talking to it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from libs.rpc.client import open_channel
from memgrid.extraction.v1 import extraction_service_pb2_grpc
from services.extraction.server import start_service
from services.extraction.settings import ExtractionSettings


@pytest.fixture(scope="session")
async def extraction_stub(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[extraction_service_pb2_grpc.ExtractionServiceStub]:
    settings = ExtractionSettings(host="127.0.0.1", extraction_port=0, data_dir=tmp_path_factory.mktemp("extraction"))
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        yield extraction_service_pb2_grpc.ExtractionServiceStub(channel)
    finally:
        await channel.close()
        await service.stop(grace=0.5)
