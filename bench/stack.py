"""The benchmarked stack: the in-process stack of the test support code with one bootstrap API key."""

from __future__ import annotations

from pathlib import Path

from libs.domain import Tenant
from tests.support.stack import InProcessStack, start_stack

API_KEY = "bench-key-acme-bench"
TENANT = Tenant(org_id="acme", project_id="bench")


async def start_bench_stack(data_dir: Path) -> InProcessStack:
    return await start_stack(data_dir, f"{API_KEY}={TENANT.org_id}/{TENANT.project_id}")
