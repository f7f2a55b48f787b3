"""The scenario suite: every fixture in tests/scenarios/fixtures run end to end through the REST API, once
with the LLM extractor (answered by the scripted LLM) and once with the offline extractor — except the
scenarios that say they need an LLM, which are skipped offline with that reason."""

from __future__ import annotations

import pytest

from tests.conftest import Stack
from tests.scenarios.conftest import LLMGateway, rest_client
from tests.scenarios.runner import Scenario, load_scenarios, run_scenario
from tests.support.scripted_llm import ScriptedLLM

SCENARIOS = load_scenarios()


def test_the_suite_covers_the_seed_examples_and_edge_cases() -> None:
    names = {scenario.name for scenario in SCENARIOS}
    assert {
        "alex_vegetarian_nut_allergy",
        "italian_vs_indian_food",
        "japan_trip_run_id",
        "ai_tutor_alice",
        "sf_traveller_dubai_assistant",
        "chicken_turned_vegetarian",
        "delete_food_preferences",
        "edge_empty_conversation",
        "edge_only_greetings",
        "edge_long_conversation",
        "edge_non_english_llm",
    } <= names
    for scenario in SCENARIOS:
        if scenario.offline_skip is not None:
            assert scenario.offline_skip.startswith("needs an LLM: "), scenario.name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_scenario_with_the_llm(
    scenario: Scenario, llm_gateway: LLMGateway, scenario_llm: ScriptedLLM, stack: Stack
) -> None:
    scenario_llm.reset()
    try:
        async with await rest_client(llm_gateway.rest_url, stack.key_a) as http:
            await run_scenario(scenario, http, scenario_llm)
    finally:
        scenario_llm.reset()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
async def test_scenario_offline(scenario: Scenario, stack: Stack) -> None:
    if scenario.offline_skip:
        pytest.skip(scenario.offline_skip)
    async with await rest_client(stack.rest_url, stack.key_a) as http:
        await run_scenario(scenario, http, None)
