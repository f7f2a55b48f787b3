"""Client-side helpers: channels with our interceptors and retry policy, and calls that raise typed errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Iterable
from typing import TypeVar

import grpc

from libs.config import TlsSettings
from libs.errors import MemgridError
from libs.observability.telemetry import Telemetry
from libs.rpc.interceptors import RequestIdClientInterceptor, TelemetryClientInterceptor
from libs.rpc.server import MAX_MESSAGE_BYTES
from libs.rpc.status import from_rpc_error
from libs.rpc.tls import channel_credentials, channel_options

T = TypeVar("T")


# Retries: only on UNAVAILABLE (the server was not reached or is restarting) and only for the methods the caller
# names as idempotent; gRPC retries only calls the server has not answered, within the call's deadline.
RETRY_POLICY = {
    "maxAttempts": 5,
    "initialBackoff": "0.1s",
    "maxBackoff": "2s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


def retry_service_config(idempotent_methods: Iterable[str]) -> str:
    """A gRPC service config retrying `idempotent_methods` ("pkg.Service/Method") on UNAVAILABLE."""
    names = []
    for full_name in idempotent_methods:
        service, _, method = full_name.partition("/")
        names.append({"service": service, "method": method})
    if not names:
        return json.dumps({})
    return json.dumps({"methodConfig": [{"name": names, "retryPolicy": RETRY_POLICY}]})


def open_channel(
    target: str,
    tls: TlsSettings | None = None,
    idempotent_methods: Iterable[str] = (),
    telemetry: Telemetry | None = None,
) -> grpc.aio.Channel:
    """A channel to an internal service: plaintext, or mutual TLS when `tls` is enabled. Calls to
    `idempotent_methods` are retried on UNAVAILABLE, others never. With `telemetry`, calls are timed and traced
    (their trace context sent along)."""
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ("grpc.enable_retries", 1),
        ("grpc.service_config", retry_service_config(idempotent_methods)),
    ]
    interceptors: list[grpc.aio.ClientInterceptor] = [RequestIdClientInterceptor()]
    if telemetry is not None:
        interceptors.insert(0, TelemetryClientInterceptor(telemetry))
    if tls is not None and tls.enabled:
        return grpc.aio.secure_channel(
            target,
            channel_credentials(tls),
            options=options + channel_options(tls),
            interceptors=interceptors,
        )
    return grpc.aio.insecure_channel(target, interceptors=interceptors, options=options)


async def call(pending: Awaitable[T]) -> T:
    """Await an RPC; a failed call raises the typed MemgridError the server sent."""
    try:
        return await pending
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from None


__all__ = ["MemgridError", "call", "open_channel"]
