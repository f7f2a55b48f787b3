"""Settings of the extraction service (MEMGRID_* env vars, `__` for nesting)."""

from __future__ import annotations

from pydantic import BaseModel, Field, SecretStr

from libs.config import DEFAULT_EXTRACTION_PORT, BaseServiceSettings


class LLMSettings(BaseModel):
    """The OpenAI-compatible LLM (MEMGRID_LLM__BASE_URL, ...). Unset base_url → offline extractor."""

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    # Seconds one HTTP attempt may take (further capped by the caller's gRPC deadline).
    timeout_seconds: float = Field(30, gt=0)
    # Extra attempts after a 429, a 5xx, a timeout or a connection failure (0 = try once).
    max_retries: int = Field(2, ge=0, le=10)
    # Backoff before retry n (n = 0, 1, …): base * 2**n, with jitter in [50 %, 100 %], at most backoff_max.
    backoff_base_seconds: float = Field(0.5, ge=0)
    # Longest wait between attempts; a 429 whose Retry-After asks for more is not retried.
    backoff_max_seconds: float = Field(8.0, ge=0)
    # Sampling temperature sent with every call; None = don't send one (some reasoning models refuse it).
    temperature: float | None = Field(0.0, ge=0, le=2)
    # Characters of conversation one extraction call may show the model; older messages are left out first.
    max_conversation_chars: int = Field(24_000, ge=1_000)


class ExtractionSettings(BaseServiceSettings):
    extraction_port: int = DEFAULT_EXTRACTION_PORT
    llm: LLMSettings = LLMSettings()
