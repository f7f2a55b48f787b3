"""The ONNX Runtime embedder against the torch one: the same model must give the same vectors.

It shares the torch embedder's name (a collection filled by one is searched with the other), so the vectors
must agree closely; the export is built once into the model dir and reused.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import pytest

from services.vectorsearch.embedder import MiniLMEmbedder
from services.vectorsearch.onnx_embedder import ONNX_FILE, OnnxMiniLMEmbedder
from services.vectorsearch.server import build_embedder
from services.vectorsearch.settings import VectorSearchSettings

TEXTS = [
    "I am vegetarian and avoid dairy",
    "Caroline went to the LGBTQ support group on 7 May 2023",
    "x",
    "A much longer memory about a trip: " + "we hiked, swam and cooked over a fire every night. " * 40,
    "Ünïcödé and emoji 🚀 survive tokenization",
]


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


def test_same_vectors_as_torch(model_dir: Path) -> None:
    onnx = OnnxMiniLMEmbedder(model_dir=model_dir)
    torch = MiniLMEmbedder()
    assert (onnx.name, onnx.dim) == (torch.name, torch.dim)
    # In another order than one at a time: batching sorts by length and must put each vector back in place.
    batched = onnx.embed(TEXTS)
    for text, vector, reference in zip(TEXTS, batched, torch.embed(TEXTS), strict=True):
        assert math.isclose(math.sqrt(dot(vector, vector)), 1.0, rel_tol=1e-5)
        assert dot(vector, reference) > 0.9999, text
        assert dot(vector, onnx.embed([text])[0]) > 0.9999, text
    assert onnx.embed([]) == []


def test_export_is_built_once_and_reused(model_dir: Path) -> None:
    OnnxMiniLMEmbedder(model_dir=model_dir)
    exported = model_dir / ONNX_FILE
    assert exported.is_file()
    stamp = exported.stat().st_mtime_ns
    OnnxMiniLMEmbedder(model_dir=model_dir)
    assert exported.stat().st_mtime_ns == stamp
    assert [p.name for p in model_dir.iterdir()] == [ONNX_FILE]  # no partial files left behind


def test_settings_choose_the_embedder(tmp_path: Path, model_dir: Path) -> None:
    built = build_embedder(VectorSearchSettings(data_dir=tmp_path, models_dir=model_dir))
    assert isinstance(built, OnnxMiniLMEmbedder)
    assert isinstance(build_embedder(VectorSearchSettings(data_dir=tmp_path, embedder="minilm")), MiniLMEmbedder)


class _ThreadRecordingEmbedder(OnnxMiniLMEmbedder):
    """Notes which thread ran each model call."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.threads: list[str] = []

    def _embed_run(self, ids: list[list[int]]) -> Any:
        self.threads.append(threading.current_thread().name)
        assert len({len(text_ids) for text_ids in ids}) == 1  # a run is never padded
        return super()._embed_run(ids)


def test_a_batch_split_over_workers_gives_the_same_vectors_in_place(model_dir: Path) -> None:
    serial = OnnxMiniLMEmbedder(model_dir=model_dir)
    split = _ThreadRecordingEmbedder(model_dir=model_dir, workers=2, batch_size=2)
    try:
        texts = [f"{text} ({number})" for number in range(3) for text in TEXTS]
        vectors = split.embed(texts)
        assert len(split.threads) >= 8  # 15 texts in runs of at most 2, run by the workers
        assert all(name.startswith("onnx-embed") for name in split.threads)
        for text, vector, reference in zip(texts, vectors, serial.embed(texts), strict=True):
            assert dot(vector, reference) > 0.9999, text
            assert dot(vector, serial.embed([text])[0]) > 0.9999, text
        # A single text (a search query) runs in the caller's thread: no hand-over on the latency path.
        split.threads.clear()
        assert dot(split.embed([texts[0]])[0], vectors[0]) > 0.9999
        assert split.threads == [threading.current_thread().name]
    finally:
        split.close()
