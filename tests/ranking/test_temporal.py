"""The periods queries name and the time expressions memories carry (gateway/temporal.py)."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.temporal import Period, asks_when, dates_an_event, named_period

TODAY = date(2023, 6, 15)


@pytest.mark.parametrize(
    ("query", "period"),
    [
        ("What movie did Joanna watch on 1 May, 2022?", Period(date(2022, 5, 1), date(2022, 5, 1))),
        ("What happened on May 3rd, 2021?", Period(date(2021, 5, 3), date(2021, 5, 3))),
        ("Where did Joanna travel to in July 2022?", Period(date(2022, 7, 1), date(2022, 7, 31))),
        ("What did we plan for Feb, 2024", Period(date(2024, 2, 1), date(2024, 2, 29))),
        ("Where was Tim in the week before 16 November 2023?", Period(date(2023, 11, 16), date(2023, 11, 16))),
        ("What happened on 2023-03-09?", Period(date(2023, 3, 9), date(2023, 3, 9))),
        # No such day: the month it names.
        ("Was 31 February 2023 a good day?", Period(date(2023, 2, 1), date(2023, 2, 28))),
        ("Which books did she read in 2021?", Period(date(2021, 1, 1), date(2021, 12, 31))),
        ("what did I eat yesterday", Period(date(2023, 6, 14), date(2023, 6, 14))),
        ("what did I do last week", Period(date(2023, 6, 2), date(2023, 6, 8))),
        ("who did I meet 3 days ago", Period(date(2023, 6, 11), date(2023, 6, 13))),
    ],
)
def test_named_period(query: str, period: Period) -> None:
    assert named_period(query, TODAY) == period


@pytest.mark.parametrize(
    "query",
    ["What does Alex like to eat?", "How many kids does she have?", "What is 2023 minus 5?", ""],
)
def test_no_period(query: str) -> None:
    assert named_period(query, TODAY) is None


def test_relative_period_before_year_one_is_none() -> None:
    assert named_period("what happened last year", date(1, 3, 1)) is None


def test_relative_period_defaults_to_today() -> None:
    period = named_period("what did I do yesterday")
    assert period is not None and period.start == period.end


def test_period_contains_with_slack() -> None:
    may = Period(date(2022, 5, 1), date(2022, 5, 31))
    assert may.contains(date(2022, 5, 31))
    assert not may.contains(date(2022, 6, 2))
    assert may.contains(date(2022, 6, 2), slack_days=7)
    assert not may.contains(date(2022, 4, 30), slack_days=7)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("When did Melanie go camping?", True),
        ("  when is the party", True),
        ("What year did John start surfing?", True),
        ("How long ago was Caroline's 18th birthday?", True),
        ("What does Melanie do when she is sad?", False),
        ("Where did she go?", False),
    ],
)
def test_asks_when(query: str, expected: bool) -> None:
    assert asks_when(query) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I went to a support group yesterday", True),
        ("Dyed my hair last week - come see!", True),
        ("We moved here two years ago", True),
        ("I'll come over next Saturday", True),
        ("I love painting sunsets", False),
        ("[08 May 2023] Caroline: I love painting", False),  # an absolute date alone dates no event
    ],
)
def test_dates_an_event(text: str, expected: bool) -> None:
    assert dates_an_event(text) is expected
