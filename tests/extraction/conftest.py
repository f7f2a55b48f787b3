"""Fixtures of the extraction tests: real extraction servers on port 0 (offline, and LLM-backed against a
scripted OpenAI-compatible server on 127.0.0.1) and stubs talking to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from libs.rpc.client import open_channel
from memgrid.extraction.v1 import extraction_service_pb2_grpc
from services.extraction.server import start_service
from services.extraction.settings import ExtractionSettings, LLMSettings
from tests.support.scripted_llm import ScriptedLLM, scripted_llm  # noqa: F401 - re-exported fixture

# Short timeouts and backoffs keep the fault tests fast; the policy is the production one.
LLM_TIMEOUT_SECONDS = 0.3


def fast_llm_settings(base_url: str, **overrides: object) -> LLMSettings:
    values: dict[str, object] = {
        "base_url": base_url,
        "api_key": "sk-test",
        "model": "scripted-model",
        "timeout_seconds": LLM_TIMEOUT_SECONDS,
        "max_retries": 2,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.5,
    }
    values.update(overrides)
    return LLMSettings.model_validate(values)


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


@pytest.fixture(scope="session")
def llm_server() -> Iterator[ScriptedLLM]:
    """One scripted LLM for the session; use the `llm` fixture to get it reset."""
    with ScriptedLLM() as server:
        yield server


@pytest.fixture
def llm(llm_server: ScriptedLLM) -> Iterator[ScriptedLLM]:
    llm_server.reset()
    yield llm_server
    llm_server.reset()


@pytest.fixture(scope="session")
async def llm_extraction_stub(
    llm_server: ScriptedLLM, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[extraction_service_pb2_grpc.ExtractionServiceStub]:
    """The extraction service configured with the scripted LLM (MEMGRID_LLM__* equivalent)."""
    settings = ExtractionSettings(
        host="127.0.0.1",
        extraction_port=0,
        data_dir=tmp_path_factory.mktemp("extraction-llm"),
        llm=fast_llm_settings(llm_server.base_url),
    )
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        yield extraction_service_pb2_grpc.ExtractionServiceStub(channel)
    finally:
        await channel.close()
        await service.stop(grace=0.5)
