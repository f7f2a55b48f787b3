from google.protobuf import struct_pb2 as _struct_pb2
from memgrid.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Feedback(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FEEDBACK_UNSPECIFIED: _ClassVar[Feedback]
    FEEDBACK_POSITIVE: _ClassVar[Feedback]
    FEEDBACK_NEGATIVE: _ClassVar[Feedback]
    FEEDBACK_VERY_NEGATIVE: _ClassVar[Feedback]
FEEDBACK_UNSPECIFIED: Feedback
FEEDBACK_POSITIVE: Feedback
FEEDBACK_NEGATIVE: Feedback
FEEDBACK_VERY_NEGATIVE: Feedback

class PingRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PingResponse(_message.Message):
    __slots__ = ("status", "org_id", "project_id", "user_email", "role")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    USER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    status: str
    org_id: str
    project_id: str
    user_email: str
    role: _common_pb2.MemberRole
    def __init__(self, status: _Optional[str] = ..., org_id: _Optional[str] = ..., project_id: _Optional[str] = ..., user_email: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ...) -> None: ...

class AddMemoriesRequest(_message.Message):
    __slots__ = ("messages", "scope", "metadata", "infer", "async_mode", "custom_categories", "custom_instructions", "includes", "excludes", "immutable", "expiration_date", "timestamp", "request_id", "categories")
    class CustomCategoriesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    INFER_FIELD_NUMBER: _ClassVar[int]
    ASYNC_MODE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    INCLUDES_FIELD_NUMBER: _ClassVar[int]
    EXCLUDES_FIELD_NUMBER: _ClassVar[int]
    IMMUTABLE_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    scope: _common_pb2.Scope
    metadata: _struct_pb2.Struct
    infer: bool
    async_mode: bool
    custom_categories: _containers.ScalarMap[str, str]
    custom_instructions: str
    includes: str
    excludes: str
    immutable: bool
    expiration_date: str
    timestamp: int
    request_id: str
    categories: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, messages: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., scope: _Optional[_Union[_common_pb2.Scope, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., infer: _Optional[bool] = ..., async_mode: _Optional[bool] = ..., custom_categories: _Optional[_Mapping[str, str]] = ..., custom_instructions: _Optional[str] = ..., includes: _Optional[str] = ..., excludes: _Optional[str] = ..., immutable: _Optional[bool] = ..., expiration_date: _Optional[str] = ..., timestamp: _Optional[int] = ..., request_id: _Optional[str] = ..., categories: _Optional[_Iterable[str]] = ...) -> None: ...

class AddMemoriesResponse(_message.Message):
    __slots__ = ("status", "event_id", "results")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.EventStatus
    event_id: str
    results: _containers.RepeatedCompositeFieldContainer[_common_pb2.MemoryChange]
    def __init__(self, status: _Optional[_Union[_common_pb2.EventStatus, str]] = ..., event_id: _Optional[str] = ..., results: _Optional[_Iterable[_Union[_common_pb2.MemoryChange, _Mapping]]] = ...) -> None: ...

class SearchMemoriesRequest(_message.Message):
    __slots__ = ("query", "filter", "top_k", "threshold", "rerank", "keyword_search", "categories", "fields", "show_expired", "reference_date")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    RERANK_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_SEARCH_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    SHOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_DATE_FIELD_NUMBER: _ClassVar[int]
    query: str
    filter: _common_pb2.Filter
    top_k: int
    threshold: float
    rerank: bool
    keyword_search: bool
    categories: _containers.RepeatedScalarFieldContainer[str]
    fields: _containers.RepeatedScalarFieldContainer[str]
    show_expired: bool
    reference_date: str
    def __init__(self, query: _Optional[str] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., top_k: _Optional[int] = ..., threshold: _Optional[float] = ..., rerank: _Optional[bool] = ..., keyword_search: _Optional[bool] = ..., categories: _Optional[_Iterable[str]] = ..., fields: _Optional[_Iterable[str]] = ..., show_expired: _Optional[bool] = ..., reference_date: _Optional[str] = ...) -> None: ...

class SearchMemoriesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_common_pb2.ScoredMemory]
    def __init__(self, results: _Optional[_Iterable[_Union[_common_pb2.ScoredMemory, _Mapping]]] = ...) -> None: ...

class ListMemoriesRequest(_message.Message):
    __slots__ = ("filter", "page", "page_size", "show_expired")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    SHOW_EXPIRED_FIELD_NUMBER: _ClassVar[int]
    filter: _common_pb2.Filter
    page: int
    page_size: int
    show_expired: bool
    def __init__(self, filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ..., show_expired: _Optional[bool] = ...) -> None: ...

class ListMemoriesResponse(_message.Message):
    __slots__ = ("memories", "total_count", "page", "page_size")
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[_common_pb2.Memory]
    total_count: int
    page: int
    page_size: int
    def __init__(self, memories: _Optional[_Iterable[_Union[_common_pb2.Memory, _Mapping]]] = ..., total_count: _Optional[int] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class GetMemoryRequest(_message.Message):
    __slots__ = ("memory_id",)
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    def __init__(self, memory_id: _Optional[str] = ...) -> None: ...

class GetMemoryResponse(_message.Message):
    __slots__ = ("memory",)
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: _common_pb2.Memory
    def __init__(self, memory: _Optional[_Union[_common_pb2.Memory, _Mapping]] = ...) -> None: ...

class UpdateMemoryRequest(_message.Message):
    __slots__ = ("memory_id", "text", "metadata", "expiration_date", "clear_expiration_date", "timestamp")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    CLEAR_EXPIRATION_DATE_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    text: str
    metadata: _struct_pb2.Struct
    expiration_date: str
    clear_expiration_date: bool
    timestamp: int
    def __init__(self, memory_id: _Optional[str] = ..., text: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., expiration_date: _Optional[str] = ..., clear_expiration_date: _Optional[bool] = ..., timestamp: _Optional[int] = ...) -> None: ...

class UpdateMemoryResponse(_message.Message):
    __slots__ = ("memory",)
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: _common_pb2.Memory
    def __init__(self, memory: _Optional[_Union[_common_pb2.Memory, _Mapping]] = ...) -> None: ...

class DeleteMemoryRequest(_message.Message):
    __slots__ = ("memory_id", "delete_linked")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    DELETE_LINKED_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    delete_linked: bool
    def __init__(self, memory_id: _Optional[str] = ..., delete_linked: _Optional[bool] = ...) -> None: ...

class DeleteMemoryResponse(_message.Message):
    __slots__ = ("message", "deleted_count")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    message: str
    deleted_count: int
    def __init__(self, message: _Optional[str] = ..., deleted_count: _Optional[int] = ...) -> None: ...

class DeleteAllMemoriesRequest(_message.Message):
    __slots__ = ("filter",)
    FILTER_FIELD_NUMBER: _ClassVar[int]
    filter: _common_pb2.Filter
    def __init__(self, filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ...) -> None: ...

class DeleteAllMemoriesResponse(_message.Message):
    __slots__ = ("message", "deleted_count")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    message: str
    deleted_count: int
    def __init__(self, message: _Optional[str] = ..., deleted_count: _Optional[int] = ...) -> None: ...

class GetMemoryHistoryRequest(_message.Message):
    __slots__ = ("memory_id",)
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    def __init__(self, memory_id: _Optional[str] = ...) -> None: ...

class GetMemoryHistoryResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_common_pb2.HistoryEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_common_pb2.HistoryEntry, _Mapping]]] = ...) -> None: ...

class MemoryUpdate(_message.Message):
    __slots__ = ("memory_id", "text", "metadata")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    text: str
    metadata: _struct_pb2.Struct
    def __init__(self, memory_id: _Optional[str] = ..., text: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class BatchUpdateMemoriesRequest(_message.Message):
    __slots__ = ("updates", "request_id")
    UPDATES_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    updates: _containers.RepeatedCompositeFieldContainer[MemoryUpdate]
    request_id: str
    def __init__(self, updates: _Optional[_Iterable[_Union[MemoryUpdate, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchUpdateMemoriesResponse(_message.Message):
    __slots__ = ("message", "updated_count")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    message: str
    updated_count: int
    def __init__(self, message: _Optional[str] = ..., updated_count: _Optional[int] = ...) -> None: ...

class BatchDeleteMemoriesRequest(_message.Message):
    __slots__ = ("memory_ids", "request_id")
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    def __init__(self, memory_ids: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchDeleteMemoriesResponse(_message.Message):
    __slots__ = ("message", "deleted_count")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    message: str
    deleted_count: int
    def __init__(self, message: _Optional[str] = ..., deleted_count: _Optional[int] = ...) -> None: ...

class ListEntitiesRequest(_message.Message):
    __slots__ = ("type", "page", "page_size")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    type: _common_pb2.EntityType
    page: int
    page_size: int
    def __init__(self, type: _Optional[_Union[_common_pb2.EntityType, str]] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

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
    __slots__ = ("type", "name", "metadata")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    type: _common_pb2.EntityType
    name: str
    metadata: _struct_pb2.Struct
    def __init__(self, type: _Optional[_Union[_common_pb2.EntityType, str]] = ..., name: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class CreateEntityResponse(_message.Message):
    __slots__ = ("entity",)
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    entity: _common_pb2.Entity
    def __init__(self, entity: _Optional[_Union[_common_pb2.Entity, _Mapping]] = ...) -> None: ...

class DeleteEntityRequest(_message.Message):
    __slots__ = ("type", "name")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    type: _common_pb2.EntityType
    name: str
    def __init__(self, type: _Optional[_Union[_common_pb2.EntityType, str]] = ..., name: _Optional[str] = ...) -> None: ...

class DeleteEntityResponse(_message.Message):
    __slots__ = ("message", "deleted_count")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    message: str
    deleted_count: int
    def __init__(self, message: _Optional[str] = ..., deleted_count: _Optional[int] = ...) -> None: ...

class ResetProjectRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResetProjectResponse(_message.Message):
    __slots__ = ("message", "deleted_count")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    message: str
    deleted_count: int
    def __init__(self, message: _Optional[str] = ..., deleted_count: _Optional[int] = ...) -> None: ...

class GetProjectRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _common_pb2.Project
    def __init__(self, project: _Optional[_Union[_common_pb2.Project, _Mapping]] = ...) -> None: ...

class UpdateProjectRequest(_message.Message):
    __slots__ = ("custom_instructions", "custom_categories", "settings", "name", "description")
    CUSTOM_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    SETTINGS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    custom_instructions: str
    custom_categories: _common_pb2.CategoryList
    settings: _struct_pb2.Struct
    name: str
    description: str
    def __init__(self, custom_instructions: _Optional[str] = ..., custom_categories: _Optional[_Union[_common_pb2.CategoryList, _Mapping]] = ..., settings: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class UpdateProjectResponse(_message.Message):
    __slots__ = ("project",)
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    project: _common_pb2.Project
    def __init__(self, project: _Optional[_Union[_common_pb2.Project, _Mapping]] = ...) -> None: ...

class GetEventRequest(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class GetEventResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _common_pb2.Event
    def __init__(self, event: _Optional[_Union[_common_pb2.Event, _Mapping]] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("status", "page", "page_size")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    status: _common_pb2.EventStatus
    page: int
    page_size: int
    def __init__(self, status: _Optional[_Union[_common_pb2.EventStatus, str]] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "total_count")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_common_pb2.Event]
    total_count: int
    def __init__(self, events: _Optional[_Iterable[_Union[_common_pb2.Event, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class WatchEventRequest(_message.Message):
    __slots__ = ("event_id",)
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    def __init__(self, event_id: _Optional[str] = ...) -> None: ...

class WatchEventResponse(_message.Message):
    __slots__ = ("event",)
    EVENT_FIELD_NUMBER: _ClassVar[int]
    event: _common_pb2.Event
    def __init__(self, event: _Optional[_Union[_common_pb2.Event, _Mapping]] = ...) -> None: ...

class SubmitFeedbackRequest(_message.Message):
    __slots__ = ("memory_id", "feedback", "feedback_reason")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    feedback: Feedback
    feedback_reason: str
    def __init__(self, memory_id: _Optional[str] = ..., feedback: _Optional[_Union[Feedback, str]] = ..., feedback_reason: _Optional[str] = ...) -> None: ...

class SubmitFeedbackResponse(_message.Message):
    __slots__ = ("id", "feedback", "feedback_reason")
    ID_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_REASON_FIELD_NUMBER: _ClassVar[int]
    id: str
    feedback: Feedback
    feedback_reason: str
    def __init__(self, id: _Optional[str] = ..., feedback: _Optional[_Union[Feedback, str]] = ..., feedback_reason: _Optional[str] = ...) -> None: ...

class CreateExportRequest(_message.Message):
    __slots__ = ("schema", "filter")
    SCHEMA_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    schema: str
    filter: _common_pb2.Filter
    def __init__(self, schema: _Optional[str] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ...) -> None: ...

class CreateExportResponse(_message.Message):
    __slots__ = ("message", "id")
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    message: str
    id: str
    def __init__(self, message: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class GetExportRequest(_message.Message):
    __slots__ = ("export_id",)
    EXPORT_ID_FIELD_NUMBER: _ClassVar[int]
    export_id: str
    def __init__(self, export_id: _Optional[str] = ...) -> None: ...

class GetExportResponse(_message.Message):
    __slots__ = ("id", "status", "data")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: _common_pb2.EventStatus
    data: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.EventStatus, str]] = ..., data: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class ListMembersRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[_common_pb2.ProjectMember]
    def __init__(self, members: _Optional[_Iterable[_Union[_common_pb2.ProjectMember, _Mapping]]] = ...) -> None: ...

class AddMemberRequest(_message.Message):
    __slots__ = ("email", "role")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    email: str
    role: _common_pb2.MemberRole
    def __init__(self, email: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ...) -> None: ...

class AddMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.ProjectMember
    def __init__(self, member: _Optional[_Union[_common_pb2.ProjectMember, _Mapping]] = ...) -> None: ...

class UpdateMemberRequest(_message.Message):
    __slots__ = ("email", "role")
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    email: str
    role: _common_pb2.MemberRole
    def __init__(self, email: _Optional[str] = ..., role: _Optional[_Union[_common_pb2.MemberRole, str]] = ...) -> None: ...

class UpdateMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.ProjectMember
    def __init__(self, member: _Optional[_Union[_common_pb2.ProjectMember, _Mapping]] = ...) -> None: ...

class RemoveMemberRequest(_message.Message):
    __slots__ = ("email",)
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    email: str
    def __init__(self, email: _Optional[str] = ...) -> None: ...

class RemoveMemberResponse(_message.Message):
    __slots__ = ("member",)
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    member: _common_pb2.ProjectMember
    def __init__(self, member: _Optional[_Union[_common_pb2.ProjectMember, _Mapping]] = ...) -> None: ...

class ListWebhooksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListWebhooksResponse(_message.Message):
    __slots__ = ("webhooks",)
    WEBHOOKS_FIELD_NUMBER: _ClassVar[int]
    webhooks: _containers.RepeatedCompositeFieldContainer[_common_pb2.Webhook]
    def __init__(self, webhooks: _Optional[_Iterable[_Union[_common_pb2.Webhook, _Mapping]]] = ...) -> None: ...

class CreateWebhookRequest(_message.Message):
    __slots__ = ("name", "url", "event_types")
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    name: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[_common_pb2.WebhookEventType]
    def __init__(self, name: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[_Union[_common_pb2.WebhookEventType, str]]] = ...) -> None: ...

class CreateWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: _common_pb2.Webhook
    def __init__(self, webhook: _Optional[_Union[_common_pb2.Webhook, _Mapping]] = ...) -> None: ...

class UpdateWebhookRequest(_message.Message):
    __slots__ = ("webhook_id", "name", "url", "event_types", "is_active")
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    IS_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    webhook_id: str
    name: str
    url: str
    event_types: _common_pb2.WebhookEventTypeList
    is_active: bool
    def __init__(self, webhook_id: _Optional[str] = ..., name: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Union[_common_pb2.WebhookEventTypeList, _Mapping]] = ..., is_active: _Optional[bool] = ...) -> None: ...

class UpdateWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: _common_pb2.Webhook
    def __init__(self, webhook: _Optional[_Union[_common_pb2.Webhook, _Mapping]] = ...) -> None: ...

class DeleteWebhookRequest(_message.Message):
    __slots__ = ("webhook_id",)
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    webhook_id: str
    def __init__(self, webhook_id: _Optional[str] = ...) -> None: ...

class DeleteWebhookResponse(_message.Message):
    __slots__ = ("webhook",)
    WEBHOOK_FIELD_NUMBER: _ClassVar[int]
    webhook: _common_pb2.Webhook
    def __init__(self, webhook: _Optional[_Union[_common_pb2.Webhook, _Mapping]] = ...) -> None: ...

class ListWebhookDeliveriesRequest(_message.Message):
    __slots__ = ("webhook_id", "page", "page_size")
    WEBHOOK_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    webhook_id: str
    page: int
    page_size: int
    def __init__(self, webhook_id: _Optional[str] = ..., page: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListWebhookDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "total_count")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[_common_pb2.WebhookDelivery]
    total_count: int
    def __init__(self, deliveries: _Optional[_Iterable[_Union[_common_pb2.WebhookDelivery, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...
