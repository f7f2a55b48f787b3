"""A plain-Python reference evaluator of the filter AST over domain memories.

It spells out the semantics documented in services/metadata/sql_filters.py, independently of SQL, so a
property test can check the SQL translator against it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from libs.domain import Memory
from libs.filters.ast import And, Condition, FilterNode, Not, Op, Or

SCOPE = ("user_id", "agent_id", "app_id", "run_id")
_MISSING = object()


def evaluate(node: FilterNode, memory: Memory) -> bool:
    if isinstance(node, And):
        return all(evaluate(child, memory) for child in node.children)
    if isinstance(node, Or):
        return any(evaluate(child, memory) for child in node.children)
    if isinstance(node, Not):
        return not any(evaluate(child, memory) for child in node.children)
    return _condition(node, memory)


def _values(condition: Condition) -> tuple[Any, ...]:
    value = condition.value
    return tuple(value) if isinstance(value, tuple | list) else (value,)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _compare(op: Op, left: Any, right: Any) -> bool:
    return {
        Op.EQ: left == right,
        Op.NE: left != right,
        Op.GT: left > right,
        Op.GTE: left >= right,
        Op.LT: left < right,
        Op.LTE: left <= right,
    }[op]


def _condition(condition: Condition, memory: Memory) -> bool:
    field, op = condition.field, condition.op
    if field in SCOPE:
        return _scope(getattr(memory.scope, field), condition)
    if field in ("created_at", "updated_at"):
        return _ordered(getattr(memory, field), condition, _utc)
    if field == "expiration_date":
        return _ordered(memory.expiration_date, condition, lambda v: _utc(v).date() if isinstance(v, datetime) else v)
    if field == "categories":
        return _categories(memory.categories, condition)
    if field == "keywords":
        text = memory.memory
        if op is Op.EXISTS:
            return text != ""
        if op is Op.ICONTAINS:
            return _text(condition.value).lower() in text.lower()
        hit = any(_text(value) in text for value in _values(condition))
        return hit if op in (Op.EQ, Op.CONTAINS, Op.IN) else not hit
    if field == "memory_ids":
        hit = memory.id in {_text(value) for value in _values(condition)}
        return hit if op in (Op.IN, Op.EQ) else not hit
    if field.startswith("metadata."):
        return _metadata(_lookup(memory.metadata, field.split(".")[1:]), condition)
    raise ValueError(field)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _scope(value: str | None, condition: Condition) -> bool:
    op = condition.op
    if value is None:
        return False
    if op is Op.EXISTS:
        return True
    if op in (Op.IN, Op.NIN):
        hit = value in {_text(v) for v in _values(condition)}
        return hit if op is Op.IN else not hit
    operand = _text(condition.value)
    if op is Op.CONTAINS:
        return operand in value
    if op is Op.ICONTAINS:
        return operand.lower() in value.lower()
    return _compare(op, value, operand)


def _ordered(value: datetime | date | None, condition: Condition, coerce: Any) -> bool:
    if value is None:
        return False
    if condition.op is Op.EXISTS:
        return True
    if condition.op in (Op.IN, Op.NIN):
        hit = value in {coerce(v) for v in _values(condition)}
        return hit if condition.op is Op.IN else not hit
    return _compare(condition.op, value, coerce(condition.value))


def _categories(categories: list[str], condition: Condition) -> bool:
    op = condition.op
    if op is Op.EXISTS:
        return bool(categories)
    if op is Op.ICONTAINS:
        wanted = _text(condition.value).lower()
        return any(category.lower() == wanted for category in categories)
    hit = bool(set(categories) & {_text(v) for v in _values(condition)})
    return hit if op in (Op.EQ, Op.CONTAINS, Op.IN) else not hit


def _lookup(metadata: dict[str, Any] | None, keys: list[str]) -> Any:
    value: Any = metadata
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _kind(value: Any) -> str:
    if value is _MISSING or value is None:
        return "missing"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _equals(value: Any, operand: Any) -> bool:
    return _kind(value) == _kind(operand) and value == operand


def _metadata(value: Any, condition: Condition) -> bool:
    op = condition.op
    present = _kind(value) != "missing"
    if op is Op.EXISTS:
        return present
    if op is Op.IN:
        return any(_equals(value, operand) for operand in _values(condition))
    if op is Op.NIN:
        return present and not any(_equals(value, operand) for operand in _values(condition))
    if op is Op.EQ:
        return _equals(value, condition.value)
    if op is Op.NE:
        return present and not _equals(value, condition.value)
    if op in (Op.GT, Op.GTE, Op.LT, Op.LTE):
        operand = condition.value
        return _kind(value) == _kind(operand) and _compare(op, value, operand)
    needle = _text(condition.value)
    if op is Op.CONTAINS:
        if isinstance(value, str):
            return needle in value
        return isinstance(value, list) and any(isinstance(item, str) and item == needle for item in value)
    if op is Op.ICONTAINS:
        if isinstance(value, str):
            return needle.lower() in value.lower()
        return isinstance(value, list) and any(
            isinstance(item, str) and item.lower() == needle.lower() for item in value
        )
    raise ValueError(op)
