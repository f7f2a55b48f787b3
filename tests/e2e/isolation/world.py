"""The isolation matrix's world: one attacker project, two victim projects, their secrets and snapshots.

- attacker `acme/app1`; victims `acme/app2` (same organisation) and `globex/app1` (another organisation with
  the attacker's project id, so a check on project id alone would be caught).
- Every victim memory text carries a marker (`SECRET-<org>-<project>`) and every victim has a user only it
  knows (`victim-only-<org>-<project>`) besides users it shares by name with the attacker (`alice`, agent
  `helper`). Any victim id, marker or private name in an attacker response that the attacker did not send
  itself counts as a cross-tenant read.
- A victim snapshot is read straight from the metadata and vectorsearch services with the victim's tenant and
  serialised deterministically: memories, every history row, entities, events, the project, members,
  webhooks and which deliveries they have, and the vectors' ids and scores for fixed queries. Any byte that
  differs after a case counts as a cross-tenant write.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
import httpx
from google.protobuf.message import Message as ProtoMessage

from libs.rpc.client import call
from memgrid.common.v1 import common_pb2
from memgrid.memory.v1 import memory_service_pb2_grpc as memory_grpc
from memgrid.metadata.v1 import metadata_service_pb2 as md
from memgrid.metadata.v1 import metadata_service_pb2_grpc as md_grpc
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2 as vs
from memgrid.vectorsearch.v1 import vectorsearch_service_pb2_grpc as vs_grpc

SHARED_USER = "alice"
SHARED_AGENT = "helper"
SNAPSHOT_QUERIES = ("alice likes pizza", "a private note", "agent memory")
SETTLE_POLL_SECONDS = 0.2
VECTOR_SCORE_DECIMALS = 4
SETTLE_TIMEOUT_SECONDS = 30.0
IN_FLIGHT = (common_pb2.EVENT_STATUS_PENDING, common_pb2.EVENT_STATUS_RUNNING)


@dataclass(frozen=True, slots=True)
class Project:
    org_id: str
    project_id: str
    key: str

    @property
    def tag(self) -> str:
        return f"{self.org_id}-{self.project_id}"

    @property
    def marker(self) -> str:
        return f"SECRET-{self.tag}"

    @property
    def private_user(self) -> str:
        return f"victim-only-{self.tag}"

    @property
    def hidden_user(self) -> str:
        """A user of the victim's whose name the attacker never uses to write (so "not found" stays true)."""
        return f"hidden-{self.tag}"

    @property
    def member_email(self) -> str:
        return f"member-{self.tag}@example.com"

    @property
    def tenant(self) -> common_pb2.Tenant:
        return common_pb2.Tenant(org_id=self.org_id, project_id=self.project_id)


@dataclass(slots=True)
class Victim:
    project: Project
    memory_ids: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    webhook_ids: list[str] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Leak:
    victim: str
    secret: str
    where: str


def _serialise(message: ProtoMessage) -> bytes:
    return message.SerializeToString(deterministic=True)


class World:
    """The running stack seen by the matrix: REST and gRPC clients, the victims, and the leak ledger."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        public: grpc.aio.Channel,
        metadata: grpc.aio.Channel,
        vectors: grpc.aio.Channel,
        attacker: Project,
        victims: list[Victim],
    ) -> None:
        self.http = http
        self.memory = memory_grpc.MemoryServiceStub(public)
        self._metadata = md_grpc.MetadataServiceStub(metadata)
        self._vectors = vs_grpc.VectorSearchServiceStub(vectors)
        self.attacker = attacker
        self.victims = victims
        self.leaks: list[Leak] = []

    # --- talking as the attacker ------------------------------------------------------------------

    def _scan(self, response_text: str, request_text: str, where: str) -> None:
        for victim in self.victims:
            for secret in victim.secrets:
                if secret in response_text and secret not in request_text:
                    self.leaks.append(Leak(victim.project.tag, secret, where))

    async def rest(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        key: str | None = None,
    ) -> httpx.Response:
        """One REST call with the attacker's key (or `key`); its response is scanned for victims' secrets."""
        response = await self.http.request(
            method,
            path,
            json=json_body,
            params=params,
            headers={"Authorization": f"Token {key or self.attacker.key}"},
        )
        sent = f"{path} {json.dumps(json_body)} {json.dumps(params)}"
        self._scan(response.text, sent, f"{method} {path} -> {response.status_code}")
        return response

    async def rpc(self, name: str, request: ProtoMessage, *, key: str | None = None) -> tuple[Any, grpc.StatusCode]:
        """One public gRPC call; returns (response or None, status code). Responses and error details are
        scanned for victims' secrets."""
        method = getattr(self.memory, name)
        metadata = [("authorization", f"Token {key or self.attacker.key}")]
        sent = str(request) + _serialise(request).decode("utf-8", "replace")
        try:
            pending = method(request, metadata=metadata, timeout=60)
            if hasattr(pending, "__aiter__"):
                response = [item async for item in pending]
                text = "".join(str(item) for item in response)
            else:
                response = await pending
                text = str(response)
        except grpc.aio.AioRpcError as error:
            self._scan(f"{error.details()} {error.debug_error_string()}", sent, f"{name} -> {error.code().name}")
            return None, error.code()
        self._scan(text, sent, f"{name} -> OK")
        return response, grpc.StatusCode.OK

    async def internal(self, service: str, name: str, request: ProtoMessage) -> tuple[Any, grpc.StatusCode]:
        """One call straight to an internal service ("metadata" or "vectorsearch"), scanned like rpc()."""
        stub = {"metadata": self._metadata, "vectorsearch": self._vectors}[service]
        sent = str(request)
        try:
            response = await getattr(stub, name)(request, timeout=60)
        except grpc.aio.AioRpcError as error:
            self._scan(error.details() or "", sent, f"{service}.{name} -> {error.code().name}")
            return None, error.code()
        self._scan(str(response), sent, f"{service}.{name} -> OK")
        return response, grpc.StatusCode.OK

    # --- the attacker's own data ------------------------------------------------------------------

    async def own_memories(self, count: int = 2, user_id: str = SHARED_USER) -> list[str]:
        """Fresh memories of the attacker (verbatim adds), to mix with foreign ids."""
        body = {
            "messages": [{"role": "user", "content": f"mine {index}: alice likes pizza"} for index in range(count)],
            "user_id": user_id,
            "infer": False,
            "async_mode": False,
        }
        response = await self.rest("POST", "/v3/memories/add/", json_body=body)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["results"]]

    async def own_texts(self, ids: Iterable[str]) -> dict[str, str]:
        found = await call(
            self._metadata.GetMemories(md.GetMemoriesRequest(tenant=self.attacker.tenant, memory_ids=list(ids)))
        )
        return {memory.id: memory.memory for memory in found.memories}

    async def create_key(self, project: Project, *, role: int = 0, member_email: str = "") -> str:
        request = md.CreateApiKeyRequest(tenant=project.tenant, name="roles", role=role, member_email=member_email)
        return (await call(self._metadata.CreateApiKey(request))).api_key

    async def authenticate(self, api_key: str) -> md.AuthenticateApiKeyResponse:
        return await call(self._metadata.AuthenticateApiKey(md.AuthenticateApiKeyRequest(api_key=api_key)))

    # --- victims ------------------------------------------------------------------------------------

    def foreign_memory_id(self, index: int = 0) -> str:
        return self.victims[0].memory_ids[index]

    def foreign_event_id(self) -> str:
        return self.victims[0].event_ids[0]

    async def snapshot(self, victim: Victim) -> dict[str, bytes]:
        """Everything the victim owns, part by part, as deterministic bytes."""
        tenant = victim.project.tenant
        memories = await call(
            self._metadata.ListMemories(md.ListMemoriesRequest(tenant=tenant, page_size=1000, show_expired=True))
        )
        parts = {"memories": _serialise(memories)}
        for memory in sorted(memories.memories, key=lambda m: m.id):
            history = await call(self._metadata.ListHistory(md.ListHistoryRequest(tenant=tenant, memory_id=memory.id)))
            parts[f"history {memory.id}"] = _serialise(history)
        entities = await call(self._metadata.ListEntities(md.ListEntitiesRequest(tenant=tenant, page_size=1000)))
        parts["entities"] = _serialise(entities)
        events = await call(self._metadata.ListEvents(md.ListEventsRequest(tenant=tenant, page_size=1000)))
        parts["events"] = _serialise(events)
        parts["project"] = _serialise(await call(self._metadata.GetProject(md.GetProjectRequest(tenant=tenant))))
        parts["members"] = _serialise(await call(self._metadata.ListMembers(md.ListMembersRequest(tenant=tenant))))
        webhooks = await call(self._metadata.ListWebhooks(md.ListWebhooksRequest(tenant=tenant)))
        parts["webhooks"] = _serialise(webhooks)
        # Which deliveries exist (not their attempts: the dispatcher keeps retrying them while the matrix runs).
        queued = []
        for webhook in sorted(webhooks.webhooks, key=lambda w: w.webhook_id):
            log = await call(
                self._metadata.ListWebhookDeliveries(
                    md.ListWebhookDeliveriesRequest(tenant=tenant, webhook_id=webhook.webhook_id, page_size=1000)
                )
            )
            queued += sorted((d.webhook_id, d.delivery_id, d.event_type, d.memory_id) for d in log.deliveries)
        parts["webhook deliveries"] = json.dumps(queued).encode()
        hits = await call(
            self._vectors.SearchVectors(vs.SearchVectorsRequest(tenant=tenant, queries=SNAPSHOT_QUERIES, top_k=1000))
        )
        # Scores to 4 decimals: the same stored vector can score differently in the 6th or 7th decimal from one
        # search to the next (float32 arithmetic; Milvus Lite reorganising its segments as other tests write),
        # which failed the roles checks now and then (`['vectors']` changed with nothing written). A write to the
        # victim's vectors changes ids, or scores by far more than that.
        parts["vectors"] = json.dumps(
            [
                sorted((hit.memory_id, round(hit.score, VECTOR_SCORE_DECIMALS)) for hit in query.hits)
                for query in hits.results
            ]
        ).encode()
        return parts

    async def settled_snapshot(self, victim: Victim) -> dict[str, bytes]:
        """A snapshot once nothing is in flight for the victim: no queued or running add (an earlier test's
        async add finishing later would change memories, events and vectors between two snapshots), no vector
        sync of its own left for the reconciler (it would change its vectors later), and two snapshots in a row
        agree."""
        deadline = asyncio.get_running_loop().time() + SETTLE_TIMEOUT_SECONDS
        previous = await self.snapshot(victim)
        while True:
            await asyncio.sleep(SETTLE_POLL_SECONDS)
            current = await self.snapshot(victim)
            events = await call(
                self._metadata.ListEvents(md.ListEventsRequest(tenant=victim.project.tenant, page_size=1000))
            )
            busy = any(event.status in IN_FLIGHT for event in events.events)
            if current == previous and not busy and not await self._vector_syncs_pending(victim):
                return current
            assert asyncio.get_running_loop().time() < deadline, "the project never settled"
            previous = current

    async def _vector_syncs_pending(self, victim: Victim) -> bool:
        pending = await call(self._metadata.ListPendingVectorSyncs(md.ListPendingVectorSyncsRequest(limit=10000)))
        return any(sync.tenant == victim.project.tenant for sync in pending.syncs)

    async def learn_secrets(self, victim: Victim) -> None:
        """Every id and text the victim owns that the attacker must never see."""
        tenant = victim.project.tenant
        memories = await call(
            self._metadata.ListMemories(md.ListMemoriesRequest(tenant=tenant, page_size=1000, show_expired=True))
        )
        victim.memory_ids = [memory.id for memory in memories.memories]
        # Not the private user: the attacker writes under that name in its own project on purpose.
        secrets = {victim.project.marker, victim.project.hidden_user, victim.project.member_email, *victim.memory_ids}
        for memory_id in victim.memory_ids:
            history = await call(self._metadata.ListHistory(md.ListHistoryRequest(tenant=tenant, memory_id=memory_id)))
            secrets.update(entry.id for entry in history.entries)
        entities = await call(self._metadata.ListEntities(md.ListEntitiesRequest(tenant=tenant, page_size=1000)))
        secrets.update(entity.id for entity in entities.entities)
        events = await call(self._metadata.ListEvents(md.ListEventsRequest(tenant=tenant, page_size=1000)))
        victim.event_ids = [event.id for event in events.events]
        secrets.update(victim.event_ids)
        webhooks = await call(self._metadata.ListWebhooks(md.ListWebhooksRequest(tenant=tenant)))
        victim.webhook_ids = [webhook.webhook_id for webhook in webhooks.webhooks]
        secrets.update(victim.webhook_ids)
        for webhook_id in victim.webhook_ids:
            log = await call(
                self._metadata.ListWebhookDeliveries(
                    md.ListWebhookDeliveriesRequest(tenant=tenant, webhook_id=webhook_id, page_size=1000)
                )
            )
            secrets.update(delivery.delivery_id for delivery in log.deliveries)
        victim.secrets = secrets


def changed_parts(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
