"""Time in queries: the period a query names ("in May 2023", "on 1 May, 2022", "last week"), and whether a
memory says when something happened ("yesterday", "last Friday", "3 days ago").

Used by the temporal boost of search (gateway/rerank.py): a memory created inside the period the query names,
or — for a "when ...?" question — a memory that dates an event, moves up. Measured on the LOCOMO dev split
(bench/results/locomo-rerank-temporal.md).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name and name != "May"}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"((?:19|20)\d\d)"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
# "1 May, 2022", "1 May 2022"
_DAY_MONTH_YEAR = re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE)
# "May 1, 2022", "May 1st 2022"
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE)
# "May 2022", "May, 2022"
_MONTH_YEAR = re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_YEAR_ONLY = re.compile(rf"\b(?:in|of|during|since|before|after)\s+{_YEAR}\b", re.IGNORECASE)
_RELATIVE = {
    "today": (0, 0),
    "yesterday": (1, 1),
    "this week": (6, 0),
    "last week": (13, 7),
    "past week": (7, 0),
    "this month": (30, 0),
    "last month": (60, 30),
    "past month": (30, 0),
    "last year": (730, 365),
    "past year": (365, 0),
}
_RELATIVE_RE = re.compile(r"\b(" + "|".join(_RELATIVE) + r")\b", re.IGNORECASE)
_DAYS_AGO = re.compile(r"\b(\d{1,3}|a|one|two|three|four|five|six|seven)\s+(day|week|month)s?\s+ago\b", re.IGNORECASE)
_NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30}

# Questions that ask for a time: their answer is in a memory that dates an event.
_WHEN_QUESTION = re.compile(
    r"^\s*(when\b|what (date|day|time|year|month|week)\b|how long ago\b|which (year|month|day|week)\b)",
    re.IGNORECASE,
)
# Relative time expressions: with the memory's creation time they date an event ("last Friday").
_TIME_EXPRESSION = re.compile(
    r"\b(yesterday|today|tonight|tomorrow|ago|"
    r"(last|this|next|past|coming)\s+(night|week|weekend|month|year|summer|winter|spring|fall|autumn|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Period:
    """Days from `start` to `end`, both included."""

    start: date
    end: date

    def contains(self, day: date, *, slack_days: int = 0) -> bool:
        """Whether `day` is in the period or up to `slack_days` after it (people tell of events later)."""
        return self.start <= day <= self.end + timedelta(days=slack_days)


def named_period(query: str, reference: date | None = None) -> Period | None:
    """The period a query names, if any: an explicit date, month or year, or a time relative to `reference`
    (today when not given)."""
    for pattern, day_group, month_group, year_group in (
        (_DAY_MONTH_YEAR, 1, 2, 3),
        (_MONTH_DAY_YEAR, 2, 1, 3),
    ):
        match = pattern.search(query)
        if match:
            day = _day(
                int(match.group(year_group)), _MONTHS[match.group(month_group).lower()], int(match.group(day_group))
            )
            if day:
                return Period(day, day)
    match = _ISO_DATE.search(query)
    if match:
        day = _day(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if day:
            return Period(day, day)
    match = _MONTH_YEAR.search(query)
    if match:
        year, month = int(match.group(2)), _MONTHS[match.group(1).lower()]
        return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    match = _YEAR_ONLY.search(query)
    if match:
        year = int(match.group(1))
        return Period(date(year, 1, 1), date(year, 12, 31))
    try:
        return _relative_period(query, reference or datetime.now(UTC).date())
    except OverflowError:  # a reference date near year 1: nothing before it to find
        return None


def _relative_period(query: str, reference: date) -> Period | None:
    match = _RELATIVE_RE.search(query)
    if match:
        back_start, back_end = _RELATIVE[match.group(1).lower()]
        return Period(reference - timedelta(days=back_start), reference - timedelta(days=back_end))
    match = _DAYS_AGO.search(query)
    if match:
        count = _NUMBERS.get(match.group(1).lower()) or int(match.group(1))
        days = count * _UNIT_DAYS[match.group(2).lower()]
        slack = max(1, days // 7)
        return Period(reference - timedelta(days=days + slack), reference - timedelta(days=max(0, days - slack)))
    return None


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def asks_when(query: str) -> bool:
    """Whether the query asks for a time ("When did ...?", "How long ago ...?")."""
    return _WHEN_QUESTION.search(query) is not None


def dates_an_event(text: str) -> bool:
    """Whether a memory tells when something happened relative to when it was said ("yesterday", "last
    Friday", "two weeks ago"): with its creation time, that dates the event."""
    return _TIME_EXPRESSION.search(text) is not None
