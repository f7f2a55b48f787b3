"""Every method of the unchanged mem0ai 2.2.1 MemoryClient / AsyncMemoryClient against memgrid.

Run by test_python_sdk_all_methods.py with the SDK's own venv (.venv-sdk). One flow drives either client;
every step is recorded as {"ok": true, "value": ...} or {"ok": false, "error": "...", "status": <http>}
so one failing call does not hide the others. Prints one JSON object; the test asserts on it.
Usage: python sdk_all_methods_scenario.py HOST API_KEY sync|async BATCH_SIZE
"""

import asyncio
import inspect
import json
import os
import sys
import traceback

os.environ.setdefault("MEM0_TELEMETRY", "False")

from mem0 import AsyncMemoryClient, MemoryClient
from mem0.client.types import AddMemoryOptions, GetAllMemoryOptions, SearchMemoryOptions


class Skipped(Exception):
    """A step whose prerequisite failed."""


class Steps:
    def __init__(self):
        self.out = {}

    async def run(self, name, fn, keep=None):
        try:
            value = fn()
            if inspect.isawaitable(value):
                value = await value
        except Exception as error:  # recorded, asserted by the test
            debug = getattr(error, "debug_info", None) or {}
            self.out[name] = {
                "ok": False,
                "error": f"{type(error).__name__}: {error}"[:2000],
                "status": debug.get("status_code"),
                "where": "".join(traceback.format_exception_only(type(error), error))[-300:],
            }
            return None
        self.out[name] = {"ok": True, "value": keep(value) if keep else value}
        return value


def need(*values):
    if any(v is None for v in values):
        raise Skipped("skipped: a prerequisite step failed")
    return values[0] if len(values) == 1 else values


def first_id(added, text):
    for result in (added or {}).get("results", []):
        if result.get("memory") == text:
            return result["id"]
    return None


async def wait_for_event(client, event_id):
    """GET /v1/event/{id}/ with the SDK's own HTTP client until the event is SUCCEEDED or FAILED."""
    http = getattr(client, "async_client", None) or client.client
    for _ in range(1200):
        response = http.get(f"/v1/event/{event_id}/")
        event = (await response if inspect.isawaitable(response) else response).json()
        if event["status"] in ("SUCCEEDED", "FAILED"):
            return event
        await asyncio.sleep(0.05)
    raise TimeoutError(f"event {event_id} did not finish")


def adder(client):
    """The SDK's default add is asynchronous (PENDING + event_id): follow the event, as an application would,
    and return what the add did."""

    async def add(*args, **kwargs):
        queued = client.add(*args, **kwargs)
        if inspect.isawaitable(queued):
            queued = await queued
        if queued.get("status") != "PENDING":
            return queued
        event = await wait_for_event(client, queued["event_id"])
        if event["status"] != "SUCCEEDED":
            raise RuntimeError(f"add failed: {event['error']}")
        return {"status": "SUCCEEDED", "event_id": event["id"], "results": event["results"]}

    return add


async def flow(client, tag, batch_size):
    steps = Steps()
    s = steps.run
    add = adder(client)
    user = f"{tag}-sam"
    other = f"{tag}-tess"
    custom = f"{tag}-petowner"
    included = f"{tag}-inc"
    excluded = f"{tag}-exc"
    doomed = f"{tag}-doomed"
    doomed_repr = f"{tag}-doomed-repr"
    batch_user = f"{tag}-batch"
    project_user = f"{tag}-project"

    # --- add -----------------------------------------------------------------------------------
    await s(
        "add_infer_true",
        lambda: add(
            [{"role": "user", "content": "Hi, I'm Sam. I'm a vegetarian and I'm allergic to nuts."}], user_id=user
        ),
    )
    verbatim = await s(
        "add_infer_false",
        lambda: add(
            [
                {"role": "user", "content": "I am planning a trip to Japan."},
                {"role": "assistant", "content": "Nice!"},
            ],
            user_id=user,
            infer=False,
            metadata={"topic": "travel", "level": 3},
        ),
    )
    trip_id = first_id(verbatim, "I am planning a trip to Japan.")
    nice_id = first_id(verbatim, "Nice!")
    await s(
        "add_filters_ids",
        lambda: add(
            "I play tennis on Sundays.", AddMemoryOptions(filters={"user_id": other}, infer=False, metadata={"k": "v"})
        ),
    )
    immutable = await s(
        "add_immutable",
        lambda: add("My passport number ends in 42.", user_id=user, infer=False, immutable=True),
    )
    immutable_id = first_id(immutable, "My passport number ends in 42.")
    await s(
        "add_expired",
        lambda: add("Temporary promo code SAVE10.", user_id=user, infer=False, expiration_date="2020-01-01"),
    )
    await s(
        "add_expiring_later",
        lambda: add("Gym membership renews in spring.", user_id=user, infer=False, expiration_date="2099-12-31"),
    )
    await s(
        "add_timestamp",
        lambda: add("Graduated from university.", user_id=user, infer=False, timestamp=1704067200),
    )
    await s(
        "add_custom_categories",
        lambda: add(
            "I have a dog named Rex.",
            user_id=custom,
            custom_categories=[{"pets": "dog cat or other pets the user owns"}, {"cars": "car vehicle"}],
        ),
    )
    await s(
        "add_includes",
        lambda: add("I love sushi. I work as a nurse.", user_id=included, includes="food"),
    )
    await s(
        "add_excludes",
        lambda: add("I love sushi. I work as a nurse.", user_id=excluded, excludes="food"),
    )

    # --- search --------------------------------------------------------------------------------
    await s("search_basic", lambda: client.search("what can sam eat?", filters={"user_id": user}))
    await s(
        "search_and_or",
        lambda: client.search(
            "what does sam eat",
            filters={
                "AND": [
                    {"user_id": user},
                    {"OR": [{"categories": {"contains": "food"}}, {"categories": {"contains": "health"}}]},
                ]
            },
        ),
    )
    await s(
        "search_not",
        lambda: client.search(
            "tell me about sam",
            filters={"AND": [{"user_id": user}, {"NOT": [{"categories": {"contains": "food"}}]}]},
        ),
    )
    await s("search_top_k", lambda: client.search("sam", filters={"user_id": user}, top_k=1))
    await s("search_threshold", lambda: client.search("sam", filters={"user_id": user}, threshold=0.99))
    await s("search_categories", lambda: client.search("allergy", filters={"user_id": user}, categories=["health"]))
    await s("search_metadata", lambda: client.search("trip", filters={"user_id": user}, metadata={"topic": "travel"}))
    await s("search_fields", lambda: client.search("trip", filters={"user_id": user}, fields=["memory"]))
    await s(
        "search_keyword_rerank",
        lambda: client.search("vegetarian", filters={"user_id": user}, keyword_search=True, rerank=True),
    )
    await s("search_options", lambda: client.search("trip", SearchMemoryOptions(filters={"user_id": user}, top_k=3)))
    await s("search_hides_expired", lambda: client.search("promo code", filters={"user_id": user}))
    await s("search_show_expired", lambda: client.search("promo code", filters={"user_id": user}, show_expired=True))

    # --- get_all -------------------------------------------------------------------------------
    await s("get_all", lambda: client.get_all(filters={"user_id": user}))
    await s("get_all_page1", lambda: client.get_all(filters={"user_id": user}, page=1, page_size=2))
    await s(
        "get_all_page2", lambda: client.get_all(GetAllMemoryOptions(filters={"user_id": user}, page=2, page_size=2))
    )
    await s("get_all_categories", lambda: client.get_all(filters={"user_id": user}, categories=["health"]))
    await s(
        "get_all_dates",
        lambda: client.get_all(filters={"user_id": user}, start_date="2023-12-31", end_date="2024-01-02"),
    )
    await s("get_all_show_expired", lambda: client.get_all(filters={"user_id": user}, show_expired=True))
    await s("get_all_filters_other", lambda: client.get_all(filters={"user_id": other}))
    await s("get_all_custom", lambda: client.get_all(filters={"user_id": custom}))
    await s("get_all_included", lambda: client.get_all(filters={"user_id": included}))
    await s("get_all_excluded", lambda: client.get_all(filters={"user_id": excluded}))

    # --- get / update / history ----------------------------------------------------------------
    await s("get", lambda: client.get(need(trip_id)))
    await s("update_text", lambda: client.update(need(trip_id), text="I am planning a trip to Kyoto."))
    await s("update_metadata", lambda: client.update(need(trip_id), metadata={"topic": "travel", "city": "Kyoto"}))
    await s("update_timestamp_iso", lambda: client.update(need(trip_id), timestamp="2024-06-30T12:00:00Z"))
    await s("update_timestamp", lambda: client.update(need(trip_id), timestamp=1719792000))
    await s("update_expiration_set", lambda: client.update(need(trip_id), expiration_date="2099-01-01"))
    await s("update_expiration_clear", lambda: client.update(need(trip_id), expiration_date=None))
    await s("get_after_update", lambda: client.get(need(trip_id)))
    await s("update_immutable", lambda: client.update(need(immutable_id), text="My passport number ends in 43."))
    await s("get_immutable", lambda: client.get(need(immutable_id)))
    await s("history", lambda: client.history(need(trip_id)))

    # --- feedback ------------------------------------------------------------------------------
    await s(
        "feedback_positive", lambda: client.feedback(need(trip_id), feedback="positive", feedback_reason="accurate")
    )
    await s("feedback_clear", lambda: client.feedback(need(trip_id)))

    # --- delete --------------------------------------------------------------------------------
    await s("delete", lambda: client.delete(need(nice_id)))
    await s("get_deleted", lambda: client.get(need(nice_id)))
    await s("history_deleted", lambda: client.history(need(nice_id)))
    await s("delete_linked", lambda: client.delete(need(immutable_id), delete_linked=True))
    await s("add_doomed", lambda: add("I like chess.", user_id=doomed, infer=False))
    await s("delete_all_ids", lambda: client.delete_all(user_id=doomed))
    await s("get_all_after_delete_all_ids", lambda: client.get_all(filters={"user_id": doomed}))
    await s("add_doomed_repr", lambda: add("I like go.", user_id=doomed_repr, infer=False))
    await s("delete_all_filters_repr", lambda: client.delete_all(filters={"user_id": doomed_repr}))
    await s("get_all_after_delete_all_repr", lambda: client.get_all(filters={"user_id": doomed_repr}))

    # --- entities ------------------------------------------------------------------------------
    await s("users", lambda: client.users())
    await s("delete_users_one", lambda: client.delete_users(user_id=other))
    await s("users_after_delete_one", lambda: client.users())
    await s("get_all_after_delete_one", lambda: client.get_all(filters={"user_id": other}))

    # --- batch ---------------------------------------------------------------------------------
    seeded = await s(
        "batch_seed",
        lambda: add(
            [{"role": "user", "content": f"Batch memory number {i}."} for i in range(batch_size)],
            user_id=batch_user,
            infer=False,
        ),
        keep=lambda added: {"count": len(added.get("results", []))},
    )
    batch_ids = [r["id"] for r in (seeded or {}).get("results", [])] or None
    await s(
        "batch_update",
        lambda: client.batch_update(
            [{"memory_id": mid, "text": f"Batch memory number {i} (updated)."} for i, mid in enumerate(need(batch_ids))]
        ),
    )
    await s(
        "batch_update_metadata", lambda: client.batch_update([{"memory_id": need(batch_ids)[1], "metadata": {"b": 1}}])
    )
    await s("get_batch_first", lambda: client.get(need(batch_ids)[0]))
    await s("get_batch_second", lambda: client.get(need(batch_ids)[1]))
    await s("history_batch_first", lambda: client.history(need(batch_ids)[0]))
    await s(
        "batch_update_too_many",
        lambda: client.batch_update([{"memory_id": need(batch_ids)[0], "text": "x"}] * 1001),
    )
    await s("batch_delete", lambda: client.batch_delete([{"memory_id": mid} for mid in need(batch_ids)]))
    await s("get_all_after_batch_delete", lambda: client.get_all(filters={"user_id": batch_user}))

    # --- project -------------------------------------------------------------------------------
    project = client.project
    await s("project_get", lambda: project.get(fields=["custom_categories", "custom_instructions"]))
    await s(
        "project_update",
        lambda: project.update(
            custom_categories=[{"pets": "dog cat or other pets the user owns"}],
            custom_instructions="Only remember pets.",
        ),
    )
    await s("project_get_after_update", lambda: project.get(fields=["custom_categories", "custom_instructions"]))
    await s("add_with_project_categories", lambda: add("I have a cat named Tom.", user_id=project_user))
    await s("get_all_project_categories", lambda: client.get_all(filters={"user_id": project_user}))
    await s("get_project_deprecated", lambda: client.get_project(fields=["custom_instructions"]))
    await s("update_project_deprecated", lambda: client.update_project(custom_instructions="Remember pets and food."))
    await s("project_clear_categories", lambda: project.update(custom_categories=[]))
    await s("project_get_after_clear", lambda: project.get(fields=["custom_categories", "custom_instructions"]))

    # --- delete every entity, then reset ---------------------------------------------------------
    await s("delete_users_all", lambda: client.delete_users())
    await s("users_after_delete_all", lambda: client.users())
    await s("get_all_after_delete_all", lambda: client.get_all(filters={"user_id": user}))
    await s("add_before_reset", lambda: add("I like jazz.", user_id=user, agent_id=f"{tag}-bot", infer=False))
    await s("reset", lambda: client.reset())
    await s("users_after_reset", lambda: client.users())
    await s("get_all_after_reset", lambda: client.get_all(filters={"user_id": user}))
    await s("reset_when_empty", lambda: client.reset())
    return steps.out


def main():
    host, api_key, mode, batch_size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    if mode == "sync":
        client = MemoryClient(api_key=api_key, host=host)
    else:
        client = AsyncMemoryClient(api_key=api_key, host=host + "/")  # trailing slash: `//v1/ping/`
    observed = asyncio.run(flow(client, mode, batch_size))
    print(json.dumps(observed, default=str))


if __name__ == "__main__":
    main()
