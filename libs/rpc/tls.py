"""gRPC credentials for the internal hops from TlsSettings (mutual TLS), read once when a server or channel
is built."""

from __future__ import annotations

from pathlib import Path

import grpc

from libs.config import TlsSettings


def _read(path: Path | None, setting: str) -> bytes:
    if path is None:
        raise ValueError(f"internal_tls.{setting} is required")
    try:
        return path.expanduser().read_bytes()
    except OSError as error:
        raise ValueError(f"internal_tls.{setting}: cannot read {path}: {error.strerror}") from None


def server_credentials(tls: TlsSettings) -> grpc.ServerCredentials:
    return grpc.ssl_server_credentials(
        [(_read(tls.key_file, "key_file"), _read(tls.cert_file, "cert_file"))],
        root_certificates=_read(tls.ca_file, "ca_file"),
        require_client_auth=tls.require_client_auth,
    )


def channel_credentials(tls: TlsSettings) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=_read(tls.ca_file, "ca_file"),
        private_key=_read(tls.key_file, "key_file"),
        certificate_chain=_read(tls.cert_file, "cert_file"),
    )


def channel_options(tls: TlsSettings) -> list[tuple[str, str]]:
    return [("grpc.ssl_target_name_override", tls.server_name)] if tls.server_name else []
