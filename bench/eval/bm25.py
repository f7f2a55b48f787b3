"""A plain Okapi BM25 over a list of texts: the lexical baseline of the evaluation (no service involved)."""

from __future__ import annotations

import math
import re
from collections import Counter

_WORD = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Bm25:
    def __init__(self, texts: list[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self._docs = [Counter(tokens(text)) for text in texts]
        self._lengths = [sum(doc.values()) for doc in self._docs]
        self._average = sum(self._lengths) / max(1, len(self._lengths))
        frequency: Counter[str] = Counter(term for doc in self._docs for term in doc)
        n = len(self._docs)
        self._idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequency.items()}
        self._k1, self._b = k1, b

    def top(self, query: str, k: int) -> list[int]:
        """Indexes of the k best-scoring texts (texts sharing no term with the query are never returned)."""
        terms = [term for term in set(tokens(query)) if term in self._idf]
        scores: dict[int, float] = {}
        for index, doc in enumerate(self._docs):
            norm = self._k1 * (1 - self._b + self._b * self._lengths[index] / self._average)
            score = sum(self._idf[t] * doc[t] * (self._k1 + 1) / (doc[t] + norm) for t in terms if t in doc)
            if score > 0:
                scores[index] = score
        return sorted(scores, key=lambda i: (-scores[i], i))[:k]
