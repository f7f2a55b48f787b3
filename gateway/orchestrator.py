"""The orchestrator: every memory operation, composed from the three internal services.

Both public surfaces (gRPC MemoryService and the REST API) call this one class; it speaks domain types only.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime

import structlog

from gateway import add_payload
from gateway.clients import ExtractionClient, MetadataClient, VectorSearchClient
from gateway.commands import (
    AddCommand,
    AddOutcome,
    EntitySummary,
    ListCommand,
    MemoryPage,
    ProjectStats,
    SearchCommand,
)
from gateway.exports import export_fields
from gateway.idempotency import ADD_OUTCOME, COUNT, IdempotentRunner
from gateway.limits import InputLimits
from gateway.query import without_entity_names
from gateway.ranking import HYBRID_CANDIDATES, fuse_rrf
from gateway.rerank import RerankCandidate, Reranker, RerankSettings, TemporalBoost, rerank_candidates
from gateway.vector_sync import Acknowledger, vector_record
from libs import domain
from libs.domain import Candidate, Fact, MemoryAction, MemoryPatch, NewMemory, VectorHit
from libs.errors import AlreadyExists, InvalidArgument, MemgridError, NotFound
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
# Hits hydrated beyond the memories still needed, so that a dropped (expired, orphaned) hit rarely costs a
# second metadata call.
HYDRATE_MARGIN = 2
# Bounds the entity clean-up loop of reset (RESET_PAGE_SIZE entities a round).
MAX_RESET_ROUNDS = 1000
RESET_PAGE_SIZE = 1000
# Most memories one export (or summary) reads, and the page it reads them by.
MAX_EXPORT_MEMORIES = 10_000
EXPORT_PAGE_SIZE = 1000
# Newest memories a summary shows per entity.
SUMMARY_RECENT_MEMORIES = 5


@dataclasses.dataclass(frozen=True, slots=True)
class MemoryIds:
    """Ids of what one add writes: random, or derived from the claim of the request's idempotency key (`seed`)
    so that a re-run of the same request produces the same ids."""

    seed: str | None

    @property
    def derived(self) -> bool:
        return self.seed is not None

    def memory_id(self, index: int) -> str:
        if self.seed is None:
            return str(uuid.uuid4())
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"memgrid:add:{self.seed}:memory:{index}"))

    def event_id(self) -> str:
        if self.seed is None:
            return str(uuid.uuid4())
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"memgrid:add:{self.seed}:event"))


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


# Categories one add may give its (verbatim) memories, and characters in one category name.
MAX_GIVEN_CATEGORIES = 100
MAX_CATEGORY_CHARS = 200


def _check_given_categories(command: AddCommand) -> None:
    if not command.categories:
        return
    if command.infer:
        raise InvalidArgument(
            "categories: only with infer=false (extraction chooses the categories)", field="categories"
        )
    if len(command.categories) > MAX_GIVEN_CATEGORIES:
        raise InvalidArgument(
            f"categories: at most {MAX_GIVEN_CATEGORIES}, got {len(command.categories)}", field="categories"
        )
    for index, name in enumerate(command.categories):
        if not name.strip() or len(name) > MAX_CATEGORY_CHARS:
            raise InvalidArgument(
                f"categories[{index}]: a non-empty name of at most {MAX_CATEGORY_CHARS} characters", field="categories"
            )


def require_entity_filter(node: FilterNode | None, field: str = "filters") -> None:
    if not fields_of(node) & SCOPE_FILTER_FIELDS:
        raise InvalidArgument(f"{field}: at least one of user_id, agent_id, app_id, run_id is required", field=field)


def with_message_ids(messages: Sequence[domain.Message], event_id: str) -> list[domain.Message]:
    """The messages, each with an id: the caller's, else `<event id>:<index>` (index in the add's messages)."""
    return [
        message if message.id else dataclasses.replace(message, id=f"{event_id}:{index}")
        for index, message in enumerate(messages)
    ]


def source_ids(messages: Sequence[domain.Message]) -> list[str]:
    """The ids of the messages facts can come from (system messages instruct, they are no source)."""
    return [m.id for m in messages if m.id and m.role is not domain.Role.SYSTEM and m.content.strip()]


def _is_expired(memory: domain.Memory, today: date) -> bool:
    return memory.expiration_date is not None and memory.expiration_date < today


class Orchestrator:
    def __init__(
        self,
        metadata: MetadataClient,
        vectors: VectorSearchClient,
        extraction: ExtractionClient,
        idempotency: IdempotentRunner,
        limits: InputLimits,
        reranker: Reranker,
        rerank_settings: RerankSettings,
        acknowledger: Acknowledger,
        on_job_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self._metadata = metadata
        self._vectors = vectors
        # Vector-sync acknowledgements go out in the background, after the write has answered.
        self._acks = acknowledger
        self._extraction = extraction
        self._idempotency = idempotency
        self._limits = limits
        self._reranker = reranker
        self._rerank_settings = rerank_settings
        # Wakes this gateway's job workers at once (others find the job when they next poll).
        self._on_job_queued = on_job_queued

    # --- identity ---------------------------------------------------------------------------

    async def authenticate(self, api_key: str) -> domain.Caller:
        return await self._metadata.authenticate(api_key)

    # --- add --------------------------------------------------------------------------------

    async def add(
        self, tenant: domain.Tenant, command: AddCommand, *, idempotency_key: str | None = None
    ) -> AddOutcome:
        """Add memories; with an idempotency key, a repeat within 24 h returns the first outcome."""
        self._check_add(command)
        # With a key, ids derive from its claim: a run that takes over the key of a run that died mid-way finds
        # the records that run wrote instead of writing them twice.
        return await self._idempotency.run(
            tenant,
            idempotency_key,
            "add",
            command,
            lambda claim_id: self._add(tenant, command, MemoryIds(claim_id)),
            ADD_OUTCOME,
        )

    async def add_async(self, tenant: domain.Tenant, command: AddCommand, *, idempotency_key: str | None = None) -> str:
        """Validate the add and queue it as a job (gateway/jobs.py runs it); the event id (= job id) to follow.
        With an idempotency key, a repeat within 24 h returns the first event id and queues nothing."""
        self._check_add(command)
        outcome = await self._idempotency.run(
            tenant,
            idempotency_key,
            "add_async",
            command,
            lambda _claim: self._enqueue_add(tenant, command),
            ADD_OUTCOME,
        )
        return outcome.event_id

    async def _enqueue_add(self, tenant: domain.Tenant, command: AddCommand) -> AddOutcome:
        job_id = str(uuid.uuid4())
        event = domain.Event(
            id=job_id,
            event_type="ADD",
            status=domain.EventStatus.PENDING,
            results=[],
            error=None,
            created_at=datetime.now(UTC),
        )
        await self._metadata.enqueue_job(tenant, job_id, "ADD", add_payload.encode(command), event)
        self._on_job_queued()
        log.info("memories.add_queued", event_id=job_id)
        return AddOutcome(event_id=job_id, changes=[])

    async def run_add_job(self, tenant: domain.Tenant, job_id: str, command: AddCommand) -> list[domain.MemoryChange]:
        """The changes of a queued add. Ids derive from the job id, so a run after one that died mid-way finds
        the records that run wrote instead of writing them twice. The caller records the event."""
        return await self._changes(tenant, command, MemoryIds(f"job:{job_id}"), job_id)

    def _check_add(self, command: AddCommand) -> None:
        if not command.messages:
            raise InvalidArgument("messages: at least one message is required", field="messages")
        if command.scope.is_empty():
            raise InvalidArgument(
                "user_id, agent_id, app_id or run_id: at least one is required to add memories",
                field="user_id",
            )
        self._limits.messages(command.messages)
        self._limits.metadata(command.metadata)
        _check_given_categories(command)

    async def _changes(
        self, tenant: domain.Tenant, command: AddCommand, ids: MemoryIds, event_id: str
    ) -> list[domain.MemoryChange]:
        """The changes of an add; messages without an id of their own are named `<event_id>:<index>`."""
        command = dataclasses.replace(command, messages=with_message_ids(command.messages, event_id))
        if command.infer:
            return await self._add_inferred(tenant, command, ids)
        return await self._add_verbatim(tenant, command, ids)

    async def _add(self, tenant: domain.Tenant, command: AddCommand, ids: MemoryIds) -> AddOutcome:
        started = time.perf_counter()
        created = datetime.now(UTC)
        event_id = ids.event_id()
        changes = await self._changes(tenant, command, ids, event_id)
        await self._record_event(tenant, event_id, "ADD", changes, created, started)
        log.info("memories.added", event_id=event_id, changes=len(changes), infer=command.infer)
        return AddOutcome(event_id=event_id, changes=changes)

    async def _record_event(
        self,
        tenant: domain.Tenant,
        event_id: str,
        event_type: str,
        changes: list[domain.MemoryChange],
        created: datetime,
        started: float,
    ) -> None:
        """Record a finished operation (ADD, UPDATE, DELETE) as a SUCCEEDED event with its changes: the
        activity feed (`GET /v1/events/`, the dashboard) shows every write, not only adds."""
        await self._metadata.record_event(
            tenant,
            domain.Event(
                id=event_id,
                event_type=event_type,
                status=domain.EventStatus.SUCCEEDED,
                results=changes,
                error=None,
                created_at=created,
                started_at=created,
                completed_at=datetime.now(UTC),
                latency_ms=(time.perf_counter() - started) * 1000,
            ),
        )

    async def _recorded_updates(self, tenant: domain.Tenant, patches: Sequence[MemoryPatch]) -> list[domain.Memory]:
        """Apply caller-requested updates and record them as one UPDATE event."""
        started, created = time.perf_counter(), datetime.now(UTC)
        updated = await self._apply_updates(tenant, patches)
        if updated:
            changes = [
                domain.MemoryChange(memory.id, memory.memory, domain.MemoryEvent.UPDATE, previous_memory=previous)
                for memory, previous in updated
            ]
            await self._record_event(tenant, str(uuid.uuid4()), "UPDATE", changes, created, started)
        return [memory for memory, _ in updated]

    async def _recorded_deletes(self, tenant: domain.Tenant, deleting: Awaitable[list[domain.Memory]]) -> int:
        """Await a caller-requested delete and record what it deleted as one DELETE event."""
        started, created = time.perf_counter(), datetime.now(UTC)
        deleted = await deleting
        if deleted:
            changes = [domain.MemoryChange(m.id, m.memory, domain.MemoryEvent.DELETE) for m in deleted]
            await self._record_event(tenant, str(uuid.uuid4()), "DELETE", changes, created, started)
        return len(deleted)

    async def _add_verbatim(
        self, tenant: domain.Tenant, command: AddCommand, ids: MemoryIds
    ) -> list[domain.MemoryChange]:
        kept = [m for m in command.messages if m.role is not domain.Role.SYSTEM and m.content.strip()]
        new = [
            self._new_memory(
                command,
                ids.memory_id(index),
                attributed_scope(command.scope, message.role),
                message.content,
                list(command.categories),
                message.name,
                message.role,
                [message.id] if message.id else [],
            )
            for index, message in enumerate(kept)
        ]
        stored = await self._store_new(tenant, new, command.messages, replay=ids.derived)
        return [
            domain.MemoryChange(m.id, m.memory, domain.MemoryEvent.ADD, actor_id=m.actor_id, role=m.role)
            for m in stored
        ]

    async def _add_inferred(
        self, tenant: domain.Tenant, command: AddCommand, ids: MemoryIds
    ) -> list[domain.MemoryChange]:
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
        return await self._apply(tenant, command, facts, actions, ids)

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
        self,
        tenant: domain.Tenant,
        command: AddCommand,
        facts: Sequence[Fact],
        actions: Sequence[MemoryAction],
        ids: MemoryIds,
    ) -> list[domain.MemoryChange]:
        added = [action for action in actions if action.event is domain.MemoryEvent.ADD and action.text.strip()]
        # Facts are drawn from the whole conversation: each one's provenance is every message the add was given.
        sources = source_ids(command.messages)
        adds = [
            self._new_memory(
                command,
                ids.memory_id(index),
                attributed_scope(command.scope, facts[action.fact_index].attributed_to),
                action.text,
                facts[action.fact_index].categories,
                None,
                facts[action.fact_index].attributed_to,
                sources,
            )
            for index, action in enumerate(added)
        ]
        updates = [
            MemoryPatch(
                memory_id=action.memory_id, text=action.text, respect_immutable=True, add_source_message_ids=sources
            )
            for action in actions
            if action.event is domain.MemoryEvent.UPDATE and action.memory_id and action.text.strip()
        ]
        deletes = [
            action.memory_id for action in actions if action.event is domain.MemoryEvent.DELETE and action.memory_id
        ]
        stored, updated, deleted = await asyncio.gather(
            # Extracted facts are stored once per scope: concurrent adds of the same fact cannot both store it
            # (mem0ai/mem0#6515). Verbatim adds store what they are given; retries use an idempotency key.
            self._store_new(tenant, adds, command.messages, skip_duplicates=True, replay=ids.derived),
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
        memory_id: str,
        scope: domain.Scope,
        text: str,
        categories: list[str],
        actor_id: str | None,
        role: domain.Role | None,
        source_message_ids: list[str],
    ) -> NewMemory:
        return NewMemory(
            id=memory_id,
            text=text,
            scope=scope,
            metadata=command.metadata,
            categories=categories,
            immutable=command.immutable,
            expiration_date=command.expiration_date,
            created_at=command.created_at,
            actor_id=actor_id,
            role=role,
            source_message_ids=source_message_ids,
        )

    async def _store_new(
        self,
        tenant: domain.Tenant,
        new: Sequence[NewMemory],
        messages: Sequence[domain.Message],
        *,
        skip_duplicates: bool = False,
        replay: bool = False,
    ) -> list[domain.Memory]:
        """Write records (with their outbox entries), then vectors, then acknowledge; if the vectors fail, take
        the records back out. Whatever a crash interrupts, the vector-sync reconciler finishes.

        With `replay` (ids derived from an idempotency key), records that already exist under these ids were
        written by an earlier run of the same request that died: they are taken as this run's."""
        if not new:
            return []
        try:
            stored = await self._metadata.create_memories(tenant, new, messages, skip_duplicates=skip_duplicates)
        except AlreadyExists:
            if not replay:
                raise
            found = {m.id: m for m in await self._metadata.get_memories(tenant, [m.id for m in new])}
            stored = [found[m.id] for m in new if m.id in found]
            log.info("memories.replayed", count=len(stored))
        if not stored:
            return []
        try:
            await self._vectors.upsert(tenant, [vector_record(memory) for memory in stored])
        except MemgridError:
            ids = [m.id for m in stored]
            deleted = await self._metadata.delete_memories(tenant, ids=ids)
            # The vector write may have landed before it failed (e.g. the answer was lost): take it back too.
            with contextlib.suppress(MemgridError):
                await self._vectors.delete(tenant, ids)
                self._acks.acknowledge(tenant, deleted)
            raise
        self._acks.acknowledge(tenant, stored)
        return stored

    async def _apply_updates(
        self, tenant: domain.Tenant, patches: Sequence[MemoryPatch], messages: Sequence[domain.Message] = ()
    ) -> list[tuple[domain.Memory, str]]:
        if not patches:
            return []
        updated = await self._metadata.update_memories(tenant, patches, messages)
        if updated:
            await self._vectors.upsert(tenant, [vector_record(memory) for memory, _ in updated])
            self._acks.acknowledge(tenant, [memory for memory, _ in updated])
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
        if deleted:
            await self._vectors.delete(tenant, [memory.id for memory in deleted])
            self._acks.acknowledge(tenant, deleted)
        return deleted

    # --- read -------------------------------------------------------------------------------

    async def search(self, tenant: domain.Tenant, command: SearchCommand) -> list[domain.ScoredMemory]:
        if not command.query.strip():
            raise InvalidArgument("query: must not be empty", field="query")
        self._limits.text(command.query, "query")
        self._limits.top_k(command.top_k)
        if command.require_entity:
            require_entity_filter(command.filter)
        node = conjoin(
            command.filter,
            Condition("categories", Op.IN, tuple(command.categories)) if command.categories else None,
        )
        query = without_entity_names(command.query, command.filter)
        # A reranked search orders a wider first stage (mem0ai/mem0#6448).
        wanted = rerank_candidates(command.top_k) if command.rerank else command.top_k
        if command.keyword_search:
            wide = max(HYBRID_CANDIDATES, wanted)
            dense, lexical = await asyncio.gather(
                self._dense_hits(tenant, query, node, _vector_fetch(wide), command.show_expired),
                self._metadata.search_text(tenant, query, node, wide, command.show_expired),
            )
            hits = fuse_rrf(dense, lexical)
        else:
            hits = await self._dense_hits(tenant, query, node, _vector_fetch(wanted), command.show_expired)
        # Only what can still make the cut is hydrated (fusion returns up to 2 x HYBRID_CANDIDATES hits). The
        # threshold applies to the final score (after the temporal boost or reranking).
        hits = hits[: wanted + SEARCH_OVERFETCH]
        boost = TemporalBoost(self._rerank_settings, command.query, command.reference_date)
        if command.rerank:
            # A reranker sees exactly its candidate set.
            results = (await self._hydrated(tenant, hits, command.show_expired, enough=wanted))[:wanted]
        elif boost.applies:
            # The temporal boost may lift any hydrated memory into top_k.
            results = await self._hydrated(tenant, hits, command.show_expired)
        else:
            # The hits are best first and keep their scores: the answer is the first top_k memories that exist,
            # are not expired and reach the threshold.
            enough = await self._hydrated(
                tenant, hits, command.show_expired, enough=command.top_k, threshold=command.threshold
            )
            return enough[: command.top_k]
        results = await self._second_stage(command, boost, results)
        return [result for result in results if result.score >= command.threshold][: command.top_k]

    async def _hydrated(
        self,
        tenant: domain.Tenant,
        hits: Sequence[VectorHit],
        show_expired: bool,
        *,
        enough: int | None = None,
        threshold: float | None = None,
    ) -> list[domain.ScoredMemory]:
        """The hits' memories in hit order, without ids no record has (any more) and, unless `show_expired`,
        expired ones. With `enough`, hits are hydrated a batch at a time until that many memories (reaching
        `threshold`, which cuts the best-first list) are found: most searches fetch top_k records, not all hits."""
        today = datetime.now(UTC).date()
        results: list[domain.ScoredMemory] = []
        start = 0
        while start < len(hits):
            end = len(hits) if enough is None else min(len(hits), start + enough - len(results) + HYDRATE_MARGIN)
            batch = hits[start:end]
            start = end
            if threshold is not None:
                batch = [hit for hit in batch if hit.score >= threshold]
                if not batch:
                    break
            records = {m.id: m for m in await self._metadata.get_memories(tenant, [hit.memory_id for hit in batch])}
            results += [
                domain.ScoredMemory(records[hit.memory_id], hit.score)
                for hit in batch
                if hit.memory_id in records and (show_expired or not _is_expired(records[hit.memory_id], today))
            ]
            if enough is not None and len(results) >= enough:
                break
        return results

    async def _second_stage(
        self, command: SearchCommand, boost: TemporalBoost, results: list[domain.ScoredMemory]
    ) -> list[domain.ScoredMemory]:
        """The reranker (`rerank: true`), else the temporal boost (the caller checked that it applies)."""
        candidates = [RerankCandidate(r.memory.memory, r.memory.created_at, r.score) for r in results]
        if command.rerank:
            scores = await self._reranker.rerank(command.query, candidates, command.reference_date)
        else:
            scores = [boost(candidate, candidate.score) for candidate in candidates]
        rescored = [domain.ScoredMemory(r.memory, score) for r, score in zip(results, scores, strict=True)]
        # Stable: equal scores keep the first-stage order.
        return sorted(rescored, key=lambda r: -r.score)

    async def _dense_hits(
        self, tenant: domain.Tenant, query: str, node: FilterNode | None, fetch: int, show_expired: bool
    ) -> list[VectorHit]:
        if runs_in_vector_store(node, VECTOR_FILTER_OPS):
            return (await self._vectors.search(tenant, [query], node, fetch))[0]
        candidate_ids = await self._metadata.find_memory_ids(tenant, node, show_expired)
        return (await self._vectors.search(tenant, [query], None, fetch, candidate_ids))[0]

    async def list_memories(self, tenant: domain.Tenant, command: ListCommand) -> MemoryPage:
        self._limits.page(command.page, command.page_size)
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
        self._limits.text(patch.text or "", "text")
        self._limits.metadata(patch.metadata)
        await self._existing_mutable(tenant, [patch.memory_id], "memory_id")
        updated = await self._recorded_updates(tenant, [patch])
        if not updated:
            raise NotFound(f"memory {patch.memory_id} not found", field="memory_id")
        return updated[0]

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

    async def batch_update(
        self, tenant: domain.Tenant, patches: Sequence[MemoryPatch], *, idempotency_key: str | None = None
    ) -> int:
        return await self._idempotency.run(
            tenant,
            idempotency_key,
            "batch_update",
            [dataclasses.asdict(patch) for patch in patches],
            lambda _claim: self._batch_update(tenant, patches),
            COUNT,
        )

    async def _batch_update(self, tenant: domain.Tenant, patches: Sequence[MemoryPatch]) -> int:
        self._limits.batch(patches, "memories")
        for index, patch in enumerate(patches):
            if patch.text is None and patch.metadata is None:
                raise InvalidArgument(f"memories[{index}]: text or metadata is required", field="memories")
            if patch.text is not None and not patch.text.strip():
                raise InvalidArgument(f"memories[{index}].text: must not be empty", field="memories")
            self._limits.text(patch.text or "", f"memories[{index}].text")
            self._limits.metadata(patch.metadata, f"memories[{index}].metadata")
        # All or nothing: every id must exist and be mutable before anything changes.
        await self._existing_mutable(tenant, [p.memory_id for p in patches], "memories")
        return len(await self._recorded_updates(tenant, patches))

    async def delete_memory(self, tenant: domain.Tenant, memory_id: str) -> int:
        deleted = await self._recorded_deletes(tenant, self._delete(tenant, ids=[memory_id]))
        if not deleted:
            raise NotFound(f"memory {memory_id} not found", field="memory_id")
        return deleted

    async def batch_delete(
        self, tenant: domain.Tenant, memory_ids: Sequence[str], *, idempotency_key: str | None = None
    ) -> int:
        return await self._idempotency.run(
            tenant,
            idempotency_key,
            "batch_delete",
            list(memory_ids),
            lambda _claim: self._batch_delete(tenant, memory_ids),
            COUNT,
        )

    async def _batch_delete(self, tenant: domain.Tenant, memory_ids: Sequence[str]) -> int:
        self._limits.batch(memory_ids, "memories")
        await self._existing(tenant, memory_ids, "memories")
        return await self._recorded_deletes(tenant, self._delete(tenant, ids=memory_ids))

    async def delete_all(self, tenant: domain.Tenant, node: FilterNode | None) -> int:
        require_entity_filter(node)
        return await self._recorded_deletes(tenant, self._delete(tenant, node=node))

    # --- entities and project -----------------------------------------------------------------

    async def list_entities(
        self, tenant: domain.Tenant, kind: domain.EntityType | None, page: int, page_size: int
    ) -> domain.EntityPage:
        self._limits.page(page, page_size)
        return await self._metadata.list_entities(tenant, kind, page, page_size)

    async def create_entity(
        self, tenant: domain.Tenant, kind: domain.EntityType, name: str, metadata: dict | None
    ) -> domain.Entity:
        self._limits.metadata(metadata)
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
        return await self._recorded_deletes(tenant, self._delete_entity(tenant, kind, name))

    async def _delete_entity(self, tenant: domain.Tenant, kind: domain.EntityType, name: str) -> list[domain.Memory]:
        found, memories = await self._metadata.delete_entity(tenant, kind, name)
        if not found:
            raise NotFound(f"{kind.value} {name} not found", field="entity_id")
        if memories:
            await self._vectors.delete(tenant, [m.id for m in memories])
            self._acks.acknowledge(tenant, memories)
        return memories

    async def reset(self, tenant: domain.Tenant) -> int:
        """Delete every memory of the project, then every entity."""
        deleted = await self._recorded_deletes(tenant, self._delete(tenant, everything=True))
        for _ in range(MAX_RESET_ROUNDS):
            page = await self._metadata.list_entities(tenant, None, 1, RESET_PAGE_SIZE)
            if not page.entities:
                break
            for entity in page.entities:
                await self._metadata.delete_entity(tenant, entity.type, entity.name)
        return deleted

    # --- members ------------------------------------------------------------------------------

    async def list_members(self, tenant: domain.Tenant) -> list[domain.ProjectMember]:
        return await self._metadata.list_members(tenant)

    async def add_member(self, tenant: domain.Tenant, email: str, role: domain.MemberRole) -> domain.ProjectMember:
        return await self._metadata.add_member(tenant, email, role)

    async def update_member(self, tenant: domain.Tenant, email: str, role: domain.MemberRole) -> domain.ProjectMember:
        return await self._metadata.update_member(tenant, email, role)

    async def remove_member(self, tenant: domain.Tenant, email: str) -> domain.ProjectMember:
        return await self._metadata.remove_member(tenant, email)

    # --- events -------------------------------------------------------------------------------

    async def get_event(self, tenant: domain.Tenant, event_id: str) -> domain.Event:
        return await self._metadata.get_event(tenant, event_id)

    async def list_events(
        self, tenant: domain.Tenant, status: domain.EventStatus | None, page: int, page_size: int
    ) -> tuple[list[domain.Event], int]:
        self._limits.page(page, page_size)
        return await self._metadata.list_events(tenant, status, page, page_size)

    # --- webhooks (deliveries are queued by the memory writes themselves; gateway/webhooks.py sends them) -----

    async def list_webhooks(self, tenant: domain.Tenant) -> list[domain.Webhook]:
        return await self._metadata.list_webhooks(tenant)

    async def create_webhook(
        self,
        tenant: domain.Tenant,
        *,
        name: str,
        url: str,
        event_types: Sequence[domain.WebhookEventType],
        owner: str | None,
    ) -> domain.Webhook:
        return await self._metadata.create_webhook(tenant, name=name, url=url, event_types=event_types, owner=owner)

    async def update_webhook(
        self, tenant: domain.Tenant, webhook_id: str, changes: domain.WebhookChanges
    ) -> domain.Webhook:
        return await self._metadata.update_webhook(tenant, webhook_id, changes)

    async def delete_webhook(self, tenant: domain.Tenant, webhook_id: str) -> domain.Webhook:
        return await self._metadata.delete_webhook(tenant, webhook_id)

    async def list_webhook_deliveries(
        self, tenant: domain.Tenant, webhook_id: str, page: int, page_size: int
    ) -> tuple[list[domain.WebhookDelivery], int]:
        self._limits.page(page, page_size)
        return await self._metadata.list_webhook_deliveries(tenant, webhook_id, page, page_size)

    # --- exports, summary, stats -----------------------------------------------------------------

    async def create_export(self, tenant: domain.Tenant, schema: str, node: FilterNode | None) -> domain.MemoryExport:
        export_fields(schema)  # refused here (400 naming `schema`) rather than when the export is fetched
        return await self._metadata.create_export(tenant, str(uuid.uuid4()), schema, node)

    async def get_export(
        self, tenant: domain.Tenant, export_id: str
    ) -> tuple[domain.MemoryExport, list[domain.Memory]]:
        """The stored export and the memories its filter matches now (at most MAX_EXPORT_MEMORIES)."""
        if not export_id:
            raise InvalidArgument("memory_export_id: must not be empty", field="memory_export_id")
        export = await self._metadata.get_export(tenant, export_id)
        return export, await self.memories_under(tenant, export.filter)

    async def memories_under(self, tenant: domain.Tenant, node: FilterNode | None) -> list[domain.Memory]:
        """Every memory under the filter, newest first, at most MAX_EXPORT_MEMORIES."""
        found: list[domain.Memory] = []
        for page in range(1, MAX_EXPORT_MEMORIES // EXPORT_PAGE_SIZE + 1):
            memories, total = await self._metadata.list_memories(tenant, node, page, EXPORT_PAGE_SIZE, True)
            found += memories
            if len(memories) < EXPORT_PAGE_SIZE or len(found) >= total:
                break
        return found[:MAX_EXPORT_MEMORIES]

    async def summary(self, tenant: domain.Tenant, node: FilterNode | None) -> list[EntitySummary]:
        """Per entity (user, agent, app, run) under the filters: its memory count and newest memories; most
        memories first."""
        memories = await self.memories_under(tenant, node)
        groups: dict[tuple[domain.EntityType, str], list[domain.Memory]] = {}
        for memory in memories:
            for kind in domain.EntityType:
                name = getattr(memory.scope, f"{kind.value}_id")
                if name:
                    groups.setdefault((kind, name), []).append(memory)
        ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0][0].value, item[0][1]))
        return [
            EntitySummary(kind, name, len(items), items[:SUMMARY_RECENT_MEMORIES]) for (kind, name), items in ordered
        ]

    async def stats(self, tenant: domain.Tenant) -> ProjectStats:
        (_, total), entities, *by_status = await asyncio.gather(
            self._metadata.list_memories(tenant, None, 1, 1, True),
            self._metadata.list_entities(tenant, None, 1, 1),
            *(self._metadata.list_events(tenant, status, 1, 1) for status in domain.EventStatus),
        )
        return ProjectStats(
            total_memories=total,
            entities={kind: entities.totals.get(kind, 0) for kind in domain.EntityType},
            events_by_status={status: count for status, (_, count) in zip(domain.EventStatus, by_status, strict=True)},
        )


def _vector_fetch(wanted: int) -> int:
    """Hits to ask the vector store for: `wanted` plus the over-fetch, within what it serves per query."""
    return min(wanted + SEARCH_OVERFETCH, domain.MAX_VECTOR_HITS)


async def _nothing() -> list[domain.Memory]:
    return []
