"""JSONL export/import of memories: one memory per line, everything needed to add it again."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cli.rest import SCOPE_FIELDS

# What an exported line keeps of a memory as the REST API returns it.
EXPORTED_FIELDS = (
    "id",
    "memory",
    *SCOPE_FIELDS,
    "metadata",
    "categories",
    "immutable",
    "expiration_date",
    "created_at",
    "updated_at",
    "actor_id",
    "role",
)


class LineError(ValueError):
    """A JSONL line that is not an exported memory."""


def export_line(memory: dict[str, Any]) -> str:
    return json.dumps({name: memory.get(name) for name in EXPORTED_FIELDS}, ensure_ascii=False, sort_keys=True)


def parse_line(line: str, number: int) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise LineError(f"line {number}: not JSON ({error.msg})") from None
    if not isinstance(record, dict):
        raise LineError(f"line {number}: not a JSON object")
    if not isinstance(record.get("memory"), str) or not record["memory"].strip():
        raise LineError(f"line {number}: memory: required (a non-empty string)")
    if not any(record.get(name) for name in SCOPE_FIELDS):
        raise LineError(f"line {number}: one of {', '.join(SCOPE_FIELDS)} is required")
    return record


def idempotency_key(record: dict[str, Any]) -> str:
    """The same line (whatever its whitespace or key order) always gets the same key: a re-run replays."""
    canonical = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "memgrid-import-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def add_body(record: dict[str, Any]) -> dict[str, Any]:
    """The add request (infer=false: stored verbatim) that recreates the exported memory."""
    message: dict[str, Any] = {"role": record.get("role") or "user", "content": record["memory"]}
    if record.get("actor_id"):
        message["name"] = record["actor_id"]
    body: dict[str, Any] = {"messages": [message], "infer": False}
    body.update({name: record[name] for name in SCOPE_FIELDS if record.get(name)})
    for name in ("metadata", "expiration_date"):
        if record.get(name):
            body[name] = record[name]
    if record.get("categories"):
        body["categories"] = list(record["categories"])
    if record.get("immutable"):
        body["immutable"] = True
    if record.get("created_at"):
        body["timestamp"] = record["created_at"]
    return body
