"""What an export's schema means: the memory fields to export.

The schema is JSON-schema-ish (Mem0's SDKs send it as a JSON string or an object): the property names of its
`properties` object — or of `items.properties` for an array schema — are the fields kept of each memory as
the REST API shows it (`memory`, `user_id`, `agent_id`, `app_id`, `run_id`, `metadata`, `categories`,
`created_at`, `updated_at`, `expiration_date`, `immutable`, ...; `id` is always kept, as `fields` of a search
does). Names a memory does not have are left out. No `properties` (or no schema) exports every field. Nothing
else of the schema (types, descriptions, nesting) is interpreted.
"""

from __future__ import annotations

import json
from typing import Any

from libs.errors import InvalidArgument


def export_fields(schema: str) -> list[str] | None:
    """The field names the schema lists, or None for every field; InvalidArgument naming `schema`."""
    if not schema.strip():
        return None
    try:
        parsed = json.loads(schema)
    except ValueError:
        raise InvalidArgument("schema: not valid JSON", field="schema") from None
    if not isinstance(parsed, dict):
        raise InvalidArgument("schema: must be a JSON object", field="schema")
    properties = parsed.get("properties")
    items = parsed.get("items")
    if properties is None and isinstance(items, dict):
        properties = items.get("properties")
    if properties is None:
        return None
    if not isinstance(properties, dict):
        raise InvalidArgument("schema.properties: must be an object", field="schema")
    return list(properties) or None


def schema_text(schema: str | dict[str, Any] | None) -> str:
    """The schema as stored: the string as given, or an object as JSON."""
    if schema is None:
        return ""
    return schema if isinstance(schema, str) else json.dumps(schema)
