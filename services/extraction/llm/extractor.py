"""LLMFactExtractor: one JSON-mode LLM call turns a conversation into facts with attribution and categories.

The model's answer is parsed strictly (structure and types; one repair attempt, see structured.py), then the
rules that must hold whatever the model says are applied in code:
- a fact attributed to a side whose messages do not count for this scope is dropped (rules.speaking_roles);
- categories are limited to the catalogue (custom categories, or Mem0's defaults); a fact left with none gets
  the keyword classifier's categories instead (defaults: at least "misc");
- `excludes` is applied again by keyword (a second line of defence; `includes` is left to the model, which
  judges meaning better than keywords);
- repeated facts (same words, same side) are kept once; requests to forget become forget facts (rules.py).
No call is made when no message of a side that counts has any content.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import structlog

from libs.domain import Fact, Message, Role, Scope
from services.extraction.categories import (
    MISC,
    custom_categories,
    custom_category_terms,
    default_categories,
    matches_any,
)
from services.extraction.grammar import normalize_text
from services.extraction.llm.extraction_prompt import (
    build_extraction_messages,
    category_catalogue,
    fit_conversation,
)
from services.extraction.llm.structured import (
    JsonChat,
    ModelOutputError,
    ask_json,
    choice,
    require_list,
    require_object,
    require_text,
    string_list,
)
from services.extraction.ports import ExtractionOptions
from services.extraction.rules import forget_fact, speaking_roles

log = structlog.get_logger()

PURPOSE = "extract_facts"
_ROLES = {"user": Role.USER, "assistant": Role.ASSISTANT}


@dataclass(frozen=True, slots=True)
class ExtractedFact:
    """One item of the model's answer, structurally valid."""

    text: str
    attributed_to: Role
    categories: list[str]
    forget: bool = False


def parse_facts(payload: dict[str, Any]) -> list[ExtractedFact]:
    """`{"facts": [{"text", "attributed_to", "categories", "forget"?}]}` → items; ModelOutputError otherwise."""
    items = require_list(payload, "facts")
    facts = []
    for index, raw in enumerate(items):
        path = f"facts[{index}]"
        item = require_object(raw, path)
        forget = item.get("forget", False)
        if not isinstance(forget, bool):
            raise ModelOutputError(f'"{path}.forget" must be true or false')
        facts.append(
            ExtractedFact(
                text=require_text(item, "text", path),
                attributed_to=_ROLES[choice(item, "attributed_to", path, ("user", "assistant"))],
                categories=string_list(item, "categories", path),
                forget=forget,
            )
        )
    return facts


def finish_facts(extracted: Sequence[ExtractedFact], roles: frozenset[Role], options: ExtractionOptions) -> list[Fact]:
    """Apply the rules of the module docstring to the model's facts."""
    catalogue = {name.lower(): name for name in category_catalogue(options)}
    terms = custom_category_terms(options.custom_categories) if options.custom_categories else None
    excludes = [term.strip() for term in options.excludes.split(",") if term.strip()]
    facts: list[Fact] = []
    seen: set[tuple[str, Role, bool]] = set()
    dropped_roles = 0
    for item in extracted:
        if item.attributed_to not in roles:
            dropped_roles += 1
            continue
        categories = list(dict.fromkeys(catalogue[c.lower()] for c in item.categories if c.lower() in catalogue))
        if not categories:
            categories = custom_categories(item.text, terms) if terms is not None else default_categories(item.text)
        if len(categories) > 1 and MISC in categories and terms is None:
            categories.remove(MISC)
        if not item.forget and excludes and matches_any(item.text, categories, excludes):
            continue
        key = (normalize_text(item.text) or item.text, item.attributed_to, item.forget)
        if key in seen:
            continue
        seen.add(key)
        if item.forget:
            facts.append(forget_fact(item.text, categories, item.attributed_to))
        else:
            facts.append(Fact(text=item.text, attributed_to=item.attributed_to, categories=categories))
    if dropped_roles:
        log.info("facts.dropped", reason="attribution_not_in_scope", count=dropped_roles)
    return facts


class LLMFactExtractor:
    """FactExtractor over a JSON chat model; see the module docstring."""

    def __init__(
        self,
        chat: JsonChat,
        *,
        max_conversation_chars: int,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
    ) -> None:
        self._chat = chat
        self._max_chars = max_conversation_chars
        self._today = today

    async def extract(self, messages: list[Message], scope: Scope, options: ExtractionOptions) -> list[Fact]:
        roles = speaking_roles(scope)
        conversation = fit_conversation(messages, self._max_chars)
        if conversation.omitted or conversation.truncated_chars:
            log.info(
                "conversation.truncated",
                messages=len(messages),
                kept=len(conversation.messages),
                omitted=conversation.omitted,
                truncated_chars=conversation.truncated_chars,
            )
        if not any(m.role in roles and m.content.strip() for m in conversation.messages):
            return []
        prompt = build_extraction_messages(conversation, scope, options, self._today())
        extracted = await ask_json(self._chat, prompt, parse_facts, purpose=PURPOSE)
        return finish_facts(extracted, roles, options)
