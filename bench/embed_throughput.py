"""The embedder's own ingest ceiling: MiniLM on ONNX Runtime over the bench data set's memory texts.

`python -m bench.embed_throughput [--texts 1024] [--rounds 3] [--name ingest-embedder]`

Side by side, rounds interleaved so load on a shared machine hits every variant alike (medians reported):
- padded: the embedder as it was before issue 9c: texts sorted by characters, runs of up to 64 padded to
  their longest, one run at a time on one thread;
- unpadded: runs of equal token count (no pad tokens), one at a time on one thread (embed_workers=1);
- intra-op 2: the same on two ONNX Runtime threads;
- workers 2: the runs spread over two concurrent runs of one session, one thread each (embed_workers=2,
  the default).
For each add-sized batch (50, 100, 256 texts): texts per wall second and per CPU second (process time,
steadier under load), and the compute it took: multiply-adds of the transformer's matrices per token
(embedding look-ups, softmax and norms are left out, so this is a lower bound) times the tokens run,
padding included. Against the CPU's peak (cores x MHz x 32 FP32 FLOP per cycle: two 256-bit FMA pipes, as
on AMD Zen 4) this bounds what any runtime could reach. Single-query latency (the search path) too.
Writes bench/results/<name>.json and .md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.data import build_dataset
from bench.report import git_state, machine
from bench.run import RESULTS_DIR, write_result
from services.vectorsearch.onnx_embedder import ONNX_FILE, OnnxMiniLMEmbedder

BATCHES = (50, 100, 256)
FLOP_PER_CYCLE = 32  # FP32 per core: 2 FMA pipes x 8 lanes x 2 (AVX2 / AVX-512 on Zen 4)


def _texts(count: int) -> list[str]:
    dataset = build_dataset(max(count, 1000), 100)
    return [text for chunk in dataset.chunks for text in chunk.texts][:count]


def _matmul_params(model_dir: Path) -> int:
    """Weights of the 2-D MatMul initializers (Q, K, V, output, FFN in, FFN out of every layer)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(model_dir / ONNX_FILE)).graph
    weights = {init.name: init for init in graph.initializer}
    total = 0
    for node in graph.node:
        if node.op_type != "MatMul":
            continue
        for name in node.input:
            if name in weights and len(weights[name].dims) == 2:
                total += numpy_helper.to_array(weights[name]).size
    return total


class _PaddedOnnxEmbedder(OnnxMiniLMEmbedder):
    """The batching before issue 9c (bench only): sorted by characters, runs of 64 padded to their longest."""

    def __init__(self, *, model_dir: Path) -> None:
        super().__init__(model_dir=model_dir)
        self._tokenizer.enable_padding()
        self.tokens_run = 0

    def embed(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), 64):
            run = order[start : start + 64]
            encodings = self._tokenizer.encode_batch([texts[i] for i in run])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            (tokens,) = self._session.run(None, inputs)
            weights = mask[:, :, None].astype(np.float32)
            pooled = (tokens * weights).sum(axis=1) / weights.sum(axis=1)
            vectors[run] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
            self.tokens_run += ids.size
        return vectors.tolist()


def _time(call: Callable[[list[str]], Any], batches: list[list[str]]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        call(batch)
    return time.perf_counter() - wall, time.process_time() - cpu


def run(count: int, rounds: int, queries: int) -> dict[str, Any]:
    texts = _texts(count)
    with tempfile.TemporaryDirectory(prefix="memgrid-embed-") as tmp:
        model_dir = Path(tmp)
        padded = _PaddedOnnxEmbedder(model_dir=model_dir)
        serial = OnnxMiniLMEmbedder(model_dir=model_dir)
        intra2 = OnnxMiniLMEmbedder(model_dir=model_dir, threads=2)
        workers2 = OnnxMiniLMEmbedder(model_dir=model_dir, workers=2)
        variants: dict[str, Callable[[list[str]], Any]] = {
            "padded": padded.embed,
            "unpadded": serial.embed,
            "intra-op 2": intra2.embed,
            "workers 2": workers2.embed,
        }
        params = _matmul_params(model_dir)
        for call in variants.values():  # warm-up: first runs allocate
            call(texts[:64])
        wall: dict[str, dict[int, list[float]]] = {key: {size: [] for size in BATCHES} for key in variants}
        cpu: dict[str, dict[int, list[float]]] = {key: {size: [] for size in BATCHES} for key in variants}
        padded_tokens: dict[int, int] = {}
        single: dict[str, list[float]] = {key: [] for key in ("padded", "workers 2")}
        for _ in range(rounds):
            for size in BATCHES:
                batches = [texts[start : start + size] for start in range(0, len(texts), size)]
                padded.tokens_run = 0
                for key, call in variants.items():
                    seconds, cpu_seconds = _time(call, batches)
                    wall[key][size].append(seconds)
                    cpu[key][size].append(cpu_seconds)
                padded_tokens[size] = padded.tokens_run
            for key, embedder in (("padded", padded), ("workers 2", workers2)):
                for query in texts[:queries]:
                    started = time.perf_counter()
                    embedder.embed([query])
                    single[key].append(time.perf_counter() - started)
        real_tokens = sum(len(e.ids) for e in serial._tokenizer.encode_batch(texts))
        workers2.close()
    mhz = _mhz()
    rows: dict[str, Any] = {}
    for key in variants:
        for size in BATCHES:
            run_tokens = padded_tokens[size] if key == "padded" else real_tokens
            flop = 2 * params * run_tokens
            cpu_s = statistics.median(cpu[key][size])
            wall_s = statistics.median(wall[key][size])
            rows[f"{key} / {size}"] = {
                "variant": key,
                "batch": size,
                "texts_per_s": round(len(texts) / wall_s, 1),
                "texts_per_cpu_s": round(len(texts) / cpu_s, 1),
                "tokens_per_text": round(run_tokens / len(texts), 2),
                "gflop_per_cpu_s": round(flop / cpu_s / 1e9, 1),
            }
    flop_per_text = 2 * params * real_tokens / len(texts)
    peak = (os.cpu_count() or 1) * mhz * 1e6 * FLOP_PER_CYCLE if mhz else None
    return {
        "name": "",
        "machine": machine(),
        "git": git_state(),
        "settings": {"texts": len(texts), "rounds": rounds, "queries": queries},
        "model": {
            "matmul_params": params,
            "tokens_per_text": round(real_tokens / len(texts), 2),
            "mflop_per_text": round(flop_per_text / 1e6, 1),
            "cpu_mhz": mhz,
            "peak_gflop_s_all_cores": round(peak / 1e9, 1) if peak else None,
            "ceiling_texts_per_s_at_peak": round(peak / flop_per_text, 0) if peak else None,
        },
        "single_query_ms_p50": {key: round(statistics.median(v) * 1000, 2) for key, v in single.items()},
        "rows": rows,
    }


def _mhz() -> float | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1])
    except OSError:
        return None
    return None


def markdown(result: dict[str, Any]) -> str:
    model = result["model"]
    lines = [
        f"# The embedder's ingest ceiling ({result['name']})",
        "",
        f"Load average at the end: {result['machine']['load_average']} on {result['machine']['cpu_count']} CPUs "
        f"({result['machine']['cpu_model']}, {model['cpu_mhz']} MHz); {result['settings']}; "
        f"commit {str(result['git']['commit'])[:8]}.",
        "",
        f"Bench memory texts: {model['tokens_per_text']} tokens each ([CLS] and [SEP] included); the transformer's "
        f"matrices hold {model['matmul_params']:,} weights, so a text takes at least {model['mflop_per_text']} "
        f"MFLOP. At the CPUs' peak ({model['peak_gflop_s_all_cores']} GFLOP/s on all cores, nothing else running) "
        f"that is at most **{model['ceiling_texts_per_s_at_peak']:.0f} texts/s**.",
        "",
        "| variant | batch | texts/s (wall) | texts per CPU-second | tokens run per text | GFLOP per CPU-second |",
        "|---|---|---|---|---|---|",
    ]
    for row in result["rows"].values():
        lines.append(
            f"| {row['variant']} | {row['batch']} | {row['texts_per_s']} | {row['texts_per_cpu_s']} "
            f"| {row['tokens_per_text']} | {row['gflop_per_cpu_s']} |"
        )
    single = ", ".join(f"{key} {value} ms" for key, value in result["single_query_ms_p50"].items())
    lines += ["", f"Single query p50: {single}.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.embed_throughput", description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=1024, help="bench memory texts embedded per variant and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--queries", type=int, default=50, help="single queries per variant and round")
    parser.add_argument("--name", default="ingest-embedder", help="result file name")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="results directory")
    args = parser.parse_args()
    result = run(args.texts, args.rounds, args.queries)
    result["name"] = args.name
    write_result(result, args.out, markdown(result))


if __name__ == "__main__":
    main()
