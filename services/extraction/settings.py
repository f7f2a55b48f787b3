"""Settings of the extraction service (MEMGRID_* env vars, `__` for nesting)."""

from __future__ import annotations

from pydantic import BaseModel, SecretStr

from libs.config import DEFAULT_EXTRACTION_PORT, BaseServiceSettings


class LLMSettings(BaseModel):
    """The OpenAI-compatible LLM (MEMGRID_LLM__BASE_URL, ...). Unset base_url → offline extractor."""

    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = 30


class ExtractionSettings(BaseServiceSettings):
    extraction_port: int = DEFAULT_EXTRACTION_PORT
    llm: LLMSettings = LLMSettings()
