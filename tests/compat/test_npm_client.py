"""The npm `mem0ai@3.3.1` MemoryClient, driven by Node, against the running REST gateway.

The package is installed once into `<repo>/.npm-compat/` (outside git tracking) by the `npm_client_dir`
fixture; the test is skipped with the reason when node/npm or the registry are unavailable. The JS client
converts request keys to snake_case and response keys to camelCase (metadata passes through unchanged),
needs the ping to say `status: "ok"`, and sends `messages` as a plain string when given one.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import CompatTenant, TenantFactory

SCENARIO = Path(__file__).with_name("npm_scenario.mjs")


@pytest.fixture(scope="module")
async def seen(npm_client_dir: Path, make_tenant: TenantFactory, tmp_path_factory: pytest.TempPathFactory) -> dict:
    tenant: CompatTenant = await make_tenant("npm")
    home = tmp_path_factory.mktemp("npm-home")
    process = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node",
        str(SCENARIO),
        str(npm_client_dir),
        tenant.rest_url,
        tenant.api_key,
        "npm",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MEM0_TELEMETRY": "false", "MEM0_DIR": str(home), "HOME": str(home)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, f"node scenario crashed:\n{stderr.decode()[-3000:]}"
    observed = json.loads(stdout.decode().strip().splitlines()[-1])
    observed["_tenant"] = {"org_id": tenant.org_id, "project_id": tenant.project_id}
    return observed


def ok(seen: dict[str, Any], name: str) -> Any:
    step = seen[name]
    assert step["ok"], f"{name}: the npm client threw {step['error']} ({step.get('code')})"
    return step["value"]


def texts(listing: dict[str, Any]) -> list[str]:
    return [m["memory"] for m in listing["results"]]


def test_init_reads_org_and_project_from_ping(seen: dict[str, Any]) -> None:
    identity = ok(seen, "init")
    assert identity == {
        "organizationId": seen["_tenant"]["org_id"],
        "projectId": seen["_tenant"]["project_id"],
    }


def test_add_messages_plain_string_and_camel_case_options(seen: dict[str, Any]) -> None:
    added = ok(seen, "add_messages")
    assert added["eventId"] and added["status"] in {"SUCCEEDED", "PENDING"}
    assert [r["memory"] for r in added["results"]] == ["I am moving to Berlin in May.", "Exciting!"]
    inferred = " ".join(r["memory"].lower() for r in ok(seen, "add_plain_string")["results"])
    assert "vegetarian" in inferred and "hiking" in inferred, inferred
    assert [r["memory"] for r in ok(seen, "add_camel_case_options")["results"]] == ["I drive a red bike."]


def test_search_sends_v1_1_and_gets_camel_cased_results(seen: dict[str, Any]) -> None:
    found = ok(seen, "search")["results"]
    assert found and found[0]["memory"] == "I am moving to Berlin in May.", found[:2]
    assert {"id", "memory", "userId", "createdAt", "updatedAt", "score", "metadata", "categories"} <= set(found[0])
    assert found[0]["metadata"] == {"fooBar": 1, "source": "npm"}  # metadata keys come back untouched
    assert all(0 <= r["score"] <= 1 for r in found)
    hiking = ok(seen, "search_threshold_keyword")["results"]
    assert any("hiking" in r["memory"].lower() for r in hiking) and all(r["score"] >= 0.2 for r in hiking)


def test_get_all_pages(seen: dict[str, Any]) -> None:
    first, second = ok(seen, "get_all_page1"), ok(seen, "get_all_page2")
    assert first["count"] == second["count"] >= 4
    assert len(first["results"]) == len(second["results"]) == 2
    assert first["next"] and first["previous"] is None and second["previous"]
    assert ok(seen, "get_all_show_expired")["count"] == first["count"]


def test_get_update_history_delete(seen: dict[str, Any]) -> None:
    memory = ok(seen, "get")
    assert memory["memory"] == "I am moving to Berlin in May." and memory["userId"] == "npm-jo"
    assert ok(seen, "update")["memory"] == "I am moving to Munich in May."
    assert ok(seen, "update_clear_expiration")["expirationDate"] is None
    rows = ok(seen, "history")
    assert [r["event"] for r in rows] == ["ADD", "UPDATE", "UPDATE"], rows
    assert rows[1]["oldMemory"] == "I am moving to Berlin in May." and rows[1]["newMemory"].endswith("Munich in May.")
    assert "deleted" in ok(seen, "delete")["message"].lower()
    missing = seen["get_deleted"]
    assert not missing["ok"] and missing["code"] == "HTTP_404", missing


def test_delete_all(seen: dict[str, Any]) -> None:
    ok(seen, "add_other")
    assert ok(seen, "delete_all")["message"]
    assert ok(seen, "get_all_after_delete_all")["count"] == 0


def test_users_and_deprecated_delete_user(seen: dict[str, Any]) -> None:
    users = ok(seen, "users")
    assert {"count", "next", "previous", "results", "totalUsers"} <= set(users)
    jo = next(e for e in users["results"] if e["name"] == "npm-jo")
    assert jo["type"] == "user" and jo["totalMemories"] >= 3 and "createdAt" in jo
    ok(seen, "add_legacy")
    assert ok(seen, "delete_user_legacy")["message"]  # DELETE /v1/entities/user/<id>/
    assert ok(seen, "get_all_after_delete_user_legacy")["count"] == 0


def test_batch_update_and_delete(seen: dict[str, Any]) -> None:
    ok(seen, "batch_seed")
    assert ok(seen, "batch_update") == {"message": "Successfully updated 3 memories"}
    assert ok(seen, "get_batch_first")["memory"] == "Batch note 0 (edited)."
    assert ok(seen, "batch_delete") == {"message": "Successfully deleted 3 memories"}
    assert not any(t.startswith("Batch note") for t in texts(ok(seen, "get_all_after_batch")))


def test_delete_users(seen: dict[str, Any]) -> None:
    assert ok(seen, "delete_users") == {"message": "Entity deleted successfully."}
    assert ok(seen, "get_all_after_delete_users")["count"] == 0
    assert "npm-jo" not in {e["name"] for e in ok(seen, "users_after")["results"]}
