"""Fixtures of the client-compatibility suite.

Every module works in its own project (tenant) so that `reset()`, `delete_users()` and project settings
changed by one client never touch another module's data. The keys are created through the metadata
service's CreateApiKey RPC, exactly as `memgrid up` bootstraps configured keys.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from libs.rpc.client import call, open_channel
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2, metadata_service_pb2_grpc
from tests.conftest import Stack

REPO = Path(__file__).resolve().parents[2]
CAPTURED_REQUESTS = REPO.parent / "shared" / "data" / "mem0-captured-requests.json"
NPM_DIR = REPO / ".npm-compat"
NPM_PACKAGE = "mem0ai"
NPM_VERSION = "3.3.1"
ORG = "acme"


@dataclass(frozen=True, slots=True)
class CompatTenant:
    """A project of its own with one API key."""

    rest_url: str
    api_key: str
    org_id: str
    project_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self.api_key}"}


TenantFactory = Callable[[str], Awaitable[CompatTenant]]


@pytest.fixture(scope="session")
async def make_tenant(stack: Stack) -> AsyncIterator[TenantFactory]:
    """`await make_tenant("name")` → a fresh project `acme/compat-<name>-<random>` with its own key."""
    channel = open_channel(stack.metadata_target)
    stub = metadata_service_pb2_grpc.MetadataServiceStub(channel)

    async def create(name: str) -> CompatTenant:
        project = f"compat-{name}-{uuid.uuid4().hex[:6]}"
        key = f"compat-key-{project}"
        await call(
            stub.CreateApiKey(
                metadata_service_pb2.CreateApiKeyRequest(
                    tenant=common_pb2.Tenant(org_id=ORG, project_id=project), name=name, api_key=key
                )
            )
        )
        return CompatTenant(rest_url=stack.rest_url, api_key=key, org_id=ORG, project_id=project)

    yield create
    await channel.close()


@pytest.fixture
def http_for() -> Callable[[CompatTenant], httpx.AsyncClient]:
    """An httpx client authenticated as the tenant (use as `async with http_for(t) as http`)."""

    def build(tenant: CompatTenant) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=tenant.rest_url, headers=tenant.headers, timeout=60)

    return build


@pytest.fixture(scope="session")
def sdk_python() -> str:
    python = os.environ.get("MEM0_SDK_PYTHON")
    if not python or not Path(python).exists():
        pytest.skip("MEM0_SDK_PYTHON is not set to a python with mem0ai 2.2.1 installed (make test sets it)")
    return python


def _installed_npm_version() -> str | None:
    manifest = NPM_DIR / "node_modules" / NPM_PACKAGE / "package.json"
    if not manifest.exists():
        return None
    return str(json.loads(manifest.read_text()).get("version"))


@pytest.fixture(scope="session")
def npm_client_dir() -> Path:
    """`<repo>/.npm-compat/` with mem0ai@3.3.1 installed (once; reused across sessions)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed to drive the npm mem0ai client")
    if _installed_npm_version() != NPM_VERSION:
        NPM_DIR.mkdir(exist_ok=True)
        manifest = NPM_DIR / "package.json"
        if not manifest.exists():
            manifest.write_text(json.dumps({"name": "memgrid-npm-compat", "private": True}) + "\n")
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", f"{NPM_PACKAGE}@{NPM_VERSION}"],
            cwd=NPM_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if result.returncode != 0:
            pytest.skip(f"npm install {NPM_PACKAGE}@{NPM_VERSION} failed: {result.stderr[-1500:]}")
    if _installed_npm_version() != NPM_VERSION:
        pytest.skip(f"{NPM_PACKAGE}@{NPM_VERSION} is not installed in {NPM_DIR}")
    return NPM_DIR
