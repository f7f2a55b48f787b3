"""`memgrid up`: start the four services as separate processes on loopback and stop them together."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass

import structlog

from cli.health import wait_until_serving
from gateway.clients import MetadataClient
from gateway.settings import GatewaySettings
from libs import domain
from libs.rpc.client import open_channel
from memgrid.metadata.v1 import metadata_service_pb2, metadata_service_pb2_grpc

log = structlog.get_logger()

DEFAULT_TENANT = domain.Tenant(org_id="default", project_id="default")
START_DEADLINE_SECONDS = 120.0
STOP_DEADLINE_SECONDS = 15.0
# The backends share one host here, so MEMGRID_METRICS__PORT=P gives metadata P, vectorsearch P+1, extraction P+2.
METRICS_PORT_OFFSETS = {"metadata": 0, "vectorsearch": 1, "extraction": 2}


def child_env(env: dict[str, str], name: str) -> dict[str, str]:
    """The environment of child `name`: `env`, with the backend's own metrics port when one is configured."""
    base = env.get("MEMGRID_METRICS__PORT", "").strip()
    if name not in METRICS_PORT_OFFSETS or not base.isdigit() or int(base) == 0:
        return env
    return {**env, "MEMGRID_METRICS__PORT": str(int(base) + METRICS_PORT_OFFSETS[name])}


@dataclass(slots=True)
class Child:
    name: str
    target: str
    process: asyncio.subprocess.Process

    def alive(self) -> bool:
        return self.process.returncode is None


@dataclass(frozen=True, slots=True)
class StackAddresses:
    metadata: str
    vectorsearch: str
    extraction: str
    grpc: str
    http: str


def addresses(settings: GatewaySettings) -> StackAddresses:
    return StackAddresses(
        metadata=settings.metadata_addr,
        vectorsearch=settings.vectorsearch_addr,
        extraction=settings.extraction_addr,
        grpc=f"{settings.host}:{settings.grpc_port}",
        http=f"http://{settings.host}:{settings.http_port}",
    )


def _port_of(target: str) -> str:
    return target.rsplit(":", 1)[1]


class Stack:
    """The four processes of the embedded stack."""

    def __init__(self, settings: GatewaySettings, env: dict[str, str]) -> None:
        self._settings = settings
        self._addresses = addresses(settings)
        self._env = {
            **env,
            "MEMGRID_METADATA_PORT": _port_of(self._addresses.metadata),
            "MEMGRID_VECTORSEARCH_PORT": _port_of(self._addresses.vectorsearch),
            "MEMGRID_EXTRACTION_PORT": _port_of(self._addresses.extraction),
            "MEMGRID_DATA_DIR": str(settings.data_dir),
        }
        self.children: list[Child] = []

    @property
    def addresses(self) -> StackAddresses:
        return self._addresses

    async def _spawn(self, name: str, module: str, target: str) -> Child:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, env=child_env(self._env, name), start_new_session=True
        )
        child = Child(name, target, process)
        self.children.append(child)
        log.info("process.started", name=name, pid=process.pid, target=target)
        return child

    async def start(self) -> str | None:
        """Start everything; return a newly created API key (None when keys already exist)."""
        self._settings.data_dir.mkdir(parents=True, exist_ok=True)
        backends = [
            await self._spawn("metadata", "services.metadata", self._addresses.metadata),
            await self._spawn("vectorsearch", "services.vectorsearch", self._addresses.vectorsearch),
            await self._spawn("extraction", "services.extraction", self._addresses.extraction),
        ]
        tls = self._settings.internal_tls
        await asyncio.gather(*(wait_until_serving(c.target, START_DEADLINE_SECONDS, c.alive, tls) for c in backends))
        api_key = await self._ensure_api_key()
        gateway = await self._spawn("gateway", "gateway", self._addresses.grpc)
        await wait_until_serving(gateway.target, START_DEADLINE_SECONDS, gateway.alive)
        return api_key

    async def _ensure_api_key(self) -> str | None:
        if self._env.get("MEMGRID_API_KEYS"):
            return None
        channel = open_channel(self._addresses.metadata, self._settings.internal_tls)
        try:
            stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)
            existing = await stub.ListApiKeys(metadata_service_pb2.ListApiKeysRequest(), timeout=10)
            if existing.keys:
                return None
            _, key = await MetadataClient(channel, 10).create_api_key(DEFAULT_TENANT, "bootstrap")
            return key
        finally:
            await channel.close()

    async def wait(self) -> Child:
        """Return the first child that exits."""
        waits = {asyncio.create_task(c.process.wait()): c for c in self.children}
        done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return waits[next(iter(done))]

    async def stop(self) -> None:
        """SIGTERM the gateway first, then the backends; SIGKILL whatever outlives the deadline."""
        for child in reversed(self.children):
            if child.alive():
                child.process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(child.process.wait(), STOP_DEADLINE_SECONDS)
                except TimeoutError:
                    child.process.kill()
                    await child.process.wait()
            log.info("process.stopped", name=child.name, code=child.process.returncode)


async def run_stack(settings: GatewaySettings, print_line: callable) -> int:
    stack = Stack(settings, dict(os.environ))
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop_requested.set)
    try:
        starting = asyncio.create_task(stack.start())
        stopper = asyncio.create_task(stop_requested.wait())
        done, _ = await asyncio.wait({starting, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            starting.cancel()
            return 130
        stopper.cancel()
        try:
            api_key = starting.result()
        except (RuntimeError, TimeoutError, OSError) as error:
            print_line(f"memgrid could not start: {error}")
            print_line("Is another memgrid (or something else) using its ports? See the log lines above.")
            return 1
        where = stack.addresses
        print_line("")
        print_line("memgrid is up.")
        print_line(f"  REST (Mem0-compatible): {where.http}")
        print_line(f"  gRPC MemoryService:     {where.grpc}")
        print_line(f"  data:                   {settings.data_dir.resolve()}")
        if api_key:
            print_line(f"  API key (shown once):   {api_key}")
        elif os.environ.get("MEMGRID_API_KEYS"):
            print_line("  API keys:               from MEMGRID_API_KEYS")
        else:
            print_line("  API key:                the one printed at first start (new one: memgrid keys create)")
        print_line("Press Ctrl-C to stop.")
        exited = asyncio.create_task(stack.wait())
        stopper = asyncio.create_task(stop_requested.wait())
        done, _ = await asyncio.wait({exited, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if exited in done:
            child = exited.result()
            print_line(f"{child.name} exited with code {child.process.returncode}; stopping the stack.")
            return 1
        return 0
    finally:
        await stack.stop()
