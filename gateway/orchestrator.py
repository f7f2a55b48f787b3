"""The orchestrator: every memory operation, composed from the three internal services.

Both public surfaces (gRPC MemoryService and the REST API) call this one class; it speaks domain types only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import structlog

from gateway.clients import ExtractionClient, MetadataClient, VectorSearchClient
from gateway.commands import (
    MAX_BATCH,
    AddCommand,
    AddOutcome,
    ListCommand,
    MemoryPage,
    SearchCommand,
)
from gateway.query import without_entity_names
from gateway.ranking import HYBRID_CANDIDATES, fuse_rrf
from libs import domain
from libs.domain import Candidate, Fact, MemoryAction, MemoryPatch, NewMemory, VectorHit, VectorRecord
from libs.errors import InvalidArgument, MemgridError, NotFound
from libs.filters import (
    SCOPE_FILTER_FIELDS,
    VECTOR_FILTER_OPS,
    Condition,
    FilterNode,
    Op,
    Or,
    conjoin,
    fields_of,
    ids_equal,
    runs_in_vector_store,
)

log = structlog.get_logger()

# How many similar existing memories reconciliation sees per new fact, and per request to forget
# ("Delete all of my food preferences" may match many).
RECONCILE_CANDIDATES_PER_FACT = 5
FORGET_CANDIDATES_PER_FACT = 100
# How many of the scope's newest memories extraction sees as context.
RECENT_CONTEXT_MEMORIES = 10
# Extra hits fetched beyond top_k so expired or orphaned rows dropped after hydration don't shorten results.
SEARCH_OVERFETCH = 20
# Bounds the entity clean-up loop of reset (1,000 entities a round).
MAX_RESET_ROUNDS = 1000


def scope_filter(scope: domain.Scope) -> FilterNode | None:
    return ids_equal(scope.as_dict())


def attributed_scope(scope: domain.Scope, role: domain.Role | None) -> domain.Scope:
    """With both a user and an agent, what the user said belongs to the user and what the assistant said to
    the agent (Mem0's dual attribution); otherwise the scope as given."""
    if not (scope.user_id and scope.agent_id):
        return scope
    if role is domain.Role.ASSISTANT:
        return dataclasses.replace(scope, user_id=None)
    return dataclasses.replace(scope, agent_id=None)


def similar_memories_filter(scope: domain.Scope) -> FilterNode | None:
    """Where reconciliation looks for existing memories: the user's or the agent's when both are given."""
    if not (scope.user_id and scope.agent_id):
        return scope_filter(scope)
    owners = Or((Condition("user_id", Op.EQ, scope.user_id), Condition("agent_id", Op.EQ, scope.agent_id)))
    return conjoin(owners, scope_filter(dataclasses.replace(scope, user_id=None, agent_id=None)))


def require_entity_filter(node: FilterNode | None, field: str = "filters") -> None:
    if not fields_of(node) & SCOPE_FILTER_FIELDS:
        raise InvalidArgument(f"{field}: at least one of user_id, agent_id, app_id, run_id is required", field=field)


def _is_expired(memory: domain.Memory, today: date) -> bool:
    return memory.expiration_date is not None and memory.expiration_date < today


class Orchestrator:
    def __init__(self, metadata: MetadataClient, vectors: VectorSearchClient, extraction: ExtractionClient) -> None:
        self._metadata = metadata
        self._vectors = vectors
        self._extraction = extraction

    # --- identity ---------------------------------------------------------------------------

    async def authenticate(self, api_key: str) -> domain.Tenant:
        return await self._metadata.authenticate(api_key)

    # --- add --------------------------------------------------------------------------------

    async def add(self, tenant: domain.Tenant, command: AddCommand) -> AddOutcome:
        if not command.messages:
            raise InvalidArgument("messages: at least one message is required", field="messages")
        if command.scope.is_empty():
            raise InvalidArgument(
                "user_id, agent_id, app_id or run_id: at least one is required to add memories",
                field="user_id",
            )
        started = time.perf_counter()
        created = datetime.now(UTC)
        event_id = str(uuid.uuid4())
        if command.infer:
            changes = await self._add_inferred(tenant, command)
        else:
            changes = await self._add_verbatim(tenant, command)
        latency_ms = (time.perf_counter() - started) * 1000
        await self._metadata.record_event(
            tenant,
            domain.Event(
                id=event_id,
                event_type="ADD",
                status=domain.EventStatus.SUCCEEDED,
                results=changes,
                error=None,
                created_at=created,
                started_at=created,
                completed_at=datetime.now(UTC),
                latency_ms=latency_ms,
            ),
        )
        log.info("memories.added", event_id=event_id, changes=len(changes), infer=command.infer)
        return AddOutcome(event_id=event_id, changes=changes)

    async def _add_verbatim(self, tenant: domain.Tenant, command: AddCommand) -> list[domain.MemoryChange]:
        new = [
            self._new_memory(
                command, attributed_scope(command.scope, message.role), message.content, [], message.name, message.role
            )
            for message in command.messages
            if message.role is not domain.Role.SYSTEM and message.content.strip()
        ]
        stored = await self._store_new(tenant, new, command.messages)
        return [
            domain.MemoryChange(m.id, m.memory, domain.MemoryEvent.ADD, actor_id=m.actor_id, role=m.role)
            for m in stored
        ]

    async def _add_inferred(self, tenant: domain.Tenant, command: AddCommand) -> list[domain.MemoryChange]:
        project, (recent, _) = await asyncio.gather(
            self._metadata.get_project(tenant),
            self._metadata.list_memories(tenant, scope_filter(command.scope), 1, RECENT_CONTEXT_MEMORIES, False),
        )
        facts = await self._extraction.extract_facts(
            tenant,
            command.messages,
            command.scope,
            # The project's instructions always apply; the call's come after them.
            custom_instructions="\n".join(filter(None, [project.custom_instructions, command.custom_instructions])),
            # The call's categories replace the project's for this call.
            custom_categories=command.custom_categories or project.custom_categories or {},
            includes=command.includes,
            excludes=command.excludes,
            recent_memories=[memory.memory for memory in recent],
        )
        if not facts:
            return []
        candidates = await self._similar_memories(tenant, facts, similar_memories_filter(command.scope))
        actions = await self._extraction.reconcile(tenant, facts, candidates)
        return await self._apply(tenant, command, facts, actions)

    async def _similar_memories(
        self, tenant: domain.Tenant, facts: Sequence[Fact], where: FilterNode | None
    ) -> list[Candidate]:
        wide = FORGET_CANDIDATES_PER_FACT if any(fact.forget for fact in facts) else RECONCILE_CANDIDATES_PER_FACT
        hits_per_fact = [
            hits if fact.forget else hits[:RECONCILE_CANDIDATES_PER_FACT]
            for fact, hits in zip(
                facts, await self._vectors.search(tenant, [fact.text for fact in facts], where, wide), strict=True
            )
        ]
        ids = list(dict.fromkeys(hit.memory_id for hits in hits_per_fact for hit in hits))
        records = {memory.id: memory for memory in await self._metadata.get_memories(tenant, ids)}
        return [
            Candidate(hit.memory_id, records[hit.memory_id].memory, hit.score, records[hit.memory_id].immutable, index)
            for index, hits in enumerate(hits_per_fact)
            for hit in hits
            if hit.memory_id in records
        ]

    async def _apply(
        self, tenant: domain.Tenant, command: AddCommand, facts: Sequence[Fact], actions: Sequence[MemoryAction]
    ) -> list[domain.MemoryChange]:
        adds = [
            self._new_memory(
                command,
                attributed_scope(command.scope, facts[action.fact_index].attributed_to),
                action.text,
                facts[action.fact_index].categories,
                None,
                facts[action.fact_index].attributed_to,
            )
            for action in actions
            if action.event is domain.MemoryEvent.ADD and action.text.strip()
        ]
        updates = [
            MemoryPatch(memory_id=action.memory_id, text=action.text, respect_immutable=True)
            for action in actions
            if action.event is domain.MemoryEvent.UPDATE and action.memory_id and action.text.strip()
        ]
        deletes = [
            action.memory_id for action in actions if action.event is domain.MemoryEvent.DELETE and action.memory_id
        ]
        stored, updated, deleted = await asyncio.gather(
            self._store_new(tenant, adds, command.messages),
            self._apply_updates(tenant, updates, command.messages),
            self._delete(tenant, ids=deletes, respect_immutable=True, messages=command.messages)
            if deletes
            else _nothing(),
        )
        changes = [domain.MemoryChange(m.id, m.memory, domain.MemoryEvent.ADD, role=m.role) for m in stored]
        changes += [
            domain.MemoryChange(m.id, m.memory, domain.MemoryEvent.UPDATE, previous_memory=previous)
            for m, previous in updated
        ]
        changes += [domain.MemoryChange(m.id, m.memory, domain.MemoryEvent.DELETE) for m in deleted]
        return changes

    def _new_memory(
        self,
        command: AddCommand,
        scope: domain.Scope,
        text: str,
        categories: list[str],
        actor_id: str | None,
        role: domain.Role | None,
    ) -> NewMemory:
        return NewMemory(
            id=str(uuid.uuid4()),
            text=text,
            scope=scope,
            metadata=command.metadata,
            categories=categories,
            immutable=command.immutable,
            expiration_date=command.expiration_date,
            created_at=command.created_at,
            actor_id=actor_id,
            role=role,
        )

    async def _store_new(
        self, tenant: domain.Tenant, new: Sequence[NewMemory], messages: Sequence[domain.Message]
    ) -> list[domain.Memory]:
        """Write records, then vectors; if the vectors fail, take the records back out."""
        if not new:
            return []
        stored = await self._metadata.create_memories(tenant, new, messages)
        try:
            await self._vectors.upsert(tenant, [_vector_record(memory) for memory in stored])
        except MemgridError:
            ids = [m.id for m in stored]
            await self._metadata.delete_memories(tenant, ids=ids)
            # The vector write may have landed before it failed (e.g. at the flush): take it back too.
            with contextlib.suppress(MemgridError):
                await self._vectors.delete(tenant, ids)
            raise
        return stored

    async def _apply_updates(
        self, tenant: domain.Tenant, patches: Sequence[MemoryPatch], messages: Sequence[domain.Message] = ()
    ) -> list[tuple[domain.Memory, str]]:
        if not patches:
            return []
        updated = await self._metadata.update_memories(tenant, patches, messages)
        await self._vectors.upsert(tenant, [_vector_record(memory) for memory, _ in updated])
        return updated

    async def _delete(
        self,
        tenant: domain.Tenant,
        *,
        ids: Sequence[str] = (),
        node: FilterNode | None = None,
        everything: bool = False,
        respect_immutable: bool = False,
        messages: Sequence[domain.Message] = (),
    ) -> list[domain.Memory]:
        deleted = await self._metadata.delete_memories(
            tenant,
            ids=ids,
            node=node,
            everything=everything,
            respect_immutable=respect_immutable,
            messages=messages,
        )
        await self._vectors.delete(tenant, [memory.id for memory in deleted])
        return deleted

    # --- read -------------------------------------------------------------------------------

    async def search(self, tenant: domain.Tenant, command: SearchCommand) -> list[domain.ScoredMemory]:
        if not command.query.strip():
            raise InvalidArgument("query: must not be empty", field="query")
        if command.require_entity:
            require_entity_filter(command.filter)
        node = conjoin(
            command.filter,
            Condition("categories", Op.IN, tuple(command.categories)) if command.categories else None,
        )
        query = without_entity_names(command.query, command.filter)
        if command.keyword_search:
            wide = max(HYBRID_CANDIDATES, command.top_k)
            dense, lexical = await asyncio.gather(
                self._dense_hits(tenant, query, node, wide + SEARCH_OVERFETCH, command.show_expired),
                self._metadata.search_text(tenant, query, node, wide, command.show_expired),
            )
            hits = fuse_rrf(dense, lexical)
        else:
            hits = await self._dense_hits(tenant, query, node, command.top_k + SEARCH_OVERFETCH, command.show_expired)
        # Only what can still make the cut is hydrated (fusion returns up to 2 x HYBRID_CANDIDATES hits).
        hits = [hit for hit in hits if hit.score >= command.threshold][: command.top_k + SEARCH_OVERFETCH]
        records = {m.id: m for m in await self._metadata.get_memories(tenant, [hit.memory_id for hit in hits])}
        today = datetime.now(UTC).date()
        results = [
            domain.ScoredMemory(records[hit.memory_id], hit.score)
            for hit in hits
            if hit.memory_id in records and (command.show_expired or not _is_expired(records[hit.memory_id], today))
        ]
        return results[: command.top_k]

    async def _dense_hits(
        self, tenant: domain.Tenant, query: str, node: FilterNode | None, fetch: int, show_expired: bool
    ) -> list[VectorHit]:
        if runs_in_vector_store(node, VECTOR_FILTER_OPS):
            return (await self._vectors.search(tenant, [query], node, fetch))[0]
        candidate_ids = await self._metadata.find_memory_ids(tenant, node, show_expired)
        return (await self._vectors.search(tenant, [query], None, fetch, candidate_ids))[0]

    async def list_memories(self, tenant: domain.Tenant, command: ListCommand) -> MemoryPage:
        memories, total = await self._metadata.list_memories(
            tenant, command.filter, command.page, command.page_size, command.show_expired
        )
        return MemoryPage(memories, total, command.page, command.page_size)

    async def get_memory(self, tenant: domain.Tenant, memory_id: str) -> domain.Memory:
        found = await self._metadata.get_memories(tenant, [memory_id])
        if not found:
            raise NotFound(f"memory {memory_id} not found", field="memory_id")
        return found[0]

    async def history(self, tenant: domain.Tenant, memory_id: str) -> list[domain.HistoryEntry]:
        return await self._metadata.list_history(tenant, memory_id)

    # --- change -----------------------------------------------------------------------------

    async def update_memory(self, tenant: domain.Tenant, patch: MemoryPatch) -> domain.Memory:
        if patch.changes_nothing():
            raise InvalidArgument(
                "at least one of text, metadata, expiration_date, timestamp is required", field="text"
            )
        if patch.text is not None and not patch.text.strip():
            raise InvalidArgument("text: must not be empty", field="text")
        await self._existing_mutable(tenant, [patch.memory_id], "memory_id")
        updated = await self._apply_updates(tenant, [patch])
        if not updated:
            raise NotFound(f"memory {patch.memory_id} not found", field="memory_id")
        return updated[0][0]

    async def _existing_mutable(self, tenant: domain.Tenant, ids: Sequence[str], field: str) -> list[domain.Memory]:
        """All of these memories, or NotFound naming the missing ones; InvalidArgument if any is immutable."""
        found = await self._existing(tenant, ids, field)
        immutable = [memory.id for memory in found if memory.immutable]
        if immutable:
            raise InvalidArgument(
                f"{field}: immutable memories cannot be updated: {', '.join(immutable[:10])}", field=field
            )
        return found

    async def _existing(self, tenant: domain.Tenant, ids: Sequence[str], field: str) -> list[domain.Memory]:
        found = await self._metadata.get_memories(tenant, ids)
        missing = sorted(set(ids) - {memory.id for memory in found})
        if missing:
            raise NotFound(f"{field}: memory not found: {', '.join(missing[:10])}", field=field)
        return found

    async def batch_update(self, tenant: domain.Tenant, patches: Sequence[MemoryPatch]) -> int:
        _check_batch(patches, "memories")
        for index, patch in enumerate(patches):
            if patch.text is None and patch.metadata is None:
                raise InvalidArgument(f"memories[{index}]: text or metadata is required", field="memories")
            if patch.text is not None and not patch.text.strip():
                raise InvalidArgument(f"memories[{index}].text: must not be empty", field="memories")
        # All or nothing: every id must exist and be mutable before anything changes.
        await self._existing_mutable(tenant, [p.memory_id for p in patches], "memories")
        return len(await self._apply_updates(tenant, patches))

    async def delete_memory(self, tenant: domain.Tenant, memory_id: str) -> int:
        deleted = await self._delete(tenant, ids=[memory_id])
        if not deleted:
            raise NotFound(f"memory {memory_id} not found", field="memory_id")
        return len(deleted)

    async def batch_delete(self, tenant: domain.Tenant, memory_ids: Sequence[str]) -> int:
        _check_batch(memory_ids, "memories")
        await self._existing(tenant, memory_ids, "memories")
        return len(await self._delete(tenant, ids=memory_ids))

    async def delete_all(self, tenant: domain.Tenant, node: FilterNode | None) -> int:
        require_entity_filter(node)
        return len(await self._delete(tenant, node=node))

    # --- entities and project -----------------------------------------------------------------

    async def list_entities(
        self, tenant: domain.Tenant, kind: domain.EntityType | None, page: int, page_size: int
    ) -> domain.EntityPage:
        return await self._metadata.list_entities(tenant, kind, page, page_size)

    async def create_entity(
        self, tenant: domain.Tenant, kind: domain.EntityType, name: str, metadata: dict | None
    ) -> domain.Entity:
        return await self._metadata.create_entity(tenant, kind, name, metadata)

    async def get_project(self, tenant: domain.Tenant) -> domain.Project:
        return await self._metadata.get_project(tenant)

    async def update_project(self, tenant: domain.Tenant, changes: domain.ProjectChanges) -> domain.Project:
        return await self._metadata.update_project(tenant, changes)

    async def feedback(
        self, tenant: domain.Tenant, memory_id: str, feedback: str | None, reason: str | None
    ) -> domain.Feedback:
        if not memory_id:
            raise InvalidArgument("memory_id: must not be empty", field="memory_id")
        return await self._metadata.record_feedback(tenant, memory_id, feedback, reason)

    async def delete_entity(self, tenant: domain.Tenant, kind: domain.EntityType, name: str) -> int:
        found, memories = await self._metadata.delete_entity(tenant, kind, name)
        if not found:
            raise NotFound(f"{kind.value} {name} not found", field="entity_id")
        await self._vectors.delete(tenant, [m.id for m in memories])
        return len(memories)

    async def reset(self, tenant: domain.Tenant) -> int:
        """Delete every memory of the project, then every entity."""
        deleted = len(await self._delete(tenant, everything=True))
        for _ in range(MAX_RESET_ROUNDS):
            page = await self._metadata.list_entities(tenant, None, 1, MAX_BATCH)
            if not page.entities:
                break
            for entity in page.entities:
                await self._metadata.delete_entity(tenant, entity.type, entity.name)
        return deleted

    # --- events -------------------------------------------------------------------------------

    async def get_event(self, tenant: domain.Tenant, event_id: str) -> domain.Event:
        return await self._metadata.get_event(tenant, event_id)

    async def list_events(
        self, tenant: domain.Tenant, status: domain.EventStatus | None, page: int, page_size: int
    ) -> tuple[list[domain.Event], int]:
        return await self._metadata.list_events(tenant, status, page, page_size)


def _vector_record(memory: domain.Memory) -> VectorRecord:
    return VectorRecord(
        memory_id=memory.id,
        text=memory.memory,
        scope=memory.scope,
        created_at=memory.created_at,
        updated_at=memory.updated_at,
        categories=memory.categories,
    )


def _check_batch(items: Sequence[object], field: str) -> None:
    if not items:
        raise InvalidArgument(f"{field}: at least one item is required", field=field)
    if len(items) > MAX_BATCH:
        raise InvalidArgument(f"{field}: at most {MAX_BATCH} items per batch", field=field)


async def _nothing() -> list[domain.Memory]:
    return []
