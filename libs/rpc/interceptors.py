"""Server and client interceptors: request id propagation, typed-error mapping, one access log line."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
import structlog
from google.protobuf.message import DecodeError

from libs.errors import InternalError, InvalidArgument, MemgridError
from libs.logging import REQUEST_ID_HEADER, bind_request_id, current_request_id, new_request_id
from libs.rpc.deadline import deadline_scope
from libs.rpc.status import to_rpc_status

log = structlog.get_logger()

_INTERNAL_MESSAGE = "internal error"


class _Undecodable:
    """Stands in for a request whose bytes did not parse, so the call can fail with INVALID_ARGUMENT (grpc
    itself would answer UNKNOWN, naming the Python exception)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except DecodeError as error:
            return _Undecodable(str(error))

    return decode


def _reject_undecodable(request: Any) -> None:
    if isinstance(request, _Undecodable):
        raise InvalidArgument(
            f"request: not a valid message (malformed, or nested too deeply): {request.reason}", field="request"
        )


def _request_id_from(metadata: Any) -> str:
    for key, value in metadata or ():
        if key == REQUEST_ID_HEADER and value:
            return str(value)
    return new_request_id()


async def _abort_with(context: grpc.aio.ServicerContext, error: MemgridError) -> None:
    status = to_rpc_status(error)
    await context.abort_with_status(status)


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """Binds the caller's request id, maps typed errors to statuses, logs one line per RPC."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        method = handler_call_details.method
        if method.startswith("/grpc.health.") or method.startswith("/grpc.reflection."):
            return handler
        request_id = _request_id_from(handler_call_details.invocation_metadata)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method, request_id),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method, request_id),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        return handler

    def _wrap_unary(self, behaviour: Any, method: str, request_id: str) -> Any:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with _rpc_scope(method, request_id, context):
                _reject_undecodable(request)
                return await behaviour(request, context)

        return wrapped

    def _wrap_stream(self, behaviour: Any, method: str, request_id: str) -> Any:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with _rpc_scope(method, request_id, context):
                _reject_undecodable(request)
                async for item in behaviour(request, context):
                    yield item

        return wrapped


@contextlib.asynccontextmanager
async def _rpc_scope(method: str, request_id: str, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """Bind the request id and the caller's deadline, turn exceptions into statuses, write one access line."""
    bind_request_id(request_id)
    started = time.perf_counter()
    code = "OK"
    try:
        with deadline_scope(context.time_remaining()):
            yield
    except MemgridError as error:
        code = error.grpc_code.name
        await _abort_with(context, error)
    except grpc.aio.AbortError:
        code = context.code().name if context.code() else "ABORTED"
        raise
    except Exception:
        code = "INTERNAL"
        log.exception("rpc.failed", method=method)
        await _abort_with(context, InternalError(_INTERNAL_MESSAGE))
    finally:
        log.info(
            "rpc.completed", method=method, code=code, duration_ms=round((time.perf_counter() - started) * 1000, 2)
        )


class RequestIdClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Sends the current request id downstream as `x-request-id`."""

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        request_id = current_request_id()
        if request_id:
            metadata = list(client_call_details.metadata or ())
            metadata.append((REQUEST_ID_HEADER, request_id))
            client_call_details = client_call_details._replace(metadata=metadata)
        return await continuation(client_call_details, request)
