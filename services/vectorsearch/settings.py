"""Settings of the vectorsearch service (MEMGRID_ prefix, `__` for nesting, e.g. MEMGRID_MILVUS__URI)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, SecretStr

from libs.config import DEFAULT_VECTORSEARCH_PORT, BaseServiceSettings

MILVUS_LITE_FILE = "milvus.db"
EmbedderKind = Literal["minilm", "minilm-onnx", "minilm-onnx-int8", "hashing"]


class MilvusSettings(BaseModel):
    """Where the vectors live. `uri` None means Milvus Lite in `<data_dir>/milvus.db` (a directory)."""

    uri: str | None = None
    token: SecretStr | None = None
    collection: str = "memgrid_memories"
    # Milvus server only (Milvus Lite is always strong): Session gives read-your-writes per replica without
    # Strong's ~200 ms per search; only searches a write of the last 6 s could answer (same tenant and, if the
    # search is pinned to users or candidate ids, one of those) wait for it, the others read Bounded
    # (services/vectorsearch/freshness.py).
    consistency_level: Literal["Strong", "Session", "Bounded", "Eventually"] = "Session"


class VectorSearchSettings(BaseServiceSettings):
    vectorsearch_port: int = DEFAULT_VECTORSEARCH_PORT
    milvus: MilvusSettings = MilvusSettings()
    # "minilm" runs all-MiniLM-L6-v2 on torch, "minilm-onnx" the same model on ONNX Runtime (exported once
    # into <data_dir>/models; same vectors), "minilm-onnx-int8" that export with int8 weights (quantized once
    # beside it; the same vector space). "hashing" is a deterministic feature-hashing embedder for tests only.
    # The default by measurement (bench/results/embedders-r10.md, docs/performance.md round 10): single queries
    # ~2.4x faster than fp32 ONNX (itself 2.5x faster than torch), batches +34 % texts/s, LOCOMO retrieval unchanged.
    embedder: EmbedderKind = "minilm-onnx-int8"
    # Intra-op threads for the local embedder (torch or ONNX Runtime); 1 measured fastest on 2 cores.
    embed_threads: int = 1
    # minilm-onnx: a batch of several texts (an add's) is spread over this many concurrent runs of the model,
    # each on `embed_threads` threads; a single query runs alone. 2 measured fastest on 2 cores: 1.7-1.9x
    # the adds/s when the second core is free, about even when other jobs hold it
    # (bench/results/ingest-throughput.md).
    embed_workers: int = 2
    # Texts whose vectors are kept (LRU); each costs ~1.5 KB at 384 dims. 0 turns the cache off.
    embed_cache_size: int = 10_000

    def milvus_uri(self) -> str:
        """The Milvus URI to connect to; for Milvus Lite the data dir is created."""
        if self.milvus.uri:
            return self.milvus.uri
        data_dir = Path(self.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        return str((data_dir / MILVUS_LITE_FILE).resolve())

    # Where models built locally at first start (the ONNX export) are kept; None: <data_dir>/models.
    models_dir: Path | None = None

    def model_dir(self) -> Path:
        return self.models_dir or Path(self.data_dir) / "models"

    def uses_milvus_lite(self) -> bool:
        return self.milvus.uri is None or self.milvus.uri.endswith(".db")
