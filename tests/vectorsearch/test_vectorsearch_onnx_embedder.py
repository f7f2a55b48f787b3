"""The ONNX Runtime embedder against the torch one: the same model must give the same vectors.

It shares the torch embedder's name (a collection filled by one is searched with the other), so the vectors
must agree closely; the export is built once into the model dir and reused. Its int8 variant shares the name
too: its vectors must stay in the same space, find what fp32 finds, and not depend on the texts batched with them.
"""

from __future__ import annotations

import math
import shutil
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import onnx
import pytest

from services.vectorsearch.embedder import MiniLMEmbedder
from services.vectorsearch.onnx_embedder import INT8_ONNX_FILE, ONNX_FILE, OnnxMiniLMEmbedder
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


def test_settings_choose_the_embedder(tmp_path: Path, model_dir: Path, int8_model_dir: Path) -> None:
    built = build_embedder(VectorSearchSettings(data_dir=tmp_path, models_dir=model_dir, embedder="minilm-onnx"))
    assert isinstance(built, OnnxMiniLMEmbedder) and built.weights == "fp32"
    int8 = build_embedder(
        VectorSearchSettings(data_dir=tmp_path, models_dir=int8_model_dir, embedder="minilm-onnx-int8")
    )
    assert isinstance(int8, OnnxMiniLMEmbedder) and int8.weights == "int8"
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


@pytest.fixture(scope="module")
def int8_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model dir holding the fp32 export already (copied: exporting loads torch), not yet the int8 graph."""
    OnnxMiniLMEmbedder(model_dir=model_dir)
    target = tmp_path_factory.mktemp("models-int8")
    shutil.copy(model_dir / ONNX_FILE, target / ONNX_FILE)
    return target


@pytest.fixture(scope="module")
def int8(int8_model_dir: Path) -> OnnxMiniLMEmbedder:
    return OnnxMiniLMEmbedder(model_dir=int8_model_dir, int8=True, workers=2)


def test_int8_graph_is_built_once_beside_the_export(int8: OnnxMiniLMEmbedder, int8_model_dir: Path) -> None:
    quantized = int8_model_dir / INT8_ONNX_FILE
    assert sorted(p.name for p in int8_model_dir.iterdir()) == sorted([ONNX_FILE, INT8_ONNX_FILE])
    # Each of the 6 layers: its 6 products by a weight matrix (q, k, v, attention out, the two feed-forward ones)
    # run on int8; its 2 products of activations (scores, weighted values) stay fp32.
    operators = Counter(node.op_type for node in onnx.load(str(quantized)).graph.node)
    assert (operators["MatMulInteger"], operators["MatMul"]) == (36, 12)
    stamp = quantized.stat().st_mtime_ns
    OnnxMiniLMEmbedder(model_dir=int8_model_dir, int8=True)
    assert quantized.stat().st_mtime_ns == stamp


def test_int8_vectors_stay_in_the_fp32_space(int8: OnnxMiniLMEmbedder, model_dir: Path) -> None:
    fp32 = OnnxMiniLMEmbedder(model_dir=model_dir)
    assert (int8.name, int8.dim) == (fp32.name, fp32.dim)
    for text, vector, reference in zip(TEXTS, int8.embed(TEXTS), fp32.embed(TEXTS), strict=True):
        assert math.isclose(math.sqrt(dot(vector, vector)), 1.0, rel_tol=1e-5)
        assert 0.97 < dot(vector, reference) < 0.99999, text  # close, and not the fp32 graph run by mistake


def test_an_int8_vector_does_not_depend_on_its_batch(int8: OnnxMiniLMEmbedder) -> None:
    # Dynamic quantization scales a run's activations by the whole run's range: batched, a text's vector would
    # move with its neighbours. Each text runs alone, so alone or among others it is the same vector.
    texts = [f"{text} ({number})" for number in range(3) for text in TEXTS]
    batched = int8.embed(texts)
    for text, vector in zip(texts, batched, strict=True):
        assert vector == int8.embed([text])[0], text
    assert int8.embed(list(reversed(texts))) == list(reversed(batched))


FACTS = [
    "Melanie painted a sunset over the lake last summer",
    "Caroline is researching adoption agencies",
    "John's favourite food is spicy ramen",
    "The team moved the weekly sync to Thursday mornings",
    "Maria is allergic to peanuts and shellfish",
    "Tom runs a marathon every spring in Boston",
    "The user prefers dark mode in every editor",
    "Ana adopted a grey cat named Pixel",
]
QUESTIONS = {
    "What did Melanie paint?": 0,
    "Which agencies is Caroline looking into?": 1,
    "What does John like to eat?": 2,
    "When is the weekly meeting now?": 3,
    "What food allergies does Maria have?": 4,
    "Which race does Tom run?": 5,
    "What colour theme does the user like?": 6,
    "What is the name of Ana's pet?": 7,
}


def test_int8_finds_what_fp32_finds(int8: OnnxMiniLMEmbedder, model_dir: Path) -> None:
    fp32 = OnnxMiniLMEmbedder(model_dir=model_dir)
    for embedder in (fp32, int8):
        facts = embedder.embed(FACTS)
        for question, expected in QUESTIONS.items():
            query = embedder.embed([question])[0]
            scores = [dot(query, fact) for fact in facts]
            assert scores.index(max(scores)) == expected, (embedder.weights, question)
    # Across: int8 queries over vectors fp32 stored (a collection filled before switching).
    stored = fp32.embed(FACTS)
    for question, expected in QUESTIONS.items():
        query = int8.embed([question])[0]
        scores = [dot(query, fact) for fact in stored]
        assert scores.index(max(scores)) == expected, question
