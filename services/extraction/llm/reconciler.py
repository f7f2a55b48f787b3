"""LLMMemoryReconciler: one JSON-mode LLM call decides ADD / UPDATE / DELETE / NONE for a batch of facts.

Parsing is strict (one repair attempt, see structured.py); these make the answer invalid:
- "actions" missing or not an array, an item that is not an object, an unknown "event";
- a "fact" that is not the index of a new fact; an "id" that is not one of the ids shown (the model is never
  trusted with an id it was not given); UPDATE without "id" or "text", DELETE without "id";
- a fact with no item, a non-forget fact with more than one ADD/UPDATE, a memory changed twice.
Then these rules are enforced in code whatever the model says (policy, not a reason to repair):
- an immutable memory is never updated or deleted: UPDATE of one becomes an ADD of the fact, DELETE is dropped;
- a forget request is never stored: its ADD/UPDATE items are dropped;
- an ADD whose text equals a shown memory becomes NONE on it; repeated ADDs of one text are kept once.
Without any candidate there is nothing to update or delete, so no call is made: every fact is ADDed (forget
requests do nothing). That keeps the critical path of a first add at one LLM call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from libs.domain import Candidate, Fact, MemoryAction, MemoryEvent
from services.extraction.grammar import normalize_text
from services.extraction.llm.reconcile_prompt import IdMap, build_reconcile_messages
from services.extraction.llm.structured import (
    JsonChat,
    ModelOutputError,
    ask_json,
    choice,
    integer,
    optional_text,
    require_list,
    require_object,
)
from services.extraction.rules import is_forget

log = structlog.get_logger()

PURPOSE = "reconcile_memories"
_EVENTS = tuple(event.value for event in MemoryEvent)


@dataclass(frozen=True, slots=True)
class Decision:
    """One structurally valid item of the model's answer, with its id resolved."""

    fact_index: int
    event: MemoryEvent
    candidate: Candidate | None
    text: str | None


def parse_decisions(payload: dict[str, Any], facts: Sequence[Fact], id_map: IdMap) -> list[Decision]:
    """The model's items, validated as the module docstring says; ModelOutputError otherwise."""
    items = require_list(payload, "actions")
    decisions: list[Decision] = []
    for position, raw in enumerate(items):
        path = f"actions[{position}]"
        item = require_object(raw, path)
        index = integer(item, "fact", path)
        if not 0 <= index < len(facts):
            raise ModelOutputError(f'"{path}.fact" is {index}, but the new facts are numbered 0 to {len(facts) - 1}')
        event = MemoryEvent(choice(item, "event", path, _EVENTS))
        short = _id_of(item, path)
        candidate = None
        if short is not None:
            candidate = id_map.resolve(short)
            if candidate is None:
                raise ModelOutputError(
                    f'"{path}.id" is "{short}", which is not one of the existing memory ids ({id_map.known_ids()})'
                )
        text = optional_text(item, "text", path)
        if event in (MemoryEvent.UPDATE, MemoryEvent.DELETE) and candidate is None:
            raise ModelOutputError(f'"{path}" is a {event.value} without the "id" of the memory it changes')
        if event is MemoryEvent.UPDATE and not text:
            raise ModelOutputError(f'"{path}" is an UPDATE without the memory\'s new "text"')
        decisions.append(Decision(index, event, candidate, text))
    _check_coverage(decisions, facts, id_map)
    return decisions


def _id_of(item: dict[str, Any], path: str) -> str | None:
    value = item.get("id")
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ModelOutputError(f'"{path}.id" must be a string id such as "0"')
    return str(value).strip()


def _check_coverage(decisions: Sequence[Decision], facts: Sequence[Fact], id_map: IdMap) -> None:
    covered = {d.fact_index for d in decisions}
    missing = [str(i) for i in range(len(facts)) if i not in covered]
    if missing:
        raise ModelOutputError(f"new fact(s) {', '.join(missing)} have no item; every new fact needs one")
    writes: dict[int, int] = {}
    changed: set[str] = set()
    for d in decisions:
        if d.event in (MemoryEvent.ADD, MemoryEvent.UPDATE) and not is_forget(facts[d.fact_index]):
            writes[d.fact_index] = writes.get(d.fact_index, 0) + 1
            if writes[d.fact_index] > 1:
                raise ModelOutputError(f"new fact {d.fact_index} has more than one ADD/UPDATE; give it at most one")
        if d.event in (MemoryEvent.UPDATE, MemoryEvent.DELETE) and d.candidate is not None:
            short = id_map.short(d.candidate.memory_id)
            if short in changed:
                raise ModelOutputError(f'memory "{short}" is changed more than once; change each memory at most once')
            changed.add(short)


def actions_from(decisions: Sequence[Decision], facts: Sequence[Fact], id_map: IdMap) -> list[MemoryAction]:
    """Enforce the policy rules of the module docstring and order the actions by fact."""
    known_texts = {normalize_text(c.text): c for c in id_map.by_short.values()}
    added: set[str] = set()
    actions: list[MemoryAction] = []
    overridden = 0
    for d in sorted(decisions, key=lambda d: d.fact_index):
        fact = facts[d.fact_index]
        candidate = d.candidate
        if is_forget(fact) and d.event in (MemoryEvent.ADD, MemoryEvent.UPDATE):
            overridden += 1
            continue
        if candidate is not None and candidate.immutable and d.event in (MemoryEvent.UPDATE, MemoryEvent.DELETE):
            overridden += 1
            if d.event is MemoryEvent.DELETE:
                continue
            d = Decision(d.fact_index, MemoryEvent.ADD, None, fact.text)
            candidate = None
        if d.event is MemoryEvent.ADD:
            text = d.text or fact.text
            key = normalize_text(text) or text
            if key in known_texts:
                same = known_texts[key]
                actions.append(MemoryAction(MemoryEvent.NONE, same.memory_id, same.text, d.fact_index))
            elif key not in added:
                added.add(key)
                actions.append(MemoryAction(MemoryEvent.ADD, "", text, d.fact_index))
        elif d.event is MemoryEvent.UPDATE and candidate is not None:
            actions.append(MemoryAction(MemoryEvent.UPDATE, candidate.memory_id, d.text or fact.text, d.fact_index))
        elif d.event is MemoryEvent.DELETE and candidate is not None:
            actions.append(MemoryAction(MemoryEvent.DELETE, candidate.memory_id, "", d.fact_index))
        elif d.event is MemoryEvent.NONE and candidate is not None:
            actions.append(MemoryAction(MemoryEvent.NONE, candidate.memory_id, candidate.text, d.fact_index))
    if overridden:
        log.info("actions.overridden", reason="immutable_or_forget", count=overridden)
    return actions


def add_all(facts: Sequence[Fact]) -> list[MemoryAction]:
    """The actions when there are no candidates: ADD each fact once; forget requests do nothing."""
    seen: set[str] = set()
    actions = []
    for index, fact in enumerate(facts):
        key = normalize_text(fact.text) or fact.text
        if is_forget(fact) or key in seen:
            continue
        seen.add(key)
        actions.append(MemoryAction(MemoryEvent.ADD, "", fact.text, index))
    return actions


class LLMMemoryReconciler:
    """MemoryReconciler over a JSON chat model; see the module docstring."""

    def __init__(self, chat: JsonChat) -> None:
        self._chat = chat

    async def reconcile(self, facts: list[Fact], candidates: list[Candidate]) -> list[MemoryAction]:
        if not facts:
            return []
        if not candidates:
            return add_all(facts)
        id_map = IdMap.of(candidates)
        prompt = build_reconcile_messages(facts, candidates, id_map)
        decisions = await ask_json(
            self._chat, prompt, lambda payload: parse_decisions(payload, facts, id_map), purpose=PURPOSE
        )
        return actions_from(decisions, facts, id_map)
