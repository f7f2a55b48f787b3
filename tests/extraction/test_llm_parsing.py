"""Unit tests of the strict parsing of model answers, the rules enforced in code, and the retry arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from libs.domain import Candidate, Fact, MemoryAction, MemoryEvent, Role
from services.extraction.llm.client import backoff_delay, retry_after_seconds
from services.extraction.llm.extractor import ExtractedFact, finish_facts, parse_facts
from services.extraction.llm.reconcile_prompt import IdMap
from services.extraction.llm.reconciler import actions_from, add_all, parse_decisions
from services.extraction.llm.structured import ModelOutputError, decode_json_object
from services.extraction.ports import ExtractionOptions
from services.extraction.rules import forget_fact

USER = frozenset({Role.USER})
BOTH = frozenset({Role.USER, Role.ASSISTANT})

# --- decoding -------------------------------------------------------------------------------------


def test_decode_accepts_an_object_and_a_fenced_object() -> None:
    assert decode_json_object('{"facts": []}') == {"facts": []}
    assert decode_json_object('```json\n{"facts": [1]}\n```') == {"facts": [1]}
    assert decode_json_object('  ```\n{"a": "é"}\n```  ') == {"a": "é"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the reply was empty"),
        ("Sure! Here you go", "the reply is not valid JSON (Expecting value at line 1 column 1)"),
        ('{"facts": [', "the reply is not valid JSON"),
        ("[1, 2]", "the reply must be a JSON object, not an array"),
        ('"facts"', "the reply must be a JSON object, not a string"),
    ],
)
def test_decode_rejects_what_is_not_one_json_object(text: str, reason: str) -> None:
    with pytest.raises(ModelOutputError) as raised:
        decode_json_object(text)
    assert raised.value.reason.startswith(reason)


# --- extraction answers ---------------------------------------------------------------------------


def test_parse_facts_reads_items() -> None:
    facts = parse_facts(
        {
            "facts": [
                {"text": " Is a vegetarian ", "attributed_to": "user", "categories": ["food"]},
                {"text": "Name is Alice", "attributed_to": "Assistant"},
                {"text": "Food preferences", "attributed_to": "user", "categories": "food", "forget": True},
            ],
            "notes": "ignored",
        }
    )
    assert facts == [
        ExtractedFact("Is a vegetarian", Role.USER, ["food"]),
        ExtractedFact("Name is Alice", Role.ASSISTANT, []),
        ExtractedFact("Food preferences", Role.USER, ["food"], forget=True),
    ]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({}, 'the key "facts" is missing'),
        ({"memory": []}, 'the key "facts" is missing'),
        ({"facts": {}}, '"facts" must be an array, not an object'),
        ({"facts": ["Likes sushi"]}, '"facts[0]" must be an object, not a string'),
        ({"facts": [{"attributed_to": "user"}]}, '"facts[0].text" must be a non-empty string (it is missing)'),
        (
            {"facts": [{"text": "  ", "attributed_to": "user"}]},
            '"facts[0].text" must be a non-empty string (it is empty)',
        ),
        (
            {"facts": [{"text": 3, "attributed_to": "user"}]},
            '"facts[0].text" must be a non-empty string (it is a number)',
        ),
        (
            {"facts": [{"text": "x", "attributed_to": "system"}]},
            '"facts[0].attributed_to" must be one of "user", "assistant"',
        ),
        (
            {"facts": [{"text": "x", "attributed_to": "user", "categories": [1]}]},
            '"facts[0].categories" must be an array',
        ),
        (
            {"facts": [{"text": "x", "attributed_to": "user", "forget": "yes"}]},
            '"facts[0].forget" must be true or false',
        ),
    ],
)
def test_parse_facts_names_what_is_wrong_without_echoing_content(payload: dict, reason: str) -> None:
    with pytest.raises(ModelOutputError) as raised:
        parse_facts(payload)
    assert raised.value.reason.startswith(reason)


def test_finish_facts_drops_facts_of_a_side_that_does_not_count() -> None:
    extracted = [
        ExtractedFact("Is a vegetarian", Role.USER, ["food"]),
        ExtractedFact("Is a travel assistant", Role.ASSISTANT, ["travel"]),
    ]
    assert [f.text for f in finish_facts(extracted, USER, ExtractionOptions())] == ["Is a vegetarian"]
    assert [f.attributed_to for f in finish_facts(extracted, BOTH, ExtractionOptions())] == [Role.USER, Role.ASSISTANT]


def test_finish_facts_keeps_only_catalogue_categories_and_falls_back_to_keywords() -> None:
    extracted = [
        ExtractedFact("Is allergic to nuts", Role.USER, ["Health", "allergies", "food"]),
        ExtractedFact("Plays tennis", Role.USER, ["made_up"]),
        ExtractedFact("Has a blue umbrella", Role.USER, []),
        ExtractedFact("Loves jazz", Role.USER, ["music", "misc"]),
    ]
    facts = finish_facts(extracted, USER, ExtractionOptions())
    assert [f.categories for f in facts] == [["health", "food"], ["sports"], ["misc"], ["music"]]


def test_finish_facts_with_custom_categories_uses_only_those() -> None:
    options = ExtractionOptions(custom_categories={"diet": "what they eat", "pets": "animals they keep"})
    extracted = [
        ExtractedFact("Is a vegetarian", Role.USER, ["diet", "food"]),
        ExtractedFact("Has two cats", Role.USER, ["family"]),
        ExtractedFact("Keeps animals at home", Role.USER, []),
    ]
    assert [f.categories for f in finish_facts(extracted, USER, options)] == [["diet"], [], ["pets"]]


def test_finish_facts_applies_excludes_again_and_dedupes() -> None:
    extracted = [
        ExtractedFact("Name is Alex", Role.USER, ["personal_details"]),
        ExtractedFact("Is a vegetarian", Role.USER, ["food"]),
        ExtractedFact("is a vegetarian.", Role.USER, ["food"]),
        ExtractedFact("Food preferences", Role.USER, ["food"], forget=True),
    ]
    facts = finish_facts(extracted, USER, ExtractionOptions(excludes="personal_details, food"))
    assert facts == [forget_fact("Food preferences", ["food"])]
    facts = finish_facts(extracted, USER, ExtractionOptions())
    assert [f.text for f in facts] == ["Name is Alex", "Is a vegetarian", "Food preferences"]
    assert facts[2].forget and facts[2].categories == ["food"]


# --- reconciliation answers -----------------------------------------------------------------------

FACTS = [
    Fact("Is a vegetarian", Role.USER, ["food"]),
    Fact("Lives in Berlin", Role.USER, ["personal_details"]),
    forget_fact("Spicy food", ["food"]),
]
CANDIDATES = [
    Candidate("m-chicken", "Loves chicken", 0.8, False, 0),
    Candidate("m-nuts", "Is allergic to nuts", 0.5, True, 0),
    Candidate("m-city", "Lives in Munich", 0.7, False, 1),
    Candidate("m-spicy", "Likes spicy food", 0.9, False, 2),
    Candidate("m-curry", "Loves spicy curry", 0.8, False, 2),
]
# IdMap.of(CANDIDATES): "0" m-chicken, "1" m-nuts, "2" m-city, "3" m-spicy, "4" m-curry
ID_MAP = IdMap.of(CANDIDATES)


def _actions(items: list[dict]) -> list[MemoryAction]:
    return actions_from(parse_decisions({"actions": items}, FACTS, ID_MAP), FACTS, ID_MAP)


def test_decisions_map_small_ids_back_to_memory_ids_in_fact_order() -> None:
    actions = _actions(
        [
            {"fact": 2, "event": "DELETE", "id": "3"},
            {"fact": "2", "event": "delete", "id": 4},
            {"fact": 1, "event": "UPDATE", "id": "2", "text": "Lives in Berlin"},
            {"fact": 0, "event": "UPDATE", "id": "0", "text": "Is a vegetarian"},
        ]
    )
    assert actions == [
        MemoryAction(MemoryEvent.UPDATE, "m-chicken", "Is a vegetarian", 0),
        MemoryAction(MemoryEvent.UPDATE, "m-city", "Lives in Berlin", 1),
        MemoryAction(MemoryEvent.DELETE, "m-spicy", "", 2),
        MemoryAction(MemoryEvent.DELETE, "m-curry", "", 2),
    ]


def test_add_and_none_decisions() -> None:
    actions = _actions(
        [
            {"fact": 0, "event": "ADD"},
            {"fact": 1, "event": "NONE", "id": "2"},
            {"fact": 2, "event": "NONE"},
        ]
    )
    assert actions == [
        MemoryAction(MemoryEvent.ADD, "", "Is a vegetarian", 0),
        MemoryAction(MemoryEvent.NONE, "m-city", "Lives in Munich", 1),
    ]


@pytest.mark.parametrize(
    ("items", "reason"),
    [
        (
            [{"fact": 0, "event": "UPDATE", "id": "7", "text": "x"}],
            '"actions[0].id" is "7", which is not one of the existing memory ids (0, 1, 2, 3, 4)',
        ),
        (
            [{"fact": 0, "event": "DELETE", "id": "m-chicken"}],
            '"actions[0].id" is "m-chicken", which is not one of the existing memory ids',
        ),
        ([{"fact": 3, "event": "ADD"}], '"actions[0].fact" is 3, but the new facts are numbered 0 to 2'),
        ([{"fact": "first", "event": "ADD"}], '"actions[0].fact" must be an integer'),
        ([{"fact": 0, "event": "MERGE"}], '"actions[0].event" must be one of "ADD", "UPDATE", "DELETE", "NONE"'),
        ([{"fact": 0, "event": "UPDATE", "id": "0"}], '"actions[0]" is an UPDATE without the memory\'s new "text"'),
        ([{"fact": 0, "event": "DELETE"}], '"actions[0]" is a DELETE without the "id" of the memory it changes'),
        ([{"fact": 0, "event": "ADD"}], "new fact(s) 1, 2 have no item; every new fact needs one"),
        (
            [
                {"fact": 0, "event": "ADD"},
                {"fact": 0, "event": "UPDATE", "id": "0", "text": "x"},
                {"fact": 1, "event": "ADD"},
                {"fact": 2, "event": "NONE"},
            ],
            "new fact 0 has more than one ADD/UPDATE",
        ),
        (
            [
                {"fact": 0, "event": "UPDATE", "id": "0", "text": "x"},
                {"fact": 1, "event": "DELETE", "id": "0"},
                {"fact": 2, "event": "NONE"},
            ],
            'memory "0" is changed more than once',
        ),
    ],
)
def test_invalid_decisions_are_rejected_with_a_reason(items: list[dict], reason: str) -> None:
    with pytest.raises(ModelOutputError) as raised:
        parse_decisions({"actions": items}, FACTS, ID_MAP)
    assert raised.value.reason.startswith(reason)


def test_missing_actions_key_is_invalid() -> None:
    with pytest.raises(ModelOutputError, match='the key "actions" is missing'):
        parse_decisions({"memory": []}, FACTS, ID_MAP)


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (
            {"fact": 0, "event": "UPDATE", "id": "1", "text": "Is a vegetarian, allergic to nuts"},
            [MemoryAction(MemoryEvent.ADD, "", "Is a vegetarian", 0)],
        ),
        ({"fact": 0, "event": "DELETE", "id": "1"}, []),
    ],
)
def test_immutable_memories_are_never_updated_or_deleted_whatever_the_model_says(
    first: dict, expected: list[MemoryAction]
) -> None:
    actions = _actions([first, {"fact": 1, "event": "ADD"}, {"fact": 2, "event": "NONE"}])
    assert actions == [*expected, MemoryAction(MemoryEvent.ADD, "", "Lives in Berlin", 1)]


def test_a_forget_request_deletes_only_mutable_memories() -> None:
    actions = _actions(
        [
            {"fact": 0, "event": "NONE"},
            {"fact": 1, "event": "NONE"},
            {"fact": 2, "event": "DELETE", "id": "1"},
            {"fact": 2, "event": "DELETE", "id": "4"},
        ]
    )
    assert actions == [MemoryAction(MemoryEvent.DELETE, "m-curry", "", 2)]


def test_a_forget_request_is_never_stored() -> None:
    actions = _actions(
        [
            {"fact": 0, "event": "ADD"},
            {"fact": 1, "event": "ADD"},
            {"fact": 2, "event": "ADD"},
            {"fact": 2, "event": "UPDATE", "id": "3", "text": "Spicy food"},
        ]
    )
    assert [a.text for a in actions] == ["Is a vegetarian", "Lives in Berlin"]


def test_an_add_of_a_shown_memory_becomes_none_and_repeated_adds_are_kept_once() -> None:
    facts = [Fact("Lives in Munich", Role.USER), Fact("Plays chess", Role.USER), Fact("plays chess", Role.USER)]
    id_map = IdMap.of([Candidate("m-city", "Lives in Munich", 0.99, False, 0)])
    decisions = parse_decisions(
        {"actions": [{"fact": 0, "event": "ADD"}, {"fact": 1, "event": "ADD"}, {"fact": 2, "event": "ADD"}]},
        facts,
        id_map,
    )
    assert actions_from(decisions, facts, id_map) == [
        MemoryAction(MemoryEvent.NONE, "m-city", "Lives in Munich", 0),
        MemoryAction(MemoryEvent.ADD, "", "Plays chess", 1),
    ]


def test_add_all_without_candidates_skips_forget_requests_and_repeats() -> None:
    facts = [Fact("Plays chess", Role.USER), forget_fact("Sushi", ["food"]), Fact("Plays chess!", Role.USER)]
    assert add_all(facts) == [MemoryAction(MemoryEvent.ADD, "", "Plays chess", 0)]


# --- retry arithmetic -----------------------------------------------------------------------------


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    assert [backoff_delay(n, 0.5, 8.0, 0.0) for n in range(6)] == [0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert [backoff_delay(n, 0.5, 8.0, 1.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


def test_retry_after_headers() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after": "0.25"}) == 0.25
    assert retry_after_seconds({"retry-after-ms": "150", "retry-after": "9"}) == 0.15
    assert retry_after_seconds({"retry-after": "Thu, 01 Jan 2026 12:00:03 GMT"}, now) == 3.0
    assert retry_after_seconds({"retry-after": "Thu, 01 Jan 2026 11:00:00 GMT"}, now) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None
    assert retry_after_seconds(None) is None
