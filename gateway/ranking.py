"""Hybrid ranking: fusing the dense (vector) and lexical (full-text) candidate lists into one, scores in [0, 1].

Reciprocal-rank fusion with a small damping constant won on the LOCOMO dev split against weighted sums of the
scores (raw, or min-max normalised) and against larger constants; every variant tried is in
bench/results/locomo-fusion-variants.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from libs.domain import VectorHit

# Candidates fetched from each side before fusing (then cut to top_k): a wide net, so that a memory found by
# one side only still reaches the fused top-k (mem0ai/mem0#6448: fusing or reranking a truncated top-k).
HYBRID_CANDIDATES = 100
# RRF damping constant and the weight of each side (measured; see the module docstring).
RRF_K = 5
DENSE_WEIGHT = 0.5
LEXICAL_WEIGHT = 0.5


def fuse_rrf(
    dense: Sequence[VectorHit],
    lexical: Sequence[VectorHit],
    *,
    k: int = RRF_K,
    dense_weight: float = DENSE_WEIGHT,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> list[VectorHit]:
    """Weighted reciprocal-rank fusion of two best-first lists, divided by its maximum (first in both lists):
    scores in (0, 1], best first, ties by id."""
    best = (dense_weight + lexical_weight) / (k + 1)
    scores: dict[str, float] = {}
    for weight, hits in ((dense_weight, dense), (lexical_weight, lexical)):
        for rank, hit in enumerate(hits, start=1):
            scores[hit.memory_id] = scores.get(hit.memory_id, 0.0) + weight / (k + rank)
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [VectorHit(memory_id, min(1.0, score / best)) for memory_id, score in ordered]
