"""Unchanged mem0ai SDK code against memgrid. Run by test_mem0_sdk.py with the SDK's own venv.

Prints one JSON object with what the SDK returned at each step; the test asserts on it.
Usage: python sdk_scenario.py HOST API_KEY USER_ID
"""

import json
import os
import sys
import time

os.environ.setdefault("MEM0_TELEMETRY", "False")

from mem0 import AsyncMemoryClient, MemoryClient


def wait_for_event(client: MemoryClient, event_id: str) -> dict:
    """Poll GET /v1/event/{id}/ (with the SDK's own HTTP client) until the event is SUCCEEDED or FAILED."""
    deadline = time.monotonic() + 90
    while True:
        event = client.client.get(f"/v1/event/{event_id}/").json()
        if event["status"] in ("SUCCEEDED", "FAILED") or time.monotonic() > deadline:
            return event
        time.sleep(0.1)


def main() -> None:
    host, api_key, user = sys.argv[1], sys.argv[2], sys.argv[3]
    observed = {}
    client = MemoryClient(api_key=api_key, host=host)
    client.delete_all(user_id=user)
    # The SDK's default add is asynchronous (PENDING + event_id); the event is followed until it is final.
    verbatim = client.add(
        [{"role": "user", "content": "I am planning a trip to Japan."}, {"role": "assistant", "content": "Nice!"}],
        user_id=user,
        infer=False,
    )
    observed["add_verbatim_queued"] = verbatim
    observed["add_verbatim"] = wait_for_event(client, verbatim["event_id"])
    inferred = client.add(
        [{"role": "user", "content": "Hi, I'm Alex. I'm a vegetarian and I'm allergic to nuts."}], user_id=user
    )
    observed["add_inferred_queued"] = inferred
    observed["add_inferred"] = wait_for_event(client, inferred["event_id"])
    observed["add_sync"] = client.add("I collect stamps.", user_id=user, infer=False, async_mode=False)
    observed["summary"] = client.get_summary(filters={"user_id": user})
    export = client.create_memory_export(
        json.dumps({"type": "object", "properties": {"memory": {"type": "string"}}}), filters={"user_id": user}
    )
    observed["export_created"] = export
    observed["export"] = client.get_memory_export(memory_export_id=export["id"])
    observed["search"] = client.search("what can alex eat?", filters={"user_id": user})
    observed["get_all"] = client.get_all(filters={"user_id": user})
    first_id = observed["get_all"]["results"][0]["id"]
    observed["get"] = client.get(first_id)
    observed["update"] = client.update(first_id, text="I am planning a trip to Kyoto.")
    observed["history"] = client.history(first_id)
    observed["delete"] = client.delete(first_id)
    try:
        client.get(first_id)
        observed["get_deleted"] = "found"
    except Exception as error:  # the SDK raises MemoryNotFoundError
        observed["get_deleted"] = type(error).__name__
    observed["users"] = client.users()
    observed["delete_all"] = client.delete_all(user_id=user)
    observed["get_all_after"] = client.get_all(filters={"user_id": user})
    try:
        MemoryClient(api_key="definitely-wrong", host=host)
        observed["wrong_key"] = "accepted"
    except Exception as error:
        observed["wrong_key"] = f"{type(error).__name__}: {error}"
    async_client = AsyncMemoryClient(api_key=api_key, host=host + "/")

    import asyncio

    async def async_flow() -> dict:
        added = await async_client.add("I'm learning to play the violin.", user_id=user + "-async")
        for _ in range(900):
            event = (await async_client.async_client.get(f"/v1/event/{added['event_id']}/")).json()
            if event["status"] in ("SUCCEEDED", "FAILED"):
                break
            await asyncio.sleep(0.1)
        found = await async_client.search("violin", filters={"user_id": user + "-async"})
        return {"add": added, "event": event, "search": found}

    observed["async"] = asyncio.run(async_flow())
    print(json.dumps(observed))


if __name__ == "__main__":
    main()
