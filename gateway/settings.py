"""Gateway settings (MEMGRID_* env vars)."""

from __future__ import annotations

from pydantic import model_validator

from gateway.jobs import JobSettings
from gateway.limits import InputLimits
from gateway.rerank import RerankSettings
from gateway.webhooks import WebhookSettings
from libs.config import (
    DEFAULT_EXTRACTION_PORT,
    DEFAULT_GRPC_PORT,
    DEFAULT_HTTP_PORT,
    DEFAULT_METADATA_PORT,
    DEFAULT_VECTORSEARCH_PORT,
    BaseServiceSettings,
)
from services.extraction.settings import LLMSettings


class GatewaySettings(BaseServiceSettings):
    grpc_port: int = DEFAULT_GRPC_PORT
    http_port: int = DEFAULT_HTTP_PORT
    extraction_addr: str = f"127.0.0.1:{DEFAULT_EXTRACTION_PORT}"
    vectorsearch_addr: str = f"127.0.0.1:{DEFAULT_VECTORSEARCH_PORT}"
    metadata_addr: str = f"127.0.0.1:{DEFAULT_METADATA_PORT}"
    # Deadline of one internal RPC, seconds.
    rpc_timeout_seconds: float = 15.0
    # Deadline of one extraction RPC: an LLM call with its retries (MEMGRID_LLM__TIMEOUT_SECONDS is 30 s a try).
    extraction_timeout_seconds: float = 90.0
    # How long a verified API key is trusted without asking the metadata service again.
    auth_cache_seconds: float = 30.0
    # Budget of one REST request (gRPC callers set their own deadline); every downstream call is capped by
    # what is left of it.
    request_timeout_seconds: float = 120.0
    # An idempotency key claimed by a request that never finished can be taken over after this long; longer
    # than request_timeout_seconds, so a request that is still running is never taken over.
    idempotency_lease_seconds: float = 150.0
    # The vector-sync reconciler: a pass every interval, for outbox entries at least min_age old (a pass for
    # entries of any age runs when the gateway starts).
    vector_sync_interval_seconds: float = 30.0
    vector_sync_min_age_seconds: float = 30.0
    # Input limits of the public API (MEMGRID_LIMITS__MAX_TOP_K=..., see gateway/limits.py).
    limits: InputLimits = InputLimits()
    # Webhook deliveries: timeout, retries and backoff, address policy (MEMGRID_WEBHOOKS__..., gateway/webhooks.py).
    webhooks: WebhookSettings = WebhookSettings()
    # Reranking and the temporal boost of search (MEMGRID_RERANK__*, see gateway/rerank.py).
    rerank: RerankSettings = RerankSettings()
    # The OpenAI-compatible LLM: the same MEMGRID_LLM__* settings the extraction service reads; the gateway
    # uses it only for MEMGRID_RERANK__PROVIDER=llm.
    llm: LLMSettings = LLMSettings()
    # The job worker of asynchronous adds (MEMGRID_JOBS__CONCURRENCY=..., see gateway/jobs.py).
    jobs: JobSettings = JobSettings()

    @model_validator(mode="after")
    def _lease_outlives_requests(self) -> GatewaySettings:
        if self.idempotency_lease_seconds <= self.request_timeout_seconds:
            raise ValueError(
                "idempotency_lease_seconds must be longer than request_timeout_seconds "
                f"({self.idempotency_lease_seconds} <= {self.request_timeout_seconds}): a running request's "
                "idempotency key would be taken over"
            )
        return self
