"""The floor under a gateway search: query embedding alone and raw pymilvus search alone.

The embedder is a second one built with the vectorsearch service's own settings and composition root. The raw
search runs against the service's own Milvus Lite collection: a MilvusClient on the same `.db` path in
this process reuses the in-process Milvus Lite server (the data dir is locked per process, not per
client), so it searches exactly the rows the service stored, with the same filter expression, limit,
metric and consistency level as services/vectorsearch/store.py. On a Milvus server (`--milvus-uri`) the
raw client connects to the same server and collection.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from pymilvus import MilvusClient

from bench.clients import filter_node
from bench.data import SearchCase
from gateway.orchestrator import SEARCH_OVERFETCH
from libs.domain import Tenant
from services.vectorsearch import milvus_filter, store
from services.vectorsearch import server as vectorsearch_server
from services.vectorsearch.embedder import Embedder
from services.vectorsearch.settings import VectorSearchSettings

TOP_K = 10


def build_embedder(settings: VectorSearchSettings) -> Embedder:
    return vectorsearch_server.build_embedder(settings)


def time_embeddings(
    embedder: Embedder, cases: Sequence[SearchCase], tick: Callable[[], None]
) -> tuple[list[float], list[list[float]]]:
    """Seconds per single-query embedding, and the vectors (reused by the raw search)."""
    seconds: list[float] = []
    vectors: list[list[float]] = []
    for case in cases:
        started = time.perf_counter()
        vectors.append(embedder.embed([case.query])[0])
        seconds.append(time.perf_counter() - started)
        tick()
    return seconds, vectors


def open_raw_client(settings: VectorSearchSettings) -> MilvusClient:
    token = settings.milvus.token.get_secret_value() if settings.milvus.token else ""
    return MilvusClient(uri=settings.milvus_uri(), token=token)


def time_raw_searches(
    client: MilvusClient,
    settings: VectorSearchSettings,
    tenant: Tenant,
    kind: str,
    cases: Sequence[SearchCase],
    vectors: Sequence[list[float]],
    tick: Callable[[], None],
) -> tuple[list[float], list[int]]:
    """Seconds per raw search (one query vector, the gateway's limit top_k + overfetch) and hit counts."""
    seconds: list[float] = []
    hits: list[int] = []
    index_type = client.describe_index(settings.milvus.collection, "vector").get("index_type", "")
    params = store.search_params(index_type, TOP_K + SEARCH_OVERFETCH)
    for case, vector in zip(cases, vectors, strict=True):
        expr = milvus_filter.conjoin_exprs(
            milvus_filter.tenant_expr(tenant),
            milvus_filter.to_milvus_expr(filter_node(kind, case.user_id, since=case.since, topic=case.topic)),
        )
        started = time.perf_counter()
        result = client.search(
            settings.milvus.collection,
            data=[vector],
            filter=expr,
            limit=TOP_K + SEARCH_OVERFETCH,
            output_fields=["id"],
            anns_field="vector",
            search_params={"metric_type": "COSINE", "params": params},
            consistency_level=settings.milvus.consistency_level,
        )
        seconds.append(time.perf_counter() - started)
        hits.append(len(result[0]))
        tick()
    return seconds, hits
