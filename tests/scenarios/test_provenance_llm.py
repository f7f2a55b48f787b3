"""Provenance through the LLM path: an inferred memory names the messages of its add, and an add whose fact
updates it appends its own message ids (history keeps both adds' messages with their ids)."""

from __future__ import annotations

import uuid

from tests.conftest import Stack
from tests.scenarios.conftest import LLMGateway, rest_client
from tests.support.scripted_llm import ScriptedLLM, json_reply


async def test_update_by_a_later_add_extends_source_message_ids(
    stack: Stack, llm_gateway: LLMGateway, scenario_llm: ScriptedLLM
) -> None:
    scenario_llm.reset()
    user = f"prov-{uuid.uuid4().hex[:8]}"
    loves = {"facts": [{"text": "Loves chicken", "attributed_to": "user", "categories": ["food"]}]}
    vegetarian = {"facts": [{"text": "Is a vegetarian", "attributed_to": "user", "categories": ["food"]}]}
    update = {"actions": [{"fact": 0, "event": "UPDATE", "id": "0", "text": "Is a vegetarian"}]}
    async with await rest_client(llm_gateway.rest_url, stack.key_a) as http:
        scenario_llm.script(json_reply(loves))
        first = await http.post(
            "/v3/memories/add/",
            json={
                "messages": [{"role": "user", "content": "I love chicken.", "id": "chat-1"}],
                "user_id": user,
                "async_mode": False,
            },
        )
        assert first.status_code == 200, first.text
        [added] = first.json()["results"]
        scenario_llm.script(json_reply(vegetarian), json_reply(update))
        second = await http.post(
            "/v3/memories/add/",
            json={
                "messages": [{"role": "user", "content": "I turned vegetarian."}],
                "user_id": user,
                "async_mode": False,
            },
        )
        assert second.status_code == 200, second.text
        assert [(r["event"], r["id"]) for r in second.json()["results"]] == [("UPDATE", added["id"])]
        memory = (await http.get(f"/v1/memories/{added['id']}/")).json()
        history = (await http.get(f"/v1/memories/{added['id']}/history/")).json()
    scenario_llm.reset()
    assert memory["memory"] == "Is a vegetarian"
    assert memory["source_message_ids"] == ["chat-1", f"{second.json()['event_id']}:0"]
    assert [(h["event"], h["source_message_ids"]) for h in history] == [
        ("ADD", ["chat-1"]),
        ("UPDATE", [f"{second.json()['event_id']}:0"]),
    ]
