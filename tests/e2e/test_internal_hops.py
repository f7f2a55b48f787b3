"""Securing the internal hops: services listen on loopback by default, and optional mutual TLS between the
gateway and metadata / vectorsearch / extraction refuses any client without a certificate from memgrid's CA.

Certificates are made at test time (tests/support/certs.py)."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import ValidationError

from gateway.settings import GatewaySettings
from libs.config import TlsSettings
from libs.rpc.client import open_channel
from services.extraction.settings import ExtractionSettings
from services.metadata.settings import MetadataSettings
from services.vectorsearch.settings import VectorSearchSettings
from tests.conftest import Stack
from tests.support.certs import Certificates, make_certificates
from tests.support.stack import start_stack

KEY = "mtls-key"
SETTINGS = [GatewaySettings, MetadataSettings, VectorSearchSettings, ExtractionSettings]


# --- loopback by default ----------------------------------------------------------------------------


@pytest.mark.parametrize("settings", SETTINGS, ids=[s.__name__ for s in SETTINGS])
def test_every_service_binds_loopback_by_default(settings: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEMGRID_HOST", raising=False)
    assert settings().host == "127.0.0.1"


def _outside_address() -> str | None:
    """This machine's address on its default route (no packet is sent), or None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere real
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def _accepts(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=2):
        return True
    return False


async def test_internal_services_are_unreachable_from_other_interfaces(stack: Stack) -> None:
    outside = _outside_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for target in (stack.metadata_target, stack.vectorsearch_target, stack.extraction_target):
        port = int(target.rsplit(":", 1)[1])
        assert _accepts("127.0.0.1", port), target
        assert not _accepts(outside, port), f"{target} also listens on {outside}"


# --- mutual TLS -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecureStack:
    rest_url: str
    internal: dict[str, str]
    certs: Certificates


@pytest.fixture(scope="module")
async def secure_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SecureStack]:
    root = tmp_path_factory.mktemp("mtls")
    certs = make_certificates(root / "certs")
    server = TlsSettings(cert_file=certs.server.cert, key_file=certs.server.key, ca_file=certs.ca)
    client = TlsSettings(cert_file=certs.client.cert, key_file=certs.client.key, ca_file=certs.ca)
    running = await start_stack(root / "data", f"{KEY}=acme/secure", server_tls=server, client_tls=client)
    try:
        yield SecureStack(
            rest_url=running.rest_url,
            internal={
                "metadata": running.metadata_target,
                "vectorsearch": running.vectorsearch_target,
                "extraction": running.extraction_target,
            },
            certs=certs,
        )
    finally:
        await running.stop()


async def _health(channel: grpc.aio.Channel) -> int:
    response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return response.status


async def test_the_stack_works_with_mtls_on(secure_stack: SecureStack) -> None:
    """Add (metadata + vectorsearch + extraction) and search through the gateway, every hop over mTLS."""
    async with httpx.AsyncClient(base_url=secure_stack.rest_url, headers={"Authorization": f"Token {KEY}"}) as http:
        added = await http.post(
            "/v3/memories/add/", json={"async_mode": False, "messages": "I keep bees.", "user_id": "keeper"}
        )
        assert added.status_code == 200, added.text
        hits = await http.post("/v3/memories/search/", json={"query": "bees", "filters": {"user_id": "keeper"}})
        assert hits.status_code == 200 and hits.json()["results"], hits.text


async def test_a_client_with_memgrids_certificate_is_served(secure_stack: SecureStack) -> None:
    certs = secure_stack.certs
    tls = TlsSettings(cert_file=certs.client.cert, key_file=certs.client.key, ca_file=certs.ca)
    for target in secure_stack.internal.values():
        async with open_channel(target, tls) as channel:
            assert await _health(channel) == health_pb2.HealthCheckResponse.SERVING


def _refused_channels(certs: Certificates, target: str) -> dict[str, grpc.aio.Channel]:
    ca = certs.ca.read_bytes()
    rogue = grpc.ssl_channel_credentials(
        root_certificates=ca,
        private_key=certs.rogue_client.key.read_bytes(),
        certificate_chain=certs.rogue_client.cert.read_bytes(),
    )
    return {
        "plaintext": grpc.aio.insecure_channel(target),
        "TLS without a client certificate": grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(ca)),
        "client certificate from another CA": grpc.aio.secure_channel(target, rogue),
    }


@pytest.mark.parametrize("service", ["metadata", "vectorsearch", "extraction"])
async def test_clients_without_a_memgrid_certificate_are_refused(secure_stack: SecureStack, service: str) -> None:
    target = secure_stack.internal[service]
    for how, channel in _refused_channels(secure_stack.certs, target).items():
        async with channel:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await _health(channel)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE, how


def test_tls_settings_are_all_or_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="internal_tls"):
        TlsSettings(cert_file=tmp_path / "c.pem")
    assert not TlsSettings().enabled


def test_tls_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("CERT_FILE", "KEY_FILE", "CA_FILE"):
        monkeypatch.setenv(f"MEMGRID_INTERNAL_TLS__{name}", str(tmp_path / name.lower()))
    monkeypatch.setenv("MEMGRID_INTERNAL_TLS__REQUIRE_CLIENT_AUTH", "false")
    tls = MetadataSettings().internal_tls
    assert tls.enabled and tls.ca_file == tmp_path / "ca_file" and not tls.require_client_auth


async def test_unreadable_certificate_files_fail_start_up_naming_the_setting(tmp_path: Path) -> None:
    missing = TlsSettings(cert_file=tmp_path / "no.pem", key_file=tmp_path / "no.key", ca_file=tmp_path / "ca.pem")
    with pytest.raises(ValueError, match=r"internal_tls\.(cert|key|ca)_file"):
        open_channel("127.0.0.1:1", missing)
