"""Unit tests of the hashing embedder (the MiniLM embedder is covered by the component tests)."""

from __future__ import annotations

import math

from services.vectorsearch.embedder import HashingEmbedder


def dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_dimension_and_unit_length() -> None:
    embedder = HashingEmbedder()
    vectors = embedder.embed(["I am vegetarian", "x", "?!", "   "])
    assert embedder.dim == 384
    assert all(len(vector) == 384 for vector in vectors)
    assert all(math.isclose(math.sqrt(dot(v, v)), 1.0, rel_tol=1e-9) for v in vectors)


def test_deterministic_and_case_insensitive() -> None:
    first, second = HashingEmbedder(dim=64), HashingEmbedder(dim=64)
    assert first.embed(["Hello World"]) == second.embed(["hello world"])
    assert first.embed(["hello"]) != first.embed(["help"])


def test_overlap_gives_higher_similarity() -> None:
    embedder = HashingEmbedder()
    query, near, far = embedder.embed(["rock climbing trip", "I love rock climbing", "vegetarian food"])
    assert dot(query, near) > dot(query, far)
    assert dot(query, query) > 0.999


def test_empty_batch() -> None:
    assert HashingEmbedder().embed([]) == []
