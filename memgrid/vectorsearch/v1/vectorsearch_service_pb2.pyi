import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from memgrid.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VectorItem(_message.Message):
    __slots__ = ("memory_id", "text", "scope", "created_at", "updated_at", "categories")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    CATEGORIES_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    text: str
    scope: _common_pb2.Scope
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    categories: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, memory_id: _Optional[str] = ..., text: _Optional[str] = ..., scope: _Optional[_Union[_common_pb2.Scope, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., categories: _Optional[_Iterable[str]] = ...) -> None: ...

class UpsertVectorsRequest(_message.Message):
    __slots__ = ("tenant", "items")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    items: _containers.RepeatedCompositeFieldContainer[VectorItem]
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., items: _Optional[_Iterable[_Union[VectorItem, _Mapping]]] = ...) -> None: ...

class UpsertVectorsResponse(_message.Message):
    __slots__ = ("upserted_count",)
    UPSERTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    upserted_count: int
    def __init__(self, upserted_count: _Optional[int] = ...) -> None: ...

class DeleteVectorsRequest(_message.Message):
    __slots__ = ("tenant", "memory_ids")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., memory_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DeleteVectorsResponse(_message.Message):
    __slots__ = ("deleted_count",)
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    def __init__(self, deleted_count: _Optional[int] = ...) -> None: ...

class SearchVectorsRequest(_message.Message):
    __slots__ = ("tenant", "queries", "filter", "top_k", "candidate_ids", "restrict_to_candidates")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    QUERIES_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_IDS_FIELD_NUMBER: _ClassVar[int]
    RESTRICT_TO_CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    tenant: _common_pb2.Tenant
    queries: _containers.RepeatedScalarFieldContainer[str]
    filter: _common_pb2.Filter
    top_k: int
    candidate_ids: _containers.RepeatedScalarFieldContainer[str]
    restrict_to_candidates: bool
    def __init__(self, tenant: _Optional[_Union[_common_pb2.Tenant, _Mapping]] = ..., queries: _Optional[_Iterable[str]] = ..., filter: _Optional[_Union[_common_pb2.Filter, _Mapping]] = ..., top_k: _Optional[int] = ..., candidate_ids: _Optional[_Iterable[str]] = ..., restrict_to_candidates: _Optional[bool] = ...) -> None: ...

class VectorHit(_message.Message):
    __slots__ = ("memory_id", "score")
    MEMORY_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    memory_id: str
    score: float
    def __init__(self, memory_id: _Optional[str] = ..., score: _Optional[float] = ...) -> None: ...

class QueryHits(_message.Message):
    __slots__ = ("hits",)
    HITS_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[VectorHit]
    def __init__(self, hits: _Optional[_Iterable[_Union[VectorHit, _Mapping]]] = ...) -> None: ...

class SearchVectorsResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[QueryHits]
    def __init__(self, results: _Optional[_Iterable[_Union[QueryHits, _Mapping]]] = ...) -> None: ...
