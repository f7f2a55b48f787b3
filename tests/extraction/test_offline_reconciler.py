"""Unit tests of the offline memory reconciler."""

from __future__ import annotations

import pytest

from libs.domain import Candidate, Fact, MemoryAction, MemoryEvent, Role
from services.extraction.offline_reconciler import OfflineMemoryReconciler, contradicts, reconcile


def fact(text: str) -> Fact:
    return Fact(text=text, attributed_to=Role.USER, categories=[])


def candidate(memory_id: str, text: str, score: float, fact_index: int = 0, *, immutable: bool = False) -> Candidate:
    return Candidate(memory_id=memory_id, text=text, score=score, immutable=immutable, fact_index=fact_index)


def test_new_facts_are_added_in_fact_order() -> None:
    actions = reconcile([fact("Loves sushi"), fact("Lives in Berlin")], [])
    assert actions == [
        MemoryAction(MemoryEvent.ADD, "", "Loves sushi", 0),
        MemoryAction(MemoryEvent.ADD, "", "Lives in Berlin", 1),
    ]


def test_duplicate_facts_in_the_batch_get_one_action() -> None:
    actions = reconcile([fact("Loves sushi"), fact("Is vegan"), fact("loves sushi!")], [])
    assert [(a.event, a.fact_index) for a in actions] == [(MemoryEvent.ADD, 0), (MemoryEvent.ADD, 1)]


def test_identical_text_is_none_whatever_the_score() -> None:
    actions = reconcile([fact("Is a vegetarian")], [candidate("m1", "is a vegetarian.", 0.4)])
    assert actions == [MemoryAction(MemoryEvent.NONE, "m1", "is a vegetarian.", 0)]


def test_high_score_is_a_near_duplicate() -> None:
    candidates = [candidate("low", "Likes fish", 0.5), candidate("high", "Loves eating sushi", 0.95)]
    actions = reconcile([fact("Loves sushi")], candidates)
    assert [(a.event, a.memory_id) for a in actions] == [(MemoryEvent.NONE, "high")]


def test_score_just_below_threshold_is_added() -> None:
    actions = reconcile([fact("Loves sushi")], [candidate("m1", "Loves eating sushi", 0.919)])
    assert [(a.event, a.memory_id, a.text) for a in actions] == [(MemoryEvent.ADD, "", "Loves sushi")]


def test_candidates_only_count_for_their_own_fact() -> None:
    actions = reconcile(
        [fact("Loves sushi"), fact("Lives in Berlin")], [candidate("m1", "Lives in Berlin", 0.99, fact_index=1)]
    )
    assert [(a.event, a.memory_id, a.fact_index) for a in actions] == [
        (MemoryEvent.ADD, "", 0),
        (MemoryEvent.NONE, "m1", 1),
    ]


@pytest.mark.parametrize(
    ("new", "old"),
    [
        ("Does not like spicy food", "Likes spicy food"),
        ("Likes spicy food", "Does not like spicy food"),
        ("Is no longer a vegetarian", "Is a vegetarian"),
        ("Is not vegetarian anymore", "Is vegetarian"),
        ("No longer eats meat", "Eats meat"),
        ("Cannot eat gluten", "Can eat gluten"),
        ("Hates cilantro", "Loves cilantro"),
        ("Does not love sushi", "Loves sushi"),
    ],
)
def test_negation_updates_a_mutable_candidate(new: str, old: str) -> None:
    assert contradicts(new, old)
    actions = reconcile([fact(new)], [candidate("m1", old, 0.95)])
    assert actions == [MemoryAction(MemoryEvent.UPDATE, "m1", new, 0)]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Loves sushi", "Likes sushi"),
        ("Does not like spicy food", "Hates spicy food"),
        ("Is a vegetarian", "Is allergic to nuts"),
        ("Does not like sushi", "Likes spicy food"),
    ],
)
def test_non_contradictions(first: str, second: str) -> None:
    assert not contradicts(first, second)


def test_negation_is_preferred_over_a_near_duplicate() -> None:
    candidates = [candidate("dup", "Avoids spicy dishes", 0.97), candidate("neg", "Likes spicy food", 0.93)]
    actions = reconcile([fact("Does not like spicy food")], candidates)
    assert [(a.event, a.memory_id) for a in actions] == [(MemoryEvent.UPDATE, "neg")]


def test_a_candidate_is_updated_at_most_once() -> None:
    candidates = [candidate("m1", "Likes sushi", 0.9, 0), candidate("m1", "Likes sushi", 0.9, 1)]
    actions = reconcile([fact("Does not like sushi"), fact("Hates sushi")], candidates)
    assert [(a.event, a.memory_id) for a in actions] == [(MemoryEvent.UPDATE, "m1"), (MemoryEvent.ADD, "")]


def test_immutable_candidates_are_never_updated() -> None:
    actions = reconcile([fact("Does not like spicy food")], [candidate("m1", "Likes spicy food", 0.96, immutable=True)])
    assert actions == [MemoryAction(MemoryEvent.ADD, "", "Does not like spicy food", 0)]


def test_immutable_candidates_do_not_absorb_near_duplicates() -> None:
    actions = reconcile([fact("Loves sushi")], [candidate("m1", "Loves eating sushi", 0.99, immutable=True)])
    assert [(a.event, a.memory_id) for a in actions] == [(MemoryEvent.ADD, "")]


def test_identical_immutable_candidate_is_none() -> None:
    actions = reconcile([fact("Loves sushi")], [candidate("m1", "Loves sushi", 0.99, immutable=True)])
    assert [(a.event, a.memory_id) for a in actions] == [(MemoryEvent.NONE, "m1")]


async def test_offline_reconciler_implements_the_interface() -> None:
    actions = await OfflineMemoryReconciler().reconcile([fact("Loves sushi")], [candidate("m1", "Loves sushi", 1.0)])
    assert [(a.event, a.memory_id) for a in actions] == [(MemoryEvent.NONE, "m1")]
