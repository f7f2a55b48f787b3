"""Extraction sees the scope's newest memories as context (through the whole stack, with a scripted LLM)."""

from __future__ import annotations

import uuid

from tests.conftest import Stack
from tests.scenarios.conftest import LLMGateway, rest_client
from tests.support.scripted_llm import ScriptedLLM, json_reply


async def test_second_add_sends_the_first_memories_as_known_context(
    stack: Stack, llm_gateway: LLMGateway, scenario_llm: ScriptedLLM
) -> None:
    scenario_llm.reset()
    user = f"ctx-{uuid.uuid4().hex[:8]}"
    facts = {"facts": [{"text": "Lives in Lisbon", "attributed_to": "user", "categories": ["personal_details"]}]}
    scenario_llm.script(json_reply(facts))
    async with await rest_client(llm_gateway.rest_url, stack.key_a) as http:
        first = await http.post(
            "/v3/memories/add/", json={"async_mode": False, "messages": "I live in Lisbon.", "user_id": user}
        )
        assert first.status_code == 200, first.text
        first_prompt = scenario_llm.chat_requests[-1].user_json()
        assert "known_memories" not in first_prompt
        scenario_llm.script(json_reply({"facts": []}))
        second = await http.post(
            "/v3/memories/add/", json={"async_mode": False, "messages": "It is sunny there.", "user_id": user}
        )
        assert second.status_code == 200, second.text
    assert scenario_llm.chat_requests[-1].user_json()["known_memories"] == ["Lives in Lisbon"]
    scenario_llm.reset()
