"""Refuse, at the gRPC edge, request values the metadata database cannot store or compare.

Checked on every RPC of the service, whatever the backend, so SQLite and PostgreSQL answer the same:

- NUL characters (U+0000) in any string, map key or JSON string: PostgreSQL text and JSONB cannot hold
  them (the driver refuses to send them), so they would surface as internal errors.
- NaN and ±Infinity in JSON numbers (google.protobuf.Value): JSON has no such numbers; JSONB refuses them
  and SQLite would store JSON its own functions cannot read back.
- Tenant and scope ids longer than the columns that hold them (PostgreSQL enforces VARCHAR lengths,
  SQLite does not).

Each refusal is InvalidArgument naming the field by its path in the request (e.g. memories[0].metadata.k).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from libs.errors import InvalidArgument
from services.metadata.models import NAME_LENGTH

# Every string field of these message types is stored in a VARCHAR(NAME_LENGTH) column.
LENGTH_LIMITS = {"memgrid.common.v1.Tenant": NAME_LENGTH, "memgrid.common.v1.Scope": NAME_LENGTH}
STRUCT = "google.protobuf.Struct"
VALUE = "google.protobuf.Value"
LIST_VALUE = "google.protobuf.ListValue"


def _refuse(path: str, problem: str) -> InvalidArgument:
    field = path or "request"
    return InvalidArgument(f"{field}: {problem}", field=field)


def _check_text(text: str, path: str, limit: int | None = None) -> None:
    if "\x00" in text:
        raise _refuse(path, "must not contain NUL characters (\\u0000)")
    if limit is not None and len(text) > limit:
        raise _refuse(path, f"at most {limit} characters, got {len(text)}")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _shown(key: str) -> str:
    """A map key as it appears in a field path (a NUL is written as \\u0000, never echoed raw)."""
    return key.replace("\x00", "\\u0000")


def check_storable(message: Message, path: str = "") -> None:
    """Raise InvalidArgument for the first value of `message` the database cannot store."""
    kind = message.DESCRIPTOR.full_name
    if kind == STRUCT:
        for key, value in message.fields.items():
            _check_text(key, _join(path, _shown(key)))
            check_storable(value, _join(path, _shown(key)))
        return
    if kind == VALUE:
        _check_value(message, path)
        return
    if kind == LIST_VALUE:
        for index, value in enumerate(message.values):
            check_storable(value, f"{path}[{index}]")
        return
    limit = LENGTH_LIMITS.get(kind)
    for field, value in message.ListFields():
        where = _join(path, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _check_map(field, value, where)
        elif field.is_repeated:
            for index, item in enumerate(value):
                _check_single(field, item, f"{where}[{index}]", limit)
        else:
            _check_single(field, value, where, limit)


def _check_value(value: Message, path: str) -> None:
    which = value.WhichOneof("kind")
    if which == "string_value":
        _check_text(value.string_value, path)
    elif which == "number_value" and not math.isfinite(value.number_value):
        raise _refuse(path, "must be a finite number (JSON has no NaN or Infinity)")
    elif which == "struct_value":
        check_storable(value.struct_value, path)
    elif which == "list_value":
        check_storable(value.list_value, path)


def _check_single(field: FieldDescriptor, value: Any, path: str, limit: int | None) -> None:
    if field.type == FieldDescriptor.TYPE_STRING:
        _check_text(value, path, limit)
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        check_storable(value, path)


def _check_map(field: FieldDescriptor, entries: Any, path: str) -> None:
    key_field = field.message_type.fields_by_name["key"]
    value_field = field.message_type.fields_by_name["value"]
    for key, value in entries.items():
        where = f"{path}[{_shown(key) if isinstance(key, str) else key}]"
        if key_field.type == FieldDescriptor.TYPE_STRING:
            _check_text(key, where)
        _check_single(value_field, value, where, None)


Behaviour = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


class RequestGuardInterceptor(grpc.aio.ServerInterceptor):
    """Runs check_storable on the request of every unary RPC before the servicer sees it."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            _guarded(handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


def _guarded(behaviour: Behaviour) -> Behaviour:
    async def checked(request: Any, context: grpc.aio.ServicerContext) -> Any:
        check_storable(request)
        return await behaviour(request, context)

    return checked
