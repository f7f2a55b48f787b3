"""Unit tests of the offline (rule-based) fact extractor."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libs.domain import Message, Role, Scope
from services.extraction.offline_extractor import OfflineFactExtractor, extract_facts
from services.extraction.ports import ExtractionOptions

USER = Scope(user_id="alex")

# (user message, expected facts in order)
CASES: list[tuple[str, list[str]]] = [
    (
        "Hi, I'm Alex. I'm a vegetarian and I'm allergic to nuts.",
        ["Name is Alex", "Is a vegetarian", "Is allergic to nuts"],
    ),
    ("I'm a vegetarian", ["Is a vegetarian"]),
    ("I am allergic to nuts", ["Is allergic to nuts"]),
    ("I'm Alex", ["Name is Alex"]),
    ("My name is Alex", ["Name is Alex"]),
    ("My name's Sam.", ["Name is Sam"]),
    ("I love sushi", ["Loves sushi"]),
    ("I don't like spicy food", ["Does not like spicy food"]),
    ("I can't eat gluten", ["Cannot eat gluten"]),
    ("I have two kids", ["Has two kids"]),
    ("I live in Berlin", ["Lives in Berlin"]),
    ("I work at Acme as an engineer", ["Works at Acme as an engineer"]),
    ("I turned vegetarian", ["Turned vegetarian"]),
    ("My favourite color is blue", ["Favourite color is blue"]),
    ("My wife is Sarah", ["Wife is Sarah"]),
    ("I'm going to Paris next month", ["Is going to Paris next month"]),
    ("I go hiking every weekend.", ["Goes hiking every weekend"]),
    ("I study medicine at Oxford", ["Studies medicine at Oxford"]),
    ("I watch anime on weekends!", ["Watches anime on weekends"]),
    ("I play tennis on Sundays", ["Plays tennis on Sundays"]),
    ("I really love my dog", ["Really loves their dog"]),
    ("I no longer eat meat", ["No longer eats meat"]),
    ("I'm no longer a vegetarian", ["Is no longer a vegetarian"]),
    ("I've been to Japan twice", ["Has been to Japan twice"]),
    ("I'd love to visit Iceland someday", ["Would love to visit Iceland someday"]),
    ("I moved to London last year", ["Moved to London last year"]),
    ("I used to play the guitar", ["Used to play the guitar"]),
    ("I'm German", ["Is German"]),
    ("I'm Alex from Berlin", ["Name is Alex", "Is from Berlin"]),
    ("i'm allergic to cats lol", ["Is allergic to cats"]),
    ("im a software engineer and i love hiking", ["Is a software engineer", "Loves hiking"]),
    ("I love sushi but I hate spicy food", ["Loves sushi", "Hates spicy food"]),
    ("I like cats and dogs", ["Likes cats and dogs"]),
    ("I'm allergic to peanuts and shellfish.", ["Is allergic to peanuts and shellfish"]),
    ("Recently I started learning Spanish", ["Recently started learning Spanish"]),
    ("Currently I work at Google.", ["Currently works at Google"]),
    ("I'm currently a student", ["Is currently a student"]),
    ("I think I'm allergic to shellfish.", ["Is allergic to shellfish"]),
    ("Remember that my birthday is on March 3rd.", ["Birthday is on March 3rd"]),
    ("My wife and I live in Berlin.", ["Lives in Berlin with their wife"]),
    ("I'm vegetarian, can you suggest a recipe?", ["Is vegetarian"]),
    ("I prefer window seats when I fly", ["Prefers window seats when they fly"]),
    (
        "I'm 30 years old and I live in NYC; my partner is a nurse.",
        ["Is 30 years old", "Lives in NYC", "Partner is a nurse"],
    ),
    ("My kids are 5 and 7", ["Kids are 5 and 7"]),
    ("- I like jazz\n- I hate country music", ["Likes jazz", "Hates country music"]),
    ("Oh and by the way, I'm lactose intolerant.", ["Is lactose intolerant"]),
    ("I didn't go to college", ["Did not go to college"]),
    ("I\u2019m Priya and I\u2019m a nurse", ["Name is Priya", "Is a nurse"]),
    ("Dr. Smith is my dentist. I see her every month.", ["Sees her every month"]),
    # greetings, small talk and questions give nothing
    ("Hi!", []),
    ("Hello there, good morning!", []),
    ("Thanks so much!", []),
    ("What should I cook tonight?", []),
    ("Can you recommend a restaurant near me?", []),
    ("How do I reset my password?", []),
    ("Do you think I should learn Rust", []),
    ("I was wondering, do you have vegetarian options?", []),
    ("I'm fine, thanks", []),
    ("I see.", []),
    ("I agree", []),
    ("I love it!", []),
    ("I'll try that", []),
    ("I don't know", []),
    ("I have a question about my order", []),
    ("Sure, I'd be happy to help!", []),
    ("The weather is nice today.", []),
    ("Sushi!", []),
    ("My bad", []),
]


@pytest.mark.parametrize(("content", "expected"), CASES, ids=[case[0][:40] for case in CASES])
def test_user_statements_become_third_person_facts(content: str, expected: list[str]) -> None:
    facts = extract_facts([Message(Role.USER, content)], USER, ExtractionOptions())
    assert [fact.text for fact in facts] == expected
    assert all(fact.attributed_to is Role.USER for fact in facts)


def test_the_table_is_large_enough() -> None:
    assert sum(1 for _, expected in CASES if expected) >= 30


def test_facts_follow_conversation_order_across_messages() -> None:
    messages = [
        Message(Role.USER, "I live in Berlin."),
        Message(Role.ASSISTANT, "Nice! Berlin is great."),
        Message(Role.USER, "I work as a nurse."),
    ]
    facts = extract_facts(messages, USER, ExtractionOptions())
    assert [fact.text for fact in facts] == ["Lives in Berlin", "Works as a nurse"]


def test_user_scope_ignores_assistant_and_system_messages() -> None:
    messages = [
        Message(Role.SYSTEM, "I am a helpful assistant. I love rules."),
        Message(Role.USER, "I love hiking."),
        Message(Role.ASSISTANT, "I love hiking too!"),
        Message(Role.TOOL, "I am a tool result"),
    ]
    facts = extract_facts(messages, USER, ExtractionOptions())
    assert [(fact.text, fact.attributed_to) for fact in facts] == [("Loves hiking", Role.USER)]


def test_empty_scope_extracts_from_user_messages() -> None:
    facts = extract_facts([Message(Role.USER, "I love hiking.")], Scope(), ExtractionOptions())
    assert [fact.text for fact in facts] == ["Loves hiking"]


def test_agent_scope_extracts_only_assistant_first_person_facts() -> None:
    messages = [
        Message(Role.SYSTEM, "I am a system prompt."),
        Message(Role.USER, "I'm vegan."),
        Message(Role.ASSISTANT, "I'm Nova, your travel assistant. I specialise in budget trips. How can I help?"),
    ]
    facts = extract_facts(messages, Scope(agent_id="nova"), ExtractionOptions())
    assert [(fact.text, fact.attributed_to) for fact in facts] == [
        ("Name is Nova", Role.ASSISTANT),
        ("Specialises in budget trips", Role.ASSISTANT),
    ]


def test_user_and_agent_scope_tags_both_kinds() -> None:
    messages = [
        Message(Role.USER, "I'm vegan."),
        Message(Role.ASSISTANT, "Great. I can help you with that. I love vegan food myself."),
        Message(Role.SYSTEM, "I never become a fact."),
    ]
    facts = extract_facts(messages, Scope(user_id="alex", agent_id="chef"), ExtractionOptions())
    assert [(fact.text, fact.attributed_to) for fact in facts] == [
        ("Is vegan", Role.USER),
        ("Loves vegan food themselves", Role.ASSISTANT),
    ]


def test_duplicate_statements_are_reported_once() -> None:
    messages = [Message(Role.USER, "I love sushi."), Message(Role.USER, "I LOVE sushi!")]
    facts = extract_facts(messages, USER, ExtractionOptions())
    assert [fact.text for fact in facts] == ["Loves sushi"]


def test_default_categories() -> None:
    content = "I'm Alex. I'm allergic to nuts. I work at Acme as an engineer. I own a red umbrella."
    facts = extract_facts([Message(Role.USER, content)], USER, ExtractionOptions())
    assert [(fact.text, fact.categories) for fact in facts] == [
        ("Name is Alex", ["personal_details"]),
        ("Is allergic to nuts", ["food", "health"]),
        ("Works at Acme as an engineer", ["professional_details"]),
        ("Owns a red umbrella", ["misc"]),
    ]


def test_custom_categories_replace_the_defaults() -> None:
    options = ExtractionOptions(
        custom_categories={"diet": "what the user eats, e.g. vegetarian or vegan", "pets": "dogs, cats"}
    )
    content = "I'm vegetarian. I have two dogs. I live in Berlin. I went hiking."
    facts = extract_facts([Message(Role.USER, content)], USER, options)
    assert [(fact.text, fact.categories) for fact in facts] == [
        ("Is vegetarian", ["diet"]),
        ("Has two dogs", ["pets"]),
        ("Lives in Berlin", []),
        ("Went hiking", []),
    ]


def test_excludes_drop_matching_facts_case_insensitively() -> None:
    content = "I'm allergic to Nuts. I live in Berlin. I love sushi."
    options = ExtractionOptions(excludes="nuts, berlin")
    facts = extract_facts([Message(Role.USER, content)], USER, options)
    assert [fact.text for fact in facts] == ["Loves sushi"]


def test_includes_keep_only_matching_facts_by_text_or_category() -> None:
    content = "I'm allergic to nuts. I live in Berlin. I love sushi. I play tennis."
    options = ExtractionOptions(includes="food,  tennis")
    facts = extract_facts([Message(Role.USER, content)], USER, options)
    assert [fact.text for fact in facts] == ["Is allergic to nuts", "Loves sushi", "Plays tennis"]


async def test_offline_extractor_implements_the_interface() -> None:
    facts = await OfflineFactExtractor().extract([Message(Role.USER, "I love jazz.")], USER, ExtractionOptions())
    assert [fact.text for fact in facts] == ["Loves jazz"]


SENTENCE_PARTS = st.sampled_from(
    [
        "I'm",
        "I",
        "my",
        "My",
        "love",
        "don't",
        "and",
        "but",
        "hi",
        "Hello",
        ",",
        ".",
        "?",
        "!",
        ";",
        "you",
        "sushi",
        "Alex",
        "no longer",
        "can't",
        "really",
        "am",
        "name is",
        "wife and I",
        "\n",
        " ",
        "Dr.",
        "'",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(SENTENCE_PARTS, max_size=40).map(" ".join)))
def test_any_text_gives_well_formed_facts(content: str) -> None:
    facts = extract_facts([Message(Role.USER, content)], USER, ExtractionOptions())
    for fact in facts:
        assert fact.text.strip() == fact.text and fact.text
        assert not fact.text[0].islower()
        assert fact.text[-1] not in ".!?,;:"
        assert fact.categories


@pytest.mark.timeout(20)
def test_long_input_does_not_blow_up() -> None:
    """A guard against catastrophic regex backtracking (a long run of "hi, " once took seconds): the test
    times out instead of asserting a speed; extraction speed belongs in the benchmarks."""
    content = "hi, " * 5000 + "I love sushi and I live in Berlin. " * 500
    facts = extract_facts([Message(Role.USER, content)], USER, ExtractionOptions())
    assert [fact.text for fact in facts] == ["Loves sushi", "Lives in Berlin"]
