"""Fixtures for vectorsearch tests: real servers (start_service on port 0, Milvus Lite in a tmp dir)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .support import RunningVectorSearch, running, settings_for


@pytest.fixture(scope="module")
async def minilm_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningVectorSearch]:
    async with running(settings_for(tmp_path_factory.mktemp("vs-minilm"), "minilm")) as server:
        yield server


@pytest.fixture(scope="module")
async def hashing_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningVectorSearch]:
    async with running(settings_for(tmp_path_factory.mktemp("vs-hashing"), "hashing")) as server:
        yield server
