"""Fixtures shared by the cross-service tests: the whole stack on loopback port 0, in this process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from tests.support.stack import start_stack

KEY_A = "test-key-acme-app1"
KEY_B = "test-key-acme-app2"
API_KEYS = f"{KEY_A}=acme/app1,{KEY_B}=acme/app2"


@dataclass(frozen=True, slots=True)
class Stack:
    rest_url: str
    grpc_target: str
    metadata_target: str
    vectorsearch_target: str
    extraction_target: str
    key_a: str = KEY_A
    key_b: str = KEY_B


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    running = await start_stack(tmp_path_factory.mktemp("stack"), API_KEYS)
    yield Stack(
        rest_url=running.rest_url,
        grpc_target=running.grpc_target,
        metadata_target=running.metadata_target,
        vectorsearch_target=running.vectorsearch_target,
        extraction_target=running.extraction_target,
    )
    await running.stop()
