"""API keys (create, authenticate, list, revoke, bootstrap) and events (record, get, list)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc

from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.metadata.v1 import metadata_service_pb2 as pb

from .conftest import BOOTSTRAP_KEY, BOOTSTRAP_TENANT
from .helpers import expect_error, timestamp

UNAUTHENTICATED = grpc.StatusCode.UNAUTHENTICATED


async def test_generated_key_authenticates_lists_and_revokes(stub, tenant):
    created = await call(stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=tenant, name="ci")))
    key = created.api_key
    assert key.startswith("mg_") and len(key) == 43
    assert created.key.prefix == key[:8] and created.key.name == "ci"
    assert created.key.tenant == tenant and not created.key.HasField("revoked_at")

    auth = await call(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key)))
    assert auth.tenant == tenant and auth.key_id == created.key.key_id

    listed = await call(stub.ListApiKeys(pb.ListApiKeysRequest()))
    mine = [k for k in listed.keys if k.key_id == created.key.key_id]
    assert len(mine) == 1 and key not in str(listed)

    revoked = await call(stub.RevokeApiKey(pb.RevokeApiKeyRequest(key_id=created.key.key_id)))
    assert revoked.key.HasField("revoked_at")
    await expect_error(
        stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key)), UNAUTHENTICATED, "invalid API key"
    )
    active = await call(stub.ListApiKeys(pb.ListApiKeysRequest()))
    assert created.key.key_id not in {k.key_id for k in active.keys}
    everything = await call(stub.ListApiKeys(pb.ListApiKeysRequest(include_revoked=True)))
    assert created.key.key_id in {k.key_id for k in everything.keys}


async def test_unknown_keys(stub):
    await expect_error(
        stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key="mg_nope")), UNAUTHENTICATED, "invalid API key"
    )
    await expect_error(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest()), UNAUTHENTICATED, "invalid API key")
    await expect_error(stub.RevokeApiKey(pb.RevokeApiKeyRequest(key_id="nope")), grpc.StatusCode.NOT_FOUND, "key_id")


async def test_given_key_is_idempotent_and_bound_to_its_tenant(stub, tenant, other_tenant):
    plaintext = f"given-{tenant.org_id}"
    first = await call(stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=tenant, name="a", api_key=plaintext)))
    second = await call(stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=tenant, name="a", api_key=plaintext)))
    assert first.key.key_id == second.key.key_id and second.api_key == plaintext
    await expect_error(
        stub.CreateApiKey(pb.CreateApiKeyRequest(tenant=other_tenant, api_key=plaintext)),
        grpc.StatusCode.ALREADY_EXISTS,
        "api_key",
    )
    auth = await call(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=plaintext)))
    assert auth.tenant == tenant


async def test_bootstrap_key_from_settings_authenticates(stub):
    auth = await call(stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=BOOTSTRAP_KEY)))
    assert (auth.tenant.org_id, auth.tenant.project_id) == BOOTSTRAP_TENANT
    listed = await call(stub.ListApiKeys(pb.ListApiKeysRequest()))
    (boot,) = [k for k in listed.keys if k.key_id == auth.key_id]
    assert boot.name == "bootstrap" and boot.prefix == BOOTSTRAP_KEY[:8]


async def test_events_record_get_replace_list(stub, tenant, other_tenant):
    base = datetime(2025, 1, 1, tzinfo=UTC)
    pending = common_pb2.Event(
        id="evt-1", event_type="ADD", status=common_pb2.EVENT_STATUS_PENDING, created_at=timestamp(base)
    )
    stored = await call(stub.RecordEvent(pb.RecordEventRequest(tenant=tenant, event=pending)))
    assert stored.event == pending

    done = common_pb2.Event(
        id="evt-1",
        event_type="ADD",
        status=common_pb2.EVENT_STATUS_SUCCEEDED,
        results=[
            common_pb2.MemoryChange(id="m1", memory="likes tea", event=common_pb2.MEMORY_EVENT_ADD),
            common_pb2.MemoryChange(
                id="m2",
                memory="new",
                event=common_pb2.MEMORY_EVENT_UPDATE,
                previous_memory="old",
                actor_id="alex",
                role=common_pb2.ROLE_USER,
            ),
        ],
        started_at=timestamp(base + timedelta(seconds=1)),
        completed_at=timestamp(base + timedelta(seconds=2)),
        latency_ms=1000.5,
    )
    await call(stub.RecordEvent(pb.RecordEventRequest(tenant=tenant, event=done)))
    got = await call(stub.GetEvent(pb.GetEventRequest(tenant=tenant, event_id="evt-1")))
    expected = pb.RecordEventRequest(event=done).event
    expected.created_at.CopyFrom(timestamp(base))  # kept from the first record
    assert got.event == expected

    failed = common_pb2.Event(
        id="evt-2",
        event_type="ADD",
        status=common_pb2.EVENT_STATUS_FAILED,
        error="boom",
        created_at=timestamp(base + timedelta(hours=1)),
    )
    await call(stub.RecordEvent(pb.RecordEventRequest(tenant=tenant, event=failed)))
    listed = await call(stub.ListEvents(pb.ListEventsRequest(tenant=tenant)))
    assert [e.id for e in listed.events] == ["evt-2", "evt-1"] and listed.total_count == 2
    only_failed = await call(
        stub.ListEvents(pb.ListEventsRequest(tenant=tenant, status=common_pb2.EVENT_STATUS_FAILED))
    )
    assert [e.id for e in only_failed.events] == ["evt-2"] and only_failed.events[0].error == "boom"
    paged = await call(stub.ListEvents(pb.ListEventsRequest(tenant=tenant, page=2, page_size=1)))
    assert [e.id for e in paged.events] == ["evt-1"]

    await expect_error(stub.GetEvent(pb.GetEventRequest(tenant=tenant, event_id="nope")), grpc.StatusCode.NOT_FOUND)
    await expect_error(
        stub.GetEvent(pb.GetEventRequest(tenant=other_tenant, event_id="evt-1")), grpc.StatusCode.NOT_FOUND, "evt-1"
    )
    assert (await call(stub.ListEvents(pb.ListEventsRequest(tenant=other_tenant)))).total_count == 0
    await expect_error(
        stub.RecordEvent(pb.RecordEventRequest(tenant=other_tenant, event=failed)), grpc.StatusCode.ALREADY_EXISTS
    )
    await expect_error(
        stub.RecordEvent(pb.RecordEventRequest(tenant=tenant, event=common_pb2.Event(status=1))),
        grpc.StatusCode.INVALID_ARGUMENT,
        "event.id",
    )
