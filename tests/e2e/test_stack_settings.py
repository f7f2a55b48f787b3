"""The in-process stack (tests, `make bench`, `make eval`) configures vectorsearch as the service does: without an
explicit embedder it takes MEMGRID_EMBEDDER or the service's default, so benchmarks and evaluations compare
embedders by that variable alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.vectorsearch.settings import VectorSearchSettings
from tests.support.stack import start_stack


async def test_the_stack_takes_the_services_embedder_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMGRID_EMBEDDER", "hashing")
    stack = await start_stack(tmp_path, "k-env=o/p")
    try:
        assert stack.vector_settings.embedder == "hashing"
    finally:
        await stack.stop()
    monkeypatch.delenv("MEMGRID_EMBEDDER")
    assert VectorSearchSettings(data_dir=tmp_path).embedder == "minilm-onnx-int8"  # what an unset variable gives
