"""extraction.v1 messages ↔ the extraction dataclasses (the shared ones come from libs.mappers)."""

from __future__ import annotations

import math

from libs.domain import Candidate, Fact, MemoryAction, Role
from libs.errors import InvalidArgument
from libs.mappers import EVENT_TO_PROTO, role_from_proto, role_to_proto
from memgrid.extraction.v1 import extraction_service_pb2 as pb
from services.extraction.ports import ExtractionOptions


def options_from_request(request: pb.ExtractFactsRequest) -> ExtractionOptions:
    return ExtractionOptions(
        custom_instructions=request.custom_instructions,
        custom_categories=dict(request.custom_categories),
        includes=request.includes,
        excludes=request.excludes,
        recent_memories=tuple(request.recent_memories),
    )


def fact_to_proto(fact: Fact) -> pb.Fact:
    return pb.Fact(
        text=fact.text, attributed_to=role_to_proto(fact.attributed_to), categories=fact.categories, forget=fact.forget
    )


def fact_from_proto(message: pb.Fact, index: int) -> Fact:
    if not message.text.strip():
        raise InvalidArgument(f"facts[{index}].text: must not be empty", field="facts")
    return Fact(
        text=message.text,
        attributed_to=role_from_proto(message.attributed_to) or Role.USER,
        categories=list(message.categories),
        forget=message.forget,
    )


def candidate_from_proto(message: pb.Candidate, index: int, fact_count: int) -> Candidate:
    if not message.memory_id:
        raise InvalidArgument(f"candidates[{index}].memory_id: required", field="candidates")
    if not 0 <= message.fact_index < fact_count:
        raise InvalidArgument(
            f"candidates[{index}].fact_index: {message.fact_index} is out of range for {fact_count} facts",
            field="candidates",
        )
    if not math.isfinite(message.score):
        raise InvalidArgument(f"candidates[{index}].score: must be a finite number", field="candidates")
    return Candidate(
        memory_id=message.memory_id,
        text=message.text,
        score=message.score,
        immutable=message.immutable,
        fact_index=message.fact_index,
    )


def action_to_proto(action: MemoryAction) -> pb.MemoryAction:
    return pb.MemoryAction(
        event=EVENT_TO_PROTO[action.event],
        memory_id=action.memory_id,
        text=action.text,
        fact_index=action.fact_index,
    )
