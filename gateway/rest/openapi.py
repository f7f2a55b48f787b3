"""The OpenAPI document states the configured input limits and the closed value sets.

The checks themselves live in gateway/limits.py (shared with gRPC) and the request models; this only writes
them into the document, so clients and schema-driven tools (schemathesis) see the real bounds.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from gateway.limits import InputLimits
from libs import domain
from libs.filters.parser import DATE_FIELDS, SCOPE_FILTER_FIELDS

ROLES = [role.value for role in domain.Role]
ENTITY_TYPES = [kind.value for kind in domain.EntityType]
FEEDBACK = ["POSITIVE", "NEGATIVE", "VERY_NEGATIVE"]
# Unix seconds of 0001-01-01 and 9999-12-31T23:59:59 (what Python dates can hold).
MIN_UNIX_SECONDS, MAX_UNIX_SECONDS = -62_135_596_800, 253_402_300_799


def document_limits(app: FastAPI, limits: InputLimits) -> None:
    """Make `app.openapi()` (and `/openapi.json`) carry the limits."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _annotate(document, limits)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _annotate(document: dict[str, Any], limits: InputLimits) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    schemas.update(_filter_schemas())
    filters = {"object": {"$ref": "#/components/schemas/Filters"}}
    timestamp = {"minimum": MIN_UNIX_SECONDS, "maximum": MAX_UNIX_SECONDS, "format": "date-time"}
    day = {"format": "date"}
    text = {"maxLength": limits.max_text_chars}
    batch = {"minItems": 1, "maxItems": limits.max_batch_items}
    metadata = {
        "description": f"At most {limits.max_metadata_depth} levels deep and {limits.max_metadata_bytes} bytes as JSON"
    }
    rules: dict[str, dict[str, dict[str, Any]]] = {
        "MessageIn": {"content": text, "role": {"enum": ROLES}},
        "AddBody": {
            "messages": {"minItems": 1, "maxItems": limits.max_messages_per_add},
            "metadata": metadata,
            "filters": filters,
            "timestamp": timestamp,
            "expiration_date": day,
        },
        "SearchBody": {
            "filters": filters,
            "query": text,
            "top_k": {"minimum": 1, "maximum": limits.max_top_k},
            "limit": {"minimum": 1, "maximum": limits.max_top_k},
            "threshold": {"minimum": 0, "maximum": 1},
        },
        "ListBody": {
            "filters": filters,
            "start_date": day,
            "end_date": day,
            "page": {"minimum": 1, "maximum": limits.max_page},
            "page_size": {"minimum": 1, "maximum": limits.max_page_size},
        },
        "UpdateBody": {"text": text, "metadata": metadata, "timestamp": timestamp, "expiration_date": day},
        "BatchUpdateItem": {"text": text, "metadata": metadata},
        "BatchUpdateBody": {"memories": batch},
        "BatchDeleteBody": {"memories": batch},
        "EntityBody": {"metadata": metadata},
        "FeedbackBody": {"feedback": {"enum": FEEDBACK}},
    }
    for model, properties in rules.items():
        fields = schemas.get(model, {}).get("properties", {})
        for name, keywords in properties.items():
            if name in fields:
                _constrain(fields[name], keywords)
    parameters = {
        "page": {"minimum": 1, "maximum": limits.max_page},
        "page_size": {"minimum": 1, "maximum": limits.max_page_size},
        "entity_type": {"enum": ENTITY_TYPES},
    }
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                keywords = parameters.get(parameter.get("name"))
                if keywords and "schema" in parameter:
                    _constrain(parameter["schema"], keywords)


_APPLIES_TO = {
    "object": "object",
    "format": "string",
    "maxLength": "string",
    "enum": "string",
    "minimum": ("integer", "number"),
    "maximum": ("integer", "number"),
    "minItems": "array",
    "maxItems": "array",
}


def _constrain(schema: dict[str, Any], keywords: dict[str, Any]) -> None:
    """Add the keywords to the schema, or to the branches of an `anyOf` whose type they apply to."""
    branches = schema.get("anyOf")
    if branches is None:
        schema.update(keywords)
        return
    for keyword, value in keywords.items():
        if keyword == "description":
            schema[keyword] = value
            continue
        kinds = _APPLIES_TO.get(keyword, ())
        for index, branch in enumerate(branches):
            if branch.get("type") not in (kinds if isinstance(kinds, tuple) else (kinds,)):
                continue
            if keyword == "object":
                branches[index] = value  # the object branch is replaced by a precise schema
            else:
                branch[keyword] = value


def _filter_schemas() -> dict[str, Any]:
    """The Mem0 v2 filter language, two levels deep (AND/OR/NOT of plain clauses); the parser accepts deeper."""
    scalar = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
    scalars = {"type": "array", "items": scalar, "minItems": 1}
    operators = {
        "type": "object",
        "properties": {
            **{name: scalar for name in ("eq", "ne", "gt", "gte", "lt", "lte", "contains", "icontains")},
            "in": scalars,
            "nin": scalars,
        },
        "additionalProperties": False,
        "minProperties": 1,
    }
    value = {"anyOf": [scalar, operators]}
    fields = {
        **{name: value for name in (*SCOPE_FILTER_FIELDS, "categories", "keywords")},
        **{name: {"anyOf": [{"type": "string", "format": "date"}, operators]} for name in DATE_FIELDS},
        "memory_ids": {"type": "array", "items": {"type": "string"}},
        "metadata": {
            "type": "object",
            "minProperties": 1,
            "description": "metadata keys (nested objects for nested keys)",
        },
    }
    clause = {"type": "object", "properties": fields, "additionalProperties": False, "minProperties": 1}
    logical = {"type": "array", "items": {"$ref": "#/components/schemas/FilterClause"}, "minItems": 1}
    return {
        "FilterClause": {**clause, "description": "Conditions on fields, all of which must hold"},
        "Filters": {
            **clause,
            "properties": {**fields, "AND": logical, "OR": logical, "NOT": logical},
            "description": "Mem0 v2 filters: fields with a value, `*` or an operator object, combined with AND/OR/NOT",
        },
    }
