"""Crash consistency: 1,000 adds while `kill -9` hits vectorsearch, then metadata, then the gateway, each
restarted. Every add is retried by its client with its idempotency key until acknowledged. Afterwards every
acknowledged memory is in SQL and in Milvus, the two stores hold exactly the same ids, and no add was stored
twice. The four services run as separate processes, as `memgrid up` runs them."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from pymilvus import MilvusClient

from gateway.clients import MetadataClient
from libs.rpc.client import open_channel
from tests.support.processes import Processes, free_ports

ADDS = 1000
CONCURRENCY = 8
USERS = 25
API_KEY = "crash-test-key"
# The load kills a service when this many adds have been acknowledged.
KILL_PLAN = (("vectorsearch", 200), ("metadata", 450), ("gateway", 700))
LOAD_DEADLINE_SECONDS = 240


@pytest.fixture
async def processes(tmp_path: Path) -> AsyncIterator[Processes]:
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Processes(
        tmp_path / "data",
        free_ports(),
        logs,
        api_keys=f"{API_KEY}=acme/crash",
        # Fast recovery for the test: reconcile every second, take over a dead request's key after 5 s (requests
        # give up after 4 s, so a live one is never taken over).
        extra_env={
            "MEMGRID_VECTOR_SYNC_INTERVAL_SECONDS": "1",
            "MEMGRID_VECTOR_SYNC_MIN_AGE_SECONDS": "2",
            "MEMGRID_REQUEST_TIMEOUT_SECONDS": "4",
            "MEMGRID_IDEMPOTENCY_LEASE_SECONDS": "5",
            "MEMGRID_RPC_TIMEOUT_SECONDS": "5",
        },
    )
    try:
        await running.start_all()
        yield running
    finally:
        await running.stop_all()


@dataclass
class Load:
    acknowledged: dict[int, list[str]] = field(default_factory=dict)
    failed_attempts: int = 0
    progress: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def record(self, index: int, ids: list[str]) -> None:
        async with self.progress:
            self.acknowledged[index] = ids
            self.progress.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self.progress:
            await self.progress.wait_for(lambda: len(self.acknowledged) >= count)


async def _add_until_acknowledged(http: httpx.AsyncClient, index: int, load: Load, deadline: float) -> None:
    body = {"messages": f"crash test fact number {index}", "user_id": f"user-{index % USERS}", "infer": False}
    headers = {"Idempotency-Key": f"crash-add-{index}"}
    while time.monotonic() < deadline:
        try:
            response = await http.post("/v1/memories/", json=body, headers=headers)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            await load.record(index, [result["id"] for result in response.json()["results"]])
            return
        assert response is None or response.status_code >= 500, response.text  # never a client error
        load.failed_attempts += 1
        await asyncio.sleep(0.2)
    raise AssertionError(f"add {index} was never acknowledged")


async def _run_load(processes: Processes, load: Load) -> list[str]:
    deadline = time.monotonic() + LOAD_DEADLINE_SECONDS
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(ADDS):
        queue.put_nowait(index)
    events: list[str] = []

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            await _add_until_acknowledged(http, queue.get_nowait(), load, deadline)

    async def killer() -> None:
        for name, after in KILL_PLAN:
            await load.wait_for(after)
            await processes.kill(name)
            events.append(f"kill -9 {name} after {len(load.acknowledged)} acknowledged adds")
            await asyncio.sleep(0.5)
            await processes.start(name)
            events.append(f"{name} restarted at {len(load.acknowledged)} acknowledged adds")

    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{processes.ports['http']}",
        headers={"Authorization": f"Token {API_KEY}"},
        timeout=20,
    ) as http:
        await asyncio.gather(killer(), *(worker(http) for _ in range(CONCURRENCY)))
    return events


async def _wait_until_outbox_is_empty(processes: Processes) -> None:
    channel = open_channel(processes.target("metadata"))
    try:
        client = MetadataClient(channel, 10)
        deadline = time.monotonic() + 60
        while await client.list_pending_vector_syncs(0, 10_000):
            assert time.monotonic() < deadline, "the reconciler did not drain the vector-sync outbox"
            await asyncio.sleep(0.5)
    finally:
        await channel.close()


async def test_kill_9_during_1000_adds_loses_nothing_and_leaves_no_orphans(processes: Processes) -> None:
    load = Load()
    events = await _run_load(processes, load)
    await _wait_until_outbox_is_empty(processes)
    await processes.stop_all()

    database = sqlite3.connect(processes.data_dir / "memgrid.db")
    try:
        rows = database.execute(
            "SELECT id, text FROM memories WHERE org_id = 'acme' AND project_id = 'crash'"
        ).fetchall()
    finally:
        database.close()
    milvus = MilvusClient(str(processes.data_dir / "milvus.db"))
    try:
        milvus.load_collection("memgrid_memories")
        vectors = milvus.query("memgrid_memories", filter='org_id == "acme"', output_fields=["id"], limit=16_384)
    finally:
        milvus.close()

    sql_ids = {memory_id for memory_id, _ in rows}
    vector_ids = {row["id"] for row in vectors}
    acknowledged = {memory_id for ids in load.acknowledged.values() for memory_id in ids}
    texts = [text for _, text in rows]
    print(
        "\ncrash consistency:",
        *events,
        f"adds acknowledged: {len(load.acknowledged)} of {ADDS} (failed attempts retried: {load.failed_attempts})",
        f"records in SQL: {len(sql_ids)}; vectors in Milvus: {len(vector_ids)}",
        f"acknowledged but missing: SQL {len(acknowledged - sql_ids)}, Milvus {len(acknowledged - vector_ids)}",
        f"records without vector: {len(sql_ids - vector_ids)}; vectors without record: {len(vector_ids - sql_ids)}",
        f"texts stored twice: {len(texts) - len(set(texts))}",
        sep="\n  ",
    )
    assert len(events) == 2 * len(KILL_PLAN)
    assert len(load.acknowledged) == ADDS
    assert acknowledged <= sql_ids and acknowledged <= vector_ids
    assert sql_ids == vector_ids
    assert len(texts) == len(set(texts)) == ADDS
