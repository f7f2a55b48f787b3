"""Filter AST: conditions combined by AND / OR / NOT (NOT = none of its members match)."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


class Op(enum.StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NIN = "nin"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    ICONTAINS = "icontains"
    EXISTS = "exists"


@dataclass(frozen=True, slots=True)
class Condition:
    """`field op value`. Fields: scope ids, dates, categories, keywords, memory_ids, metadata.<path>."""

    field: str
    op: Op
    value: Any = None


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[FilterNode, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[FilterNode, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """True when none of the children match."""

    children: tuple[FilterNode, ...]


FilterNode = Condition | And | Or | Not


def conjoin(*nodes: FilterNode | None) -> FilterNode | None:
    """AND the given nodes, dropping Nones; a single node is returned as is."""
    present = tuple(node for node in nodes if node is not None)
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return And(present)


def walk(node: FilterNode) -> Iterator[Condition]:
    if isinstance(node, Condition):
        yield node
        return
    for child in node.children:
        yield from walk(child)


def ids_equal(ids: Mapping[str, str]) -> FilterNode | None:
    """`field == value` for every entity id given (e.g. a Scope's ids), ANDed; None for none."""
    return conjoin(*(Condition(name, Op.EQ, value) for name, value in ids.items()))


def runs_in_vector_store(node: FilterNode | None, supported: dict[str, frozenset[Op]]) -> bool:
    """True when every condition's field and operator is one the vector store evaluates itself."""
    return node is None or all(c.op in supported.get(c.field, ()) for c in walk(node))


def fields_of(node: FilterNode | None) -> set[str]:
    """Every field name a filter refers to."""
    return set() if node is None else {condition.field for condition in walk(node)}


def pinned_values(node: FilterNode | None, field: str) -> frozenset[str] | None:
    """The values of `field` a filter restricts rows to (an eq / in of strings on it, alone or ANDed: the
    intersection), or None when it does not pin that field."""
    if isinstance(node, Condition):
        if node.field != field:
            return None
        if node.op is Op.EQ and isinstance(node.value, str):
            return frozenset([node.value])
        if node.op is Op.IN and isinstance(node.value, tuple | list) and all(isinstance(v, str) for v in node.value):
            return frozenset(node.value)
        return None
    if isinstance(node, And):
        pinned = [values for child in node.children if (values := pinned_values(child, field)) is not None]
        return frozenset.intersection(*pinned) if pinned else None
    return None
