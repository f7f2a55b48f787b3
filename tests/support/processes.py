"""The four services as separate OS processes (as `memgrid up` runs them), each one killable and restartable,
for fault and shutdown tests."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cli.health import wait_until_serving

SERVICE_NAMES = ("metadata", "vectorsearch", "extraction", "gateway")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Processes:
    data_dir: Path
    ports: dict[str, int]
    logs: Path
    api_keys: str
    extra_env: dict[str, str] = field(default_factory=dict)
    running: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)

    MODULES = {
        "metadata": "services.metadata",
        "vectorsearch": "services.vectorsearch",
        "extraction": "services.extraction",
        "gateway": "gateway",
    }

    def target(self, name: str) -> str:
        port = self.ports["grpc" if name == "gateway" else name]
        return f"127.0.0.1:{port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "MEMGRID_DATA_DIR": str(self.data_dir),
            "MEMGRID_LOG_FORMAT": "json",
            "MEMGRID_API_KEYS": self.api_keys,
            "MEMGRID_EMBEDDER": "hashing",
            "MEMGRID_METADATA_PORT": str(self.ports["metadata"]),
            "MEMGRID_VECTORSEARCH_PORT": str(self.ports["vectorsearch"]),
            "MEMGRID_EXTRACTION_PORT": str(self.ports["extraction"]),
            "MEMGRID_GRPC_PORT": str(self.ports["grpc"]),
            "MEMGRID_HTTP_PORT": str(self.ports["http"]),
            "MEMGRID_METADATA_ADDR": self.target("metadata"),
            "MEMGRID_VECTORSEARCH_ADDR": self.target("vectorsearch"),
            "MEMGRID_EXTRACTION_ADDR": self.target("extraction"),
            **self.extra_env,
        }

    async def start(self, name: str) -> None:
        """Start one service and wait until it reports SERVING."""
        with (self.logs / f"{name}.log").open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", self.MODULES[name], env=self.env(), stdout=log, stderr=log, start_new_session=True
            )
        self.running[name] = process
        await wait_until_serving(self.target(name), 120, lambda: process.returncode is None)

    async def start_all(self) -> None:
        for name in SERVICE_NAMES:
            await self.start(name)

    async def terminate(self, name: str) -> int:
        """SIGTERM one service and wait (at most 30 s) for it to exit; its exit code."""
        process = self.running.pop(name)
        process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(process.wait(), 30)

    async def kill(self, name: str) -> None:
        process = self.running.pop(name)
        process.send_signal(signal.SIGKILL)
        await process.wait()

    async def stop_all(self) -> None:
        for name in ("gateway", "extraction", "vectorsearch", "metadata"):
            process = self.running.pop(name, None)
            if process is not None and process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 30)
                except TimeoutError:
                    process.send_signal(signal.SIGKILL)
                    await process.wait()


def free_ports() -> dict[str, int]:
    return {name: _free_port() for name in ("metadata", "vectorsearch", "extraction", "grpc", "http")}
