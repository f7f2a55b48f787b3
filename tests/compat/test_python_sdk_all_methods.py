"""Every method of the official mem0ai 2.2.1 Python clients (sync and async) against the running gateway.

The SDK pins protobuf<7, so sdk_all_methods_scenario.py runs in `.venv-sdk` (MEM0_SDK_PYTHON) as a
subprocess while the stack serves from this process. Both clients run at the same time, each in a project
of its own (the flow ends with delete_users() and reset(), which empty the project).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.compat.conftest import CompatTenant, TenantFactory

SCENARIO = Path(__file__).with_name("sdk_all_methods_scenario.py")
MODES = ("sync", "async")
# The sync client proves the documented 1,000-item batch limit in one call each; the async one a small batch.
BATCH_SIZES = {"sync": 1000, "async": 5}
MEMORY_KEYS = {"id", "memory", "user_id", "agent_id", "app_id", "run_id", "metadata", "categories"}
MEMORY_KEYS |= {"created_at", "updated_at", "expiration_date"}


async def _run(python: str, tenant: CompatTenant, mode: str, home: Path) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        python,
        str(SCENARIO),
        tenant.rest_url,
        tenant.api_key,
        mode,
        str(BATCH_SIZES[mode]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "MEM0_TELEMETRY": "False", "MEM0_DIR": str(home)},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=150)
    assert process.returncode == 0, f"{mode} scenario crashed:\n{stderr.decode()[-3000:]}"
    return json.loads(stdout.decode().strip().splitlines()[-1])


@pytest.fixture(scope="module")
async def seen(
    sdk_python: str, make_tenant: TenantFactory, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[str, Any]]:
    home = tmp_path_factory.mktemp("mem0-home")
    tenants = [await make_tenant(f"sdk-{mode}") for mode in MODES]
    results = await asyncio.gather(*(_run(sdk_python, t, m, home) for t, m in zip(tenants, MODES, strict=True)))
    return dict(zip(MODES, results, strict=True))


def ok(steps: dict[str, Any], name: str) -> Any:
    """The step's return value; fails with the SDK's error (and HTTP status) when the call raised."""
    step = steps[name]
    assert step["ok"], f"{name}: the SDK raised {step['error']} (HTTP {step['status']})"
    return step["value"]


def failed(steps: dict[str, Any], name: str) -> dict[str, Any]:
    step = steps[name]
    assert not step["ok"], f"{name}: expected the SDK to raise, it returned {json.dumps(step['value'])[:500]}"
    return step


def memories(listing: dict[str, Any]) -> list[str]:
    return [m["memory"] for m in listing["results"]]


@pytest.fixture(params=MODES)
def steps(request: pytest.FixtureRequest, seen: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return seen[request.param]


def test_add_infer_true_extracts_facts(steps: dict[str, Any]) -> None:
    added = ok(steps, "add_infer_true")
    assert added["status"] in {"SUCCEEDED", "PENDING"} and added["event_id"]
    facts = [r["memory"].lower() for r in added["results"]]
    assert any("vegetarian" in f for f in facts) and any("allergic to nuts" in f for f in facts), facts
    assert all(r["event"] == "ADD" for r in added["results"])


def test_add_infer_false_top_level_ids_and_metadata(steps: dict[str, Any]) -> None:
    added = ok(steps, "add_infer_false")
    assert [r["memory"] for r in added["results"]] == ["I am planning a trip to Japan.", "Nice!"]
    listed = ok(steps, "get_all")
    trip = next(m for m in listed["results"] if m["memory"].startswith("I am planning a trip"))
    assert trip["metadata"] == {"topic": "travel", "level": 3}


def test_add_with_ids_inside_filters(steps: dict[str, Any]) -> None:
    ok(steps, "add_filters_ids")
    other = ok(steps, "get_all_filters_other")
    assert memories(other) == ["I play tennis on Sundays."]
    assert other["results"][0]["user_id"].endswith("-tess") and other["results"][0]["metadata"] == {"k": "v"}


def test_add_immutable_cannot_be_updated(steps: dict[str, Any]) -> None:
    ok(steps, "add_immutable")
    error = failed(steps, "update_immutable")
    assert error["status"] == 400 and error["error"].startswith("ValidationError"), error
    memory = ok(steps, "get_immutable")
    assert memory["immutable"] is True and memory["memory"] == "My passport number ends in 42."


def test_add_expiration_date_hides_expired_memories(steps: dict[str, Any]) -> None:
    ok(steps, "add_expired")
    ok(steps, "add_expiring_later")
    visible = {m["memory"]: m for m in ok(steps, "get_all")["results"]}
    assert "Temporary promo code SAVE10." not in visible
    assert visible["Gym membership renews in spring."]["expiration_date"].startswith("2099-12-31")
    with_expired = memories(ok(steps, "get_all_show_expired"))
    assert "Temporary promo code SAVE10." in with_expired
    assert "Temporary promo code SAVE10." not in memories(ok(steps, "search_hides_expired"))
    assert "Temporary promo code SAVE10." in memories(ok(steps, "search_show_expired"))


def test_add_timestamp_sets_created_at(steps: dict[str, Any]) -> None:
    ok(steps, "add_timestamp")
    graduated = next(m for m in ok(steps, "get_all")["results"] if m["memory"] == "Graduated from university.")
    assert graduated["created_at"].startswith("2024-01-01T00:00:00"), graduated["created_at"]


def test_add_custom_categories_replace_the_defaults(steps: dict[str, Any]) -> None:
    ok(steps, "add_custom_categories")
    listed = ok(steps, "get_all_custom")["results"]
    assert listed and all(m["categories"] == ["pets"] for m in listed), listed


def test_add_includes_and_excludes(steps: dict[str, Any]) -> None:
    ok(steps, "add_includes")
    ok(steps, "add_excludes")
    included = " ".join(memories(ok(steps, "get_all_included"))).lower()
    excluded = " ".join(memories(ok(steps, "get_all_excluded"))).lower()
    assert "sushi" in included and "nurse" not in included, included
    assert "nurse" in excluded and "sushi" not in excluded, excluded


def test_search_shapes_and_ranking(steps: dict[str, Any]) -> None:
    found = ok(steps, "search_basic")["results"]
    assert found and all(MEMORY_KEYS | {"score"} <= set(r) for r in found), found[:1]
    assert all(0 <= r["score"] <= 1 for r in found)
    top_two = " ".join(r["memory"].lower() for r in found[:2])
    assert "vegetarian" in top_two or "nuts" in top_two, top_two
    assert len(ok(steps, "search_top_k")["results"]) == 1
    assert len(ok(steps, "search_options")["results"]) <= 3
    assert all(r["score"] >= 0.99 for r in ok(steps, "search_threshold")["results"])


def test_search_filters_and_or_not(steps: dict[str, Any]) -> None:
    either = ok(steps, "search_and_or")["results"]
    assert either and all({"food", "health"} & set(r["categories"]) for r in either), either
    without_food = ok(steps, "search_not")["results"]
    assert without_food and all("food" not in (r["categories"] or []) for r in without_food), without_food


def test_search_categories_metadata_fields_keyword_rerank(steps: dict[str, Any]) -> None:
    health = ok(steps, "search_categories")["results"]
    assert health and all("health" in r["categories"] for r in health), health
    travel = ok(steps, "search_metadata")["results"]
    assert travel and all((r["metadata"] or {}).get("topic") == "travel" for r in travel), travel
    trimmed = ok(steps, "search_fields")["results"]
    assert trimmed and all("memory" in r and "user_id" not in r and "metadata" not in r for r in trimmed), trimmed
    assert any("vegetarian" in r["memory"].lower() for r in ok(steps, "search_keyword_rerank")["results"])


def test_get_all_pagination(steps: dict[str, Any]) -> None:
    everything = ok(steps, "get_all")
    assert everything["count"] == len(everything["results"]) >= 5
    first, second = ok(steps, "get_all_page1"), ok(steps, "get_all_page2")
    assert first["count"] == second["count"] == everything["count"]
    assert len(first["results"]) == len(second["results"]) == 2
    assert first["next"] and first["previous"] is None and second["previous"]
    assert not {m["id"] for m in first["results"]} & {m["id"] for m in second["results"]}


def test_get_all_categories_and_date_range(steps: dict[str, Any]) -> None:
    health = ok(steps, "get_all_categories")["results"]
    assert health and all("health" in m["categories"] for m in health), health
    assert memories(ok(steps, "get_all_dates")) == ["Graduated from university."]


def test_get_returns_the_memory(steps: dict[str, Any]) -> None:
    memory = ok(steps, "get")
    assert MEMORY_KEYS <= set(memory), sorted(memory)
    assert memory["memory"] == "I am planning a trip to Japan." and memory["user_id"].endswith("-sam")


def test_update_text_metadata_and_expiration(steps: dict[str, Any]) -> None:
    assert ok(steps, "update_text")["memory"] == "I am planning a trip to Kyoto."
    assert ok(steps, "update_metadata")["metadata"] == {"topic": "travel", "city": "Kyoto"}
    assert ok(steps, "update_expiration_set")["expiration_date"].startswith("2099-01-01")
    # The SDK sends an explicit `"expiration_date": null`: clear it.
    assert ok(steps, "update_expiration_clear")["expiration_date"] is None
    after = ok(steps, "get_after_update")
    assert after["memory"] == "I am planning a trip to Kyoto." and after["expiration_date"] is None
    assert after["metadata"] == {"topic": "travel", "city": "Kyoto"}


def test_update_timestamp_moves_created_at(steps: dict[str, Any]) -> None:
    # `timestamp` sets the memory's timestamp (created_at), as on add; UpdateMemoryOptions.timestamp is
    # int | float | str, i.e. unix seconds or ISO-8601 (Mem0 docs for update).
    updated = ok(steps, "update_timestamp")
    assert updated["created_at"].startswith("2024-07-01T00:00:00"), (updated["created_at"], updated["updated_at"])
    after = ok(steps, "get_after_update")
    assert after["created_at"].startswith("2024-07-01T00:00:00"), (after["created_at"], after["updated_at"])
    iso = ok(steps, "update_timestamp_iso")
    assert iso["created_at"].startswith("2024-06-30T12:00:00"), (iso["created_at"], iso["updated_at"])


def test_history_records_add_and_updates(steps: dict[str, Any]) -> None:
    rows = ok(steps, "history")
    brief = [(r["event"], r["old_memory"], r["new_memory"], r["created_at"]) for r in rows]
    # Oldest first, like the Mem0 OSS history; the created_at of a row is when the change was made.
    assert isinstance(rows, list) and [r["event"] for r in rows][:2] == ["ADD", "UPDATE"], brief
    assert rows[0]["old_memory"] is None and rows[0]["new_memory"] == "I am planning a trip to Japan."
    assert rows[1]["old_memory"] == "I am planning a trip to Japan."
    assert rows[1]["new_memory"] == "I am planning a trip to Kyoto."
    assert {"id", "memory_id", "input", "user_id", "created_at", "updated_at"} <= set(rows[0])


def test_feedback(steps: dict[str, Any]) -> None:
    given = ok(steps, "feedback_positive")
    assert given["feedback"] == "POSITIVE" and given["feedback_reason"] == "accurate" and given["id"]
    cleared = ok(steps, "feedback_clear")
    assert cleared["feedback"] is None


def test_delete_and_delete_linked(steps: dict[str, Any]) -> None:
    assert "deleted" in ok(steps, "delete")["message"].lower()
    missing = failed(steps, "get_deleted")
    assert missing["status"] == 404 and missing["error"].startswith("MemoryNotFoundError"), missing
    assert [r["event"] for r in ok(steps, "history_deleted")] == ["ADD", "DELETE"]
    assert ok(steps, "delete_linked")["message"]


def test_delete_all_by_ids_and_by_filters_repr(steps: dict[str, Any]) -> None:
    ok(steps, "add_doomed")
    assert ok(steps, "delete_all_ids")["message"]
    assert ok(steps, "get_all_after_delete_all_ids")["count"] == 0
    ok(steps, "add_doomed_repr")
    assert ok(steps, "delete_all_filters_repr")["message"]
    assert ok(steps, "get_all_after_delete_all_repr")["count"] == 0


def test_users_and_delete_one_entity(steps: dict[str, Any]) -> None:
    users = ok(steps, "users")
    assert {"count", "results", "total_users", "total_agents", "total_apps", "total_runs"} <= set(users)
    by_name = {(e["type"], e["name"]): e for e in users["results"]}
    sam = next(e for (kind, name), e in by_name.items() if kind == "user" and name.endswith("-sam"))
    assert sam["total_memories"] >= 5 and {"id", "owner", "metadata", "created_at", "updated_at"} <= set(sam)
    assert ok(steps, "delete_users_one") == {"message": "Entity deleted successfully."}
    remaining = {e["name"] for e in ok(steps, "users_after_delete_one")["results"]}
    assert not any(name.endswith("-tess") for name in remaining)
    assert ok(steps, "get_all_after_delete_one")["count"] == 0


def test_batch_update_and_delete(steps: dict[str, Any], request: pytest.FixtureRequest) -> None:
    size = BATCH_SIZES[request.node.callspec.params["steps"]]
    assert ok(steps, "batch_seed") == {"count": size}
    assert ok(steps, "batch_update") == {"message": f"Successfully updated {size} memories"}
    ok(steps, "batch_update_metadata")
    assert ok(steps, "get_batch_first")["memory"] == "Batch memory number 0 (updated)."
    assert ok(steps, "get_batch_second")["metadata"] == {"b": 1}
    assert [r["event"] for r in ok(steps, "history_batch_first")] == ["ADD", "UPDATE"]
    too_many = failed(steps, "batch_update_too_many")
    assert too_many["status"] == 400, too_many
    assert ok(steps, "batch_delete") == {"message": f"Successfully deleted {size} memories"}
    assert ok(steps, "get_all_after_batch_delete")["count"] == 0


def test_project_get_and_update(steps: dict[str, Any]) -> None:
    before = ok(steps, "project_get")
    assert {"custom_categories", "custom_instructions"} <= set(before), before
    assert ok(steps, "project_update")["message"]
    after = ok(steps, "project_get_after_update")
    assert after["custom_instructions"] == "Only remember pets."
    assert after["custom_categories"] == [{"pets": "dog cat or other pets the user owns"}]
    assert "custom_instructions" in ok(steps, "get_project_deprecated")
    assert ok(steps, "update_project_deprecated")["message"]
    assert ok(steps, "project_clear_categories")["message"]
    assert ok(steps, "project_get_after_clear")["custom_categories"] == []


def test_project_custom_categories_apply_to_add(steps: dict[str, Any]) -> None:
    ok(steps, "add_with_project_categories")
    listed = ok(steps, "get_all_project_categories")["results"]
    assert listed and all(m["categories"] == ["pets"] for m in listed), listed


def test_delete_users_all_and_reset(steps: dict[str, Any]) -> None:
    assert ok(steps, "delete_users_all") == {"message": "All users, agents, apps and runs deleted."}
    assert ok(steps, "users_after_delete_all")["results"] == []
    assert ok(steps, "get_all_after_delete_all")["count"] == 0
    ok(steps, "add_before_reset")
    assert ok(steps, "reset")["message"]
    assert ok(steps, "users_after_reset")["results"] == []
    assert ok(steps, "get_all_after_reset")["count"] == 0
    # The SDK raises this itself when /v1/entities/ lists nothing: proof the project is empty.
    assert failed(steps, "reset_when_empty")["error"] == "ValueError: No entities to delete"
