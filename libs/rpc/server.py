"""create_server(): a grpc.aio server with our interceptor, health and reflection, bound to a port.

Tests call it with port 0 and read the bound port back; production calls it with the fixed ports.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from libs.config import TlsSettings
from libs.observability.telemetry import Telemetry
from libs.rpc.interceptors import ServerInterceptor
from libs.rpc.tls import server_credentials

log = structlog.get_logger()

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]


@dataclass(frozen=True, slots=True)
class ServiceBinding:
    """A servicer and the generated function that registers it, plus its full service name."""

    servicer: Any
    register: Callable[[Any, grpc.aio.Server], None]
    full_name: str


@dataclass(slots=True)
class RunningServer:
    server: grpc.aio.Server
    port: int
    health: HealthServicer
    service_names: list[str]

    async def stop(self, grace: float, drain_delay: float = 0.0) -> None:
        """Report NOT_SERVING, keep taking calls for `drain_delay` seconds (while load balancers notice), then
        refuse new calls and let in-flight ones finish for `grace` seconds."""
        await self.health.enter_graceful_shutdown()
        if drain_delay > 0:
            log.info("server.draining", seconds=drain_delay)
            await asyncio.sleep(drain_delay)
        await self.server.stop(grace)


async def create_server(
    host: str,
    port: int,
    bindings: Sequence[ServiceBinding],
    tls: TlsSettings | None = None,
    *,
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    telemetry: Telemetry | None = None,
) -> RunningServer:
    """Start a server on host:port (port 0 picks one); with `tls` enabled it speaks only (mutual) TLS.
    `interceptors` run inside ours, so their typed errors become statuses too. `telemetry` receives every RPC's
    metrics and spans."""
    server = grpc.aio.server(interceptors=[ServerInterceptor(telemetry), *interceptors], options=SERVER_OPTIONS)
    for binding in bindings:
        binding.register(binding.servicer, server)
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [binding.full_name for binding in bindings]
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME], server
    )
    secure = tls is not None and tls.enabled
    if secure:
        bound_port = server.add_secure_port(f"{host}:{port}", server_credentials(tls))
    else:
        bound_port = server.add_insecure_port(f"{host}:{port}")
    if bound_port == 0:
        raise OSError(f"could not bind {host}:{port}")
    await server.start()
    for name in ["", *names]:
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("server.started", host=host, port=bound_port, services=names, tls=secure)
    return RunningServer(server=server, port=bound_port, health=health, service_names=names)


async def wait_for_shutdown_signal() -> None:
    """Return when SIGTERM or SIGINT arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("server.stopping")


@dataclass(slots=True)
class StartedService:
    """A started service: its gRPC server plus the resources to release after it stops."""

    running: RunningServer
    closers: list[Callable[[], Any]]
    # Other listeners the service runs besides gRPC, by name (the gateway's "http", a backend's "metrics").
    extra_ports: dict[str, int] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.running.port

    async def stop(self, grace: float = 5.0, drain_delay: float = 0.0) -> None:
        await self.running.stop(grace, drain_delay)
        for close in reversed(self.closers):
            result = close()
            if asyncio.iscoroutine(result):
                await result
        log.info("server.stopped", port=self.running.port)


async def serve_until_signalled(service: StartedService, grace: float, drain_delay: float = 0.0) -> None:
    """Run a started service until SIGTERM/SIGINT, then drain and stop it."""
    try:
        await wait_for_shutdown_signal()
    finally:
        await service.stop(grace, drain_delay)
