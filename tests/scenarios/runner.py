"""Runs one JSON scenario (tests/scenarios/fixtures/*.json) end to end through the gateway's REST API.

A scenario:
    about           what it shows
    offline_skip    present when the offline extractor cannot pass it: the reason (it starts "needs an LLM")
    scope           entity ids of every add ({"user_id": …, "agent_id": …, "run_id": …}); each run suffixes them
                    with a random tag so scenarios never see each other's memories
    steps[]         one add each:
        messages    the conversation; an item {"repeat": n, "messages": [...]} expands to n copies of those
        options     extra add-body fields (infer, immutable, custom_categories, includes, …)
        llm         what the scripted LLM answers for this add (ignored offline):
            facts     the extraction answer's "facts" items, as the model would write them
            actions   reconciliation items, by text: {"fact": <fact text>, "event", "memory": <existing memory
                      text>, "text"}; the responder turns texts into the small ids the prompt showed. A fact
                      with no item is ADDed (a forget request gets NONE).
        expect      status (default 200), detail_contains, events [{event, memory, previous_memory?}] (any
                    order), and for the LLM run only: llm_calls, prompt_contains / prompt_excludes (the
                    extraction prompt's conversation), prompt_truncated
    expect_memories [{memory, role?, categories?, ids?}]  exactly the memories of the scope at the end; `ids`
                    names the entity ids the memory carries (default: all of the scope's). With both a user_id
                    and an agent_id, Mem0 files what the user said under the user and what the assistant said
                    under the agent, so the listing asks for either owner.
    expect_history  [{memory, events}]               the history of the memory with that text (at the end,
                                                     or when it was deleted)
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.scripted_llm import HttpError, RecordedRequest, Reply, ScriptedLLM, json_reply

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    data: dict[str, Any]

    @property
    def offline_skip(self) -> str | None:
        return self.data.get("offline_skip")


def load_scenarios() -> list[Scenario]:
    return [Scenario(path.stem, json.loads(path.read_text())) for path in sorted(FIXTURES.glob("*.json"))]


def expand_messages(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    for item in items:
        if "repeat" in item:
            for _ in range(item["repeat"]):
                messages.extend(item["messages"])
        else:
            messages.append(item)
    return messages


@dataclass(slots=True)
class StepResponder:
    """The scripted LLM's handler for one add: answers extraction and reconciliation from the step's `llm`."""

    facts: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)

    def __call__(self, request: RecordedRequest) -> Reply:
        try:
            payload = request.user_json()
            if "conversation" in payload:
                return json_reply({"facts": self.facts})
            if "existing_memories" in payload:
                return json_reply({"actions": self._decisions(payload)})
            raise ValueError("a request that is neither extraction nor reconciliation")
        except (ValueError, KeyError) as error:
            self.problems.append(f"scripted LLM could not answer: {error!r}")
            return HttpError(418, {"error": {"message": self.problems[-1]}})

    def _decisions(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        fact_index = {fact["text"]: fact["fact"] for fact in payload["new_facts"]}
        memory_id = {memory["text"]: memory["id"] for memory in payload["existing_memories"]}
        decided: set[int] = set()
        items = []
        for action in self.actions:
            item: dict[str, Any] = {"fact": fact_index[action["fact"]], "event": action["event"]}
            if "memory" in action:
                item["id"] = memory_id[action["memory"]]
            if "text" in action:
                item["text"] = action["text"]
            decided.add(item["fact"])
            items.append(item)
        for fact in payload["new_facts"]:
            if fact["fact"] not in decided:
                items.append({"fact": fact["fact"], "event": "NONE" if fact.get("forget") else "ADD"})
        return items


@dataclass(slots=True)
class Change:
    id: str
    memory: str
    event: str


async def run_scenario(scenario: Scenario, http: httpx.AsyncClient, llm: ScriptedLLM | None) -> None:
    """Run every step, then check the memories and histories. `llm` is None for the offline run."""
    tag = uuid.uuid4().hex[:8]
    scope = {name: f"{value}-{tag}" for name, value in scenario.data["scope"].items()}
    changes: list[Change] = []
    for number, step in enumerate(scenario.data["steps"], start=1):
        where = f"{scenario.name} step {number}"
        responder = StepResponder(step.get("llm", {}).get("facts", []), step.get("llm", {}).get("actions", []))
        before = len(llm.chat_requests) if llm else 0
        if llm:
            llm.handler = responder
        body = {"messages": expand_messages(step["messages"]), **scope, "async_mode": False, **step.get("options", {})}
        response = await http.post("/v3/memories/add/", json=body)
        expect = step.get("expect", {})
        assert not responder.problems, f"{where}: {responder.problems}"
        assert response.status_code == expect.get("status", 200), f"{where}: {response.status_code} {response.text}"
        if response.status_code != 200:
            assert expect.get("detail_contains", "") in response.json()["detail"], f"{where}: {response.text}"
        else:
            results = response.json()["results"]
            changes += [Change(r["id"], r["memory"], r["event"]) for r in results]
            _check_events(where, results, expect.get("events", []))
        if llm:
            _check_llm(where, llm.chat_requests[before:], expect)
    await _check_memories(scenario, http, scope)
    await _check_history(scenario, http, changes)


def _check_events(where: str, results: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    def key(item: dict[str, Any]) -> tuple[str, str, str]:
        return (item["event"], item["memory"], item.get("previous_memory") or "")

    got = sorted(key(r) for r in results)
    want = sorted(key(e) for e in expected)
    if not any("previous_memory" in e for e in expected):
        got = sorted((event, memory, "") for event, memory, _ in got)
    assert got == want, f"{where}: events {got} != {want}"


def _check_llm(where: str, requests: list[RecordedRequest], expect: dict[str, Any]) -> None:
    if "llm_calls" in expect:
        assert len(requests) == expect["llm_calls"], f"{where}: {len(requests)} LLM calls"
    prompt_checks = ("prompt_contains", "prompt_excludes", "prompt_truncated")
    if not any(check in expect for check in prompt_checks):
        return
    extraction = requests[0]
    assert extraction.response_format == {"type": "json_object"}
    for text in expect.get("prompt_contains", []):
        # The raw request text: non-English text must arrive verbatim, not \u-escaped.
        assert text in extraction.user_prompt or text in extraction.system_prompt, f"{where}: prompt lacks {text!r}"
    for text in expect.get("prompt_excludes", []):
        assert text not in extraction.user_prompt, f"{where}: prompt has {text!r}"
    if "prompt_truncated" in expect:
        omitted = extraction.user_json().get("earlier_messages_omitted", 0)
        assert (omitted > 0) is expect["prompt_truncated"], f"{where}: omitted={omitted}"


async def _list_memories(http: httpx.AsyncClient, scope: dict[str, str]) -> list[dict[str, Any]]:
    filters: dict[str, Any] = dict(scope)
    if "user_id" in scope and "agent_id" in scope:
        owners = {"OR": [{"user_id": scope["user_id"]}, {"agent_id": scope["agent_id"]}]}
        rest = [{name: value} for name, value in scope.items() if name not in ("user_id", "agent_id")]
        filters = {"AND": [owners, *rest]}
    response = await http.post("/v3/memories/", params={"page": 1, "page_size": 100}, json={"filters": filters})
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def _check_memories(scenario: Scenario, http: httpx.AsyncClient, scope: dict[str, str]) -> None:
    memories = await _list_memories(http, scope)
    expected = scenario.data["expect_memories"]
    assert sorted(m["memory"] for m in memories) == sorted(e["memory"] for e in expected), (
        f"{scenario.name}: memories {[m['memory'] for m in memories]}"
    )
    by_text = {m["memory"]: m for m in memories}
    for item in expected:
        memory = by_text[item["memory"]]
        carried = item.get("ids", list(scope))
        for name, value in scope.items():
            want = value if name in carried else None
            assert memory[name] == want, f"{scenario.name}: {item['memory']!r} has {name}={memory[name]!r}"
        if "role" in item:
            assert memory.get("role") == item["role"], f"{scenario.name}: {item['memory']!r} role {memory.get('role')}"
        if "categories" in item:
            assert sorted(memory["categories"]) == sorted(item["categories"]), (
                f"{scenario.name}: {item['memory']!r} categories {memory['categories']}"
            )


async def _check_history(scenario: Scenario, http: httpx.AsyncClient, changes: list[Change]) -> None:
    latest: dict[str, str] = {}
    for change in changes:
        latest[change.id] = change.memory
    for item in scenario.data.get("expect_history", []):
        ids = [memory_id for memory_id, text in latest.items() if text == item["memory"]]
        assert len(ids) == 1, f"{scenario.name}: no single memory {item['memory']!r} among the changes"
        response = await http.get(f"/v1/memories/{ids[0]}/history/")
        assert response.status_code == 200, response.text
        events = [entry["event"] for entry in response.json()]
        assert events == item["events"], f"{scenario.name}: history of {item['memory']!r} is {events}"
