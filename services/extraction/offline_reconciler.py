"""The offline memory reconciler: exact and near duplicates become NONE, simple negations UPDATE.

Rules, per fact in order:
1. A fact whose normalised text repeats an earlier fact of the batch gets no action at all.
2. A candidate with the same normalised text → NONE with that candidate's id (immutable or not).
3. A mutable candidate the fact negates, or that negates the fact ("Does not like X" vs "Likes X",
   "Is no longer X" vs "Is X", "Cannot X" vs "Can X") → UPDATE that candidate with the fact's text. A
   candidate is updated at most once per batch.
4. A mutable candidate with score >= 0.92 that the fact does not contradict → NONE with its id.
5. Otherwise ADD.
Immutable candidates are only ever matched by rule 2: they are never updated and never absorb a
near-duplicate. Candidates are considered best score first.

A request to forget (rules.is_forget) is handled apart from the rules above: every mutable candidate it
matches gets a DELETE (nothing when none matches; immutable candidates never). It matches a candidate when
- its target names categories ("Food preferences" → food; categories.category_reference) and the
  candidate's keyword categories include one of them, or
- otherwise, every distinctive word of the target ("Likes sushi" → sushi; "Trip to Japan" → trip, japan)
  occurs in the candidate (same crude word forms as the category rules).
A memory is changed (updated or deleted) at most once per batch, and a deleted one is no candidate for later
facts of the batch.
"""

from __future__ import annotations

import re
from collections import defaultdict

from libs.domain import Candidate, Fact, MemoryAction, MemoryEvent
from services.extraction.categories import (
    FORGET_NOISE,
    category_reference,
    default_categories,
    stems,
    word_forms,
    words,
)
from services.extraction.grammar import normalize_text, third_person
from services.extraction.rules import is_forget

NEAR_DUPLICATE_SCORE = 0.92

_LEADING_ADVERBS = frozenset(
    "also really truly totally absolutely definitely actually still just now currently".split()
)
_TRAILING_NOISE = ("any more", "anymore", "at all", "these days", "nowadays", "now")
_ARTICLES = frozenset(("a", "an", "the"))
_POSITIVE_LIKES = frozenset(("likes", "loves", "enjoys", "adores"))
_NEGATIVE_LIKES = frozenset(("dislikes", "hates", "detests"))
# (negated prefix, positive replacement) on normalised text; the first that matches wins.
_NEGATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"^(is|was|has|had|can|could|will|would|should) no longer ", r"\1 "),
        (r"^(is|was|has|had|could|will|would|should|must|might|may) not ", r"\1 "),
        (r"^(is|was|has|had|could|would|should)nt ", r"\1 "),
        (r"^(?:cannot|cant|can not) ", "can "),
        (r"^(?:wont|will not) ", "will "),
        (r"^(?:does not|doesnt|do not|dont) ", "<verb>"),
        (r"^(?:no longer|never) ", ""),
    )
)


class OfflineMemoryReconciler:
    """Rule-based MemoryReconciler; see the module docstring for the rules."""

    def __init__(self, near_duplicate_score: float = NEAR_DUPLICATE_SCORE) -> None:
        self._near_duplicate_score = near_duplicate_score

    async def reconcile(self, facts: list[Fact], candidates: list[Candidate]) -> list[MemoryAction]:
        return reconcile(facts, candidates, near_duplicate_score=self._near_duplicate_score)


def reconcile(
    facts: list[Fact], candidates: list[Candidate], *, near_duplicate_score: float = NEAR_DUPLICATE_SCORE
) -> list[MemoryAction]:
    by_fact: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_fact[candidate.fact_index].append(candidate)
    seen_texts: set[str] = set()
    updated: set[str] = set()
    deleted: set[str] = set()
    actions: list[MemoryAction] = []
    for index, fact in enumerate(facts):
        if is_forget(fact):
            removed = _forget(index, fact, by_fact.get(index, []), updated)
            deleted.update(action.memory_id for action in removed)
            actions.extend(removed)
            continue
        normalized = normalize_text(fact.text)
        if not normalized or normalized in seen_texts:
            continue
        seen_texts.add(normalized)
        ranked = sorted(
            (c for c in by_fact.get(index, []) if c.memory_id not in deleted), key=lambda c: c.score, reverse=True
        )
        actions.append(_decide(index, fact, normalized, ranked, updated, near_duplicate_score))
    return actions


def _decide(
    index: int,
    fact: Fact,
    normalized: str,
    ranked: list[Candidate],
    updated: set[str],
    near_duplicate_score: float,
) -> MemoryAction:
    for candidate in ranked:
        if normalize_text(candidate.text) == normalized:
            return MemoryAction(MemoryEvent.NONE, candidate.memory_id, candidate.text, index)
    mutable = [c for c in ranked if not c.immutable and c.memory_id not in updated]
    for candidate in mutable:
        if contradicts(fact.text, candidate.text):
            updated.add(candidate.memory_id)
            return MemoryAction(MemoryEvent.UPDATE, candidate.memory_id, fact.text, index)
    for candidate in mutable:
        if candidate.score >= near_duplicate_score and not contradicts(fact.text, candidate.text):
            return MemoryAction(MemoryEvent.NONE, candidate.memory_id, candidate.text, index)
    return MemoryAction(MemoryEvent.ADD, "", fact.text, index)


def _forget(index: int, fact: Fact, candidates: list[Candidate], changed: set[str]) -> list[MemoryAction]:
    actions = []
    for candidate in sorted(candidates, key=lambda c: c.score, reverse=True):
        if candidate.immutable or candidate.memory_id in changed:
            continue
        if forget_matches(fact.text, candidate.text):
            changed.add(candidate.memory_id)
            actions.append(MemoryAction(MemoryEvent.DELETE, candidate.memory_id, "", index))
    return actions


def forget_matches(target: str, memory: str) -> bool:
    """Does a request to forget `target` ("Food preferences", "Likes sushi") cover this memory's text?"""
    categories = category_reference(target)
    if categories is not None:
        return bool(set(categories) & set(default_categories(memory)))
    distinctive = [w for w in words(target) if w not in FORGET_NOISE and not stems(w) & FORGET_NOISE]
    if not distinctive:
        return False
    forms = word_forms(memory)
    return all(stems(word) & forms for word in distinctive)


def contradicts(first: str, second: str) -> bool:
    """True when one text is the negation of the other ("Does not like sushi" / "Likes sushi")."""
    negated_first, core_first = polarity(first)
    negated_second, core_second = polarity(second)
    return bool(core_first) and core_first == core_second and negated_first != negated_second


def polarity(text: str) -> tuple[bool, str]:
    """(is it negated, its positive core) on normalised words: "Is no longer a vegan" → (True, "is vegan")."""
    words = normalize_text(text).split()
    while words and words[0] in _LEADING_ADVERBS:
        words = words[1:]
    core = " ".join(words)
    negated = False
    for pattern, replacement in _NEGATIONS:
        match = pattern.match(core)
        if not match:
            continue
        negated = True
        rest = core[match.end() :]
        if replacement == "<verb>":
            verb, _, tail = rest.partition(" ")
            core = f"{third_person(verb)} {tail}".strip()
        else:
            core = (match.expand(replacement) + rest).strip()
        break
    words = core.split()
    if words and words[0] in _NEGATIVE_LIKES:
        negated = not negated
        words[0] = "likes"
    elif words and words[0] in _POSITIVE_LIKES:
        words[0] = "likes"
    core = " ".join(w for w in words if w not in _ARTICLES)
    for noise in _TRAILING_NOISE:
        if core.endswith(" " + noise):
            core = core[: -len(noise) - 1]
    return negated, core
