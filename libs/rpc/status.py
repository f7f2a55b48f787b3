"""Typed errors ↔ gRPC status with a google.rpc.ErrorInfo, in one place for servers and clients."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from libs.errors import CODE_TO_ERROR, ERROR_DOMAIN, REASON_TO_ERROR, InternalError, MemgridError


def to_rpc_status(error: MemgridError) -> grpc.Status:
    """A grpc.Status carrying the error's code, message and ErrorInfo(reason, domain, field)."""
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN)
    if error.field:
        info.metadata["field"] = error.field
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=getattr(code_pb2, error.grpc_code.name), message=error.message, details=[detail])
    return rpc_status.to_status(status)


def from_rpc_error(error: grpc.aio.AioRpcError) -> MemgridError:
    """Turn a failed call back into the typed error the server raised (or the nearest one)."""
    message = error.details() or error.code().name
    for key, value in error.trailing_metadata() or ():
        if key != "grpc-status-details-bin":
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                if info.domain == ERROR_DOMAIN:
                    error_type = REASON_TO_ERROR.get(info.reason, InternalError)
                    return error_type(message, field=info.metadata.get("field") or None)
    return CODE_TO_ERROR.get(error.code(), InternalError)(message)
