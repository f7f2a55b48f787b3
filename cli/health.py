"""Wait for a gRPC server to report SERVING."""

from __future__ import annotations

import asyncio
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from libs.config import TlsSettings
from libs.rpc.client import open_channel


async def is_serving(target: str, service: str = "", rpc_seconds: float = 1.0, tls: TlsSettings | None = None) -> bool:
    async with open_channel(target, tls) as channel:
        try:
            response = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=rpc_seconds
            )
        except grpc.aio.AioRpcError:
            return False
    return response.status == health_pb2.HealthCheckResponse.SERVING


async def wait_until_serving(
    target: str, deadline_seconds: float, alive: callable = lambda: True, tls: TlsSettings | None = None
) -> None:
    """Poll until SERVING; raise TimeoutError after the deadline or RuntimeError if `alive()` turns False."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"the process serving {target} exited")
        if await is_serving(target, tls=tls):
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{target} did not report SERVING within {deadline_seconds:.0f} s")
