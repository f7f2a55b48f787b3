"""Typed errors that know their gRPC code, HTTP status and stable reason.

Servers raise these; one interceptor turns them into a gRPC status with a google.rpc.ErrorInfo, and
clients turn the status back into the same type through REASON_TO_ERROR — never by importing names
sent by the server.
"""

from __future__ import annotations

import grpc

ERROR_DOMAIN = "memgrid"


class MemgridError(Exception):
    """Base of every error memgrid reports to a caller."""

    grpc_code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    http_status: int = 500
    reason: str = "INTERNAL"
    retryable: bool = False

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(MemgridError):
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT
    http_status = 400
    reason = "INVALID_ARGUMENT"


class Unauthenticated(MemgridError):
    grpc_code = grpc.StatusCode.UNAUTHENTICATED
    http_status = 401
    reason = "UNAUTHENTICATED"


class PermissionDenied(MemgridError):
    grpc_code = grpc.StatusCode.PERMISSION_DENIED
    http_status = 403
    reason = "PERMISSION_DENIED"


class NotFound(MemgridError):
    grpc_code = grpc.StatusCode.NOT_FOUND
    http_status = 404
    reason = "NOT_FOUND"


class AlreadyExists(MemgridError):
    grpc_code = grpc.StatusCode.ALREADY_EXISTS
    http_status = 409
    reason = "ALREADY_EXISTS"


class FailedPrecondition(MemgridError):
    grpc_code = grpc.StatusCode.FAILED_PRECONDITION
    http_status = 409
    reason = "FAILED_PRECONDITION"


class PayloadTooLarge(MemgridError):
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED
    http_status = 413
    reason = "PAYLOAD_TOO_LARGE"


class RateLimited(MemgridError):
    grpc_code = grpc.StatusCode.RESOURCE_EXHAUSTED
    http_status = 429
    reason = "RATE_LIMITED"
    retryable = True


class UpstreamUnavailable(MemgridError):
    grpc_code = grpc.StatusCode.UNAVAILABLE
    http_status = 503
    reason = "UPSTREAM_UNAVAILABLE"
    retryable = True


class UpstreamTimeout(MemgridError):
    grpc_code = grpc.StatusCode.DEADLINE_EXCEEDED
    http_status = 504
    reason = "UPSTREAM_TIMEOUT"


class LLMOutputInvalid(MemgridError):
    grpc_code = grpc.StatusCode.INTERNAL
    http_status = 502
    reason = "LLM_OUTPUT_INVALID"


class NotImplementedYet(MemgridError):
    grpc_code = grpc.StatusCode.UNIMPLEMENTED
    http_status = 501
    reason = "NOT_IMPLEMENTED"


class InternalError(MemgridError):
    """Anything unexpected; the message sent to callers is generic."""


REASON_TO_ERROR: dict[str, type[MemgridError]] = {
    cls.reason: cls
    for cls in (
        InvalidArgument,
        Unauthenticated,
        PermissionDenied,
        NotFound,
        AlreadyExists,
        FailedPrecondition,
        PayloadTooLarge,
        RateLimited,
        UpstreamUnavailable,
        UpstreamTimeout,
        LLMOutputInvalid,
        NotImplementedYet,
        InternalError,
    )
}

# Used when a status carries no ErrorInfo (e.g. a transport failure raised by grpc itself).
CODE_TO_ERROR: dict[grpc.StatusCode, type[MemgridError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.RESOURCE_EXHAUSTED: RateLimited,
    grpc.StatusCode.UNAVAILABLE: UpstreamUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: UpstreamTimeout,
    grpc.StatusCode.UNIMPLEMENTED: NotImplementedYet,
}
