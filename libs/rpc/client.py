"""Client-side helpers: channels with our interceptors, and calls that raise typed errors."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import grpc

from libs.config import TlsSettings
from libs.errors import MemgridError
from libs.rpc.interceptors import RequestIdClientInterceptor
from libs.rpc.server import MAX_MESSAGE_BYTES
from libs.rpc.status import from_rpc_error
from libs.rpc.tls import channel_credentials, channel_options

T = TypeVar("T")


def open_channel(target: str, tls: TlsSettings | None = None) -> grpc.aio.Channel:
    """A channel to an internal service: plaintext, or mutual TLS when `tls` is enabled."""
    options = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    interceptors = [RequestIdClientInterceptor()]
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
