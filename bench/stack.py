"""The benchmarked stack: the in-process stack of the test support code with one bootstrap API key."""

from __future__ import annotations

from pathlib import Path

from libs.domain import Tenant
from services.extraction.settings import ExtractionSettings, LLMSettings
from services.vectorsearch.settings import VectorSearchSettings
from tests.support.stack import InProcessStack, start_stack

API_KEY = "bench-key-acme-bench"
TENANT = Tenant(org_id="acme", project_id="bench")


async def start_bench_stack(
    data_dir: Path, *, llm: LLMSettings | None = None, milvus_uri: str | None = None, collection: str | None = None
) -> InProcessStack:
    """The stack; with `llm`, its extraction service extracts and reconciles with that LLM (else offline rules);
    with `milvus_uri`, vectors go to that Milvus server, into `collection` (else Milvus Lite in `data_dir`).
    vectorsearch's other settings are the service's own: its defaults, or MEMGRID_* variables (MEMGRID_EMBEDDER
    compares embedders)."""
    extraction = None if llm is None else ExtractionSettings(data_dir=data_dir, extraction_port=0, llm=llm)
    vectors = None
    if milvus_uri:
        milvus = {"uri": milvus_uri, **({"collection": collection} if collection else {})}
        vectors = VectorSearchSettings(data_dir=data_dir, vectorsearch_port=0, milvus=milvus)
    return await start_stack(
        data_dir,
        f"{API_KEY}={TENANT.org_id}/{TENANT.project_id}",
        extraction_settings=extraction,
        vector_settings=vectors,
    )
