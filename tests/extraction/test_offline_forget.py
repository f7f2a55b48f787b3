"""The offline rules for requests to forget: recognising them, and deleting the memories they match."""

from __future__ import annotations

import pytest

from libs.domain import Candidate, Fact, MemoryAction, MemoryEvent, Message, Role, Scope
from services.extraction.offline_extractor import extract_facts, forget_target
from services.extraction.offline_reconciler import forget_matches, reconcile
from services.extraction.ports import ExtractionOptions
from services.extraction.rules import forget_fact, is_forget


@pytest.mark.parametrize(
    ("sentence", "target"),
    [
        ("Delete all of my food preferences.", "Food preferences"),
        ("Forget that I like sushi.", "Likes sushi"),
        ("Please forget about my trip to Japan!", "Trip to Japan"),
        ("Hey, can you delete my address?", "Address"),
        ("I want you to forget that I'm vegan", "Is vegan"),
        ("Forget that I don't like spicy food.", "Does not like spicy food"),
        ("Please remove the memory about my allergy.", "Allergy"),
        ("Forget sushi", "Sushi"),
        ("Delete all my preferences please", "Preferences"),
    ],
)
def test_requests_to_forget_are_recognised(sentence: str, target: str) -> None:
    assert forget_target(sentence) == target


@pytest.mark.parametrize(
    "sentence",
    [
        "Hey, forget everything.",
        "Forget it",
        "Delete all of my data",
        "Remove the batteries first.",  # nothing personal, and not "forget"
        "I forgot my keys at home.",
        "Don't forget to buy milk.",
        "I love sushi.",
    ],
)
def test_other_sentences_are_not_requests_to_forget(sentence: str) -> None:
    assert forget_target(sentence) is None


def test_the_extractor_emits_forget_facts_for_user_requests_only() -> None:
    messages = [
        Message(Role.USER, "I live in Berlin. Delete all of my food preferences."),
        Message(Role.ASSISTANT, "Forget that I like sushi."),
    ]
    facts = extract_facts(messages, Scope(user_id="u", agent_id="a"), ExtractionOptions())
    assert facts == [
        Fact("Lives in Berlin", Role.USER, ["personal_details"]),
        Fact("Food preferences", Role.USER, ["food"], forget=True),
    ]
    assert is_forget(facts[1]) and not is_forget(facts[0])


@pytest.mark.parametrize(
    ("target", "memory", "expected"),
    [
        ("Food preferences", "Loves sushi", True),
        ("Food preferences", "Does not like spicy food", True),
        ("Food preferences", "Lives in Berlin", False),
        ("Food preferences", "Plays tennis", False),
        ("Likes sushi", "Loves sushi", True),
        ("Likes sushi", "Loves ramen", False),
        ("Trip to Japan", "Is planning a trip to Japan next month", True),
        ("Trip to Japan", "Wants to visit Tokyo and Kyoto", False),
        ("Is vegan", "Is vegan", True),
        ("Is vegan", "Is a vegetarian", False),
        ("Travel plans", "Is planning a trip to Japan next month", True),
        ("My stuff", "Loves sushi", False),
    ],
)
def test_forget_matches_by_category_or_by_every_distinctive_word(target: str, memory: str, expected: bool) -> None:
    assert forget_matches(target, memory) is expected


def test_the_offline_reconciler_deletes_matching_mutable_candidates_only() -> None:
    facts = [forget_fact("Food preferences", ["food"]), Fact("Loves sushi", Role.USER, ["food"])]
    candidates = [
        Candidate("m-sushi", "Loves sushi", 0.7, False, 0),
        Candidate("m-spicy", "Does not like spicy food", 0.6, False, 0),
        Candidate("m-nuts", "Is allergic to peanuts, no food with nuts", 0.5, True, 0),
        Candidate("m-city", "Lives in Berlin", 0.4, False, 0),
        Candidate("m-sushi", "Loves sushi", 0.99, False, 1),
    ]
    assert reconcile(facts, candidates) == [
        MemoryAction(MemoryEvent.DELETE, "m-sushi", "", 0),
        MemoryAction(MemoryEvent.DELETE, "m-spicy", "", 0),
        # a deleted memory is no candidate for a later fact of the batch
        MemoryAction(MemoryEvent.ADD, "", "Loves sushi", 1),
    ]


def test_a_forget_request_without_a_match_does_nothing() -> None:
    facts = [forget_fact("Likes sushi", ["food"])]
    assert reconcile(facts, [Candidate("m-city", "Lives in Berlin", 0.4, False, 0)]) == []
    assert reconcile(facts, []) == []
