"""The official mem0ai Python SDK (2.2.1, unchanged) against the running REST gateway.

The SDK pins protobuf<7 and so lives in its own venv (`make test` builds .venv-sdk and sets
MEM0_SDK_PYTHON); the scenario runs there as a subprocess while the stack serves from this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import Stack

SCENARIO = Path(__file__).with_name("sdk_scenario.py")


@pytest.fixture(scope="module")
def sdk_python() -> str:
    python = os.environ.get("MEM0_SDK_PYTHON")
    if not python or not Path(python).exists():
        pytest.skip("MEM0_SDK_PYTHON is not set to a python with mem0ai installed (make test sets it)")
    return python


async def _run_scenario(python: str, stack: Stack, home: Path) -> dict:
    # The second project, so this run's "alex" is its own; the scenario uses user_id="alex".
    user = "alex"
    process = await asyncio.create_subprocess_exec(
        python,
        str(SCENARIO),
        stack.rest_url,
        stack.key_b,
        user,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MEM0_TELEMETRY": "False", "MEM0_DIR": str(home)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    if process.returncode != 0:
        sys.stderr.write(stderr.decode())
    assert process.returncode == 0, stderr.decode()[-3000:]
    return json.loads(stdout.decode().strip().splitlines()[-1])


async def test_official_python_sdk_core_flow(stack: Stack, sdk_python: str, tmp_path: Path) -> None:
    seen = await _run_scenario(sdk_python, stack, tmp_path)
    for queued in ("add_verbatim_queued", "add_inferred_queued"):
        assert seen[queued]["status"] == "PENDING" and seen[queued]["event_id"], seen[queued]
    for added in ("add_verbatim", "add_inferred"):
        event = seen[added]
        assert event["status"] == "SUCCEEDED", event
        assert event["id"] == seen[f"{added}_queued"]["event_id"]
        assert event["started_at"] and event["completed_at"] and event["latency"] is not None
    assert seen["add_sync"]["status"] == "SUCCEEDED" and seen["add_sync"]["results"][0]["memory"] == "I collect stamps."
    assert seen["summary"][0]["entity_type"] == "user" and seen["summary"][0]["entity_id"] == "alex"
    assert seen["export_created"]["id"]
    exported = seen["export"]["memories"]
    # Taken at the same point: the summary counts what the export lists (2 verbatim, the inferred facts, 1 sync).
    assert len(exported) == seen["export"]["count"] == seen["summary"][0]["memory_count"] >= 4
    assert all(set(m) == {"id", "memory"} for m in exported)
    assert "I collect stamps." in {m["memory"] for m in exported}
    assert [r["memory"] for r in seen["add_verbatim"]["results"]] == ["I am planning a trip to Japan.", "Nice!"]
    inferred = [r["memory"].lower() for r in seen["add_inferred"]["results"]]
    assert any("vegetarian" in m for m in inferred) and any("allergic to nuts" in m for m in inferred)
    assert not any(m.startswith("hi") for m in inferred)
    top_two = " ".join(r["memory"].lower() for r in seen["search"]["results"][:2])
    assert "vegetarian" in top_two and "nuts" in top_two
    assert all(0 <= r["score"] <= 1 for r in seen["search"]["results"])
    assert seen["get_all"]["count"] == len(seen["get_all"]["results"]) >= 4
    assert seen["get"]["id"] == seen["get_all"]["results"][0]["id"]
    assert seen["update"]["memory"] == "I am planning a trip to Kyoto."
    assert [h["event"] for h in seen["history"]] == ["ADD", "UPDATE"]
    assert "deleted" in seen["delete"]["message"].lower()
    assert seen["get_deleted"] == "MemoryNotFoundError"
    assert any(e["type"] == "user" for e in seen["users"]["results"])
    assert seen["get_all_after"]["count"] == 0
    assert seen["wrong_key"].startswith(("AuthenticationError", "ValueError")), seen["wrong_key"]
    assert seen["async"]["add"]["status"] == "PENDING"
    assert seen["async"]["event"]["status"] == "SUCCEEDED"
    assert seen["async"]["search"]["results"][0]["memory"].lower().find("violin") >= 0
