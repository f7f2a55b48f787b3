"""Plain domain types shared by the services and the gateway. No protobuf, no grpc here."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

SCOPE_FIELDS = ("user_id", "agent_id", "app_id", "run_id")
# Most hits one query of the vectorsearch service returns (its contract; the gateway's top_k stays within it).
MAX_VECTOR_HITS = 1000


@dataclass(frozen=True, slots=True)
class Tenant:
    org_id: str
    project_id: str


@dataclass(frozen=True, slots=True)
class Scope:
    user_id: str | None = None
    agent_id: str | None = None
    app_id: str | None = None
    run_id: str | None = None

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in SCOPE_FIELDS)

    def as_dict(self) -> dict[str, str]:
        """The ids that are set, by field name."""
        return {name: value for name in SCOPE_FIELDS if (value := getattr(self, name))}


class Role(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"
    TOOL = "tool"


class MemoryEvent(enum.StrEnum):
    ADD = "ADD"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    NONE = "NONE"


class EntityType(enum.StrEnum):
    USER = "user"
    AGENT = "agent"
    APP = "app"
    RUN = "run"

    @property
    def scope_field(self) -> str:
        return f"{self.value}_id"


class EventStatus(enum.StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str
    name: str | None = None
    # The message's id: the caller's, or `<event id>:<index>` given by the add that received it.
    id: str | None = None


@dataclass(slots=True)
class Memory:
    id: str
    memory: str
    hash: str
    scope: Scope
    metadata: dict[str, Any] | None
    categories: list[str]
    immutable: bool
    expiration_date: date | None
    created_at: datetime
    updated_at: datetime
    actor_id: str | None = None
    role: Role | None = None
    # Provenance: ids of the messages the memory came from (an update by a later add extends them).
    source_message_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ScoredMemory:
    memory: Memory
    score: float


@dataclass(slots=True)
class MemoryChange:
    id: str
    memory: str
    event: MemoryEvent
    previous_memory: str | None = None
    actor_id: str | None = None
    role: Role | None = None


@dataclass(slots=True)
class HistoryEntry:
    id: str
    memory_id: str
    old_memory: str | None
    new_memory: str | None
    event: MemoryEvent
    input: list[Message]
    scope: Scope
    categories: list[str]
    metadata: dict[str, Any] | None
    actor_id: str | None
    role: Role | None
    is_deleted: bool
    created_at: datetime
    updated_at: datetime | None


@dataclass(slots=True)
class Entity:
    id: str
    type: EntityType
    name: str
    memory_count: int
    metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class EntityPage:
    entities: list[Entity]
    total_count: int
    totals: dict[EntityType, int] = field(default_factory=dict)


@dataclass(slots=True)
class Event:
    id: str
    event_type: str
    status: EventStatus
    results: list[MemoryChange]
    error: str | None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    latency_ms: float | None = None


class MemberRole(enum.StrEnum):
    """A project member's role, as Mem0 names it."""

    READER = "READER"
    OWNER = "OWNER"

    @property
    def can_write(self) -> bool:
        return self is MemberRole.OWNER


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    key_id: str
    tenant: Tenant
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    # The key's own role (used when it has no member).
    role: MemberRole = MemberRole.OWNER
    # The member the key was created for: the key then has the member's current role.
    member_email: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectMember:
    email: str
    role: MemberRole
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Caller:
    """Who an API key speaks for: its project, what it may do, and its key id (and member, if any)."""

    tenant: Tenant
    role: MemberRole
    key_id: str
    member_email: str | None = None


# --- write requests shared by the gateway and the metadata service ------------------------------


@dataclass(slots=True)
class NewMemory:
    """A memory to store; the caller chooses the id."""

    id: str
    text: str
    scope: Scope
    metadata: dict[str, Any] | None = None
    categories: list[str] | None = None
    immutable: bool = False
    expiration_date: date | None = None
    created_at: datetime | None = None
    actor_id: str | None = None
    role: Role | None = None
    source_message_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class MemoryPatch:
    """A change to one memory. None means "leave as is"."""

    memory_id: str
    text: str | None = None
    metadata: dict[str, Any] | None = None
    expiration_date: date | None = None
    clear_expiration_date: bool = False
    # Mem0's `timestamp` on update moves the memory's creation time.
    created_at: datetime | None = None
    respect_immutable: bool = False
    # Message ids appended to the memory's provenance (an add whose messages updated it).
    add_source_message_ids: list[str] = field(default_factory=list)

    def changes_nothing(self) -> bool:
        return (
            self.text is None
            and self.metadata is None
            and self.expiration_date is None
            and not self.clear_expiration_date
            and self.created_at is None
        )


@dataclass(slots=True)
class UpdatedMemory:
    memory: Memory
    previous_text: str


# --- extraction: facts, candidates and the actions decided for them ------------------------------


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact phrased as a standalone memory ("Is allergic to nuts")."""

    text: str
    attributed_to: Role | None
    categories: list[str] = field(default_factory=list)
    # A request to forget the memories `text` describes, not a fact to store.
    forget: bool = False


@dataclass(frozen=True, slots=True)
class Candidate:
    """An existing memory similar to the fact at `fact_index`."""

    memory_id: str
    text: str
    score: float
    immutable: bool
    fact_index: int


@dataclass(frozen=True, slots=True)
class MemoryAction:
    """One decided change. memory_id is empty for ADD; text is the text to store for ADD/UPDATE."""

    event: MemoryEvent
    memory_id: str
    text: str
    fact_index: int


# --- vectors -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VectorRecord:
    """One memory to embed and store in the vector index, with the fields searches pre-filter on."""

    memory_id: str
    text: str
    scope: Scope
    created_at: datetime
    updated_at: datetime
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VectorHit:
    memory_id: str
    score: float


# --- projects and feedback ---------------------------------------------------------------------


@dataclass(slots=True)
class Project:
    tenant: Tenant
    name: str
    description: str
    custom_instructions: str
    # Category name → description; None means the Mem0 defaults.
    custom_categories: dict[str, str] | None
    # Other Mem0 project settings (multilingual, decay, ...), kept as given.
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime | None = None


@dataclass(slots=True)
class ProjectChanges:
    """A change to project settings; None leaves a field as it is."""

    custom_instructions: str | None = None
    custom_categories: dict[str, str] | None = None
    settings: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


FEEDBACK_VALUES = ("POSITIVE", "NEGATIVE", "VERY_NEGATIVE")


@dataclass(frozen=True, slots=True)
class Feedback:
    id: str
    memory_id: str
    feedback: str | None
    feedback_reason: str | None


# --- consistency: the vector-sync outbox and idempotency keys -------------------------------------


@dataclass(frozen=True, slots=True)
class VectorSync:
    """A memory whose vector must be brought in line with its record (upserted, or deleted with it).

    `version` is the memory's updated_at when the change was written; acknowledging it removes that change and
    older ones of the memory, never newer ones."""

    tenant: Tenant
    memory_id: str
    version: datetime


class IdempotencyState(enum.StrEnum):
    STARTED = "STARTED"
    COMPLETED = "COMPLETED"
    IN_PROGRESS = "IN_PROGRESS"


@dataclass(frozen=True, slots=True)
class IdempotencyClaim:
    """What claiming an idempotency key found: STARTED (run the request), COMPLETED (replay `result`) or
    IN_PROGRESS (another request with the key is running)."""

    state: IdempotencyState
    claim_id: str
    result: str | None = None


# --- webhooks ---------------------------------------------------------------------------------------


class WebhookEventType(enum.StrEnum):
    MEMORY_ADD = "memory_add"
    MEMORY_UPDATE = "memory_update"
    MEMORY_DELETE = "memory_delete"
    # A memory was stored with categories (categories are assigned when a memory is added).
    MEMORY_CATEGORIZE = "memory_categorize"


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Webhook:
    id: str
    project_id: str
    name: str
    url: str
    event_types: list[WebhookEventType]
    owner: str | None
    is_active: bool
    created_at: datetime
    updated_at: datetime
    # The signing secret: only set in the answer to create (it is never shown again).
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookChanges:
    """What an update changes; None leaves a field as it is."""

    name: str | None = None
    url: str | None = None
    event_types: list[WebhookEventType] | None = None
    is_active: bool | None = None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    attempt: int
    at: datetime
    # The receiver's HTTP status, None when no response came (error says why).
    status_code: int | None
    error: str | None
    latency_ms: float


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    id: str
    webhook_id: str
    event_type: WebhookEventType
    memory_id: str
    status: DeliveryStatus
    attempts: list[DeliveryAttempt]
    created_at: datetime
    # When the next attempt is due; None once the delivery succeeded or failed for good.
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery claimed by a dispatcher: where to POST what, and how many attempts were made before."""

    id: str
    tenant: Tenant
    webhook_id: str
    url: str
    secret: str
    body: str
    attempts_made: int


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """A dispatcher's report of one attempt: the attempt itself, and the delivery's state after it."""

    delivery_id: str
    attempt: DeliveryAttempt
    status: DeliveryStatus
    next_attempt_at: datetime | None


# --- the job queue (asynchronous adds) and exports -------------------------------------------------


class JobOutcome(enum.StrEnum):
    SUCCEEDED = "SUCCEEDED"
    RETRY = "RETRY"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed job: its id is also its event's id; `payload` is the command (JSON, the gateway's format)."""

    id: str
    tenant: Tenant
    kind: str
    payload: str
    attempts: int
    claim_token: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MemoryExport:
    """An export's specification: the JSON schema text naming the fields, and the filter (a v2 filter AST)."""

    id: str
    schema: str
    filter: Any
    created_at: datetime
