"""AST ↔ memgrid.common.v1.Filter. Dates travel as ISO-8601 strings, lists as ListValue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.protobuf import struct_pb2

from libs.errors import InvalidArgument
from libs.filters.ast import And, Condition, FilterNode, Not, Op, Or
from libs.filters.parser import (
    DATE_FIELDS,
    INT64_MAX,
    INT64_MIN,
    MAX_SUPPORTED_FILTER_DEPTH,
    check_depth,
    check_number,
    parse_datetime,
)
from memgrid.common.v1 import common_pb2

_OP_TO_PROTO = {op: getattr(common_pb2, f"FILTER_OPERATOR_{op.name}") for op in Op}
_PROTO_TO_OP = {value: op for op, value in _OP_TO_PROTO.items()}


def filter_to_proto(node: FilterNode | None) -> common_pb2.Filter | None:
    if node is None:
        return None
    message = common_pb2.Filter()
    if isinstance(node, Condition):
        message.condition.field = node.field
        message.condition.op = _OP_TO_PROTO[node.op]
        if node.op is not Op.EXISTS:
            message.condition.value.CopyFrom(_to_value(node.value))
        return message
    group = {And: message.all, Or: message.any, Not: message.none}[type(node)]
    for child in node.children:
        group.filters.append(filter_to_proto(child))
    return message


def filter_from_proto(
    message: common_pb2.Filter | None, *, has: bool = True, max_depth: int = MAX_SUPPORTED_FILTER_DEPTH
) -> FilterNode | None:
    """Rebuild the AST; `has` is False when the enclosing message did not set the filter field."""
    if message is None or not has:
        return None
    return _node(message, 0, max_depth)


def _node(message: common_pb2.Filter, depth: int, max_depth: int) -> FilterNode | None:
    check_depth(depth, max_depth, "filter")
    kind = message.WhichOneof("node")
    if kind is None:
        if depth:
            raise InvalidArgument("filter: a member of all/any/none is an empty filter", field="filter")
        return None
    if kind == "condition":
        condition = message.condition
        op = _PROTO_TO_OP.get(condition.op)
        if op is None or condition.op == common_pb2.FILTER_OPERATOR_UNSPECIFIED:
            raise InvalidArgument(f"filter.condition.op is missing for field '{condition.field}'", field="filter")
        if not condition.field:
            raise InvalidArgument("filter.condition.field is empty", field="filter")
        value = None if op is Op.EXISTS else _from_value(condition.value)
        if condition.field in DATE_FIELDS and value is not None:
            value = (
                tuple(parse_datetime(v, "filter") for v in value)
                if isinstance(value, tuple)
                else parse_datetime(value, "filter")
            )
        return Condition(condition.field, op, value)
    group = getattr(message, kind)
    if not group.filters:
        raise InvalidArgument(f"filter.{kind} needs at least one member", field="filter")
    children = tuple(_node(child, depth + 1, max_depth) for child in group.filters)
    return {"all": And, "any": Or, "none": Not}[kind](children)


def _to_value(value: Any) -> struct_pb2.Value:
    result = struct_pb2.Value()
    if isinstance(value, tuple | list):
        result.list_value.values.extend(_to_value(item) for item in value)
    elif isinstance(value, datetime):
        result.string_value = value.isoformat()
    elif isinstance(value, bool):
        result.bool_value = value
    elif isinstance(value, int | float):
        result.number_value = value
    else:
        result.string_value = str(value)
    return result


def _from_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "list_value":
        return tuple(_from_value(item) for item in value.list_value.values)
    if kind == "number_value":
        number = value.number_value
        check_number(number, "filter")
        # Whole numbers travel as doubles; they come back as ints when an int64 holds them.
        return int(number) if number.is_integer() and INT64_MIN <= number <= INT64_MAX else number
    if kind == "bool_value":
        return value.bool_value
    if kind == "string_value":
        return value.string_value
    raise InvalidArgument("filter.condition.value must be a string, number, bool or list", field="filter")
