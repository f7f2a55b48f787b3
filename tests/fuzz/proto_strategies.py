"""Hypothesis strategies that build any protobuf request from its message descriptor.

Every field is left unset or given a value of its wire type: numbers across their whole range (and the small
ones that pass validation), enums including numbers no enum names, strings from a pool of values the services
know (filter fields, dates, ids of memories that exist, the fuzzed tenant) mixed with arbitrary text, nested
messages down to a depth limit, repeated and map fields of a few items, and the well-known Struct, Value,
ListValue and Timestamp built as JSON and times (valid and out-of-range) would be.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from google.protobuf import struct_pb2, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

MAX_DEPTH = 4
INT_RANGES = {
    FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}
# Strings the services give meaning to; arbitrary text is drawn as well.
KNOWN_STRINGS = (
    "",
    " ",
    "*",
    "alice",
    "bob",
    "user_id",
    "agent_id",
    "app_id",
    "run_id",
    "created_at",
    "updated_at",
    "expiration_date",
    "categories",
    "keywords",
    "memory_ids",
    "metadata",
    "metadata.color",
    "metadata.a.b",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "9999-12-31",
    "0000-00-00",
    "I like tea and I live in Paris",
    "POSITIVE",
    "user",
    "assistant",
    "\x00",
    "a" * 600,
    "é" * 300,
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(2**53), 2**53),
    st.text(max_size=20),
)


class ProtoStrategies:
    """Strategies for messages. `strings` adds values (e.g. ids of stored memories) to the pool of strings;
    `also` adds, per message type, examples drawn as often as generated messages of that type."""

    def __init__(self, strings: Sequence[str] = (), also: dict[str, Sequence[Message]] | None = None) -> None:
        pool = tuple(dict.fromkeys((*KNOWN_STRINGS, *strings)))
        self._strings = st.one_of(st.sampled_from(pool), st.text(max_size=40))
        self._also = also or {}
        self._cache: dict[tuple[str, int], st.SearchStrategy[Message]] = {}

    def message(self, descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
        key = (descriptor.full_name, depth)
        if key not in self._cache:
            built = self._build(descriptor, depth)
            examples = self._also.get(descriptor.full_name)
            self._cache[key] = st.one_of(st.sampled_from(examples), built) if examples else built
        return self._cache[key]

    def _build(self, descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
        special = _WELL_KNOWN.get(descriptor.full_name)
        if special is not None:
            return special()
        cls = GetMessageClass(descriptor)
        fields = {
            field.name: st.none() | self._field(field, depth)
            for field in descriptor.fields
            if depth < MAX_DEPTH or field.type != FieldDescriptor.TYPE_MESSAGE
        }
        return st.fixed_dictionaries(fields).map(lambda values: _assemble(cls, descriptor, values))

    def _field(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        if _is_map(field):
            key_field = field.message_type.fields_by_name["key"]
            value_field = field.message_type.fields_by_name["value"]
            return st.dictionaries(self._single(key_field, depth + 1), self._single(value_field, depth + 1), max_size=3)
        single = self._single(field, depth)
        if field.is_repeated:
            return st.lists(single, max_size=3)
        return single

    def _single(self, field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            return self.message(field.message_type, depth + 1)
        if kind == FieldDescriptor.TYPE_STRING:
            return self._strings
        if kind == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=20)
        if kind == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if kind == FieldDescriptor.TYPE_ENUM:
            named = [value.number for value in field.enum_type.values]
            return st.one_of(st.sampled_from(named), st.integers(-3, 50))
        if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
            return st.one_of(st.floats(-2, 2), st.floats(width=64 if kind == FieldDescriptor.TYPE_DOUBLE else 32))
        low, high = INT_RANGES[kind]
        return st.one_of(st.integers(max(low, -3), min(high, 1200)), st.integers(low, high))


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def _assemble(cls: type[Message], descriptor: Descriptor, values: dict[str, Any]) -> Message:
    message = cls()
    for name, value in values.items():
        if value is None:
            continue
        field = descriptor.fields_by_name[name]
        target = getattr(message, name) if field.is_repeated else None
        if _is_map(field):
            message_values = field.message_type.fields_by_name["value"].type == FieldDescriptor.TYPE_MESSAGE
            for key, item in value.items():
                if message_values:
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        elif target is not None:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value:
                    target.add().CopyFrom(item)
            else:
                target.extend(value)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            getattr(message, name).CopyFrom(value)
        else:
            setattr(message, name, value)
    return message


def _json_values() -> st.SearchStrategy[Any]:
    return st.recursive(
        JSON_SCALARS,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
        max_leaves=8,
    )


def _struct() -> st.SearchStrategy[Message]:
    def build(data: dict[str, Any]) -> struct_pb2.Struct:
        message = struct_pb2.Struct()
        message.update(data)
        return message

    return st.dictionaries(st.text(max_size=10), _json_values(), max_size=4).map(build)


def _value() -> st.SearchStrategy[Message]:
    def build(data: Any) -> struct_pb2.Value:
        message = struct_pb2.Value()
        if isinstance(data, float) and not math.isfinite(data):
            message.number_value = data
        else:
            message.list_value.extend([data])
            message.CopyFrom(message.list_value.values[0])
        return message

    # Non-finite numbers cannot come from JSON but can from protobuf.
    return st.one_of(_json_values(), st.sampled_from([math.nan, math.inf, -math.inf])).map(build)


def _list_value() -> st.SearchStrategy[Message]:
    def build(items: list[Any]) -> struct_pb2.ListValue:
        message = struct_pb2.ListValue()
        message.extend(items)
        return message

    return st.lists(_json_values(), max_size=3).map(build)


def _timestamp() -> st.SearchStrategy[Message]:
    valid = st.integers(-62_135_596_800, 253_402_300_799)
    return st.builds(
        timestamp_pb2.Timestamp,
        seconds=st.one_of(valid, st.integers(-(2**63), 2**63 - 1)),
        nanos=st.one_of(st.integers(0, 999_999_999), st.integers(-(2**31), 2**31 - 1)),
    )


_WELL_KNOWN: dict[str, Callable[[], st.SearchStrategy[Message]]] = {
    "google.protobuf.Struct": _struct,
    "google.protobuf.Value": _value,
    "google.protobuf.ListValue": _list_value,
    "google.protobuf.Timestamp": _timestamp,
}
