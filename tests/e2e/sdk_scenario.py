"""Unchanged mem0ai SDK code against memgrid. Run by test_mem0_sdk.py with the SDK's own venv.

Prints one JSON object with what the SDK returned at each step; the test asserts on it.
Usage: python sdk_scenario.py HOST API_KEY USER_ID
"""

import json
import os
import sys

os.environ.setdefault("MEM0_TELEMETRY", "False")

from mem0 import AsyncMemoryClient, MemoryClient


def main() -> None:
    host, api_key, user = sys.argv[1], sys.argv[2], sys.argv[3]
    observed = {}
    client = MemoryClient(api_key=api_key, host=host)
    client.delete_all(user_id=user)
    verbatim = client.add(
        [{"role": "user", "content": "I am planning a trip to Japan."}, {"role": "assistant", "content": "Nice!"}],
        user_id=user,
        infer=False,
    )
    observed["add_verbatim"] = verbatim
    inferred = client.add(
        [{"role": "user", "content": "Hi, I'm Alex. I'm a vegetarian and I'm allergic to nuts."}], user_id=user
    )
    observed["add_inferred"] = inferred
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
        found = await async_client.search("violin", filters={"user_id": user + "-async"})
        return {"add": added, "search": found}

    observed["async"] = asyncio.run(async_flow())
    print(json.dumps(observed))


if __name__ == "__main__":
    main()
