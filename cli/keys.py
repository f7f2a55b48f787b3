"""`memgrid keys`: create, list and revoke API keys through the running metadata service."""

from __future__ import annotations

from dataclasses import dataclass

from libs import domain
from libs.config import TlsSettings
from libs.mappers import MEMBER_ROLE_TO_PROTO, PROTO_TO_MEMBER_ROLE, tenant_to_proto
from libs.rpc.client import call, open_channel
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from memgrid.metadata.v1 import metadata_service_pb2_grpc as pb_grpc

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class KeyRow:
    key_id: str
    org_id: str
    project_id: str
    name: str
    prefix: str
    created_at: str
    revoked: bool
    role: str
    member_email: str


def _row(info: pb.ApiKeyInfo) -> KeyRow:
    return KeyRow(
        key_id=info.key_id,
        org_id=info.tenant.org_id,
        project_id=info.tenant.project_id,
        name=info.name,
        prefix=info.prefix,
        created_at=info.created_at.ToDatetime().isoformat(timespec="seconds"),
        revoked=info.HasField("revoked_at"),
        role=str(PROTO_TO_MEMBER_ROLE.get(info.role, "")),
        member_email=info.member_email,
    )


async def create_key(
    metadata_addr: str,
    tenant: domain.Tenant,
    name: str,
    role: domain.MemberRole | None = None,
    member_email: str = "",
    tls: TlsSettings | None = None,
) -> tuple[KeyRow, str]:
    """A key with its own role (OWNER when not given), or one created for an existing member of the project,
    which then always has the member's current role."""
    async with open_channel(metadata_addr, tls) as channel:
        stub = pb_grpc.MetadataServiceStub(channel)
        request = pb.CreateApiKeyRequest(
            tenant=tenant_to_proto(tenant),
            name=name,
            role=MEMBER_ROLE_TO_PROTO[role] if role else 0,
            member_email=member_email,
        )
        response = await call(stub.CreateApiKey(request, timeout=TIMEOUT_SECONDS))
    return _row(response.key), response.api_key


async def list_keys(metadata_addr: str, include_revoked: bool, tls: TlsSettings | None = None) -> list[KeyRow]:
    async with open_channel(metadata_addr, tls) as channel:
        stub = pb_grpc.MetadataServiceStub(channel)
        response = await call(
            stub.ListApiKeys(pb.ListApiKeysRequest(include_revoked=include_revoked), timeout=TIMEOUT_SECONDS)
        )
    return [_row(info) for info in response.keys]


async def revoke_key(metadata_addr: str, key_id: str, tls: TlsSettings | None = None) -> KeyRow:
    async with open_channel(metadata_addr, tls) as channel:
        stub = pb_grpc.MetadataServiceStub(channel)
        response = await call(stub.RevokeApiKey(pb.RevokeApiKeyRequest(key_id=key_id), timeout=TIMEOUT_SECONDS))
    return _row(response.key)
