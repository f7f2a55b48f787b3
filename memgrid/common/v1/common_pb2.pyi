import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Role(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ROLE_UNSPECIFIED: _ClassVar[Role]
    ROLE_USER: _ClassVar[Role]
    ROLE_ASSISTANT: _ClassVar[Role]
    ROLE_SYSTEM: _ClassVar[Role]
    ROLE_TOOL: _ClassVar[Role]

class MemoryEvent(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMORY_EVENT_UNSPECIFIED: _ClassVar[MemoryEvent]
    MEMORY_EVENT_ADD: _ClassVar[MemoryEvent]
    MEMORY_EVENT_UPDATE: _ClassVar[MemoryEvent]
    MEMORY_EVENT_DELETE: _ClassVar[MemoryEvent]
    MEMORY_EVENT_NONE: _ClassVar[MemoryEvent]

class EntityType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENTITY_TYPE_UNSPECIFIED: _ClassVar[EntityType]
    ENTITY_TYPE_USER: _ClassVar[EntityType]
    ENTITY_TYPE_AGENT: _ClassVar[EntityType]
    ENTITY_TYPE_APP: _ClassVar[EntityType]
    ENTITY_TYPE_RUN: _ClassVar[EntityType]

class EventStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EVENT_STATUS_UNSPECIFIED: _ClassVar[EventStatus]
    EVENT_STATUS_PENDING: _ClassVar[EventStatus]
    EVENT_STATUS_RUNNING: _ClassVar[EventStatus]
    EVENT_STATUS_SUCCEEDED: _ClassVar[EventStatus]
    EVENT_STATUS_FAILED: _ClassVar[EventStatus]

class FilterOperator(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILTER_OPERATOR_UNSPECIFIED: _ClassVar[FilterOperator]
    FILTER_OPERATOR_EQ: _ClassVar[FilterOperator]
    FILTER_OPERATOR_NE: _ClassVar[FilterOperator]
    FILTER_OPERATOR_IN: _ClassVar[FilterOperator]
    FILTER_OPERATOR_NIN: _ClassVar[FilterOperator]
    FILTER_OPERATOR_GT: _ClassVar[FilterOperator]
    FILTER_OPERATOR_GTE: _ClassVar[FilterOperator]
    FILTER_OPERATOR_LT: _ClassVar[FilterOperator]
    FILTER_OPERATOR_LTE: _ClassVar[FilterOperator]
    FILTER_OPERATOR_CONTAINS: _ClassVar[FilterOperator]
    FILTER_OPERATOR_ICONTAINS: _ClassVar[FilterOperator]
    FILTER_OPERATOR_EXISTS: _ClassVar[FilterOperator]

class MemberRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_ROLE_UNSPECIFIED: _ClassVar[MemberRole]
    MEMBER_ROLE_READER: _ClassVar[MemberRole]
    MEMBER_ROLE_OWNER: _ClassVar[MemberRole]

class WebhookEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_EVENT_TYPE_UNSPECIFIED: _ClassVar[WebhookEventType]
    WEBHOOK_EVENT_TYPE_MEMORY_ADD: _ClassVar[WebhookEventType]
    WEBHOOK_EVENT_TYPE_MEMORY_UPDATE: _ClassVar[WebhookEventType]
    WEBHOOK_EVENT_TYPE_MEMORY_DELETE: _ClassVar[WebhookEventType]
    WEBHOOK_EVENT_TYPE_MEMORY_CATEGORIZE: _ClassVar[WebhookEventType]

class WebhookDeliveryStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_DELIVERY_STATUS_UNSPECIFIED: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_PENDING: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_SUCCEEDED: _ClassVar[WebhookDeliveryStatus]
    WEBHOOK_DELIVERY_STATUS_FAILED: _ClassVar[WebhookDeliveryStatus]
ROLE_UNSPECIFIED: Role
ROLE_USER: Role
ROLE_ASSISTANT: Role
ROLE_SYSTEM: Role
ROLE_TOOL: Role
MEMORY_EVENT_UNSPECIFIED: MemoryEvent
MEMORY_EVENT_ADD: MemoryEvent
MEMORY_EVENT_UPDATE: MemoryEvent
MEMORY_EVENT_DELETE: MemoryEvent
MEMORY_EVENT_NONE: MemoryEvent
ENTITY_TYPE_UNSPECIFIED: EntityType
ENTITY_TYPE_USER: EntityType
ENTITY_TYPE_AGENT: EntityType
ENTITY_TYPE_APP: EntityType
ENTITY_TYPE_RUN: EntityType
EVENT_STATUS_UNSPECIFIED: EventStatus
EVENT_STATUS_PENDING: EventStatus
EVENT_STATUS_RUNNING: EventStatus
EVENT_STATUS_SUCCEEDED: EventStatus
EVENT_STATUS_FAILED: EventStatus
FILTER_OPERATOR_UNSPECIFIED: FilterOperator
FILTER_OPERATOR_EQ: FilterOperator
FILTER_OPERATOR_NE: FilterOperator
FILTER_OPERATOR_IN: FilterOperator
FILTER_OPERATOR_NIN: FilterOperator
FILTER_OPERATOR_GT: FilterOperator
FILTER_OPERATOR_GTE: FilterOperator
FILTER_OPERATOR_LT: FilterOperator
FILTER_OPERATOR_LTE: FilterOperator
FILTER_OPERATOR_CONTAINS: FilterOperator
FILTER_OPERATOR_ICONTAINS: FilterOperator
FILTER_OPERATOR_EXISTS: FilterOperator
MEMBER_ROLE_UNSPECIFIED: MemberRole
MEMBER_ROLE_READER: MemberRole
MEMBER_ROLE_OWNER: MemberRole
WEBHOOK_EVENT_TYPE_UNSPECIFIED: WebhookEventType
WEBHOOK_EVENT_TYPE_MEMORY_ADD: WebhookEventType
WEBHOOK_EVENT_TYPE_MEMORY_UPDATE: WebhookEventType
WEBHOOK_EVENT_TYPE_MEMORY_DELETE: WebhookEventType
WEBHOOK_EVENT_TYPE_MEMORY_CATEGORIZE: WebhookEventType
WEBHOOK_DELIVERY_STATUS_UNSPECIFIED: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_PENDING: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_SUCCEEDED: WebhookDeliveryStatus
WEBHOOK_DELIVERY_STATUS_FAILED: WebhookDeliveryStatus

class Tenant(_message.Message):
    __slots__ = ("org_id", "project_id")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    project_id: str
    def __init__(self, org_id: _Optional[str] = ..., project_id: _Optional[str] = ...) -> None: ...

class Scope(_message.Message):
    __slots__ = ("user_id", "agent_id", "app_id", "run_id")
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    user_id: str
    agent_id: str
    app_id: str
    run_id: str
    def __init__(self, user_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., app_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("role", "content", "name", "id")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    role: Role
    content: str
    name: str
    id: str
    def __init__(self, role: _Optional[_Union[Role, str]] = ..., content: _Optional[str] = ..., name: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class Memory(_message.Message):
    __slots__ = ("id", "memory", "hash", "scope", "metadata", "categories", "immutable", "expiration_date", "created_at", "updated_at", "actor_id", "role", "source_message_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    IMMUTABLE_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_MESSAGE_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    memory: str
    hash: str
    scope: Scope
    metadata: _struct_pb2.Struct
    categories: _containers.RepeatedScalarFieldContainer[str]
    immutable: bool
    expiration_date: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    actor_id: str
    role: Role
    source_message_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., memory: _Optional[str] = ..., hash: _Optional[str] = ..., scope: _Optional[_Union[Scope, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., categories: _Optional[_Iterable[str]] = ..., immutable: _Optional[bool] = ..., expiration_date: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor_id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., source_message_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ScoredMemory(_message.Message):
    __slots__ = ("memory", "score")
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    memory: Memory
    score: float
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ..., score: _Optional[float] = ...) -> None: ...

class MemoryChange(_message.Message):
    __slots__ = ("id", "memory", "event", "previous_memory", "actor_id", "role")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_MEMORY_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    memory: str
    event: MemoryEvent
    previous_memory: str
    actor_id: str
    role: Role
    def __init__(self, id: _Optional[str] = ..., memory: _Optional[str] = ..., event: _Optional[_Union[MemoryEvent, str]] = ..., previous_memory: _Optional[str] = ..., actor_id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("id", "memory_id", "old_memory", "new_memory", "event", "input", "scope", "categories", "metadata", "actor_id", "role", "is_deleted", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    OLD_MEMORY_FIELD_NUMBER: _ClassVar[int]
    NEW_MEMORY_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    INPUT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    ACTOR_ID_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    IS_DELETED_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    memory_id: str
    old_memory: str
    new_memory: str
    event: MemoryEvent
    input: _containers.RepeatedCompositeFieldContainer[Message]
    scope: Scope
    categories: _containers.RepeatedScalarFieldContainer[str]
    metadata: _struct_pb2.Struct
    actor_id: str
    role: Role
    is_deleted: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., memory_id: _Optional[str] = ..., old_memory: _Optional[str] = ..., new_memory: _Optional[str] = ..., event: _Optional[_Union[MemoryEvent, str]] = ..., input: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., scope: _Optional[_Union[Scope, _Mapping]] = ..., categories: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., actor_id: _Optional[str] = ..., role: _Optional[_Union[Role, str]] = ..., is_deleted: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Entity(_message.Message):
    __slots__ = ("id", "type", "name", "memory_count", "metadata", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    MEMORY_COUNT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    type: EntityType
    name: str
    memory_count: int
    metadata: _struct_pb2.Struct
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., type: _Optional[_Union[EntityType, str]] = ..., name: _Optional[str] = ..., memory_count: _Optional[int] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Event(_message.Message):
    __slots__ = ("id", "event_type", "status", "results", "error", "created_at", "started_at", "completed_at", "latency_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    event_type: str
    status: EventStatus
    results: _containers.RepeatedCompositeFieldContainer[MemoryChange]
    error: str
    created_at: _timestamp_pb2.Timestamp
    started_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    latency_ms: float
    def __init__(self, id: _Optional[str] = ..., event_type: _Optional[str] = ..., status: _Optional[_Union[EventStatus, str]] = ..., results: _Optional[_Iterable[_Union[MemoryChange, _Mapping]]] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., started_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latency_ms: _Optional[float] = ...) -> None: ...

class FieldCondition(_message.Message):
    __slots__ = ("field", "op", "value")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    field: str
    op: FilterOperator
    value: _struct_pb2.Value
    def __init__(self, field: _Optional[str] = ..., op: _Optional[_Union[FilterOperator, str]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

class FilterGroup(_message.Message):
    __slots__ = ("filters",)
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    filters: _containers.RepeatedCompositeFieldContainer[Filter]
    def __init__(self, filters: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ...) -> None: ...

class Filter(_message.Message):
    __slots__ = ("all", "any", "none", "condition")
    ALL_FIELD_NUMBER: _ClassVar[int]
    ANY_FIELD_NUMBER: _ClassVar[int]
    NONE_FIELD_NUMBER: _ClassVar[int]
    CONDITION_FIELD_NUMBER: _ClassVar[int]
    all: FilterGroup
    any: FilterGroup
    none: FilterGroup
    condition: FieldCondition
    def __init__(self, all: _Optional[_Union[FilterGroup, _Mapping]] = ..., any: _Optional[_Union[FilterGroup, _Mapping]] = ..., none: _Optional[_Union[FilterGroup, _Mapping]] = ..., condition: _Optional[_Union[FieldCondition, _Mapping]] = ...) -> None: ...

class Category(_message.Message):
    __slots__ = ("name", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class CategoryList(_message.Message):
    __slots__ = ("categories",)
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    categories: _containers.RepeatedCompositeFieldContainer[Category]
    def __init__(self, categories: _Optional[_Iterable[_Union[Category, _Mapping]]] = ...) -> None: ...

class ProjectMember(_message.Message):
    __slots__ = ("email", "role", "created_at", "updated_at")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    email: str
    role: MemberRole
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, email: _Optional[str] = ..., role: _Optional[_Union[MemberRole, str]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Project(_message.Message):
    __slots__ = ("org_id", "project_id", "name", "description", "custom_instructions", "custom_categories", "settings", "created_at", "updated_at")
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    org_id: str
    project_id: str
    name: str
    description: str
    custom_instructions: str
    custom_categories: CategoryList
    settings: _struct_pb2.Struct
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, org_id: _Optional[str] = ..., project_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., custom_instructions: _Optional[str] = ..., custom_categories: _Optional[_Union[CategoryList, _Mapping]] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Webhook(_message.Message):
    __slots__ = ("webhook_id", "project_id", "name", "url", "event_types", "owner", "is_active", "created_at", "updated_at", "secret")
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    webhook_id: str
    project_id: str
    name: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[WebhookEventType]
    owner: str
    is_active: bool
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    secret: str
    def __init__(self, webhook_id: _Optional[str] = ..., project_id: _Optional[str] = ..., name: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[_Union[WebhookEventType, str]]] = ..., owner: _Optional[str] = ..., is_active: _Optional[bool] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., secret: _Optional[str] = ...) -> None: ...

class WebhookDeliveryAttempt(_message.Message):
    __slots__ = ("attempt", "at", "status_code", "error", "latency_ms")
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    LATENCY_MS_FIELD_NUMBER: _ClassVar[int]
    attempt: int
    at: _timestamp_pb2.Timestamp
    status_code: int
    error: str
    latency_ms: float
    def __init__(self, attempt: _Optional[int] = ..., at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_code: _Optional[int] = ..., error: _Optional[str] = ..., latency_ms: _Optional[float] = ...) -> None: ...

class WebhookDelivery(_message.Message):
    __slots__ = ("delivery_id", "webhook_id", "event_type", "memory_id", "status", "attempts", "created_at", "next_attempt_at")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_AT_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    webhook_id: str
    event_type: WebhookEventType
    memory_id: str
    status: WebhookDeliveryStatus
    attempts: _containers.RepeatedCompositeFieldContainer[WebhookDeliveryAttempt]
    created_at: _timestamp_pb2.Timestamp
    next_attempt_at: _timestamp_pb2.Timestamp
    def __init__(self, delivery_id: _Optional[str] = ..., webhook_id: _Optional[str] = ..., event_type: _Optional[_Union[WebhookEventType, str]] = ..., memory_id: _Optional[str] = ..., status: _Optional[_Union[WebhookDeliveryStatus, str]] = ..., attempts: _Optional[_Iterable[_Union[WebhookDeliveryAttempt, _Mapping]]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WebhookEventTypeList(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[WebhookEventType]
    def __init__(self, values: _Optional[_Iterable[_Union[WebhookEventType, str]]] = ...) -> None: ...
