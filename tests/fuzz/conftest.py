"""Fixtures of the fuzzers: their own in-process stack (hashing embedder) and a sentinel they must not touch.

The fuzzers write, update and delete at random, so they get a stack of their own instead of the session
`stack` other tests keep data in. The sentinel lives in a second project whose key the fuzzers never send.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.stack import InProcessStack, start_stack

FUZZ_KEY = "fuzz-key-project-1"
SENTINEL_KEY = "fuzz-key-sentinel-project"
FUZZ_ORG, FUZZ_PROJECT = "fuzz-org", "fuzzed"
API_KEYS = f"{FUZZ_KEY}={FUZZ_ORG}/{FUZZ_PROJECT},{SENTINEL_KEY}={FUZZ_ORG}/sentinel"
SENTINEL_USER = "sentinel-user"
SEED_USER = "alice"
SENTINEL_TEXT = "The sentinel memory must survive the fuzzers unchanged"
# Cases per fuzzer in one run; `make fuzz` raises it (nightly-style).
CASES_ENV = "MEMGRID_FUZZ_CASES"
DEFAULT_CASES = 2000


def fuzz_cases() -> int:
    return int(os.environ.get(CASES_ENV, DEFAULT_CASES))


def fuzz_timeout() -> float:
    """A hang guard for one fuzzer, generous for the configured number of cases (never a speed assertion)."""
    return 300 + 0.5 * fuzz_cases()


@dataclass(frozen=True, slots=True)
class Sentinel:
    """A memory stored before fuzzing, as the REST API rendered it then."""

    rest_url: str
    memory: dict

    async def assert_intact(self) -> None:
        headers = {"Authorization": f"Token {SENTINEL_KEY}"}
        async with httpx.AsyncClient(base_url=self.rest_url, headers=headers, timeout=30) as client:
            stored = await client.get(f"/v1/memories/{self.memory['id']}/")
            assert stored.status_code == 200, stored.text
            assert stored.json() == self.memory
            # The vector is still there too: the exact text is the best hit of a search in its scope.
            found = await client.post(
                "/v3/memories/search/", json={"query": SENTINEL_TEXT, "filters": {"user_id": SENTINEL_USER}}
            )
            assert found.status_code == 200, found.text
            assert [hit["id"] for hit in found.json()["results"]] == [self.memory["id"]]
            listed = await client.post("/v3/memories/", json={"filters": {"user_id": "*"}})
            assert [m["id"] for m in listed.json()["results"]] == [self.memory["id"]]


@pytest.fixture(scope="session")
async def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[InProcessStack]:
    running = await start_stack(tmp_path_factory.mktemp("fuzz"), API_KEYS, embedder="hashing")
    yield running
    await running.stop()


@pytest.fixture(scope="session")
async def sentinel(fuzz_stack: InProcessStack) -> Sentinel:
    headers = {"Authorization": f"Token {SENTINEL_KEY}"}
    async with httpx.AsyncClient(base_url=fuzz_stack.rest_url, headers=headers, timeout=30) as client:
        added = await client.post(
            "/v1/memories/",
            json={
                "messages": [{"role": "user", "content": SENTINEL_TEXT}],
                "user_id": SENTINEL_USER,
                "infer": False,
                "metadata": {"kind": "sentinel", "nested": {"n": 1}},
            },
        )
        assert added.status_code == 200, added.text
        memory_id = added.json()["results"][0]["id"]
        stored = await client.get(f"/v1/memories/{memory_id}/")
        assert stored.status_code == 200, stored.text
    return Sentinel(fuzz_stack.rest_url, stored.json())


@pytest.fixture(scope="session")
async def seed_ids(fuzz_stack: InProcessStack) -> list[str]:
    """Ids of a few memories in the fuzzed project, so generated requests sometimes name one that exists."""
    headers = {"Authorization": f"Token {FUZZ_KEY}"}
    async with httpx.AsyncClient(base_url=fuzz_stack.rest_url, headers=headers, timeout=30) as client:
        added = await client.post(
            "/v1/memories/",
            json={
                "messages": [{"role": "user", "content": f"fuzz seed memory {n}"} for n in range(5)],
                "user_id": SEED_USER,
                "infer": False,
            },
        )
        assert added.status_code == 200, added.text
        return [change["id"] for change in added.json()["results"]]
