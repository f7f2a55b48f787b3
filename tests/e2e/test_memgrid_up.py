"""`memgrid up` (what `make run` runs): four processes, a bootstrap key, Ctrl-C, and data kept across restarts."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc

MEMGRID = Path(sys.executable).with_name("memgrid")
UP_DEADLINE_SECONDS = 180


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def memgrid_up(env: dict[str, str]) -> AsyncIterator[list[str]]:
    """Run `memgrid up` until it prints that it is up; yield its output lines; Ctrl-C it after."""
    process = await asyncio.create_subprocess_exec(
        str(MEMGRID), "up", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    lines: list[str] = []
    try:
        async with asyncio.timeout(UP_DEADLINE_SECONDS):
            while not any("Press Ctrl-C" in line for line in lines):
                raw = await process.stdout.readline()
                assert raw, f"memgrid up exited early: {lines}"
                lines.append(raw.decode().rstrip())
        yield lines
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            async with asyncio.timeout(60):
                await process.wait()
    assert process.returncode == 0, lines


async def _memgrid(env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(MEMGRID), *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()[-2000:]
    return stdout.decode()


async def _serving(port: int) -> bool:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return response.status == health_pb2.HealthCheckResponse.SERVING


async def test_memgrid_up_serves_and_keeps_data_across_restarts(tmp_path: Path) -> None:
    ports = {name: _free_port() for name in ("grpc", "http", "extraction", "vectorsearch", "metadata")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMGRID_")}
    env.update(
        PYTHONUNBUFFERED="1",
        MEMGRID_DATA_DIR=str(tmp_path / "data"),
        MEMGRID_GRPC_PORT=str(ports["grpc"]),
        MEMGRID_HTTP_PORT=str(ports["http"]),
        MEMGRID_EXTRACTION_ADDR=f"127.0.0.1:{ports['extraction']}",
        MEMGRID_VECTORSEARCH_ADDR=f"127.0.0.1:{ports['vectorsearch']}",
        MEMGRID_METADATA_ADDR=f"127.0.0.1:{ports['metadata']}",
        MEMGRID_AUTH_CACHE_SECONDS="0",
    )
    rest = f"http://127.0.0.1:{ports['http']}"
    async with memgrid_up(env) as lines:
        printed = "\n".join(lines)
        key = re.search(r"API key \(shown once\):\s+(\S+)", printed)
        assert key, printed
        assert rest in printed and f"127.0.0.1:{ports['grpc']}" in printed
        for port in ports.values():
            if port != ports["http"]:
                assert await _serving(port)
        async with httpx.AsyncClient(base_url=rest, headers={"Authorization": f"Token {key.group(1)}"}) as http:
            ping = (await http.get("/v1/ping/")).json()
            assert ping["status"] == "ok" and ping["org_id"] and ping["project_id"]
            added = await http.post(
                "/v3/memories/add/",
                json={"async_mode": False, "messages": "I keep bees.", "user_id": "keeper", "infer": False},
            )
            memory_id = added.json()["results"][0]["id"]
        created = await _memgrid(env, "keys", "create", "--org", "acme", "--project", "second", "--name", "ci")
        second_key = re.search(r"API key \(shown once\):\s+(\S+)", created).group(1)
        async with httpx.AsyncClient(base_url=rest, headers={"Authorization": f"Token {second_key}"}) as http:
            assert (await http.get("/v1/ping/")).json()["project_id"] == "second"
            assert (await http.get(f"/v1/memories/{memory_id}/")).status_code == 404
            listed = await _memgrid(env, "keys", "list")
            assert "acme/second" in listed and second_key not in listed
            key_id = next(line.split()[0] for line in listed.splitlines() if "acme/second" in line)
            assert "revoked" in await _memgrid(env, "keys", "revoke", key_id)
            assert (await http.get("/v1/ping/")).status_code == 401
        project = ["--org", ping["org_id"], "--project", ping["project_id"]]
        created = await _memgrid(env, "keys", "create", *project, "--role", "reader")
        assert " READER " in created
        reader_key = re.search(r"API key \(shown once\):\s+(\S+)", created).group(1)
        async with httpx.AsyncClient(base_url=rest, headers={"Authorization": f"Token {reader_key}"}) as http:
            assert (await http.get(f"/v1/memories/{memory_id}/")).status_code == 200
            denied = await http.post(
                "/v3/memories/add/", json={"async_mode": False, "messages": "x", "user_id": "keeper", "infer": False}
            )
            assert denied.status_code == 403 and "READER" in denied.json()["detail"]
    assert (tmp_path / "data").is_dir()

    async with memgrid_up(env) as lines:
        assert not any("shown once" in line for line in lines), "a second start must not mint another key"
        async with httpx.AsyncClient(base_url=rest, headers={"Authorization": f"Token {key.group(1)}"}) as http:
            again = await http.get(f"/v1/memories/{memory_id}/")
            assert again.status_code == 200 and again.json()["memory"] == "I keep bees."
            hits = await http.post(
                "/v3/memories/search/", json={"query": "beekeeping", "filters": {"user_id": "keeper"}}
            )
            assert hits.json()["results"][0]["id"] == memory_id
