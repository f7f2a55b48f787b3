"""A deterministic synthetic data set: memories spread over users, chunked by topic and creation date.

Every add call carries one user's scope, metadata and timestamp, so each user's memories are added in
`CHUNKS_PER_USER` calls, each with its own `topic` metadata value and its own creation time. The
metadata and date filters then select part of a user's memories, not all or nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

TOPICS = ("food", "travel", "work", "health", "family", "sports", "music", "tech")
CHUNKS_PER_USER = 2
# Creation times are spread over this many days before now; the date filter keeps the newer half.
HISTORY_DAYS = 365
DATE_FILTER_DAYS = 182

_SUBJECTS = ("I", "My partner", "My sister", "My manager", "Our team", "My best friend", "My doctor", "My son")
_VERBS = ("love", "prefer", "avoid", "recommended", "talked about", "booked", "planned", "is learning about")
_OBJECTS = {
    "food": ("vegan ramen", "spicy Thai curry", "sourdough bread", "dark chocolate", "sushi", "black coffee"),
    "travel": ("a trip to Lisbon", "hiking in the Alps", "a train ride to Vienna", "beach holidays", "Tokyo"),
    "work": ("the quarterly planning", "Kubernetes migrations", "code reviews", "the on-call rota", "Rust"),
    "health": ("morning runs", "a gluten-free diet", "yoga on Tuesdays", "allergy medication", "sleep tracking"),
    "family": ("grandma's birthday", "school pick-ups", "the family reunion", "a new puppy", "piano lessons"),
    "sports": ("tennis on Sundays", "the Champions League", "rock climbing", "marathon training", "cycling"),
    "music": ("jazz records", "the violin", "Radiohead concerts", "vinyl collecting", "film soundtracks"),
    "tech": ("mechanical keyboards", "home automation", "a new laptop", "self-hosted services", "3D printing"),
}
_QUALIFIERS = (
    "every weekend",
    "since last year",
    "when the weather is good",
    "after work",
    "with friends",
    "on holidays",
    "whenever possible",
    "more than anything",
)
_QUESTIONS = (
    "What food does the user like?",
    "Where does the user want to travel?",
    "What is the user working on?",
    "How does the user stay healthy?",
    "What family events are coming up?",
    "Which sports does the user play?",
    "What music does the user listen to?",
    "Which gadgets is the user interested in?",
    "What are the user's weekend plans?",
    "What did the user's manager recommend?",
)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One add call: some memories of one user with one topic and one creation time."""

    user_id: str
    topic: str
    created_at: datetime
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SearchCase:
    user_id: str
    query: str
    topic: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Dataset:
    chunks: tuple[Chunk, ...]
    users: tuple[str, ...]
    now: datetime

    @property
    def memory_count(self) -> int:
        return sum(len(chunk.texts) for chunk in self.chunks)

    def topics_of(self, user_id: str) -> list[str]:
        return [chunk.topic for chunk in self.chunks if chunk.user_id == user_id]


def user_id(index: int) -> str:
    return f"user-{index:05d}"


def memory_text(rng: random.Random, topic: str) -> str:
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS[topic])} {rng.choice(_QUALIFIERS)}."


def _distinct_text(rng: random.Random, topic: str, seen: set[str]) -> str:
    text = memory_text(rng, topic)
    while text in seen:
        text = memory_text(rng, topic)
    seen.add(text)
    return text


def build_dataset(memories: int, users: int, *, seed: int = 7) -> Dataset:
    """`memories` memories over `users` users (as even as possible), CHUNKS_PER_USER add calls per user."""
    if users < 1 or memories < users:
        raise ValueError("need at least one user and at least one memory per user")
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    chunks: list[Chunk] = []
    base, extra = divmod(memories, users)
    for index in range(users):
        count = base + (1 if index < extra else 0)
        parts = min(CHUNKS_PER_USER, count)
        sizes = [count // parts + (1 if part < count % parts else 0) for part in range(parts)]
        first_topic = rng.randrange(len(TOPICS))
        # memgrid stores a text once per scope (a repeat is a duplicate), so each user's texts are distinct.
        seen: set[str] = set()
        for part, size in enumerate(sizes):
            topic = TOPICS[(first_topic + part) % len(TOPICS)]
            created = now - timedelta(days=rng.uniform(0, HISTORY_DAYS))
            texts = tuple(_distinct_text(rng, topic, seen) for _ in range(size))
            chunks.append(Chunk(user_id(index), topic, created.replace(microsecond=0), texts))
    return Dataset(tuple(chunks), tuple(user_id(i) for i in range(users)), now)


def unique_query(query: str, tag: str | int) -> str:
    """The query text made unique by a tag. There are only len(_QUESTIONS) question texts, and vectorsearch
    caches query vectors by text: without this every measured search after the first few would skip the
    query embedding, which the floor counts."""
    return f"{query} (question {tag})"


def search_cases(dataset: Dataset, count: int, *, seed: int = 11) -> list[SearchCase]:
    """Queries for random users; the topic is one the user really has, so the metadata filter matches."""
    rng = random.Random(seed)
    topics_by_user: dict[str, list[str]] = {}
    for chunk in dataset.chunks:
        topics_by_user.setdefault(chunk.user_id, []).append(chunk.topic)
    since = dataset.now - timedelta(days=DATE_FILTER_DAYS)
    cases = []
    for _ in range(count):
        user = rng.choice(dataset.users)
        cases.append(SearchCase(user, rng.choice(_QUESTIONS), rng.choice(topics_by_user[user]), since))
    return cases
