"""The Mem0 v2 filter language: one parser (JSON → AST) and the AST ↔ protobuf mapping.

Translators to SQL and to Milvus expressions live with the services that run them.
"""

from libs.filters.ast import (
    And,
    Condition,
    FilterNode,
    Not,
    Op,
    Or,
    conjoin,
    fields_of,
    ids_equal,
    pinned_values,
    runs_in_vector_store,
)
from libs.filters.parser import MAX_SUPPORTED_FILTER_DEPTH, SCOPE_FILTER_FIELDS, VECTOR_FILTER_OPS, parse_filters

__all__ = [
    "MAX_SUPPORTED_FILTER_DEPTH",
    "SCOPE_FILTER_FIELDS",
    "VECTOR_FILTER_OPS",
    "And",
    "Condition",
    "FilterNode",
    "Not",
    "Op",
    "Or",
    "conjoin",
    "fields_of",
    "ids_equal",
    "parse_filters",
    "pinned_values",
    "runs_in_vector_store",
]
