"""SIGTERM drains: the gateway process reports NOT_SERVING first, lets in-flight REST and gRPC calls finish,
then exits 0 and takes no new calls. The calls in flight wait on a slow (scripted) LLM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2 as pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as pb2_grpc
from tests.support.processes import Processes, free_ports
from tests.support.scripted_llm import ScriptedLLM, json_reply

API_KEY = "drain-test-key"
LLM_LATENCY_SECONDS = 2.0


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Processes]:
    with ScriptedLLM(latency=LLM_LATENCY_SECONDS, handler=lambda _request: json_reply({"facts": []})) as llm:
        (tmp_path / "logs").mkdir()
        running = Processes(
            tmp_path / "data",
            free_ports(),
            tmp_path / "logs",
            api_keys=f"{API_KEY}=acme/drain",
            extra_env={
                "MEMGRID_LLM__BASE_URL": llm.base_url,
                "MEMGRID_LLM__API_KEY": "sk-drain",
                "MEMGRID_SHUTDOWN_GRACE_SECONDS": "10",
                "MEMGRID_SHUTDOWN_DRAIN_DELAY_SECONDS": "0.6",
            },
        )
        try:
            await running.start_all()
            yield running
        finally:
            await running.stop_all()


async def _health(target: str) -> str:
    async with grpc.aio.insecure_channel(target) as channel:
        try:
            response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=0.5)
        except grpc.aio.AioRpcError as error:
            return error.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


async def test_sigterm_finishes_in_flight_calls_after_reporting_not_serving(processes: Processes) -> None:
    target = processes.target("gateway")
    auth = [("authorization", f"Token {API_KEY}")]
    async with (
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{processes.ports['http']}",
            headers={"Authorization": f"Token {API_KEY}"},
            timeout=30,
        ) as http,
        grpc.aio.insecure_channel(target) as channel,
    ):
        rest_call = asyncio.create_task(http.post("/v1/memories/", json={"messages": "I like kites", "user_id": "u"}))
        grpc_call = asyncio.ensure_future(
            pb2_grpc.MemoryServiceStub(channel).AddMemories(
                pb2.AddMemoriesRequest(
                    messages=[common_pb2.Message(role=common_pb2.ROLE_USER, content="I like kites")],
                    scope=common_pb2.Scope(user_id="u"),
                ),
                metadata=auth,
                timeout=30,
            )
        )
        await asyncio.sleep(LLM_LATENCY_SECONDS / 2)
        assert await _health(target) == "SERVING"
        gateway = processes.running["gateway"]
        exit_code = asyncio.create_task(processes.terminate("gateway"))
        await asyncio.sleep(0.3)
        during = await _health(target)

        rest_response = await rest_call
        grpc_response = await grpc_call
        assert await exit_code == 0
        assert gateway.returncode == 0

    assert during == "NOT_SERVING"
    assert rest_response.status_code == 200, rest_response.text
    assert rest_response.json()["results"] == []
    assert grpc_response.status == common_pb2.EVENT_STATUS_SUCCEEDED
    assert await _health(target) == "UNAVAILABLE"
