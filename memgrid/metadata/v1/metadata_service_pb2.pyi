import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from memgrid.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IdempotencyState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IDEMPOTENCY_STATE_UNSPECIFIED: _ClassVar[IdempotencyState]
    IDEMPOTENCY_STATE_STARTED: _ClassVar[IdempotencyState]
    IDEMPOTENCY_STATE_COMPLETED: _ClassVar[IdempotencyState]
    IDEMPOTENCY_STATE_IN_PROGRESS: _ClassVar[IdempotencyState]

class JobOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_OUTCOME_UNSPECIFIED: _ClassVar[JobOutcome]
    JOB_OUTCOME_SUCCEEDED: _ClassVar[JobOutcome]
    JOB_OUTCOME_RETRY: _ClassVar[JobOutcome]
    JOB_OUTCOME_FAILED: _ClassVar[JobOutcome]
IDEMPOTENCY_STATE_UNSPECIFIED: IdempotencyState
IDEMPOTENCY_STATE_STARTED: IdempotencyState
IDEMPOTENCY_STATE_COMPLETED: IdempotencyState
IDEMPOTENCY_STATE_IN_PROGRESS: IdempotencyState
JOB_OUTCOME_UNSPECIFIED: JobOutcome
JOB_OUTCOME_SUCCEEDED: JobOutcome
JOB_OUTCOME_RETRY: JobOutcome
JOB_OUTCOME_FAILED: JobOutcome

class NewMemory(_message.Message):
    __slots__ = ("id", "text", "scope", "metadata", "categories", "immutable", "expiration_date", "created_at", "actor_id", "role", "source_message_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    IMMUTABLE_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_MESSAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    scope: _common_pb2.Scope
    metadata: _struct_pb2.Struct
    categories: _containers.RepeatedScalarFieldContainer[str]
    immutable: bool
    expiration_date: str
    created_at: _timestamp_pb2.Timestamp
    actor_id: str
    role: _common_pb2.Role
    source_message_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., scope: _Optional[_Union[_common_pb2.Scope, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., categories: _Optional[_Iterable[str]] = ..., immutable: _Optional[bool] = ..., expiration_date: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor_id: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.Role, str]] = ..., source_message_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateMemoriesRequest(_message.Message):
    __slots__ = ("tenant", "memories", "input", "skip_duplicates")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SKIP_DUPLICATES_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    memories: _containers.RepeatedCompositeFieldContainer[NewMemory]
    input: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    skip_duplicates: bool
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., memories: _Optional[_Iterable[_Union[NewMemory, _Mapping]]] = ..., input: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., skip_duplicates: _Optional[bool] = ...) -> None: ...

class CreateMemoriesResponse(_message.Message):
    __slots__ = ("memories",)
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_common_pb2.Memory]
    def __init__(self, memories: _Optional[_Iterable[_Union[_common_pb2.Memory, _Mapping]]] = ...) -> None: ...

class GetMemoriesRequest(_message.Message):
    __slots__ = ("tenant", "memory_ids")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., memory_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class GetMemoriesResponse(_message.Message):
    __slots__ = ("memories",)
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_common_pb2.Memory]
    def __init__(self, memories: _Optional[_Iterable[_Union[_common_pb2.Memory, _Mapping]]] = ...) -> None: ...

class ListMemoriesRequest(_message.Message):
    __slots__ = ("tenant", "filter", "page", "page_size", "show_expired")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SHOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    filter: _common_pb2.Filter
    page: int
    page_size: int
    show_expired: bool
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., show_expired: _Optional[bool] = ...) -> None: ...

class ListMemoriesResponse(_message.Message):
    __slots__ = ("memories", "total_count")
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_common_pb2.Memory]
    total_count: int
    def __init__(self, memories: _Optional[_Iterable[_Union[_common_pb2.Memory, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class FindMemoryIdsRequest(_message.Message):
    __slots__ = ("tenant", "filter", "show_expired")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    SHOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    filter: _common_pb2.Filter
    show_expired: bool
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., show_expired: _Optional[bool] = ...) -> None: ...

class FindMemoryIdsResponse(_message.Message):
    __slots__ = ("memory_ids",)
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, memory_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchTextRequest(_message.Message):
    __slots__ = ("tenant", "query", "filter", "limit", "show_expired")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SHOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    query: str
    filter: _common_pb2.Filter
    limit: int
    show_expired: bool
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., query: _Optional[str] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., limit: _Optional[int] = ..., show_expired: _Optional[bool] = ...) -> None: ...

class TextHit(_message.Message):
    __slots__ = ("memory_id", "score")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    score: float
    def __init__(self, memory_id: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class SearchTextResponse(_message.Message):
    __slots__ = ("hits",)
    HITS_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[TextHit]
    def __init__(self, hits: _Optional[_Iterable[_Union[TextHit, _Mapping]]] = ...) -> None: ...

class MemoryPatch(_message.Message):
    __slots__ = ("memory_id", "text", "metadata", "expiration_date", "clear_expiration_date", "respect_immutable", "created_at", "add_source_message_ids")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    CLEAR_EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    RESPECT_IMMUTABLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ADD_SOURCE_MESSAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    text: str
    metadata: _struct_pb2.Struct
    expiration_date: str
    clear_expiration_date: bool
    respect_immutable: bool
    created_at: _timestamp_pb2.Timestamp
    add_source_message_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, memory_id: _Optional[str] = ..., text: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., expiration_date: _Optional[str] = ..., clear_expiration_date: _Optional[bool] = ..., respect_immutable: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., add_source_message_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateMemoriesRequest(_message.Message):
    __slots__ = ("tenant", "patches", "input")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    PATCHES_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    patches: _containers.RepeatedCompositeFieldContainer[MemoryPatch]
    input: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., patches: _Optional[_Iterable[_Union[MemoryPatch, _Mapping]]] = ..., input: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ...) -> None: ...

class UpdateMemoriesResponse(_message.Message):
    __slots__ = ("memories", "previous_texts")
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_TEXTS_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_common_pb2.Memory]
    previous_texts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, memories: _Optional[_Iterable[_Union[_common_pb2.Memory, _Mapping]]] = ..., previous_texts: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteMemoriesRequest(_message.Message):
    __slots__ = ("tenant", "memory_ids", "filter", "all", "respect_immutable", "input")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    RESPECT_IMMUTABLE_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    filter: _common_pb2.Filter
    all: bool
    respect_immutable: bool
    input: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., memory_ids: _Optional[_Iterable[str]] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., all: _Optional[bool] = ..., respect_immutable: _Optional[bool] = ..., input: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ...) -> None: ...

class DeleteMemoriesResponse(_message.Message):
    __slots__ = ("memories",)
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_common_pb2.Memory]
    def __init__(self, memories: _Optional[_Iterable[_Union[_common_pb2.Memory, _Mapping]]] = ...) -> None: ...

class ListHistoryRequest(_message.Message):
    __slots__ = ("tenant", "memory_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    memory_id: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., memory_id: _Optional[str] = ...) -> None: ...

class ListHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_common_pb2.HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_common_pb2.HistoryEntry, _Mapping]]] = ...) -> None: ...

class ListEntitiesRequest(_message.Message):
    __slots__ = ("tenant", "type", "page", "page_size")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    type: _common_pb2.EntityType
    page: int
    page_size: int
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., type: _Optional[_Union[_common_pb2.EntityType, str]] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListEntitiesResponse(_message.Message):
    __slots__ = ("entities", "total_count", "total_users", "total_agents", "total_apps", "total_runs")
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_USERS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_AGENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_APPS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_RUNS_FIELD_NUMBER: _ClassVar[int]
    entities: _containers.RepeatedCompositeFieldContainer[_common_pb2.Entity]
    total_count: int
    total_users: int
    total_agents: int
    total_apps: int
    total_runs: int
    def __init__(self, entities: _Optional[_Iterable[_Union[_common_pb2.Entity, _Mapping]]] = ..., total_count: _Optional[int] = ..., total_users: _Optional[int] = ..., total_agents: _Optional[int] = ..., total_apps: _Optional[int] = ..., total_runs: _Optional[int] = ...) -> None: ...

class CreateEntityRequest(_message.Message):
    __slots__ = ("tenant", "type", "name", "metadata")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    type: _common_pb2.EntityType
    name: str
    metadata: _struct_pb2.Struct
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., type: _Optional[_Union[_common_pb2.EntityType, str]] = ..., name: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateEntityResponse(_message.Message):
    __slots__ = ("entity",)
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    entity: _common_pb2.Entity
    def __init__(self, entity: _Optional[_Union[_common_pb2.Entity, _Mapping]] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ...) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _common_pb2.Project
    def __init__(self, project: _Optional[_Union[_common_pb2.Project, _Mapping]] = ...) -> None: ...

class UpdateProjectRequest(_message.Message):
    __slots__ = ("tenant", "custom_instructions", "custom_categories", "settings", "name", "description")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    custom_instructions: str
    custom_categories: _common_pb2.CategoryList
    settings: _struct_pb2.Struct
    name: str
    description: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., custom_instructions: _Optional[str] = ..., custom_categories: _Optional[_Union[_common_pb2.CategoryList, _Mapping]] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class UpdateProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _common_pb2.Project
    def __init__(self, project: _Optional[_Union[_common_pb2.Project, _Mapping]] = ...) -> None: ...

class RecordFeedbackRequest(_message.Message):
    __slots__ = ("tenant", "memory_id", "feedback", "feedback_reason")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    memory_id: str
    feedback: str
    feedback_reason: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., memory_id: _Optional[str] = ..., feedback: _Optional[str] = ..., feedback_reason: _Optional[str] = ...) -> None: ...

class RecordFeedbackResponse(_message.Message):
    __slots__ = ("id", "feedback", "feedback_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    feedback: str
    feedback_reason: str
    def __init__(self, id: _Optional[str] = ..., feedback: _Optional[str] = ..., feedback_reason: _Optional[str] = ...) -> None: ...

class DeleteEntityRequest(_message.Message):
    __slots__ = ("tenant", "type", "name")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    type: _common_pb2.EntityType
    name: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., type: _Optional[_Union[_common_pb2.EntityType, str]] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteEntityResponse(_message.Message):
    __slots__ = ("memories", "found")
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    FOUND_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_common_pb2.Memory]
    found: bool
    def __init__(self, memories: _Optional[_Iterable[_Union[_common_pb2.Memory, _Mapping]]] = ..., found: _Optional[bool] = ...) -> None: ...

class RecordEventRequest(_message.Message):
    __slots__ = ("tenant", "event")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    event: _common_pb2.Event
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., event: _Optional[_Union[_common_pb2.Event, _Mapping]] = ...) -> None: ...

class RecordEventResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _common_pb2.Event
    def __init__(self, event: _Optional[_Union[_common_pb2.Event, _Mapping]] = ...) -> None: ...

class GetEventRequest(_message.Message):
    __slots__ = ("tenant", "event_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    event_id: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., event_id: _Optional[str] = ...) -> None: ...

class GetEventResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _common_pb2.Event
    def __init__(self, event: _Optional[_Union[_common_pb2.Event, _Mapping]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("tenant", "status", "page", "page_size")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    status: _common_pb2.EventStatus
    page: int
    page_size: int
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.EventStatus, str]] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "total_count")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_common_pb2.Event]
    total_count: int
    def __init__(self, events: _Optional[_Iterable[_Union[_common_pb2.Event, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class AuthenticateApiKeyRequest(_message.Message):
    __slots__ = ("api_key",)
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    api_key: str
    def __init__(self, api_key: _Optional[str] = ...) -> None: ...

class AuthenticateApiKeyResponse(_message.Message):
    __slots__ = ("tenant", "key_id", "role", "member_email")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    key_id: str
    role: _common_pb2.MemberRole
    member_email: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., key_id: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ..., member_email: _Optional[str] = ...) -> None: ...

class ApiKeyInfo(_message.Message):
    __slots__ = ("key_id", "tenant", "name", "prefix", "created_at", "revoked_at", "role", "member_email")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    REVOKED_AT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    tenant: _common_pb2.Tenant
    name: str
    prefix: str
    created_at: _timestamp_pb2.Timestamp
    revoked_at: _timestamp_pb2.Timestamp
    role: _common_pb2.MemberRole
    member_email: str
    def __init__(self, key_id: _Optional[str] = ..., tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., name: _Optional[str] = ..., prefix: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoked_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ..., member_email: _Optional[str] = ...) -> None: ...

class CreateApiKeyRequest(_message.Message):
    __slots__ = ("tenant", "name", "api_key", "role", "member_email")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    MEMBER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    name: str
    api_key: str
    role: _common_pb2.MemberRole
    member_email: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., name: _Optional[str] = ..., api_key: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ..., member_email: _Optional[str] = ...) -> None: ...

class CreateApiKeyResponse(_message.Message):
    __slots__ = ("key", "api_key")
    KEY_FIELD_NUMBER: _ClassVar[int]
    API_KEY_FIELD_NUMBER: _ClassVar[int]
    key: ApiKeyInfo
    api_key: str
    def __init__(self, key: _Optional[_Union[ApiKeyInfo, _Mapping]] = ..., api_key: _Optional[str] = ...) -> None: ...

class ListApiKeysRequest(_message.Message):
    __slots__ = ("include_revoked",)
    INCLUDE_REVOKED_FIELD_NUMBER: _ClassVar[int]
    include_revoked: bool
    def __init__(self, include_revoked: _Optional[bool] = ...) -> None: ...

class ListApiKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[ApiKeyInfo]
    def __init__(self, keys: _Optional[_Iterable[_Union[ApiKeyInfo, _Mapping]]] = ...) -> None: ...

class RevokeApiKeyRequest(_message.Message):
    __slots__ = ("key_id",)
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    def __init__(self, key_id: _Optional[str] = ...) -> None: ...

class RevokeApiKeyResponse(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: ApiKeyInfo
    def __init__(self, key: _Optional[_Union[ApiKeyInfo, _Mapping]] = ...) -> None: ...

class VectorSync(_message.Message):
    __slots__ = ("tenant", "memory_id", "version")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    memory_id: str
    version: _timestamp_pb2.Timestamp
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., memory_id: _Optional[str] = ..., version: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListPendingVectorSyncsRequest(_message.Message):
    __slots__ = ("min_age_seconds", "limit")
    MIN_AGE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    min_age_seconds: float
    limit: int
    def __init__(self, min_age_seconds: _Optional[float] = ..., limit: _Optional[int] = ...) -> None: ...

class ListPendingVectorSyncsResponse(_message.Message):
    __slots__ = ("syncs",)
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    syncs: _containers.RepeatedCompositeFieldContainer[VectorSync]
    def __init__(self, syncs: _Optional[_Iterable[_Union[VectorSync, _Mapping]]] = ...) -> None: ...

class AckVectorSyncsRequest(_message.Message):
    __slots__ = ("syncs",)
    SYNCS_FIELD_NUMBER: _ClassVar[int]
    syncs: _containers.RepeatedCompositeFieldContainer[VectorSync]
    def __init__(self, syncs: _Optional[_Iterable[_Union[VectorSync, _Mapping]]] = ...) -> None: ...

class AckVectorSyncsResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: int
    def __init__(self, removed: _Optional[int] = ...) -> None: ...

class BeginIdempotentRequestRequest(_message.Message):
    __slots__ = ("tenant", "key", "fingerprint", "lease_seconds", "retention_seconds")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RETENTION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    key: str
    fingerprint: str
    lease_seconds: float
    retention_seconds: float
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., key: _Optional[str] = ..., fingerprint: _Optional[str] = ..., lease_seconds: _Optional[float] = ..., retention_seconds: _Optional[float] = ...) -> None: ...

class BeginIdempotentRequestResponse(_message.Message):
    __slots__ = ("state", "result", "claim_id")
    STATE_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    state: IdempotencyState
    result: str
    claim_id: str
    def __init__(self, state: _Optional[_Union[IdempotencyState, str]] = ..., result: _Optional[str] = ..., claim_id: _Optional[str] = ...) -> None: ...

class FinishIdempotentRequestRequest(_message.Message):
    __slots__ = ("tenant", "key", "succeeded", "result")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SUCCEEDED_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    key: str
    succeeded: bool
    result: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., key: _Optional[str] = ..., succeeded: _Optional[bool] = ..., result: _Optional[str] = ...) -> None: ...

class FinishIdempotentRequestResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ...) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[_common_pb2.ProjectMember]
    def __init__(self, members: _Optional[_Iterable[_Union[_common_pb2.ProjectMember, _Mapping]]] = ...) -> None: ...

class AddMemberRequest(_message.Message):
    __slots__ = ("tenant", "email", "role")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    email: str
    role: _common_pb2.MemberRole
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., email: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ...) -> None: ...

class AddMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.ProjectMember
    def __init__(self, member: _Optional[_Union[_common_pb2.ProjectMember, _Mapping]] = ...) -> None: ...

class UpdateMemberRequest(_message.Message):
    __slots__ = ("tenant", "email", "role")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    email: str
    role: _common_pb2.MemberRole
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., email: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ...) -> None: ...

class UpdateMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.ProjectMember
    def __init__(self, member: _Optional[_Union[_common_pb2.ProjectMember, _Mapping]] = ...) -> None: ...

class RemoveMemberRequest(_message.Message):
    __slots__ = ("tenant", "email")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    email: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., email: _Optional[str] = ...) -> None: ...

class RemoveMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.ProjectMember
    def __init__(self, member: _Optional[_Union[_common_pb2.ProjectMember, _Mapping]] = ...) -> None: ...

class CreateWebhookRequest(_message.Message):
    __slots__ = ("tenant", "name", "url", "event_types", "owner")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    name: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[_common_pb2.WebhookEventType]
    owner: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., name: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[_Union[_common_pb2.WebhookEventType, str]]] = ..., owner: _Optional[str] = ...) -> None: ...

class CreateWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: _common_pb2.Webhook
    def __init__(self, webhook: _Optional[_Union[_common_pb2.Webhook, _Mapping]] = ...) -> None: ...

class ListWebhooksRequest(_message.Message):
    __slots__ = ("tenant",)
    TENANT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ...) -> None: ...

class ListWebhooksResponse(_message.Message):
    __slots__ = ("webhooks",)
    WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    webhooks: _containers.RepeatedCompositeFieldContainer[_common_pb2.Webhook]
    def __init__(self, webhooks: _Optional[_Iterable[_Union[_common_pb2.Webhook, _Mapping]]] = ...) -> None: ...

class UpdateWebhookRequest(_message.Message):
    __slots__ = ("tenant", "webhook_id", "name", "url", "event_types", "is_active")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    webhook_id: str
    name: str
    url: str
    event_types: _common_pb2.WebhookEventTypeList
    is_active: bool
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., webhook_id: _Optional[str] = ..., name: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Union[_common_pb2.WebhookEventTypeList, _Mapping]] = ..., is_active: _Optional[bool] = ...) -> None: ...

class UpdateWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: _common_pb2.Webhook
    def __init__(self, webhook: _Optional[_Union[_common_pb2.Webhook, _Mapping]] = ...) -> None: ...

class DeleteWebhookRequest(_message.Message):
    __slots__ = ("tenant", "webhook_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    webhook_id: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., webhook_id: _Optional[str] = ...) -> None: ...

class DeleteWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: _common_pb2.Webhook
    def __init__(self, webhook: _Optional[_Union[_common_pb2.Webhook, _Mapping]] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("tenant", "webhook_id", "page", "page_size")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    webhook_id: str
    page: int
    page_size: int
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., webhook_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "total_count")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[_common_pb2.WebhookDelivery]
    total_count: int
    def __init__(self, deliveries: _Optional[_Iterable[_Union[_common_pb2.WebhookDelivery, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class DueWebhookDelivery(_message.Message):
    __slots__ = ("delivery_id", "tenant", "webhook_id", "url", "secret", "body", "attempts_made")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_MADE_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    tenant: _common_pb2.Tenant
    webhook_id: str
    url: str
    secret: str
    body: str
    attempts_made: int
    def __init__(self, delivery_id: _Optional[str] = ..., tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., webhook_id: _Optional[str] = ..., url: _Optional[str] = ..., secret: _Optional[str] = ..., body: _Optional[str] = ..., attempts_made: _Optional[int] = ...) -> None: ...

class ClaimWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("limit", "lease_seconds")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    limit: int
    lease_seconds: float
    def __init__(self, limit: _Optional[int] = ..., lease_seconds: _Optional[float] = ...) -> None: ...

class ClaimWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries",)
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[DueWebhookDelivery]
    def __init__(self, deliveries: _Optional[_Iterable[_Union[DueWebhookDelivery, _Mapping]]] = ...) -> None: ...

class WebhookAttemptRecord(_message.Message):
    __slots__ = ("delivery_id", "attempt", "status", "next_attempt_at")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    attempt: _common_pb2.WebhookDeliveryAttempt
    status: _common_pb2.WebhookDeliveryStatus
    next_attempt_at: _timestamp_pb2.Timestamp
    def __init__(self, delivery_id: _Optional[str] = ..., attempt: _Optional[_Union[_common_pb2.WebhookDeliveryAttempt, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.WebhookDeliveryStatus, str]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RecordWebhookAttemptsRequest(_message.Message):
    __slots__ = ("records",)
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[WebhookAttemptRecord]
    def __init__(self, records: _Optional[_Iterable[_Union[WebhookAttemptRecord, _Mapping]]] = ...) -> None: ...

class RecordWebhookAttemptsResponse(_message.Message):
    __slots__ = ("recorded",)
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    recorded: int
    def __init__(self, recorded: _Optional[int] = ...) -> None: ...

class Job(_message.Message):
    __slots__ = ("id", "tenant", "kind", "payload", "attempts", "claim_token", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CLAIM_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    tenant: _common_pb2.Tenant
    kind: str
    payload: str
    attempts: int
    claim_token: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., kind: _Optional[str] = ..., payload: _Optional[str] = ..., attempts: _Optional[int] = ..., claim_token: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EnqueueJobRequest(_message.Message):
    __slots__ = ("tenant", "job_id", "kind", "payload", "event")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    job_id: str
    kind: str
    payload: str
    event: _common_pb2.Event
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., job_id: _Optional[str] = ..., kind: _Optional[str] = ..., payload: _Optional[str] = ..., event: _Optional[_Union[_common_pb2.Event, _Mapping]] = ...) -> None: ...

class EnqueueJobResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ClaimJobsRequest(_message.Message):
    __slots__ = ("limit", "lease_seconds")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LEASE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    limit: int
    lease_seconds: float
    def __init__(self, limit: _Optional[int] = ..., lease_seconds: _Optional[float] = ...) -> None: ...

class ClaimJobsResponse(_message.Message):
    __slots__ = ("jobs",)
    JOBS_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[Job]
    def __init__(self, jobs: _Optional[_Iterable[_Union[Job, _Mapping]]] = ...) -> None: ...

class FinishJobRequest(_message.Message):
    __slots__ = ("tenant", "job_id", "claim_token", "outcome", "retry_after_seconds", "error", "event")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_TOKEN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    job_id: str
    claim_token: str
    outcome: JobOutcome
    retry_after_seconds: float
    error: str
    event: _common_pb2.Event
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., job_id: _Optional[str] = ..., claim_token: _Optional[str] = ..., outcome: _Optional[_Union[JobOutcome, str]] = ..., retry_after_seconds: _Optional[float] = ..., error: _Optional[str] = ..., event: _Optional[_Union[_common_pb2.Event, _Mapping]] = ...) -> None: ...

class FinishJobResponse(_message.Message):
    __slots__ = ("finished",)
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    finished: bool
    def __init__(self, finished: _Optional[bool] = ...) -> None: ...

class MemoryExport(_message.Message):
    __slots__ = ("id", "schema", "filter", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    schema: str
    filter: _common_pb2.Filter
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., schema: _Optional[str] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateExportRequest(_message.Message):
    __slots__ = ("tenant", "export")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EXPORT_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    export: MemoryExport
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., export: _Optional[_Union[MemoryExport, _Mapping]] = ...) -> None: ...

class CreateExportResponse(_message.Message):
    __slots__ = ("export",)
    EXPORT_FIELD_NUMBER: _ClassVar[int]
    export: MemoryExport
    def __init__(self, export: _Optional[_Union[MemoryExport, _Mapping]] = ...) -> None: ...

class GetExportRequest(_message.Message):
    __slots__ = ("tenant", "export_id")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    EXPORT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    export_id: str
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., export_id: _Optional[str] = ...) -> None: ...

class GetExportResponse(_message.Message):
    __slots__ = ("export",)
    EXPORT_FIELD_NUMBER: _ClassVar[int]
    export: MemoryExport
    def __init__(self, export: _Optional[_Union[MemoryExport, _Mapping]] = ...) -> None: ...
