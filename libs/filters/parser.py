"""Parse the Mem0 v2 filter JSON into the AST, rejecting anything unknown with a message naming it."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from libs.errors import InvalidArgument
from libs.filters.ast import And, Condition, FilterNode, Not, Op, Or

SCOPE_FILTER_FIELDS = frozenset({"user_id", "agent_id", "app_id", "run_id"})
DATE_FIELDS = frozenset({"created_at", "updated_at", "expiration_date"})
LIST_FIELDS = frozenset({"categories", "keywords"})
KNOWN_FIELDS = SCOPE_FILTER_FIELDS | DATE_FIELDS | LIST_FIELDS | {"memory_ids", "metadata"}
# What the vector store can evaluate itself (typed scalar fields); anything else is resolved by the
# metadata service into candidate ids first.
_ORDERED = frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN, Op.GT, Op.GTE, Op.LT, Op.LTE, Op.EXISTS})
VECTOR_FILTER_OPS: dict[str, frozenset[Op]] = {
    **{name: frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN, Op.EXISTS}) for name in SCOPE_FILTER_FIELDS},
    "created_at": _ORDERED,
    "updated_at": _ORDERED,
    "categories": frozenset({Op.EQ, Op.NE, Op.CONTAINS, Op.IN, Op.NIN, Op.EXISTS}),
    "memory_ids": frozenset({Op.EQ, Op.NE, Op.IN, Op.NIN}),
}
LOGICAL_KEYS = {"AND": And, "OR": Or, "NOT": Not}
OPERATORS = {op.value: op for op in Op if op is not Op.EXISTS}
WILDCARD = "*"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Nesting any filter may have on its way between services (the gateway's configurable limit is lower).
MAX_SUPPORTED_FILTER_DEPTH = 64


def check_depth(depth: int, max_depth: int, path: str) -> None:
    """Depth counts AND/OR/NOT operators and nested metadata keys above a condition."""
    if depth > max_depth:
        raise InvalidArgument(f"{path}: filters nest more than {max_depth} levels", field=path)


def parse_filters(raw: Any, *, name: str = "filters", max_depth: int = MAX_SUPPORTED_FILTER_DEPTH) -> FilterNode | None:
    """Parse a `filters` object. None or {} means no filter."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidArgument(f"{name} must be a JSON object", field=name)
    if not raw:
        return None
    return _parse_clause(raw, name, 0, max_depth)


def _parse_clause(raw: Any, path: str, depth: int, max_depth: int) -> FilterNode:
    check_depth(depth, max_depth, path)
    if not isinstance(raw, dict) or not raw:
        raise InvalidArgument(f"{path}: each clause must be a non-empty JSON object", field=path)
    nodes: list[FilterNode] = []
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key.upper() in LOGICAL_KEYS:
            nodes.append(_parse_logical(key.upper(), value, where, depth, max_depth))
        elif key == "metadata":
            nodes.append(_parse_metadata(value, "metadata", where, depth, max_depth))
        elif key in KNOWN_FIELDS:
            nodes.append(_parse_field(key, value, where))
        else:
            known = ", ".join(sorted(KNOWN_FIELDS | set(LOGICAL_KEYS)))
            raise InvalidArgument(f"{where}: unknown filter field '{key}' (known: {known})", field=where)
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def _parse_logical(key: str, value: Any, path: str, depth: int, max_depth: int) -> FilterNode:
    clauses = value if isinstance(value, list) else [value] if isinstance(value, dict) else None
    if not clauses:
        raise InvalidArgument(f"{path}: {key} takes a non-empty list of clauses", field=path)
    children = tuple(_parse_clause(clause, f"{path}[{i}]", depth + 1, max_depth) for i, clause in enumerate(clauses))
    return LOGICAL_KEYS[key](children)


def _parse_metadata(value: Any, prefix: str, path: str, depth: int, max_depth: int) -> FilterNode:
    check_depth(depth, max_depth, path)
    if not isinstance(value, dict) or not value:
        raise InvalidArgument(f"{path}: metadata filters take a non-empty object of keys", field=path)
    nodes: list[FilterNode] = []
    for key, sub in value.items():
        field = f"{prefix}.{key}"
        if isinstance(sub, dict) and sub and not any(op in OPERATORS for op in sub):
            nodes.append(_parse_metadata(sub, field, f"{path}.{key}", depth + 1, max_depth))
        else:
            nodes.append(_parse_field(field, sub, f"{path}.{key}"))
    return nodes[0] if len(nodes) == 1 else And(tuple(nodes))


def _parse_field(field: str, value: Any, path: str) -> FilterNode:
    if field == "memory_ids":
        ids = value if isinstance(value, list) else None
        if isinstance(value, dict):
            ids = value.get("in")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InvalidArgument(f"{path}: memory_ids takes a list of ids", field=path)
        return Condition("memory_ids", Op.IN, tuple(ids))
    if value == WILDCARD:
        return Condition(field, Op.EXISTS)
    if isinstance(value, dict):
        if not value:
            raise InvalidArgument(f"{path}: an operator object must not be empty", field=path)
        conditions: list[FilterNode] = []
        for op_name, operand in value.items():
            op = OPERATORS.get(op_name)
            if op is None:
                known = ", ".join(sorted(OPERATORS))
                raise InvalidArgument(
                    f"{path}: unknown operator '{op_name}' (known: {known})", field=f"{path}.{op_name}"
                )
            conditions.append(Condition(field, op, _operand(field, op, operand, f"{path}.{op_name}")))
        return conditions[0] if len(conditions) == 1 else And(tuple(conditions))
    if isinstance(value, list) and field in LIST_FIELDS:
        return Condition(field, Op.IN, _operand(field, Op.IN, value, path))
    return Condition(field, Op.EQ, _operand(field, Op.EQ, value, path))


def _operand(field: str, op: Op, operand: Any, path: str) -> Any:
    if op in (Op.IN, Op.NIN):
        if not isinstance(operand, list) or not operand:
            raise InvalidArgument(f"{path}: '{op.value}' takes a non-empty list", field=path)
        return tuple(_scalar(field, item, path) for item in operand)
    if op in (Op.CONTAINS, Op.ICONTAINS):
        if not isinstance(operand, str | int | float) or isinstance(operand, bool):
            raise InvalidArgument(f"{path}: '{op.value}' takes a string", field=path)
        return str(operand)
    return _scalar(field, operand, path)


def _scalar(field: str, value: Any, path: str) -> Any:
    if isinstance(value, dict | list) or value is None:
        raise InvalidArgument(f"{path}: expected a string, number or boolean", field=path)
    check_number(value, path)
    if field in DATE_FIELDS:
        return parse_datetime(value, path)
    if field in SCOPE_FILTER_FIELDS and not isinstance(value, str):
        return str(value)
    return value


def check_number(value: Any, path: str) -> None:
    """Numbers in filters are finite and integers fit in 64 bits (what the stores compare)."""
    if isinstance(value, bool):
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgument(f"{path}: numbers must be finite", field=path)
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise InvalidArgument(f"{path}: integers must fit in 64 bits", field=path)


def parse_datetime(value: Any, path: str) -> datetime:
    """YYYY-MM-DD, ISO-8601 or unix seconds → an aware UTC datetime."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidArgument(f"{path}: {value!r} is not a valid unix time", field=path) from None
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                return datetime(day.year, day.month, day.day, tzinfo=UTC)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidArgument(f"{path}: expected a date as YYYY-MM-DD or ISO-8601, got {value!r}", field=path)
