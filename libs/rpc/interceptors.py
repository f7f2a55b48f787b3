"""Server and client interceptors: request id and trace context propagation, typed-error mapping, one access log
line, RPC metrics and spans."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import structlog
from google.protobuf.message import DecodeError
from opentelemetry.trace import SpanKind, Status, StatusCode

from libs.errors import InternalError, InvalidArgument, MemgridError
from libs.logging import REQUEST_ID_HEADER, bind_request_id, current_request_id, new_request_id
from libs.observability.telemetry import Telemetry
from libs.observability.tracing import extract_metadata, inject_metadata
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
    """Binds the caller's request id, maps typed errors to statuses, logs one line per RPC; with `telemetry`,
    counts and times every RPC by method and code, and serves it in a SERVER span that continues the caller's
    trace (W3C traceparent in the metadata)."""

    def __init__(self, telemetry: Telemetry | None = None) -> None:
        self._telemetry = telemetry or Telemetry()

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
        scope = _Scope(method, request_id, self._telemetry, handler_call_details.invocation_metadata)
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, scope),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, scope),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        return handler

    def _wrap_unary(self, behaviour: Any, scope: _Scope) -> Any:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with _rpc_scope(scope, context):
                _reject_undecodable(request)
                return await behaviour(request, context)

        return wrapped

    def _wrap_stream(self, behaviour: Any, scope: _Scope) -> Any:
        async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
            async with _rpc_scope(scope, context):
                _reject_undecodable(request)
                async for item in behaviour(request, context):
                    yield item

        return wrapped


@dataclass(frozen=True, slots=True)
class _Scope:
    """What one RPC's scope needs from its call details."""

    method: str
    request_id: str
    telemetry: Telemetry
    invocation_metadata: Any


@contextlib.asynccontextmanager
async def _rpc_scope(scope: _Scope, context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
    """Bind the request id and the caller's deadline, turn exceptions into statuses, write one access line,
    record the call's metrics and span."""
    method = scope.method
    bind_request_id(scope.request_id)
    tracer = scope.telemetry.tracer
    span_scope: contextlib.AbstractContextManager[Any] = (
        tracer.start_as_current_span(
            method.lstrip("/"),
            context=extract_metadata(scope.invocation_metadata),
            kind=SpanKind.SERVER,
            attributes={"rpc.system": "grpc", "rpc.method": method},
            record_exception=False,
            set_status_on_exception=False,
        )
        if tracer is not None
        else contextlib.nullcontext()
    )
    started = time.perf_counter()
    code = "OK"
    with span_scope as span:
        try:
            with deadline_scope(context.time_remaining()):
                yield
        except MemgridError as error:
            code = error.grpc_code.name
            await _abort_with(context, error)
        except grpc.aio.AbortError:
            code = context.code().name if context.code() else "ABORTED"
            raise
        except asyncio.CancelledError:
            code = "CANCELLED"
            raise
        except Exception as error:
            code = "INTERNAL"
            log.exception("rpc.failed", method=method)
            if span is not None:
                span.record_exception(error)
            await _abort_with(context, InternalError(_INTERNAL_MESSAGE))
        finally:
            seconds = time.perf_counter() - started
            log.info("rpc.completed", method=method, code=code, duration_ms=round(seconds * 1000, 2))
            metrics = scope.telemetry.metrics
            if metrics is not None:
                metrics.rpc_server_handled.labels(method, code).inc()
                metrics.rpc_server_duration.labels(method).observe(seconds)
            if span is not None:
                span.set_attribute("rpc.grpc.status_code", code)
                if code != "OK":
                    span.set_status(Status(StatusCode.ERROR, code))


class RequestIdClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Sends the current request id downstream as `x-request-id`."""

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        request_id = current_request_id()
        if request_id:
            metadata = list(client_call_details.metadata or ())
            metadata.append((REQUEST_ID_HEADER, request_id))
            client_call_details = client_call_details._replace(metadata=metadata)
        return await continuation(client_call_details, request)


class TelemetryClientInterceptor(grpc.aio.UnaryUnaryClientInterceptor):
    """Times every outgoing call (memgrid_rpc_client_duration_seconds) and, with tracing on, makes it a CLIENT span
    whose context travels downstream as W3C `traceparent` metadata."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry

    async def intercept_unary_unary(self, continuation: Any, client_call_details: Any, request: Any) -> Any:
        raw = client_call_details.method
        method = raw.decode() if isinstance(raw, bytes) else str(raw)
        tracer = self._telemetry.tracer
        started = time.perf_counter()
        if tracer is None:
            call = await continuation(client_call_details, request)
            self._record(method, await call.code(), started)
            return call
        with tracer.start_as_current_span(
            method.lstrip("/"),
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": "grpc", "rpc.method": method},
        ) as span:
            metadata = list(client_call_details.metadata or ())
            inject_metadata(metadata)
            call = await continuation(client_call_details._replace(metadata=metadata), request)
            code = await call.code()
            span.set_attribute("rpc.grpc.status_code", code.name)
            if code != grpc.StatusCode.OK:
                span.set_status(Status(StatusCode.ERROR, code.name))
        self._record(method, code, started)
        return call

    def _record(self, method: str, code: grpc.StatusCode, started: float) -> None:
        metrics = self._telemetry.metrics
        if metrics is not None:
            metrics.rpc_client_duration.labels(method, code.name).observe(time.perf_counter() - started)
