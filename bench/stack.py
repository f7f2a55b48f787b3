"""The benchmarked stack: the in-process stack of the test support code with one bootstrap API key."""

from __future__ import annotations

from pathlib import Path

from libs.domain import Tenant
from services.extraction.settings import ExtractionSettings, LLMSettings
from tests.support.stack import InProcessStack, start_stack

API_KEY = "bench-key-acme-bench"
TENANT = Tenant(org_id="acme", project_id="bench")


async def start_bench_stack(data_dir: Path, *, llm: LLMSettings | None = None) -> InProcessStack:
    """The stack; with `llm`, its extraction service extracts and reconciles with that LLM (else offline rules)."""
    extraction = None if llm is None else ExtractionSettings(data_dir=data_dir, extraction_port=0, llm=llm)
    return await start_stack(data_dir, f"{API_KEY}={TENANT.org_id}/{TENANT.project_id}", extraction_settings=extraction)
