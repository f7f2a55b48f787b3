"""Loading a LOCOMO-format file: conversations (turns with their session dates) and their QA, evidence repaired.

Evidence ids name dialogue turns, `D<session>:<turn>`. The published files contain malformed ones
(`D8:6; D9:17`, `D30:05`, `D:11:26`): what can be read unambiguously is repaired, the rest is skipped, and both
are counted so a report says how much of the gold data it could use.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

SESSION_DATE_FORMAT = "%I:%M %p on %d %B, %Y"
# Categories of the LOCOMO QA: 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop; 5 (adversarial, no
# answer in the conversation) is not a retrieval question and is left out.
CATEGORY_NAMES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
_DIA_ID = re.compile(r"D(\d+):(\d+)")
_LOOSE_DIA_ID = re.compile(r"D\s*:?\s*(\d+)\s*:\s*(\d+)")


@dataclass(frozen=True, slots=True)
class Turn:
    dia_id: str
    speaker: str
    text: str
    session_date: datetime

    @property
    def content(self) -> str:
        """What is stored: `[<session date>] <speaker>: <text>`."""
        return f"[{self.session_date:%d %B %Y}] {self.speaker}: {self.text}"


@dataclass(frozen=True, slots=True)
class Question:
    conversation_id: str
    question: str
    category: int
    evidence: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    speakers: tuple[str, ...]
    turns: tuple[Turn, ...]


@dataclass(slots=True)
class EvidenceRepairs:
    """What happened to the evidence ids: counts plus a few examples of each."""

    valid: int = 0
    repaired: int = 0
    skipped: int = 0
    examples: dict[str, list[str]] = field(default_factory=lambda: {"repaired": [], "skipped": []})

    def note(self, kind: str, raw: str, result: str = "") -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if kind in self.examples and len(self.examples[kind]) < 10:
            self.examples[kind].append(f"{raw!r} -> {result!r}" if result else repr(raw))


@dataclass(frozen=True, slots=True)
class Dataset:
    conversations: tuple[Conversation, ...]
    questions: tuple[Question, ...]
    repairs: EvidenceRepairs
    # Questions left out: category 5, or no usable evidence at all.
    dropped: Counter[str]


def load(path: Path, categories: frozenset[int] = frozenset(CATEGORY_NAMES)) -> Dataset:
    raw = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a JSON list of conversations")
    conversations: list[Conversation] = []
    questions: list[Question] = []
    repairs = EvidenceRepairs()
    dropped: Counter[str] = Counter()
    for sample in raw:
        conversation = _conversation(sample)
        conversations.append(conversation)
        known = {turn.dia_id for turn in conversation.turns}
        for qa in sample.get("qa", []):
            category = int(qa.get("category", 0))
            if category not in categories:
                dropped[f"category {category}"] += 1
                continue
            evidence = repair_evidence(qa.get("evidence", []), known, repairs)
            if not evidence:
                dropped["no usable evidence"] += 1
                continue
            questions.append(Question(conversation.id, str(qa["question"]), category, evidence))
    return Dataset(tuple(conversations), tuple(questions), repairs, dropped)


def _conversation(sample: dict[str, Any]) -> Conversation:
    body = sample["conversation"]
    turns: list[Turn] = []
    sessions = sorted(
        (int(key.removeprefix("session_")), value)
        for key, value in body.items()
        if re.fullmatch(r"session_\d+", key) and isinstance(value, list)
    )
    for number, session in sessions:
        date = datetime.strptime(body[f"session_{number}_date_time"], SESSION_DATE_FORMAT)
        turns += [Turn(str(t["dia_id"]), str(t["speaker"]), str(t["text"]), date) for t in session]
    return Conversation(str(sample["sample_id"]), (body["speaker_a"], body["speaker_b"]), tuple(turns))


def repair_evidence(raw_ids: list[Any], known: set[str], repairs: EvidenceRepairs) -> tuple[str, ...]:
    """Canonical evidence ids (`D<int>:<int>`, no leading zeros) that name turns of the conversation."""
    result: list[str] = []
    for raw in raw_ids:
        raw = str(raw)
        parts = [part.strip() for part in re.split(r"[;,]", raw) if part.strip()]
        for part in parts:
            strict = _DIA_ID.fullmatch(part)
            loose = strict or _LOOSE_DIA_ID.fullmatch(part)
            if loose is None:
                repairs.note("skipped", raw)
                continue
            canonical = f"D{int(loose.group(1))}:{int(loose.group(2))}"
            if canonical not in known:
                repairs.note("skipped", raw, f"{canonical} (no such turn)")
                continue
            if strict and canonical == part and len(parts) == 1:
                repairs.valid += 1
            else:
                repairs.note("repaired", raw, canonical)
            if canonical not in result:
                result.append(canonical)
    return tuple(result)
