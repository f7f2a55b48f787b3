from memgrid.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExtractFactsRequest(_message.Message):
    __slots__ = ("tenant", "messages", "scope", "custom_instructions", "custom_categories", "includes", "excludes", "recent_memories")
    class CustomCategoriesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    INCLUDES_FIELD_NUMBER: _ClassVar[int]
    EXCLUDES_FIELD_NUMBER: _ClassVar[int]
    RECENT_MEMORIES_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    messages: _containers.RepeatedCompositeFieldContainer[_common_pb2.Message]
    scope: _common_pb2.Scope
    custom_instructions: str
    custom_categories: _containers.ScalarMap[str, str]
    includes: str
    excludes: str
    recent_memories: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., messages: _Optional[_Iterable[_Union[_common_pb2.Message, _Mapping]]] = ..., scope: _Optional[_Union[_common_pb2.Scope, _Mapping]] = ..., custom_instructions: _Optional[str] = ..., custom_categories: _Optional[_Mapping[str, str]] = ..., includes: _Optional[str] = ..., excludes: _Optional[str] = ..., recent_memories: _Optional[_Iterable[str]] = ...) -> None: ...

class Fact(_message.Message):
    __slots__ = ("text", "attributed_to", "categories", "forget")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTED_TO_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    FORGET_FIELD_NUMBER: _ClassVar[int]
    text: str
    attributed_to: _common_pb2.Role
    categories: _containers.RepeatedScalarFieldContainer[str]
    forget: bool
    def __init__(self, text: _Optional[str] = ..., attributed_to: _Optional[_Union[_common_pb2.Role, str]] = ..., categories: _Optional[_Iterable[str]] = ..., forget: _Optional[bool] = ...) -> None: ...

class ExtractFactsResponse(_message.Message):
    __slots__ = ("facts",)
    FACTS_FIELD_NUMBER: _ClassVar[int]
    facts: _containers.RepeatedCompositeFieldContainer[Fact]
    def __init__(self, facts: _Optional[_Iterable[_Union[Fact, _Mapping]]] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("memory_id", "text", "score", "immutable", "fact_index")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    IMMUTABLE_FIELD_NUMBER: _ClassVar[int]
    FACT_INDEX_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    text: str
    score: float
    immutable: bool
    fact_index: int
    def __init__(self, memory_id: _Optional[str] = ..., text: _Optional[str] = ..., score: _Optional[float] = ..., immutable: _Optional[bool] = ..., fact_index: _Optional[int] = ...) -> None: ...

class ReconcileMemoriesRequest(_message.Message):
    __slots__ = ("tenant", "facts", "candidates")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    FACTS_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    facts: _containers.RepeatedCompositeFieldContainer[Fact]
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., facts: _Optional[_Iterable[_Union[Fact, _Mapping]]] = ..., candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ...) -> None: ...

class MemoryAction(_message.Message):
    __slots__ = ("event", "memory_id", "text", "fact_index")
    EVENT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    FACT_INDEX_FIELD_NUMBER: _ClassVar[int]
    event: _common_pb2.MemoryEvent
    memory_id: str
    text: str
    fact_index: int
    def __init__(self, event: _Optional[_Union[_common_pb2.MemoryEvent, str]] = ..., memory_id: _Optional[str] = ..., text: _Optional[str] = ..., fact_index: _Optional[int] = ...) -> None: ...

class ReconcileMemoriesResponse(_message.Message):
    __slots__ = ("actions",)
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    actions: _containers.RepeatedCompositeFieldContainer[MemoryAction]
    def __init__(self, actions: _Optional[_Iterable[_Union[MemoryAction, _Mapping]]] = ...) -> None: ...
