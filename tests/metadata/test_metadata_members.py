"""Project members and key roles in the metadata service (the system of record)."""

from __future__ import annotations

import grpc
import sqlalchemy as sa

from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb
from services.metadata.database import create_engine, run_migrations
from services.metadata.store import SqlMetadataStore, key_sha256

from .helpers import expect_error

READER = common_pb2.MEMBER_ROLE_READER
OWNER = common_pb2.MEMBER_ROLE_OWNER
Code = grpc.StatusCode


async def _key(stub, tenant, **kwargs) -> str:
    return (await call(stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=tenant, **kwargs)))).api_key


async def _auth(stub, key: str) -> pb.AuthenticateApiKeyResponse:
    return await call(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key)))


async def test_members_lifecycle(stub, tenant):
    added = await call(stub.AddMember(pb.AddMemberRequest(tenant=tenant, email=" Dana@Example.COM ", role=READER)))
    assert (added.member.email, added.member.role) == ("dana@example.com", READER)
    await call(stub.AddMember(pb.AddMemberRequest(tenant=tenant, email="erin@example.com", role=OWNER)))
    listed = await call(stub.ListMembers(pb.ListMembersRequest(tenant=tenant)))
    assert [(m.email, m.role) for m in listed.members] == [("dana@example.com", READER), ("erin@example.com", OWNER)]

    await expect_error(
        stub.AddMember(pb.AddMemberRequest(tenant=tenant, email="dana@example.com", role=OWNER)),
        Code.ALREADY_EXISTS,
        "already a member",
    )
    updated = await call(stub.UpdateMember(pb.UpdateMemberRequest(tenant=tenant, email="DANA@example.com", role=OWNER)))
    assert (
        updated.member.role == OWNER and updated.member.updated_at.ToDatetime() >= added.member.created_at.ToDatetime()
    )
    removed = await call(stub.RemoveMember(pb.RemoveMemberRequest(tenant=tenant, email="dana@example.com")))
    assert removed.member.email == "dana@example.com"
    listed = await call(stub.ListMembers(pb.ListMembersRequest(tenant=tenant)))
    assert [m.email for m in listed.members] == ["erin@example.com"]
    await expect_error(
        stub.RemoveMember(pb.RemoveMemberRequest(tenant=tenant, email="dana@example.com")), Code.NOT_FOUND, "email"
    )


async def test_members_are_per_project(stub, tenant, other_tenant):
    await call(stub.AddMember(pb.AddMemberRequest(tenant=tenant, email="dana@example.com", role=OWNER)))
    assert list((await call(stub.ListMembers(pb.ListMembersRequest(tenant=other_tenant)))).members) == []
    for pending in (
        stub.UpdateMember(pb.UpdateMemberRequest(tenant=other_tenant, email="dana@example.com", role=READER)),
        stub.RemoveMember(pb.RemoveMemberRequest(tenant=other_tenant, email="dana@example.com")),
        stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=other_tenant, member_email="dana@example.com")),
    ):
        await expect_error(pending, Code.NOT_FOUND)
    # The same person may be a member of the other project too, with another role.
    await call(stub.AddMember(pb.AddMemberRequest(tenant=other_tenant, email="dana@example.com", role=READER)))
    roles = {
        t.project_id: [m.role for m in (await call(stub.ListMembers(pb.ListMembersRequest(tenant=t)))).members]
        for t in (tenant, other_tenant)
    }
    assert roles == {tenant.project_id: [OWNER], other_tenant.project_id: [READER]}


async def test_bad_member_requests_name_the_field(stub, tenant):
    cases = [
        (pb.AddMemberRequest(tenant=tenant, email="not-an-address", role=READER), "email"),
        (pb.AddMemberRequest(tenant=tenant, email="a@b", role=READER), "email"),
        (pb.AddMemberRequest(tenant=tenant, email="dana@example.com"), "role"),
        (pb.AddMemberRequest(tenant=tenant, email="dana@example.com", role=7), "role"),
    ]
    for request, field in cases:
        await expect_error(stub.AddMember(request), Code.INVALID_ARGUMENT, field)
    await expect_error(
        stub.UpdateMember(pb.UpdateMemberRequest(tenant=tenant, email="dana@example.com")),
        Code.INVALID_ARGUMENT,
        "role",
    )


async def test_key_roles(stub, tenant):
    owner = await _key(stub, tenant)
    reader = await _key(stub, tenant, role=READER)
    assert (await _auth(stub, owner)).role == OWNER
    assert ((await _auth(stub, reader)).role, (await _auth(stub, reader)).member_email) == (READER, "")
    listed = {k.key_id: k for k in (await call(stub.ListApiKeys(pb.ListApiKeysRequest()))).keys}
    assert listed[(await _auth(stub, reader)).key_id].role == READER


async def test_member_key_follows_the_member(stub, tenant):
    await call(stub.AddMember(pb.AddMemberRequest(tenant=tenant, email="dana@example.com", role=READER)))
    key = await _key(stub, tenant, member_email="Dana@example.com")
    auth = await _auth(stub, key)
    assert (auth.role, auth.member_email) == (READER, "dana@example.com")
    await call(stub.UpdateMember(pb.UpdateMemberRequest(tenant=tenant, email="dana@example.com", role=OWNER)))
    assert (await _auth(stub, key)).role == OWNER
    await call(stub.RemoveMember(pb.RemoveMemberRequest(tenant=tenant, email="dana@example.com")))
    await expect_error(
        stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key)), Code.UNAUTHENTICATED, "invalid API key"
    )
    # Removing a member revoked the member's keys: adding the person back does not revive them.
    await call(stub.AddMember(pb.AddMemberRequest(tenant=tenant, email="dana@example.com", role=READER)))
    await expect_error(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key)), Code.UNAUTHENTICATED)
    revoked = await call(stub.ListApiKeys(pb.ListApiKeysRequest(include_revoked=True)))
    assert [
        k.HasField("revoked_at") for k in revoked.keys if k.member_email == "dana@example.com" and k.tenant == tenant
    ] == [True]


async def test_member_key_cannot_also_have_its_own_role(stub, tenant):
    await call(stub.AddMember(pb.AddMemberRequest(tenant=tenant, email="dana@example.com", role=READER)))
    await expect_error(
        stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=tenant, member_email="dana@example.com", role=OWNER)),
        Code.INVALID_ARGUMENT,
        "role",
    )


async def test_keys_made_before_roles_become_owner_keys(tmp_path):
    """Migration 0004 on a database at 0002 that already holds a key: the key keeps working, as OWNER."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await run_migrations(engine, "0002")
        async with engine.begin() as connection:
            await connection.execute(sa.text("INSERT INTO organisations (id, created_at) VALUES ('o', '2026-01-01')"))
            await connection.execute(
                sa.text("INSERT INTO projects (org_id, project_id, created_at) VALUES ('o', 'p', '2026-01-01')")
            )
            await connection.execute(
                sa.text(
                    "INSERT INTO api_keys (id, org_id, project_id, name, prefix, key_sha256, created_at) "
                    "VALUES ('k1', 'o', 'p', 'old', 'mg_old', :digest, '2026-01-01')"
                ),
                {"digest": key_sha256("mg_old_key")},
            )
        await run_migrations(engine)
        caller = await SqlMetadataStore(engine).authenticate_api_key("mg_old_key")
        assert (caller.tenant.project_id, str(caller.role), caller.member_email) == ("p", "OWNER", None)
    finally:
        await engine.dispose()


async def test_get_project_creates_a_new_project_once_and_reads_it_as_updated(stub, tenant, other_tenant):
    first = (await call(stub.GetProject(pb.GetProjectRequest(tenant=tenant)))).project
    assert (first.name, first.custom_instructions) == (tenant.project_id, "")
    await call(stub.UpdateProject(pb.UpdateProjectRequest(tenant=tenant, custom_instructions="only food")))
    again = (await call(stub.GetProject(pb.GetProjectRequest(tenant=tenant)))).project
    assert again.custom_instructions == "only food"
    assert again.created_at == first.created_at
    other = (await call(stub.GetProject(pb.GetProjectRequest(tenant=other_tenant)))).project
    assert other.custom_instructions == ""
