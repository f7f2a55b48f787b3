"""Fixtures: the real metadata service (start_service on port 0) and its stub, on each backend.

Every test runs twice, on SQLite and on PostgreSQL (the `backend` fixture of tests/conftest.py; the test id
shows which), each time against a fresh database and its own service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from libs.rpc.client import open_channel
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2_grpc
from services.metadata.server import start_service
from services.metadata.settings import MetadataSettings

BOOTSTRAP_KEY = "mg_bootstrap_test_key_1"
BOOTSTRAP_TENANT = ("boot-org", "boot-proj")


@dataclass
class Running:
    settings: MetadataSettings
    stub: metadata_service_pb2_grpc.MetadataServiceStub
    port: int


def service_settings(data_dir: Path, database_url: str, api_keys: str = "") -> MetadataSettings:
    return MetadataSettings(
        data_dir=data_dir,
        database_url=database_url,
        metadata_port=0,
        api_keys=api_keys,
        shutdown_grace_seconds=0,
    )


@pytest.fixture
async def metadata(tmp_path: Path, service_database_url: str) -> AsyncIterator[Running]:
    """A service of its own on a fresh database for every test (starting one takes ~50 ms)."""
    settings = service_settings(
        tmp_path, service_database_url, api_keys=f"{BOOTSTRAP_KEY}={BOOTSTRAP_TENANT[0]}/{BOOTSTRAP_TENANT[1]}"
    )
    service = await start_service(settings)
    channel = open_channel(f"127.0.0.1:{service.port}")
    try:
        yield Running(settings, metadata_service_pb2_grpc.MetadataServiceStub(channel), service.port)
    finally:
        await channel.close()
        await service.stop(0)


@pytest.fixture
def stub(metadata: Running) -> metadata_service_pb2_grpc.MetadataServiceStub:
    return metadata.stub


@pytest.fixture
def tenant() -> common_pb2.Tenant:
    return common_pb2.Tenant(org_id=f"org-{uuid.uuid4().hex[:8]}", project_id="proj")


@pytest.fixture
def other_tenant() -> common_pb2.Tenant:
    return common_pb2.Tenant(org_id=f"org-{uuid.uuid4().hex[:8]}", project_id="other")
