"""`memgrid doctor`: check the configuration and every part of a running stack, one row per check."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from cli.health import is_serving
from gateway.clients import MetadataClient, VectorSearchClient
from gateway.settings import GatewaySettings
from libs import domain
from libs.config import TlsSettings
from libs.errors import MemgridError
from libs.rpc.client import open_channel
from services.extraction.settings import ExtractionSettings

# A tenant no one uses: the database and Milvus checks read from it and never write.
DOCTOR_TENANT = domain.Tenant(org_id="memgrid-doctor", project_id="doctor")
RPC_SECONDS = 5.0
HTTP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool | None  # None: not applicable here (e.g. no LLM configured)
    detail: str


@dataclass(frozen=True, slots=True)
class DoctorTargets:
    rest_url: str
    api_key: str | None


def load_settings() -> tuple[list[Check], GatewaySettings | None, ExtractionSettings | None]:
    """The gateway's and extraction's settings from MEMGRID_* variables, and a row saying whether they load."""
    try:
        gateway, extraction = GatewaySettings(), ExtractionSettings()
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        return [Check("config", False, problems)], None, None
    llm = extraction.llm.base_url or "offline extractor"
    detail = f"metadata {gateway.metadata_addr}, vectorsearch {gateway.vectorsearch_addr}, llm {llm}"
    return [Check("config", True, detail)], gateway, extraction


async def _serving(name: str, target: str, tls: TlsSettings | None) -> Check:
    if await is_serving(target, rpc_seconds=RPC_SECONDS, tls=tls):
        return Check(name, True, f"{target} SERVING")
    return Check(name, False, f"{target} not SERVING (not running, wrong address, or unhealthy)")


async def _database(settings: GatewaySettings) -> Check:
    async with open_channel(settings.metadata_addr, settings.internal_tls) as channel:
        try:
            _, total = await MetadataClient(channel, RPC_SECONDS).list_events(DOCTOR_TENANT, None, 1, 1)
        except MemgridError as error:
            return Check("database", False, f"a read through the metadata service failed: {error}")
    return Check("database", True, f"read through {settings.metadata_addr} ({total} doctor events)")


async def _milvus(settings: GatewaySettings) -> Check:
    async with open_channel(settings.vectorsearch_addr, settings.internal_tls) as channel:
        try:
            await VectorSearchClient(channel, RPC_SECONDS * 4).search(DOCTOR_TENANT, ["memgrid doctor"], None, 1)
        except MemgridError as error:
            return Check("milvus", False, f"a search through the vectorsearch service failed: {error}")
    return Check("milvus", True, f"embedded and searched through {settings.vectorsearch_addr}")


async def _rest(targets: DoctorTargets) -> Check:
    headers = {"Authorization": f"Token {targets.api_key}"} if targets.api_key else {}
    path = "/v1/ping/" if targets.api_key else "/openapi.json"
    try:
        async with httpx.AsyncClient(base_url=targets.rest_url, timeout=HTTP_SECONDS) as http:
            response = await http.get(path, headers=headers)
    except httpx.HTTPError as error:
        return Check("gateway rest", False, f"{targets.rest_url}: {error.__class__.__name__}: {error}")
    if response.status_code != 200:
        return Check("gateway rest", False, f"GET {path}: HTTP {response.status_code}: {response.text[:200]}")
    if not targets.api_key:
        return Check("gateway rest", True, f"{targets.rest_url} answers (no API key given: key not checked)")
    body = response.json()
    return Check("gateway rest", True, f"{targets.rest_url} key of {body['org_id']}/{body['project_id']}")


async def _llm(extraction: ExtractionSettings) -> Check:
    llm = extraction.llm
    if not llm.base_url:
        return Check("llm", None, "not configured (MEMGRID_LLM__BASE_URL unset): the offline extractor is used")
    headers = {"Authorization": f"Bearer {llm.api_key.get_secret_value()}"} if llm.api_key else {}
    url = llm.base_url.rstrip("/") + "/models"
    try:
        async with httpx.AsyncClient(timeout=HTTP_SECONDS) as http:
            response = await http.get(url, headers=headers)
    except httpx.HTTPError as error:
        return Check("llm", False, f"{url}: {error.__class__.__name__}: {error}")
    if response.status_code in (401, 403):
        return Check("llm", False, f"{url}: HTTP {response.status_code}: the API key is refused")
    if response.status_code >= 500:
        return Check("llm", False, f"{url}: HTTP {response.status_code}")
    return Check("llm", True, f"{llm.base_url} answers (HTTP {response.status_code} for /models), model {llm.model}")


async def run_checks(targets: DoctorTargets) -> list[Check]:
    checks, gateway, extraction = load_settings()
    if gateway is None or extraction is None:
        return checks
    grpc_target = f"{gateway.host}:{gateway.grpc_port}"
    # The internal hops may use mutual TLS; the gateway's public gRPC port does not.
    for name, target, tls in (
        ("metadata", gateway.metadata_addr, gateway.internal_tls),
        ("vectorsearch", gateway.vectorsearch_addr, gateway.internal_tls),
        ("extraction", gateway.extraction_addr, gateway.internal_tls),
        ("gateway grpc", grpc_target, None),
    ):
        checks.append(await _serving(name, target, tls))
    serving = {check.name for check in checks if check.ok}
    if "metadata" in serving:
        checks.append(await _database(gateway))
    else:
        checks.append(Check("database", False, "not checked: the metadata service is down"))
    if "vectorsearch" in serving:
        checks.append(await _milvus(gateway))
    else:
        checks.append(Check("milvus", False, "not checked: the vectorsearch service is down"))
    checks.append(await _rest(targets))
    checks.append(await _llm(extraction))
    return checks
