"""Fixtures of the scenario and fault suites: gateways whose extraction service talks to a scripted LLM.

They reuse the metadata and vectorsearch services of the session `stack` (tests/conftest.py) and start their
own extraction service (configured with an LLM endpoint, as MEMGRID_LLM__* would) and gateway on port 0.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from gateway.jobs import JobSettings
from gateway.server import start_service as start_gateway
from gateway.settings import GatewaySettings
from libs.rpc.server import StartedService
from services.extraction.server import start_service as start_extraction
from services.extraction.settings import ExtractionSettings, LLMSettings
from tests.conftest import Stack
from tests.support.scripted_llm import ScriptedLLM


@dataclass(frozen=True, slots=True)
class LLMGateway:
    rest_url: str
    extraction: StartedService
    gateway: StartedService

    async def stop(self) -> None:
        await self.gateway.stop(grace=0.5)
        await self.extraction.stop(grace=0.5)


async def start_llm_gateway(
    stack: Stack, data_dir: Path, llm: LLMSettings, *, rpc_timeout_seconds: float = 15.0
) -> LLMGateway:
    extraction = await start_extraction(ExtractionSettings(data_dir=data_dir, extraction_port=0, llm=llm))
    gateway = await start_gateway(
        GatewaySettings(
            data_dir=data_dir,
            grpc_port=0,
            http_port=0,
            metadata_addr=stack.metadata_target,
            vectorsearch_addr=stack.vectorsearch_target,
            extraction_addr=f"127.0.0.1:{extraction.port}",
            rpc_timeout_seconds=rpc_timeout_seconds,
            extraction_timeout_seconds=rpc_timeout_seconds,
            # No job workers: this gateway shares the session stack's metadata service (its job queue) but not
            # its extraction; queued adds are the stack gateway's to run.
            jobs=JobSettings(concurrency=0),
        )
    )
    return LLMGateway(f"http://127.0.0.1:{gateway.extra_ports['http']}", extraction, gateway)


@pytest.fixture(scope="session")
def scenario_llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as llm:
        yield llm


@pytest.fixture(scope="session")
async def llm_gateway(
    stack: Stack, scenario_llm: ScriptedLLM, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LLMGateway]:
    llm = LLMSettings(
        base_url=scenario_llm.base_url,
        api_key="sk-scenarios",
        model="scripted-model",
        timeout_seconds=5,
        max_retries=1,
        backoff_base_seconds=0.01,
        backoff_max_seconds=0.1,
    )
    running = await start_llm_gateway(stack, tmp_path_factory.mktemp("scenarios"), llm)
    yield running
    await running.stop()


async def rest_client(rest_url: str, key: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=rest_url, headers={"Authorization": f"Token {key}"}, timeout=30)
